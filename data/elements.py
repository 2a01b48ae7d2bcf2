"""Base of all scene elements: :class:`Element` (style overrides and semantic tags), the compile
context :class:`Ctx`, and helpers shared by element modules (``as_xy``, label candidates beside a
segment). Every element compiles itself into a ``DrawList`` (``svemath.data.drawlist``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from svemath.data.drawlist import (
    RGB,
    Dash,
    DrawList,
    Fill,
    LabelRequest,
    Pt,
    Stroke,
    lerp,
    polar,
    unit,
)
from svemath.data.style import Style


def as_xy(p: Any) -> Pt:
    """A point-like (``(x, y)``, ``[x, y]`` or :class:`Point`) as a float tuple."""
    return (float(p[0]), float(p[1]))


@dataclass
class Ctx:
    """What elements need while compiling: the style and the logical-to-output scale."""

    style: Style
    side: float  # the scene's shorter logical side
    unit_px: float  # output pixels per logical unit (before the style's fit)
    hidden: frozenset[str] = frozenset()  # roles left out
    _stroke_i: int = 0
    canvas: tuple[float, float] = (0.0, 0.0)  # the logical canvas (width, height); (0, 0): side x side

    @property
    def canvas_size(self) -> tuple[float, float]:
        return self.canvas if self.canvas[0] > 0 and self.canvas[1] > 0 else (self.side, self.side)

    def stroke_color(self, el: Element) -> RGB:
        if el.color is None and self.style.colored_strokes:
            self._stroke_i += 1
            return self.style.palette[(self._stroke_i - 1) % len(self.style.palette)]
        return self.style.color(el.color)

    def width(self, el: Element) -> float:
        return self.style.line_width * el.weight

    def fill_color(self, el: Element) -> RGB | None:
        if el.fill is None:
            return None
        if el.fill == "shade":
            return self.style.shade
        return self.style.color(el.fill)  # type: ignore[arg-type]

    def units(self, px: float) -> float:
        """Logical length that renders as about ``px`` output pixels."""
        return px / self.unit_px


@dataclass(kw_only=True)
class Element:
    """Base of all scene elements: style overrides and semantic tags (all keyword-only)."""

    color: RGB | int | None = None
    weight: float = 1.0
    dash: Dash = "solid"
    fill: RGB | int | str | None = None
    opacity: float = 1.0
    hatch: str = ""
    text_color: RGB | None = None
    role: str = ""
    label_role: str = ""
    tag: str = ""

    def compile(self, ctx: Ctx) -> DrawList:  # pragma: no cover - abstract
        raise NotImplementedError

    # helpers for subclasses
    def _stroke(self, ctx: Ctx, pts: list[Pt], **kw: Any) -> Stroke:
        kw.setdefault("dash", self.dash)
        return Stroke(pts, ctx.stroke_color(self), ctx.width(self), **kw)

    def _fill(self, ctx: Ctx, pts: list[Pt]) -> Fill | None:
        color = ctx.fill_color(self)
        if color is None and not self.hatch:
            return None
        hatch_color = ctx.style.color(self.color)
        if color is None:  # hatching only: nothing painted underneath
            return Fill(pts, ctx.style.background, 0.0, self.hatch, hatch_color)
        return Fill(pts, color, self.opacity, self.hatch, hatch_color)

    def _label(self, ctx: Ctx, text: str, anchor: Pt, **kw: Any) -> LabelRequest:
        color = self.text_color or ctx.style.text_color
        return LabelRequest(text, anchor, color=color, role=self.label_role or self.role, tag=self.tag, **kw)


def ring_candidates(anchor: Pt, degs: Sequence[float]) -> list[tuple[Pt, Pt]]:
    return [(anchor, polar((0.0, 0.0), 1.0, d)) for d in degs]


def side_gap(ctx: Ctx, el: Element) -> float:
    """Gap (px) between a segment's centre line and a label beside it: clear of the stroke's half width
    by more than the placer's ink margin (2 px, i.e. 2.8 px at a corner of a box beside a slanted
    side), so that the outside candidates are not rejected as touching the line (which would push
    length labels inside the figure)."""
    return max(4.0, ctx.width(el) / 2 + 4.5)


def side_label_candidates(a: Pt, b: Pt, away: Pt | None) -> list[tuple[Pt, Pt]]:
    """Label candidates beside segment ab: near its middle, on the side away from ``away`` first."""
    u = unit(a, b)
    normal = (u[1], -u[0])
    if away is not None:
        mid = lerp(a, b, 0.5)
        if normal[0] * (away[0] - mid[0]) + normal[1] * (away[1] - mid[1]) > 0:
            normal = (-normal[0], -normal[1])
    elif normal[1] > 0:  # no hint: above/left first
        normal = (-normal[0], -normal[1])
    other = (-normal[0], -normal[1])
    cands = []
    for t in (0.5, 0.4, 0.6, 0.3, 0.7):
        cands.append((lerp(a, b, t), normal))
    for t in (0.5, 0.35, 0.65):
        cands.append((lerp(a, b, t), other))
    return cands
