"""Pictograms: simple countable objects (circles, squares, triangles, stars, hexagons, diamonds)
scattered without overlap, for counting questions. Each :class:`Icon` is one shape annotation
(classes "circle", "square", "equilateral triangle", "star", "hexagon", "rhombus"), tagged with its kind.

Example::

    sc = Scene()
    for icon in pictogram({"star": 4, "circle": 3}, (30, 30, 354, 354), random.Random(0)):
        sc.add(icon)
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from svemath.data.drawlist import DrawList, Fill, Pt, ShapeBox, Stroke, polar
from svemath.data.polygons import regular_polygon
from svemath.data.scene import Ctx, Element

ICON_KINDS = {"circle": "circle", "square": "square", "triangle": "equilateral triangle", "star": "star",
              "hexagon": "hexagon", "diamond": "rhombus"}  # fmt: skip


@dataclass
class Icon(Element):
    """One countable object: ``kind`` in ICON_KINDS, ``size`` across, filled (``fill``) and outlined."""

    kind: str
    center: Pt
    size: float = 30.0
    rotation: float = 0.0

    def outline(self) -> list[Pt]:
        c, r = self.center, self.size / 2
        if self.kind == "circle":
            return regular_polygon(c, r, max(24, int(r)), 0.0)
        if self.kind == "square":
            return regular_polygon(c, r * math.sqrt(2) * 0.8, 4, 45.0 + self.rotation)
        if self.kind == "triangle":
            return regular_polygon((c[0], c[1] + r * 0.15), r * 1.05, 3, 90.0 + self.rotation)
        if self.kind == "star":
            return [
                polar(c, r if i % 2 == 0 else r * 0.45, 90.0 + self.rotation + 36.0 * i) for i in range(10)
            ]
        if self.kind == "hexagon":
            return regular_polygon(c, r, 6, self.rotation)
        if self.kind == "diamond":
            return [(c[0], c[1] - r), (c[0] + r * 0.65, c[1]), (c[0], c[1] + r), (c[0] - r * 0.65, c[1])]
        raise ValueError(f"Icon: unknown kind {self.kind!r}; known: {', '.join(ICON_KINDS)}")

    def compile(self, ctx: Ctx) -> DrawList:
        pts = self.outline()
        dl = DrawList()
        fill = ctx.fill_color(self)
        if fill is not None:
            dl.fills.append(Fill(pts, fill, self.opacity, self.hatch))
        stroke = Stroke(
            pts, ctx.stroke_color(self), ctx.width(self), self.dash, closed=True, smooth=self.kind == "circle"
        )
        dl.strokes.append(stroke)
        dl.shapes.append(
            ShapeBox(ICON_KINDS[self.kind], pts, pad=stroke.width / 2, tag=self.tag or self.kind)
        )
        return dl


def scatter_positions(
    n: int, box: tuple[float, float, float, float], size: float, rng: random.Random
) -> list[Pt]:
    """``n`` centres in ``box`` at least ``size * 1.25`` apart (jittered grid cells, shuffled)."""
    x0, y0, x1, y1 = box
    cols = max(1, int((x1 - x0) // (size * 1.35)))
    rows = max(1, int((y1 - y0) // (size * 1.35)))
    if cols * rows < n:
        raise ValueError(f"scatter_positions: {n} objects of size {size} do not fit in {box}")
    cells = rng.sample(range(cols * rows), n)
    cw, ch = (x1 - x0) / cols, (y1 - y0) / rows
    jx, jy = max(0.0, (cw - size * 1.25) / 2), max(0.0, (ch - size * 1.25) / 2)
    return [
        (
            x0 + (c % cols + 0.5) * cw + rng.uniform(-jx, jx),
            y0 + (c // cols + 0.5) * ch + rng.uniform(-jy, jy),
        )
        for c in cells
    ]


def pictogram(
    counts: dict[str, int],
    box: tuple[float, float, float, float],
    rng: random.Random,
    size: float = 34.0,
    colors: dict[str, tuple[int, int, int] | int] | None = None,
) -> list[Icon]:
    """Icons: ``counts[kind]`` of each kind scattered in ``box`` without overlap (kinds coloured by
    palette index unless ``colors`` says otherwise)."""
    total = sum(counts.values())
    pos = scatter_positions(total, box, size, rng)
    icons, k = [], 0
    for i, (kind, n) in enumerate(counts.items()):
        for _ in range(n):
            fill = colors[kind] if colors and kind in colors else i
            icons.append(Icon(kind, pos[k], size, rotation=0.0, fill=fill, tag=kind))
            k += 1
    return icons
