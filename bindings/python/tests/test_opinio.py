"""The Python binding over the C ABI: run with `python3 -m pytest bindings/python/tests`
after `cargo build --release` (or with OPINIO_LIB pointing at libopinio.so); conftest.py says
which package is imported."""

import json
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import opinio

REPO = Path(__file__).resolve().parents[3]
SOURCE = REPO / "bindings" / "python"
INSTALLED = os.environ.get("OPINIO_TEST_INSTALLED") == "1"

MODEL = REPO / "models" / "restaurants-zero-shot"
REVIEWS = ["The pasta was excellent. Our waiter was rude and slow.", "Great prices!"]


@pytest.fixture(scope="module")
def model():
    with opinio.Model(MODEL) as m:
        yield m


def test_the_library_loaded_is_the_expected_one():
    package = Path(opinio.__file__).resolve().parent
    loaded = Path(opinio._LIB._name).resolve()
    if INSTALLED:
        # The wheel's own copy, from the installed package, whatever else is around.
        assert package != SOURCE / "opinio", "imported the checkout's package, not the installed one"
        assert loaded == package / "libopinio.so"
    elif os.environ.get("OPINIO_LIB"):
        wanted = Path(os.environ["OPINIO_LIB"])
        assert loaded == (wanted / "libopinio.so" if wanted.is_dir() else wanted).resolve()


def test_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", opinio.version())


def test_segment_strings_and_dicts():
    docs = opinio.segment(["Hello there. How are you?", {"id": 7, "text": "Fine, thanks."}])
    assert [s["text"] for s in docs[0]["segments"]] == ["Hello there.", "How are you?"]
    assert docs[1]["id"] == 7
    german = opinio.segment({"text": "Wir kamen am 3. Oktober an."}, lang="de")
    assert len(german[0]["segments"]) == 1
    text = "Café 😀 ist gut. Das Essen war toll!"
    for seg in opinio.segment(text, lang="de")[0]["segments"]:
        start, end = seg["span"]
        assert text[start:end] == seg["text"]


def test_errors_carry_code_and_message():
    with pytest.raises(opinio.OpinioError) as err:
        opinio.segment(["x"], lang="fr")
    assert err.value.code == 100
    assert err.value.name == "INVALID_ARGUMENT"
    assert '"fr"' in err.value.message
    with pytest.raises(opinio.OpinioError) as err:
        opinio.Model(REPO / "no-such-model")
    assert err.value.code == 100
    assert "no-such-model" in err.value.message
    with pytest.raises(TypeError):
        opinio.segment([3])


def test_analyze_returns_the_ad_hoc_response(model):
    out = model.analyze(REVIEWS, split=True)
    assert out["type"] == "ABSA"
    assert out["model"] == model.meta["display_name"]
    first = out["documents"][0]
    assert [s["text"] for s in first["segments"]] == ["The pasta was excellent.", "Our waiter was rude and slow."]
    labels = [t.get("label") for t in first["segments"][1]["tags"]]
    assert "NEG" in labels
    whole = model.analyze([{"id": "a", "text": REVIEWS[0]}], split=False)
    assert whole["documents"][0]["id"] == "a"
    assert len(whole["documents"][0]["segments"]) == 1


def test_int8_precision_loads_and_agrees_with_fp32(model):
    def tags(out):
        return [[(t.get("class"), t.get("label")) for t in s["tags"]] for d in out["documents"] for s in d["segments"]]

    with opinio.Model(MODEL, precision="int8") as fast:
        assert tags(fast.analyze(REVIEWS, split=True)) == tags(model.analyze(REVIEWS, split=True))
    with pytest.raises(opinio.OpinioError) as err:
        opinio.Model(MODEL, precision="int4")
    assert err.value.name == "MALFORMED"
    assert "int4" in err.value.message


def test_threads_share_one_model(model):
    expected = model.analyze(REVIEWS)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: model.analyze(REVIEWS), range(12)))
    assert all(a == expected for a in answers)


def _reviews(tmp_path, n):
    path = tmp_path / "reviews.jsonl"
    path.write_text("".join(json.dumps({"id": i, "text": "Review %d: lovely food." % i}) + "\n" for i in range(n)))
    return path


def test_analyze_file_reports_progress(model, tmp_path):
    seen = []
    out = model.analyze_file(_reviews(tmp_path, 5), progress=lambda p, d: seen.append((p, d)), chunk_size=2)
    assert len(out["documents"]) == 5
    assert seen == [(0.0, 0), (40.0, 2), (80.0, 4), (100.0, 5)]
    assert "errors" not in out


