"""Plane-geometry compositions of lines and angles (parallel lines and a transversal, intersecting
lines, rays from a point) and of regular polygons, with true facts for captions."""

from __future__ import annotations

import math
import random

from svemath.data.compose import LETTERS, Composition, Fact
from svemath.data.compose_geo import deg_text, length_scale, length_text, point_names
from svemath.data.drawlist import dist, lerp, polar
from svemath.data.polygons import REGULAR_NAMES
from svemath.data.scene import Scene


def lines(rng: random.Random, width: int, height: int) -> Composition:
    side = min(width, height)
    cx, cy = width / 2, height / 2
    sc = Scene(width, height)
    facts: list[Fact] = []
    mode = rng.random()
    theta = rng.randint(45, 135) if mode < 0.45 else rng.randint(35, 145)
    if mode < 0.45:  # parallel lines cut by a transversal
        base = rng.uniform(-12, 12)
        gap = side * rng.uniform(0.22, 0.32)
        d_par = base
        p1, p2 = polar((cx, cy), gap / 2, base + 90), polar((cx, cy), gap / 2, base - 90)
        span = side * 0.45
        la, lb = polar(p1, -span, d_par), polar(p1, span, d_par)
        ma, mb = polar(p2, -span, d_par), polar(p2, span, d_par)
        # the transversal crosses line l at P and line m at Q, at angle theta to the parallels
        s = gap / math.sin(math.radians(theta))
        P = polar(p1, side * rng.uniform(-0.1, 0.1), d_par)
        Q = polar(P, s, d_par + theta + 180)
        ta, tb = polar(P, side * 0.2, d_par + theta), polar(Q, side * 0.2, d_par + theta + 180)
        sc.segment(la, lb, label="l") if rng.random() < 0.5 else sc.line(la, lb, label="l")
        sc.segment(ma, mb, label="m") if rng.random() < 0.5 else sc.line(ma, mb, label="m")
        sc.segment(ta, tb)
        if rng.random() < 0.6:
            sc.parallel_marks(la, lerp(la, lb, 0.4))  # marks at a fifth of the way along
            sc.parallel_marks(ma, lerp(ma, mb, 0.4))
        facts.append(Fact("Line l is parallel to line m.", ("l", "m")))
        sc.angle(P, lb, ta, deg_text(theta))
        facts.append(
            Fact(f"The transversal makes an angle of {deg_text(theta)} with line l.", (deg_text(theta),))
        )
        pick = rng.random()
        if pick < 0.5:
            sc.angle(Q, mb, ta, "x")
            facts.append(
                Fact(
                    f"The corresponding angle at line m is marked x, so x = {deg_text(theta)}.",
                    ("x", deg_text(theta)),
                )
            )
        else:
            sc.angle(Q, ma, tb, "y")
            facts.append(
                Fact(
                    f"The alternate exterior angle at line m is marked y, so y = {deg_text(theta)}.",
                    ("y", deg_text(theta)),
                )
            )
        names = point_names(rng, 2)
        sc.point(*P, names[0])
        sc.point(*Q, names[1])
        summary = "The diagram shows two parallel lines l and m cut by a transversal."
    elif mode < 0.75:  # two intersecting lines
        base = rng.uniform(-20, 20)
        L = side * 0.4
        ctr = (cx, cy)
        A, C = polar(ctr, L, base), polar(ctr, L, base + 180)
        B, D = polar(ctr, L, base + theta), polar(ctr, L, base + theta + 180)
        n = point_names(rng, 4)
        for p, name in zip((A, B, C, D), n, strict=True):
            sc.point(*p, name, marked=rng.random() < 0.4)
        sc.segment(A, C)
        sc.segment(B, D)
        sc.point(*ctr, "O")
        sc.angle(ctr, A, B, deg_text(theta))
        facts.append(Fact(f"Lines {n[0]}{n[2]} and {n[1]}{n[3]} intersect at O.", (*tuple(n), "O")))
        facts.append(Fact(f"Angle {n[0]}O{n[1]} is {deg_text(theta)}.", (n[0], n[1], "O", deg_text(theta))))
        if rng.random() < 0.6:
            sc.angle(ctr, B, C, "x")
            facts.append(
                Fact(f"Angle {n[1]}O{n[2]} is marked x, so x = {deg_text(180 - theta)}.", (n[1], n[2], "x"))
            )
        summary = "The diagram shows two intersecting lines."
    else:  # rays from one point
        k = rng.choice([2, 3])
        parts = [rng.randint(25, 70) for _ in range(k)]
        start = rng.uniform(-10, 20)
        ctr = (cx - side * 0.12, cy + side * 0.12)
        n = point_names(rng, k + 1)
        dirs = [start]
        for p in parts:
            dirs.append(dirs[-1] + p)
        ends = [polar(ctr, side * 0.42, d) for d in dirs]
        for e, name in zip(ends, n, strict=True):
            sc.ray(ctr, e) if rng.random() < 0.3 else sc.segment(ctr, e)
            sc.point(*e, name, marked=rng.random() < 0.5)
        sc.point(*ctr, "O")
        for i, p in enumerate(parts):
            sc.angle(ctr, ends[i], ends[i + 1], deg_text(p))
            facts.append(
                Fact(f"Angle {n[i]}O{n[i + 1]} is {deg_text(p)}.", (n[i], n[i + 1], "O", deg_text(p)))
            )
        facts.append(Fact(f"So angle {n[0]}O{n[-1]} is {deg_text(sum(parts))}.", (n[0], n[-1], "O")))
        summary = f"The diagram shows {k + 1} rays from the point O."
    return Composition(sc, "lines", "plane geometry", summary, facts)


def regular(rng: random.Random, width: int, height: int) -> Composition:
    k = rng.choice(list(REGULAR_NAMES))
    name = REGULAR_NAMES[k]
    side = min(width, height)
    ctr = (width / 2, height / 2)
    r = side * rng.uniform(0.3, 0.36)
    sc = Scene(width, height)
    poly = sc.regular_polygon(
        ctr, r, k, 90 + rng.choice([0.0, 180.0 / k]), fill="shade" if rng.random() < 0.3 else None
    )
    verts = poly.vertices
    names = [LETTERS[i] for i in range(k)]
    for p, nm in zip(verts, names, strict=True):
        sc.point(*p, nm)
    facts: list[Fact] = []
    if rng.random() < 0.3:
        sc.circle(ctr, r)
        facts.append(Fact("Its vertices lie on a circle.", ()))
    interior = 180.0 * (k - 2) / k
    if rng.random() < 0.6:
        sc.angle(verts[1], verts[0], verts[2], deg_text(interior))
        facts.append(Fact(f"Each interior angle is {deg_text(interior)}.", (deg_text(interior),)))
    if rng.random() < 0.6:
        scale, unit = length_scale(rng, dist(verts[0], verts[1]))
        text = length_text(verts[0], verts[1], scale, unit)
        sc.side_label(verts[0], verts[1], text, ctr)
        facts.append(Fact(f"Each side is {text}.", (text,)))
    return Composition(
        sc,
        "regular polygon",
        "plane geometry",
        f"The diagram shows a regular {name} {''.join(names)}.",
        facts,
    )
