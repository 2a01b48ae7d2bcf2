"""Analytic-geometry families on a coordinate grid: reading the coordinates of a marked point, and the
distance / midpoint / slope of two marked points whose coordinates are also written beside them."""

from __future__ import annotations

import math
import random

from svemath.data.families.base import Problem, QuestionParts, calc, make_choices, register_family
from svemath.data.families.geometry_common import (
    Conditions,
    mc_step,
    meta,
    num,
    numeric_answer,
    pick,
    precision_hint,
    problem,
)
from svemath.data.plots import Axes
from svemath.data.scene import Scene

_REGISTER = dict(dynamath_topic="analytic geometry", mathvista_task="geometry problem solving",
                 mathverse_subject="Plane Geometry")  # fmt: skip


def grid_axes(vr: random.Random, quadrant: bool) -> tuple[Scene, Axes, tuple[int, int]]:
    """A scene with grid axes: x, y in [-5, 5] (or [0, 8] when ``quadrant``); returns the value range."""
    lo, hi = (0, 8) if quadrant else (-5, 5)
    m = vr.uniform(22, 40)
    box = (m + vr.uniform(-6, 6), m + vr.uniform(-6, 6), 384 - m, 384 - m)
    sc = Scene(rotation_limit=3.0)
    ax = sc.add(Axes(box, xlim=(lo - 0.6, hi + 0.6), ylim=(lo - 0.6, hi + 0.6), grid=True,
                     xticks=list(range(lo, hi + 1)), yticks=list(range(lo, hi + 1))))  # fmt: skip
    return sc, ax, (lo, hi)


def _paren(v: int) -> str:
    """A number for an expression: negative values in parentheses."""
    return f"({v})" if v < 0 else str(v)


def _coords(p: tuple[int, int]) -> str:
    return f"({p[0]}, {p[1]})"


