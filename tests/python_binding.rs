//! The Python binding's own tests (bindings/python/tests), run with pytest against the
//! freshly built libopinio.so. Without pytest (for `python3`, or `$OPINIO_PYTHON`) the test
//! is ignored with the command that installs it (build.rs looks for it); with
//! `OPINIO_REQUIRE_ALL=1` (.ci/run) it runs and fails, rather than passing without having run.

mod ffi_support;

use std::process::Command;

#[test]
#[cfg_attr(
    not(opinio_has_pytest),
    ignore = "needs pytest for python3 (or $OPINIO_PYTHON): python3 -m pip install pytest"
)]
fn python_binding_tests_pass() {
    let lib = ffi_support::shared_library();
    let python = std::env::var("OPINIO_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = Command::new(&python).args(["-c", "import pytest"]).output();
    match probe {
        Err(e) => panic!(
            "`{python}` cannot be run ({e}); the Python binding's tests need Python 3 with pytest: \
             apt-get install python3 python3-pytest, or set OPINIO_PYTHON"
        ),
        Ok(out) if !out.status.success() => panic!(
            "pytest is not installed for `{python}`; install it with `pip install pytest` \
             (or apt-get install python3-pytest):\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Ok(_) => {}
    }
    let out = Command::new(&python)
        // The Spark tests (a minute, most of it starting Spark) run once, in the installed
        // package's virtualenv: tests/python_wheel.rs.
        .args(["-m", "pytest", "bindings/python/tests", "-q", "-p", "no:cacheprovider"])
        .arg("--ignore=bindings/python/tests/test_spark.py")
        .current_dir(ffi_support::repo())
        .env("OPINIO_LIB", &lib)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run pytest");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the Python binding's tests failed:\n{report}");
    assert!(report.contains(" passed"), "pytest ran no tests:\n{report}");
}
