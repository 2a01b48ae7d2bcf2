"""The ``primitives`` suite: dense random diagrams with exact perception annotations (GeoGLIP pretraining).

Each sample is one composition (mostly dense collages of overlapping shapes, also geometry figures,
function plots, charts, tables, graphs, solids and pictograms; see ``svemath.data.compose``) drawn in a
random style, 384 x 384 (sometimes 448 x 320 or 320 x 448; with ``--image-size S`` the same shapes
scaled so that the longer side is S). The record holds the INTERFACES.md
``annotations`` (shapes, junctions, texts, ``"boundary": "@edge"`` with the edge map as the ``edge``
extra image) and a short conversation: "Describe the shapes in this diagram." answered from the
annotations (shape counts by class, then the labels in reading order). Deterministic per (index, rng).
"""

from __future__ import annotations

import random
from collections import Counter

from svemath.data.compose import composers, plural
from svemath.data.generate import current_options
from svemath.data.render import Rendered, render
from svemath.data.scene import SHAPE_CLASSES
from svemath.data.schema import Sample, register_suite
from svemath.data.style import sample_style

QUESTION = "<image>\nDescribe the shapes in this diagram."
SIZES = ((384, 384), (448, 320), (320, 448))


def reading_order(rendered: Rendered) -> list[str]:
    """Label strings top to bottom, left to right (rows of about one text height)."""
    texts = sorted(rendered.texts, key=lambda t: (t.box[1] + t.box[3]) / 2)
    rows: list[list] = []
    for t in texts:
        cy = (t.box[1] + t.box[3]) / 2
        if rows and cy - (rows[-1][0].box[1] + rows[-1][0].box[3]) / 2 < (t.box[3] - t.box[1]) * 0.6:
            rows[-1].append(t)
        else:
            rows.append([t])
    return [t.text for row in rows for t in sorted(row, key=lambda t: t.box[0])]


def describe(rendered: Rendered) -> str:
    """The answer: shape counts in SHAPE_CLASSES order, then the labels in reading order."""
    counts = Counter(s.cls for s in rendered.shapes)
    parts = [plural(counts[c], c) for c in SHAPE_CLASSES if counts[c]]
    out = f"Shapes: {', '.join(parts)}." if parts else "No shapes."
    labels = reading_order(rendered)
    if labels:
        out += f" Labels: {', '.join(labels)}."
    return out


def image_dims(width: int, height: int) -> tuple[int, int]:
    """Pixel size of an image whose composition is ``width`` x ``height`` logical units: the same,
    or scaled so that its longer side is ``--image-size`` when one was requested."""
    size = current_options().image_size
    if size is None:
        return width, height
    k = size / max(width, height)
    return max(1, round(width * k)), max(1, round(height * k))


def pick_kind(rng: random.Random, column: int) -> str:
    """A composition kind drawn with the weights of ``composers()`` column 1 (primitives) or 2 (captions)."""
    table = composers()
    names = [k for k in table if table[k][column] > 0]
    return rng.choices(names, weights=[table[k][column] for k in names])[0]


@register_suite(
    "primitives", "train", "dense random diagrams with shape/junction/text/boundary annotations", "1"
)
def make(index: int, rng: random.Random) -> Sample:
    width, height = rng.choices(SIZES, weights=(8, 1, 1))[0]
    kind = pick_kind(rng, 1)
    comp = composers()[kind][0](rng, width, height)
    rendered = render(comp.scene, sample_style(rng, *image_dims(width, height)))
    record = {
        "conversations": [{"from": "human", "value": QUESTION}, {"from": "gpt", "value": describe(rendered)}],
        "annotations": rendered.annotations("@edge"),
        "meta": {"family": "primitives", "subject": "primitives", "level": "read", "kind": comp.kind},
    }
    return Sample(rendered.image, record, {"edge": rendered.boundary})
