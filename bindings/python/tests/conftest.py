"""Which `opinio` the tests import.

By default the checkout's package (bindings/python), loading the library from OPINIO_LIB or
the checkout's target/release: `python3 -m pytest bindings/python/tests` after
`cargo build --release`. With OPINIO_TEST_INSTALLED=1 the package installed in the running
Python, with the libopinio.so it carries (tests/python_wheel.rs installs the wheel into a fresh
virtualenv and runs these tests there).
"""

import os
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1]
INSTALLED = os.environ.get("OPINIO_TEST_INSTALLED") == "1"

if not INSTALLED:
    sys.path.insert(0, str(SOURCE))
    # Processes the tests start (Spark's Python workers) import the same package.
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SOURCE), os.environ.get("PYTHONPATH")) if p)
