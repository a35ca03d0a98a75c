"""The PEP 517 build backend of the `opinio` Python package: a wheel that carries libopinio.

`pip install ./bindings/python` and `python -m build bindings/python` call this module (in-tree,
`backend-path` in pyproject.toml). It needs nothing but the standard library, so a build never
downloads a build dependency and works offline; pip and build install nothing for it.

The wheel holds the pure-Python package `opinio/` and `opinio/libopinio.so`, the C library the
package loads with ctypes, and is tagged for this platform only (`py3-none-linux_x86_64`): the
Python code works on any Python 3, the library on this OS and CPU.

Where the library comes from, first that applies:

- `OPINIO_PREBUILT_LIB=/path/to/libopinio.so`: that file, copied as it is; no Cargo. CI points it
  at the release build it already has, so the library is not compiled a second time.
- Otherwise `cargo build --release --lib` in the opinio checkout (found above this folder, or
  `OPINIO_SOURCE_DIR`), then `<target dir>/release/libopinio.so`. The target folder is Cargo's
  own choice (`CARGO_TARGET_DIR`, `.cargo/config`, else `target/`), read from `cargo metadata`,
  so a release build already made is reused as it is. `OPINIO_CARGO_ARGS` adds arguments
  (`--features tesseract`); `CARGO` names the cargo to run.

An editable install (`pip install -e`) installs a path to this folder instead; the package then
loads the checkout's `target/release/libopinio.so` (or `OPINIO_LIB`).
"""

import base64
import hashlib
import io
import os
import shlex
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent  # bindings/python
PACKAGE = "opinio"
LIBRARY = "libopinio.so"
# A file in the sdist naming the checkout it was made from, so that a wheel built from the sdist
# (what `python -m build` does by default) still finds the Rust sources on the same machine.
SOURCE_HINT = "OPINIO_SOURCE"


