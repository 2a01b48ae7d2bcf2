"""Shared helpers of the geometry problem families (plane, analytic and solid geometry).

Everything here is deterministic given the ``random.Random`` passed in. Conventions used by every
geometry family:

* structure (figure kind, asked quantity, point names, wording, answer format) comes from ``rng``;
  values, layout and orientation come from ``vr = variant_rng or rng`` (see ``families.base``);
* the labels that carry an essential condition get ``label_role="condition"`` and a unique tag
  ``"cond:<name>"`` (collected by :class:`Conditions` into ``Problem.condition_tags``), so a renderer
  called with ``hide_roles={"condition"}`` leaves exactly them out;
* angle values are written ``"47°"``, lengths ``"12 cm"`` (or ``"12"`` without a unit), and figures are
  drawn to scale (angles exact, lengths proportional to their labels).
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Sequence
from typing import Any

from svemath.calc import decimal_round
from svemath.data.drawlist import Pt
from svemath.data.families.base import (
    Problem,
    QuestionParts,
    calc,
    choice_step,
    fmt_number,
    join_parts,
    make_choices,
)

CANVAS = 384
CONDITION = "condition"  # the label role of essential conditions
LABEL_MARGIN = 76.0  # fit margin of figures with length labels outside their sides (labels are ~70 px wide)
NAME_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I and O (O names circle centres)
LENGTH_UNITS = ("cm", "cm", "m", "mm", "in", "")
PLANE = "plane geometry"
SOLID = "solid geometry"
ANALYTIC = "analytic geometry"


class Conditions:
    """Collects the tags of condition labels: ``sc.angle(..., **conds.kw("A"))``."""

    def __init__(self) -> None:
        self.tags: list[str] = []

    def kw(self, name: str) -> dict[str, str]:
        tag = f"cond:{name}"
        if tag not in self.tags:
            self.tags.append(tag)
        return {"label_role": CONDITION, "tag": tag}


# === names, numbers and texts ===
def point_names(rng: random.Random, n: int) -> list[str]:
    """``n`` consecutive capital letters from a random start (A B C, P Q R, M N P, ...)."""
    start = NAME_LETTERS.index(rng.choice("AAAADMPKX"))
    if start + n > len(NAME_LETTERS):
        start = 0
    return list(NAME_LETTERS[start : start + n])


def pick(rng: random.Random, options: Sequence[str]) -> str:
    return options[rng.randrange(len(options))]


def num(v: float, decimals: int = 2) -> str:
    return fmt_number(v, decimals)


def deg(v: float) -> str:
    """An angle label: ``47°``."""
    return f"{num(v)}°"


def length_text(v: float, unit: str) -> str:
    """A length label: ``12 cm`` (``12`` without a unit)."""
    return f"{num(v)} {unit}" if unit else num(v)


def with_unit(v: float | str, unit: str, power: int = 1) -> str:
    """A value in running text: ``12 cm``, ``30 cm²``, ``64 m³`` (bare number without a unit)."""
    text = v if isinstance(v, str) else num(v)
    if not unit:
        return text
    return f"{text} {unit}{'' if power == 1 else '²' if power == 2 else '³'}"


def unit_power(unit: str, power: int) -> str | None:
    """The answer unit: ``cm``, ``cm²``, ``cm³`` (None without a unit)."""
    if not unit:
        return None
    return unit + ("" if power == 1 else "²" if power == 2 else "³")


def round_answer(value: float, precision: int) -> str:
    """A float answer rounded to ``precision`` decimals, written with exactly that many."""
    rounded = decimal_round(value, precision)
    return format(rounded.copy_abs() if rounded == 0 else rounded, "f")  # never "-0.0"


PRECISION_TEXT = {1: "one decimal place", 2: "two decimal places"}


def precision_hint(precision: int) -> str:
    return f"Round the answer to {PRECISION_TEXT[precision]}."


# === layout ===
def rotate_pts(pts: Sequence[Pt], degrees: float, center: Pt | None = None) -> list[Pt]:
    """Rotate points CCW on screen (y down) about ``center`` (default: their bounding-box centre)."""
    if center is None:
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        center = ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    return [
        (
            center[0] + (x - center[0]) * c + (y - center[1]) * s,
            center[1] - (x - center[0]) * s + (y - center[1]) * c,
        )
        for x, y in pts
    ]


def fit(
    pts: Sequence[Pt],
    vr: random.Random,
    size: tuple[float, float] = (0.6, 0.78),
    margin: float = 46.0,
    canvas: float = CANVAS,
) -> list[Pt]:
    """Scale and move points (shape kept) so their bounding box's longer side is a random fraction
    ``size`` of the canvas and the box sits at a random place at least ``margin`` inside it."""
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    w, h = max(xs) - min(xs), max(ys) - min(ys)
    room = canvas - 2 * margin
    k = min(vr.uniform(*size) * canvas / max(w, h, 1e-9), room / max(w, 1e-9), room / max(h, 1e-9))
    ox = margin + vr.uniform(0.0, room - k * w)
    oy = margin + vr.uniform(0.0, room - k * h)
    return [(ox + (x - min(xs)) * k, oy + (y - min(ys)) * k) for x, y in pts]


def fit_scale(pts: Sequence[Pt], fitted: Sequence[Pt]) -> float:
    """The scale factor :func:`fit` applied (fitted length per original length)."""
    d0 = math.dist(pts[0], pts[1])
    return math.dist(fitted[0], fitted[1]) / d0 if d0 else 1.0


def from_polar(r: float, degrees: float, origin: Pt = (0.0, 0.0)) -> Pt:
    """The point at distance ``r`` in screen direction ``degrees`` (CCW, y down)."""
    a = math.radians(degrees)
    return (origin[0] + r * math.cos(a), origin[1] - r * math.sin(a))


def angle_at(vertex: Pt, p: Pt, q: Pt) -> float:
    """The angle p-vertex-q in degrees, in [0, 180]."""
    a1 = math.atan2(p[1] - vertex[1], p[0] - vertex[0])
    a2 = math.atan2(q[1] - vertex[1], q[0] - vertex[0])
    d = abs(math.degrees(a1 - a2)) % 360.0
    return min(d, 360.0 - d)


def triangle_from_angles(a: float, b: float, base: float = 1.0) -> list[Pt]:
    """Vertices A, B, C (y down, C above AB) of a triangle with angles ``a`` at A and ``b`` at B."""
    c = 180.0 - a - b
    ac = base * math.sin(math.radians(b)) / math.sin(math.radians(c))
    return [(0.0, 0.0), (base, 0.0), from_polar(ac, a)]


def split_sum(vr: random.Random, total: int, parts: int, lo: int, hi: int) -> list[int]:
    """``parts`` integers in [lo, hi] adding up to ``total`` (rejection sampling)."""
    for _ in range(1000):
        vals = [vr.randint(lo, hi) for _ in range(parts - 1)]
        last = total - sum(vals)
        if lo <= last <= hi:
            return [*vals, last]
    raise ValueError(f"cannot split {total} into {parts} parts in [{lo}, {hi}]")


# === answers ===
def numeric_choices(
    vr: random.Random,
    correct: float,
    distractors: Sequence[float],
    fmt: Any = num,
    k: int = 4,
    signed: bool = False,
) -> tuple[list[str], str]:
    """Multiple choice over numbers: the typical-mistake ``distractors`` first, then nearby values.
    Only positive options unless ``signed``."""
    pool = [fmt(d) for d in distractors if (signed or d > 0) and fmt(d) != fmt(correct)]
    step = max(1.0, round(abs(correct) * 0.15))
    j = 1
    while len(set(pool)) < k - 1:
        for cand in (correct + j * step, correct - j * step):
            if (signed or cand > 0) and fmt(cand) != fmt(correct):
                pool.append(fmt(cand))
        j += 1
    unique = list(dict.fromkeys(pool))[: k - 1]
    return make_choices(vr, fmt(correct), unique, k)


def mc_step(letter: str, text: str) -> str:
    return choice_step(letter, text)


def meta(
    subfield: str,
    skills: Sequence[str] = ("geometry reasoning", "arithmetic reasoning"),
    *,
    level: str = "high school",
    grade: str = "high school",
    context: str = "geometry diagram",
    **extra: Any,
) -> dict[str, Any]:
    """Benchmark-style extras read by the suites."""
    return {
        "dynamath_level": level,
        "mathvista_skills": list(skills),
        "mathvista_context": context,
        "mathvista_grade": grade,
        "mathverse_subfield": subfield,
        **extra,
    }


def problem(
    *,
    family: str,
    scene: Any,
    parts: QuestionParts,
    answer: str,
    answer_type: str,
    steps: list[str],
    difficulty: str,
    subject: str = PLANE,
    choices: list[str] | None = None,
    precision: int | None = None,
    unit: str | None = None,
    conds: Conditions | None = None,
    info: dict[str, Any] | None = None,
) -> Problem:
    """A Problem with the geometry defaults; ``meta["template"]`` (the structure id shared by
    DynaMath-style variants) is derived from the number-free question text unless given."""
    meta_out = dict(info or {})
    if "template" not in meta_out:
        text = join_parts(parts.descriptive, parts.implicit, parts.question)
        digest = hashlib.sha1(re.sub(r"\d+(\.\d+)?", "#", text).encode()).hexdigest()[:10]
        meta_out["template"] = f"{family}:{digest}"
    return Problem(
        scene=scene,
        parts=parts,
        answer=answer,
        answer_type=answer_type,  # type: ignore[arg-type]
        steps=steps,
        difficulty=difficulty,  # type: ignore[arg-type]
        family=family,
        subject=subject,
        choices=choices,
        precision=precision,
        unit=unit,
        condition_tags=list(conds.tags) if conds else [],
        meta=meta_out,
    )


def numeric_answer(
    rng_letter: random.Random,
    value: float,
    *,
    mc: bool,
    distractors: Sequence[float] = (),
    precision: int | None = None,
    suffix: str = "",
    signed: bool = False,
) -> tuple[str, str, list[str] | None, str]:
    """(answer, answer_type, choices, final text) of a numeric result, free-form or multiple choice.

    ``precision`` None: an integer answer; otherwise a float rounded to ``precision`` decimals.
    ``suffix`` (e.g. "°", " cm") is appended to option texts and to the final text, not to the answer."""

    def fmt(v: float) -> str:
        core = round_answer(v, precision) if precision is not None else num(round(v))
        return core + suffix

    if mc:
        choices, letter = numeric_choices(rng_letter, value, distractors, fmt, signed=signed)
        return letter, "multiple_choice", choices, fmt(value)
    if precision is None:
        return num(round(value)), "integer", None, fmt(value)
    return round_answer(value, precision), "float", None, fmt(value)


__all__ = [
    "ANALYTIC",
    "CANVAS",
    "CONDITION",
    "LENGTH_UNITS",
    "PLANE",
    "SOLID",
    "Conditions",
    "angle_at",
    "calc",
    "deg",
    "fit",
    "fit_scale",
    "from_polar",
    "length_text",
    "mc_step",
    "meta",
    "num",
    "numeric_answer",
    "numeric_choices",
    "pick",
    "point_names",
    "precision_hint",
    "problem",
    "rotate_pts",
    "round_answer",
    "split_sum",
    "triangle_from_angles",
    "unit_power",
    "with_unit",
]


def polygon_from_angles(interior: Sequence[float], vr: random.Random, tries: int = 200) -> list[Pt] | None:
    """A convex polygon (screen coordinates, unit-ish size) whose vertex i has interior angle
    ``interior[i]`` (degrees, summing to (n-2)*180), with random side lengths; None if none found."""
    n = len(interior)
    turns = [180.0 - a for a in interior]
    headings = [0.0]
    for i in range(1, n):
        headings.append(headings[-1] + turns[i])
    dirs = [(math.cos(math.radians(h)), math.sin(math.radians(h))) for h in headings]
    for _ in range(tries):
        lengths = [vr.uniform(0.6, 1.4) for _ in range(n - 2)]
        rx = -sum(L * d[0] for L, d in zip(lengths, dirs, strict=False))
        ry = -sum(L * d[1] for L, d in zip(lengths, dirs, strict=False))
        (ax, ay), (bx, by) = dirs[n - 2], dirs[n - 1]
        det = ax * by - bx * ay
        if abs(det) < 1e-9:
            continue
        p = (rx * by - bx * ry) / det
        q = (ax * ry - rx * ay) / det
        if not (0.45 <= p <= 1.8 and 0.45 <= q <= 1.8):
            continue
        lengths += [p, q]
        pts = [(0.0, 0.0)]
        for L, d in zip(lengths[:-1], dirs[:-1], strict=True):
            pts.append((pts[-1][0] + L * d[0], pts[-1][1] - L * d[1]))  # math y up -> screen y down
        return pts
    return None


def triangle_from_sides(a: float, b: float, c: float) -> list[Pt] | None:
    """Vertices A, B, C (C above AB on screen) with BC = a, CA = b, AB = c; None if impossible."""
    cos_a = (b * b + c * c - a * a) / (2 * b * c)
    if not -1.0 < cos_a < 1.0:
        return None
    return [(0.0, 0.0), (c, 0.0), from_polar(b, math.degrees(math.acos(cos_a)))]


def min_angle(pts: Sequence[Pt]) -> float:
    """The smallest interior angle of a polygon (degrees)."""
    n = len(pts)
    return min(angle_at(pts[i], pts[i - 1], pts[(i + 1) % n]) for i in range(n))


def integer_triangle(
    vr: random.Random, lo: int, hi: int, min_deg: float = 28.0
) -> tuple[list[int], list[Pt]]:
    """Integer sides (BC, CA, AB) in [lo, hi], distinct, all angles >= ``min_deg``, and the vertices."""
    while True:
        sides = [vr.randint(lo, hi) for _ in range(3)]
        if len(set(sides)) < 3:
            continue
        pts = triangle_from_sides(*sides)
        if pts is not None and min_angle(pts) >= min_deg:
            return sides, pts


def side_label(sc: Any, p: Pt, q: Pt, text: str, away: Pt, shift: float = 5.0, **kw: Any) -> Any:
    """Label segment pq with ``text`` on the side away from ``away``. The label's reference segment is
    moved ``shift`` logical units outwards so the placer's first (outside) positions clear the stroke
    (on slanted sides they otherwise touch it by a pixel and lose to positions inside the figure)."""
    dx, dy = q[0] - p[0], q[1] - p[1]
    n = math.hypot(dx, dy) or 1.0
    nx, ny = dy / n, -dx / n
    mx, my = (p[0] + q[0]) / 2, (p[1] + q[1]) / 2
    if nx * (away[0] - mx) + ny * (away[1] - my) > 0:
        nx, ny = -nx, -ny
    return sc.side_label((p[0] + nx * shift, p[1] + ny * shift), (q[0] + nx * shift, q[1] + ny * shift), text,
                         away=away, **kw)  # fmt: skip


def parallel_mark(sc: Any, p: Pt, q: Pt, count: int = 1, at: float = 0.27) -> Any:
    """Parallel arrow marks on segment pq at fraction ``at`` (pointing from p to q), off the middle where
    the side's length label goes."""
    h = min(at, 1 - at)
    a = (p[0] + (q[0] - p[0]) * (at - h), p[1] + (q[1] - p[1]) * (at - h))
    b = (p[0] + (q[0] - p[0]) * (at + h), p[1] + (q[1] - p[1]) * (at + h))
    return sc.parallel_marks(a, b, count)
