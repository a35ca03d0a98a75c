//! The Java binding's own tests (bindings/java/tests/OpinioTest.java, JUnit 4), run against
//! opinio.jar as a host uses it: bindings/java/build-jar.sh packs the binding's classes and the
//! freshly built libopinio.so (under linux-x86-64/, where JNA looks on the classpath), and the
//! tests run with only JNA and that JAR on the classpath, with no `jna.library.path` and no
//! `LD_LIBRARY_PATH`. Without a JDK or one of the jars the test is ignored with the command
//! that installs them (build.rs looks for them); with `OPINIO_REQUIRE_ALL=1` (.ci/run) it runs
//! and fails on the missing one, rather than passing without having run.

mod ffi_support;

use std::path::Path;
use std::process::Command;

/// Debian's jars (libjna-java, junit4 and its dependency libhamcrest-java); build.rs looks
/// for the same.
const JARS: [(&str, &str); 3] = [
    ("/usr/share/java/jna.jar", "libjna-java"),
    ("/usr/share/java/junit4.jar", "junit4"),
    ("/usr/share/java/hamcrest.jar", "libhamcrest-java"),
];

#[test]
#[cfg_attr(
    not(opinio_has_java),
    ignore = "needs javac and /usr/share/java/{jna,junit4,hamcrest}.jar: \
              apt-get install openjdk-17-jdk-headless libjna-java junit4 libhamcrest-java"
)]
fn java_binding_tests_pass() {
    for tool in ["javac", "java", "jar"] {
        if Command::new(tool).arg("--version").output().is_err() {
            panic!("`{tool}` is not installed; the Java binding's tests need a JDK (17+): apt-get install openjdk-17-jdk-headless");
        }
    }
    for (jar, package) in JARS {
        assert!(
            Path::new(jar).exists(),
            "{jar} is missing; install it with apt-get install {package} (.ci/run does)"
        );
    }
    let [jna, junit, hamcrest] = JARS.map(|(jar, _)| jar);
    let repo = ffi_support::repo();
    let lib = ffi_support::shared_library();
    let work = ffi_support::profile_dir().join("java-binding");
    let _ = std::fs::remove_dir_all(&work);
    let classes = work.join("test-classes");
    std::fs::create_dir_all(&classes).unwrap();

    // The JAR, from the library already built (no second compile of opinio).
    let jar = work.join("opinio.jar");
    ffi_support::run(
        Command::new("sh")
            .arg(repo.join("bindings/java/build-jar.sh"))
            .arg(&jar)
            .env("OPINIO_PREBUILT_LIB", &lib)
            .env("JNA_JAR", jna),
        "bindings/java/build-jar.sh",
    );
    let listing = ffi_support::run(Command::new("jar").arg("--list").arg("--file").arg(&jar), "jar --list");
    let listing = String::from_utf8_lossy(&listing.stdout);
    for entry in ["linux-x86-64/libopinio.so", "opinio/Model.class"] {
        assert!(listing.lines().any(|l| l == entry), "{} lacks {entry}:\n{listing}", jar.display());
    }

    let compile_cp = format!("{jna}:{junit}:{}", jar.display());
    ffi_support::run(
        Command::new("javac")
            .args(["-Xlint:all", "-Werror", "-encoding", "UTF-8", "-cp", &compile_cp, "-d"])
            .arg(&classes)
            .arg(repo.join("bindings/java/tests/OpinioTest.java")),
        "javac (bindings/java/tests)",
    );
    let result = ffi_support::run(
        Command::new("java")
            .arg(format!("-Dopinio.repo={}", repo.display()))
            .arg(format!("-Dopinio.bundled={}", lib.display()))
            .args(["-cp", &format!("{jna}:{junit}:{hamcrest}:{}:{}", jar.display(), classes.display())])
            .args(["org.junit.runner.JUnitCore", "OpinioTest"])
            .env_remove("LD_LIBRARY_PATH")
            .env_remove("JAVA_TOOL_OPTIONS")
            .current_dir(repo),
        "the Java binding's tests (JUnitCore OpinioTest, against opinio.jar)",
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
