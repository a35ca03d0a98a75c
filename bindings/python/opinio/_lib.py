"""Finding and loading libopinio, and declaring the C functions with ctypes.

ctypes needs no compiler at install time; the price is that every signature is written
out here by hand, so a mismatch with include/opinio.h would go unnoticed by the compiler.
The tests call every declared function, and the header check in the Rust tests keeps the
header honest; keep this file in step with include/opinio.h.
"""

import ctypes
import ctypes.util
import os
from pathlib import Path

# The callback of opinio_analyze_batch: (percent, done, user_data) -> non-zero to cancel.
PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_double, ctypes.c_uint64, ctypes.c_void_p)

_STATUS = ctypes.c_int32
_OUT = ctypes.POINTER(ctypes.c_void_p)  # char ** / OpinioModel **, kept as raw pointers
_STR = ctypes.c_char_p

# name: (restype, argtypes)
_SIGNATURES = {
    "opinio_version": (ctypes.c_char_p, []),
    "opinio_last_error": (ctypes.c_char_p, []),
    "opinio_string_free": (None, [ctypes.c_void_p]),
    "opinio_segment": (_STATUS, [_STR, _OUT]),
    "opinio_model_load": (_STATUS, [_STR, _OUT]),
    "opinio_model_load_with": (_STATUS, [_STR, _STR, _OUT]),
    "opinio_model_free": (None, [ctypes.c_void_p]),
    "opinio_model_meta": (_STATUS, [ctypes.c_void_p, _OUT]),
    "opinio_analyze": (_STATUS, [ctypes.c_void_p, _STR, _OUT]),
    "opinio_analyze_batch": (
        _STATUS,
        [ctypes.c_void_p, _STR, _STR, PROGRESS_FN, ctypes.c_void_p, _OUT],
    ),
    "opinio_preview": (_STATUS, [_STR, _OUT]),
    "opinio_train_zero_shot": (_STATUS, [_STR, _OUT]),
    "opinio_train": (_STATUS, [_STR, PROGRESS_FN, ctypes.c_void_p, _OUT]),
    "opinio_sample": (_STATUS, [ctypes.c_void_p, _STR, _OUT]),
    "opinio_extractor_load": (_STATUS, [_STR, _OUT]),
    "opinio_extractor_free": (None, [ctypes.c_void_p]),
    "opinio_extract_file": (_STATUS, [ctypes.c_void_p, _STR, _STR, _OUT]),
    "opinio_extract_bytes": (
        _STATUS,
        [ctypes.c_void_p, _STR, ctypes.c_char_p, ctypes.c_size_t, _STR, _OUT],
    ),
}


def _candidates():
    """Where libopinio may be, in order: $OPINIO_LIB (a file or a folder; when set, nothing
    else is tried), the copy installed with this package (the wheel puts it next to this
    file), this repository's release build (a checkout or an editable install), then the
    system's library path."""
    env = os.environ.get("OPINIO_LIB")
    if env:
        path = Path(env)
        yield path / "libopinio.so" if path.is_dir() else path
        return
    here = Path(__file__).resolve().parent
    yield here / "libopinio.so"
    repo = here.parents[2]
    if (repo / "Cargo.toml").is_file():
        yield repo / "target" / "release" / "libopinio.so"
    found = ctypes.util.find_library("opinio")
    if found:
        yield Path(found)


def load():
    """Loads libopinio and declares its functions; OSError says where it looked."""
    tried = []
    for path in _candidates():
        tried.append(str(path))
        if path.is_absolute() and not path.exists():
            continue
        try:
            lib = ctypes.CDLL(str(path))
        except OSError as e:
            tried[-1] += " (%s)" % e
            continue
        for name, (restype, argtypes) in _SIGNATURES.items():
            fn = getattr(lib, name)
            fn.restype = restype
            fn.argtypes = argtypes
        return lib
    raise OSError(
        "libopinio not found (tried: %s); install the wheel (pip install ./bindings/python), "
        "build it with `cargo build --release`, or set OPINIO_LIB to the library's path"
        % ", ".join(tried or ["nothing"])
    )
