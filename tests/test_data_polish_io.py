"""Generation plumbing: ``--image-size`` honoured by every suite, the public ``current_seed``, the PNG
deflate backends (same pixels, recorded in the manifest), records without junctions never computing
them, and ``bench data`` leaving no options behind in the calling process."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from svemath.data import dataset
from svemath.data.compose_geo import triangle
from svemath.data.generate import (
    GenerationOptions,
    current_options,
    current_seed,
    generate_dataset,
    generation_options,
)
from svemath.data.schema import Sample, Suite
from svemath.data.suites import get_suite, suite_names


def make_seeded(index: int, rng: random.Random) -> Sample:
    """Records the run's seed and image size as seen by a suite (module level: picklable)."""
    size = current_options().image_size or 32
    img = Image.new("RGB", (size, size), (255, 255, 255))
    return Sample(
        img, {"seen_seed": current_seed(), "meta": {"family": "t", "subject": "t", "level": "read"}}
    )


SEEDED = Suite("polish-seeded", "train", make_seeded)


@pytest.mark.parametrize("workers", [1, 2])
def test_current_seed_is_the_runs_seed_in_every_worker(tmp_path, workers):
    out = tmp_path / f"w{workers}"
    generate_dataset(SEEDED, 6, 17, out, workers=workers, progress=False)
    seen = [json.loads(line)["seen_seed"] for line in (out / "data.jsonl").read_text().splitlines()]
    assert seen == [17] * 6
    assert current_seed() == 0  # outside a generation
    with generation_options(GenerationOptions(seed=5)):
        assert current_seed() == 5


@pytest.mark.parametrize("suite", ["primitives", "captions", "instruct", "prm", "synth-dynamath",
                                   "synth-mathverse", "synth-mathvista"])  # fmt: skip
def test_every_suite_honours_image_size(tmp_path, suite):
    assert suite in suite_names()
    n = 6 if suite == "synth-mathverse" else 3
    manifest = generate_dataset(suite, n, 4, tmp_path / "d", image_size=200, progress=False)
    sizes = [tuple(int(v) for v in s.split("x")) for s in manifest["counts"]["image_sizes"]]
    assert sizes and all(max(s) == 200 for s in sizes), manifest["counts"]["image_sizes"]
    for png in (tmp_path / "d" / "images").glob("*.png"):
        assert max(Image.open(png).size) == 200, png
    if suite == "primitives":  # the non-square shapes keep their aspect ratio
        assert all(min(s) in (200, 143) for s in sizes)


def test_default_sizes_are_unchanged(tmp_path):
    for suite in ("primitives", "captions", "instruct"):
        s = get_suite(suite)
        sample = s.make(0, random.Random(1))
        assert max(sample.image.size) in (384, 448), (suite, sample.image.size)


def _decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def test_png_backends_give_the_same_pixels_and_are_named_in_the_manifest(tmp_path):
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 255, (37, 53, 3), dtype=np.uint8), "RGB")
    assert (_decode(dataset.encode_png(img)) == np.asarray(img)).all()
    settings, _ = dataset._deflate_backend()
    assert settings == dataset.PNG_SETTINGS and settings["deflate"] == "zlib"  # the deterministic default
    manifest = generate_dataset(SEEDED, 2, 0, tmp_path / "m", progress=False)
    assert manifest["png"] == dataset.PNG_SETTINGS
    # the ISA-L opt-in decodes to the same pixels (run in a fresh interpreter with the override)
    code = (
        "import sys, numpy as np, io; from PIL import Image; from svemath.data import dataset as d; "
        "img = Image.fromarray(np.arange(37*53*3, dtype=np.uint8).reshape(37, 53, 3) % 251, 'RGB'); "
        "sys.stdout.write(d.PNG_SETTINGS['deflate']); "
        "assert (np.asarray(Image.open(io.BytesIO(d.encode_png(img)))) == np.asarray(img)).all()"
    )
    env = {"SVEMATH_PNG_DEFLATE": "isal", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0 and done.stdout == "isal", done.stderr[-500:]
    env["SVEMATH_PNG_DEFLATE"] = "gzip-9"
    bad = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert bad.returncode != 0 and "SVEMATH_PNG_DEFLATE" in bad.stderr


def test_lite_records_never_compute_junctions():
    from svemath.data.problem_suites import annotations_of
    from svemath.data.render import render

    p = get_suite("instruct").make(3, random.Random(3))
    assert set(p.record["annotations"]) == {"shapes", "texts"}
    out = render(triangle(random.Random(0), 384, 384).scene)
    lite, extras = annotations_of(out, "lite")
    assert set(lite) == {"shapes", "texts"} and extras == {}
    assert "junctions" not in out.__dict__  # the cached property never ran
    full, extras = annotations_of(out, "full")
    assert full["junctions"] and "junctions" in out.__dict__ and set(extras) == {"edge"}


def test_bench_in_process_leaves_no_options_behind():
    import argparse

    from svemath.data import bench

    args = argparse.Namespace(suites="instruct", n=2, baseline_n=1, workers="1", instruct_n=0,
                              instruct_suite="instruct")  # fmt: skip
    result = bench.run(args)
    assert result["summary"]["samples_per_s"]["instruct"]["w1"] > 0
    assert current_options() == GenerationOptions()
