//! Shared by the binding tests (C, Python, .NET, Java): finding (and if need be building)
//! the shared library they load, running their tools, and the header's list of exports.
//!
//! `cargo test` compiles the library with all its crate types into `<profile>/deps/`, so
//! `deps/libopinio.so` is as fresh as the rlib this test links (cdylib names carry no hash).
//! `cargo build` copies it up to `<profile>/libopinio.so`. The first of the two that is not
//! older than the sources is used. Only when both are (a test binary run by hand after an
//! edit) is the library rebuilt with `cargo build --lib` in the same target folder and
//! profile; that is avoided otherwise, as it relinks the library and dirties every test.

#![allow(dead_code)]

pub mod c;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::SystemTime;

/// The repository root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The profile folder this test binary was built in (`target/release`): the binary lives
/// in its `deps/`. This follows `CARGO_TARGET_DIR` and the profile without being told.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent().and_then(Path::parent).expect("test binary in <profile>/deps").to_path_buf()
}

/// A fresh `libopinio.so`: the test build's, else `cargo build`'s, else rebuilt.
pub fn shared_library() -> PathBuf {
    static BUILD: Mutex<()> = Mutex::new(());
    let _once = BUILD.lock().unwrap_or_else(|p| p.into_inner());
    let dir = profile_dir();
    let fresh = [dir.join("deps/libopinio.so"), dir.join("libopinio.so")].into_iter().find(|l| !is_stale(l));
    if let Some(lib) = fresh {
        return lib;
    }
    let lib = dir.join("libopinio.so");
    let release = dir.file_name().is_some_and(|n| n == "release");
    let target = dir.parent().expect("target folder");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(repo()).args(["build", "--lib"]).env("CARGO_TARGET_DIR", target);
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("run cargo build --lib");
    assert!(status.success(), "cargo build --lib failed: {status}");
    // Cargo now vouches for freshness: an edit that leaves the library unchanged (a new
    // bench in Cargo.toml) is newer than the file and yet needs no relink.
    assert!(lib.is_file(), "{} is missing after cargo build --lib", lib.display());
    lib
}

fn is_stale(lib: &Path) -> bool {
    let Ok(built) = std::fs::metadata(lib).and_then(|m| m.modified()) else {
        return true;
    };
    let root = repo();
    let mut newest = SystemTime::UNIX_EPOCH;
    for file in ["Cargo.toml", "Cargo.lock", "build.rs"] {
        newest = newest.max(mtime(&root.join(file)));
    }
    newest = newest.max(newest_in(&root.join("src")));
    built < newest
}

fn newest_in(dir: &Path) -> SystemTime {
    let mut newest = SystemTime::UNIX_EPOCH;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        newest = newest.max(if path.is_dir() { newest_in(&path) } else { mtime(&path) });
    }
    newest
}

fn mtime(path: &Path) -> SystemTime {
    std::fs::metadata(path).and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH)
}

/// Runs `cmd`, failing the test with its output when it fails.
pub fn run(cmd: &mut std::process::Command, what: &str) -> std::process::Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{what} failed ({}):\n{report}", out.status);
    out
}

/// The names of the functions include/opinio.h declares (`opinio_xxx(` at the start of a
/// declaration, after its return type), for checking that a binding maps every export.
pub fn header_exports() -> Vec<String> {
    let header = std::fs::read_to_string(repo().join("include/opinio.h")).expect("include/opinio.h");
    let mut names = Vec::new();
    for line in header.lines().filter(|l| !l.starts_with([' ', '#', '/'])) {
        if let Some(start) = line.find("opinio_") {
            if let Some(len) = line[start..].find('(') {
                names.push(line[start..start + len].to_string());
            }
        }
    }
    assert!(names.len() >= 10, "found only {names:?} in include/opinio.h");
    names
}
