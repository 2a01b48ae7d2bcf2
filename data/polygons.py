"""Polygon vertices: named kinds, their classification, and random instances inside a box.

- :func:`classify_polygon` gives the most specific class name of a vertex list (a square is reported
  as "square", not "rectangle"), which is the shape annotation class of an unlabelled ``Polygon``.
- :func:`regular_polygon` and :func:`make_polygon` build vertices; :func:`random_polygon` draws a
  random instance of a named kind fitted into a box (used by the ``primitives`` suite and by families
  that need "some trapezoid").

Vertices are in logical coordinates (y down), listed in drawing order.
"""

from __future__ import annotations

import math
import random

from svemath.data.drawlist import Pt, dist, polar

POLYGON_KINDS = (
    "triangle",
    "right triangle",
    "isosceles triangle",
    "equilateral triangle",
    "square",
    "rectangle",
    "parallelogram",
    "rhombus",
    "trapezoid",
    "kite",
    "quadrilateral",
    "pentagon",
    "hexagon",
    "heptagon",
    "octagon",
)
REGULAR_NAMES = {5: "pentagon", 6: "hexagon", 7: "heptagon", 8: "octagon"}


def _angle_at(p: Pt, a: Pt, b: Pt) -> float:
    """Interior angle a-p-b in degrees."""
    v1 = (a[0] - p[0], a[1] - p[1])
    v2 = (b[0] - p[0], b[1] - p[1])
    c = (v1[0] * v2[0] + v1[1] * v2[1]) / (math.hypot(*v1) * math.hypot(*v2))
    return math.degrees(math.acos(max(-1.0, min(1.0, c))))


def _parallel(p: Pt, q: Pt, r: Pt, s: Pt, tol_deg: float) -> bool:
    a1 = math.atan2(q[1] - p[1], q[0] - p[0])
    a2 = math.atan2(s[1] - r[1], s[0] - r[0])
    d = abs(math.degrees(a1 - a2)) % 180.0
    return min(d, 180.0 - d) < tol_deg


def classify_polygon(pts: list[Pt], rel_tol: float = 0.01, angle_tol: float = 0.5) -> str:
    """The most specific kind of a simple polygon given by its vertices."""
    n = len(pts)
    sides = [dist(pts[i], pts[(i + 1) % n]) for i in range(n)]
    angles = [_angle_at(pts[i], pts[i - 1], pts[(i + 1) % n]) for i in range(n)]

    def eq(x: float, y: float) -> bool:
        return abs(x - y) <= rel_tol * max(x, y)

    if n == 3:
        if any(abs(a - 90.0) < angle_tol for a in angles):
            return "right triangle"
        equal_pairs = sum(eq(sides[i], sides[(i + 1) % 3]) for i in range(3))
        if equal_pairs == 3:
            return "equilateral triangle"
        return "isosceles triangle" if equal_pairs >= 1 else "triangle"
    if n == 4:
        all_sides = all(eq(sides[0], s) for s in sides)
        right = all(abs(a - 90.0) < angle_tol for a in angles)
        par1 = _parallel(pts[0], pts[1], pts[3], pts[2], angle_tol)
        par2 = _parallel(pts[1], pts[2], pts[0], pts[3], angle_tol)
        if right:
            return "square" if all_sides else "rectangle"
        if all_sides:
            return "rhombus"
        if par1 and par2:
            return "parallelogram"
        if (eq(sides[0], sides[1]) and eq(sides[2], sides[3])) or (
            eq(sides[1], sides[2]) and eq(sides[3], sides[0])
        ):
            return "kite"
        if par1 or par2:
            return "trapezoid"
        return "quadrilateral"
    if n in REGULAR_NAMES:
        return REGULAR_NAMES[n]
    return "polygon"


def regular_polygon(center: Pt, radius: float, n: int, start_deg: float = 90.0) -> list[Pt]:
    """Vertices of a regular n-gon (circumradius ``radius``), the first at ``start_deg``, going CCW."""
    return [polar(center, radius, start_deg + 360.0 * i / n) for i in range(n)]


