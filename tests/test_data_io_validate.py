"""``svemath data validate``: each kind of problem is caught and named with file:line."""

from __future__ import annotations

import json

import pytest
from PIL import Image
from test_data_io_toysuite import toy_dataset

from svemath.cli import main
from svemath.data.validate import validate
from svemath.fileio import sha256_file, write_json


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return toy_dataset(tmp_path_factory.mktemp("v") / "clean", n=4, seed=1)


@pytest.fixture
def folder(clean, tmp_path):
    import shutil

    return shutil.copytree(clean, tmp_path / "d")


def edit(folder, line, change, fix_sha=True):
    """Apply ``change(record)`` to record ``line`` (1-based) and re-seal the manifest unless told not to."""
    path = folder / "data.jsonl"
    recs = [json.loads(x) for x in path.read_text().splitlines()]
    change(recs[line - 1])
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    if fix_sha:
        m = json.loads((folder / "manifest.json").read_text())
        m["data_sha256"] = sha256_file(path)
        write_json(folder / "manifest.json", m)
    return recs[line - 1]


def only_problem(folder, expected, line=3):
    report = validate(folder)
    assert len(report.problems) == 1, report.problems
    assert report.problems[0].startswith(f"{folder / 'data.jsonl'}:{line}: "), report.problems
    assert expected in report.problems[0]


def test_clean_dataset_passes(clean, capsys):
    report = validate(clean)
    assert report.ok and report.n_records == 4 and report.n_images == 4 and report.kind == "dataset"
    assert main(["data", "validate", str(clean)]) == 0
    assert "4 records, 4 images: ok" in capsys.readouterr().out


def _set(key, value):
    return lambda r: r.__setitem__(key, value)


CASES = [
    (lambda r: r["annotations"]["shapes"][0].__setitem__("box", [1, 1, 500, 9]), "outside the 64x64 image"),
    (lambda r: r["annotations"]["shapes"][0].__setitem__("box", [9, 1, 2, 9]), "not well formed"),
    (lambda r: r["annotations"]["junctions"][0].__setitem__("xy", [70, 3]), "point [70, 3] outside"),
    (lambda r: r["annotations"]["junctions"][0].__setitem__("angles", [360]), "angles must be"),
    (lambda r: r["annotations"].__setitem__("texts", [{"box": [0, 0, 65, 5], "text": "A"}]), "texts[0]: box"),
    (_set("answer_type", "number"), "answer_type 'number' not in"),
    (
        lambda r: r.update(answer_type="multiple_choice", choices=["1", "2", "3"], answer="D"),
        "letter A..C, got 'D'",
    ),
    (lambda r: r.update(answer_type="multiple_choice", answer="A"), "needs a 'choices' list"),
    (_set("answer", "three"), "integer answer expected"),
    (lambda r: r["meta"].__setitem__("level", "hard"), "meta.level 'hard' not in"),
    (_set("variant", 1.5), "'variant' must be a string or an integer"),
    (_set("group_id", 7), "'group_id' must be a string"),
    (_set("steps", ["ok", ""]), "'steps' must be a list of non-empty strings"),
    (_set("id", "toy-rects-1-000000"), "duplicate id 'toy-rects-1-000000' (first at line 1)"),
    (lambda r: r.pop("id"), "missing field 'id'"),
    (lambda r: r["conversations"][0].__setitem__("value", "no placeholder"), "0 <image> placeholder(s)"),
]


@pytest.mark.parametrize(("change", "expected"), CASES)
def test_schema_problems(folder, change, expected):
    edit(folder, 3, change)
    only_problem(folder, expected)


def test_image_problems(folder):
    (folder / "images/000002.png").unlink()
    only_problem(folder, "image not found")
    Image.new("RGB", (64, 64)).save(folder / "images/000002.png")
    (folder / "images/000001.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    only_problem(folder, "not a readable image", line=2)


def test_parallel_check_gives_the_same_report(folder):
    edit(folder, 2, lambda r: r["annotations"]["shapes"][0].__setitem__("box", [1, 1, 500, 9]))
    edit(folder, 4, _set("answer_type", "number"))
    (folder / "images/000002.png").unlink()
    serial, parallel = validate(folder), validate(folder, workers=2)
    assert len(serial.problems) == 3 and serial.problems == parallel.problems
    assert [p.split(": ")[0].rsplit(":", 1)[1] for p in serial.problems] == ["2", "3", "4"]


def test_boundary_map_problems(folder):
    Image.new("L", (32, 32)).save(folder / "images/000002_edge.png")
    only_problem(folder, "boundary map 000002_edge.png is 32x32, image is 64x64")
    Image.new("RGB", (64, 64)).save(folder / "images/000002_edge.png")
    only_problem(folder, "has mode RGB, expected L")
    Image.new("L", (64, 64), 128).save(folder / "images/000002_edge.png")
    only_problem(folder, "values other than 0 and 255")
    (folder / "images/000002_edge.png").unlink()
    only_problem(folder, "boundary map not found")


def test_manifest_problems(folder, capsys):
    edit(folder, 2, _set("question", "edited"), fix_sha=False)
    report = validate(folder)
    assert len(report.problems) == 1 and "data_sha256 does not match data.jsonl" in report.problems[0]
    assert report.problems[0].startswith(f"{folder / 'manifest.json'}:")
    assert main(["data", "validate", str(folder), "--json", str(folder.parent / "v.json")]) == 1
    out = capsys.readouterr()
    assert "manifest.json:" in out.out and "1 problem(s)" in out.err
    assert json.loads((folder.parent / "v.json").read_text())["n_problems"] == 1
    (folder / "manifest.json").unlink()
    assert "manifest.json missing" in validate(folder).problems[0]


def test_external_llava_files_validate_with_the_same_reader(tmp_path, capsys):
    Image.new("RGB", (10, 10)).save(tmp_path / "a.png")
    conv = [{"from": "human", "value": "<image>\nQ?"}, {"from": "gpt", "value": "A."}]
    good = {"id": "1", "image": "a.png", "conversations": conv}
    (tmp_path / "ok.json").write_text(json.dumps([good, good]))
    assert validate(tmp_path / "ok.json").ok and main(["data", "validate", str(tmp_path / "ok.json")]) == 0
    capsys.readouterr()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        "\n".join([json.dumps(good), "{", json.dumps({**good, "image": "gone.png"}), json.dumps({"id": "4"})])
        + "\n"
    )
    report = validate(bad)
    assert report.kind == "external" and report.n_records == 4
    assert [p.split(": ", 1)[0].rsplit(":", 1)[1] for p in report.problems] == ["2", "3", "4"]
    assert main(["data", "validate", str(bad)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{bad}:2: invalid JSON") and "image not found" in lines[1]
    assert "missing field 'conversations'" in lines[2]
