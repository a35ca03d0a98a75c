#!/usr/bin/env python3
"""Analysis throughput on Apache Spark: opinio.spark.analyze_udf in local[1] and local[2]
against the plain Python API in one process, same rows, same machine.

    python3 -m pip install pyspark pandas pyarrow      # and a Java runtime for Spark
    cargo build --release
    python3 benches/peers/spark_rows.py [--rows 4000] [--model models/restaurants]

The rows are the repository's review text (benches/peers/common.py: the sample reviews and
the English segmentation fixtures), repeated to `--rows`. Printed, in rows/s:
  - the plain API: opinio.Model(...).analyze over the rows in chunks of 512, one process,
    the model loaded beforehand;
  - Spark local[N]: the job `df.withColumn("analysis", analyze_udf(model)("text"))` written to
    Spark's `noop` sink, after a warm-up job that starts the Python workers and loads the model
    in each (so the figure is the steady state; the first job's time is printed too).
The package is the installed one (`pip install ./bindings/python`) if there is one, else this
checkout's bindings/python with OPINIO_LIB or target/release/libopinio.so.
"""
import argparse
import os
import sys
import time

from common import ROOT, repo_documents

try:
    import opinio  # noqa: F401  (an installed wheel)
except ImportError:
    sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))


def plain(texts, model_dir):
    import opinio

    with opinio.Model(model_dir) as model:
        model.analyze(texts[:8])  # warm-up
        start = time.perf_counter()
        segments = 0
        for i in range(0, len(texts), 512):
            for doc in model.analyze(texts[i:i + 512])["documents"]:
                segments += len(doc["segments"])
        return time.perf_counter() - start, segments


def spark(texts, model_dir, cores, batch):
    from pyspark.sql import SparkSession

    import opinio.spark

    os.environ["PYSPARK_PYTHON"] = sys.executable
    # Workers import the same opinio as this process.
    import opinio

    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(opinio.__file__)))
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH")) if p)
    started = time.perf_counter()
    session = (
        SparkSession.builder.master("local[%d]" % cores)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(batch))
        .config("spark.python.worker.reuse", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    start_s = time.perf_counter() - started
    try:
        analyze = opinio.spark.analyze_udf(model_dir)
        partitions = cores * 4

        def run(rows):
            df = session.createDataFrame([(t,) for t in rows], "text string").repartition(partitions)
            df = df.withColumn("analysis", analyze("text"))
            t = time.perf_counter()
            df.write.format("noop").mode("overwrite").save()
            return time.perf_counter() - t

        first = run(texts[: partitions * 8])  # starts the workers, each loads the model
        return start_s, first, run(texts)
    finally:
        session.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--model", default=os.path.join(ROOT, "models", "restaurants"))
    parser.add_argument("--batch", type=int, default=1000, help="rows per Arrow batch")
    parser.add_argument("--cores", default="1,2", help="local[N] for each N listed")
    args = parser.parse_args()

    docs = repo_documents()
    texts = [docs[i % len(docs)] for i in range(args.rows)]
    size_mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"rows: {len(texts)} ({len(docs)} distinct texts, {size_mb:.2f} MB), model {args.model}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (other work on the machine skews the figures)")
    plain_s, segments = plain(texts, args.model)
    print(f"plain Python API, one process: {len(texts) / plain_s:8.1f} rows/s ({segments} segments, {plain_s:.2f} s)")
    for cores in [int(c) for c in args.cores.split(",")]:
        start_s, first_s, run_s = spark(texts, args.model, cores, args.batch)
        print(
            f"Spark local[{cores}], analyze_udf:   {len(texts) / run_s:8.1f} rows/s ({run_s:.2f} s; "
            f"session start {start_s:.1f} s, warm-up job {first_s:.1f} s)"
        )


if __name__ == "__main__":
    sys.exit(main())
