"""Plane-geometry compositions (triangles, quadrilaterals, circles; see also ``compose_angles``)
with true facts for captions. Angle values are exact (figures are built from integer angles) and
length labels follow one consistent scale per figure (rounded to 0.1)."""

from __future__ import annotations

import math
import random

from svemath.data.compose import (
    LETTERS,
    Composition,
    Fact,
    fit_points,
    inner_box,
    number_text,
    rotate_points,
    unit_text,
)
from svemath.data.drawlist import Pt, dist, lerp, polar
from svemath.data.polygons import make_polygon
from svemath.data.scene import Scene, angle_between

VARIABLES = ("x", "y", "α", "β", "θ", "1", "2")


def point_names(rng: random.Random, n: int) -> list[str]:
    start = rng.choice([0, 0, 0, 3, 6, 9, 14])
    return [LETTERS[(start + i) % len(LETTERS)] for i in range(n)]


def deg_text(v: float) -> str:
    return f"{number_text(round(v, 1))}°"


def length_scale(rng: random.Random, ref_px: float) -> tuple[float, str]:
    """(pixels per unit, unit suffix) making a reference length a whole number of units."""
    units = rng.randint(3, 20)
    return ref_px / units, unit_text(rng)


def length_text(p: Pt, q: Pt, scale: float, unit: str) -> str:
    return f"{number_text(round(dist(p, q) / scale, 1))}{unit}"


def triangle(rng: random.Random, width: int, height: int) -> Composition:
    kind = rng.choice(["scalene", "scalene", "right", "right", "isosceles", "equilateral"])
    if kind == "right":
        a = rng.randint(25, 65)
        angles = [a, 90 - a, 90]
    elif kind == "isosceles":
        a = rng.choice([x for x in range(30, 76) if x != 60])
        angles = [a, a, 180 - 2 * a]
    elif kind == "equilateral":
        angles = [60, 60, 60]
    else:
        while True:
            a, b = rng.randint(30, 100), rng.randint(25, 110)
            c = 180 - a - b
            if (
                c >= 20
                and len({a, b, c}) == 3
                and 90 not in (a, b, c)
                and min(abs(a - b), abs(b - c), abs(a - c)) >= 4
            ):
                break
        angles = [a, b, c]
    ra, rb, rc = (math.radians(x) for x in angles)
    t = math.sin(rb) / math.sin(rc)
    raw = {"A": (0.0, 0.0), "B": (1.0, 0.0), "C": (t * math.cos(ra), -t * math.sin(ra))}
    raw = rotate_points(raw, rng.choice([0.0, 0.0, 0.0, rng.uniform(-30, 30), 180.0]))
    pts = fit_points(raw, inner_box(width, height, 0.17))
    n = point_names(rng, 5)
    A, B, C = pts["A"], pts["B"], pts["C"]
    na, nb, nc = n[0], n[1], n[2]
    sc = Scene(width, height)
    sc.polygon([A, B, C], weight=rng.choice([1.0, 1.0, 1.3]))
    for p, name in ((A, na), (B, nb), (C, nc)):
        sc.point(*p, name)
    phrase = {"scalene": "a triangle", "right": "a right triangle", "isosceles": "an isosceles triangle",
              "equilateral": "an equilateral triangle"}[kind]  # fmt: skip
    summary = f"The diagram shows {phrase} {na}{nb}{nc}."
    if kind == "right":
        summary = f"The diagram shows a right triangle {na}{nb}{nc} with the right angle at {nc}."
    facts: list[Fact] = []
    verts = [
        (A, B, C, na, nb, nc, angles[0]),
        (B, C, A, nb, nc, na, angles[1]),
        (C, A, B, nc, na, nb, angles[2]),
    ]
    used_vars: set[str] = set()
    for v, p, q, nv, np_, nq, deg in verts:
        if deg == 90 and rng.random() < 0.85:
            sc.right_angle(v, p, q)
            facts.append(Fact(f"Angle {np_}{nv}{nq} is a right angle.", (np_, nv, nq)))
            continue
        r = rng.random()
        if r < 0.45:
            sc.angle(v, p, q, deg_text(deg))
            facts.append(Fact(f"Angle {np_}{nv}{nq} is {deg_text(deg)}.", (np_, nv, nq, deg_text(deg))))
        elif r < 0.6:
            var = rng.choice([x for x in VARIABLES if x not in used_vars])
            used_vars.add(var)
            sc.angle(v, p, q, var)
            facts.append(Fact(f"Angle {np_}{nv}{nq} is marked {var}.", (np_, nv, nq, var)))
        elif r < 0.7:
            sc.angle(v, p, q, arcs=rng.choice([1, 2]))
    scale, unit = length_scale(rng, dist(A, B))
    centre = ((A[0] + B[0] + C[0]) / 3, (A[1] + B[1] + C[1]) / 3)
    sides = [(A, B, na, nb), (B, C, nb, nc), (C, A, nc, na)]
    for i, (p, q, np_, nq) in enumerate(sides):
        if rng.random() < (0.55 if i == 0 else 0.35):
            text = length_text(p, q, scale, unit)
            sc.side_label(p, q, text, centre)
            facts.append(Fact(f"The side {np_}{nq} is {text}.", (np_, nq, text)))
    if kind == "isosceles" and rng.random() < 0.7:
        sc.equal_ticks(A, C)
        sc.equal_ticks(B, C)
        facts.append(Fact(f"{na}{nc} = {nb}{nc}.", (na, nb, nc)))
    extra = rng.random()
    if extra < 0.2:  # altitude from C
        u = ((B[0] - A[0]), (B[1] - A[1]))
        tt = ((C[0] - A[0]) * u[0] + (C[1] - A[1]) * u[1]) / (u[0] ** 2 + u[1] ** 2)
        if 0.15 < tt < 0.85:
            D = lerp(A, B, tt)
            sc.segment(C, D, dash=rng.choice(["solid", "dashed"]))
            sc.right_angle(D, B, C)
            sc.point(*D, n[3])
            facts.append(
                Fact(f"{nc}{n[3]} is the altitude from {nc}, perpendicular to {na}{nb}.", (nc, n[3], na, nb))
            )
    elif extra < 0.35:  # median from C
        M = lerp(A, B, 0.5)
        sc.segment(C, M)
        sc.point(*M, n[3])
        sc.equal_ticks(A, M)
        sc.equal_ticks(M, B)
        facts.append(Fact(f"{n[3]} is the midpoint of {na}{nb}, joined to {nc}.", (n[3], na, nb, nc)))
    return Composition(sc, "triangle", "plane geometry", summary, facts)


