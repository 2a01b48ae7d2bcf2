"""Text label placement without overlap, in image pixels.

Each label is tried at a list of candidate positions (from its request: beside a segment, on an angle's
bisector, around a point in the widest gap between the lines meeting there, ...), then (unless the
request says ``ring=False``) around a ring of directions at growing distances. A candidate is
*feasible* if its ink box lies inside the image and does not touch any label already placed (2 px
clearance); among feasible candidates the first one whose box (grown by 2 px) covers no stroke ink of
the boundary raster wins, otherwise the one covering the least ink (filled regions count a tenth, unless
the label belongs on them). ``"fixed"`` labels (tick labels, table cells, titles) have one position; a
label with no feasible position is dropped and reported, never drawn overlapping another. Labels are
placed in priority order (fixed > point names > angle values > others).

Distance bound: a "near" or "point" label's box must lie within ``gap + max_dist`` px (``max_dist``
from the request, default :data:`BOUND_SLACK` text heights) of its anchor or of one of its candidate
points. A label far from what it names makes a wrong diagram (an angle value beside the wrong vertex),
so without a spot within the bound the label is not placed (the renderer then retries it at 85% size,
then drops it and reports it, and the suites redraw in another style)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from svemath.data.drawlist import RGB, Pt
from svemath.data.fonts import TextMask

RING = tuple(range(0, 360, 30))
BOUND_SLACK = 1.5  # the default distance bound beyond the gap, in label heights


@dataclass
class ImageLabel:
    """A label request mapped to image pixels (see ``drawlist.LabelRequest``)."""

    text: str
    mask: TextMask
    mode: str
    anchor: Pt
    candidates: list[tuple[Pt, Pt | None]]
    align: tuple[float, float]
    gap: float
    color: RGB
    role: str
    tag: str
    branches: list[float]  # directions of lines at the anchor ("point" mode)
    on_fill: bool = False  # filled regions do not count against its positions
    max_dist: float | None = None  # distance bound beyond the gap in px; None: BOUND_SLACK heights
    ring: bool = True  # after the candidates, try a ring of directions around the first one


@dataclass
class PlacedText:
    text: str
    box: tuple[int, int, int, int]  # ink box, x1/y1 exclusive
    color: RGB
    mask: TextMask
    role: str = ""
    tag: str = ""
    refers: list[int] = field(default_factory=list)  # indices (in the placed texts) of the names it is about


def _unit_deg(deg: float) -> Pt:
    a = math.radians(deg)
    return (math.cos(a), -math.sin(a))


def _deg_of(u: Pt) -> float:
    return math.degrees(math.atan2(-u[1], u[0])) % 360.0


def _angdiff(a: float, b: float) -> float:
    d = abs(a - b) % 360.0
    return min(d, 360.0 - d)


def point_label_directions(branches: list[float]) -> list[float]:
    """Directions to try for a point label: gap bisectors, widest gap first, then a ring."""
    if not branches:
        first = [45.0, 135.0, 315.0, 225.0]
    else:
        b = sorted(branches)
        gaps = []
        for i, a in enumerate(b):
            nxt = b[(i + 1) % len(b)] + (360.0 if i == len(b) - 1 else 0.0)
            gaps.append((nxt - a, (a + (nxt - a) / 2) % 360.0))
        gaps.sort(key=lambda g: -g[0])
        first = []
        for width, mid in gaps:
            first.append(mid)
            if width > 100:  # wide gap: also try off-centre positions
                first += [(mid + width / 5) % 360, (mid - width / 5) % 360]
    ring = sorted(RING, key=lambda d: _angdiff(d, first[0]))
    return first + [float(d) for d in ring]


class Placer:
    """Greedy label placer over an ink raster (``occupancy`` [H, W], nonzero = stroke ink) and an
    optional raster of filled regions (``fills`` [H, W]), which count a tenth as much as ink."""

    def __init__(self, occupancy: np.ndarray, fills: np.ndarray | None = None, clearance: int = 2) -> None:
        self.h, self.w = occupancy.shape
        self.occupancy = occupancy
        self.fills = fills
        self.clearance = clearance
        self.placed: list[PlacedText] = []

    def ink(self, box: tuple[int, int, int, int], grow: int = 2, on_fill: bool = True) -> float:
        """Stroke pixels within ``grow`` px of the box (plus a tenth of the filled pixels in the box
        unless ``on_fill``)."""
        x0, y0 = max(0, box[0] - grow), max(0, box[1] - grow)
        x1, y1 = min(self.w, box[2] + grow), min(self.h, box[3] + grow)
        if x1 <= x0 or y1 <= y0:
            return 0
        cost = float(np.count_nonzero(self.occupancy[y0:y1, x0:x1]))
        if self.fills is not None and not on_fill:
            cost += 0.1 * np.count_nonzero(self.fills[box[1] : box[3], box[0] : box[2]])
        return cost

    def feasible(self, box: tuple[int, int, int, int]) -> bool:
        if box[0] < 0 or box[1] < 0 or box[2] > self.w or box[3] > self.h:
            return False
        c = self.clearance
        for p in self.placed:
            b = p.box
            if box[0] < b[2] + c and b[0] < box[2] + c and box[1] < b[3] + c and b[1] < box[3] + c:
                return False
        return True

    @staticmethod
    def box_at(c: Pt, u: Pt | None, gap: float, w: int, h: int) -> tuple[int, int, int, int]:
        if u is None:
            cx, cy = c
        else:
            off = gap + abs(u[0]) * w / 2 + abs(u[1]) * h / 2
            cx, cy = c[0] + u[0] * off, c[1] + u[1] * off
        x0, y0 = round(cx - w / 2), round(cy - h / 2)
        return (x0, y0, x0 + w, y0 + h)

    def candidates(self, lab: ImageLabel) -> Iterator[tuple[tuple[int, int, int, int], Pt]]:
        """Candidate ink boxes in order of preference (lazily), each with the point it was placed
        from (its candidate point, or the anchor / first candidate a ring is around)."""
        w, h = lab.mask.width, lab.mask.height
        if lab.mode == "fixed":
            x0 = round(lab.anchor[0] - lab.align[0] * w)
            y0 = round(lab.anchor[1] - lab.align[1] * h)
            yield (x0, y0, x0 + w, y0 + h), lab.anchor
            return
        for c, u in lab.candidates:
            yield self.box_at(c, u, lab.gap, w, h), c
        if lab.mode == "point":
            degs = point_label_directions(lab.branches)
            for d in degs:
                yield self.box_at(lab.anchor, _unit_deg(d), lab.gap, w, h), lab.anchor
            prefer = degs[0]
        else:
            if not lab.ring:
                return
            prefer = _deg_of(lab.candidates[0][1]) if lab.candidates and lab.candidates[0][1] else 90.0
        ring = sorted(RING, key=lambda d: _angdiff(d, prefer))
        center = lab.candidates[0][0] if lab.candidates else lab.anchor
        for extra in (3.0, 8.0, 16.0, 28.0):
            for d in ring:
                yield self.box_at(center, _unit_deg(d), lab.gap + extra, w, h), center

    @staticmethod
    def bound(lab: ImageLabel) -> float:
        """The farthest (px) a "near"/"point" label's box may be from its anchor or candidate points."""
        return lab.gap + (lab.max_dist if lab.max_dist is not None else BOUND_SLACK * lab.mask.height)

    @staticmethod
    def box_distance(box: tuple[int, int, int, int], p: Pt) -> float:
        dx = max(box[0] - p[0], 0.0, p[0] - box[2])
        dy = max(box[1] - p[1], 0.0, p[1] - box[3])
        return math.hypot(dx, dy)

    def within_bound(self, lab: ImageLabel, box: tuple[int, int, int, int], bound: float) -> bool:
        if self.box_distance(box, lab.anchor) <= bound:
            return True
        return any(self.box_distance(box, c) <= bound for c, _ in lab.candidates)

    def place(self, lab: ImageLabel) -> PlacedText | None:
        best, best_ink = None, None
        bound = self.bound(lab) if lab.mode != "fixed" else math.inf
        for box, origin in self.candidates(lab):
            if not self.feasible(box):
                continue
            if (
                lab.mode != "fixed"
                and self.box_distance(box, origin) > bound
                and not self.within_bound(lab, box, bound)
            ):
                continue
            if lab.mode == "fixed":
                best = box
                break
            ink = self.ink(box, on_fill=lab.on_fill)
            if ink == 0:
                best = box
                break
            if best_ink is None or ink < best_ink:
                best, best_ink = box, ink
        if best is None:
            return None
        placed = PlacedText(lab.text, best, lab.color, lab.mask, lab.role, lab.tag)
        self.placed.append(placed)
        return placed
