"""Coordinate axes and function plots as scene elements.

:class:`Axes` maps data coordinates into a logical box and draws the axes (through the origin with
arrows, ``frame="cross"``, or as left/bottom spines, ``frame="box"``), tick marks, tick labels and an
optional grid. Its helpers create elements that live on it: :meth:`Axes.curve` (a sampled function,
clipped to the y range and broken at discontinuities), :meth:`Axes.point` (a marked point),
:meth:`Axes.polyline` and :meth:`Axes.guides` (dashed lines from a point to both axes).

Example (a parabola with its vertex marked)::

    sc = Scene()
    ax = sc.add(Axes((40, 30, 360, 350), xlim=(-4, 4), ylim=(-3, 6), grid=True))
    sc.add(ax.curve(lambda x: x * x - 2, label="y = x² - 2"))
    sc.add(ax.point(0, -2, "V"))
    for g in ax.guides(2, 2):
        sc.add(g)
    ax.to_px(1.5, 0.25)        # logical position of a data point

Tick labels are plain ASCII ("-2", "0.5"); the default tick step is 1, 2 or 5 times a power of ten.
Grid lines and tick marks stand at every tick; labels at every ``label_every``-th unit of the step
(default: 1 unless neighbouring labels would crowd at the style's font size, then 2, 5 or 10), and a
``tick_format`` returning "" leaves a tick unlabelled. Where x and y labels would collide (near the
origin of crossing axes, at the corner of box axes) they slide apart by up to half their size, keeping
each tick within its label's extent; a y label that still collides is left out rather than dropped at
render time (the origin name "O" is kept). Tick labels carry the tags "xtick", "ytick" and "origin".
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from svemath.data.drawlist import DrawList, LabelRequest, Pt, ShapeBox, Stroke, direction_deg, dist, polar
from svemath.data.fonts import text_mask
from svemath.data.scene import Ctx, Curve, Element, Point, Segment


def nice_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    """Round tick values covering [lo, hi] with about ``target`` intervals."""
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / target
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9)
    ticks = []
    k = first
    while k * step <= hi + 1e-9 * step:
        ticks.append(round(k * step, 10))
        k += 1
    return ticks


def format_number(v: float, max_decimals: int = 2) -> str:
    """A compact ASCII number: 3, -2, 0.5, 12.25 (no trailing zeros)."""
    if abs(v - round(v)) < 1e-9:
        return str(round(v))
    return f"{v:.{max_decimals}f}".rstrip("0").rstrip(".")


@dataclass
class Axes(Element):
    """Axes over the logical ``box`` (x0, y0, x1, y1) showing data ranges ``xlim`` x ``ylim``."""

    box: tuple[float, float, float, float]
    xlim: tuple[float, float] = (-5.0, 5.0)
    ylim: tuple[float, float] = (-5.0, 5.0)
    xticks: Sequence[float] | None = None  # None: nice ticks; []: no ticks
    yticks: Sequence[float] | None = None
    tick_labels: bool = True
    grid: bool = False
    frame: str = "cross"  # "cross": axes through the origin (arrows); "box": left and bottom spines
    arrows: bool = True
    xlabel: str = "x"
    ylabel: str = "y"
    origin_label: str = "O"
    tick_format: Callable[[float], str] = format_number  # "" (or blank) leaves that tick unlabelled
    label_every: int | None = None  # label every k-th unit of the tick step; None: 1 unless crowded

    # --- data -> logical coordinates ---
    def x_px(self, x: float) -> float:
        x0, _, x1, _ = self.box
        return x0 + (x - self.xlim[0]) / (self.xlim[1] - self.xlim[0]) * (x1 - x0)

    def y_px(self, y: float) -> float:
        _, y0, _, y1 = self.box
        return y1 - (y - self.ylim[0]) / (self.ylim[1] - self.ylim[0]) * (y1 - y0)

    def to_px(self, x: float, y: float) -> Pt:
        return (self.x_px(x), self.y_px(y))

    def ticks(self) -> tuple[list[float], list[float]]:
        xt = list(self.xticks) if self.xticks is not None else nice_ticks(*self.xlim)
        yt = list(self.yticks) if self.yticks is not None else nice_ticks(*self.ylim)
        return xt, yt

    # --- elements on these axes ---
    def curve(
        self,
        f: Callable[[float], float],
        x0: float | None = None,
        x1: float | None = None,
        label: str = "",
        **kw,
    ) -> FunctionCurve:
        return FunctionCurve(
            self, f, self.xlim[0] if x0 is None else x0, self.xlim[1] if x1 is None else x1, label, **kw
        )

    def point(self, x: float, y: float, label: str = "", **kw) -> Point:
        kw.setdefault("marked", True)
        return Point(self.to_px(x, y), label, **kw)

    def polyline(self, xs: Sequence[float], ys: Sequence[float], **kw) -> Curve:
        return Curve(
            [self.to_px(x, y) for x, y in zip(xs, ys, strict=True)], smooth=False, cls="polyline", **kw
        )

    def guides(self, x: float, y: float, **kw) -> list[Segment]:
        """Dashed segments from (x, y) perpendicular to the x axis and to the y axis."""
        kw.setdefault("dash", "dashed")
        kw.setdefault("weight", 0.6)
        ax_y = self._axis_pos()[1]
        ax_x = self._axis_pos()[0]
        p = self.to_px(x, y)
        return [Segment(p, (p[0], ax_y), **kw), Segment(p, (ax_x, p[1]), **kw)]

    def _axis_pos(self) -> tuple[float, float]:
        """Logical x of the y axis and y of the x axis."""
        if self.frame == "box":
            return self.box[0], self.box[3]
        ox = min(max(0.0, self.xlim[0]), self.xlim[1])
        oy = min(max(0.0, self.ylim[0]), self.ylim[1])
        return self.x_px(ox), self.y_px(oy)

    def _fixed(self, ctx: Ctx, anchor: Pt, text: str, align: tuple[float, float]) -> LabelRequest:
        return self._label(ctx, text, anchor, mode="fixed", align=align, priority=3)

    def labelled_ticks(self, ctx: Ctx, values: Sequence[float], axis: str) -> list[float]:
        """The ticks of ``axis`` ("x" or "y") that get a label: every ``label_every``-th unit of the tick
        step (counted from 0, so -4, -2, 2, 4 with k = 2); with ``label_every=None`` the smallest k of
        (1, 2, 5, 10) at which neighbouring labels do not touch at the style's font size."""
        vals = [v for v in values if self.tick_format(v).strip()]
        if len(vals) < 2:
            return vals
        steps = [b - a for a, b in itertools.pairwise(sorted(values))]
        step = min(steps) if steps else 0.0
        uniform = step > 0 and all(abs(d - step) < 1e-6 * max(1.0, abs(step)) for d in steps)

        def keep(k: int) -> list[float]:
            if k == 1:
                return vals
            if uniform:
                return [v for v in vals if round(v / step) % k == 0]
            return vals[::k]

        if self.label_every is not None:
            return keep(max(1, self.label_every))
        scale = ctx.unit_px * FIT_SAFETY
        spacing = max(TICK_CLEARANCE_PX, NEIGHBOUR_GAP_EM * ctx.style.font_px)  # readable, not just apart
        for k in (1, 2, 5, 10):
            kept = keep(k)
            pos = [self.x_px(v) if axis == "x" else self.y_px(v) for v in kept]
            sizes = [_label_px(ctx, self.tick_format(v))[0 if axis == "x" else 1] for v in kept]
            order = sorted(range(len(kept)), key=lambda i: pos[i])
            if all(
                abs(pos[j] - pos[i]) * scale >= (sizes[i] + sizes[j]) / 2 + spacing
                for i, j in itertools.pairwise(order)
            ):
                return kept
        return keep(10)

    def tick_label_layout(self, ctx: Ctx) -> list[TickLabel]:
        """The tick (and origin) labels with their positions, nudged apart where the x and y labels
        would collide (near the origin of crossing axes, at the corner of box axes): a label slides
        away from the other axis by at most half its size, so its tick stays within its extent; a y
        label (or the origin name) that still collides is left out (never dropped at render time)."""
        width = ctx.width(self)
        tick = ctx.units(max(4.0, 3 * width))
        gap = ctx.units(3.0)
        yax, xax = self._axis_pos()
        xt, yt = self.ticks()
        cross = self.frame == "cross"
        skip_zero = cross and bool(self.origin_label)
        xs, ys = [], []
        if self.tick_labels:
            for v in self.labelled_ticks(ctx, xt, "x"):
                px = self.x_px(v)
                if (skip_zero and abs(v) < 1e-12) or (cross and abs(px - yax) < 1e-6):
                    continue
                away = (1.0 if px >= yax else -1.0, 0.0)
                xs.append(
                    TickLabel.make(ctx, self.tick_format(v), (px, xax + tick + gap), (0.5, 0.0), away, "x")
                )
            for v in self.labelled_ticks(ctx, yt, "y"):
                py = self.y_px(v)
                if (skip_zero and abs(v) < 1e-12) or (cross and abs(py - xax) < 1e-6):
                    continue
                away = (0.0, -1.0 if py <= xax else 1.0)
                ys.append(
                    TickLabel.make(ctx, self.tick_format(v), (yax - tick - gap, py), (1.0, 0.5), away, "y")
                )
        if (
            self.frame == "box"
        ):  # the corner value is written once (under the x axis) when both axes start with it
            ys = [y for y in ys if not any(
                x.text == y.text and abs(x.anchor[0] - yax) < 1e-6 and abs(y.anchor[1] - xax) < 1e-6 for x in xs
            )]  # fmt: skip
        origin = []
        if (
            cross
            and self.origin_label
            and self.xlim[0] <= 0 <= self.xlim[1]
            and self.ylim[0] <= 0 <= self.ylim[1]
        ):
            origin.append(
                TickLabel.make(ctx, self.origin_label, (yax - gap, xax + gap), (1.0, 0.0), (0.0, 0.0), "o")
            )
        clear = ctx.units(TICK_CLEARANCE_PX) + ctx.units(1.0)
        # the origin name first, then labels outward from the axes' crossing, so that crowding pushes
        # labels away from the origin
        xs.sort(key=lambda lab: abs(lab.anchor[0] - yax))
        ys.sort(key=lambda lab: abs(lab.anchor[1] - xax))
        placed: list[TickLabel] = []
        for lab in origin + xs + ys:
            if self._fit_label(lab, placed, clear):
                placed.append(lab)
        return placed

    @staticmethod
    def _fit_label(lab: TickLabel, placed: list[TickLabel], clear: float) -> bool:
        """Slide ``lab`` (and, for a y label, the x labels it hits) until it is clear of ``placed``."""
        hits = [p for p in placed if lab.hits(p, clear)]
        if not hits:
            return True
        moved: list[tuple[TickLabel, float]] = []
        for frac in (0.5, 1.0):
            lab.slide = frac
            if not any(lab.hits(p, clear) for p in placed):
                return True
            if lab.axis != "y":
                continue
            for p in hits:
                if p.axis == "x" and p.slide < frac:
                    before, p.slide = p.slide, frac
                    if any(p.hits(q, clear) for q in placed if q is not p):
                        p.slide = before
                    else:
                        moved.append((p, before))
            if not any(lab.hits(p, clear) for p in placed):
                return True
        for p, before in reversed(moved):  # left out: the x labels go back
            p.slide = before
        lab.slide = 0.0
        return False

    def compile(self, ctx: Ctx) -> DrawList:
        dl = DrawList()
        x0, y0, x1, y1 = self.box
        ink = ctx.style.color(self.color)
        width = ctx.width(self)
        tick = ctx.units(max(4.0, 3 * width))
        yax, xax = self._axis_pos()
        xt, yt = self.ticks()
        if self.grid:
            gcol = tuple((c + 2 * b) // 3 for c, b in zip(ink, (205, 205, 205), strict=True))
            for v in xt:
                dl.strokes.append(Stroke([(self.x_px(v), y0), (self.x_px(v), y1)], gcol, max(1.0, width * 0.5),
                                         junctions=False, boundary=False))  # fmt: skip
            for v in yt:
                dl.strokes.append(Stroke([(x0, self.y_px(v)), (x1, self.y_px(v))], gcol, max(1.0, width * 0.5),
                                         junctions=False, boundary=False))  # fmt: skip
        arrows = self.arrows and self.frame == "cross"
        ext = ctx.units(8.0) if arrows else 0.0
        xline = Stroke([(x0, xax), (x1 + ext, xax)], ink, width, arrow_end=arrows)
        yline = Stroke([(yax, y1), (yax, y0 - ext)], ink, width, arrow_end=arrows)
        dl.strokes += [xline, yline]
        dl.shapes.append(ShapeBox("axes", [(x0, y0 - ext), (x1 + ext, y1)], pad=width / 2, tag=self.tag))
        gap = ctx.units(3.0)
        for v in xt:
            px = self.x_px(v)
            dl.strokes.append(Stroke([(px, xax), (px, xax + tick)], ink, width))
        for v in yt:
            py = self.y_px(v)
            dl.strokes.append(Stroke([(yax, py), (yax - tick, py)], ink, width))
        for lab in self.tick_label_layout(ctx):
            req = self._fixed(ctx, lab.position(), lab.text, lab.align)
            req.tag = {"x": "xtick", "y": "ytick", "o": "origin"}[lab.axis]  # Rendered.texts[i].tag
            dl.labels.append(req)
        if self.xlabel:
            if self.frame == "cross":
                anchor, align = (x1 + ext, xax - gap * 2), (1.0, 1.0)
            else:
                anchor, align = (x1, y1 + tick + gap + ctx.units(ctx.style.font_px * 1.1)), (1.0, 0.0)
            dl.labels.append(self._fixed(ctx, anchor, self.xlabel, align))
        if self.ylabel:
            anchor = (yax + gap * 2, y0 - ext) if self.frame == "cross" else (x0 + gap * 2, y0 - gap)
            align = (0.0, 0.0) if self.frame == "cross" else (0.0, 1.0)
            dl.labels.append(self._fixed(ctx, anchor, self.ylabel, align))
        return dl


FIT_SAFETY = 0.88  # the render's fit often shrinks plots ~10% (room for outer labels); labels keep their size
TICK_CLEARANCE_PX = 3.0  # the layout's clearance between labels (2 px) plus a pixel of rounding
NEIGHBOUR_GAP_EM = 0.3  # space between neighbouring tick labels on one axis, in font sizes


def _label_px(ctx: Ctx, text: str) -> tuple[int, int]:
    m = text_mask(ctx.style.font, ctx.style.font_px, text)
    return m.width, m.height


@dataclass
class TickLabel:
    """A tick label's text and logical box: ``anchor`` carries the box point ``align``; the label may
    slide along ``away`` by ``slide`` (0..1) times half its size (so its tick stays within its extent)."""

    text: str
    anchor: Pt
    align: tuple[float, float]
    w: float
    h: float
    away: Pt
    axis: str  # "x", "y" or "o" (origin name)
    slide: float = 0.0

    @classmethod
    def make(
        cls, ctx: Ctx, text: str, anchor: Pt, align: tuple[float, float], away: Pt, axis: str
    ) -> TickLabel:
        w, h = _label_px(ctx, text)
        k = 1.0 / (ctx.unit_px * FIT_SAFETY)
        return cls(text, anchor, align, w * k, h * k, away, axis)

    def position(self) -> Pt:
        reach = (self.w / 2 - self.w * 0.1, self.h / 2 - self.h * 0.1)
        return (
            self.anchor[0] + self.away[0] * self.slide * reach[0],
            self.anchor[1] + self.away[1] * self.slide * reach[1],
        )

    def box(self) -> tuple[float, float, float, float]:
        x, y = self.position()
        left, top = x - self.align[0] * self.w, y - self.align[1] * self.h
        return (left, top, left + self.w, top + self.h)

    def hits(self, other: TickLabel, clear: float) -> bool:
        a, b = self.box(), other.box()
        return a[0] < b[2] + clear and b[0] < a[2] + clear and a[1] < b[3] + clear and b[1] < a[3] + clear


@dataclass
class FunctionCurve(Element):
    """y = f(x) on ``axes`` for x in [x0, x1], sampled about every 2 logical px, clipped to the y range
    and split where f is undefined or jumps (discontinuities). ``label`` goes near ``label_x``
    (default: the end of the longest piece)."""

    axes: Axes
    f: Callable[[float], float]
    x0: float
    x1: float
    label: str = ""
    label_x: float | None = None

    def pieces(self) -> list[list[Pt]]:
        """The drawn polylines, in logical coordinates."""
        ax = self.axes
        n = max(16, int(abs(ax.x_px(self.x1) - ax.x_px(self.x0)) / 2))
        lo, hi = ax.ylim
        runs: list[list[tuple[float, float]]] = []
        cur: list[tuple[float, float]] = []
        prev: float | None = None
        for i in range(n + 1):
            x = self.x0 + (self.x1 - self.x0) * i / n
            try:
                y = float(self.f(x))
            except (ValueError, ZeroDivisionError, OverflowError):
                y = math.nan
            if not math.isfinite(y) or (prev is not None and abs(y - prev) > hi - lo):  # undefined or a jump
                runs.append(cur)
                cur = []
            if math.isfinite(y):
                cur.append((x, y))
                prev = y
            else:
                prev = None
        runs.append(cur)
        out: list[list[tuple[float, float]]] = []
        for run in runs:
            if len(run) > 1:
                out += _clip_run(run, lo, hi)
        return [[ax.to_px(x, y) for x, y in r] for r in out]

    def compile(self, ctx: Ctx) -> DrawList:
        dl = DrawList()
        pieces = self.pieces()
        color = ctx.stroke_color(self)
        for pts in pieces:
            dl.strokes.append(Stroke(pts, color, ctx.width(self), self.dash, smooth=True))
        if pieces:
            dl.shapes.append(
                ShapeBox("curve", [p for r in pieces for p in r], pad=ctx.width(self) / 2, tag=self.tag)
            )
        if self.label and pieces:
            dl.labels.append(self._curve_label(ctx, pieces, color))
        return dl

    def _curve_label(self, ctx: Ctx, pieces: list[list[Pt]], color: tuple[int, int, int]) -> LabelRequest:
        """The label beside the curve: first near ``label_x`` (default: the end of the longest piece),
        then at points farther and farther along every piece, each on both sides of the curve and
        diagonally (long labels find room beside steep or bending stretches)."""
        if self.label_x is not None:
            px = self.axes.x_px(self.label_x)
            seq = min(pieces, key=lambda r: min(abs(p[0] - px) for p in r))
            k = max(1, min(range(len(seq)), key=lambda i: abs(seq[i][0] - px)))
        else:
            seq = max(pieces, key=len)
            k = len(seq) - 1
        tail = Curve([seq[k - 1], seq[k]], label=self.label, color=color, text_color=self.text_color,
                     label_role=self.label_role, role=self.role, tag=self.tag)  # fmt: skip
        req = tail.compile(ctx).labels[0]
        spots: list[tuple[float, Pt, float]] = []  # (distance from the preferred point, point, direction)
        for run in pieces:
            step = max(1, len(run) // 12)
            for j in range(1, len(run), step):
                d = direction_deg(run[j - 1], run[j])
                spots.append((dist(run[j], seq[k]), run[j], d))
        spots.sort(key=lambda sp: sp[0])
        for _, q, d in spots[1:]:
            req.candidates += [
                (q, polar((0.0, 0.0), 1.0, d + off)) for off in (90.0, -90.0, 45.0, -45.0, 135.0, -135.0)
            ]
        return req


def _clip_run(run: list[tuple[float, float]], lo: float, hi: float) -> list[list[tuple[float, float]]]:
    """Split a sampled run where it leaves [lo, hi], interpolating the crossing points."""
    out: list[list[tuple[float, float]]] = []
    cur: list[tuple[float, float]] = []
    for i, (x, y) in enumerate(run):
        inside = lo <= y <= hi
        if i > 0:
            px, py = run[i - 1]
            was = lo <= py <= hi
            if inside != was:
                bound = hi if (y > hi or py > hi) else lo
                t = (bound - py) / (y - py)
                xc = px + (x - px) * t
                cur.append((xc, bound))
                if was:
                    out.append(cur)
                    cur = []
        if inside:
            cur.append((x, y))
    if len(cur) > 1:
        out.append(cur)
    return [c for c in out if len(c) > 1]
