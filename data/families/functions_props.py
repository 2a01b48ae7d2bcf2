"""Function-property families: vertex of a parabola, zeros, monotonic intervals, intersection of two lines.

Same conventions as :mod:`svemath.data.families.functions` (gridded integer axes, the expression as a
hideable ``"condition"`` label and as ``parts.essential``).
"""

from __future__ import annotations

import random

from svemath.data.families.base import QuestionParts, calc, register_family
from svemath.data.families.functions import (
    KW,
    SUBJECT,
    expr_label,
    plot_axes,
    poly_calc,
    poly_text,
    shift_text,
)
from svemath.data.families.misc_util import CONDITION, build, choices_for, num, pick, py_list
from svemath.data.scene import Text

# === parabola vertex ===


@register_family("parabola_vertex", difficulty="read", dynamath_topic="analytic geometry", **KW)
def parabola_vertex(rng: random.Random, variant_rng: random.Random | None = None):
    """Vertex, axis of symmetry or extreme value of a plotted parabola."""
    vr = variant_rng or rng
    ask = rng.choice(["vertex", "axis", "extreme"])
    a = vr.choice([1, -1, 2, -2, 0.5, -0.5])
    h = vr.randint(-2, 2)
    k = vr.randint(-3, 1) if a > 0 else vr.randint(-1, 3)
    coeffs = [a, -2 * a * h, a * h * h + k]
    text = f"y = {poly_text(coeffs)}"
    sc, ax = plot_axes(vr, (-4, 4), (-4, 4))
    expr_label(
        sc,
        ax,
        lambda x: a * (x - h) ** 2 + k,
        text,
        label_x=vr.choice([-3.0, 3.0]),
        color=vr.choice([None, 0]),
    )
    low = a > 0
    word = "lowest" if low else "highest"
    steps = [
        pick(
            vr,
            f"The parabola opens {'upward' if low else 'downward'}; its {word} point is ({h}, {k}).",
            f"The turning point of the parabola is at ({h}, {k}).",
        )
    ]
    ann_h, _ = calc(f"-({num(coeffs[1])})/(2*{num(a)})")
    steps.append(f"Check: x = -b/(2a) = {ann_h}.")
    choices = None
    if ask == "vertex":
        q = pick(
            rng,
            "What are the coordinates of the vertex of the parabola?",
            "Which point is the vertex of the parabola?",
        )
        wrong = [
            f"({-h}, {k})" if h else f"({h}, {-k})",
            f"({h}, {-k})" if k else f"({h}, {k + 1})",
            f"({k}, {h})" if k != h else f"({h + 1}, {k})",
            f"({h + 1}, {k - 1})",
        ]
        choices, answer = choices_for(vr, f"({h}, {k})", wrong)
        steps.append(f"So the vertex is ({h}, {k}).")
        atype, level = "multiple_choice", "read"
    elif ask == "axis":
        q = "The axis of symmetry of the parabola is x = a. What is a?"
        answer, atype, level = str(h), "integer", "read"
        steps.append(f"The axis of symmetry is the vertical line through the vertex: x = {h}.")
    else:
        q = f"What is the {'minimum' if low else 'maximum'} value of the function?"
        answer, atype, level = str(k), "integer", "read"
        steps.append(f"The {'minimum' if low else 'maximum'} value is the y-coordinate of the vertex, {k}.")
    return build(
        family="parabola_vertex",
        scene=sc,
        answer=answer,
        answer_type=atype,
        choices=choices,
        parts=QuestionParts(
            "The figure shows the graph of a quadratic function.",
            f"The graph is a parabola opening {'upward' if low else 'downward'}.",
            f"The function is {text}.",
            q,
        ),
        steps=steps,
        difficulty=level,
        subject=SUBJECT,
        template=f"parabola_vertex:{ask}",
        level="high school",
        context="function plot",
        skills=["algebraic reasoning"],
        subfield="Property",
        condition_tags=[CONDITION],
    )


# === zeros ===


def _factored(c: float, roots: list[int]) -> str:
    lead = "" if c == 1 else ("-" if c == -1 else num(c))
    return "y = " + lead + ("x" if 0 in roots else "") + "".join(f"{shift_text(r)}" for r in roots if r)


