"""Perimeter and area families: perimeter of a labelled triangle / rectangle / square / regular polygon,
area of a rectangle, square, triangle or parallelogram (with a dashed height), and composite areas
(trapezoid, L-shape). Shapes are drawn to scale with their labelled lengths."""

from __future__ import annotations

import random

from svemath.data.families.base import Problem, QuestionParts, calc, register_family
from svemath.data.families.geometry_common import (
    LABEL_MARGIN,
    LENGTH_UNITS,
    Conditions,
    fit,
    from_polar,
    integer_triangle,
    length_text,
    mc_step,
    meta,
    numeric_answer,
    parallel_mark,
    pick,
    point_names,
    problem,
    rotate_pts,
    side_label,
    unit_power,
    with_unit,
)
from svemath.data.scene import Scene

_REGISTER = dict(dynamath_topic="plane geometry", mathvista_task="geometry problem solving",
                 mathverse_subject="Plane Geometry")  # fmt: skip
_SKILLS = ("geometry reasoning", "arithmetic reasoning")
_READ = ("The diagram shows ", "From the figure, ", "We read ")
REGULAR = {5: "pentagon", 6: "hexagon", 8: "octagon"}


def _centre(pts: list) -> tuple[float, float]:
    return (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))


def _rect_pts(w: float, h: float, vr: random.Random, tilt: float = 20.0) -> list:
    raw = [(0.0, 0.0), (w, 0.0), (w, -h), (0.0, -h)]  # A bottom-left, B, C, D counter-clockwise on screen
    return fit(rotate_pts(raw, vr.uniform(-tilt, tilt)), vr, size=(0.55, 0.78), margin=LABEL_MARGIN)


def _name_vertices(sc: Scene, pts: list, names: list[str]) -> None:
    for p, nm in zip(pts, names, strict=True):
        sc.point(*p, nm)


