"""Marks and annotations: angle marks with values, right-angle marks, equal-length ticks, parallel
marks, free text, side (length) labels and sampled curves / polylines."""

from __future__ import annotations

from dataclasses import dataclass

from svemath.data.drawlist import (
    DrawList,
    Fill,
    Pt,
    ShapeBox,
    Stroke,
    arc_points,
    direction_deg,
    dist,
    lerp,
    polar,
    sweep_between,
    unit,
)
from svemath.data.elements import Ctx, Element, as_xy, ring_candidates, side_gap, side_label_candidates


@dataclass
class AngleMark(Element):
    """The angle p1-vertex-p2 marked with ``arcs`` arcs (the short way unless ``reflex``) and an
    optional value label (e.g. "47°") on the bisector outside the arcs (spots up to 2.3 radii out and
    0.3 of the sweep to either side; nowhere else). ``radius`` 0 = automatic; ``label_on_fill``: filled
    regions (a shaded polygon, a sector) do not push the value off its angle (set False to avoid them)."""

    vertex: Pt
    p1: Pt
    p2: Pt
    label: str = ""
    radius: float = 0.0
    arcs: int = 1
    reflex: bool = False
    label_on_fill: bool = True  # the value may sit on filled regions (e.g. inside a shaded polygon)

    def __post_init__(self) -> None:
        self.vertex, self.p1, self.p2 = as_xy(self.vertex), as_xy(self.p1), as_xy(self.p2)

    def geometry(self, ctx: Ctx) -> tuple[float, float, float]:
        """(start direction, signed sweep, radius) of the mark."""
        d1, d2 = direction_deg(self.vertex, self.p1), direction_deg(self.vertex, self.p2)
        sweep = sweep_between(d1, d2)
        if self.reflex:
            sweep = sweep - 360.0 if sweep > 0 else sweep + 360.0
        shortest = min(dist(self.vertex, self.p1), dist(self.vertex, self.p2))
        r = self.radius or min(0.07 * ctx.side, 0.45 * shortest)
        return d1, sweep, r

    def compile(self, ctx: Ctx) -> DrawList:
        dl = DrawList()
        d1, sweep, r = self.geometry(ctx)
        color = ctx.stroke_color(self)
        width = max(1.0, ctx.width(self) * 0.75)
        spacing = ctx.units(max(3.0, width * 2))
        if self.fill is not None:
            pts = [self.vertex, *arc_points(self.vertex, r, d1, sweep)]
            dl.fills.append(Fill(pts, ctx.fill_color(self) or ctx.style.shade, self.opacity))
        outer: list[Pt] = []
        for k in range(max(1, self.arcs)):
            outer = arc_points(self.vertex, r + k * spacing, d1, sweep, step=2.0)
            dl.strokes.append(Stroke(outer, color, width, smooth=True, junctions=False))
        dl.shapes.append(ShapeBox("angle mark", [self.vertex, *outer], pad=width / 2, tag=self.tag))
        if self.label:
            mid = d1 + sweep / 2
            r_out = r + (self.arcs - 1) * spacing
            cands = []
            for extra in (0.0, 0.35, 0.8, 1.3):
                for dd in (0.0, 0.15, -0.15, 0.3, -0.3):
                    a = mid + dd * abs(sweep)
                    cands.append((polar(self.vertex, r_out * (1 + extra), a), polar((0, 0), 1, a)))
            # only on the bisector side of the arcs (no ring around it), within about a third of a text
            # height of those spots: an angle value drifting off its arc reads as another angle's
            dl.labels.append(
                self._label(
                    ctx,
                    self.label,
                    cands[0][0],
                    candidates=cands,
                    gap=3.0,
                    priority=1,
                    max_dist=ctx.units(0.35 * ctx.style.font_px),
                    on_fill=self.label_on_fill,
                    ring=False,
                    refers=(self.vertex,),
                )
            )
        return dl


@dataclass
class RightAngleMark(Element):
    """The small square marking a right angle p1-vertex-p2. ``size`` 0 = automatic."""

    vertex: Pt
    p1: Pt
    p2: Pt
    size: float = 0.0

    def __post_init__(self) -> None:
        self.vertex, self.p1, self.p2 = as_xy(self.vertex), as_xy(self.p1), as_xy(self.p2)

    def compile(self, ctx: Ctx) -> DrawList:
        v = self.vertex
        s = self.size or min(0.035 * ctx.side, 0.3 * min(dist(v, self.p1), dist(v, self.p2)))
        u1, u2 = unit(v, self.p1), unit(v, self.p2)
        a = (v[0] + s * u1[0], v[1] + s * u1[1])
        b = (a[0] + s * u2[0], a[1] + s * u2[1])
        c = (v[0] + s * u2[0], v[1] + s * u2[1])
        width = max(1.0, ctx.width(self) * 0.75)
        dl = DrawList()
        dl.strokes.append(Stroke([a, b, c], ctx.stroke_color(self), width, junctions=False))
        dl.shapes.append(ShapeBox("right angle mark", [v, a, b, c], pad=width / 2, tag=self.tag))
        return dl


