"""``svemath eval family-weights``: per-family accuracy of scored items -> instruct sampling weights."""

from __future__ import annotations

import json

import pytest
import yaml

from svemath.cli import main
from svemath.errors import ConfigError, DataFormatError
from svemath.eval.family_weights import error_weights, family_accuracy


def _scored(path, rows):
    path.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"meta": {"family": f}, "robust": {"correct": c}}) for f, c in rows]
    (path / "scored.jsonl").write_text("\n".join(lines) + "\n")
    return path


def test_weights_follow_errors_with_floor_and_min_items(tmp_path):
    a = _scored(tmp_path / "a", [("bars", False)] * 9 + [("bars", True)] + [("angles", True)] * 10)
    b = _scored(tmp_path / "b", [("clock", False)] * 3 + [("angles", False)] * 10)
    acc = family_accuracy([a, b / "scored.jsonl"])
    assert acc == {"angles": (10, 20), "bars": (1, 10), "clock": (0, 3)}
    assert error_weights(acc, floor=0.15, min_items=10) == {"angles": 0.5, "bars": 0.9}
    assert error_weights({"easy": (10, 10)}, floor=0.2, min_items=1) == {"easy": 0.2}
    out = tmp_path / "w.yaml"
    assert main(["eval", "family-weights", str(a), str(b), "--min-items", "3", "--out", str(out)]) == 0
    assert yaml.safe_load(out.read_text()) == {"family_weights": {"angles": 0.5, "bars": 0.9, "clock": 1.0}}


def test_bad_inputs_fail_clearly(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        family_accuracy([tmp_path / "missing"])
    (tmp_path / "bad.jsonl").write_text('{"meta": {}}\n')
    with pytest.raises(DataFormatError, match=r"bad\.jsonl:1"):
        family_accuracy([tmp_path / "bad.jsonl"])
    with pytest.raises(ConfigError, match="floor"):
        error_weights({"a": (1, 10)}, floor=0)