def _project():
    """The [project] table of pyproject.toml."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11: pyproject.toml requires tomli there
        import tomli as tomllib
    with open(HERE / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def _dist_name(project):
    return "%s-%s" % (project["name"].replace("-", "_"), project["version"])


def _metadata(project):
    """Core metadata (METADATA / PKG-INFO) from [project]."""
    lines = [
        "Metadata-Version: 2.1",
        "Name: %s" % project["name"],
        "Version: %s" % project["version"],
        "Summary: %s" % project.get("description", ""),
    ]
    license = project.get("license", {})
    if isinstance(license, dict) and "text" in license:
        lines.append("License: %s" % license["text"])
    if "requires-python" in project:
        lines.append("Requires-Python: %s" % project["requires-python"])
    for dep in project.get("dependencies", []):
        lines.append("Requires-Dist: %s" % dep)
    for extra, deps in sorted(project.get("optional-dependencies", {}).items()):
        lines.append("Provides-Extra: %s" % extra)
        for dep in deps:
            marker = 'extra == "%s"' % extra
            if ";" in dep:
                req, existing = dep.split(";", 1)
                lines.append("Requires-Dist: %s; (%s) and %s" % (req.strip(), existing.strip(), marker))
            else:
                lines.append("Requires-Dist: %s; %s" % (dep, marker))
    readme = project.get("readme")
    body = ""
    if isinstance(readme, str) and (HERE / readme).is_file():
        lines.append("Description-Content-Type: text/markdown")
        body = "\n" + (HERE / readme).read_text(encoding="utf-8")
    return "\n".join(lines) + "\n" + body


def _platform_tag():
    """`linux_x86_64` and the like: the library is native code for this OS and CPU."""
    return sysconfig.get_platform().replace("-", "_").replace(".", "_")


def _wheel_file(tag):
    return "Wheel-Version: 1.0\nGenerator: opinio_build\nRoot-Is-Purelib: false\nTag: %s\n" % tag


def _source_dir():
    """The opinio checkout: $OPINIO_SOURCE_DIR, a folder above this one holding opinio's
    Cargo.toml, or the checkout an sdist was made from."""
    env = os.environ.get("OPINIO_SOURCE_DIR")
    candidates = [Path(env)] if env else []
    candidates += list(HERE.parents)
    hint = HERE / SOURCE_HINT
    if hint.is_file():
        candidates.append(Path(hint.read_text(encoding="utf-8").strip()))
    for d in candidates:
        cargo = d / "Cargo.toml"
        if cargo.is_file() and 'name = "opinio"' in cargo.read_text(encoding="utf-8"):
            return d
    return None


def _clean_path():
    """PATH without the folders an isolated build environment puts in front (pip's
    `pip-build-env-*`, build's `build-env-*`): opinio's build script re-runs, and the library
    is compiled again, when PATH changes, so Cargo gets the PATH of the shell that ran pip, the
    one a release build already made most likely had."""
    parts = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(p for p in parts if "build-env-" not in p)


def _cargo_build():
    """Builds libopinio with Cargo and returns its path."""
    repo = _source_dir()
    if repo is None:
        raise RuntimeError(
            "opinio's Rust sources were not found above %s: build from an opinio checkout, set "
            "OPINIO_SOURCE_DIR to one, or set OPINIO_PREBUILT_LIB to a built libopinio.so" % HERE
        )
    cargo = os.environ.get("CARGO", "cargo")
    env = dict(os.environ, PATH=_clean_path())
    try:
        meta = subprocess.run(
            [cargo, "metadata", "--format-version", "1", "--no-deps", "--offline"],
            cwd=repo, env=env, check=True, stdout=subprocess.PIPE,
        )
    except (OSError, subprocess.CalledProcessError) as e:
        raise RuntimeError("cannot run `%s metadata` in %s (%s): is Rust installed?" % (cargo, repo, e))
    import json

    target = Path(json.loads(meta.stdout)["target_directory"])
    command = [cargo, "build", "--release", "--lib"] + shlex.split(os.environ.get("OPINIO_CARGO_ARGS", ""))
    print("opinio_build: %s (in %s)" % (" ".join(command), repo), file=sys.stderr, flush=True)
    # Cargo's output goes to stderr, which pip shows with -v and on failure.
    status = subprocess.run(command, cwd=repo, env=env, stdout=sys.stderr.fileno()).returncode
    if status != 0:
        raise RuntimeError("`%s` failed (exit %d)" % (" ".join(command), status))
    return target / "release" / LIBRARY


def _library():
    prebuilt = os.environ.get("OPINIO_PREBUILT_LIB")
    if prebuilt:
        lib = Path(prebuilt)
        if lib.is_dir():
            lib = lib / LIBRARY
        if not lib.is_file():
            raise RuntimeError("OPINIO_PREBUILT_LIB=%s: no such file" % prebuilt)
        print("opinio_build: using the prebuilt %s" % lib, file=sys.stderr, flush=True)
        return lib
    lib = _cargo_build()
    if not lib.is_file():
        raise RuntimeError("cargo build succeeded but %s is missing" % lib)
    return lib


def _package_files():
    """(path in the wheel, path here) of the Python package's files."""
    for path in sorted((HERE / PACKAGE).rglob("*")):
        rel = path.relative_to(HERE)
        if path.is_file() and "__pycache__" not in rel.parts and path.suffix not in (".pyc", ".so"):
            yield rel.as_posix(), path


class _Wheel:
    """A wheel being written: every file is hashed into RECORD."""

    def __init__(self, path):
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self.records = []

    def add(self, name, data=None, source=None, mode=0o644):
        if source is not None:
            data = Path(source).read_bytes()
        elif isinstance(data, str):
            data = data.encode("utf-8")
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = (0o100000 | mode) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zip.writestr(info, data, compresslevel=6)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
        self.records.append("%s,sha256=%s,%d" % (name, digest, len(data)))

    def close(self, dist_info):
        record = dist_info + "/RECORD"
        self.records.append(record + ",,")
        info = zipfile.ZipInfo(record, date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o100644 << 16
        self.zip.writestr(info, "\n".join(self.records) + "\n", compress_type=zipfile.ZIP_DEFLATED)
        self.zip.close()


def _write_dist_info(wheel, project, tag):
    dist_info = _dist_name(project) + ".dist-info"
    wheel.add(dist_info + "/METADATA", _metadata(project))
    wheel.add(dist_info + "/WHEEL", _wheel_file(tag))
    wheel.add(dist_info + "/top_level.txt", PACKAGE + "\n")
    return dist_info


# PEP 517 hooks.


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    project = _project()
    dist_info = Path(metadata_directory) / (_dist_name(project) + ".dist-info")
    dist_info.mkdir(parents=True, exist_ok=True)
    (dist_info / "METADATA").write_text(_metadata(project), encoding="utf-8")
    (dist_info / "WHEEL").write_text(_wheel_file("py3-none-" + _platform_tag()), encoding="utf-8")
    (dist_info / "top_level.txt").write_text(PACKAGE + "\n", encoding="utf-8")
    return dist_info.name


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _project()
    lib = _library()
    tag = "py3-none-" + _platform_tag()
    name = "%s-%s.whl" % (_dist_name(project), tag)
    wheel = _Wheel(Path(wheel_directory) / name)
    try:
        for arcname, path in _package_files():
            wheel.add(arcname, source=path)
        wheel.add("%s/%s" % (PACKAGE, LIBRARY), source=lib, mode=0o755)
        dist_info = _write_dist_info(wheel, project, tag)
    except BaseException:
        wheel.zip.close()
        os.unlink(Path(wheel_directory) / name)
        raise
    wheel.close(dist_info)
    return name


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """A wheel holding only a .pth file that puts this folder on sys.path."""
    project = _project()
    tag = "py3-none-any"
    name = "%s-%s.whl" % (_dist_name(project), tag)
    wheel = _Wheel(Path(wheel_directory) / name)
    wheel.add("_opinio_editable.pth", str(HERE) + "\n")
    wheel.close(_write_dist_info(wheel, project, tag))
    return name


def build_sdist(sdist_directory, config_settings=None):
    """The Python sources (not the Rust ones, nor the models): a wheel built from it compiles
    the checkout it was made from (OPINIO_SOURCE), or takes OPINIO_SOURCE_DIR or
    OPINIO_PREBUILT_LIB."""
    project = _project()
    base = _dist_name(project)
    name = base + ".tar.gz"
    files = ["pyproject.toml", "README.md"]
    files += [rel for rel, _ in _package_files()]
    for folder in ("build_backend", "tests"):
        files += sorted(
            p.relative_to(HERE).as_posix()
            for p in (HERE / folder).rglob("*.py")
            if "__pycache__" not in p.parts
        )
    repo = _source_dir()
    with tarfile.open(Path(sdist_directory) / name, "w:gz", format=tarfile.PAX_FORMAT) as tar:

        def add_bytes(arcname, data):
            info = tarfile.TarInfo("%s/%s" % (base, arcname))
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 1577836800
            tar.addfile(info, io.BytesIO(data))

        for rel in files:
            if (HERE / rel).is_file():
                add_bytes(rel, (HERE / rel).read_bytes())
        add_bytes("PKG-INFO", _metadata(project).encode("utf-8"))
        if repo is not None:
            add_bytes(SOURCE_HINT, (str(repo) + "\n").encode("utf-8"))
    return name
