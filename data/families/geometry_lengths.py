"""Length families: reading a labelled side, the Pythagorean theorem (right-angle mark, two sides
given) and similar triangles (a segment parallel to one side, proportional sides). Figures are drawn
to scale: every labelled length is proportional to the drawn one."""

from __future__ import annotations

import math
import random

from svemath.data.families.base import Problem, QuestionParts, calc, register_family
from svemath.data.families.geometry_common import (
    LABEL_MARGIN,
    LENGTH_UNITS,
    Conditions,
    fit,
    integer_triangle,
    length_text,
    mc_step,
    meta,
    min_angle,
    numeric_answer,
    parallel_mark,
    pick,
    point_names,
    precision_hint,
    problem,
    rotate_pts,
    side_label,
    triangle_from_sides,
    unit_power,
    with_unit,
)
from svemath.data.scene import Scene

_REGISTER = dict(dynamath_topic="plane geometry", mathvista_task="geometry problem solving",
                 mathverse_subject="Plane Geometry")  # fmt: skip
_SKILLS = ("geometry reasoning", "arithmetic reasoning")
_READ = ("The diagram shows ", "From the figure, ", "We read ")


def _centroid(pts: list) -> tuple[float, float]:
    return (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))


@register_family("length_read", subject="plane geometry", difficulty="read", **_REGISTER)
def length_read(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Read one side of a triangle whose three sides are labelled, or one piece of a divided segment."""
    figure = rng.choice(("triangle", "triangle", "segment"))
    unit = rng.choice(LENGTH_UNITS)
    mc = rng.random() < 0.3
    vr = variant_rng or rng
    conds = Conditions()
    sc = Scene()
    if figure == "triangle":
        names = point_names(rng, 3)
        ask = rng.randrange(3)  # side opposite vertex `ask`: BC, CA, AB
        sides, raw = integer_triangle(vr, 3, 20)
        pts = fit(rotate_pts(raw, vr.uniform(-25, 25) + vr.choice((0, 0, 180))), vr, margin=LABEL_MARGIN)
        sc.polygon(pts)
        c = _centroid(pts)
        for p, nm in zip(pts, names, strict=True):
            sc.point(*p, nm)
        side_names = []
        for i in range(3):  # side i is opposite vertex i: from vertex i+1 to vertex i+2
            p, q = pts[(i + 1) % 3], pts[(i + 2) % 3]
            side_names.append(names[(i + 1) % 3] + names[(i + 2) % 3])
            side_label(sc, p, q, length_text(sides[i], unit), away=c, **conds.kw(f"side{i}"))
        lengths = sides
        descriptive = f"As shown in the figure, {''.join(names)} is a triangle."
    else:
        names = point_names(rng, 4)
        ask = rng.randrange(3)
        lengths = [vr.randint(2, 12) for _ in range(3)]
        while len(set(lengths)) < 3 or min(lengths) < 0.22 * sum(lengths):  # each piece holds its label
            lengths = [vr.randint(2, 12) for _ in range(3)]
        xs = [0.0]
        for v in lengths:
            xs.append(xs[-1] + v)
        raw = [(x, 0.0) for x in xs] + [(xs[-1] / 2, -xs[-1] * 0.25)]  # a helper point keeps the box square
        pts = fit(rotate_pts(raw, vr.uniform(-30, 30), center=(0.0, 0.0)), vr, size=(0.8, 0.9), margin=40.0)[
            :4
        ]
        sc.segment(pts[0], pts[3])
        side_names = []
        for i, (p, nm) in enumerate(zip(pts, names, strict=True)):
            sc.point(*p, nm, marked=True)
            if i < 3:
                side_names.append(nm + names[i + 1])
        below = (
            pts[0][0] - (pts[3][1] - pts[0][1]),
            pts[0][1] + (pts[3][0] - pts[0][0]),
        )  # a point below the line
        for i in range(3):
            side_label(
                sc, pts[i], pts[i + 1], length_text(lengths[i], unit), away=below, **conds.kw(f"side{i}")
            )
        descriptive = (
            f"As shown in the figure, points {', '.join(names[1:3])} lie on segment {names[0]}{names[3]}."
        )
    value = lengths[ask]
    target = side_names[ask]
    question = pick(rng, (f"What is the length of {target}?", f"How long is {target}?",
                          f"Find the length of {target}."))  # fmt: skip
    essential = (
        ", ".join(f"{nm} = {with_unit(v, unit)}" for nm, v in zip(side_names, lengths, strict=True)) + "."
    )
    others = [v for i, v in enumerate(lengths) if i != ask]
    answer, atype, choices, final = numeric_answer(vr, value, mc=mc, distractors=[*others, sum(lengths)])
    steps = [
        pick(
            rng,
            (
                "Each length is written beside its segment.",
                "The diagram labels every segment with its length.",
            ),
        ),
        f"The label beside {target} reads {length_text(value, unit)}.",
        f"So {target} = {with_unit(value, unit)}.",
    ]
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="length_read", scene=sc,
        parts=QuestionParts(descriptive, "", essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="read",
        unit=unit_power(unit, 1), conds=conds,
        info=meta("Length", ("geometry reasoning",), level="elementary school", grade="elementary school"),
    )  # fmt: skip


TRIPLES = ((3, 4, 5), (5, 12, 13), (8, 15, 17), (7, 24, 25), (6, 8, 10), (9, 12, 15), (12, 16, 20),
           (15, 20, 25), (20, 21, 29), (9, 40, 41), (12, 35, 37), (10, 24, 26), (15, 8, 17), (4, 3, 5))  # fmt: skip


@register_family("pythagoras", subject="plane geometry", difficulty="multi-step", **_REGISTER)
def pythagoras(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Right triangle (right-angle mark) with two labelled sides: find the third."""
    a_n, b_n, c_n = point_names(rng, 3)  # right angle at C
    find = rng.choice(("hypotenuse", "hypotenuse", "leg"))
    exact = rng.random() < 0.6
    precision = None if exact else rng.choice((1, 2))
    unit = rng.choice(LENGTH_UNITS)
    use_x = rng.random() < 0.5
    mc = rng.random() < 0.25
    vr = variant_rng or rng
    while True:
        if exact:
            leg_a, leg_b, hyp = vr.choice(TRIPLES)
            k = vr.choice((1, 1, 2)) if hyp <= 20 else 1
            leg_a, leg_b, hyp = leg_a * k, leg_b * k, hyp * k
        else:
            leg_a, leg_b = vr.randint(2, 15), vr.randint(2, 15)
            hyp = math.hypot(leg_a, leg_b)
            if find == "leg":  # integer hypotenuse and one leg, the other leg irrational
                hyp = vr.randint(max(leg_a, 4) + 1, 20)
                leg_b = math.sqrt(hyp * hyp - leg_a * leg_a)
        if hyp == round(hyp) and (not exact) and find == "hypotenuse":
            continue
        if not exact and find == "leg" and leg_b == round(leg_b):
            continue
        if 0.3 <= leg_a / leg_b <= 3.3:
            break
    # C at the origin, B along +x (BC = leg_a), A up (AC = leg_b)
    raw = [(0.0, -leg_b), (leg_a, 0.0), (0.0, 0.0)]
    if vr.random() < 0.5:
        raw = [(-x, y) for x, y in raw]
    pA, pB, pC = fit(rotate_pts(raw, vr.uniform(0, 360)), vr, margin=LABEL_MARGIN)
    sc = Scene()
    sc.polygon([pA, pB, pC])
    for p, nm in ((pA, a_n), (pB, b_n), (pC, c_n)):
        sc.point(*p, nm)
    sc.right_angle(pC, pA, pB)
    cen = _centroid([pA, pB, pC])
    conds = Conditions()
    bc, ac, ab = f"{b_n}{c_n}", f"{a_n}{c_n}", f"{a_n}{b_n}"
    unknown = "x" if use_x else "?"
    if find == "hypotenuse":
        side_label(sc, pB, pC, length_text(leg_a, unit), away=cen, **conds.kw("leg_a"))
        side_label(sc, pA, pC, length_text(leg_b, unit), away=cen, **conds.kw("leg_b"))
        side_label(sc, pA, pB, unknown, away=cen)
        essential = f"{bc} = {with_unit(leg_a, unit)} and {ac} = {with_unit(leg_b, unit)}."
        target = ab
        sq_code, sq = calc(f"{leg_a}^2+{leg_b}^2")
        rel = f"{ab}² = {bc}² + {ac}²"
        distractors = [leg_a + leg_b, abs(leg_b - leg_a) + 1, math.sqrt(abs(leg_b**2 - leg_a**2)), hyp + 2]
    else:
        side_label(sc, pA, pB, length_text(hyp, unit), away=cen, **conds.kw("hyp"))
        side_label(sc, pB, pC, length_text(leg_a, unit), away=cen, **conds.kw("leg_a"))
        side_label(sc, pA, pC, unknown, away=cen)
        essential = f"{ab} = {with_unit(hyp, unit)} and {bc} = {with_unit(leg_a, unit)}."
        target = ac
        sq_code, sq = calc(f"{hyp}^2-{leg_a}^2")
        rel = f"{ac}² = {ab}² - {bc}²"
        distractors = [math.hypot(hyp, leg_a), hyp - leg_a, (hyp + leg_a) / 2, leg_b + 2]
    root_code, root = calc(f"sqrt({round(sq)})")
    question = f"The side {target} is marked x. Find x." if use_x else f"What is the length of {target}?"
    if precision:
        question += " " + precision_hint(precision)
    lhs = "x" if use_x else target
    answer, atype, choices, final = numeric_answer(
        vr, root, mc=mc, distractors=distractors, precision=precision
    )
    steps = [
        pick(rng, _READ) + essential,
        pick(rng, (f"The right-angle mark shows ∠{c_n} = 90°, so {ab} is the hypotenuse.",
                   f"Triangle {a_n}{b_n}{c_n} has a right angle at {c_n}; its hypotenuse is {ab}.")),
        f"By the Pythagorean theorem, {rel} = {sq_code}.",
        f"So {lhs} = {root_code}" + (f", about {with_unit(final, unit)}." if precision else f" {unit}.".rstrip(" .") + "."),
    ]  # fmt: skip
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="pythagoras", scene=sc,
        parts=QuestionParts(f"As shown in the figure, {a_n}{b_n}{c_n} is a triangle.", f"∠{c_n} = 90°.",
                            essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="multi-step",
        precision=precision, unit=unit_power(unit, 1), conds=conds,
        info=meta("Length", ("geometry reasoning", "algebraic reasoning")),
    )  # fmt: skip


RATIOS = ((2, 1), (3, 1), (3, 2), (4, 3), (5, 2), (5, 3), (4, 1))  # AB : AD


@register_family("similar_triangles", subject="plane geometry", difficulty="multi-step", **_REGISTER)
def similar_triangles(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Triangle ABC with DE ∥ BC (arrow marks), D on AB and E on AC: find BC, DE or EC from ratios."""
    a, b, c, d, e = point_names(rng, 5)
    find = rng.choice(("BC", "BC", "DE", "EC"))
    unit = rng.choice(LENGTH_UNITS)
    mc = rng.random() < 0.25
    vr = variant_rng or rng
    while True:
        p, q = vr.choice(RATIOS)
        m, n = vr.randint(1, 4), vr.randint(1, 4)
        ad, ab, small, big = q * m, p * m, q * n, p * n  # AD, AB, DE (or AE), BC (or AC)
        if ab > 30 or big > 30 or ad < 2 or small < 2:
            continue
        if find == "EC":  # AB and AC known: angle A
            ang = vr.uniform(40, 95)
            raw = triangle_from_sides(
                math.sqrt(ab**2 + big**2 - 2 * ab * big * math.cos(math.radians(ang))), big, ab
            )
        else:  # AB and BC known: angle B
            ang = vr.uniform(45, 100)
            ac = math.sqrt(ab**2 + big**2 - 2 * ab * big * math.cos(math.radians(ang)))
            raw = triangle_from_sides(big, ac, ab)
        if raw is None:
            continue
        span = max(
            max(q[0] for q in raw) - min(q[0] for q in raw), max(q[1] for q in raw) - min(q[1] for q in raw)
        )
        # labelled segments long enough to hold their labels (>= ~60 px once fitted)
        (ax_, ay_), (bx_, by_), (cx_, cy_) = raw
        strip = (
            (1 - ad / ab)
            * abs((bx_ - ax_) * (cy_ - ay_) - (by_ - ay_) * (cx_ - ax_))
            / math.dist(raw[1], raw[2])
        )
        if (
            min_angle(raw) >= 30
            and 0.45 <= big / ab <= 2.2
            and min(ad, ab - ad, small) >= 0.25 * span
            and strip >= 0.3 * span
        ):  # room for the labels between DE and BC
            break
    raw = rotate_pts(raw, vr.uniform(-20, 20) + vr.choice((0, 0, 180)))
    pA, pB, pC = fit(raw, vr, size=(0.68, 0.82), margin=LABEL_MARGIN)
    t = ad / ab
    pD = (pA[0] + t * (pB[0] - pA[0]), pA[1] + t * (pB[1] - pA[1]))
    pE = (pA[0] + t * (pC[0] - pA[0]), pA[1] + t * (pC[1] - pA[1]))
    sc = Scene()
    sc.polygon([pA, pB, pC])
    sc.segment(pD, pE)
    parallel_mark(sc, pD, pE)
    parallel_mark(sc, pB, pC)
    for pt, nm in ((pA, a), (pB, b), (pC, c), (pD, d), (pE, e)):
        sc.point(*pt, nm)
    conds = Conditions()
    db = ab - ad
    side_label(sc, pA, pD, length_text(ad, unit), away=pC, **conds.kw("AD"))
    side_label(sc, pD, pB, length_text(db, unit), away=pC, **conds.kw("DB"))
    AD, DB, AB, DE, BC, AE, EC = (f"{a}{d}", f"{d}{b}", f"{a}{b}", f"{d}{e}", f"{b}{c}", f"{a}{e}", f"{e}{c}")
    ab_code = calc(f"{ad}+{db}")[0]
    if find == "BC":
        side_label(sc, pD, pE, length_text(small, unit), away=pA, **conds.kw("DE"))
        side_label(sc, pB, pC, "x", away=pA)
        known = (
            f"{AD} = {with_unit(ad, unit)}, {DB} = {with_unit(db, unit)} and {DE} = {with_unit(small, unit)}"
        )
        target, value = BC, big
        ratio = f"{BC}/{DE} = {AB}/{AD}"
        code = calc(f"{small}*{ab}/{ad}")[0]
        distractors = [small * db / ad, small + db, big + q]
    elif find == "DE":
        side_label(sc, pB, pC, length_text(big, unit), away=pA, **conds.kw("BC"))
        side_label(sc, pD, pE, "x", away=pA)
        known = (
            f"{AD} = {with_unit(ad, unit)}, {DB} = {with_unit(db, unit)} and {BC} = {with_unit(big, unit)}"
        )
        target, value = DE, small
        ratio = f"{DE}/{BC} = {AD}/{AB}"
        code = calc(f"{big}*{ad}/{ab}")[0]
        distractors = [big * db / ab, big - db, big * ad / db]
    else:
        ae, ec = small, big - small
        side_label(sc, pA, pE, length_text(ae, unit), away=pB, **conds.kw("AE"))
        side_label(sc, pE, pC, "x", away=pB)
        known = f"{AD} = {with_unit(ad, unit)}, {DB} = {with_unit(db, unit)} and {AE} = {with_unit(ae, unit)}"
        target, value = EC, ec
        ratio = f"{EC}/{AE} = {DB}/{AD}"
        code = calc(f"{ae}*{db}/{ad}")[0]
        distractors = [ae * ad / db, ae + db - ad, big]
    essential = known + "."
    question = f"{target} is marked x. Find x."
    answer, atype, choices, final = numeric_answer(vr, value, mc=mc, distractors=distractors)
    steps = [
        pick(rng, _READ) + essential,
        pick(rng, (f"Since {DE} ∥ {BC}, triangle {a}{d}{e} is similar to triangle {a}{b}{c}.",
                   f"{DE} ∥ {BC}, so triangles {a}{d}{e} and {a}{b}{c} are similar.")),
    ]  # fmt: skip
    if find == "EC":
        steps.append(f"A line parallel to a side divides the other two sides in the same ratio: {ratio}.")
    else:
        steps.append(f"{AB} = {AD} + {DB} = {ab_code}, and {ratio}.")
    steps.append(f"So x = {code}" + (f" {unit}." if unit else "."))
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="similar_triangles", scene=sc,
        parts=QuestionParts(f"As shown in the figure, in triangle {a}{b}{c}, {d} is on {AB} and {e} is on {a}{c}.",
                            f"{DE} ∥ {BC}.", essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="multi-step",
        unit=unit_power(unit, 1), conds=conds, info=meta("Length", ("geometry reasoning", "algebraic reasoning")),
    )  # fmt: skip
