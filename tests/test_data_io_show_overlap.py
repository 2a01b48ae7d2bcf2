"""Contact sheets (``data show``) and the train/eval overlap check (``data check-overlap``)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image
from test_data_io_toysuite import TOY, TOY_EVAL, registered, toy_dataset  # noqa: F401

from svemath.cli import main
from svemath.data.overlap import check_overlap, normalise_question
from svemath.data.show import GAP, LINE_H, PAD, contact_sheet
from svemath.errors import ConfigError


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("sets")
    return toy_dataset(root / "train", n=8, seed=0, suite=TOY), toy_dataset(
        root / "eval", n=5, seed=0, suite=TOY_EVAL
    )


def test_show_writes_sheet_of_expected_size(sets, tmp_path, capsys):
    train, _ = sets
    out = tmp_path / "sheet.png"
    assert (
        main(["data", "show", str(train), "--n", "5", "--out", str(out), "--cell", "100", "--lines", "3"])
        == 0
    )
    sheet = Image.open(out)
    # 5 records -> 3 columns x 2 rows of 100 px cells with 3 text lines each
    assert sheet.size == (3 * 100 + 4 * GAP, 2 * (100 + 3 * LINE_H + PAD) + 3 * GAP)
    info = json.loads(out.with_suffix(".json").read_text())
    assert info["ids"] == [f"toy-rects-0-{i:06d}" for i in range(5)] and info["size"] == list(sheet.size)
    assert "5 records" in capsys.readouterr().out
    # annotations are drawn: the first cell differs from the plain scaled image
    cell = np.asarray(sheet.convert("RGB"))[GAP : GAP + 100, GAP : GAP + 100].astype(int)
    plain = np.asarray(Image.open(train / "images/000000.png").convert("RGB").resize((100, 100))).astype(int)
    assert np.abs(cell - plain).sum() > 100 * 255
    # the question text is rendered below the image (dark pixels in the text band)
    band = np.asarray(sheet.convert("L"))[GAP + 100 : GAP + 100 + 3 * LINE_H, GAP : GAP + 100]
    assert (band < 100).sum() > 50


def test_show_offset_cols_and_errors(sets, tmp_path):
    train, _ = sets
    info = contact_sheet(train, tmp_path / "s.png", n=16, offset=6, cols=4, cell=64, text_lines=2)
    assert info["n"] == 2 and info["cols"] == 2 and info["ids"][0].endswith("000006")
    with pytest.raises(ConfigError, match="no records"):
        contact_sheet(train, tmp_path / "s.png", offset=50)
    with pytest.raises(ConfigError, match=r"\.png"):
        contact_sheet(train, tmp_path / "s.jpg")


def test_normalise_question():
    assert normalise_question("<image>\n  How MANY\tcircles?  ") == "how many circles?"


def test_disjoint_sets_pass(sets, tmp_path, capsys):
    train, eval_ = sets
    report = check_overlap(train, eval_)
    assert report["ok"] and report["n_train"] == 8 and report["n_eval"] == 5
    assert main(["data", "check-overlap", str(train), str(eval_), "--out", str(tmp_path / "o.json")]) == 0
    assert "-> OK" in capsys.readouterr().out and json.loads((tmp_path / "o.json").read_text())["ok"]


def _append(folder, record):
    with open(folder / "data.jsonl", "a") as fh:
        fh.write(json.dumps(record) + "\n")


def test_planted_duplicates_are_found(sets, tmp_path, capsys):
    train, eval_src = sets
    eval_ = shutil.copytree(eval_src, tmp_path / "eval")
    base = json.loads((eval_ / "data.jsonl").read_text().splitlines()[0])
    # 1. the same image bytes under another name
    shutil.copy(train / "images/000003.png", eval_ / "images/dup_bytes.png")
    _append(
        eval_, {**base, "id": "dup-bytes", "image": "images/dup_bytes.png", "question": "fresh question 1"}
    )
    # 2. the same pixels re-encoded with other PNG settings
    Image.open(train / "images/000004.png").save(
        eval_ / "images/dup_pixels.png", compress_level=9, optimize=True
    )
    assert (eval_ / "images/dup_pixels.png").read_bytes() != (train / "images/000004.png").read_bytes()
    _append(
        eval_, {**base, "id": "dup-pixels", "image": "images/dup_pixels.png", "question": "fresh question 2"}
    )
    # 3. a text-only item whose question (modulo case/whitespace) is a training question
    train_q = json.loads((train / "data.jsonl").read_text().splitlines()[5])["question"]
    _append(
        eval_,
        {
            "id": "dup-question",
            "question": "  " + train_q.upper(),
            "conversations": [{"from": "human", "value": train_q.upper()}, {"from": "gpt", "value": "x"}],
        },
    )
    report = check_overlap(train, eval_)
    assert not report["ok"] and report["overlapping_eval_items"] == 3
    assert report["matches"] == {"image_bytes": 1, "pixels": 2, "question_text": 1, "question_item": 1}
    found = {(e["kind"], e["eval_id"], e["train_id"]) for e in report["examples"]}
    assert ("image_bytes", "dup-bytes", "toy-rects-0-000003") in found
    assert ("pixels", "dup-pixels", "toy-rects-0-000004") in found
    assert ("question_item", "dup-question", "toy-rects-0-000005") in found
    assert main(["data", "check-overlap", str(train), str(eval_)]) == 1
    assert "-> OVERLAP" in capsys.readouterr().out


def test_same_question_on_different_images(sets, tmp_path):
    train, eval_src = sets
    eval_ = shutil.copytree(eval_src, tmp_path / "eval")
    train_q = json.loads((train / "data.jsonl").read_text().splitlines()[2])["question"]
    base = json.loads((eval_ / "data.jsonl").read_text().splitlines()[1])
    _append(eval_, {**base, "id": "same-q", "question": train_q})
    item = check_overlap(train, eval_)
    assert item["ok"] and item["matches"]["question_text"] == 1  # a template shared by different diagrams
    text = check_overlap(train, eval_, question_policy="text")
    assert not text["ok"] and text["overlapping_eval_items"] == 1


def test_bench_data_reports_suites_and_baseline(registered, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "bench.json"
    argv = ["bench", "data", "--out", str(out), "--suites", registered, "--n", "24", "--baseline-n", "3"]
    assert main(argv) == 0
    result = json.loads(out.read_text())
    per = result["suites"][registered]
    assert set(per) == {"w1", "w2"} and per["w1"]["size"] == "64x64"
    assert all(v["per_s"] > 0 and v["ratio"] > 0 and v["cpu_ms_each"] > 0 for v in per.values())
    assert set(result["baselines"]) == {"64x64/w1", "64x64/w2"}
    summary = result["summary"]
    assert summary["cores"] >= 1 and summary["min_ratio"] == min(v["ratio"] for v in per.values())
    assert '"min_ratio"' in capsys.readouterr().out