QUAD_KINDS = ("square", "rectangle", "parallelogram", "rhombus", "trapezoid", "kite")


def _intersect(p1: Pt, p2: Pt, p3: Pt, p4: Pt) -> Pt:
    d = (p2[0] - p1[0]) * (p4[1] - p3[1]) - (p2[1] - p1[1]) * (p4[0] - p3[0])
    t = ((p3[0] - p1[0]) * (p4[1] - p3[1]) - (p3[1] - p1[1]) * (p4[0] - p3[0])) / d
    return lerp(p1, p2, t)


def quadrilateral(rng: random.Random, width: int, height: int) -> Composition:
    kind = rng.choice(QUAD_KINDS)
    raw_list = make_polygon(kind, (0.0, 0.0), 200.0, rng)
    raw = {k: p for k, p in zip("ABCD", raw_list, strict=True)}
    raw = rotate_points(raw, rng.choice([0.0, 0.0, rng.uniform(-20, 20)]))
    pts = fit_points(raw, inner_box(width, height, 0.17))
    A, B, C, D = (pts[k] for k in "ABCD")
    n = point_names(rng, 5)
    sc = Scene(width, height)
    sc.polygon([A, B, C, D], kind=kind)
    for p, name in zip((A, B, C, D), n, strict=False):
        sc.point(*p, name)
    na, nb, nc, nd = n[:4]
    quad = f"{na}{nb}{nc}{nd}"
    article = "an" if kind[0] in "aeiou" else "a"
    facts: list[Fact] = []
    names4 = (na, nb, nc, nd)
    if kind in ("square", "rectangle"):
        for v, p, q in ((A, B, D), (B, C, A), (C, D, B), (D, A, C)):
            if rng.random() < 0.5:
                sc.right_angle(v, p, q)
        facts.append(Fact("All four angles are right angles.", ()))
        if kind == "square" and rng.random() < 0.5:
            for p, q in ((A, B), (B, C), (C, D), (D, A)):
                sc.equal_ticks(p, q)
    elif kind in ("parallelogram", "trapezoid"):
        if rng.random() < 0.6:
            sc.parallel_marks(A, B)
            sc.parallel_marks(D, C)
            if kind == "parallelogram":
                sc.parallel_marks(A, D, 2)
                sc.parallel_marks(B, C, 2)
        facts.append(Fact(f"{na}{nb} is parallel to {nd}{nc}.", names4))
        if kind == "parallelogram":
            facts.append(Fact(f"{na}{nd} is parallel to {nb}{nc}.", names4))
    elif kind == "rhombus":
        if rng.random() < 0.7:
            for p, q in ((A, B), (B, C), (C, D), (D, A)):
                sc.equal_ticks(p, q)
        facts.append(Fact("All four sides are equal.", ()))
    else:  # kite
        if rng.random() < 0.7:
            sc.equal_ticks(A, B)
            sc.equal_ticks(A, D)
            sc.equal_ticks(B, C, 2)
            sc.equal_ticks(D, C, 2)
        facts.append(Fact(f"{na}{nb} = {na}{nd} and {nc}{nb} = {nc}{nd}.", names4))
    scale, unit = length_scale(rng, dist(A, B))
    centre = ((A[0] + C[0]) / 2, (A[1] + C[1]) / 2)
    for i, (p, q) in enumerate(((A, B), (B, C), (C, D), (D, A))):
        if rng.random() < (0.6 if i == 0 else 0.3):
            text = length_text(p, q, scale, unit)
            sc.side_label(p, q, text, centre)
            facts.append(
                Fact(
                    f"The side {names4[i]}{names4[(i + 1) % 4]} is {text}.",
                    (names4[i], names4[(i + 1) % 4], text),
                )
            )
    if kind not in ("square", "rectangle") and rng.random() < 0.5:
        deg = deg_text(round(angle_between(A, B, D)))
        sc.angle(A, B, D, deg)
        facts.append(Fact(f"Angle {nd}{na}{nb} is {deg}.", (na, nb, nd, deg)))
    if rng.random() < 0.35:
        sc.segment(A, C)
        sc.segment(B, D)
        ctr = _intersect(A, C, B, D)
        sc.point(*ctr, n[4])
        facts.append(Fact(f"The diagonals {na}{nc} and {nb}{nd} meet at {n[4]}.", (na, nb, nc, nd, n[4])))
    return Composition(
        sc, "quadrilateral", "plane geometry", f"The diagram shows {article} {kind} {quad}.", facts
    )