@register_family("perimeter", subject="plane geometry", difficulty="one-op", **_REGISTER)
def perimeter(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Perimeter of a triangle (three sides), rectangle (two sides), square or regular polygon (one side)."""
    shape = rng.choice(("triangle", "rectangle", "rectangle", "square", "regular"))
    unit = rng.choice(LENGTH_UNITS)
    mc = rng.random() < 0.25
    vr = variant_rng or rng
    sc = Scene()
    conds = Conditions()
    implicit = ""
    if shape == "triangle":
        names = point_names(rng, 3)
        sides, raw = integer_triangle(vr, 3, 20)
        pts = fit(rotate_pts(raw, vr.uniform(-25, 25) + vr.choice((0, 180))), vr, margin=LABEL_MARGIN)
        sc.polygon(pts)
        _name_vertices(sc, pts, names)
        c = _centre(pts)
        for i in range(3):
            side_label(sc, pts[(i + 1) % 3], pts[(i + 2) % 3], length_text(sides[i], unit), away=c,
                       **conds.kw(f"side{i}"))  # fmt: skip
        side_names = [names[(i + 1) % 3] + names[(i + 2) % 3] for i in range(3)]
        essential = (
            ", ".join(f"{n} = {with_unit(v, unit)}" for n, v in zip(side_names, sides, strict=True)) + "."
        )
        descriptive = f"As shown in the figure, {''.join(names)} is a triangle."
        rule = "The perimeter is the sum of the three sides."
        code, value = calc("+".join(str(s) for s in sides))
        distractors = [value - min(sides), value + max(sides), value + 2]
    elif shape in ("rectangle", "square"):
        names = point_names(rng, 4)
        w = vr.randint(3, 20)
        h = w if shape == "square" else vr.choice([v for v in range(2, 19) if abs(v - w) >= 2])
        pts = _rect_pts(w, h, vr)
        sc.polygon(pts)
        _name_vertices(sc, pts, names)
        for i in range(4):
            sc.right_angle(pts[i], pts[i - 1], pts[(i + 1) % 4])
        c = _centre(pts)
        ab, bc = names[0] + names[1], names[1] + names[2]
        side_label(sc, pts[0], pts[1], length_text(w, unit), away=c, **conds.kw("width"))
        if shape == "rectangle":
            side_label(sc, pts[1], pts[2], length_text(h, unit), away=c, **conds.kw("height"))
            essential = f"{ab} = {with_unit(w, unit)} and {bc} = {with_unit(h, unit)}."
            rule = "A rectangle has two pairs of equal opposite sides, so P = 2 × (length + width)."
            code, value = calc(f"2*({w}+{h})")
            distractors = [w + h, w * h, 2 * w + h]
            implicit = f"All angles of {''.join(names)} are right angles."
        else:
            for i in range(4):
                sc.equal_ticks(pts[i], pts[(i + 1) % 4])
            essential = f"{ab} = {with_unit(w, unit)}."
            rule = "All four sides of a square are equal, so P = 4 × side."
            code, value = calc(f"4*{w}")
            distractors = [2 * w, w * w, 3 * w]
            implicit = f"All sides of {''.join(names)} are equal and all its angles are right angles."
        descriptive = f"As shown in the figure, {''.join(names)} is a {shape}."
    else:
        n = vr.choice(tuple(REGULAR))
        s = vr.randint(2, 15)
        center = (192 + vr.uniform(-15, 15), 192 + vr.uniform(-15, 15))
        radius = vr.uniform(105, 140)
        start = vr.uniform(0, 360)
        pts = [from_polar(radius, start + 360 * i / n, center) for i in range(n)]
        sc.polygon(pts)
        for i in range(n):
            sc.equal_ticks(pts[i], pts[(i + 1) % n])
        side_label(sc, pts[0], pts[1], length_text(s, unit), away=center, **conds.kw("side"))
        essential = f"One side is {with_unit(s, unit)} long."
        descriptive = "The figure shows a polygon with all sides marked equal."
        implicit = "The polygon is regular."
        rule = f"The polygon has {n} equal sides, so its perimeter is {n} × side."
        code, value = calc(f"{n}*{s}")
        distractors = [(n - 1) * s, (n + 1) * s, n + s]
    question = pick(rng, ("What is the perimeter of the figure?", "Find the perimeter of the shape."))
    answer, atype, choices, final = numeric_answer(vr, value, mc=mc, distractors=distractors)
    first = f"The label shows that each side is {with_unit(s, unit)} long." if shape == "regular" else None
    steps = [first or pick(rng, _READ) + essential, rule, f"P = {code}" + (f" {unit}." if unit else ".")]
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="perimeter", scene=sc, parts=QuestionParts(descriptive, implicit, essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="one-op",
        unit=unit_power(unit, 1), conds=conds,
        info=meta("Length", _SKILLS, level="elementary school", grade="elementary school"),
    )  # fmt: skip


def _altitude(sc: Scene, top, foot, base_end) -> None:
    """A dashed height from ``top`` to ``foot`` with a right-angle mark."""
    sc.segment(top, foot, dash="dashed")
    sc.right_angle(foot, top, base_end)


@register_family("area_basic", subject="plane geometry", difficulty="one-op", **_REGISTER)
def area_basic(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Area of a rectangle, square, triangle (base and dashed height) or parallelogram (base, height)."""
    shape = rng.choice(("rectangle", "square", "triangle", "triangle", "parallelogram"))
    unit = rng.choice(LENGTH_UNITS)
    mc = rng.random() < 0.25
    vr = variant_rng or rng
    names = point_names(rng, 4 if shape != "triangle" else 3)
    sc = Scene()
    conds = Conditions()
    poly = "".join(names)
    if shape in ("rectangle", "square"):
        w = vr.randint(3, 20)
        h = w if shape == "square" else vr.choice([v for v in range(2, 19) if abs(v - w) >= 2])
        pts = _rect_pts(w, h, vr)
        sc.polygon(pts)
        _name_vertices(sc, pts, names)
        for i in range(4):
            sc.right_angle(pts[i], pts[i - 1], pts[(i + 1) % 4])
        c = _centre(pts)
        side_label(sc, pts[0], pts[1], length_text(w, unit), away=c, **conds.kw("width"))
        if shape == "rectangle":
            side_label(sc, pts[1], pts[2], length_text(h, unit), away=c, **conds.kw("height"))
            essential = f"{names[0]}{names[1]} = {with_unit(w, unit)} and {names[1]}{names[2]} = {with_unit(h, unit)}."
            rule = "The area of a rectangle is length × width."
            code, value = calc(f"{w}*{h}")
            distractors = [2 * (w + h), w + h, w * h / 2]
            implicit = f"All angles of {poly} are right angles."
        else:
            for i in range(4):
                sc.equal_ticks(pts[i], pts[(i + 1) % 4])
            essential = f"{names[0]}{names[1]} = {with_unit(w, unit)}."
            rule = "The area of a square is side × side."
            code, value = calc(f"{w}^2")
            distractors = [4 * w, 2 * w, w * w / 2]
            implicit = f"All sides of {poly} are equal and all its angles are right angles."
    else:
        b = vr.randint(4, 20)
        h = vr.randint(max(3, b // 3), min(16, 2 * b))
        if shape == "triangle" and b * h % 2:
            b += 1
        off = vr.uniform(0.2, 0.8) * b if shape == "triangle" else vr.uniform(0.25, 0.6) * b
        if shape == "triangle":
            raw = [(0.0, 0.0), (b, 0.0), (off, -h), (off, 0.0)]  # A, B, apex C, foot
        else:
            raw = [(0.0, 0.0), (b, 0.0), (b + off, -h), (off, -h), (off, 0.0)]  # A B C D, foot under D
        moved = fit(rotate_pts(raw, vr.uniform(-15, 15)), vr, size=(0.55, 0.8), margin=LABEL_MARGIN)
        pts, foot = moved[:-1], moved[-1]
        sc.polygon(pts)
        _name_vertices(sc, pts, names)
        top = pts[2] if shape == "triangle" else pts[3]
        _altitude(sc, top, foot, pts[1])
        foot_name = "H"
        if foot_name in names:
            foot_name = "K"
        sc.point(*foot, foot_name)
        c = _centre(pts)
        side_label(sc, pts[0], pts[1], length_text(b, unit), away=c, **conds.kw("base"))
        side_label(sc, top, foot, length_text(h, unit), away=pts[1], **conds.kw("height"))
        ab, th = names[0] + names[1], f"{names[2] if shape == 'triangle' else names[3]}{foot_name}"
        essential = f"{ab} = {with_unit(b, unit)} and {th} = {with_unit(h, unit)}."
        implicit = f"{th} ⊥ {ab}."
        if shape == "triangle":
            rule = "The area of a triangle is base × height / 2."
            code, value = calc(f"{b}*{h}/2")
            distractors = [b * h, b + h, b * h / 4 if b * h % 4 == 0 else b * h / 2 + 3]
        else:
            rule = "The area of a parallelogram is base × height."
            code, value = calc(f"{b}*{h}")
            distractors = [b * h / 2, 2 * (b + h), b * h + h]
    descriptive = f"As shown in the figure, {poly} is a {shape}."
    question = pick(rng, (f"What is the area of {shape} {poly}?", f"Find the area of the {shape}."))
    answer, atype, choices, final = numeric_answer(vr, value, mc=mc, distractors=distractors)
    steps = [pick(rng, _READ) + essential, rule, f"Area = {code}" + (f" {unit}²." if unit else ".")]
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="area_basic", scene=sc, parts=QuestionParts(descriptive, implicit, essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="one-op",
        unit=unit_power(unit, 2), conds=conds,
        info=meta("Area", _SKILLS, level="elementary school", grade="elementary school"),
    )  # fmt: skip


@register_family("area_composite", subject="plane geometry", difficulty="multi-step", **_REGISTER)
def area_composite(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Area of a trapezoid (two bases, dashed height) or of an L-shaped figure split into rectangles."""
    shape = rng.choice(("trapezoid", "L-shape"))
    unit = rng.choice(LENGTH_UNITS)
    mc = rng.random() < 0.25
    vr = variant_rng or rng
    sc = Scene()
    conds = Conditions()
    if shape == "trapezoid":
        names = point_names(rng, 4)
        while True:
            a, b, h = vr.randint(6, 20), vr.randint(3, 14), vr.randint(3, 12)
            if b < a - 1 and (a + b) * h % 2 == 0 and 0.3 <= h / a <= 1.2:
                break
        off = vr.uniform(0.15, 0.4) * a  # the height's foot well inside AB (C may overhang B)
        raw = [(0.0, 0.0), (a, 0.0), (off + b, -h), (off, -h), (off, 0.0)]
        moved = fit(rotate_pts(raw, vr.uniform(-12, 12)), vr, size=(0.6, 0.8), margin=LABEL_MARGIN)
        pts, foot = moved[:4], moved[4]
        sc.polygon(pts, kind="trapezoid")
        _name_vertices(sc, pts, names)
        _altitude(sc, pts[3], foot, pts[1])
        parallel_mark(sc, pts[0], pts[1])
        parallel_mark(sc, pts[3], pts[2])
        foot_name = "H" if "H" not in names else "K"
        sc.point(*foot, foot_name)
        c = _centre(pts)
        side_label(sc, pts[0], pts[1], length_text(a, unit), away=c, **conds.kw("base1"))
        side_label(sc, pts[3], pts[2], length_text(b, unit), away=c, **conds.kw("base2"))
        side_label(sc, pts[3], foot, length_text(h, unit), away=pts[1], **conds.kw("height"))
        ab, dc, dh = names[0] + names[1], names[3] + names[2], names[3] + foot_name
        poly = "".join(names)
        essential = (
            f"{ab} = {with_unit(a, unit)}, {dc} = {with_unit(b, unit)} and {dh} = {with_unit(h, unit)}."
        )
        descriptive = f"As shown in the figure, {poly} is a trapezoid."
        implicit = f"{ab} ∥ {dc} and {dh} ⊥ {ab}."
        s_code, _ = calc(f"{a}+{b}")
        code, value = calc(f"({a}+{b})*{h}/2")
        steps_mid = [
            "The area of a trapezoid is (sum of the parallel sides) × height / 2.",
            f"The parallel sides add up to {s_code}.",
            f"Area = {code}" + (f" {unit}²." if unit else "."),
        ]
        distractors = [(a + b) * h, a * h, (a + b) * h / 2 + h]
    else:
        names = point_names(rng, 6)
        W, H = vr.randint(8, 20), vr.randint(8, 20)
        w1, h1 = vr.randint(3, W - 3), vr.randint(3, H - 3)
        # outline A..F (y up): (0,0) (W,0) (W,h1) (w1,h1) (w1,H) (0,H): AB = W, BC = h1, EF = w1, FA = H
        raw = [(0.0, 0.0), (W, 0.0), (W, -h1), (w1, -h1), (w1, -H), (0.0, -H)]
        if vr.random() < 0.5:
            raw = [(-x, y) for x, y in raw]
        pts = fit(
            rotate_pts(raw, vr.uniform(-10, 10) + vr.choice((0, 0, 90, 180, 270))),
            vr,
            size=(0.6, 0.78),
            margin=LABEL_MARGIN,
        )
        sc.polygon(pts, kind="polygon")
        _name_vertices(sc, pts, names)
        inside = _centre([pts[0], pts[1], pts[2], pts[5]])
        A, B, C, D, E, F = names
        side_label(sc, pts[0], pts[1], length_text(W, unit), away=inside, **conds.kw("AB"))
        side_label(sc, pts[5], pts[0], length_text(H, unit), away=inside, **conds.kw("FA"))
        side_label(sc, pts[4], pts[5], length_text(w1, unit), away=inside, **conds.kw("EF"))
        side_label(sc, pts[1], pts[2], length_text(h1, unit), away=inside, **conds.kw("BC"))
        for i in (0, 1, 5):
            sc.right_angle(pts[i], pts[i - 1], pts[(i + 1) % 6])
        essential = (f"{A}{B} = {with_unit(W, unit)}, {B}{C} = {with_unit(h1, unit)}, {E}{F} = {with_unit(w1, unit)} "
                     f"and {F}{A} = {with_unit(H, unit)}.")  # fmt: skip
        descriptive = f"The figure shows an L-shaped hexagon {''.join(names)}."
        implicit = "All its corners are right angles."
        r1_code, r1 = calc(f"{W}*{h1}")
        r2_code, r2 = calc(f"{w1}*({H}-{h1})")
        code, value = calc(f"{round(r1)}+{round(r2)}")
        steps_mid = [
            f"Extend {D}{C} across the figure to split it into two rectangles.",
            f"The first is {A}{B} by {B}{C}: {r1_code}.",
            f"The second is {E}{F} by {F}{A} - {B}{C}: {r2_code}.",
            f"Total area = {code}" + (f" {unit}²." if unit else "."),
        ]
        distractors = [W * H, 2 * (W + H), W * H - w1 * h1]
    question = pick(rng, ("What is the area of the figure?", "Find the area of the shape."))
    answer, atype, choices, final = numeric_answer(vr, value, mc=mc, distractors=distractors)
    steps = [pick(rng, _READ) + essential, *steps_mid]
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="area_composite", scene=sc, parts=QuestionParts(descriptive, implicit, essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="multi-step",
        unit=unit_power(unit, 2), conds=conds, info=meta("Area", _SKILLS),
    )  # fmt: skip
