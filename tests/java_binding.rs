//! The Java binding's own tests (bindings/java/tests/OpinioTest.java, JUnit 4), compiled
//! with `javac` and run with `java -Djna.library.path=...` against the freshly built
//! libopinio.so. Without a JDK or one of the jars the test is ignored with the command that
//! installs them (build.rs looks for them); with `OPINIO_REQUIRE_ALL=1` (.ci/run) it runs and
//! fails on the missing one, rather than passing without having run.

mod ffi_support;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian's jars (libjna-java, junit4 and its dependency libhamcrest-java); build.rs looks
/// for the same.
const JARS: [(&str, &str); 3] = [
    ("/usr/share/java/jna.jar", "libjna-java"),
    ("/usr/share/java/junit4.jar", "junit4"),
    ("/usr/share/java/hamcrest.jar", "libhamcrest-java"),
];

fn java_sources(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            java_sources(&path, into);
        } else if path.extension().is_some_and(|x| x == "java") {
            into.push(path);
        }
    }
}

#[test]
#[cfg_attr(
    not(opinio_has_java),
    ignore = "needs javac and /usr/share/java/{jna,junit4,hamcrest}.jar: \
              apt-get install openjdk-17-jdk-headless libjna-java junit4 libhamcrest-java"
)]
fn java_binding_tests_pass() {
    for tool in ["javac", "java"] {
        if Command::new(tool).arg("-version").output().is_err() {
            panic!("`{tool}` is not installed; the Java binding's tests need a JDK (17+): apt-get install openjdk-17-jdk-headless");
        }
    }
    for (jar, package) in JARS {
        assert!(
            Path::new(jar).exists(),
            "{jar} is missing; install it with apt-get install {package} (.ci/run does)"
        );
    }
    let classpath = JARS.map(|(jar, _)| jar).join(":");
    let repo = ffi_support::repo();
    let lib = ffi_support::shared_library();
    let classes = ffi_support::profile_dir().join("java-binding");
    let _ = std::fs::remove_dir_all(&classes);
    std::fs::create_dir_all(&classes).unwrap();

    let mut sources = Vec::new();
    java_sources(&repo.join("bindings/java/src"), &mut sources);
    sources.push(repo.join("bindings/java/tests/OpinioTest.java"));
    ffi_support::run(
        Command::new("javac")
            .args(["-Xlint:all", "-Werror", "-encoding", "UTF-8", "-cp", &classpath, "-d"])
            .arg(&classes)
            .args(&sources),
        "javac (bindings/java)",
    );
    let result = ffi_support::run(
        Command::new("java")
            .arg(format!("-Djna.library.path={}", lib.parent().unwrap().display()))
            .arg(format!("-Dopinio.repo={}", repo.display()))
            .args(["-cp", &format!("{classpath}:{}", classes.display())])
            .args(["org.junit.runner.JUnitCore", "OpinioTest"])
            .current_dir(repo),
        "the Java binding's tests (JUnitCore OpinioTest)",
    );
    let report = String::from_utf8_lossy(&result.stdout);
    assert!(report.contains("OK ("), "JUnit ran no tests:\n{report}");
}

/// Every function of include/opinio.h is mapped by the JNA interface, so a new export is not
/// forgotten by the binding.
#[test]
fn java_binding_maps_every_export() {
    let repo = ffi_support::repo();
    let mapped = std::fs::read_to_string(repo.join("bindings/java/src/opinio/OpinioLibrary.java")).unwrap();
    for name in ffi_support::header_exports() {
        assert!(
            mapped.contains(&format!(" {name}(")),
            "include/opinio.h exports {name} but bindings/java/src/opinio/OpinioLibrary.java does not map it"
        );
    }
}