def circle(rng: random.Random, width: int, height: int) -> Composition:
    side = min(width, height)
    ctr = (width / 2 + rng.uniform(-0.05, 0.05) * side, height / 2 + rng.uniform(-0.05, 0.05) * side)
    r = side * rng.uniform(0.26, 0.33)
    sc = Scene(width, height)
    sc.circle(ctr, r, fill="shade" if rng.random() < 0.15 else None, opacity=0.5)
    sc.point(*ctr, "O", marked=True)
    n = point_names(rng, 4)
    facts: list[Fact] = []
    central = 2 * rng.randint(25, 70)
    a0 = rng.uniform(200, 340)
    A, B = polar(ctr, r, a0), polar(ctr, r, a0 + central)
    scale, unit = length_scale(rng, r)
    radius_text = f"{number_text(round(r / scale, 1))}{unit}"
    mode = rng.random()
    sc.point(*A, n[0])
    if mode < 0.35:  # central and inscribed angles
        sc.point(*B, n[1])
        C = polar(ctr, r, a0 + central + rng.uniform(0.25, 0.75) * (360 - central))
        sc.point(*C, n[2])
        for p, q in ((ctr, A), (ctr, B), (C, A), (C, B)):
            sc.segment(p, q)
        sc.angle(ctr, A, B, deg_text(central))
        facts.append(
            Fact(
                f"The central angle {n[0]}O{n[1]} is {deg_text(central)}.",
                (n[0], n[1], "O", deg_text(central)),
            )
        )
        value = deg_text(central / 2) if rng.random() < 0.5 else "x"
        sc.angle(C, A, B, value)
        verb = "is" if value != "x" else "is marked"
        facts.append(
            Fact(f"The inscribed angle {n[0]}{n[2]}{n[1]} {verb} {value}.", (n[0], n[1], n[2], value))
        )
    elif mode < 0.6:  # radius with a tangent or a chord
        sc.segment(ctr, A, radius_text)
        facts.append(Fact(f"The radius O{n[0]} is {radius_text}.", ("O", n[0], radius_text)))
        if rng.random() < 0.6:
            T1, T2 = polar(A, r * 0.9, a0 + 90), polar(A, -r * 0.9, a0 + 90)
            sc.line(T1, T2, label="t")
            sc.right_angle(A, ctr, T1)
            facts.append(Fact(f"Line t is tangent to the circle at {n[0]}.", ("t", n[0])))
        else:
            sc.point(*B, n[1])
            sc.segment(A, B)
            facts.append(Fact(f"{n[0]}{n[1]} is a chord of the circle.", (n[0], n[1])))
    elif mode < 0.8:  # shaded sector
        sc.point(*B, n[1])
        sc.sector(ctr, r, a0, a0 + central, fill=rng.choice(["shade", 0, 1]), opacity=0.6)
        sc.angle(ctr, A, B, deg_text(central))
        sc.side_label(ctr, A, radius_text, B)
        facts.append(
            Fact(
                f"The shaded sector {n[0]}O{n[1]} has a central angle of {deg_text(central)}.",
                (n[0], n[1], deg_text(central)),
            )
        )
        facts.append(Fact(f"The radius is {radius_text}.", (radius_text,)))
    else:  # diameter and an angle in a semicircle
        Q = polar(ctr, r, a0 + 180)
        sc.point(*Q, n[1])
        sc.segment(A, Q)
        diameter = f"{number_text(round(2 * r / scale, 1))}{unit}"
        C = polar(ctr, r, a0 + rng.uniform(30, 150))
        sc.point(*C, n[2])
        sc.side_label(A, Q, diameter, C)
        sc.segment(A, C)
        sc.segment(C, Q)
        sc.right_angle(C, A, Q)
        facts.append(Fact(f"{n[0]}{n[1]} is a diameter of length {diameter}.", (n[0], n[1], diameter)))
        facts.append(
            Fact(
                f"{n[2]} lies on the circle, so angle {n[0]}{n[2]}{n[1]} is a right angle.",
                (n[0], n[1], n[2]),
            )
        )
    return Composition(sc, "circle", "plane geometry", "The diagram shows a circle with centre O.", facts)
