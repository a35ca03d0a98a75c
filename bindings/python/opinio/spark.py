"""opinio on Apache Spark: pandas UDFs that analyse and extract over Arrow batches.

    from opinio.spark import analyze_udf, extract_udf

    df = spark.read.json("reviews.jsonl")
    df = df.withColumn("analysis", analyze_udf("models/restaurants")("text"))
    df.select("id", "analysis.text", "analysis.tags").show()

    files = spark.read.format("binaryFile").load("scans/*.pdf")
    fields = files.withColumn("fields", extract_udf("models/invoices")("content", "path"))

Each Python worker process loads a model folder once, on its first batch, and keeps it for
every later batch and task (Spark reuses its Python workers); each Arrow batch is one call into
the library. Results are Spark structs, not JSON strings: `analysis_type()` and
`extraction_type()` give their schemas.

A row that cannot be processed does not fail the job: its analysis is null (with
`with_errors=True`, a struct whose `error` says why), its extraction has `error` set and the
other fields null.

The model folder reaches the executors either at a path they all see (a shared filesystem, or
local mode) or shipped with the job: `spark.sparkContext.addFile("models", recursive=True)` or
`spark-submit --archives models.tar.gz#models`. A relative `model_dir` is looked up, on each
worker, in its working folder, at the driver's absolute path, then under `SparkFiles`.
The executors need the `opinio` package itself installed (the wheel carries libopinio).

pyspark, pandas and pyarrow are imported only when a UDF is made (`pip install opinio[spark]`).
"""

import os
import threading

__all__ = ["analyze_udf", "extract_udf", "analysis_type", "extraction_type", "segments_of", "fields_of"]

# The loaded models of this process: (kind, folder) -> Model or Extractor. A Spark Python
# worker keeps this module, so a folder is loaded once per worker, not per batch or row.
_LOADED = {}
# How many times each (kind, folder) was loaded in this process (the tests read it).
_LOADS = {}
_LOCK = threading.Lock()

# Documents per call into the library: bounds the JSON built per call; an Arrow batch
# (spark.sql.execution.arrow.maxRecordsPerBatch, 10,000 by default) takes a few calls.
CHUNK = 512


def analysis_type():
    """The Spark type of an analysis: an array of segments (`text`, `span` as [start, end) in
    code points, `tags` with `class`, `label` and `confidence`; a field the model type lacks
    is null)."""
    from pyspark.sql import types as T

    tag = T.StructType([
        T.StructField("class", T.StringType()),
        T.StructField("label", T.StringType()),
        T.StructField("confidence", T.DoubleType()),
    ])
    segment = T.StructType([
        T.StructField("text", T.StringType()),
        T.StructField("span", T.ArrayType(T.IntegerType(), containsNull=False)),
        T.StructField("tags", T.ArrayType(tag)),
    ])
    return T.ArrayType(segment)


def extraction_type():
    """The Spark type of one file's extraction: the Studio's extraction document (`name`, the
    three flags, `credits_used`, `matches`, `bboxes`, `hitl`) plus `error`, null unless the
    file could not be read (then every other field but `name` is null)."""
    from pyspark.sql import types as T

    match = T.StructType([
        T.StructField("label", T.StringType()),
        T.StructField("value", T.StringType()),
        T.StructField("text", T.StringType()),
        T.StructField("confidence", T.DoubleType()),
        T.StructField("page", T.IntegerType()),
        T.StructField("required", T.BooleanType()),
        T.StructField("threshold_met", T.BooleanType()),
        T.StructField("conversion_passed", T.BooleanType()),
    ])
    corners = ["TLx", "TLy", "TRx", "TRy", "BRx", "BRy", "BLx", "BLy"]
    word_box = T.StructType(
        [T.StructField(c, T.DoubleType()) for c in corners]
        + [
            T.StructField("text", T.StringType()),
            T.StructField("label", T.StringType()),
            T.StructField("confidence", T.DoubleType()),
        ]
    )
    confidence = T.StructType([
        T.StructField("label", T.StringType()),
        T.StructField("value", T.StringType()),
        T.StructField("expected_confidence", T.DoubleType()),
        T.StructField("found", T.DoubleType()),
    ])
    hitl = T.StructType([
        T.StructField("status", T.StringType()),
        T.StructField("result", T.ArrayType(T.StructType([
            T.StructField("confidences", T.ArrayType(confidence)),
        ]))),
    ])
    return T.StructType([
        T.StructField("name", T.StringType()),
        T.StructField("all_required_fields_found", T.BooleanType()),
        T.StructField("all_confidence_thresholds_met", T.BooleanType()),
        T.StructField("all_data_conversion_passed", T.BooleanType()),
        T.StructField("credits_used", T.IntegerType()),
        T.StructField("matches", T.ArrayType(match)),
        T.StructField("bboxes", T.ArrayType(T.ArrayType(T.ArrayType(word_box)))),
        T.StructField("hitl", hitl),
        T.StructField("error", T.StringType()),
    ])