@register_family("function_zeros", difficulty="read", dynamath_topic="algebra", **KW)
def function_zeros(rng: random.Random, variant_rng: random.Random | None = None):
    """Number, list or sum of the zeros of a plotted polynomial with integer roots."""
    vr = variant_rng or rng
    ask = rng.choice(["count", "list", "sum"])
    for _ in range(200):
        n = vr.choice([2, 3])
        roots = sorted(vr.sample(range(-3, 4), n))
        c = vr.choice([1, -1, 0.5, -0.5] if n == 2 else [0.25, -0.25, 0.5, -0.5])

        def f(x: float, c=c, roots=roots) -> float:
            y = c
            for r in roots:
                y *= x - r
            return y

        xs = [roots[0] + (roots[-1] - roots[0]) * i / 100 for i in range(101)]
        extremes = [f(x) for x in xs]
        if (
            1.0 <= max(abs(min(extremes)), abs(max(extremes))) <= 4.5
            and min(abs(f(x + 0.5)) for x in roots[:-1]) > 0.3
        ):
            break
    text = _factored(c, roots)
    sc, ax = plot_axes(vr, (-4, 4), (-4, 4))
    expr_label(sc, ax, f, text, label_x=vr.choice([-3.6, 3.6]), color=vr.choice([None, 0, 2]))
    steps = [
        pick(
            vr,
            f"The graph crosses the x-axis at x = {', '.join(map(str, roots))}.",
            f"The curve meets the x-axis at {', '.join(f'({r}, 0)' for r in roots)}.",
        )
    ]
    if ask == "count":
        q = pick(
            rng, "How many zeros does the function have?", "How many times does the graph cross the x-axis?"
        )
        answer, atype, level = str(n), "integer", "read"
        steps.append(f"So the function has {n} zeros.")
    elif ask == "list":
        q = "What are the zeros of the function? Give them as a list in increasing order."
        answer, atype, level = py_list(roots), "list", "read"
        steps.append(f"The zeros are {answer}.")
    else:
        q = "What is the sum of all zeros of the function?"
        ann, total = calc("+".join(f"({r})" if r < 0 else str(r) for r in roots))
        answer, atype, level = num(total), "integer", "one-op"
        steps += [f"Sum = {ann}.", f"The sum of the zeros is {answer}."]
    return build(
        family="function_zeros",
        scene=sc,
        answer=answer,
        answer_type=atype,
        parts=QuestionParts(
            "The figure shows the graph of a polynomial function.", "", f"The function is {text}.", q
        ),
        steps=steps,
        difficulty=level,
        subject=SUBJECT,
        template=f"function_zeros:{ask}",
        level="high school",
        context="function plot",
        skills=["algebraic reasoning"],
        subfield="Property",
        condition_tags=[CONDITION],
    )


# === monotonic intervals ===


def _interval(a: int, b: int) -> str:
    return f"[{a}, {b}]"


@register_family("monotonic_interval", difficulty="one-op", dynamath_topic="algebra", **KW)
def monotonic_interval(rng: random.Random, variant_rng: random.Random | None = None):
    """The interval on which a plotted function increases (or decreases), as multiple choice."""
    vr = variant_rng or rng
    kind = rng.choice(["polyline", "parabola"])
    up = rng.random() < 0.5  # ask for the increasing (True) or decreasing part
    sc, ax = plot_axes(vr, (-4, 4), (-4, 4))
    word = "increasing" if up else "decreasing"
    if kind == "polyline":
        xs = sorted(vr.sample(range(-4, 5), 4))
        where = vr.randrange(3)  # the asked direction occurs exactly once: on piece ``where``
        while True:
            ys = [vr.randint(-3, 3)]
            for i in range(3):
                step = vr.randint(1, 3)
                ys.append(ys[-1] + (step if (i == where) == up else -step))
            if all(-4 <= y <= 4 for y in ys):
                break
        sc.add(ax.polyline(xs, ys, color=vr.choice([None, 0, 3]), weight=1.3))
        for x, y in zip(xs, ys, strict=True):
            p = sc.add(ax.point(x, y))
            sc.add(
                Text(
                    p.xy,
                    f"({x}, {y})",
                    placement="near",
                    direction=90.0 if y >= 0 else 270.0,
                    label_role=CONDITION,
                )
            )
        pieces = [(xs[i], xs[i + 1]) for i in range(3)]
        right = _interval(*pieces[where])
        wrong = [_interval(*p) for i, p in enumerate(pieces) if i != where] + [_interval(xs[0], xs[3])]
        essential = (
            "The graph is the polyline through "
            + ", ".join(f"({x}, {y})" for x, y in zip(xs, ys, strict=True))
            + "."
        )
        steps = [
            "The graph is made of straight pieces between the marked points "
            + ", ".join(f"({x}, {y})" for x, y in zip(xs, ys, strict=True))
            + ".",
            f"Only on {right} does y go {'up' if up else 'down'}: from {ys[where]} to {ys[where + 1]}.",
        ]
    else:
        a = vr.choice([1, -1, 0.5, -0.5])
        h = vr.randint(-2, 2)
        k = vr.randint(-3, 0) if a > 0 else vr.randint(0, 3)
        coeffs = [a, -2 * a * h, a * h * h + k]
        text = f"y = {poly_text(coeffs)}"
        expr_label(sc, ax, lambda x: a * (x - h) ** 2 + k, text, label_x=vr.choice([-3.0, 3.0]))
        rising_right = a > 0
        right = f"({h}, +∞)" if rising_right == up else f"(-∞, {h})"
        other = f"(-∞, {h})" if rising_right == up else f"({h}, +∞)"
        wrong = [
            other,
            f"({k}, +∞)" if k != h else f"({h + 1}, +∞)",
            f"(-∞, {k})" if k != h else f"(-∞, {h - 1})",
            f"({-h}, +∞)" if h else "(-∞, +∞)",
        ]
        essential = f"The function is {text}."
        steps = [
            f"The parabola opens {'upward' if a > 0 else 'downward'} with its vertex at ({h}, {k}).",
            f"It is {word} to the {'right' if rising_right == up else 'left'} of x = {h}, i.e. on {right}.",
        ]
    choices, letter = choices_for(vr, right, wrong)
    q = f"On which interval is the function {word}?"
    steps.append(f"The answer is {right}.")
    return build(
        family="monotonic_interval",
        scene=sc,
        answer=letter,
        answer_type="multiple_choice",
        choices=choices,
        parts=QuestionParts("The figure shows the graph of a function y = f(x).", "", essential, q),
        steps=steps,
        difficulty="one-op",
        subject=SUBJECT,
        template=f"monotonic_interval:{kind}:{up}",
        level="high school",
        context="function plot",
        skills=["algebraic reasoning"],
        subfield="Property",
        condition_tags=[CONDITION],
    )