@dataclass
class EqualTicks(Element):
    """``count`` short ticks across the middle of segment ab (marks equal lengths)."""

    a: Pt
    b: Pt
    count: int = 1
    size: float = 0.0

    def __post_init__(self) -> None:
        self.a, self.b = as_xy(self.a), as_xy(self.b)

    def compile(self, ctx: Ctx) -> DrawList:
        s = self.size or 0.022 * ctx.side
        u = unit(self.a, self.b)
        n = (-u[1], u[0])
        gap = ctx.units(max(4.0, ctx.width(self) * 2.5))
        mid = lerp(self.a, self.b, 0.5)
        dl = DrawList()
        for k in range(self.count):
            off = (k - (self.count - 1) / 2) * gap
            c = (mid[0] + u[0] * off, mid[1] + u[1] * off)
            p, q = (c[0] - n[0] * s, c[1] - n[1] * s), (c[0] + n[0] * s, c[1] + n[1] * s)
            dl.strokes.append(Stroke([p, q], ctx.stroke_color(self), ctx.width(self), junctions=False))
        return dl


@dataclass
class ParallelMarks(Element):
    """``count`` chevrons at the middle of segment ab pointing from a to b (marks parallel lines)."""

    a: Pt
    b: Pt
    count: int = 1
    size: float = 0.0

    def __post_init__(self) -> None:
        self.a, self.b = as_xy(self.a), as_xy(self.b)

    def compile(self, ctx: Ctx) -> DrawList:
        s = self.size or 0.022 * ctx.side
        u = unit(self.a, self.b)
        n = (-u[1], u[0])
        gap = ctx.units(max(5.0, ctx.width(self) * 3))
        mid = lerp(self.a, self.b, 0.5)
        dl = DrawList()
        for k in range(self.count):
            off = (k - (self.count - 1) / 2) * gap + s / 2
            tip = (mid[0] + u[0] * off, mid[1] + u[1] * off)
            back = (tip[0] - u[0] * s, tip[1] - u[1] * s)
            pts = [
                (back[0] + n[0] * s * 0.7, back[1] + n[1] * s * 0.7),
                tip,
                (back[0] - n[0] * s * 0.7, back[1] - n[1] * s * 0.7),
            ]
            dl.strokes.append(Stroke(pts, ctx.stroke_color(self), ctx.width(self), junctions=False))
        return dl


@dataclass
class Text(Element):
    """A text label. ``placement="fixed"``: exactly at ``anchor`` with ``align`` (fractions of the
    text box put on the anchor: (0.5, 0.5) centred, (0, 0.5) left-aligned, (0.5, 0) top-centred);
    ``"near"``: the free spot nearest ``anchor``, trying ``direction`` (degrees) first."""

    anchor: Pt
    text: str
    placement: str = "fixed"
    align: tuple[float, float] = (0.5, 0.5)
    direction: float | None = None
    size_scale: float = 1.0
    font: str = ""
    priority: int = 0

    def __post_init__(self) -> None:
        self.anchor = as_xy(self.anchor)

    def compile(self, ctx: Ctx) -> DrawList:
        dl = DrawList()
        if self.placement == "fixed":
            req = self._label(
                ctx, self.text, self.anchor, mode="fixed", align=self.align, priority=3 + self.priority
            )
        else:
            degs = [self.direction] if self.direction is not None else []
            degs += [90.0, 45.0, 135.0, 0.0, 180.0, 270.0, 315.0, 225.0]
            req = self._label(
                ctx,
                self.text,
                self.anchor,
                candidates=ring_candidates(self.anchor, degs),
                priority=self.priority,
            )
        req.size_scale, req.font = self.size_scale, self.font
        if self.color is not None:
            req.color = ctx.style.color(self.color)
        dl.labels.append(req)
        return dl


@dataclass
class SideLabel(Element):
    """A text label beside segment ab (e.g. a polygon side's length) without drawing anything else;
    placed on the side away from ``away`` when given."""

    a: Pt
    b: Pt
    text: str
    away: Pt | None = None

    def __post_init__(self) -> None:
        self.a, self.b = as_xy(self.a), as_xy(self.b)
        self.away = as_xy(self.away) if self.away is not None else None

    def compile(self, ctx: Ctx) -> DrawList:
        dl = DrawList()
        cands = side_label_candidates(self.a, self.b, self.away)
        dl.labels.append(
            self._label(
                ctx,
                self.text,
                lerp(self.a, self.b, 0.5),
                candidates=cands,
                gap=side_gap(ctx, self),
                reserve=True,
                refers=(self.a, self.b),
            )
        )
        return dl


@dataclass
class Curve(Element):
    """A polyline through ``points`` (``smooth``: a sampled curve). ``cls``: its shape class
    ("curve" or "polyline"); ``label`` is placed near the last point."""

    points: list[Pt]
    smooth: bool = True
    closed: bool = False
    cls: str = "curve"
    arrow: bool = False
    label: str = ""

    def __post_init__(self) -> None:
        self.points = [as_xy(p) for p in self.points]

    def compile(self, ctx: Ctx) -> DrawList:
        dl = DrawList()
        stroke = self._stroke(ctx, self.points, smooth=self.smooth, closed=self.closed, arrow_end=self.arrow)
        dl.strokes.append(stroke)
        dl.shapes.append(ShapeBox(self.cls, self.points, pad=stroke.width / 2, tag=self.tag))
        if self.label:
            end = self.points[-1]
            d = direction_deg(self.points[-2], end) if len(self.points) > 1 else 0.0
            degs = [d + 60, d - 60, d + 90, d - 90, d, d + 120, d - 120]
            dl.labels.append(self._label(ctx, self.label, end, candidates=ring_candidates(end, degs)))
        return dl
