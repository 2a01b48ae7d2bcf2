"""Circle families: inscribed and central angles (inscribed angle theorem, angles on the same arc,
the angle in a semicircle), circumference and area from a labelled radius or diameter, and arc length
and sector area from a labelled central angle and radius. Circles are centred at a point named O."""

from __future__ import annotations

import math
import random

from svemath.data.families.base import Problem, QuestionParts, calc, make_choices, register_family
from svemath.data.families.geometry_common import (
    Conditions,
    deg,
    from_polar,
    length_text,
    mc_step,
    meta,
    numeric_answer,
    pick,
    point_names,
    precision_hint,
    problem,
    round_answer,
    side_label,
    unit_power,
    with_unit,
)
from svemath.data.scene import Scene

_REGISTER = dict(dynamath_topic="plane geometry", mathvista_task="geometry problem solving",
                 mathverse_subject="Plane Geometry")  # fmt: skip
_SKILLS = ("geometry reasoning", "arithmetic reasoning")


def _circle(vr: random.Random, lo: float = 105.0, hi: float = 135.0) -> tuple[tuple[float, float], float]:
    r = vr.uniform(lo, hi)
    return (192 + vr.uniform(-18, 18), 192 + vr.uniform(-18, 18)), r


@register_family("inscribed_angle", subject="plane geometry", difficulty="one-op", **_REGISTER)
def inscribed_angle(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Inscribed angle theorem (central angle = 2 x inscribed angle), equal inscribed angles on one arc,
    or the right angle in a semicircle."""
    kind = rng.choice(("to-inscribed", "to-inscribed", "to-central", "same-arc", "semicircle"))
    a, b, c, d = point_names(rng, 4)
    use_x = rng.random() < 0.5
    mc = rng.random() < 0.3
    vr = variant_rng or rng
    pO, R = _circle(vr)
    sc = Scene()
    sc.circle(pO, R)
    conds = Conditions()
    phi = vr.uniform(0, 360)
    if kind == "semicircle":
        alpha = vr.randint(20, 70)
        while alpha == 45:
            alpha = vr.randint(20, 70)
        # C on the circle with ∠CAB = alpha: the central angle over BC is 2 * alpha
        A, B = from_polar(R, phi, pO), from_polar(R, phi + 180, pO)
        C = from_polar(R, phi + 180 + (2 * alpha if vr.random() < 0.5 else -2 * alpha), pO)
        sc.polygon([A, B, C])
        for p, nm in ((A, a), (B, b), (C, c)):
            sc.point(*p, nm)
        sc.point(*pO, "O")
        sc.angle(A, C, B, deg(alpha), **conds.kw("angle"))
        sc.angle(B, A, C, "x" if use_x else "?")
        given_name, target = f"∠{c}{a}{b}", f"∠{c}{b}{a}"
        value = 90 - alpha
        descriptive = (
            f"As shown in the figure, {a}{b} is a diameter of circle O and {c} is a point on the circle."
        )
        rule = f"{a}{b} is a diameter, so ∠{a}{c}{b} = 90° (the angle in a semicircle)."
        code = calc(f"180-90-{alpha}")[0] + "°"
        distractors = [alpha, 180 - alpha, 2 * alpha if 2 * alpha != value else alpha + 10]
        given = alpha
    else:
        theta = vr.randint(25, 80)
        A, B = from_polar(R, phi, pO), from_polar(R, phi + 2 * theta, pO)
        # C and D on the major arc, away from A, B and their antipodes (no chord through O)
        free = [t for t in range(0, 360, 2) if _clear(t, (phi, phi + 2 * theta), 36.0)
                and _clear(t, (phi + 180, phi + 2 * theta + 180)) and (t - phi) % 360 > 2 * theta]  # fmt: skip
        tc = vr.choice(free)
        td = vr.choice([t for t in free if abs(((t - tc + 180) % 360) - 180) > 45] or free)
        C, D = from_polar(R, tc, pO), from_polar(R, td, pO)
        sc.segment(C, A)
        sc.segment(C, B)
        for p, nm in ((A, a), (B, b), (C, c)):
            sc.point(*p, nm)
        sc.point(*pO, "O")
        inscribed, central = f"∠{a}{c}{b}", f"∠{a}O{b}"
        if kind == "same-arc":
            sc.segment(D, A)
            sc.segment(D, B)
            sc.point(*D, d)
            sc.angle(C, A, B, deg(theta), **conds.kw("angle"))
            sc.angle(D, A, B, "x" if use_x else "?")
            given_name, target, given, value = inscribed, f"∠{a}{d}{b}", theta, theta
            rule = f"{inscribed} and {target} stand on the same arc {a}{b}, so they are equal."
            code = deg(theta)
            descriptive = f"As shown in the figure, {a}, {b}, {c} and {d} lie on circle O."
            distractors = [2 * theta, 180 - theta, 90 - theta if theta != 45 else 60]
        else:
            sc.segment(pO, A)
            sc.segment(pO, B)
            descriptive = f"As shown in the figure, {a}, {b} and {c} lie on circle O."
            rule = pick(rng, ("An inscribed angle is half of the central angle on the same arc.",
                              f"By the inscribed angle theorem, {central} = 2 × {inscribed}."))  # fmt: skip
            if kind == "to-inscribed":
                sc.angle(pO, A, B, deg(2 * theta), **conds.kw("angle"))
                sc.angle(C, A, B, "x" if use_x else "?")
                given_name, target, given, value = central, inscribed, 2 * theta, theta
                code = calc(f"{2 * theta}/2")[0] + "°"
                distractors = [4 * theta, 180 - 2 * theta, 90 - theta]
            else:
                sc.angle(C, A, B, deg(theta), **conds.kw("angle"))
                sc.angle(pO, A, B, "x" if use_x else "?")
                given_name, target, given, value = inscribed, central, theta, 2 * theta
                code = calc(f"2*{theta}")[0] + "°"
                distractors = [theta / 2 if theta % 2 == 0 else theta + 15, 180 - theta, 180 - 2 * theta]
    essential = f"{given_name} = {deg(given)}."
    question = f"{target} is marked x. Find x." if use_x else f"What is the measure of {target}?"
    lhs = "x" if use_x else target
    answer, atype, choices, final = numeric_answer(vr, value, mc=mc, distractors=distractors, suffix="°")
    steps = [pick(rng, ("The diagram shows ", "From the figure, ")) + essential, rule, f"So {lhs} = {code}."]
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="inscribed_angle", scene=sc,
        parts=QuestionParts(descriptive, "O is the centre of the circle.", essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="one-op", unit="°",
        conds=conds, info=meta("Angle", _SKILLS),
    )  # fmt: skip


def _clear(t: float, avoid: tuple[float, ...], gap: float = 24.0) -> bool:
    """Direction ``t`` is at least ``gap`` degrees from every direction in ``avoid``."""
    return all(abs(((t - a + 180) % 360) - 180) >= gap for a in avoid)


def _pi_text(k: float) -> str:
    return f"{k:g}π" if k != 1 else "π"


@register_family("circle_measure", subject="plane geometry", difficulty="one-op", **_REGISTER)
def circle_measure(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Circumference or area of a circle from its labelled radius, or circumference / radius from its
    labelled diameter."""
    given_kind, asked = rng.choice((("radius", "area"), ("radius", "area"), ("radius", "circumference"),
                                    ("diameter", "circumference"), ("diameter", "radius")))  # fmt: skip
    unit = rng.choice(("cm", "cm", "m", "mm", ""))
    mode = "integer" if asked == "radius" else rng.choice(("float", "float", "pi-choice"))
    precision = rng.choice((1, 2)) if mode == "float" else None
    vr = variant_rng or rng
    pO, R = _circle(vr)
    value = vr.randint(2, 15) if given_kind == "radius" else 2 * vr.randint(2, 12)
    sc = Scene()
    sc.circle(pO, R)
    sc.point(*pO, "O")
    conds = Conditions()
    phi = vr.uniform(0, 360)
    P = from_polar(R, phi, pO)
    if given_kind == "radius":
        sc.segment(
            pO, P, length_text(value, unit), label_away=from_polar(R, phi + 90, pO), **conds.kw("radius")
        )
        r = value
    else:
        Q = from_polar(R, phi + 180, pO)
        sc.segment(Q, P)
        side_label(
            sc, pO, P, length_text(value, unit), away=from_polar(R, phi + 90, pO), **conds.kw("diameter")
        )
        sc.point(*Q, marked=True)
        r = value // 2
    sc.point(*P, marked=True)
    essential = f"The {given_kind} of the circle is {with_unit(value, unit)}."
    steps = [
        pick(rng, ("The diagram shows that ", "From the figure, ")) + essential[0].lower() + essential[1:]
    ]
    choices = None
    power = 2 if asked == "area" else 1
    if asked == "radius":
        question = "What is the radius of the circle?"
        steps.append("The radius is half of the diameter.")
        steps.append(f"r = {calc(f'{value}/2')[0]}.")
        answer, atype, final = str(r), "integer", with_unit(r, unit)
    else:
        if asked == "area":
            k = r * r
            formula = "A = πr²"
            expr = f"pi*{r}^2"
            wrong = [2 * r, r, 4 * r * r if r > 1 else 3]
        else:
            k = 2 * r
            formula = "C = 2πr" if given_kind == "radius" else "C = πd"
            expr = f"2*pi*{r}" if given_kind == "radius" else f"pi*{value}"
            wrong = [r * r if r != 2 else 8, r, 4 * r]
        question = f"What is the {asked} of the circle?"
        if mode == "pi-choice":
            question += " Give the answer in terms of π."
            choices, answer = make_choices(vr, _pi_text(k), [_pi_text(w) for w in wrong if w != k])
            atype = "multiple_choice"
            if asked == "area":
                steps.append(f"{formula}, and r² = {calc(f'{r}^2')[0]}, so A = {_pi_text(k)}.")
            elif given_kind == "radius":
                steps.append(f"{formula}, and 2r = {calc(f'2*{r}')[0]}, so C = {_pi_text(k)}.")
            else:
                steps.append(f"{formula} = {_pi_text(k)}.")
            final = with_unit(_pi_text(k), unit, power)
            steps.append(mc_step(answer, _pi_text(k)))
        else:
            question += " " + precision_hint(precision)
            code, exact = calc(expr)
            steps.append(f"{formula} = {code}.")
            answer, atype = round_answer(exact, precision), "float"
            final = with_unit(answer, unit, power)
            steps.append(f"Rounded, the {asked} is {final}.")
    return problem(
        family="circle_measure", scene=sc,
        parts=QuestionParts("As shown in the figure, O is the centre of the circle.", "", essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="one-op",
        precision=precision, unit=unit_power(unit, power), conds=conds,
        info=meta("Area" if asked == "area" else "Length", _SKILLS),
    )  # fmt: skip


@register_family("arc_sector", subject="plane geometry", difficulty="multi-step", **_REGISTER)
def arc_sector(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Arc length or sector area from the labelled central angle and radius of a shaded sector."""
    a, b = point_names(rng, 2)
    asked = rng.choice(("arc length", "sector area"))
    unit = rng.choice(("cm", "cm", "m", ""))
    mc = rng.random() < 0.25
    precision = rng.choice((1, 2))
    vr = variant_rng or rng
    pO, R = _circle(vr)
    angle = vr.choice(range(30, 165, 5))
    while angle in (90,):
        angle = vr.choice(range(30, 165, 5))
    r = vr.randint(3, 15)
    start = vr.uniform(0, 360)
    A, B = from_polar(R, start, pO), from_polar(R, start + angle, pO)
    sc = Scene()
    conds = Conditions()
    sc.circle(pO, R)
    # the angle value sits inside the shaded sector (labels of angle marks avoid filled regions)
    sc.sector(pO, R, start, start + angle, label=deg(angle), fill="shade", **conds.kw("angle"))
    if asked == "arc length":
        sc.arc(pO, R, start, start + angle, weight=2.2)
    sc.point(*pO, "O")
    sc.point(*A, a)
    sc.point(*B, b)
    sc.angle(pO, A, B, radius=min(30.0, 0.3 * R))
    side_label(sc, pO, A, length_text(r, unit), away=B, **conds.kw("radius"))
    essential = f"∠{a}O{b} = {deg(angle)} and the radius O{a} = {with_unit(r, unit)}."
    power = 2 if asked == "sector area" else 1
    if asked == "arc length":
        question = f"What is the length of the arc {a}{b} of the shaded sector?"
        expr = f"{angle}/360*2*pi*{r}"
        formula = "arc length = (angle/360) × 2πr"
        wrong = [angle / 360 * math.pi * r * r, 2 * math.pi * r, angle / 360 * math.pi * r]
    else:
        question = "What is the area of the shaded sector?"
        expr = f"{angle}/360*pi*{r}^2"
        formula = "sector area = (angle/360) × πr²"
        wrong = [angle / 360 * 2 * math.pi * r, math.pi * r * r, angle / 180 * math.pi * r * r]
    question += " " + precision_hint(precision)
    code, exact = calc(expr)
    answer, atype, choices, final = numeric_answer(vr, exact, mc=mc, distractors=wrong, precision=precision)
    steps = [
        pick(rng, ("The diagram shows ", "From the figure, ")) + essential,
        f"The sector is {angle}/360 of the whole circle, so its {formula}.",
        f"{asked[0].upper() + asked[1:]} = {code}.",
        f"Rounded, the {asked} is {with_unit(final, unit, power)}.",
    ]
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="arc_sector", scene=sc,
        parts=QuestionParts(f"As shown in the figure, O is the centre of the circle and sector {a}O{b} is shaded.",
                            "", essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="multi-step",
        precision=precision, unit=unit_power(unit, power), conds=conds,
        info=meta("Area" if power == 2 else "Length", _SKILLS),
    )  # fmt: skip