@register_family("point_coordinates", subject="analytic geometry", difficulty="read", **_REGISTER)
def point_coordinates(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Read the coordinates (or one coordinate) of a named point on a grid with two or three points."""
    quadrant = rng.random() < 0.35
    k = rng.choice((2, 3))
    names = rng.choice((["A", "B", "C"], ["P", "Q", "R"], ["M", "N", "K"]))[:k]
    ask = rng.randrange(k)
    mode = rng.choice(("pair", "pair", "x", "y", "choice"))
    vr = variant_rng or rng
    sc, ax, (lo, hi) = grid_axes(vr, quadrant)
    pts: list[tuple[int, int]] = []
    while len(pts) < k:
        p = (vr.randint(lo, hi), vr.randint(lo, hi))
        if (quadrant and 0 in p) or (not quadrant and (p[0] == 0 or p[1] == 0)):
            continue  # keep points off the axes
        if all(max(abs(p[0] - q[0]), abs(p[1] - q[1])) >= 2 for q in pts):
            pts.append(p)
    for p, nm in zip(pts, names, strict=True):
        sc.add(ax.point(p[0], p[1], nm))
    x, y = pts[ask]
    name = names[ask]
    steps = [
        pick(rng, (f"Point {name} lies on the grid line x = {x}.", f"Going straight down or up from {name} to the x-axis gives x = {x}.")),
        pick(rng, (f"It lies on the grid line y = {y}.", f"Going across from {name} to the y-axis gives y = {y}.")),
    ]  # fmt: skip
    choices = None
    if mode == "x":
        question, answer, atype = f"What is the x-coordinate of point {name}?", str(x), "integer"
        steps.append(f"So the x-coordinate of {name} is {x}.")
    elif mode == "y":
        question, answer, atype = f"What is the y-coordinate of point {name}?", str(y), "integer"
        steps.append(f"So the y-coordinate of {name} is {y}.")
    elif mode == "pair":
        question = f"What are the coordinates of point {name}? Answer as a list [x, y]."
        answer, atype = f"[{x}, {y}]", "list"
        steps.append(f"So {name} = {_coords((x, y))}.")
    else:
        question = f"Which are the coordinates of point {name}?"
        wrong = [(y, x), (-x, y), (x, -y), (-y, -x), (x + 1, y), (x, y - 1)]
        choices, answer = make_choices(vr, _coords((x, y)), [_coords(w) for w in wrong if w != (x, y)])
        atype = "multiple_choice"
        steps.append(f"So {name} = {_coords((x, y))}.")
        steps.append(mc_step(answer, _coords((x, y))))
    listing = ", ".join(names)
    return problem(
        family="point_coordinates", scene=sc, subject="analytic geometry",
        parts=QuestionParts(f"The figure shows points {listing} on a coordinate grid.", "", "", question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="read",
        info=meta("Analytic", ("algebraic reasoning",), level="elementary school", grade="elementary school",
                  context="function plot"),
    )  # fmt: skip


PYTH = ((3, 4), (4, 3), (6, 8), (8, 6), (5, 12), (12, 5), (0, 5), (5, 0), (0, 4), (3, 0), (6, 0), (0, 7))


@register_family("distance_midpoint", subject="analytic geometry", difficulty="multi-step", **_REGISTER)
def distance_midpoint(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Two marked points with written coordinates: the distance, midpoint or slope of segment AB."""
    asked = rng.choice(("distance", "distance", "midpoint", "slope"))
    exact = rng.random() < 0.5  # distance: whole number; slope: integer
    precision = None if exact or asked == "midpoint" else rng.choice((1, 2))
    mc = asked != "midpoint" and rng.random() < 0.25
    a_n, b_n = rng.choice((("A", "B"), ("P", "Q"), ("M", "N")))
    vr = variant_rng or rng
    quadrant = vr.random() < 0.3
    sc, ax, (lo, hi) = grid_axes(vr, quadrant)
    while True:
        A = (vr.randint(lo, hi), vr.randint(lo, hi))
        if asked == "distance" and exact:
            dx, dy = vr.choice(PYTH)
            B = (A[0] + vr.choice((-1, 1)) * dx, A[1] + vr.choice((-1, 1)) * dy)
        else:
            B = (vr.randint(lo, hi), vr.randint(lo, hi))
        if not (lo <= B[0] <= hi and lo <= B[1] <= hi) or math.dist(A, B) < 3:
            continue
        dx, dy = B[0] - A[0], B[1] - A[1]
        if asked == "distance" and not exact and (math.isqrt(dx * dx + dy * dy) ** 2 == dx * dx + dy * dy):
            continue
        if asked == "slope":
            if dx == 0 or dy == 0:
                continue
            if exact != (dy % dx == 0):
                continue
        break
    conds = Conditions()
    for p, nm, tag in ((A, a_n, "A"), (B, b_n, "B")):
        sc.add(ax.point(p[0], p[1], nm))
        sc.text(ax.to_px(*p), _coords(p), placement="near", direction=270.0, **conds.kw(tag))
    sc.segment(ax.to_px(*A), ax.to_px(*B), weight=0.9)
    essential = f"{a_n}{_coords(A)} and {b_n}{_coords(B)}."
    dx, dy = B[0] - A[0], B[1] - A[1]
    steps = [pick(rng, ("The diagram shows ", "From the figure, ", "We read ")) + essential]
    choices = None
    unit = None
    if asked == "distance":
        question = f"What is the length of segment {a_n}{b_n}?"
        if precision:
            question += " " + precision_hint(precision)
        steps.append(
            f"Δx = {calc(f'{B[0]}-{_paren(A[0])}')[0]} and Δy = {calc(f'{B[1]}-{_paren(A[1])}')[0]}."
        )
        sq_code, sq = calc(f"{_paren(dx)}^2+{_paren(dy)}^2")
        steps.append(f"By the distance formula, {a_n}{b_n}² = {sq_code}.")
        root_code, value = calc(f"sqrt({round(sq)})")
        steps.append(f"{a_n}{b_n} = {root_code}.")
        answer, atype, choices, final = numeric_answer(
            vr, value, mc=mc, precision=precision, distractors=[abs(dx) + abs(dy), math.sqrt(abs(dx * dx - dy * dy)) or 1,
                                                                value + 1])  # fmt: skip
    elif asked == "midpoint":
        question = f"What are the coordinates of the midpoint of {a_n}{b_n}? Answer as a list [x, y]."
        mx_code, mx = calc(f"({A[0]}+{_paren(B[0])})/2")
        my_code, my = calc(f"({A[1]}+{_paren(B[1])})/2")
        steps.append("The midpoint averages the coordinates of the endpoints.")
        steps.append(f"x = {mx_code} and y = {my_code}.")
        answer, atype, final = f"[{num(mx)}, {num(my)}]", "list", f"({num(mx)}, {num(my)})"
        steps.append(f"So the midpoint is {final}.")
    else:
        question = f"What is the slope of line {a_n}{b_n}?"
        if precision:
            question += " " + precision_hint(precision)
        steps.append("The slope is the change in y divided by the change in x.")
        code, value = calc(f"({B[1]}-{_paren(A[1])})/({B[0]}-{_paren(A[0])})")
        steps.append(f"slope = {code}.")
        answer, atype, choices, final = numeric_answer(
            vr, value, mc=mc, precision=precision, distractors=[dx / dy, -value, value + 1], signed=True
        )
    if precision and asked != "midpoint":
        steps.append(f"Rounded, the {asked} is {final}.")
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="distance_midpoint", scene=sc, subject="analytic geometry",
        parts=QuestionParts(f"As shown in the figure, points {a_n} and {b_n} are marked on a coordinate grid.", "",
                            essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="multi-step",
        precision=precision, unit=unit, conds=conds,
        info=meta("Analytic", ("algebraic reasoning", "geometry reasoning"), context="function plot"),
    )  # fmt: skip
