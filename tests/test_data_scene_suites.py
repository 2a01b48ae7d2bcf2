"""The primitives and captions suites: every composition kind generates, records are well formed and
deterministic, annotations lie inside the image, enough shape classes occur, and caption facts are
true when recomputed from the drawn scene."""

from __future__ import annotations

import io
import random
import re
from collections import Counter

import pytest

from svemath.data.compose import composers
from svemath.data.geometry import Point
from svemath.data.render import render
from svemath.data.scene import SHAPE_CLASSES, angle_between
from svemath.data.schema import sample_rng
from svemath.data.style import Style, sample_style
from svemath.data.suites import get_suite, suite_names


def _png(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _check_annotations(ann: dict, size: tuple[int, int]) -> None:
    w, h = size
    assert set(ann) == {"shapes", "junctions", "texts", "boundary"} and ann["boundary"] == "@edge"
    for s in ann["shapes"]:
        assert s["cls"] in SHAPE_CLASSES
        x0, y0, x1, y1 = s["box"]
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
    for j in ann["junctions"]:
        assert -0.5 <= j["xy"][0] <= w + 0.5 and -0.5 <= j["xy"][1] <= h + 0.5
        assert j["angles"] and all(0 <= a < 360 for a in j["angles"])
    for t in ann["texts"]:
        assert t["text"].strip()
        x0, y0, x1, y1 = t["box"]
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h


def test_suites_are_registered():
    names = suite_names()
    assert "primitives" in names and "captions" in names
    assert get_suite("primitives").stream == "train" and get_suite("captions").stream == "train"


@pytest.mark.parametrize("kind", sorted(composers()))
def test_every_composition_kind_generates_and_renders(kind):
    make = composers()[kind][0]
    for seed, (w, h) in enumerate([(384, 384), (384, 384), (448, 320), (320, 448)]):
        rng = random.Random(seed)
        comp = make(rng, w, h)
        out = render(comp.scene, sample_style(rng, w, h))
        assert out.image.size == (w, h) and out.shapes
        _check_annotations(out.annotations(), (w, h))
        assert comp.caption(out).startswith(comp.summary)


@pytest.mark.parametrize("name", ["primitives", "captions"])
def test_suite_records_are_well_formed_and_deterministic(name):
    suite = get_suite(name)
    for i in range(6):
        a = suite.make(i, sample_rng(suite, 11, i))
        b = suite.make(i, sample_rng(suite, 11, i))
        assert _png(a.image) == _png(b.image) and a.record == b.record
        assert _png(a.extra_images["edge"]) == _png(b.extra_images["edge"])
        rec = a.record
        human, gpt = rec["conversations"]
        assert human["from"] == "human" and human["value"].startswith("<image>\n")
        assert gpt["from"] == "gpt" and len(gpt["value"]) > 10
        assert rec["meta"]["family"] == name and rec["meta"]["level"] == "read" and rec["meta"]["subject"]
        edge = a.extra_images["edge"]
        assert edge.mode == "L" and edge.size == a.image.size and a.image.mode == "RGB"
        _check_annotations(rec["annotations"], a.image.size)
    other = suite.make(0, sample_rng(suite, 12, 0))
    assert _png(other.image) != _png(suite.make(0, sample_rng(suite, 11, 0)).image)


def test_primitives_cover_many_shape_classes_and_junction_kinds():
    suite = get_suite("primitives")
    classes: Counter = Counter()
    branches: Counter = Counter()
    texts = 0
    for i in range(80):
        rec = suite.make(i, sample_rng(suite, 0, i)).record
        classes.update(s["cls"] for s in rec["annotations"]["shapes"])
        branches.update(min(len(j["angles"]), 5) for j in rec["annotations"]["junctions"])
        texts += len(rec["annotations"]["texts"])
    assert len(classes) >= 24, sorted(classes)
    assert all(branches[k] > 0 for k in (1, 2, 3, 4)), branches
    assert texts / 80 >= 5
    rec = suite.make(0, sample_rng(suite, 0, 0)).record
    answer = rec["conversations"][1]["value"]
    assert (
        answer.startswith("Shapes: ")
        and rec["conversations"][0]["value"] == "<image>\nDescribe the shapes in this diagram."
    )


def test_triangle_caption_angles_match_the_drawn_geometry():
    make = composers()["triangle"][0]
    checked = 0
    for seed in range(40):
        rng = random.Random(seed)
        comp = make(rng, 384, 384)
        out = render(comp.scene, Style.clean())
        where = {e.label: e.xy for e in comp.scene.elements if isinstance(e, Point) and e.label}
        for p, v, q, deg in re.findall(r"Angle (\w)(\w)(\w) is (\d+(?:\.\d+)?)°", comp.caption(out)):
            assert abs(angle_between(where[v], where[p], where[q]) - float(deg)) < 0.06
            checked += 1
        for p, v, q in re.findall(r"Angle (\w)(\w)(\w) is a right angle", comp.caption(out)):
            assert abs(angle_between(where[v], where[p], where[q]) - 90) < 1e-6
    assert checked >= 10


def test_bar_chart_caption_names_the_tallest_drawn_bar():
    make = composers()["bar chart"][0]
    for seed in range(15):
        rng = random.Random(seed)
        comp = make(rng, 384, 384)
        out = render(comp.scene, Style.clean())
        bars = {s.tag[4:]: s.box for s in out.shapes if s.cls == "bar"}
        match = re.search(r"The (tallest|longest) bar is (\S+) with", comp.caption(out))
        assert match
        if match.group(1) == "tallest":
            top = min(bars, key=lambda k: bars[k][1])
        else:
            top = max(bars, key=lambda k: bars[k][2])
        assert top == match.group(2)


def test_caption_leaves_out_sentences_whose_labels_were_not_drawn():
    comp = composers()["triangle"][0](random.Random(5), 384, 384)
    out = render(comp.scene, Style.clean())
    assert not comp.missing(out)
    full = comp.caption(out)
    assert all(f.text in full for f in comp.facts)
    gone = next(f.needs[0] for f in comp.facts if f.needs)
    out.texts = [t for t in out.texts if t.text != gone]  # as if the layout had dropped it
    assert comp.missing(out) == [gone]
    cap = comp.caption(out)
    for f in comp.facts:
        assert (f.text in cap) == (gone not in f.needs)
