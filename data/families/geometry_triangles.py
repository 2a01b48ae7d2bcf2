"""Triangle and polygon angle families: angle sum, exterior angle, classification by angles, isosceles
base angles, the missing angle of a polygon and the angles of a regular polygon. Every figure is drawn
with its labelled angles (exact to the degree)."""

from __future__ import annotations

import math
import random

from svemath.data.families.base import Problem, QuestionParts, calc, register_family
from svemath.data.families.geometry_common import (
    Conditions,
    deg,
    fit,
    from_polar,
    mc_step,
    meta,
    numeric_answer,
    pick,
    point_names,
    polygon_from_angles,
    problem,
    rotate_pts,
    split_sum,
    triangle_from_angles,
)
from svemath.data.scene import Scene

_REGISTER = dict(dynamath_topic="plane geometry", mathvista_task="geometry problem solving",
                 mathverse_subject="Plane Geometry")  # fmt: skip
_SKILLS = ("geometry reasoning", "arithmetic reasoning")
_READ = ("The diagram shows ", "From the figure, ", "We read ")


def _triangle_scene(vr: random.Random, angles: list[int]) -> list:
    """Vertices (A, B, C) of a fitted, randomly rotated triangle with the given angles."""
    pts = triangle_from_angles(angles[0], angles[1])
    return fit(rotate_pts(pts, vr.uniform(-30, 30) + vr.choice((0, 0, 0, 180))), vr)


def _three_angles(vr: random.Random, lo: int = 28, hi: int = 110) -> list[int]:
    while True:
        a, b = vr.randint(lo, hi), vr.randint(lo, hi)
        if lo <= 180 - a - b <= hi and len({a, b, 180 - a - b}) == 3:
            return [a, b, 180 - a - b]


