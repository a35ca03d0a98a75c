//! Gives the shared library its SONAME, `libopinio.so.<ABI version>`, and tells the tests
//! which outside tools this machine has.
//!
//! Programs linked against libopinio record the SONAME, not the file name, so the ABI
//! version in it (src/ffi/version.rs, `OPINIO_ABI_VERSION`) lets an incompatible library
//! sit next to a compatible one. Only the cdylib gets the flag; the rlib and staticlib are
//! unaffected. Keep the number equal to `OPINIO_ABI_VERSION` (tests/c_abi.rs checks it).
//!
//! The outside tools: the binding tests run Mono, a JDK with JNA and JUnit 4, pytest, a C
//! compiler and valgrind, the report tests a headless Chromium (docs/testing.md lists which
//! test needs what). libtest cannot skip a test at run time, so each tool found here sets a
//! cfg, `opinio_has_<tool>`, and a test whose tool is missing is `#[ignore]`d with the
//! command that installs it: `cargo test` passes and counts it as ignored, not passed.
//! `OPINIO_REQUIRE_ALL=1` (set by .ci/run) sets every cfg without looking, so a missing tool
//! fails its test instead.
//!
//! Cargo re-runs this script (and so rebuilds the library) when `OPINIO_REQUIRE_ALL`,
//! `PATH`, `CC`, `OPINIO_PYTHON` or `PYENV_VERSION` changes, or when something is installed
//! into a folder where a tool appears: the folders of `PATH`, /usr/share/java (or dpkg's
//! status file while that folder does not exist) and the Python interpreter's scripts
//! folders (pip puts `pytest` there). Only paths that exist are watched: Cargo would treat
//! a missing one as changed and re-run the script on every build.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const ABI_VERSION: u32 = 0;

/// The cfgs the tests read, with the tools each stands for.
const TOOLS: [(&str, &str); 6] = [
    ("opinio_has_mono", "mcs and mono"),
    ("opinio_has_java", "javac, java and /usr/share/java/{jna,junit4,hamcrest}.jar"),
    ("opinio_has_pytest", "python3 (or $OPINIO_PYTHON) with pytest"),
    ("opinio_has_cc", "a C compiler ($CC or cc) and pkg-config"),
    ("opinio_has_valgrind", "valgrind"),
    ("opinio_has_chromium", "chromium (/usr/bin/chromium or on PATH)"),
];

/// Debian's jars for the Java binding's tests (tests/java_binding.rs lists the same).
const JARS: [&str; 3] =
    ["/usr/share/java/jna.jar", "/usr/share/java/junit4.jar", "/usr/share/java/hamcrest.jar"];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(os.as_str(), "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly") {
        println!("cargo::rustc-cdylib-link-arg=-Wl,-soname,libopinio.so.{ABI_VERSION}");
    }
    outside_tools();
}

fn outside_tools() {
    for (cfg, _) in TOOLS {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
    }
    println!("cargo::rerun-if-env-changed=OPINIO_REQUIRE_ALL");
    if std::env::var("OPINIO_REQUIRE_ALL").is_ok_and(|v| !v.is_empty() && v != "0") {
        for (cfg, _) in TOOLS {
            println!("cargo::rustc-cfg={cfg}");
        }
        return;
    }
    for var in ["PATH", "CC", "OPINIO_PYTHON", "PYENV_VERSION"] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    let mut watch = BTreeSet::new();
    let path_dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).filter(|d| d.is_absolute()).collect())
        .unwrap_or_default();
    watch.extend(path_dirs.iter().cloned());
    let on_path = |tool: &str| {
        let tool = Path::new(tool);
        if tool.components().count() > 1 {
            return tool.is_file();
        }
        path_dirs.iter().any(|d| d.join(tool).is_file())
    };

    let java = Path::new("/usr/share/java");
    watch.insert(if java.is_dir() { java.to_path_buf() } else { PathBuf::from("/var/lib/dpkg/status") });

    let python = std::env::var("OPINIO_PYTHON").unwrap_or_else(|_| "python3".into());
    let (pytest, scripts) = probe_python(&python);
    watch.extend(scripts);

    let cc = std::env::var("CC").ok().filter(|c| !c.trim().is_empty()).unwrap_or_else(|| "cc".into());
    let cc = cc.split_whitespace().next().unwrap_or("cc").to_string();

    let found = [
        on_path("mcs") && on_path("mono"),
        on_path("javac") && on_path("java") && JARS.iter().all(|j| Path::new(j).is_file()),
        pytest,
        on_path(&cc) && on_path("pkg-config"),
        on_path("valgrind"),
        on_path("chromium") || Path::new("/usr/bin/chromium").is_file(),
    ];
    for ((cfg, _), found) in TOOLS.iter().zip(found) {
        if found {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
    for path in watch.iter().filter(|p| p.exists()) {
        println!("cargo::rerun-if-changed={}", path.display());
    }
}

/// Whether `python` imports pytest, and the folders where pip puts its `pytest` script.
fn probe_python(python: &str) -> (bool, Vec<PathBuf>) {
    const PROBE: &str = r#"
import os, sysconfig
print(sysconfig.get_path("scripts"))
try:
    print(sysconfig.get_path("scripts", os.name + "_user"))
except Exception:
    pass
try:
    import pytest
    print("pytest: yes")
except Exception:
    print("pytest: no")
"#;
    let Ok(out) = Command::new(python).args(["-c", PROBE]).env("PYTHONDONTWRITEBYTECODE", "1").output()
    else {
        return (false, Vec::new());
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let pytest = out.status.success() && stdout.lines().any(|l| l == "pytest: yes");
    let scripts = stdout.lines().filter(|l| l.starts_with('/')).map(PathBuf::from).collect();
    (pytest, scripts)
}