_EXTRACTION_FIELDS = [
    "name", "all_required_fields_found", "all_confidence_thresholds_met",
    "all_data_conversion_passed", "credits_used", "matches", "bboxes", "hitl",
]


def segments_of(document):
    """One analysed document of the ad-hoc response as `analysis_type()` holds it: a list of
    {"text", "span", "tags": [{"class", "label", "confidence"}]}."""
    return [
        {
            "text": s["text"],
            "span": list(s["span"]),
            "tags": [{"class": t.get("class"), "label": t.get("label"), "confidence": t.get("confidence")}
                     for t in s.get("tags", [])],
        }
        for s in document["segments"]
    ]


def fields_of(document):
    """One document of the extraction response as `extraction_type()` holds it."""
    out = {key: document.get(key) for key in _EXTRACTION_FIELDS}
    out["error"] = None
    return out


def _resolve(model_dir, driver_abs):
    """The model folder on this worker: as given (relative to the working folder, where
    `--files`/`--archives` land on a cluster), at the driver's absolute path (local mode, a
    shared filesystem), else under SparkFiles' root (sparkContext.addFile)."""
    candidates = [model_dir, driver_abs]
    try:
        from pyspark import SparkFiles

        root = SparkFiles.getRootDirectory()
    except Exception:  # not in a Spark worker, or SparkFiles not set up
        root = None
    if root:
        candidates += [os.path.join(root, model_dir), os.path.join(root, os.path.basename(model_dir.rstrip("/")))]
    for c in candidates:
        if c and os.path.isdir(c):
            return os.path.abspath(c)
    return model_dir  # the load fails, naming it


def _load(kind, model_dir, driver_abs):
    """The Model or Extractor for a folder, loaded at most once per process."""
    path = _resolve(model_dir, driver_abs)
    key = (kind, path)
    with _LOCK:
        handle = _LOADED.get(key)
        if handle is None:
            import opinio

            # A models folder shipped whole to an executor finds its shared encoder and OCR
            # models next to the model, unless OPINIO_MODELS says otherwise.
            parent = os.path.dirname(path)
            if not os.environ.get("OPINIO_MODELS") and any(
                os.path.isdir(os.path.join(parent, m)) for m in ("all-MiniLM-L6-v2", "pp-ocrv5")
            ):
                os.environ["OPINIO_MODELS"] = parent
            handle = (opinio.Model if kind == "analyze" else opinio.Extractor)(path)
            _LOADED[key] = handle
            _LOADS[key] = _LOADS.get(key, 0) + 1
        return handle


def _is_null(value):
    """None, or the NaN pandas may use for a missing string."""
    return value is None or (isinstance(value, float) and value != value)


def _driver_path(model_dir):
    model_dir = os.fspath(model_dir)
    return model_dir, os.path.abspath(model_dir) if os.path.isdir(model_dir) else None


