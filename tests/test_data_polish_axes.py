"""Axes tick labels: every-k-th labelling, blank labels, no collisions between x and y tick labels (at
the origin of crossing axes, at the corner of box axes) over many seeds and sizes, and each label
staying over its tick."""

from __future__ import annotations

import random
import re

import pytest

from svemath.data.families import load_families
from svemath.data.plots import Axes, format_number
from svemath.data.render import render
from svemath.data.scene import Scene
from svemath.data.style import Style, sample_style

NUMBER = re.compile(r"-?\d+(\.\d+)?")
FAMS = load_families()
PLOT_FAMILIES = ("point_coordinates", "distance_midpoint", "function_value", "line_slope", "function_zeros")


def _grid_scene(frame: str, lo: int = -5, hi: int = 5, **kw) -> tuple[Scene, Axes]:
    sc = Scene(rotation_limit=0)
    ax = sc.add(
        Axes((30, 30, 354, 354), xlim=(lo - 0.6, hi + 0.6), ylim=(lo - 0.6, hi + 0.6), grid=True, frame=frame,
             xticks=list(range(lo, hi + 1)), yticks=list(range(lo, hi + 1)), **kw)
    )  # fmt: skip
    return sc, ax


def _tick_texts(out) -> list[str]:
    return [t.text for t in out.texts if NUMBER.fullmatch(t.text)]


def test_label_every_keeps_grid_and_ticks_but_labels_every_kth_unit():
    sc, _ = _grid_scene("box", label_every=2)
    out = render(sc, Style.clean())
    labels = _tick_texts(out)
    assert sorted(set(labels), key=float) == ["-4", "-2", "0", "2", "4"]
    one, _ = _grid_scene("box", label_every=1)
    dl_k2, dl_k1 = sc.compile(Style.clean()), one.compile(Style.clean())
    # same strokes (grid lines and tick marks at every unit), fewer labels
    assert len(dl_k2.strokes) == len(dl_k1.strokes) and len(dl_k2.labels) < len(dl_k1.labels)


def test_blank_tick_labels_are_allowed_and_left_unlabelled():
    sc, _ = _grid_scene("box", tick_format=lambda v: format_number(v) if v % 5 == 0 else "")
    out = render(sc, Style.clean())
    assert not out.dropped
    assert sorted(set(_tick_texts(out)), key=float) == ["-5", "0", "5"]


def test_crowded_axes_thin_their_labels_automatically():
    sc, _ = _grid_scene("box", lo=-20, hi=20)  # 41 ticks on 324 px: labels cannot stand at every unit
    out = render(sc, Style.clean())
    assert not out.dropped
    values = sorted({float(t) for t in _tick_texts(out)})
    k = values[1] - values[0]
    assert k in (2, 5, 10) and all(v % k == 0 for v in values) and len(values) >= 4, values


@pytest.mark.parametrize("frame", ["cross", "box"])
def test_origin_and_corner_tick_labels_never_collide(frame):
    for seed in range(24):
        rng = random.Random(seed)
        size = rng.choice([256, 320, 384, 448])
        sc, _ = _grid_scene(frame, origin_label="O" if rng.random() < 0.6 else "")
        out = render(sc, sample_style(rng, size, size, degrade=0.0))
        assert not out.dropped, (seed, size, out.dropped)
        boxes = [t.box for t in out.texts]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (seed, a, b)
        if frame == "cross":  # the origin name is kept when asked for
            assert ("O" in {t.text for t in out.texts}) == ("O" in [lab.text for lab in sc.compile(
                sample_style(random.Random(seed), size, size)).labels])  # fmt: skip


def test_tick_labels_stay_over_their_ticks():
    for seed in range(12):
        for frame in ("cross", "box"):
            sc, ax = _grid_scene(frame)
            out = render(sc, sample_style(random.Random(seed), degrade=0.0))
            t = out.transform
            tags = {lab.tag for lab in out.texts if NUMBER.fullmatch(lab.text)}
            assert tags == {"xtick", "ytick"}, tags
            for lab in out.texts:
                if lab.tag not in ("xtick", "ytick"):
                    continue
                v = float(lab.text)
                x0, y0, x1, y1 = lab.box
                if lab.tag == "xtick":  # its tick is within its width
                    tx = t(ax.to_px(v, 0.0))[0]
                    assert x0 - 1 <= tx <= x1 + 1, (seed, frame, lab.text, lab.box, tx)
                else:  # its tick is within its height
                    ty = t(ax.to_px(0.0, v))[1]
                    assert y0 - 1 <= ty <= y1 + 1, (seed, frame, lab.text, lab.box, ty)


@pytest.mark.parametrize("name", PLOT_FAMILIES)
def test_plot_families_keep_their_tick_labels(name):
    """Crossing axes used to drop the "-1" on one axis and the origin's "O" in most renders."""
    dropped_ticks = 0
    for seed in range(15):
        p = FAMS.get(name).make(random.Random(seed))
        out = render(p.scene, sample_style(random.Random(100 + seed)))
        dropped_ticks += sum(1 for d in out.dropped if NUMBER.fullmatch(d) or d == "O")
    assert dropped_ticks == 0, f"{name}: {dropped_ticks} tick labels dropped in 15 renders"
