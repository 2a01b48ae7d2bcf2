"""Charts and tables as scene elements.

- :class:`BarChart`: vertical or horizontal bars with a value axis, category labels, optional value
  labels on the bars, title and grid. Each bar is a "bar" shape tagged ``bar:<category>``.
- :class:`LineChart`: one or more series over categories, with markers and a legend.
- :class:`PieChart`: wedges ("pie wedge" shapes) labelled with names and/or percentages, or a legend.
- :class:`ScatterChart`: marked points on box-framed axes.
- :class:`Table`: a grid of text cells (column widths fitted to the text), shape "table".
(Pictograms of countable objects are in ``svemath.data.pictograms``.)

Example::

    sc = Scene(rotation_limit=0)
    sc.add(BarChart((50, 40, 360, 330), ["A", "B", "C"], [12, 35, 20], value_labels=True, title="Sales"))
    sc2 = Scene(rotation_limit=0)
    sc2.add(Table((192, 192), [["Name", "Score"], ["Ann", "12"], ["Bob", "9"]]))   # centred at (192, 192)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from svemath.data.drawlist import (
    RGB,
    Dot,
    DrawList,
    Fill,
    LabelRequest,
    Pt,
    ShapeBox,
    Stroke,
    direction_deg,
    dist,
    polar,
)
from svemath.data.fonts import FONTS, text_mask
from svemath.data.plots import Axes, format_number, nice_ticks
from svemath.data.scene import Ctx, Element, Sector
from svemath.data.style import PALETTES


def category_rows(ctx: Ctx, labels: Sequence[str], slot: float) -> list[int]:
    """Row (0 or 1) of each category label under a horizontal axis: labels alternate between two rows
    when neighbours would not fit side by side in their ``slot`` (logical width per category)."""
    widths = [text_mask(ctx.style.font, ctx.style.font_px, t).width for t in labels]
    slot_px = slot * ctx.unit_px * 0.95  # the fit may shrink the geometry a little
    crowded = any((a + b) / 2 + 6 > slot_px for a, b in itertools.pairwise(widths))
    return [i % 2 if crowded else 0 for i in range(len(labels))]


def chart_title(
    chart: Element, ctx: Ctx, anchor: Pt, align: tuple[float, float] = (0.5, 1.0)
) -> LabelRequest:
    """The chart's title at ``anchor`` (default: centred above it): 1.1 times the label size, less when
    that would be wider than the canvas (a fixed label wider than the image would be dropped)."""
    text = chart.title  # type: ignore[attr-defined]
    width = text_mask(ctx.style.font, ctx.style.font_px, text).width
    room = 0.92 * ctx.canvas_size[0] * ctx.unit_px
    scale = max(0.7, min(1.1, room / max(width, 1)))
    return chart._label(ctx, text, anchor, mode="fixed", align=align, priority=4, size_scale=scale)


def _value_axis(
    lo: float, hi: float, ticks: Sequence[float] | None, headroom: float = 0.0
) -> tuple[tuple[float, float], list[float]]:
    """Value range (including 0) and ticks; ``headroom``: free fraction above the largest value."""
    lo, hi = min(0.0, lo), max(0.0, hi)
    t = list(ticks) if ticks is not None else nice_ticks(lo, hi * 1.08 if hi > 0 else hi, 5)
    top = max(hi, t[-1])
    if headroom and hi > 0:
        top = max(top, hi / (1.0 - headroom))
    return (min(lo, t[0]), top), t


@dataclass
class BarChart(Element):
    """Bars for ``values`` over ``categories`` inside the logical ``box`` (axes included)."""

    box: tuple[float, float, float, float]
    categories: Sequence[str]
    values: Sequence[float]
    horizontal: bool = False
    value_labels: bool = False
    colors: Sequence[tuple[int, int, int] | int] | None = None  # per bar; None: one palette colour
    ticks: Sequence[float] | None = None
    grid: bool = True
    title: str = ""
    bar_frac: float = 0.6
    tick_labels: bool = True

    def bar_rect(self, i: int, lim: tuple[float, float]) -> list[Pt]:
        x0, y0, x1, y1 = self.box
        n = len(self.values)
        lo, hi = lim
        v = self.values[i]
        if not self.horizontal:
            slot = (x1 - x0) / n
            cx, half = x0 + slot * (i + 0.5), slot * self.bar_frac / 2

            def ypx(val: float) -> float:
                return y1 - (val - lo) / (hi - lo) * (y1 - y0)

            return [(cx - half, ypx(0)), (cx + half, ypx(0)), (cx + half, ypx(v)), (cx - half, ypx(v))]
        slot = (y1 - y0) / n
        cy, half = y0 + slot * (i + 0.5), slot * self.bar_frac / 2

        def xpx(val: float) -> float:
            return x0 + (val - lo) / (hi - lo) * (x1 - x0)

        return [(xpx(0), cy + half), (xpx(0), cy - half), (xpx(v), cy - half), (xpx(v), cy + half)]

    def compile(self, ctx: Ctx) -> DrawList:
        if len(self.categories) != len(self.values):
            raise ValueError(f"BarChart: {len(self.categories)} categories but {len(self.values)} values")
        room = 0.12 if self.value_labels and not self.horizontal else 0.0
        lim, ticks = _value_axis(min(self.values), max(self.values), self.ticks, room)
        x0, y0, x1, y1 = self.box
        if self.horizontal:
            ax = Axes(self.box, xlim=lim, ylim=(0, 1), xticks=ticks, yticks=[], grid=self.grid, frame="box",
                      xlabel="", ylabel="", tick_labels=self.tick_labels, color=self.color, weight=self.weight)  # fmt: skip
        else:
            ax = Axes(self.box, xlim=(0, 1), ylim=lim, xticks=[], yticks=ticks, grid=self.grid, frame="box",
                      xlabel="", ylabel="", tick_labels=self.tick_labels, color=self.color, weight=self.weight)  # fmt: skip
        dl = ax.compile(ctx)
        gap = ctx.units(4.0)
        rows = category_rows(ctx, self.categories, (x1 - x0) / len(self.values))
        row_h = ctx.units(text_mask(ctx.style.font, ctx.style.font_px, "Hg").height + 4)
        for i, (cat, v) in enumerate(zip(self.categories, self.values, strict=True)):
            rect = self.bar_rect(i, lim)
            spec = self.colors[i] if self.colors is not None else (self.fill if self.fill is not None else 0)
            color = ctx.style.shade if spec == "shade" else ctx.style.color(spec)  # type: ignore[arg-type]
            dl.fills.append(Fill(rect, color, self.opacity, self.hatch))
            stroke = Stroke(rect, ctx.style.color(self.color), ctx.width(self) * 0.75, closed=True)
            dl.strokes.append(stroke)
            dl.shapes.append(ShapeBox("bar", rect, pad=stroke.width / 2, tag=f"bar:{cat}"))
            base_mid = ((rect[0][0] + rect[1][0]) / 2, (rect[0][1] + rect[1][1]) / 2)
            top_mid = ((rect[2][0] + rect[3][0]) / 2, (rect[2][1] + rect[3][1]) / 2)
            if self.horizontal:
                cat_anchor = (x0 - gap, base_mid[1])
                dl.labels.append(
                    self._label(ctx, cat, cat_anchor, mode="fixed", align=(1.0, 0.5), priority=3)
                )
                if self.value_labels:
                    anchor, align = (top_mid[0] + gap, top_mid[1]), (0.0, 0.5)
            else:
                cat_anchor = (base_mid[0], y1 + gap + rows[i] * row_h)
                dl.labels.append(
                    self._label(ctx, cat, cat_anchor, mode="fixed", align=(0.5, 0.0), priority=3)
                )
                if self.value_labels:
                    anchor, align = (top_mid[0], top_mid[1] - gap), (0.5, 1.0)
            if self.value_labels:
                req = self._label(ctx, format_number(v), anchor, mode="fixed", align=align, priority=3,
                                  refers=(cat_anchor,))  # fmt: skip
                req.tag = f"value:{cat}"
                dl.labels.append(req)
        if self.title:
            dl.labels.append(chart_title(self, ctx, ((x0 + x1) / 2, y0 - ctx.units(10.0))))
        return dl


@dataclass
class LineChart(Element):
    """Series of values over ``categories`` (x labels) in ``box``; legend when several series."""

    box: tuple[float, float, float, float]
    categories: Sequence[str]
    series: dict[str, Sequence[float]]
    markers: bool = True
    legend: bool | None = None
    ticks: Sequence[float] | None = None
    grid: bool = True
    title: str = ""

    def point(self, series: str, i: int, lim: tuple[float, float]) -> Pt:
        x0, y0, x1, y1 = self.box
        n = len(self.categories)
        x = x0 + (x1 - x0) * (i + 0.5) / n
        return (x, y1 - (self.series[series][i] - lim[0]) / (lim[1] - lim[0]) * (y1 - y0))

    def compile(self, ctx: Ctx) -> DrawList:
        allv = [v for vs in self.series.values() for v in vs]
        legend = self.legend or (self.legend is None and len(self.series) > 1)
        lim, ticks = _value_axis(min(allv), max(allv), self.ticks, 0.22 if legend else 0.0)
        x0, y0, x1, y1 = self.box
        ax = Axes(self.box, xlim=(0, 1), ylim=lim, xticks=[], yticks=ticks, grid=self.grid, frame="box",
                  xlabel="", ylabel="", color=self.color, weight=self.weight)  # fmt: skip
        dl = ax.compile(ctx)
        gap = ctx.units(4.0)
        n = len(self.categories)
        rows = category_rows(ctx, self.categories, (x1 - x0) / n)
        row_h = ctx.units(text_mask(ctx.style.font, ctx.style.font_px, "Hg").height + 4)
        for i, cat in enumerate(self.categories):
            x = x0 + (x1 - x0) * (i + 0.5) / n
            tick = ctx.units(5.0)
            dl.strokes.append(Stroke([(x, y1), (x, y1 + tick)], ctx.style.color(self.color), ctx.width(self)))
            anchor = (x, y1 + tick + gap + rows[i] * row_h)
            dl.labels.append(self._label(ctx, cat, anchor, mode="fixed", align=(0.5, 0.0), priority=3))
        for k, name in enumerate(self.series):
            color = ctx.style.palette[k % len(ctx.style.palette)]
            pts = [self.point(name, i, lim) for i in range(n)]
            dl.strokes.append(
                Stroke(
                    pts,
                    color,
                    ctx.width(self) * 1.2,
                    self.dash if k == 0 else ("dashed" if k % 2 else "solid"),
                )
            )
            dl.shapes.append(ShapeBox("polyline", pts, pad=ctx.width(self) * 0.6, tag=f"series:{name}"))
            if self.markers:
                r = ctx.style.point_radius * 1.1
                for i, p in enumerate(pts):
                    dl.dots.append(Dot(p, r, color))
                    dl.shapes.append(ShapeBox("point", [p], pad=r, tag=f"{name}:{self.categories[i]}"))
        if legend:  # one row along the top of the plot area (kept free by the headroom)
            y = y0 + ctx.units(ctx.style.font_px * 0.7)
            x = x0 + ctx.units(10.0)
            for k, name in enumerate(self.series):
                color = ctx.style.palette[k % len(ctx.style.palette)]
                swatch = [(x, y), (x + ctx.units(22.0), y)]
                dl.strokes.append(Stroke(swatch, color, ctx.width(self) * 1.2, junctions=False))
                xa = x + ctx.units(26.0)
                dl.labels.append(self._label(ctx, name, (xa, y), mode="fixed", align=(0.0, 0.5), priority=3))
                x = xa + ctx.units(text_mask(ctx.style.font, ctx.style.font_px, name).width + 18.0)
        if self.title:
            dl.labels.append(chart_title(self, ctx, ((x0 + x1) / 2, y0 - ctx.units(10.0))))
        return dl


@dataclass
class PieChart(Element):
    """Wedges for ``values`` (shares of their sum) starting at ``start`` degrees, counter-clockwise.
    ``show``: "name", "percent", "both" (outside labels) or "legend" (percent inside + legend).

    A percentage (and the label of a wedge of 30% or more) goes inside its wedge where its whole box
    fits there (never across into a neighbour), in black or white, whichever contrasts with the wedge;
    otherwise just outside the wedge's stretch of the rim (the pie shrinks, down to 0.6 r, to leave
    such labels room in the canvas). Low-chroma style palettes (greys) are replaced by a distinct palette, so
    that wedges and legend swatches can be matched by colour."""

    center: Pt
    r: float
    labels: Sequence[str]
    values: Sequence[float]
    show: str = "both"
    start: float = 90.0
    title: str = ""

    def percents(self) -> list[float]:
        total = float(sum(self.values))
        return [100.0 * v / total for v in self.values]

    def fitted_radius(self, ctx: Ctx) -> float:
        """``r``, or less (down to 0.6 r) when some outside label would not fit the canvas anywhere
        along its wedge beside a pie of radius ``r`` (text keeps its pixel size, so a smaller pie
        leaves it room)."""
        if self.show not in ("name", "both"):
            return self.r
        width, height = ctx.canvas_size
        margin = ctx.units(8.0)
        k = 1.0 / (ctx.unit_px * 0.95)  # pixels -> logical, with the fit's usual shrink
        best = self.r
        floor = 0.6 * self.r  # never below this, nor below what keeps the inside labels inside
        angle = self.start
        for name, pct in zip(self.labels, self.percents(), strict=True):
            start, sweep = angle, 3.6 * pct
            angle += sweep
            text = f"{name} {format_number(round(pct, 1), 1)}%" if self.show == "both" else name
            if pct >= 30.0 and self._inside_spots(ctx, text, start, sweep, self.r):  # drawn inside its wedge
                floor = max(floor, next(f * self.r for f in (0.6, 0.7, 0.8, 0.9, 1.0)
                                        if self._inside_spots(ctx, text, start, sweep, f * self.r)))  # fmt: skip
                continue
            m = text_mask(ctx.style.font, ctx.style.font_px, text)
            w, h = m.width * k, m.height * k
            spread = max(0.0, sweep / 2 - 4.0)
            wedge_best = -math.inf
            for f in (0.0, 0.25, -0.25, 0.5, -0.5, 0.75, -0.75, 1.0, -1.0):
                a = math.radians(start + sweep / 2 + f * spread)
                ux, uy = math.cos(a), -math.sin(a)
                off = 5.0 * k + abs(ux) * w / 2 + abs(uy) * h / 2
                fit = math.inf  # the box centre is center + (r + off) u: keep the box in the canvas
                for c, u, half, size in (
                    (self.center[0], ux, w / 2, width),
                    (self.center[1], uy, h / 2, height),
                ):
                    if u > 1e-6:
                        fit = min(fit, (size - margin - half - c) / u - off)
                    elif u < -1e-6:
                        fit = min(fit, (c - margin - half) / -u - off)
                    elif not (margin + half <= c <= size - margin - half):
                        fit = -math.inf
                wedge_best = max(wedge_best, fit)
            best = min(best, wedge_best)
        return max(floor, min(self.r, best))

    def compile(self, ctx: Ctx) -> DrawList:
        dl = DrawList()
        colors = pie_palette(ctx.style.palette)
        r = self.fitted_radius(ctx)
        outside: list[tuple[float, LabelRequest]] = []
        legend_x = self.center[0] + r + ctx.units(18.0)
        swatch = ctx.units(ctx.style.font_px * 0.7)

        def legend_anchor(k: int) -> Pt:  # where the legend writes the k-th name
            return (
                legend_x + swatch * 1.5,
                self.center[1] - r + k * ctx.units(ctx.style.font_px * 1.4) + swatch / 2,
            )

        angle = self.start
        for k, (name, pct) in enumerate(zip(self.labels, self.percents(), strict=True)):
            sweep = 3.6 * pct
            color = colors[k % len(colors)]
            outline = self.color if self.color is not None else ctx.style.ink  # never palette-cycled
            wedge = Sector(self.center, r, angle, angle + sweep, cls="pie wedge", fill=color, color=outline,
                           weight=self.weight, tag=f"wedge:{name}", role=self.role, label_role=self.label_role)  # fmt: skip
            wdl = wedge.compile(ctx)
            ptxt = f"{format_number(round(pct, 1), 1)}%"
            text = {"name": name, "both": f"{name} {ptxt}"}.get(self.show, ptxt)
            # percentages go inside their wedge where they fit; names too on wide wedges (>= 30%),
            # which leaves the room around the pie to the narrow ones
            inside = self._inside_spots(ctx, text, angle, sweep, r)
            if inside and (self.show in ("percent", "legend") or pct >= 30.0):
                req = self._label(ctx, text, inside[0], candidates=[(c, None) for c in inside], gap=0,
                                  priority=1, on_fill=True, max_dist=0.0, ring=False)  # fmt: skip
                req.color = self.text_color or contrast_text(color)
                wdl.labels.append(req)
            else:
                req = self._outside(ctx, text, angle, sweep, r)
                outside.append((sweep, req))
            if self.show == "legend":  # the value is about the wedge named in the legend
                req.refers = (legend_anchor(k),)
            dl.extend(wdl)
            angle += sweep
        # narrow wedges have the fewest places: their labels go first
        dl.labels += [req for _, req in sorted(outside, key=lambda o: o[0])]
        if self.show == "legend":
            x, s = legend_x, swatch
            for k, name in enumerate(self.labels):
                y = legend_anchor(k)[1] - s / 2
                sq = [(x, y), (x + s, y), (x + s, y + s), (x, y + s)]
                dl.fills.append(Fill(sq, colors[k % len(colors)]))
                dl.strokes.append(Stroke(sq, ctx.style.color(self.color), 1.0, closed=True, junctions=False))
                dl.labels.append(
                    self._label(ctx, name, legend_anchor(k), mode="fixed", align=(0.0, 0.5), priority=3)
                )
        if self.title:
            # at the top of the canvas, clear of the labels outside the pie's upper wedges
            top = min(
                self.center[1] - r - ctx.units(30.0) - ctx.units(ctx.style.font_px * 1.1), ctx.units(8.0)
            )
            dl.labels.append(chart_title(self, ctx, (self.center[0], top), (0.5, 0.0)))
        return dl

    def _outside(self, ctx: Ctx, text: str, start: float, sweep: float, r: float) -> LabelRequest:
        """A label just outside the wedge's own stretch of the rim (its middle first, then towards its
        ends, where a wide wedge leaves room above or below the pie): never over the pie, never
        beside another wedge."""
        mid = start + sweep / 2
        spread = max(0.0, sweep / 2 - 4.0)
        angles = [mid + f * spread for f in (0.0, 0.25, -0.25, 0.5, -0.5, 0.75, -0.75, 1.0, -1.0)]
        cands = []
        for extra in (0.0, 0.12, 0.25, 0.4):  # farther out: stacked above a neighbour's label
            for a in angles:
                cands.append((polar(self.center, r * (1 + extra), a), polar((0, 0), 1, a)))
        # within the wedge's stretch, the label may sit anywhere along it
        return self._label(ctx, text, polar(self.center, r, mid), candidates=cands, gap=5.0, priority=1,
                           reserve=True, ring=False, max_dist=ctx.units(0.6 * ctx.style.font_px))  # fmt: skip

    def _inside_spots(self, ctx: Ctx, text: str, start: float, sweep: float, r: float) -> list[Pt]:
        """Centres on the wedge's bisector where the text's whole box lies inside the wedge."""
        m = text_mask(ctx.style.font, ctx.style.font_px, text)
        hw, hh = ctx.units(m.width / 2 + 2) / 0.95, ctx.units(m.height / 2 + 2) / 0.95
        mid = start + sweep / 2
        out = []
        for f in (0.62, 0.5, 0.72, 0.4, 0.8):
            c = polar(self.center, r * f, mid)
            corners = [(c[0] + dx, c[1] + dy) for dx in (-hw, hw) for dy in (-hh, hh)]
            if all(_in_wedge(self.center, r, start, sweep, q) for q in corners):
                out.append(c)
        return out


def _in_wedge(center: Pt, r: float, start: float, sweep: float, q: Pt) -> bool:
    if dist(center, q) > r:
        return False
    return sweep >= 360.0 or (direction_deg(center, q) - start) % 360.0 <= sweep


def pie_palette(palette: Sequence[RGB]) -> tuple[RGB, ...]:
    """``palette``, or a distinct one when it is nearly grey (greys cannot be matched to a legend)."""
    if max(max(c) - min(c) for c in palette) < 40:
        return PALETTES["tab"]
    return tuple(palette)


def contrast_text(fill: RGB) -> RGB:
    """Black or white, whichever reads better on ``fill`` (relative luminance threshold)."""
    lum = 0.2126 * fill[0] + 0.7152 * fill[1] + 0.0722 * fill[2]
    return (0, 0, 0) if lum >= 110 else (255, 255, 255)


@dataclass
class ScatterChart(Element):
    """Marked data points on box-framed axes (optionally with a fitted or given line ``trend``)."""

    box: tuple[float, float, float, float]
    points: Sequence[tuple[float, float]]
    xlim: tuple[float, float] | None = None
    ylim: tuple[float, float] | None = None
    grid: bool = True
    xlabel: str = "x"
    ylabel: str = "y"
    trend: tuple[float, float] | None = None  # (slope, intercept)

    def axes(self) -> Axes:
        xs, ys = [p[0] for p in self.points], [p[1] for p in self.points]
        xt = nice_ticks(min(0.0, min(xs)), max(xs), 5)
        yt = nice_ticks(min(0.0, min(ys)), max(ys), 5)
        xlim = self.xlim or (min(xt[0], min(xs)), max(xt[-1], max(xs)))
        ylim = self.ylim or (min(yt[0], min(ys)), max(yt[-1], max(ys)))
        return Axes(self.box, xlim=xlim, ylim=ylim, grid=self.grid, frame="box", xlabel=self.xlabel,
                    ylabel=self.ylabel, color=self.color, weight=self.weight)  # fmt: skip

    def compile(self, ctx: Ctx) -> DrawList:
        ax = self.axes()
        dl = ax.compile(ctx)
        r = ctx.style.point_radius * 1.2
        color = ctx.style.color(self.fill if isinstance(self.fill, (int, tuple)) else 0)
        for x, y in self.points:
            p = ax.to_px(x, y)
            dl.dots.append(Dot(p, r, color))
            dl.shapes.append(ShapeBox("point", [p], pad=r))
        if self.trend is not None:
            m, b = self.trend
            dl.extend(ax.curve(lambda x: m * x + b, color=self.color, dash="dashed").compile(ctx))
        return dl


@dataclass
class Table(Element):
    """A table of text ``rows`` centred at ``center``; the first row is a (shaded) header if ``header``."""

    center: Pt
    rows: Sequence[Sequence[str]]
    header: bool = True
    pad_px: float = 8.0

    def cell_font(self, ctx: Ctx, i: int) -> str:
        """The font of row ``i``'s cells: the style's, bold for the header row."""
        return bold_font(ctx.style.font) if self.header and i == 0 else ctx.style.font

    def text_scale(self, ctx: Ctx, rows: Sequence[Sequence[str]]) -> float:
        """The text size (multiple of the style's) at which the table fits its canvas: 1 unless the
        table would be wider or taller than the canvas (its text keeps its pixel size while the
        geometry may be scaled, e.g. inside an inset), then smaller, never below MIN_TABLE_SCALE."""
        widths, height = self._measure(ctx, rows, 1.0)
        need_w = sum(widths) + 2 * self.pad_px * len(widths)
        need_h = (height + 2 * self.pad_px) * len(rows)
        room = 0.94 * ctx.side * ctx.unit_px  # the canvas in pixels, less the render's margins
        return max(MIN_TABLE_SCALE, min(1.0, room / max(need_w, 1.0), room / max(need_h, 1.0)))

    def _measure(self, ctx: Ctx, rows: Sequence[Sequence[str]], scale: float) -> tuple[list[int], int]:
        """(column ink widths, row text height) in pixels, each cell measured in its own font."""
        size = max(6, round(ctx.style.font_px * scale))
        ncol = len(rows[0])
        widths = [0] * ncol
        height = 0
        for i, row in enumerate(rows):
            font = self.cell_font(ctx, i)
            height = max(height, text_mask(font, size, "Hg").height)
            for j, cell in enumerate(row):
                if cell.strip():
                    widths[j] = max(widths[j], text_mask(font, size, cell).width)
        return widths, height

    def compile(self, ctx: Ctx) -> DrawList:
        ncol = max(len(r) for r in self.rows)
        rows = [list(r) + [""] * (ncol - len(r)) for r in self.rows]
        scale = self.text_scale(ctx, rows)
        widths, text_h = self._measure(ctx, rows, scale)
        pad = self.pad_px * scale
        col_w = [ctx.units(w + 2 * pad) for w in widths]
        row_h = ctx.units(text_h + 2 * pad)
        total_w, total_h = sum(col_w), row_h * len(rows)
        x0, y0 = self.center[0] - total_w / 2, self.center[1] - total_h / 2
        x1, y1 = x0 + total_w, y0 + total_h
        ink = ctx.style.color(self.color)
        w = ctx.width(self) * 0.75
        dl = DrawList()
        if self.header:
            dl.fills.append(Fill([(x0, y0), (x1, y0), (x1, y0 + row_h), (x0, y0 + row_h)], ctx.style.shade))
        dl.strokes.append(Stroke([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], ink, w, closed=True))
        for i in range(1, len(rows)):
            y = y0 + i * row_h
            dl.strokes.append(Stroke([(x0, y), (x1, y)], ink, w))
        xs = [x0]
        for cw in col_w:
            xs.append(xs[-1] + cw)
        for x in xs[1:-1]:
            dl.strokes.append(Stroke([(x, y0), (x, y1)], ink, w))
        dl.shapes.append(ShapeBox("table", [(x0, y0), (x1, y1)], pad=w / 2, tag=self.tag))

        def centre(i: int, j: int) -> Pt:
            return ((xs[j] + xs[j + 1]) / 2, y0 + (i + 0.5) * row_h)

        for i, row in enumerate(rows):
            for j, cell in enumerate(row):
                if cell.strip():
                    # a body cell is about its column's header and its row's first cell
                    heads = [centre(0, j)] if self.header and i > 0 else []
                    heads += [centre(i, 0)] if j > 0 and row[0].strip() else []
                    req = self._label(ctx, cell, centre(i, j), mode="fixed", align=(0.5, 0.5), priority=3,
                                      refers=tuple(heads))  # fmt: skip
                    req.tag = f"cell:{i},{j}"
                    req.font = self.cell_font(ctx, i)
                    req.size_scale = scale
                    dl.labels.append(req)
        return dl


MIN_TABLE_SCALE = 0.6  # tables never shrink their text below this multiple of the style's size


def bold_font(key: str) -> str:
    """The bold face of font ``key``'s family ("serif-italic" -> "serif-bold")."""
    bold = key.split("-")[0] + "-bold"
    return bold if bold in FONTS else key


__all__ = ["BarChart", "LineChart", "PieChart", "ScatterChart", "Table"]
