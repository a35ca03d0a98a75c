"""opinio.spark on PySpark in local mode (local[2]): the UDFs give what the plain Python API
gives, row for row; a bad row gets its error in its own row and the job goes on; a model is
loaded once per Python worker, not per batch.

Needs PySpark, pandas and pyarrow (`python3 -m pip install pyspark pandas pyarrow`) and a Java
runtime for Spark (`apt-get install openjdk-17-jre-headless`); skipped without the Python
packages (failed instead when OPINIO_REQUIRE_ALL=1, as in CI). About a minute on two cores, most of it starting Spark.
"""

import json
import os
import sys
from pathlib import Path

import pytest

INSTALL = "python3 -m pip install pyspark pandas pyarrow"
try:
    import pandas as pd
    import pyarrow  # noqa: F401  (pandas UDFs need it)
    import pyspark  # noqa: F401
except ImportError as e:
    why = "opinio.spark needs PySpark, pandas and pyarrow (%s): %s" % (e, INSTALL)
    if os.environ.get("OPINIO_REQUIRE_ALL", "0") not in ("", "0"):
        pytest.fail(why + " (OPINIO_REQUIRE_ALL is set: not skipping)", pytrace=False)
    pytest.skip(why, allow_module_level=True)

import opinio
import opinio.spark

# PySpark 4.0 warns that it does not fully support pandas 3 yet; what these tests use works.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")