def test_analyze_file_cancels(model, tmp_path):
    path = _reviews(tmp_path, 6)
    with pytest.raises(opinio.Cancelled) as err:
        model.analyze_file(path, progress=lambda p, d: d < 2, chunk_size=2)
    assert err.value.code == 106
    assert "cancelled after 2" in err.value.message

    def boom(p, d):
        if d:
            raise KeyError("stop here")

    with pytest.raises(KeyError):
        model.analyze_file(path, progress=boom, chunk_size=2)
    with pytest.raises(opinio.OpinioError) as err:
        model.analyze_file(tmp_path / "x.pdf")
    assert err.value.name in ("UNSUPPORTED", "IO")


def test_preview():
    out = opinio.preview(REPO / "tests" / "fixtures" / "ingest" / "seed_preview.csv")
    assert out["preview"][0] == ["another_column", "document", "review_source"]


def test_close_and_context_manager():
    with opinio.Model(MODEL) as m:
        assert m.meta["type"] == "ABSA"
    with pytest.raises(ValueError):
        m.analyze(["x"])
    m.close()  # twice is fine
    assert "closed" in repr(m)


def test_train_zero_shot(tmp_path):
    meta = opinio.train_zero_shot(tmp_path / "rooms", ["cleanliness", {"name": "noise"}], type="CLASS", name="Rooms")
    assert meta["name"] == "Rooms"
    assert meta["classes"] == ["cleanliness", "noise"]
    with opinio.Model(tmp_path / "rooms") as m:
        assert m.analyze("The bathroom was dirty.")["type"] == "CLASS"


# Ten labeled reviews (a CSV with its own column names), small enough to train on in seconds.
LABELED = REPO / "tests" / "fixtures" / "labeled" / "reviews_absa.csv"
MAPPING = {"text": "review", "aspect": "aspect", "label": "sentiment"}


def test_train_fine_tunes_from_a_csv_with_a_column_mapping(tmp_path):
    steps = []
    meta = opinio.train(tmp_path / "mine", LABELED, type="ABSA", epochs=1, name="Mine", column_mapping=MAPPING,
                        progress=lambda percent, step: steps.append((percent, step)))
    assert meta["name"] == "Mine" and meta["classes"] == ["food", "service"]
    assert 0.0 <= meta["score"] <= 1.0 and "micro" in meta["metrics"]
    assert steps and steps[-1][0] == pytest.approx(100.0) and [s for _, s in steps] == list(range(1, len(steps) + 1))
    with opinio.Model(tmp_path / "mine") as m:
        assert m.meta["score"] == meta["score"]
        assert m.analyze("The soup was cold.")["type"] == "ABSA"


def test_train_cancels_and_reports_bad_input(tmp_path):
    with pytest.raises(opinio.Cancelled):
        opinio.train(tmp_path / "x", LABELED, column_mapping=MAPPING, progress=lambda p, s: False)
    assert not (tmp_path / "x").exists()
    with pytest.raises(opinio.OpinioError, match="nope"):
        opinio.train(tmp_path / "y", LABELED, column_mapping={"text": "nope", "aspect": 1, "label": 2})


def test_extractor_reads_a_words_file_from_a_path_and_from_bytes():
    receipt = REPO / "tests" / "fixtures" / "extract" / "receipt.words.json"
    with opinio.Extractor(REPO / "models" / "receipts") as extractor:
        by_path = extractor.extract_file(str(receipt))
        document = by_path["documents"][0]
        assert document["name"] == "receipt.words.json"
        totals = [m["value"] for m in document["matches"] if m["label"] == "total"]
        assert totals == ["25.50"]
        by_bytes = extractor.extract_bytes("receipt.words.json", receipt.read_bytes(), annotated_pages=True)
        assert by_bytes["documents"][0]["matches"] == document["matches"]
        assert len(by_bytes["documents"][0]["annotated_pages"]) == 1
        with pytest.raises(opinio.OpinioError) as missing:
            extractor.extract_file("/no/such/receipt.pdf")
        assert "receipt.pdf" in str(missing.value)
    with pytest.raises(ValueError):
        extractor.extract_file(str(receipt))


def test_sample_picks_the_requested_number_most_useful_first():
    docs = ["The pasta was great.", "Service?", "We waited an hour for a cold pizza.",
            "The room was loud but the staff were kind."]
    with opinio.Model(MODEL) as model:
        picked = model.sample(docs, 2)
        assert len(picked["documents"]) == 2
        assert 0.0 <= picked["predicted_score"] <= 1.0
        assert {d["text"] for d in picked["documents"]} <= set(docs)
        with pytest.raises(opinio.OpinioError):
            model.sample(docs, 0)
