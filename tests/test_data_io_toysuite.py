"""A small toy suite (random rectangles with exact annotations) shared by the data_io tests, plus
tests of the writer's building blocks (PNG encoding, "@key" references, option passing).

Suites are passed to ``generate_dataset`` as :class:`Suite` objects, so nothing is registered globally;
tests that go through the command line register under a unique name with the ``registered`` fixture,
which removes it again afterwards.
"""

from __future__ import annotations

import io
import json
import random
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from svemath.data.dataset import encode_png, resolve_refs, write_sample
from svemath.data.generate import (
    GenerationOptions,
    current_options,
    generate_dataset,
    generation_options,
    option_image_size,
)
from svemath.data.schema import SUITES, Sample, Suite


def make_rects(index: int, rng: random.Random) -> Sample:
    """1-3 axis-aligned rectangles; question: how many; boundary map of the strokes."""
    size = option_image_size(64)
    img = Image.new("RGB", (size, size), "white")
    edge = Image.new("L", (size, size), 0)
    draw, edraw = ImageDraw.Draw(img), ImageDraw.Draw(edge)
    shapes, junctions = [], []
    n = rng.randint(1, 3)
    for _ in range(n):
        x0, y0 = rng.randint(1, size // 2), rng.randint(1, size // 2)
        x1, y1 = x0 + rng.randint(4, size // 2 - 2), y0 + rng.randint(4, size // 2 - 2)
        colour = tuple(rng.randrange(200) for _ in range(3))
        draw.rectangle([x0, y0, x1, y1], outline=colour)
        edraw.rectangle([x0, y0, x1, y1], outline=255)
        shapes.append({"cls": "rectangle", "box": [x0, y0, x1 + 1, y1 + 1]})
        junctions += [
            {"xy": [x0, y0], "angles": [0.0, 270.0]},
            {"xy": [x1, y1], "angles": [90.0, 180.0]},
        ]
    question = f"How many rectangles are there? (tag {rng.randrange(10**9)})"
    record = {
        "conversations": [
            {"from": "human", "value": f"<image>\n{question}"},
            {"from": "gpt", "value": f"There are {n} rectangles. The answer is {n}."},
        ],
        "question": question,
        "answer": str(n),
        "answer_type": "integer",
        "meta": {"family": "toy-count", "subject": "counting", "level": "read"},
        "annotations": {
            "shapes": shapes,
            "junctions": junctions,
            "texts": [],
            "boundary": "@edge",
        },
    }
    return Sample(img, record, {"edge": edge})


def make_failing(index: int, rng: random.Random) -> Sample:
    if index == 7:
        raise RuntimeError("toy failure")
    return make_rects(index, rng)


TOY = Suite("toy-rects", "train", make_rects, "toy rectangles")
TOY_EVAL = Suite("toy-rects-eval", "eval", make_rects, "toy rectangles, eval stream")


def toy_dataset(out: Path, n: int = 6, seed: int = 0, suite: Suite = TOY, workers: int = 1) -> Path:
    generate_dataset(suite, n, seed, out, workers=workers, progress=False)
    return out


@pytest.fixture
def registered():
    """Register a toy suite under a unique name for CLI tests; unregister afterwards."""
    name = f"toy-{uuid.uuid4().hex[:8]}"
    SUITES.register(name, Suite(name, "train", make_rects, "toy rectangles (test)"))
    try:
        yield name
    finally:
        SUITES._items.pop(name, None)


def test_encode_png_roundtrips_and_is_metadata_free():
    rng = np.random.default_rng(0)
    for mode, shape in (("RGB", (20, 30, 3)), ("L", (20, 30)), ("RGBA", (20, 30, 4))):
        arr = rng.integers(0, 256, size=shape, dtype=np.uint8)
        img = Image.fromarray(arr, mode=mode)
        img.info["comment"] = "should not be written"
        data = encode_png(img)
        back = Image.open(io.BytesIO(data))
        back.load()
        assert back.mode == mode and back.size == (30, 20)
        assert np.array_equal(np.asarray(back), arr)
        assert b"tEXt" not in data and b"tIME" not in data and b"pHYs" not in data
        assert encode_png(img.copy()) == data
    pal = Image.new("P", (4, 4))
    assert Image.open(io.BytesIO(encode_png(pal))).mode == "RGB"


def test_resolve_refs_replaces_nested_and_rejects_unknown():
    rec = {"a": "@edge", "b": [{"c": "@edge"}, "plain @edge text"], "d": 3}
    out = resolve_refs(rec, {"edge": "images/000001_edge.png"})
    assert out == {
        "a": "images/000001_edge.png",
        "b": [{"c": "images/000001_edge.png"}, "plain @edge text"],
        "d": 3,
    }
    with pytest.raises(ValueError, match="@mask"):
        resolve_refs({"x": "@mask"}, {"edge": "e.png"})


def test_write_sample_resolves_refs_like_resolve_refs(tmp_path):
    (tmp_path / "images").mkdir()
    record = {
        "a": "@edge",
        "b": 'say "@edge" and \\"@edge\\"',
        "c": {"@edge": "@edge", "n": [1, "@edge", {"k": "@mask"}]},
        "d": 'x "@edge',
        "e": "@edge ",
    }
    extras = {"edge": Image.new("L", (4, 4)), "mask": Image.new("L", (4, 4))}
    line, stats = write_sample(
        Sample(Image.new("RGB", (4, 4)), record, extras), suite="t", seed=1, index=12, out_dir=tmp_path
    )
    out = json.loads(line)
    assert out.pop("id") == "t-1-000012" and out.pop("image") == "images/000012.png"
    refs = {"edge": "images/000012_edge.png", "mask": "images/000012_mask.png"}
    assert (
        out == resolve_refs(record, refs)
        and out["c"]["n"][2]["k"] == refs["mask"]
        and out["a"] == refs["edge"]
    )
    assert stats["pngs"] == 3 and (tmp_path / refs["mask"]).is_file()
    with pytest.raises(ValueError, match="@nope"):
        write_sample(Sample(None, {"x": ["@nope"]}), suite="t", seed=1, index=0, out_dir=tmp_path)
    with pytest.raises(ValueError, match="must not set 'id'"):
        write_sample(Sample(None, {"id": "x"}), suite="t", seed=1, index=0, out_dir=tmp_path)


def test_image_size_option_reaches_the_suite(tmp_path):
    assert current_options() == GenerationOptions()
    with generation_options(GenerationOptions(image_size=40, extra={"k": 1})):
        assert option_image_size(64) == 40 and current_options().get("k") == 1
    assert option_image_size(64) == 64
    manifest = generate_dataset(TOY, 3, 0, tmp_path / "d", image_size=48, workers=2, progress=False)
    assert manifest["counts"]["image_sizes"] == {"48x48": 3}
    assert Image.open(tmp_path / "d" / "images" / "000000.png").size == (48, 48)
    assert manifest["args"]["image_size"] == 48
