//! The Python package as users install it: a wheel built from bindings/python (its own build
//! backend, build_backend/opinio_build.py) carrying the freshly built libopinio.so, installed
//! into a fresh virtualenv, where the binding's tests (bindings/python/tests, the Spark ones
//! included) run with no OPINIO_LIB, no LD_LIBRARY_PATH and from outside the checkout's
//! bindings/python, so that `import opinio` is the installed package with its own library.
//!
//! The wheel takes the library this test run already has (OPINIO_PREBUILT_LIB): opinio is not
//! compiled a second time. The virtualenv is made with `--system-site-packages --without-pip`:
//! pytest, pip and PySpark come from the interpreter's own site-packages, so nothing is
//! downloaded. Without pytest (for `python3`, or `$OPINIO_PYTHON`) the test is ignored with the
//! command that installs it, as tests/python_binding.rs is; with `OPINIO_REQUIRE_ALL=1` it runs
//! and fails instead, and the Spark tests fail rather than skip without PySpark.

mod ffi_support;

use std::path::Path;
use std::process::Command;

/// `cmd` without the variables that would let the installed package find a library other
/// than its own, or import the checkout's package.
fn isolated(cmd: &mut Command) -> &mut Command {
    for var in ["OPINIO_LIB", "LD_LIBRARY_PATH", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"] {
        cmd.env_remove(var);
    }
    cmd.env("PYTHONDONTWRITEBYTECODE", "1").env("PIP_DISABLE_PIP_VERSION_CHECK", "1").env("PIP_NO_INPUT", "1")
}

fn report(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
#[cfg_attr(
    not(opinio_has_pytest),
    ignore = "needs pytest for python3 (or $OPINIO_PYTHON): python3 -m pip install pytest"
)]
fn python_wheel_installs_into_a_fresh_venv_and_passes_the_binding_tests() {
    let python = std::env::var("OPINIO_PYTHON").unwrap_or_else(|_| "python3".into());
    match Command::new(&python).args(["-c", "import pytest, pip, venv"]).output() {
        Err(e) => panic!("`{python}` cannot be run ({e}); the wheel test needs Python 3 with pip and pytest"),
        Ok(out) if !out.status.success() => panic!(
            "`{python}` lacks pytest or pip; install them with `{python} -m pip install pytest` \
             (or apt-get install python3-pip python3-pytest):\n{}",
            report(&out)
        ),
        Ok(_) => {}
    }
    let repo = ffi_support::repo();
    let lib = ffi_support::shared_library();
    let work = ffi_support::profile_dir().join("python-wheel");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let venv = work.join("venv");
    let dist = work.join("dist");

    ffi_support::run(
        isolated(Command::new(&python).args(["-m", "venv", "--system-site-packages", "--without-pip"]).arg(&venv)),
        "python3 -m venv",
    );
    let venv_python = venv.join("bin/python");

    // The wheel, with the library already built; --no-index: building needs no download.
    ffi_support::run(
        isolated(
            Command::new(&venv_python)
                .args(["-m", "pip", "wheel", "--no-deps", "--no-index", "--no-cache-dir", "-w"])
                .arg(&dist)
                .arg(repo.join("bindings/python"))
                .env("OPINIO_PREBUILT_LIB", &lib)
                .current_dir(&work),
        ),
        "pip wheel bindings/python",
    );
    let wheels: Vec<_> = std::fs::read_dir(&dist)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "whl"))
        .collect();
    assert_eq!(wheels.len(), 1, "expected one wheel in {}: {wheels:?}", dist.display());
    let wheel = &wheels[0];
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("opinio-"), "{name}");
    assert!(!name.ends_with("-none-any.whl"), "{name}: the wheel carries native code, it must name its platform");
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        assert!(name.ends_with("-py3-none-linux_x86_64.whl"), "{name}");
    }

    ffi_support::run(
        isolated(
            Command::new(&venv_python)
                .args(["-m", "pip", "install", "--no-deps", "--no-index", "--no-cache-dir"])
                .arg(wheel)
                .current_dir(&work),
        ),
        "pip install the wheel",
    );
    let installed = platlib(&venv_python).join("opinio/libopinio.so");
    assert!(installed.is_file(), "{} is missing after pip install", installed.display());
    let installed = installed.canonicalize().unwrap();

    // What the README promises: in any virtualenv, no environment variable.
    let out = ffi_support::run(
        isolated(
            Command::new(&venv_python)
                .args([
                    "-c",
                    "import opinio; m = opinio.Model('models/restaurants'); \
                     print(opinio._LIB._name); \
                     print(m.analyze('The pasta was great.')['documents'][0]['segments'][0]['tags'][0]['class'])",
                ])
                .current_dir(repo),
        ),
        "import opinio from the virtualenv",
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    let mut lines = printed.lines();
    let loaded = lines.next().map(|l| Path::new(l).canonicalize().unwrap());
    assert_eq!(loaded.as_deref(), Some(installed.as_path()), "loaded another library:\n{printed}");
    assert_eq!(lines.next(), Some("food"), "{printed}");

    // The binding's tests, from outside bindings/python, against the installed package.
    let out = isolated(
        Command::new(&venv_python)
            .args(["-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"])
            .arg(repo.join("bindings/python/tests"))
            .env("OPINIO_TEST_INSTALLED", "1")
            .current_dir(&work),
    )
    .output()
    .expect("run pytest in the virtualenv");
    let text = report(&out);
    assert!(out.status.success(), "the Python binding's tests failed in the virtualenv:\n{text}");
    assert!(text.contains(" passed"), "pytest ran no tests:\n{text}");
    eprintln!("{text}");
}

/// The virtualenv's site-packages for native code, where the wheel goes.
fn platlib(python: &Path) -> std::path::PathBuf {
    let out = ffi_support::run(
        isolated(Command::new(python).args(["-c", "import sysconfig; print(sysconfig.get_path('platlib'))"])),
        "python -c sysconfig.get_path('platlib')",
    );
    std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}
