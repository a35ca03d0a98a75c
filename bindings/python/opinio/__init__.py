"""opinio for Python: segmentation and analysis in-process, over opinio's C ABI.

    import opinio
    with opinio.Model("models/restaurants-zero-shot") as model:
        print(model.analyze(["The pasta was great.", "Our waiter was rude."]))

Inputs and outputs are the Studio's JSON shapes as plain dicts and lists. Every failure
raises OpinioError with the library's status code and message.
"""

import json
import os
import threading

from . import _lib

__all__ = [
    "Cancelled",
    "Extractor",
    "Model",
    "OpinioError",
    "preview",
    "segment",
    "train_zero_shot",
    "version",
]

_LIB = _lib.load()

# The status codes of include/opinio.h, by number.
STATUS_NAMES = {
    0: "OK",
    100: "INVALID_ARGUMENT",
    101: "IO",
    102: "INVALID_UTF8",
    103: "MALFORMED",
    104: "UNSUPPORTED",
    105: "LIMIT_EXCEEDED",
    106: "CANCELLED",
    107: "INTERNAL",
    200: "NULL_ARGUMENT",
    201: "INVALID_UTF8_ARGUMENT",
    202: "PANIC",
}
CANCELLED = 106


class OpinioError(Exception):
    """A call into opinio failed: `code` is the status (see STATUS_NAMES), `name` its
    name, `message` the library's message."""

    def __init__(self, code, message):
        self.code = code
        self.name = STATUS_NAMES.get(code, "UNKNOWN")
        self.message = message
        super().__init__("%s (%s %d)" % (message, self.name.lower(), code))


class Cancelled(OpinioError):
    """A batch was cancelled by its progress callback."""


def _error(code):
    # The message is thread-local in the library and ctypes calls run on this thread.
    message = (_LIB.opinio_last_error() or b"").decode("utf-8", "replace")
    cls = Cancelled if code == CANCELLED else OpinioError
    return cls(code, message)


def _check(code):
    if code != 0:
        raise _error(code)


def _encode(text):
    return os.fspath(text).encode("utf-8")


def _call_json(fn, *args):
    """Calls an export whose last argument is `char **out_json`; returns the parsed JSON."""
    out = _lib.ctypes.c_void_p()
    _check(fn(*args, _lib.ctypes.byref(out)))
    try:
        return json.loads(_lib.ctypes.string_at(out.value).decode("utf-8"))
    finally:
        _LIB.opinio_string_free(out)


def _documents(texts_or_docs):
    """Documents as the Studio's request wants them: strings become {"text": ...}, dicts
    are passed as they are; a single string is one document."""
    if isinstance(texts_or_docs, (str, dict)):
        texts_or_docs = [texts_or_docs]
    docs = []
    for item in texts_or_docs:
        if isinstance(item, str):
            docs.append({"text": item})
        elif isinstance(item, dict):
            docs.append(item)
        else:
            raise TypeError("documents must be strings or dicts with a \"text\", not %s" % type(item).__name__)
    return docs


def version():
    """The library's version, e.g. "0.1.0"."""
    return _LIB.opinio_version().decode("ascii")


def segment(texts_or_docs, lang=None):
    """Splits documents into sentences.

    `texts_or_docs` is a string, or a list of strings or dicts ({"text", "id", ...}).
    `lang` is "en", "de" or "ar"; None detects each document's language. Returns the
    documents (ids kept), each with "segments": [{"text", "span": [start, end]}], spans
    in code points, so `doc["text"][start:end] == segment["text"]`.
    """
    request = {"documents": _documents(texts_or_docs), "lang": lang}
    return _call_json(_LIB.opinio_segment, _encode(json.dumps(request)))["documents"]


def preview(path):
    """The Studio's upload preview of a file: {"id", "preview": [[header...], [row...]]}."""
    return _call_json(_LIB.opinio_preview, _encode(path))


def train_zero_shot(out, classes, type="ABSA", lang="en", name=None, labels=None, base=None):
    """Builds a zero-shot model folder at `out` from class definitions and returns its
    metadata; load it with Model(out).

    `classes` is a path (the class list as JSON, or a CSV with name, description, example)
    or a list of names or {"name", "description", "example"} dicts. `labels` are for
    CLASSLABEL models; `base` is an encoder folder (default: the shipped one).
    """
    options = {"type": type, "lang": lang, "out": os.fspath(out)}
    options["classes"] = os.fspath(classes) if isinstance(classes, (str, os.PathLike)) else list(classes)
    for key, value in (("name", name), ("labels", labels), ("base", base)):
        if value is not None:
            options[key] = os.fspath(value) if key == "base" else value
    return _call_json(_LIB.opinio_train_zero_shot, _encode(json.dumps(options)))


def train(out, train, type="ABSA", test=None, column_mapping=None, header_first=True, lang="en",
          name=None, base=None, epochs=None, seed=None, progress=None):
    """Fine-tunes a model on labeled data (the encoder with per-class heads, on the CPU),
    writes its folder at `out` and returns its metadata with "score" and "metrics"; load it
    with Model(out).

    `train` and `test` are labeled files: the Studio's labeled documents (JSON/JSONL), or
    CSV/TXT/JSON/JSONL/XLSX rows read through `column_mapping` ({"text": ..., "aspect" or
    "class": ..., "label": ...}). Without `test`, 10% of `train` is held out for the score.
    `progress(percent, step)` is called after every step; returning False cancels
    (raising Cancelled), and an exception it raises cancels and is re-raised.
    """
    options = {"type": type, "train": os.fspath(train), "out": os.fspath(out), "lang": lang,
               "header_first": bool(header_first)}
    for key, value in (("test", test), ("base", base)):
        if value is not None:
            options[key] = os.fspath(value)
    for key, value in (("column_mapping", column_mapping), ("name", name), ("epochs", epochs), ("seed", seed)):
        if value is not None:
            options[key] = value
    return _with_progress(progress, lambda callback: _call_json(
        _LIB.opinio_train, _encode(json.dumps(options)), callback, None))


