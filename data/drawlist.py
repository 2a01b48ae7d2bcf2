"""The renderer's low-level draw list, and the small geometry helpers every scene element uses.

Scene elements (``svemath.data.scene`` and the chart, plot, graph and solid modules) *compile* into a
:class:`DrawList` of a few primitive kinds, all in the scene's logical coordinates (floats, y down):

- :class:`Stroke`: a polyline (open or closed) drawn with a colour, width and dash pattern. ``smooth``
  polylines are sampled curves (their inner vertices are not corners); ``junctions`` says whether its
  ends, corners and crossings count as junctions; ``infinite`` strokes (lines, rays) are clipped to the
  canvas at render time.
- :class:`Fill`: a filled polygon (solid colour with opacity, optional hatch), drawn under all strokes.
- :class:`Dot`: a filled disc (marked points, scatter markers).
- :class:`ShapeBox`: one shape annotation: a class from ``SHAPE_CLASSES`` and the points whose extent
  (grown by ``pad`` output pixels, the ink half-width) is its box.
- :class:`LabelRequest`: a text label to place without overlap (see ``svemath.data.layout``).

Angles follow the annotation convention everywhere: degrees counter-clockwise from +x on screen, with
y pointing down, so :func:`polar` at 90 degrees goes *up* the screen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

Pt = tuple[float, float]
RGB = tuple[int, int, int]
Dash = Literal["solid", "dashed", "dotted"]


# === geometry helpers ===
def polar(center: Pt, r: float, deg: float) -> Pt:
    """The point at distance ``r`` from ``center`` in direction ``deg`` (CCW on screen, y down)."""
    a = math.radians(deg)
    return (center[0] + r * math.cos(a), center[1] - r * math.sin(a))


def direction_deg(p: Pt, q: Pt) -> float:
    """Screen direction from ``p`` to ``q`` in degrees [0, 360), CCW with y down."""
    return math.degrees(math.atan2(p[1] - q[1], q[0] - p[0])) % 360.0


def dist(p: Pt, q: Pt) -> float:
    return math.hypot(q[0] - p[0], q[1] - p[1])


def lerp(p: Pt, q: Pt, t: float) -> Pt:
    return (p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t)


def unit(p: Pt, q: Pt) -> Pt:
    """Unit vector from ``p`` to ``q`` (zero vector for coincident points)."""
    d = dist(p, q)
    return ((q[0] - p[0]) / d, (q[1] - p[1]) / d) if d > 0 else (0.0, 0.0)


def centroid(points: list[Pt]) -> Pt:
    n = len(points)
    return (sum(p[0] for p in points) / n, sum(p[1] for p in points) / n)


def arc_points(center: Pt, r: float, start_deg: float, sweep_deg: float, step: float = 3.0) -> list[Pt]:
    """Samples of the arc from ``start_deg`` sweeping ``sweep_deg`` (positive = CCW on screen), about
    ``step`` logical px apart, both ends included."""
    n = max(2, int(abs(math.radians(sweep_deg)) * r / step) + 1)
    return [polar(center, r, start_deg + sweep_deg * i / (n - 1)) for i in range(n)]


def ellipse_points(
    center: Pt, rx: float, ry: float, start_deg: float = 0.0, sweep_deg: float = 360.0, step: float = 3.0
) -> list[Pt]:
    """Samples of an axis-aligned ellipse arc (parametric angle), both ends included."""
    n = max(8, int(abs(math.radians(sweep_deg)) * max(rx, ry) / step) + 1)
    pts = []
    for i in range(n):
        a = math.radians(start_deg + sweep_deg * i / (n - 1))
        pts.append((center[0] + rx * math.cos(a), center[1] - ry * math.sin(a)))
    return pts


def sweep_between(d1: float, d2: float) -> float:
    """The signed sweep in (-180, 180] turning direction ``d1`` into ``d2`` the short way."""
    s = (d2 - d1) % 360.0
    return s - 360.0 if s > 180.0 else s


# === primitives ===
@dataclass
class Stroke:
    points: list[Pt]
    color: RGB
    width: float  # output pixels
    dash: Dash = "solid"
    closed: bool = False
    smooth: bool = False  # sampled curve: inner vertices are not corners
    junctions: bool = True  # ends, corners and crossings are annotated junctions
    boundary: bool = True  # drawn into the boundary map (False: grid lines, background helpers)
    infinite: Literal["", "line", "ray"] = ""  # clipped to the canvas at render time
    arrow_end: bool = False  # arrowhead at the last point (decoration, not a junction)
    corners: tuple[int, ...] = ()  # vertex indices that are corners even though the stroke is smooth


@dataclass
class Fill:
    points: list[Pt]
    color: RGB
    opacity: float = 1.0
    hatch: str = ""  # "", "/", "\\", "x", "-", "|"
    hatch_color: RGB = (0, 0, 0)


@dataclass
class Dot:
    center: Pt
    radius: float  # output pixels
    color: RGB
    outline: RGB | None = None


@dataclass
class ShapeBox:
    cls: str
    points: list[Pt]
    pad: float = 1.0  # output pixels added on every side (half the stroke width)
    tag: str = ""
    stroke: Stroke | None = None  # for lines and rays: the box is the clipped stroke's extent


LabelMode = Literal["point", "near", "fixed"]


@dataclass
class LabelRequest:
    """A text label. ``mode``:

    - ``"point"``: near ``anchor``, first in the widest gap between the lines meeting there.
    - ``"near"``: tries each ``(anchor, direction)`` of ``candidates`` in order (the box's nearest side
      ``gap`` px from the anchor, in that logical direction), then a ring of directions around the
      first anchor.
    - ``"fixed"``: exactly at ``anchor`` with ``align`` = the box point (fractions of width, height)
      put on the anchor; dropped (reported) if it would overlap another label or leave the image.

    A "near" or "point" label is never placed farther than ``max_dist`` (see below) from its anchor and
    candidate points: a label far from what it names would make a wrong diagram. Without a free spot
    within that bound it is tried once more at a smaller size, then left out (``Rendered.dropped``).
    """

    text: str
    anchor: Pt
    mode: LabelMode = "near"
    candidates: list[tuple[Pt, Pt | None]] = field(default_factory=list)  # direction None: centred
    align: tuple[float, float] = (0.5, 0.5)
    gap: float = 4.0  # output pixels
    color: RGB = (0, 0, 0)
    size_scale: float = 1.0  # multiple of the style's font size
    font: str = ""  # "" = the style's font
    priority: int = 0  # higher is placed first
    role: str = ""
    tag: str = ""
    on_fill: bool = False  # meant to sit on a filled region (e.g. a percentage inside a pie wedge)
    # "near"/"point": farthest the label's box may be from the anchor or a candidate point beyond
    # ``gap``, in logical units; None: 1.5 text heights (``svemath.data.layout.BOUND_SLACK``)
    max_dist: float | None = None
    ring: bool = True  # "near": after the candidates, also try a ring of directions around the first
    # the render's fit leaves room for this label at its preferred place (the first candidate's box;
    # "point" labels: a text height on every side), e.g. names and lengths outside a figure's border
    reserve: bool = False
    # the anchors of the labels this one is about (a side's length: the names at the side's ends; an
    # angle's value: its vertex's name; a bar's value: its category; a table cell: its headers; an edge
    # weight: its nodes); the render links it to the labels placed there: annotations' "refers"
    refers: tuple[Pt, ...] = ()


@dataclass
class DrawList:
    fills: list[Fill] = field(default_factory=list)
    strokes: list[Stroke] = field(default_factory=list)
    dots: list[Dot] = field(default_factory=list)
    shapes: list[ShapeBox] = field(default_factory=list)
    labels: list[LabelRequest] = field(default_factory=list)

    def extend(self, other: DrawList) -> None:
        self.fills += other.fills
        self.strokes += other.strokes
        self.dots += other.dots
        self.shapes += other.shapes
        self.labels += other.labels
