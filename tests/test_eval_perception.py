"""``svemath eval perception``: GeoGLIP's shape mAP and label reading per family of an annotated dataset."""

from __future__ import annotations

import json

import pytest

from svemath.data.dataset import iter_records
from svemath.data.generate import generate_dataset
from svemath.data.problem_suites import family_names
from svemath.errors import ConfigError, DataFormatError
from svemath.eval.perception import NUMBER, format_report, perception_report


def _bars(tmp_path, n=3, **options):
    weights = dict.fromkeys(family_names(), 0) | {"bar_value": 1, "table_lookup": 1}
    out = tmp_path / "data"
    generate_dataset("instruct", n=n, seed=4, out=out, workers=1, progress=False,
                     options={"family_weights": weights, **options})  # fmt: skip
    return out


def _oracle(data, mangle_words=False):
    """A perceive() that returns each image's annotations (score 1), word labels lower-cased if asked."""
    by_image = {rec.images[0]: rec.data["annotations"] for rec in iter_records(data)}

    def perceive(path):
        ann = by_image[path]
        texts = [{"box": t["box"], "score": 1.0,
                  "text": t["text"] if NUMBER.match(t["text"]) or not mangle_words else t["text"].lower() + "x"}
                 for t in ann["texts"]]  # fmt: skip
        return {"shapes": [dict(s, score=1.0) for s in ann["shapes"]], "texts": texts}

    return perceive


def test_oracle_scores_full_marks_and_misread_words_count_only_as_words(tmp_path):
    data = _bars(tmp_path, n=6)
    report = perception_report(iter_records(data), _oracle(data), per_family=10)
    assert set(report) <= {"bar_value", "table_lookup"} and sum(r["items"] for r in report.values()) == 6
    for r in report.values():
        assert r["shape_map"] == pytest.approx(1.0) and r["read_numbers"]["exact_match"] == 1.0
        assert r["read_words"]["exact_match"] == 1.0 and r["read_numbers"]["labels"] > 0
    bad = perception_report(iter_records(data), _oracle(data, mangle_words=True), per_family=10)
    for family, r in bad.items():
        assert r["read_words"]["exact_match"] == 0.0 and r["read_numbers"]["exact_match"] == 1.0, family
    one = perception_report(iter_records(data), _oracle(data), families={"bar_value"}, per_family=1)
    assert list(one) == ["bar_value"] and one["bar_value"]["items"] == 1
    assert "bar_value" in format_report(one)


def test_records_without_annotations_fail_clearly(tmp_path):
    data = _bars(tmp_path, n=1, annotations="none")
    with pytest.raises(DataFormatError, match="no annotations"):
        perception_report(iter_records(data), _oracle, per_family=1)


def test_perception_command(tmp_path, capsys):
    from svemath.cli import main
    from svemath.mllm.presets import save_pretrained
    from svemath.mllm.testing import tiny_test_model

    model, processor = tiny_test_model(geoglip=True)
    save_pretrained(model, processor, tmp_path / "model")
    data = _bars(tmp_path, n=2)
    out = tmp_path / "perception.json"
    assert main(["eval", "perception", "--model", str(tmp_path / "model"), "--data", str(data),
                 "--per-family", "1", "--out", str(out)]) == 0  # fmt: skip
    result = json.loads(out.read_text())
    assert result["families"] and all(r["items"] == 1 for r in result["families"].values())
    assert "words read" in capsys.readouterr().out


def test_group_by_kind_splits_the_primitives_suite(tmp_path):
    data = tmp_path / "prims"
    generate_dataset("primitives", n=8, seed=3, out=data, workers=1, progress=False)
    kinds = {rec.data["meta"]["kind"] for rec in iter_records(data)}
    report = perception_report(iter_records(data), _oracle(data), per_family=10, group_by="kind")
    assert set(report) == kinds and len(kinds) > 1 and sum(r["items"] for r in report.values()) == 8
    assert list(perception_report(iter_records(data), _oracle(data), per_family=10)) == ["primitives"]
    with pytest.raises(ConfigError, match="group_by"):
        perception_report(iter_records(data), _oracle(data), group_by="subject")