REPO = Path(__file__).resolve().parents[3]
MODEL = str(REPO / "models" / "restaurants")
RECEIPTS = str(REPO / "models" / "receipts")
EXTRACT_FIXTURES = REPO / "tests" / "fixtures" / "extract"
ROWS = 2000
BATCH = 100  # rows per Arrow batch, so that each worker sees many batches


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # Spark's Python workers run this interpreter (the virtualenv the tests run in), and with
    # it the same opinio (conftest.py passes the checkout's on through PYTHONPATH).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("opinio-spark-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(BATCH))
        .config("spark.python.worker.reuse", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _texts():
    """The sample reviews and their sentences (short texts: Spark's overhead shows), repeated
    to ROWS rows, with a null and an empty text among them."""
    with open(REPO / "samples" / "reviews.jsonl", encoding="utf-8") as f:
        reviews = [json.loads(line)["text"] for line in f if line.strip()]
    sentences = [s["text"] for d in opinio.segment(reviews, lang="en") for s in d["segments"]]
    distinct = reviews + sentences + ["", "Café 😀 was great. Ünïcode spans count code points!"]
    texts = [distinct[i % len(distinct)] for i in range(ROWS)]
    texts[7] = None
    return texts, distinct


def _as_plain(value):
    """Spark Rows (nested in lists) as dicts and lists."""
    if hasattr(value, "asDict"):
        return {k: _as_plain(v) for k, v in value.asDict().items()}
    if isinstance(value, list):
        return [_as_plain(v) for v in value]
    return value


def _expected_segments(document):
    """The plain API's document as the Spark type holds it: every tag has the three fields."""
    return [
        {
            "text": s["text"],
            "span": s["span"],
            "tags": [{"class": t.get("class"), "label": t.get("label"), "confidence": t.get("confidence")}
                     for t in s["tags"]],
        }
        for s in document["segments"]
    ]


def test_analyze_udf_gives_the_python_api_results_and_loads_the_model_once_per_worker(spark):
    from pyspark.sql.functions import pandas_udf

    texts, distinct = _texts()
    with opinio.Model(MODEL) as model:
        answers = model.analyze([t for t in distinct], split=True)["documents"]
    expected = {t: _expected_segments(d) for t, d in zip(distinct, answers)}

    @pandas_udf("string")
    def loads_in_this_worker(analysis: pd.Series) -> pd.Series:
        # Runs after analyze_udf on each batch, in the same Python worker.
        import opinio.spark as s

        n = sum(count for (kind, _), count in s._LOADS.items() if kind == "analyze")
        return pd.Series(["%d:%d" % (os.getpid(), n)] * len(analysis))

    df = spark.createDataFrame(list(enumerate(texts)), "id int, text string").repartition(4)
    analyze = opinio.spark.analyze_udf(MODEL)
    out = df.withColumn("analysis", analyze("text")).withColumn("loads", loads_in_this_worker("analysis"))
    rows = sorted(out.collect(), key=lambda r: r.id)

    assert [r.text for r in rows] == texts
    for row in rows:
        if row.text is None:
            assert row.analysis is None
        else:
            assert _as_plain(row.analysis) == expected[row.text], row.text
    for row in rows:
        for seg in row.analysis or []:
            assert row.text[seg.span[0]:seg.span[1]] == seg.text
    workers = {r.loads.split(":")[0] for r in rows}
    assert {r.loads.split(":")[1] for r in rows} == {"1"}, "a worker loaded the model more than once"
    assert len(workers) < ROWS // BATCH, "each batch had a worker of its own: %s" % workers


def test_analyze_udf_without_split_and_with_errors(spark):
    texts = ["The pasta was great. The waiter was rude.", None, ""]
    df = spark.createDataFrame([(i, t) for i, t in enumerate(texts)], "id int, text string")
    whole = opinio.spark.analyze_udf(MODEL, split=False, with_errors=True)
    rows = sorted(df.withColumn("a", whole("text")).collect(), key=lambda r: r.id)
    with opinio.Model(MODEL) as model:
        first = model.analyze(texts[0], split=False)["documents"][0]
    assert _as_plain(rows[0].a.segments) == _expected_segments(first)
    assert len(rows[0].a.segments) == 1 and rows[0].a.error is None
    assert rows[1].a.segments is None and rows[1].a.error == "text is null"
    assert rows[2].a.segments == [] and rows[2].a.error is None


def test_a_model_folder_shipped_with_add_file_is_found_on_the_workers(spark, tmp_path):
    # A folder only SparkFiles has: not at the relative path the UDF is given, on the driver
    # or in the workers' working folder (the driver's, in local mode).
    shipped = tmp_path / "shipped-models"
    opinio.train_zero_shot(shipped / "rooms", ["cleanliness", "noise"], type="CLASS", name="Rooms")
    spark.sparkContext.addFile(str(shipped), recursive=True)
    assert not os.path.exists("shipped-models/rooms")
    texts = ["The bathroom was dirty.", "Quiet street, we slept well."]
    df = spark.createDataFrame([(i, t) for i, t in enumerate(texts)], "id int, text string")
    rows = sorted(df.withColumn("a", opinio.spark.analyze_udf("shipped-models/rooms")("text")).collect(),
                  key=lambda r: r.id)
    with opinio.Model(shipped / "rooms") as model:
        expected = [_expected_segments(d) for d in model.analyze(texts)["documents"]]
    assert [_as_plain(r.a) for r in rows] == expected


def test_analyze_udf_reports_a_missing_model_folder(spark):
    df = spark.createDataFrame([("Fine food.",)], "text string")
    with pytest.raises(Exception) as failed:
        df.withColumn("a", opinio.spark.analyze_udf("no/such/model")("text")).collect()
    assert "no/such/model" in str(failed.value)


def test_extract_udf_gives_the_python_api_fields_and_an_error_per_bad_file(spark):
    files = (
        spark.read.format("binaryFile")
        .option("pathGlobFilter", "*.words.json")
        .option("recursiveFileLookup", "true")
        .load(str(EXTRACT_FIXTURES))
        .select("content", "path")
    )
    bad = spark.createDataFrame(
        [(b"{", "bad.words.json"), (b"not a pdf at all", "file:/scans/garbage.pdf"), (None, "empty.png")],
        "content binary, path string",
    )
    df = files.union(bad).repartition(2)
    rows = df.withColumn("fields", opinio.spark.extract_udf(RECEIPTS)("content", "path")).collect()
    assert len(rows) == files.count() + 3 >= 5

    keys = ["name", "all_required_fields_found", "all_confidence_thresholds_met",
            "all_data_conversion_passed", "credits_used", "matches", "bboxes", "hitl"]
    with opinio.Extractor(RECEIPTS) as extractor:
        for row in rows:
            got = _as_plain(row.fields)
            name = row.path.rsplit("/", 1)[-1]
            assert got["name"] == name
            if row.content is None:
                assert got["error"] == "the file's content is null"
                continue
            try:
                doc = extractor.extract_bytes(name, row.content)["documents"][0]
            except opinio.OpinioError as e:
                assert got["error"] == str(e)
                assert all(got[k] is None for k in keys[1:])
                continue
            assert got == dict({k: doc[k] for k in keys}, error=None)
    by_name = {r.fields.name: r.fields for r in rows}
    assert [m.value for m in by_name["receipt.words.json"].matches if m.label == "total"] == ["25.50"]
    assert "parse" in by_name["bad.words.json"].error
    assert by_name["garbage.pdf"].error and by_name["garbage.pdf"].matches is None