def make_polygon(kind: str, center: Pt, size: float, rng: random.Random) -> list[Pt]:
    """Vertices of a random ``kind`` (a name of ``POLYGON_KINDS``) about ``size`` across, near ``center``.

    The result is un-rotated in its canonical pose (base horizontal at the bottom) except for random
    proportions; rotate it with :func:`rotate` if needed."""
    cx, cy = center
    h = size / 2
    if kind == "equilateral triangle":
        return regular_polygon((cx, cy + h * 0.15), h * 1.1, 3, 90.0)
    if kind == "isosceles triangle":
        w = h * rng.uniform(0.6, 1.0)
        ht = h * rng.uniform(0.9, 1.6)
        if abs(ht - w * math.sqrt(3)) < 0.05 * ht:  # keep it from being equilateral
            ht *= 1.2
        return [(cx - w, cy + ht / 2), (cx + w, cy + ht / 2), (cx, cy - ht / 2)]
    if kind == "right triangle":
        w, ht = h * rng.uniform(1.0, 1.9), h * rng.uniform(0.8, 1.7)
        if rng.random() < 0.5:
            return [(cx - w / 2, cy + ht / 2), (cx + w / 2, cy + ht / 2), (cx - w / 2, cy - ht / 2)]
        return [(cx - w / 2, cy + ht / 2), (cx + w / 2, cy + ht / 2), (cx + w / 2, cy - ht / 2)]
    if kind == "triangle":
        w, ht = h * rng.uniform(1.2, 1.9), h * rng.uniform(0.9, 1.6)
        apex = rng.uniform(-0.35, 0.35) * w + (0.15 * w if rng.random() < 0.5 else -0.15 * w)
        return [(cx - w / 2, cy + ht / 2), (cx + w / 2, cy + ht / 2), (cx + apex, cy - ht / 2)]
    if kind == "square":
        return [(cx - h * 0.8, cy + h * 0.8), (cx + h * 0.8, cy + h * 0.8), (cx + h * 0.8, cy - h * 0.8),
                (cx - h * 0.8, cy - h * 0.8)]  # fmt: skip
    if kind == "rectangle":
        w = h * rng.uniform(1.4, 1.9)
        ht = w * rng.uniform(0.45, 0.8) / 2
        return [(cx - w / 2, cy + ht), (cx + w / 2, cy + ht), (cx + w / 2, cy - ht), (cx - w / 2, cy - ht)]
    if kind == "parallelogram":
        w, ht, sk = h * rng.uniform(1.1, 1.5), h * rng.uniform(0.6, 1.0), h * rng.uniform(0.25, 0.6)
        return [(cx - w / 2 - sk / 2, cy + ht / 2 * 1.5), (cx + w / 2 - sk / 2, cy + ht / 2 * 1.5),
                (cx + w / 2 + sk / 2, cy - ht / 2 * 1.5), (cx - w / 2 + sk / 2, cy - ht / 2 * 1.5)]  # fmt: skip
    if kind == "rhombus":
        a, b = h * rng.uniform(0.9, 1.1), h * rng.uniform(0.5, 0.75)
        return [(cx, cy + b), (cx + a, cy), (cx, cy - b), (cx - a, cy)]
    if kind == "kite":
        w, top, bottom = h * rng.uniform(0.6, 0.9), h * rng.uniform(0.4, 0.7), h * rng.uniform(1.0, 1.4)
        return [
            (cx, cy + bottom * 0.8),
            (cx + w, cy - top * 0.3),
            (cx, cy - top * 1.3),
            (cx - w, cy - top * 0.3),
        ]
    if kind == "trapezoid":
        wb, wt, ht = h * rng.uniform(1.5, 1.9), h * rng.uniform(0.6, 1.1), h * rng.uniform(0.8, 1.2)
        off = rng.uniform(-0.3, 0.3) * h
        return [(cx - wb / 2, cy + ht / 2), (cx + wb / 2, cy + ht / 2), (cx + wt / 2 + off, cy - ht / 2),
                (cx - wt / 2 + off, cy - ht / 2)]  # fmt: skip
    if kind == "quadrilateral":
        while True:
            pts = [
                polar(center, h * rng.uniform(0.7, 1.0), 225 + 90 * i + rng.uniform(-25, 25))
                for i in range(4)
            ]
            if classify_polygon(pts) == "quadrilateral":
                return pts
    for n, name in REGULAR_NAMES.items():
        if kind == name:
            return regular_polygon(center, h, n, 90.0 + rng.choice((0.0, 180.0 / n)))
    raise ValueError(f"make_polygon: unknown kind {kind!r}; known: {', '.join(POLYGON_KINDS)}")


def rotate(pts: list[Pt], center: Pt, deg: float) -> list[Pt]:
    """Rotate points about ``center`` by ``deg`` (CCW on screen)."""
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    out = []
    for x, y in pts:
        dx, dy = x - center[0], y - center[1]
        out.append((center[0] + dx * c + dy * s, center[1] - dx * s + dy * c))
    return out


def random_polygon(
    kind: str, rng: random.Random, center: Pt, size: float, max_rotation: float = 30.0
) -> list[Pt]:
    """A random ``kind`` polygon about ``size`` across near ``center``, rotated by up to ``max_rotation``."""
    for _ in range(20):
        pts = make_polygon(kind, center, size, rng)
        if classify_polygon(pts) == kind:
            break
    return rotate(pts, center, rng.uniform(-max_rotation, max_rotation)) if max_rotation else pts