# === intersection of two lines ===


@register_family("lines_intersection", difficulty="one-op", dynamath_topic="analytic geometry", **KW)
def lines_intersection(rng: random.Random, variant_rng: random.Random | None = None):
    """Intersection point (or one coordinate of it) of two plotted lines with given equations."""
    vr = variant_rng or rng
    ask = rng.choice(["x", "y", "point"])
    while True:
        m1, m2 = vr.sample([-2, -1, -0.5, 0.5, 1, 2, 3], 2)
        px, py = vr.randint(-2, 2), vr.randint(-2, 2)
        b1, b2 = py - m1 * px, py - m2 * px
        if all(float(b).is_integer() and -4 <= b <= 4 for b in (b1, b2)):
            break
    t1, t2 = f"y = {poly_text([m1, b1])}", f"y = {poly_text([m2, b2])}"
    sc, ax = plot_axes(vr, (-4, 4), (-4, 4))
    lx = vr.choice([-3.5, 3.5])
    expr_label(sc, ax, lambda x: m1 * x + b1, t1, label_x=lx, color=0)
    expr_label(sc, ax, lambda x: m2 * x + b2, t2, label_x=-lx, color=3)
    ann_x, _ = calc(f"({num(b2)}-({num(b1)}))/({num(m1)}-({num(m2)}))")
    ann_y, _ = calc(poly_calc([m1, b1], px))
    steps = [
        f"The lines are {t1} and {t2}; on the grid they cross at ({px}, {py}).",
        f"Check: {poly_text([m1, b1])} = {poly_text([m2, b2])} gives x = {ann_x}.",
        f"Then y = {ann_y}.",
    ]
    choices = None
    if ask == "point":
        q = "What are the coordinates of the intersection point of the two lines?"
        wrong = [
            f"({py}, {px})" if px != py else f"({px + 1}, {py})",
            f"({-px}, {py})" if px else f"({px}, {-py or 1})",
            f"({px}, {py + 1})",
            f"({px - 1}, {py - 1})",
        ]
        choices, answer = choices_for(vr, f"({px}, {py})", wrong)
        atype, level = "multiple_choice", "multi-step"
        steps.append(f"The intersection point is ({px}, {py}).")
    else:
        val = px if ask == "x" else py
        q = f"What is the {ask}-coordinate of the intersection point of the two lines?"
        answer, atype, level = str(val), "integer", "one-op"
        steps.append(f"The {ask}-coordinate of the intersection is {val}.")
    return build(
        family="lines_intersection",
        scene=sc,
        answer=answer,
        answer_type=atype,
        choices=choices,
        parts=QuestionParts(
            "Two lines are drawn on a coordinate grid.", "", f"The lines are {t1} and {t2}.", q
        ),
        steps=steps,
        difficulty=level,
        subject=SUBJECT,
        template=f"lines_intersection:{ask}",
        level="high school",
        context="function plot",
        skills=["algebraic reasoning"],
        subfield="Coordinate",
        condition_tags=[CONDITION],
    )
