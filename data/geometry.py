"""Geometry elements: points, segments, rays, lines, polygons, circles, ellipses, arcs, sectors.

All coordinates are logical (y down); see ``svemath.data.scene`` for the conventions and an example.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from svemath.data.drawlist import (
    Dot,
    DrawList,
    Pt,
    ShapeBox,
    arc_points,
    centroid,
    ellipse_points,
    lerp,
    polar,
)
from svemath.data.elements import Ctx, Element, as_xy, ring_candidates, side_gap, side_label_candidates
from svemath.data.polygons import classify_polygon, rotate


# === geometry elements ===
@dataclass
class Point(Element):
    """A point, drawn as a dot if ``marked`` (None: the style decides), with an optional name label."""

    xy: Pt
    label: str = ""
    marked: bool | None = None
    label_dir: float | None = None  # preferred label direction in degrees (None: widest free gap)

    def __post_init__(self) -> None:
        self.xy = as_xy(self.xy)

    def __getitem__(self, i: int) -> float:
        return self.xy[i]

    def __iter__(self) -> Iterator[float]:
        return iter(self.xy)

    def __len__(self) -> int:
        return 2

    def compile(self, ctx: Ctx) -> DrawList:
        dl = DrawList()
        marked = self.marked if self.marked is not None else (ctx.style.mark_vertices or not self.label)
        radius = ctx.style.point_radius * self.weight
        if marked:
            color = ctx.style.color(self.color)
            dl.dots.append(Dot(self.xy, radius, color))
            dl.shapes.append(ShapeBox("point", [self.xy], pad=radius, tag=self.tag))
        if self.label:
            cands = ring_candidates(self.xy, [self.label_dir]) if self.label_dir is not None else []
            gap = (radius if marked else 0.0) + 3.0
            dl.labels.append(
                self._label(
                    ctx,
                    self.label,
                    self.xy,
                    mode="point",
                    candidates=cands,
                    gap=gap,
                    priority=2,
                    reserve=True,
                )
            )
        return dl


@dataclass
class Segment(Element):
    """Segment ab, optionally with a text label beside it (placed away from ``label_away``)."""

    a: Pt
    b: Pt
    label: str = ""
    label_away: Pt | None = None
    arrow: bool = False

    def __post_init__(self) -> None:
        self.a, self.b = as_xy(self.a), as_xy(self.b)
        self.label_away = as_xy(self.label_away) if self.label_away is not None else None

    def compile(self, ctx: Ctx) -> DrawList:
        dl = DrawList()
        stroke = self._stroke(ctx, [self.a, self.b], arrow_end=self.arrow)
        dl.strokes.append(stroke)
        dl.shapes.append(ShapeBox("segment", [self.a, self.b], pad=stroke.width / 2, tag=self.tag))
        if self.label:
            cands = side_label_candidates(self.a, self.b, self.label_away)
            mid = lerp(self.a, self.b, 0.5)
            dl.labels.append(
                self._label(
                    ctx,
                    self.label,
                    mid,
                    candidates=cands,
                    gap=side_gap(ctx, self),
                    reserve=True,
                    refers=(self.a, self.b),
                )
            )
        return dl


@dataclass
class Ray(Element):
    """Ray from ``a`` through ``through``, clipped at the image border."""

    a: Pt
    through: Pt
    label: str = ""
    arrow: bool = False

    def __post_init__(self) -> None:
        self.a, self.through = as_xy(self.a), as_xy(self.through)

    def compile(self, ctx: Ctx) -> DrawList:
        dl = DrawList()
        stroke = self._stroke(ctx, [self.a, self.through], infinite="ray", arrow_end=self.arrow)
        dl.strokes.append(stroke)
        dl.shapes.append(ShapeBox("ray", [], pad=stroke.width / 2, tag=self.tag, stroke=stroke))
        if self.label:
            cands = side_label_candidates(self.a, self.through, None)
            dl.labels.append(
                self._label(ctx, self.label, self.through, candidates=[(self.through, c[1]) for c in cands])
            )
        return dl


@dataclass
class Line(Element):
    """The infinite line through ``a`` and ``b``, clipped at the image border; label near ``b``."""

    a: Pt
    b: Pt
    label: str = ""

    def __post_init__(self) -> None:
        self.a, self.b = as_xy(self.a), as_xy(self.b)

    def compile(self, ctx: Ctx) -> DrawList:
        dl = DrawList()
        stroke = self._stroke(ctx, [self.a, self.b], infinite="line")
        dl.strokes.append(stroke)
        dl.shapes.append(ShapeBox("line", [], pad=stroke.width / 2, tag=self.tag, stroke=stroke))
        if self.label:
            cands = side_label_candidates(self.a, self.b, None)
            dl.labels.append(self._label(ctx, self.label, self.b, candidates=[(self.b, c[1]) for c in cands]))
        return dl


@dataclass
class Polygon(Element):
    """A closed polygon. ``kind``: its shape class ("" = classified from the vertices);
    ``side_labels[i]`` labels edge i -> i+1 (None/"" = none), placed outside."""

    vertices: list[Pt]
    kind: str = ""
    side_labels: Sequence[str | None] = ()

    def __post_init__(self) -> None:
        self.vertices = [as_xy(p) for p in self.vertices]
        if len(self.vertices) < 3:
            raise ValueError(f"Polygon needs at least 3 vertices, got {len(self.vertices)}")
        if not self.kind:
            self.kind = classify_polygon(self.vertices)

    def compile(self, ctx: Ctx) -> DrawList:
        dl = DrawList()
        fill = self._fill(ctx, self.vertices)
        if fill:
            dl.fills.append(fill)
        stroke = self._stroke(ctx, self.vertices, closed=True)
        dl.strokes.append(stroke)
        dl.shapes.append(ShapeBox(self.kind, self.vertices, pad=stroke.width / 2, tag=self.tag))
        c = centroid(self.vertices)
        n = len(self.vertices)
        for i, text in enumerate(self.side_labels):
            if text:
                a, b = self.vertices[i % n], self.vertices[(i + 1) % n]
                cands = side_label_candidates(a, b, c)
                dl.labels.append(
                    self._label(
                        ctx,
                        text,
                        lerp(a, b, 0.5),
                        candidates=cands,
                        gap=side_gap(ctx, self),
                        reserve=True,
                        refers=(a, b),
                    )
                )
        return dl


@dataclass
class Circle(Element):
    center: Pt
    r: float
    label: str = ""  # e.g. "O" is better as a Point; this labels the circle itself (outside, upper right)

    def __post_init__(self) -> None:
        self.center = as_xy(self.center)

    def compile(self, ctx: Ctx) -> DrawList:
        dl = DrawList()
        pts = arc_points(self.center, self.r, 0.0, 360.0)[:-1]
        fill = self._fill(ctx, pts)
        if fill:
            dl.fills.append(fill)
        stroke = self._stroke(ctx, pts, closed=True, smooth=True)
        dl.strokes.append(stroke)
        dl.shapes.append(ShapeBox("circle", pts, pad=stroke.width / 2, tag=self.tag))
        if self.label:
            p = polar(self.center, self.r, 45.0)
            cands = [(p, polar((0, 0), 1, 45.0 + d)) for d in (0, 20, -20, 40, -40)]
            dl.labels.append(self._label(ctx, self.label, p, candidates=cands))
        return dl


@dataclass
class Ellipse(Element):
    center: Pt
    rx: float
    ry: float
    rotation: float = 0.0  # degrees CCW

    def __post_init__(self) -> None:
        self.center = as_xy(self.center)

    def compile(self, ctx: Ctx) -> DrawList:
        pts = rotate(ellipse_points(self.center, self.rx, self.ry)[:-1], self.center, self.rotation)
        dl = DrawList()
        fill = self._fill(ctx, pts)
        if fill:
            dl.fills.append(fill)
        stroke = self._stroke(ctx, pts, closed=True, smooth=True)
        dl.strokes.append(stroke)
        dl.shapes.append(ShapeBox("ellipse", pts, pad=stroke.width / 2, tag=self.tag))
        return dl


@dataclass
class Arc(Element):
    """Arc of the circle (center, r) from ``start`` to ``end`` degrees, counter-clockwise."""

    center: Pt
    r: float
    start: float
    end: float
    label: str = ""

    def __post_init__(self) -> None:
        self.center = as_xy(self.center)

    @property
    def sweep(self) -> float:
        return (self.end - self.start) % 360.0 or 360.0

    def compile(self, ctx: Ctx) -> DrawList:
        dl = DrawList()
        pts = arc_points(self.center, self.r, self.start, self.sweep)
        stroke = self._stroke(ctx, pts, smooth=True)
        dl.strokes.append(stroke)
        dl.shapes.append(ShapeBox("arc", pts, pad=stroke.width / 2, tag=self.tag))
        if self.label:
            mid = self.start + self.sweep / 2
            p = polar(self.center, self.r, mid)
            cands = [(p, polar((0, 0), 1, mid + d)) for d in (0, 15, -15, 30, -30)]
            dl.labels.append(self._label(ctx, self.label, p, candidates=cands))
        return dl


@dataclass
class Sector(Element):
    """Sector (pie slice) of circle (center, r) from ``start`` to ``end`` degrees, counter-clockwise."""

    center: Pt
    r: float
    start: float
    end: float
    label: str = ""  # placed inside the sector
    cls: str = "sector"

    def __post_init__(self) -> None:
        self.center = as_xy(self.center)

    def compile(self, ctx: Ctx) -> DrawList:
        dl = DrawList()
        sweep = (self.end - self.start) % 360.0 or 360.0
        arc = arc_points(self.center, self.r, self.start, sweep)
        pts = [self.center, *arc]
        fill = self._fill(ctx, pts)
        if fill:
            dl.fills.append(fill)
        stroke = self._stroke(ctx, pts, closed=True, smooth=True, corners=(0, 1, len(pts) - 1))
        dl.strokes.append(stroke)
        dl.shapes.append(ShapeBox(self.cls, pts, pad=stroke.width / 2, tag=self.tag))
        if self.label:
            mid = self.start + sweep / 2
            p = polar(self.center, self.r * 0.6, mid)
            cands = [(polar(self.center, self.r * f, mid), None) for f in (0.6, 0.5, 0.72)]
            dl.labels.append(self._label(ctx, self.label, p, candidates=cands, gap=0, on_fill=True))
        return dl
