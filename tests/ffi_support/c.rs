//! Building and running the C programs of `bindings/c` against the installed library.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{repo, shared_library};

/// Installs the library into a temporary prefix with bindings/c/install.sh and returns the
/// prefix and the compiler flags pkg-config gives for it.
pub fn install() -> (tempfile::TempDir, Vec<String>) {
    let lib = shared_library();
    let prefix = tempfile::tempdir().unwrap();
    let status = Command::new("sh")
        .arg(repo().join("bindings/c/install.sh"))
        .arg(prefix.path())
        .env("TARGET_DIR", lib.parent().unwrap())
        .status()
        .expect("run bindings/c/install.sh");
    assert!(status.success(), "install.sh failed");
    let out = Command::new("pkg-config")
        .args(["--cflags", "--libs", "opinio"])
        .env("PKG_CONFIG_PATH", prefix.path().join("lib/pkgconfig"))
        .output()
        .expect("pkg-config is needed (apt-get install pkg-config)");
    assert!(out.status.success(), "pkg-config: {}", String::from_utf8_lossy(&out.stderr));
    let flags = String::from_utf8(out.stdout).unwrap().split_whitespace().map(String::from).collect();
    (prefix, flags)
}

/// Compiles `bindings/c/<source>` with warnings as errors and runs it with `args`.
pub fn build_and_run(prefix: &Path, flags: &[String], source: &str, args: &[&str]) -> (i32, String, String) {
    run_under(prefix, &build(prefix, flags, source), &[], args)
}

/// Compiles `bindings/c/<source>` with warnings as errors into `prefix`.
pub fn build(prefix: &Path, flags: &[String], source: &str) -> PathBuf {
    let exe = prefix.join(source.trim_end_matches(".c"));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-o"])
        .arg(&exe)
        .arg(repo().join("bindings/c").join(source))
        .args(flags)
        .arg("-lpthread")
        .output()
        .unwrap_or_else(|e| panic!("{cc} is needed to build the C examples (apt-get install gcc): {e}"));
    assert!(out.status.success(), "{source} does not compile:\n{}", String::from_utf8_lossy(&out.stderr));
    exe
}

/// Runs `exe` with `args`, behind `wrapper` (e.g. valgrind and its options) when not empty.
pub fn run_under(prefix: &Path, exe: &Path, wrapper: &[&str], args: &[&str]) -> (i32, String, String) {
    let mut command = match wrapper.split_first() {
        Some((program, options)) => {
            let mut c = Command::new(program);
            c.args(options).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    let run =
        command.args(args).current_dir(repo()).env("LD_LIBRARY_PATH", prefix.join("lib")).output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (run.status.code().unwrap_or(-1), text(run.stdout), text(run.stderr))
}

/// valgrind's memcheck as a command prefix: opinio's suppressions (bindings/c/valgrind.supp),
/// full leak check, definite leaks as errors, exit status 99 on any error.
pub fn memcheck() -> Vec<String> {
    let suppressions = repo().join("bindings/c/valgrind.supp");
    [
        "valgrind".to_string(),
        "--tool=memcheck".into(),
        format!("--suppressions={}", suppressions.display()),
        "--leak-check=full".into(),
        "--errors-for-leak-kinds=definite".into(),
        "--error-exitcode=99".into(),
    ]
    .into()
}
