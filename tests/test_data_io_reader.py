"""The reader: our dataset folders and external LLaVA JSON / JSONL files, errors with file:line."""

from __future__ import annotations

import json

import pytest
from PIL import Image
from test_data_io_toysuite import toy_dataset

from svemath.data.dataset import iter_records, load_dataset
from svemath.errors import DataFormatError


def conv(q="<image>\nWhat is x?", a="x = 3"):
    return [{"from": "human", "value": q}, {"from": "gpt", "value": a}]


@pytest.fixture
def llava_dir(tmp_path):
    """An external Geo170K-style folder: images/ below the JSON file."""
    (tmp_path / "imgs").mkdir()
    for name in ("a.png", "b.jpg"):
        Image.new("RGB", (8, 8), "white").save(tmp_path / "imgs" / name)
    return tmp_path


def write_jsonl(path, items):
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in items))
    return path


def test_reads_our_folder_with_absolute_paths(tmp_path):
    folder = toy_dataset(tmp_path / "d", n=3)
    ds = load_dataset(folder)
    assert len(ds) == 3 and ds.manifest["suite"] == "toy-rects" and ds.bad == []
    rec = ds[1]
    assert rec.id == "toy-rects-0-000001" and rec.image == (folder / "images/000001.png").resolve()
    assert rec.image.is_absolute() and rec.image.is_file() and rec.boundary.is_file()
    assert rec.question.startswith("How many rectangles") and rec.answer_type == "integer"
    assert rec.response.startswith("There are") and rec.meta["level"] == "read"
    assert rec.location.endswith("data.jsonl:2")
    # the same through data.jsonl directly
    assert [r.id for r in iter_records(folder / "data.jsonl")] == [r.id for r in ds]


def test_external_json_list_and_jsonl_with_relative_images(llava_dir):
    items = [
        {"id": "geo-1", "image": "imgs/a.png", "conversations": conv()},
        {"id": 2, "image": "imgs/b.jpg", "conversations": conv() + conv("And y?", "y = 4")},
        {"conversations": conv("No image here.", "ok")},
    ]
    (llava_dir / "train.json").write_text(json.dumps(items, indent=2))
    write_jsonl(llava_dir / "train.jsonl", items)
    for name in ("train.json", "train.jsonl"):
        recs = list(iter_records(llava_dir / name))
        assert [r.id for r in recs][:2] == ["geo-1", "2"]
        assert recs[0].image == (llava_dir / "imgs/a.png").resolve()
        assert recs[2].image is None and recs[2].id.endswith(f":{recs[2].line}")
        assert recs[0].question == "What is x?"
    # the pretty-printed list keeps the line where each item starts
    starts = [i for i, ln in enumerate((llava_dir / "train.json").read_text().splitlines(), 1) if ln == "  {"]
    assert [r.line for r in iter_records(llava_dir / "train.json")] == starts and len(starts) == 3
    # image_root: the same file read from elsewhere
    moved = llava_dir / "sub"
    moved.mkdir()
    write_jsonl(moved / "m.jsonl", items[:1])
    with pytest.raises(DataFormatError, match=r"m\.jsonl:1: image not found"):
        list(iter_records(moved / "m.jsonl"))
    assert next(iter(iter_records(moved / "m.jsonl", image_root=llava_dir))).image.is_file()


BAD_LINES = [
    ('{"id": "x", "image": "imgs/a.png", "conversations": [', "invalid JSON"),
    ([1, 2], "expected a JSON object, got list"),
    ({"id": "x", "image": "imgs/a.png"}, "missing field 'conversations'"),
    ({"image": "imgs/a.png", "conversations": "hi"}, "'conversations' must be a list"),
    ({"image": "imgs/a.png", "conversations": conv()[::-1]}, "alternate human/gpt"),
    (
        {"image": "imgs/a.png", "conversations": [{"from": "user", "value": "<image>"}, conv()[1]]},
        "'from' must be",
    ),
    (
        {"image": "imgs/a.png", "conversations": conv("What is x?")},
        "0 <image> placeholder(s) in the human turns for 1 image(s)",
    ),
    ({"conversations": conv()}, "1 <image> placeholder(s) in the human turns for 0 image(s)"),
    ({"image": 5, "conversations": conv()}, "field 'image' must be"),
    (
        {"image": "imgs/a.png", "conversations": [{"from": "human", "value": 3}, conv()[1]]},
        "'value' must be a string",
    ),
    ({"image": "imgs/missing.png", "conversations": conv()}, "image not found"),
    ({"image": "imgs/a.png", "conversations": conv()[:1]}, "must end with a gpt turn"),
]


@pytest.mark.parametrize(("item", "reason"), BAD_LINES)
def test_bad_line_reports_file_and_line(llava_dir, item, reason):
    good = {"id": "g", "image": "imgs/a.png", "conversations": conv()}
    path = write_jsonl(llava_dir / "data.jsonl", [good, good, item, good])
    with pytest.raises(DataFormatError) as info:
        list(iter_records(path))
    assert str(info.value).startswith(f"{path}:3: ") and reason in str(info.value)


def test_json_list_errors_name_the_line(llava_dir):
    good = {"image": "imgs/a.png", "conversations": conv()}
    path = llava_dir / "list.json"
    path.write_text(json.dumps([good, {"image": "imgs/zz.png", "conversations": conv()}], indent=1))
    with pytest.raises(DataFormatError, match=r"list\.json:15: image not found"):
        list(iter_records(path))
    path.write_text('[\n{"conversations": []},\n{"a": 1,,}\n]')
    reader = iter_records(path, skip_bad=True)
    with pytest.raises(DataFormatError, match=r"list\.json:3: invalid JSON"):
        list(reader)  # a syntax error inside a list cannot be skipped
    path.write_text('"not a list"')
    with pytest.raises(DataFormatError, match="expected a JSON list"):
        list(iter_records(path))
    path.write_text(json.dumps(good) + "\n" + json.dumps(good) + "\n")  # JSONL saved as .json
    assert [r.line for r in iter_records(path)] == [1, 2]


def test_skip_bad_counts_and_keeps_reasons(llava_dir):
    good = {"image": "imgs/a.png", "conversations": conv()}
    path = write_jsonl(
        llava_dir / "mixed.jsonl",
        [good, "{oops", good, {"image": "imgs/nope.png", "conversations": conv()}, "", good],
    )
    reader = iter_records(path, skip_bad=True)
    assert len(list(reader)) == 3 and reader.n_bad == 2
    assert [(b.line, b.reason.split(" (")[0]) for b in reader.bad] == [
        (2, "invalid JSON"),
        (4, f"image not found: {(llava_dir / 'imgs/nope.png').resolve()}"),
    ]
    ds = load_dataset(path, skip_bad=True)
    assert len(ds) == 3 and len(ds.bad) == 2 and ds.manifest is None
    with pytest.raises(DataFormatError, match=r"mixed\.jsonl:2: invalid JSON"):
        load_dataset(path)


def test_missing_paths_fail_clearly(tmp_path):
    with pytest.raises(DataFormatError, match="dataset not found"):
        list(iter_records(tmp_path / "nope.jsonl"))
    with pytest.raises(DataFormatError, match=r"no data\.jsonl"):
        list(iter_records(tmp_path))
    (tmp_path / "x.csv").write_text("a,b\n")
    with pytest.raises(DataFormatError, match=r"\.json list or a \.jsonl"):
        list(iter_records(tmp_path / "x.csv"))