@register_family("triangle_angle_sum", subject="plane geometry", difficulty="one-op", **_REGISTER)
def triangle_angle_sum(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Two angles of a triangle are labelled; find the third (angles add up to 180°)."""
    names = point_names(rng, 3)
    ask = rng.randrange(3)
    use_x = rng.random() < 0.4
    mc = rng.random() < 0.3
    vr = variant_rng or rng
    angles = _three_angles(vr, 25, 115)
    pts = _triangle_scene(vr, angles)
    sc = Scene()
    sc.polygon(pts)
    conds = Conditions()
    for i, p in enumerate(pts):
        sc.point(*p, names[i])
    known = []
    for i, p in enumerate(pts):
        if i == ask:
            sc.angle(p, pts[i - 1], pts[(i + 1) % 3], "x" if use_x else "?")
        else:
            sc.angle(p, pts[i - 1], pts[(i + 1) % 3], deg(angles[i]), **conds.kw(f"angle{i}"))
            known.append((f"∠{names[i]}", angles[i]))
    tri = "".join(names)
    target = f"∠{names[ask]}"
    essential = f"{known[0][0]} = {deg(known[0][1])} and {known[1][0]} = {deg(known[1][1])}."
    question = (
        f"The angle at {names[ask]} is marked x. Find x." if use_x else f"Find the measure of {target}."
    )
    lhs = "x" if use_x else target
    s = known[0][1] + known[1][1]
    code, _ = calc(f"180-{known[0][1]}-{known[1][1]}")
    answer, atype, choices, final = numeric_answer(
        vr, angles[ask], mc=mc, distractors=[s, 360 - s if 360 - s < 180 else 90 + angles[ask] // 2,
                                              abs(90 - s) if s != 90 else 45], suffix="°")  # fmt: skip
    steps = [
        pick(rng, _READ) + essential,
        pick(
            rng,
            ("The angles of a triangle add up to 180°.", "The interior angles of a triangle sum to 180°."),
        ),
        f"So {lhs} = {code}°.",
    ]
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="triangle_angle_sum", scene=sc,
        parts=QuestionParts(f"As shown in the figure, {tri} is a triangle.", "", essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="one-op", unit="°",
        conds=conds, info=meta("Angle", _SKILLS, level="elementary school", grade="elementary school"),
    )  # fmt: skip


@register_family("triangle_exterior_angle", subject="plane geometry", difficulty="one-op", **_REGISTER)
def triangle_exterior_angle(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Side BC of triangle ABC is extended to D: the exterior angle ∠ACD equals ∠A + ∠B."""
    a, b, c, d = point_names(rng, 4)
    find_ext = rng.random() < 0.6
    mc = rng.random() < 0.25
    vr = variant_rng or rng
    while True:
        A, B = vr.randint(30, 85), vr.randint(30, 80)
        if 70 <= A + B <= 140 and A != B:
            break
    ext = A + B
    # triangle with B at the origin, C on the +x axis, D beyond C
    tri = triangle_from_angles(B, 180 - A - B)  # vertices B, C, A (angles B at B, C at C)
    pB, pC, pA = tri
    pD = (pC[0] + 0.55 * (pC[0] - pB[0]), pC[1])
    flip = vr.random() < 0.5  # mirror left-right
    raw = [pA, pB, pC, pD]
    if flip:
        raw = [(-x, y) for x, y in raw]
    pA, pB, pC, pD = fit(rotate_pts(raw, vr.uniform(-20, 20)), vr, size=(0.65, 0.82))
    sc = Scene()
    sc.polygon([pA, pB, pC])
    sc.segment(pC, pD)
    for p, nm in ((pA, a), (pB, b), (pC, c), (pD, d)):
        sc.point(*p, nm)
    conds = Conditions()
    ext_name = f"∠{a}{c}{d}"
    if find_ext:
        sc.angle(pA, pB, pC, deg(A), **conds.kw("angleA"))
        sc.angle(pB, pA, pC, deg(B), **conds.kw("angleB"))
        sc.angle(pC, pA, pD, "x", radius=30)
        essential = f"∠{a} = {deg(A)} and ∠{b} = {deg(B)}."
        question = f"The exterior angle {ext_name} is marked x. Find x."
        value, code = ext, calc(f"{A}+{B}")[0]
        rule = pick(rng, ("An exterior angle of a triangle equals the sum of the two remote interior angles.",
                          f"{ext_name} is an exterior angle, so it equals ∠{a} + ∠{b}."))  # fmt: skip
        distractors = [180 - ext, abs(A - B), 180 - A]
    else:
        sc.angle(pB, pA, pC, deg(B), **conds.kw("angleB"))
        sc.angle(pC, pA, pD, deg(ext), radius=30, **conds.kw("exterior"))
        sc.angle(pA, pB, pC, "x")
        essential = f"{ext_name} = {deg(ext)} and ∠{b} = {deg(B)}."
        question = f"The angle at {a} is marked x. Find x."
        value, code = A, calc(f"{ext}-{B}")[0]
        rule = pick(rng, ("An exterior angle of a triangle equals the sum of the two remote interior angles.",
                          f"{ext_name} = ∠{a} + ∠{b}, so ∠{a} = {ext_name} - ∠{b}."))  # fmt: skip
        distractors = [180 - ext, ext + B, 180 - B]
    answer, atype, choices, final = numeric_answer(vr, value, mc=mc, distractors=distractors, suffix="°")
    steps = [pick(rng, _READ) + essential, rule, f"So x = {code}°."]
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="triangle_exterior_angle", scene=sc,
        parts=QuestionParts(f"As shown in the figure, in triangle {a}{b}{c} the side {b}{c} is extended to {d}.",
                            "", essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="one-op", unit="°",
        conds=conds, info=meta("Angle", _SKILLS),
    )  # fmt: skip


CLASSES = ("acute", "right", "obtuse")


@register_family("triangle_classify", subject="plane geometry", difficulty="multi-step", **_REGISTER)
def triangle_classify(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Two angles are labelled; classify the triangle as acute, right or obtuse (text or choice)."""
    names = point_names(rng, 3)
    ask = rng.randrange(3)
    mc = rng.random() < 0.5
    vr = variant_rng or rng
    kind = vr.choice(CLASSES)
    while True:
        third = {"acute": vr.randint(50, 85), "right": 90, "obtuse": vr.randint(100, 130)}[kind]
        a = vr.randint(20, 180 - third - 20)
        others = [a, 180 - third - a]
        if kind == "acute" and max(others) >= 90:
            continue
        if len({*others, third}) == 3:
            break
    angles = others[:]
    angles.insert(ask, third)
    pts = _triangle_scene(vr, angles)
    sc = Scene()
    sc.polygon(pts)
    conds = Conditions()
    known = []
    for i, p in enumerate(pts):
        sc.point(*p, names[i])
        if i != ask:
            sc.angle(p, pts[i - 1], pts[(i + 1) % 3], deg(angles[i]), **conds.kw(f"angle{i}"))
            known.append((f"∠{names[i]}", angles[i]))
    tri = "".join(names)
    essential = f"{known[0][0]} = {deg(known[0][1])} and {known[1][0]} = {deg(known[1][1])}."
    question = f"Is triangle {tri} acute, right or obtuse?"
    code, _ = calc(f"180-{known[0][1]}-{known[1][1]}")
    compare = {"acute": "All three angles are less than 90°", "right": f"∠{names[ask]} is exactly 90°",
               "obtuse": f"∠{names[ask]} is greater than 90°"}[kind]  # fmt: skip
    steps = [
        pick(rng, _READ) + essential,
        f"The angles of a triangle add up to 180°, so ∠{names[ask]} = {code}°.",
        f"{compare}, so triangle {tri} is {kind}.",
    ]
    if mc:
        choices = [f"{k} triangle" for k in CLASSES]
        answer, atype = "ABC"[CLASSES.index(kind)], "multiple_choice"
        steps.append(mc_step(answer, f"{kind} triangle"))
    else:
        choices, answer, atype = None, kind, "text"
        question += " Answer with one word."
    return problem(
        family="triangle_classify", scene=sc,
        parts=QuestionParts(f"As shown in the figure, {tri} is a triangle.", "", essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="multi-step",
        conds=conds, info=meta("Angle", ("geometry reasoning", "logical reasoning"),
                               alternatives=[k for k in CLASSES if k != kind]),
    )  # fmt: skip


@register_family("isosceles_triangle", subject="plane geometry", difficulty="one-op", **_REGISTER)
def isosceles_triangle(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Isosceles triangle ABC with AB = AC (tick marks): base angle from the apex angle, or back."""
    a, b, c = point_names(rng, 3)
    from_apex = rng.random() < 0.6
    mc = rng.random() < 0.3
    vr = variant_rng or rng
    apex = vr.randrange(30, 141, 2)
    while apex == 60:
        apex = vr.randrange(30, 141, 2)
    base = (180 - apex) // 2
    h = 1.0
    w = h * math.tan(math.radians(apex / 2))
    raw = [(0.0, 0.0), (-w, h), (w, h)]
    pA, pB, pC = fit(rotate_pts(raw, vr.uniform(-25, 25) + vr.choice((0, 0, 180)), center=(0.0, 0.0)), vr)
    sc = Scene()
    sc.polygon([pA, pB, pC])
    for p, nm in ((pA, a), (pB, b), (pC, c)):
        sc.point(*p, nm)
    sc.equal_ticks(pA, pB)
    sc.equal_ticks(pA, pC)
    conds = Conditions()
    if from_apex:
        sc.angle(pA, pB, pC, deg(apex), **conds.kw("apex"))
        sc.angle(pB, pA, pC, "x")
        essential = f"∠{b}{a}{c} = {deg(apex)}."
        question = f"∠{a}{b}{c} is marked x. Find x."
        value = base
        code = calc(f"(180-{apex})/2")[0]
        rule = f"So ∠{b} = ∠{c}, and 2x + {apex}° = 180°."
        distractors = [180 - apex, apex, 90 - apex // 2 + 10]
    else:
        sc.angle(pB, pA, pC, deg(base), **conds.kw("base"))
        sc.angle(pA, pB, pC, "x")
        essential = f"∠{a}{b}{c} = {deg(base)}."
        question = f"∠{b}{a}{c} is marked x. Find x."
        value = apex
        code = calc(f"180-2*{base}")[0]
        rule = f"So ∠{c} = ∠{b} = {deg(base)}, and x + 2 × {base}° = 180°."
        distractors = [180 - base, base, 90 - base]
    answer, atype, choices, final = numeric_answer(vr, value, mc=mc, distractors=distractors, suffix="°")
    steps = [
        pick(rng, _READ) + essential,
        pick(rng, (f"The tick marks show {a}{b} = {a}{c}, so the base angles at {b} and {c} are equal.",
                   f"Triangle {a}{b}{c} is isosceles with {a}{b} = {a}{c}, so its base angles are equal.")),
        rule,
        f"x = {code}°.",
    ]  # fmt: skip
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="isosceles_triangle", scene=sc,
        parts=QuestionParts(f"As shown in the figure, {a}{b}{c} is a triangle.", f"{a}{b} = {a}{c}.",
                            essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="one-op", unit="°",
        conds=conds, info=meta("Angle", _SKILLS),
    )  # fmt: skip


POLY_NAMES = {4: "quadrilateral", 5: "pentagon", 6: "hexagon"}


@register_family("polygon_missing_angle", subject="plane geometry", difficulty="multi-step", **_REGISTER)
def polygon_missing_angle(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """All but one interior angle of a convex polygon (4-6 sides) are labelled; find the last."""
    n = rng.choice((4, 4, 5, 5, 6))
    names = point_names(rng, n)
    ask = rng.randrange(n)
    mc = rng.random() < 0.25
    vr = variant_rng or rng
    total = (n - 2) * 180
    lo, hi = {4: (55, 140), 5: (80, 150), 6: (95, 160)}[n]
    while True:
        angles = split_sum(vr, total, n, lo, hi)
        pts = polygon_from_angles(angles, vr)
        if pts is not None:
            break
    pts = fit(rotate_pts(pts, vr.uniform(0, 360)), vr, size=(0.62, 0.76), margin=50)
    sc = Scene()
    sc.polygon(pts)
    conds = Conditions()
    known = []
    for i, p in enumerate(pts):
        sc.point(*p, names[i])
        if i == ask:
            sc.angle(p, pts[i - 1], pts[(i + 1) % n], "x")
        else:
            sc.angle(p, pts[i - 1], pts[(i + 1) % n], deg(angles[i]), **conds.kw(f"angle{i}"))
            known.append((f"∠{names[i]}", angles[i]))
    poly = "".join(names)
    shape = POLY_NAMES[n]
    essential = ", ".join(f"{nm} = {deg(v)}" for nm, v in known) + "."
    question = f"The angle at {names[ask]} is marked x. Find x."
    sum_code, _ = calc(f"({n}-2)*180")
    code, _ = calc(f"{total}-" + "-".join(str(v) for _, v in known))
    known_sum = sum(v for _, v in known)
    answer, atype, choices, final = numeric_answer(
        vr,
        angles[ask],
        mc=mc,
        distractors=[360 - known_sum, angles[ask] + 180, angles[ask] + 10, angles[ask] - 10],
        suffix="°",
    )
    steps = [
        pick(rng, _READ) + essential,
        f"{poly} has {n} sides, so its interior angles add up to {sum_code}°.",
        f"So x = {code}°.",
    ]
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="polygon_missing_angle", scene=sc,
        parts=QuestionParts(f"As shown in the figure, {poly} is a convex {shape}.", "", essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="multi-step", unit="°",
        conds=conds, info=meta("Angle", _SKILLS),
    )  # fmt: skip


REGULAR = {5: "pentagon", 6: "hexagon", 8: "octagon", 10: "decagon", 12: "dodecagon"}


@register_family("regular_polygon_angle", subject="plane geometry", difficulty="multi-step", **_REGISTER)
def regular_polygon_angle(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """A regular polygon (equal-side ticks): count its sides, then its interior / exterior / angle sum."""
    quantity = rng.choice(("interior", "interior", "exterior", "sum"))
    mc = rng.random() < 0.3
    vr = variant_rng or rng
    n = vr.choice((5, 5, 6, 6, 8, 8, 10, 12))
    radius = vr.uniform(100, 145)
    center = (192 + vr.uniform(-20, 20), 192 + vr.uniform(-20, 20))
    start = vr.uniform(0, 360)
    pts = [from_polar(radius, start + 360 * i / n, center) for i in range(n)]
    sc = Scene()
    sc.polygon(pts, weight=vr.choice((1.0, 1.3)))
    for i in range(n):
        sc.equal_ticks(pts[i], pts[(i + 1) % n])
    total = (n - 2) * 180
    steps = [
        pick(rng, (f"The polygon has {n} sides, all marked equal, so it is a regular {REGULAR[n]}.",
                   f"Counting the sides gives {n}; the tick marks show they are equal, so it is a regular {REGULAR[n]}.")),
    ]  # fmt: skip
    if quantity == "sum":
        question = "What is the sum of the interior angles of the polygon?"
        value = total
        steps.append(f"The interior angles of an n-gon add up to (n-2) × 180° = {calc(f'({n}-2)*180')[0]}°.")
        distractors = [n * 180, (n - 1) * 180, 360]
    elif quantity == "interior":
        question = "What is the measure of each interior angle of the polygon?"
        value = total / n
        steps.append(f"The interior angles add up to {calc(f'({n}-2)*180')[0]}°.")
        steps.append(f"All {n} angles are equal, so each is {calc(f'{total}/{n}')[0]}°.")
        distractors = [
            360 / n,
            180 - 360 / n + 10,
            total / (n - 1) if total % (n - 1) == 0 else total / n + 15,
        ]
    else:
        question = "What is the measure of each exterior angle of the polygon?"
        value = 360 / n
        steps.append("The exterior angles of a convex polygon add up to 360°.")
        steps.append(f"All {n} are equal, so each is {calc(f'360/{n}')[0]}°.")
        distractors = [
            total / n,
            180 / n if 180 % n == 0 else 360 / n + 10,
            360 / (n - 1) if 360 % (n - 1) == 0 else 360 / n + 5,
        ]
    answer, atype, choices, final = numeric_answer(vr, value, mc=mc, distractors=distractors, suffix="°")
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="regular_polygon_angle", scene=sc,
        parts=QuestionParts("The figure shows a polygon with all sides marked equal.",
                            "The polygon is regular.", f"It has {n} sides.", question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="multi-step", unit="°",
        info=meta("Angle", _SKILLS),
    )  # fmt: skip