def _analyze_texts(model, texts, split):
    """(segments or None, error or None) for each text; one library call per CHUNK texts,
    and row by row only for a chunk the library refuses, so one bad row stays in its row."""
    from opinio import OpinioError

    results = [
        (None, "text is null") if _is_null(t) else (None, "text is a %s, not a string" % type(t).__name__)
        for t in texts
    ]
    rows = [i for i, t in enumerate(texts) if isinstance(t, str)]
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        try:
            docs = model.analyze([texts[i] for i in chunk], split=split)["documents"]
            for i, doc in zip(chunk, docs):
                results[i] = (segments_of(doc), None)
        except OpinioError:
            for i in chunk:
                try:
                    doc = model.analyze([texts[i]], split=split)["documents"][0]
                    results[i] = (segments_of(doc), None)
                except OpinioError as e:
                    results[i] = (None, str(e))
    return results


def analyze_udf(model_dir, split=True, with_errors=False):
    """A pandas UDF analysing a string column with the model folder `model_dir`:

        df.withColumn("analysis", analyze_udf("models/restaurants")("text"))

    Each row's analysis is an array of segments (`analysis_type()`), the same as
    `opinio.Model(model_dir).analyze(text, split=split)` gives for that text; with
    split=False each text is one segment. A null text gives null. With `with_errors=True`
    each row is instead a struct {"segments": <the array>, "error": <why segments is null>}.
    """
    import pandas as pd
    from pyspark.sql import types as T
    from pyspark.sql.functions import pandas_udf

    model_dir, driver_abs = _driver_path(model_dir)
    split = bool(split)
    if with_errors:
        schema = T.StructType([T.StructField("segments", analysis_type()), T.StructField("error", T.StringType())])

        @pandas_udf(schema)
        def analyze_with_errors(texts: pd.Series) -> pd.DataFrame:
            model = _load("analyze", model_dir, driver_abs)
            results = _analyze_texts(model, texts.tolist(), split)
            return pd.DataFrame({"segments": [r[0] for r in results], "error": [r[1] for r in results]})

        return analyze_with_errors

    @pandas_udf(analysis_type())
    def analyze(texts: pd.Series) -> pd.Series:
        model = _load("analyze", model_dir, driver_abs)
        return pd.Series([r[0] for r in _analyze_texts(model, texts.tolist(), split)], dtype=object)

    return analyze


def extract_udf(model_dir):
    """A pandas UDF extracting fields from files held in a binary column, with the extraction
    model folder `model_dir`, called with the bytes and the file names:

        files = spark.read.format("binaryFile").load("scans/*.pdf")
        files.withColumn("fields", extract_udf("models/invoices")("content", "path"))

    The name tells a `NAME.words.json` file from the rest (PDF and images are recognised by
    their content) and names the result; a path keeps its last component. Each row is a struct
    (`extraction_type()`): the document `opinio.Extractor(model_dir).extract_bytes(name, data)`
    gives, with `error` null; for a file that cannot be read, `error` says why and the other
    fields but `name` are null.
    """
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    model_dir, driver_abs = _driver_path(model_dir)
    columns = [f.name for f in extraction_type().fields]

    @pandas_udf(extraction_type())
    def extract(data: pd.Series, names: pd.Series) -> pd.DataFrame:
        from opinio import OpinioError

        extractor = _load("extract", model_dir, driver_abs)
        rows = []
        for content, name in zip(data.tolist(), names.tolist()):
            name = os.path.basename(name.rstrip("/")) if isinstance(name, str) else None
            empty = dict.fromkeys(columns)
            empty["name"] = name
            if _is_null(content) or name is None:
                empty["error"] = "the file's %s is null" % ("content" if _is_null(content) else "name")
                rows.append(empty)
                continue
            try:
                doc = extractor.extract_bytes(name, content)["documents"][0]
                rows.append(fields_of(doc))
            except OpinioError as e:
                empty["error"] = str(e)
                rows.append(empty)
        return pd.DataFrame(rows, columns=columns)

    return extract
