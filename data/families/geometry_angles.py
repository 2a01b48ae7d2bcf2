"""Angle families: reading a marked angle, angles on a straight line, complementary angles, vertical
angles at intersecting lines, and angles around a point. Figures are drawn to scale (every marked
angle really has its labelled size)."""

from __future__ import annotations

import random

from svemath.data.drawlist import direction_deg
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
RADII = (24.0, 36.0)  # angle-mark radii alternating between neighbouring marks at one vertex


def _angle_name(names: list[str], i: int, full: bool) -> str:
    """∠ABC (full) or ∠B for the vertex ``i`` of a polygon with vertex ``names``."""
    n = len(names)
    if not full:
        return f"∠{names[i]}"
    return f"∠{names[i - 1]}{names[i]}{names[(i + 1) % n]}"


@register_family("angle_read", subject="plane geometry", difficulty="read", **_REGISTER)
def angle_read(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Read one labelled angle of a triangle or quadrilateral whose angles are all labelled."""
    n = rng.choice((3, 3, 4))
    names = point_names(rng, n)
    ask = rng.randrange(n)
    full = rng.random() < 0.6
    mc = rng.random() < 0.3
    wording = rng.randrange(3)
    vr = variant_rng or rng
    while True:
        if n == 3:
            a, b = vr.randint(30, 100), vr.randint(30, 100)
            angles = [a, b, 180 - a - b]
            pts = triangle_from_angles(a, b) if angles[2] >= 30 else None
        else:
            angles = split_sum(vr, 360, 4, 55, 130)
            pts = polygon_from_angles(angles, vr)
        if pts is not None and len(set(angles)) == n:
            break
    pts = fit(rotate_pts(pts, vr.uniform(-25, 25) + vr.choice((0, 0, 180))), vr)
    sc = Scene()
    sc.polygon(pts)
    conds = Conditions()
    for i, p in enumerate(pts):
        sc.point(*p, names[i])
    for i, p in enumerate(pts):
        sc.angle(p, pts[i - 1], pts[(i + 1) % n], deg(angles[i]), **conds.kw(f"angle{i}"))
    target = _angle_name(names, ask, full)
    shape = "triangle" if n == 3 else "quadrilateral"
    poly = "".join(names)
    value = angles[ask]
    question = (f"What is the measure of {target}?", f"Find the measure of {target}.",
                f"How many degrees is {target}?")[wording]  # fmt: skip
    essential = ", ".join(f"{_angle_name(names, i, full)} = {deg(angles[i])}" for i in range(n)) + "."
    others = [angles[i] for i in range(n) if i != ask]
    answer, atype, choices, final = numeric_answer(
        vr, value, mc=mc, distractors=[*others, 180 - value], suffix="°"
    )
    steps = [
        pick(rng, (f"The diagram labels each angle of {shape} {poly}.",
                   f"Every angle of {shape} {poly} is marked with its value.")),
        f"The angle at vertex {names[ask]} is {target}, labelled {deg(value)}.",
        f"So {target} = {deg(value)}.",
    ]  # fmt: skip
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="angle_read", scene=sc,
        parts=QuestionParts(f"As shown in the figure, {poly} is a {shape}.", "", essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="read", unit="°",
        conds=conds, info=meta("Angle", ("geometry reasoning",), level="elementary school", grade="elementary school"),
    )  # fmt: skip


def _fan(vr: random.Random, given: list[int], total: int) -> list:
    """[O, B, ray ends..., A]: B at direction 0, rays at the cumulative ``given`` angles, A at ``total``
    (180: a straight line AB through O; 90: a right angle), the whole fan rotated and fitted."""
    rot = vr.uniform(-35, 35) + vr.choice((0, 180)) if total == 180 else vr.uniform(0, 360)
    dirs = [0.0]
    for g in given:
        dirs.append(dirs[-1] + g)
    dirs.append(float(total))
    last = len(dirs) - 1
    raw = [(0.0, 0.0)] + [
        from_polar(1.0 if k in (0, last) else vr.uniform(0.75, 0.95), d) for k, d in enumerate(dirs)
    ]
    return fit(rotate_pts(raw, rot, center=(0.0, 0.0)), vr, size=(0.62, 0.8))


@register_family("angle_straight_line", subject="plane geometry", difficulty="one-op", **_REGISTER)
def angle_straight_line(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Angles on a straight line: one or two angles at O above line AB are given; find the rest."""
    rays = rng.choice((1, 1, 2))
    names = point_names(rng, 2 + rays)  # A, B, C(, D)
    a_name, b_name, ray_names = names[0], names[1], names[2:]
    use_x = rng.random() < 0.5
    mc = rng.random() < 0.25
    vr = variant_rng or rng
    if rays == 1:
        parts_deg = split_sum(vr, 180, 2, 25, 155)
        while abs(parts_deg[0] - 90) < 6:
            parts_deg = split_sum(vr, 180, 2, 25, 155)
    else:
        parts_deg = split_sum(vr, 180, 3, 30, 110)
    # directions from O: B at 0, rays at cumulative angles, A at 180; the unknown is the last gap (next to A)
    pts = _fan(vr, parts_deg[:-1], 180)
    sc = Scene()
    pO, B = pts[0], pts[1]
    ray_pts = pts[2 : 2 + rays]
    A = pts[2 + rays]
    sc.segment(A, B)
    for rp in ray_pts:
        sc.segment(pO, rp)
    sc.point(*pO, "O", label_dir=direction_deg(pO, B) + 270)  # below the line, away from the rays
    sc.point(*A, a_name)
    sc.point(*B, b_name)
    for rp, nm in zip(ray_pts, ray_names, strict=True):
        sc.point(*rp, nm)
    conds = Conditions()
    chain = [B, *ray_pts, A]
    chain_names = [b_name, *ray_names, a_name]
    known = []
    for k in range(rays):
        name = f"∠{chain_names[k]}O{chain_names[k + 1]}"
        known.append((name, parts_deg[k]))
        sc.angle(pO, chain[k], chain[k + 1], deg(parts_deg[k]), radius=RADII[k % 2], **conds.kw(f"angle{k}"))
    target = f"∠{chain_names[-2]}O{a_name}"
    sc.angle(pO, chain[-2], A, "x" if use_x else "?", radius=RADII[rays % 2])
    value = parts_deg[-1]
    essential = " and ".join(f"{n} = {deg(v)}" for n, v in known) + "."
    ray_text = f"ray O{ray_names[0]}" if rays == 1 else f"rays O{ray_names[0]} and O{ray_names[1]}"
    descriptive = f"As shown in the figure, {a_name}, O and {b_name} lie on a straight line, with {ray_text} drawn from O."
    question = f"{target} is marked x. Find x." if use_x else f"What is the measure of {target}?"
    lhs = "x" if use_x else target
    expr = "180-" + "-".join(str(v) for _, v in known)
    code, _ = calc(expr)
    given_sum = sum(v for _, v in known)
    answer, atype, choices, final = numeric_answer(
        vr, value, mc=mc, distractors=[given_sum, 90 - given_sum, 360 - given_sum, value + 10], suffix="°"
    )
    steps = [
        pick(rng, ("The diagram shows ", "From the figure, ", "We read ")) + essential,
        pick(rng, ("Angles on a straight line at O add up to 180°.",
                   f"{a_name}O{b_name} is a straight line, so the angles at O along it sum to 180°.")),
        f"So {lhs} = {code}°.",
    ]  # fmt: skip
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="angle_straight_line", scene=sc,
        parts=QuestionParts(descriptive, "", essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="one-op", unit="°",
        conds=conds, info=meta("Angle", _SKILLS),
    )  # fmt: skip


@register_family("angle_complementary", subject="plane geometry", difficulty="one-op", **_REGISTER)
def angle_complementary(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """A ray inside a right angle AOB (right-angle mark): one part is given, find the other."""
    names = point_names(rng, 3)
    a_name, b_name, c_name = names
    use_x = rng.random() < 0.5
    mc = rng.random() < 0.25
    vr = variant_rng or rng
    given = vr.randint(20, 70)
    while given == 45:
        given = vr.randint(20, 70)
    pts = _fan(vr, [given], 90)
    sc = Scene()
    pO, B, C, A = pts
    sc.segment(pO, A)
    sc.segment(pO, B)
    sc.segment(pO, C)
    sc.point(*pO, "O", label_dir=direction_deg(pO, B) + 225)  # outside the right angle
    sc.point(*A, a_name)
    sc.point(*B, b_name)
    sc.point(*C, c_name)
    conds = Conditions()
    sc.right_angle(pO, B, A)
    sc.angle(pO, B, C, deg(given), radius=RADII[0] + 12, **conds.kw("angle"))
    sc.angle(pO, C, A, "x" if use_x else "?", radius=RADII[1] + 12)
    target = f"∠{c_name}O{a_name}"
    value = 90 - given
    essential = f"∠{b_name}O{c_name} = {deg(given)}."
    question = f"{target} is marked x. Find x." if use_x else f"What is the measure of {target}?"
    lhs = "x" if use_x else target
    code, _ = calc(f"90-{given}")
    answer, atype, choices, final = numeric_answer(
        vr, value, mc=mc, distractors=[180 - given, given, 90 + given], suffix="°"
    )
    steps = [
        pick(rng, ("The diagram shows ", "From the figure, ")) + essential,
        pick(rng, (f"∠{a_name}O{b_name} is a right angle, so its two parts add up to 90°.",
                   f"The right-angle mark shows ∠{a_name}O{b_name} = 90°, so the two angles are complementary.")),
        f"So {lhs} = {code}°.",
    ]  # fmt: skip
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="angle_complementary", scene=sc,
        parts=QuestionParts(
            f"As shown in the figure, ray O{c_name} lies inside ∠{a_name}O{b_name}.",
            f"∠{a_name}O{b_name} is a right angle.", essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="one-op", unit="°",
        conds=conds, info=meta("Angle", _SKILLS),
    )  # fmt: skip


@register_family("angle_vertical", subject="plane geometry", difficulty="one-op", **_REGISTER)
def angle_vertical(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Lines AB and CD cross at O; ∠AOC is given; find its vertical angle or an adjacent angle."""
    a, b, c, d = point_names(rng, 4)
    kind = rng.choice(("vertical", "adjacent", "adjacent"))
    use_x = rng.random() < 0.4
    mc = rng.random() < 0.3
    vr = variant_rng or rng
    given = vr.randint(25, 155)
    while abs(given - 90) < 8:
        given = vr.randint(25, 155)
    rot = vr.uniform(0, 360)
    la, lb = vr.uniform(0.8, 1.0), vr.uniform(0.8, 1.0)
    lc, ld = vr.uniform(0.8, 1.0), vr.uniform(0.8, 1.0)
    raw = [
        (0.0, 0.0),
        from_polar(la, 0),
        from_polar(lb, 180),
        from_polar(lc, given),
        from_polar(ld, given + 180),
    ]
    pO, A, B, C, D = fit(rotate_pts(raw, rot, center=(0.0, 0.0)), vr, size=(0.6, 0.8))
    sc = Scene()
    sc.segment(A, B)
    sc.segment(C, D)
    sc.point(*pO, "O", label_dir=direction_deg(pO, A) + given / 2 + 270)  # in the unmarked angle DOA
    for p, nm in ((A, a), (B, b), (C, c), (D, d)):
        sc.point(*p, nm)
    conds = Conditions()
    sc.angle(pO, A, C, deg(given), radius=RADII[0], **conds.kw("angle"))
    if kind == "vertical":
        sc.angle(pO, B, D, "x" if use_x else "?", radius=RADII[0])
        target, value = f"∠{b}O{d}", given
        rule = pick(rng, (f"∠{a}O{c} and ∠{b}O{d} are vertical angles, so they are equal.",
                          "Vertical angles are equal."))  # fmt: skip
        code = deg(given)
        distractors = [180 - given, 90 - given if given < 90 else given - 90, 360 - given]
    else:
        sc.angle(pO, C, B, "x" if use_x else "?", radius=RADII[1])
        target, value = f"∠{c}O{b}", 180 - given
        rule = pick(rng, (f"∠{a}O{c} and ∠{c}O{b} lie on the straight line {a}{b}, so they add up to 180°.",
                          "Adjacent angles on a straight line are supplementary."))  # fmt: skip
        code = calc(f"180-{given}")[0] + "°"
        distractors = [given, 90 - given if given < 90 else given - 90, 360 - given]
    lhs = "x" if use_x else target
    essential = f"∠{a}O{c} = {deg(given)}."
    question = f"{target} is marked x. Find x." if use_x else f"What is the measure of {target}?"
    answer, atype, choices, final = numeric_answer(vr, value, mc=mc, distractors=distractors, suffix="°")
    steps = [pick(rng, ("The diagram shows ", "From the figure, ")) + essential, rule, f"So {lhs} = {code}."]
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="angle_vertical", scene=sc,
        parts=QuestionParts(f"As shown in the figure, lines {a}{b} and {c}{d} intersect at point O.", "",
                            essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="one-op", unit="°",
        conds=conds, info=meta("Angle", _SKILLS),
    )  # fmt: skip


@register_family("angle_around_point", subject="plane geometry", difficulty="one-op", **_REGISTER)
def angle_around_point(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Three or four rays from O; all angles between neighbouring rays but one are given (sum 360°)."""
    k = rng.choice((3, 4))
    names = point_names(rng, k)
    use_x = rng.random() < 0.5
    mc = rng.random() < 0.25
    vr = variant_rng or rng
    gaps = split_sum(vr, 360, k, 50 if k == 4 else 70, 165)
    rot = vr.uniform(0, 360)
    dirs = [rot]
    for g in gaps[:-1]:
        dirs.append(dirs[-1] + g)
    raw = [(0.0, 0.0)] + [from_polar(vr.uniform(0.8, 1.0), d) for d in dirs]
    pts = fit(raw, vr, size=(0.6, 0.78))
    pO, ends = pts[0], pts[1:]
    sc = Scene()
    for p in ends:
        sc.segment(pO, p)
    widest = max(range(k), key=lambda i: gaps[i])
    sc.point(*pO, "O", label_dir=direction_deg(pO, ends[widest]) + gaps[widest] / 2)
    for p, nm in zip(ends, names, strict=True):
        sc.point(*p, nm)
    conds = Conditions()
    known = []
    for i in range(k - 1):
        nm = f"∠{names[i]}O{names[i + 1]}"
        known.append((nm, gaps[i]))
        sc.angle(pO, ends[i], ends[i + 1], deg(gaps[i]), radius=RADII[i % 2], **conds.kw(f"angle{i}"))
    sc.angle(pO, ends[-1], ends[0], "x" if use_x else "?", radius=RADII[(k - 1) % 2] + (8 if k % 2 else 0))
    target = f"∠{names[-1]}O{names[0]}"
    value = gaps[-1]
    essential = ", ".join(f"{n} = {deg(v)}" for n, v in known) + "."
    question = f"{target} is marked x. Find x." if use_x else f"What is the measure of {target}?"
    lhs = "x" if use_x else target
    code, _ = calc("360-" + "-".join(str(v) for _, v in known))
    s = sum(v for _, v in known)
    answer, atype, choices, final = numeric_answer(vr, value, mc=mc, distractors=[abs(180 - s), s, value + 20],
                                                   suffix="°")  # fmt: skip
    steps = [
        pick(rng, ("The diagram shows ", "From the figure, ")) + essential,
        pick(rng, ("The angles around a point add up to 360°.", "A full turn around O is 360°.")),
        f"So {lhs} = {code}°.",
    ]
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="angle_around_point", scene=sc,
        parts=QuestionParts(f"As shown in the figure, {k} rays O{', O'.join(names)} start at point O.", "",
                            essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="one-op", unit="°",
        conds=conds, info=meta("Angle", _SKILLS),
    )  # fmt: skip