def _with_progress(progress, call):
    """Runs `call(callback)` with a C progress callback around `progress(percent, done)`:
    False from it cancels, and an exception from it cancels and is re-raised here."""
    raised = []

    def report(percent, done, _user_data):
        if progress is None:
            return 0
        try:
            return 1 if progress(percent, done) is False else 0
        except BaseException as e:  # re-raised below, after the library has stopped
            raised.append(e)
            return 1

    callback = _lib.PROGRESS_FN(report)
    try:
        return call(callback)
    except Cancelled:
        if raised:
            raise raised[0]
        raise


class _Handle:
    """A library handle shared between threads: loaded by `load`, released by `free` once
    no call is running on it any more (close(), the context manager, or garbage
    collection). Methods raise ValueError once it is closed."""

    def __init__(self, path, load, free):
        handle = _lib.ctypes.c_void_p()
        _check(load(_encode(path), _lib.ctypes.byref(handle)))
        self._free = free
        self._handle = handle.value
        self._busy = 0
        self._idle = threading.Condition()
        self.path = os.fspath(path)

    def _enter(self):
        with self._idle:
            if self._handle is None:
                raise ValueError("model %r is closed" % self.path)
            self._busy += 1
            return self._handle

    def _leave(self):
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def _call(self, fn, *args):
        handle = self._enter()
        try:
            return _call_json(fn, handle, *args)
        finally:
            self._leave()

    def close(self):
        """Releases the handle, after any call still running on another thread."""
        idle = getattr(self, "_idle", None)
        if idle is None:
            return
        with idle:
            while self._busy:
                idle.wait()
            handle, self._handle = self._handle, None
        if handle is not None:
            self._free(handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def __repr__(self):
        state = "closed" if self._handle is None else "open"
        return "<opinio.%s %r (%s)>" % (type(self).__name__, self.path, state)


class Model(_Handle):
    """A model folder, loaded once and shareable between threads.

    Use it as a context manager or call close(); close() waits for calls running on other
    threads to finish first. Methods raise ValueError once the model is closed.
    """

    def __init__(self, path, precision=None):
        """Loads the model folder `path`. `precision`: "fp32" or "int8", the arithmetic of
        the encoder's dense layers (default: the model's own setting, else fp32; int8 is
        about twice as fast, within about 0.01 F1)."""
        if precision is None:
            load = _LIB.opinio_model_load
        else:
            options = _encode(json.dumps({"precision": precision}))
            load = lambda path, out: _LIB.opinio_model_load_with(path, options, out)  # noqa: E731
        super().__init__(path, load, _LIB.opinio_model_free)

    @property
    def meta(self):
        """The model's metadata: name, type, language, classes, labels, ..."""
        return self._call(_LIB.opinio_model_meta)

    def analyze(self, docs, split=True):
        """Analyses documents (strings or dicts) and returns the Studio's ad-hoc response:
        {"model", "type", "documents": [...]}, each segment with its "tags". With
        split=False each document is one segment."""
        request = {"documents": _documents(docs), "split": bool(split)}
        return self._call(_LIB.opinio_analyze, _encode(json.dumps(request)))

    def sample(self, docs, size):
        """The `size` documents (strings or dicts) a correction session should show, the
        most doubtful kind first: {"documents": [...], "predicted_score": S}."""
        request = {"documents": _documents(docs), "size": int(size)}
        return self._call(_LIB.opinio_sample, _encode(json.dumps(request)))

    def analyze_file(self, path, split=True, progress=None, column=None, column_name=None,
                     header_first=False, meta=False, chunk_size=None):
        """Analyses every document of a CSV, TXT, JSON, JSONL or XLSX file.

        `progress(percent, done)` is called before the first chunk and after each one;
        returning False cancels the batch (raising Cancelled), and an exception raised by
        the callback cancels it and is re-raised. Returns {"model", "type", "documents"},
        plus "errors" when some records could not be read.
        """
        options = {"split": bool(split), "header_first": bool(header_first), "meta": bool(meta)}
        for key, value in (("column", column), ("column_name", column_name), ("chunk_size", chunk_size)):
            if value is not None:
                options[key] = value
        return _with_progress(progress, lambda callback: self._call(
            _LIB.opinio_analyze_batch, _encode(path), _encode(json.dumps(options)), callback, None))



class Extractor(_Handle):
    """An extraction model folder (e.g. "models/invoices"), loaded once and shareable
    between threads; a context manager like Model."""

    def __init__(self, path):
        super().__init__(path, _LIB.opinio_extractor_load, _LIB.opinio_extractor_free)

    def extract_file(self, path, annotated_pages=False):
        """Fields of a PDF, an image or a NAME.words.json file: the Studio's extraction
        response, {"model", "all_required_fields_found", ..., "documents": [...]}."""
        options = _encode(json.dumps({"annotated_pages": bool(annotated_pages)}))
        return self._call(_LIB.opinio_extract_file, _encode(path), options)

    def extract_bytes(self, name, data, annotated_pages=False):
        """As extract_file, for a file held in memory; `name` names the document (and tells
        a *.words.json file from the rest, which are recognised by content)."""
        data = bytes(data)
        options = _encode(json.dumps({"annotated_pages": bool(annotated_pages)}))
        return self._call(_LIB.opinio_extract_bytes, _encode(name), data, len(data), options)
