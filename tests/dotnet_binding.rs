//! The .NET binding's own tests (bindings/dotnet/tests/Tests.cs), compiled with Mono's `mcs`
//! and run with `mono` against the freshly built libopinio.so, found through
//! LD_LIBRARY_PATH. Without Mono the test is ignored with the command that installs it
//! (build.rs looks for it); with `OPINIO_REQUIRE_ALL=1` (.ci/run) it runs and fails, rather
//! than passing without having run.

mod ffi_support;

use std::path::{Path, PathBuf};
use std::process::Command;

fn require(tool: &str) {
    if Command::new(tool).arg("--version").output().is_err() {
        panic!(
            "`{tool}` is not installed; the .NET binding's tests need Mono: \
             apt-get install mono-mcs mono-runtime (.ci/run installs them)"
        );
    }
}

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "cs"))
        .collect();
    files.sort();
    files
}

#[test]
#[cfg_attr(not(opinio_has_mono), ignore = "needs Mono (mcs, mono): apt-get install mono-mcs mono-runtime")]
fn dotnet_binding_tests_pass() {
    require("mcs");
    require("mono");
    let repo = ffi_support::repo();
    let lib = ffi_support::shared_library();
    let out = ffi_support::profile_dir().join("dotnet-binding");
    std::fs::create_dir_all(&out).unwrap();
    let dll = out.join("Opinio.dll");
    let exe = out.join("Tests.exe");

    let mut mcs = Command::new("mcs");
    mcs.args(["-target:library", "-warnaserror", "-nologo", "-debug"]).arg(format!("-out:{}", dll.display()));
    mcs.args(sources(&repo.join("bindings/dotnet/src")));
    ffi_support::run(&mut mcs, "mcs (bindings/dotnet/src)");
    ffi_support::run(
        Command::new("mcs")
            .args(["-nologo", "-debug", "-r:System.Core.dll"])
            .arg(format!("-r:{}", dll.display()))
            .arg(format!("-out:{}", exe.display()))
            .arg(repo.join("bindings/dotnet/tests/Tests.cs")),
        "mcs (bindings/dotnet/tests/Tests.cs)",
    );

    let lib_dir = lib.parent().unwrap();
    let path = match std::env::var_os("LD_LIBRARY_PATH") {
        Some(old) => {
            std::env::join_paths(std::iter::once(lib_dir.to_path_buf()).chain(std::env::split_paths(&old)))
                .unwrap()
        }
        None => lib_dir.as_os_str().to_owned(),
    };
    let result = ffi_support::run(
        Command::new("mono").arg("--debug").arg(&exe).arg(repo).env("LD_LIBRARY_PATH", path),
        "the .NET binding's tests (mono Tests.exe)",
    );
    let report = String::from_utf8_lossy(&result.stdout);
    assert!(report.contains(" passed, 0 failed"), "Tests.exe ran no tests:\n{report}");
}

/// Every function of include/opinio.h has a P/Invoke declaration, so a new export is not
/// forgotten by the binding.
#[test]
fn dotnet_binding_declares_every_export() {
    let repo = ffi_support::repo();
    let native = std::fs::read_to_string(repo.join("bindings/dotnet/src/NativeMethods.cs")).unwrap();
    for name in ffi_support::header_exports() {
        assert!(
            native.contains(&format!(" {name}(")),
            "include/opinio.h exports {name} but bindings/dotnet/src/NativeMethods.cs does not declare it"
        );
    }
}
