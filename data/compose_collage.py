"""Dense random collages for the ``primitives`` suite: overlapping polygons, circles, arcs, sectors,
segments, rays and lines (so T, X, Y and L junctions abound), angle marks with values, right-angle
marks, tick and parallel marks, and many labels of varied kinds (point names, numbers, lengths with
units, angle values, words); sometimes a small chart, plot, table, graph, solid or pictogram inset."""

from __future__ import annotations

import random

from svemath.data.compose import LETTERS, Composition, number_text
from svemath.data.drawlist import Pt, lerp, polar
from svemath.data.polygons import POLYGON_KINDS, random_polygon
from svemath.data.scene import Ellipse, Scene, angle_between

WORDS = ("area", "base", "height", "Fig. 1", "not to scale", "h", "r", "S", "x + 1", "2x", "total", "P", "k",
         "side", "y = 3", "A = 24", "n", "d = 5")  # fmt: skip


INSET_TEXT = 0.75  # text size in insets (multiple of the style's): the inset's geometry is ~0.45x


def _inside(pts: list[Pt], box: tuple[float, float, float, float]) -> bool:
    return all(box[0] <= x <= box[2] and box[1] <= y <= box[3] for x, y in pts)


def _value_text(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.35:
        return str(rng.randint(1, 30))
    if r < 0.55:
        return number_text(round(rng.uniform(0.5, 20), 1))
    return f"{rng.randint(1, 25)}{rng.choice([' cm', ' cm', ' m', ' mm', ' in'])}"


def _inset(rng: random.Random, width: int, height: int) -> tuple[Scene, tuple[float, float, float, float]]:
    """A small chart/plot/table/graph/solid/pictogram in one quadrant; returns the region left free."""
    from svemath.data import compose_misc

    # kinds with few labels; their text is drawn at INSET_TEXT of its size (tables also fit their
    # text to the inset, see charts.Table.text_scale)
    maker = rng.choice([compose_misc.bar_chart, compose_misc.pie_chart, compose_misc.graph, compose_misc.solid,
                        compose_misc.pictogram_scene, compose_misc.table])  # fmt: skip
    inner = maker(rng, 384, 384).scene
    right, bottom = rng.random() < 0.5, rng.random() < 0.5
    scale = rng.uniform(0.42, 0.5) * min(width, height) / 384
    ox = width - 384 * scale if right else 0.0
    oy = height - 384 * scale if bottom else 0.0
    sc = Scene(width, height, rotation_limit=3.0)
    sc.add(inner.as_group((ox, oy), scale, INSET_TEXT))
    # the geometry goes in the opposite half
    free = (0.0, 0.0, width, height)
    if rng.random() < 0.5:
        free = (0.0, 0.0, ox, height) if right else (384 * scale, 0.0, width, height)
    else:
        free = (0.0, 0.0, width, oy) if bottom else (0.0, 384 * scale, width, height)
    return sc, free


def collage(rng: random.Random, width: int, height: int) -> Composition:
    side = min(width, height)
    if rng.random() < 0.3:
        sc, region = _inset(rng, width, height)
    else:
        sc, region = Scene(width, height), (0.0, 0.0, float(width), float(height))
    m = side * 0.08
    box = (region[0] + m, region[1] + m, region[2] - m, region[3] - m)
    rside = min(box[2] - box[0], box[3] - box[1])
    letters = list(LETTERS)
    rng.shuffle(letters)
    vertex_pool: list[Pt] = []
    n_poly = rng.choice([1, 2, 2, 3, 3, 4])
    for _ in range(n_poly):
        kind = rng.choice(POLYGON_KINDS)
        for _attempt in range(8):
            size = rside * rng.uniform(0.3, 0.65)
            c = (
                rng.uniform(box[0] + size / 2, box[2] - size / 2),
                rng.uniform(box[1] + size / 2, box[3] - size / 2),
            )
            pts = random_polygon(kind, rng, c, size, 180.0 if rng.random() < 0.3 else 25.0)
            if _inside(pts, box):
                break
        else:
            continue
        fill = rng.choice(["shade", 0, 1, 2]) if rng.random() < 0.3 else None
        sc.polygon(pts, dash="dashed" if rng.random() < 0.12 else "solid", fill=fill, opacity=rng.uniform(0.25, 0.6),
                   hatch=rng.choice(["/", "\\", "x", "-"]) if rng.random() < 0.08 else "",
                   color=rng.choice([None, None, 0, 1, 3]), weight=rng.choice([1.0, 1.0, 1.4, 0.7]))  # fmt: skip
        vertex_pool += pts
        if rng.random() < 0.6 and letters:
            for p in pts:
                if letters and rng.random() < 0.85:
                    sc.point(*p, letters.pop())
        n = len(pts)
        for i in rng.sample(range(n), min(n, rng.choice([0, 1, 1, 2]))):
            v, a, b = pts[i], pts[i - 1], pts[(i + 1) % n]
            deg = angle_between(v, a, b)
            if abs(deg - 90) < 0.5:
                sc.right_angle(v, a, b)
            else:
                label = f"{round(deg)}°" if rng.random() < 0.75 else rng.choice(["x", "α", "θ", "1"])
                sc.angle(v, a, b, label, arcs=rng.choice([1, 1, 1, 2]))
        for i in rng.sample(range(n), min(n, rng.choice([0, 1, 1, 2]))):
            sc.side_label(pts[i], pts[(i + 1) % n], _value_text(rng), away=c)
        if rng.random() < 0.15:
            sc.equal_ticks(pts[0], pts[1], rng.choice([1, 2]))
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        r = rside * rng.uniform(0.1, 0.28)
        c = (rng.uniform(box[0] + r, box[2] - r), rng.uniform(box[1] + r, box[3] - r))
        kind = rng.random()
        if kind < 0.12:
            sc.add(
                Ellipse(
                    c,
                    r,
                    r * rng.uniform(0.4, 0.8),
                    rng.uniform(-40, 40),
                    fill="shade" if rng.random() < 0.3 else None,
                )
            )
        elif kind < 0.6:
            sc.circle(
                c,
                r,
                dash="dashed" if rng.random() < 0.15 else "solid",
                fill="shade" if rng.random() < 0.2 else None,
                opacity=0.5,
            )
            if rng.random() < 0.5:
                sc.point(*c, "O" if rng.random() < 0.5 else (letters.pop() if letters else ""), marked=True)
                end = polar(c, r, rng.uniform(0, 360))
                sc.segment(c, end, _value_text(rng) if rng.random() < 0.6 else "")
        elif kind < 0.8:
            a0 = rng.uniform(0, 360)
            sc.arc(c, r, a0, a0 + rng.uniform(60, 270))
        else:
            a0 = rng.uniform(0, 360)
            sweep = rng.uniform(40, 160)
            sc.sector(c, r, a0, a0 + sweep, fill=rng.choice(["shade", 0, 2]), opacity=0.6)
            if rng.random() < 0.6:
                sc.angle(c, polar(c, r, a0), polar(c, r, a0 + sweep), f"{round(sweep)}°")
    for _ in range(rng.choice([1, 1, 2, 3, 4])):
        if vertex_pool and rng.random() < 0.6:
            p = rng.choice(vertex_pool)
            q = (
                rng.choice(vertex_pool)
                if rng.random() < 0.4
                else (rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3]))
            )
            if q == p:
                continue
        else:
            p = (rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3]))
            q = (rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3]))
        r = rng.random()
        if r < 0.75:
            sc.segment(
                p,
                q,
                _value_text(rng) if rng.random() < 0.25 else "",
                dash="dashed" if rng.random() < 0.2 else "solid",
            )
            if rng.random() < 0.1:
                sc.parallel_marks(p, q)
        elif r < 0.88:
            sc.ray(p, lerp(p, q, 0.5), arrow=rng.random() < 0.4)
        else:
            sc.line(p, q, label=rng.choice(["", "l", "m"]))
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        p = (rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3]))
        if rng.random() < 0.5 and letters:
            sc.point(*p, letters.pop(), marked=True)
        else:
            sc.text(p, rng.choice(WORDS), placement="near")
    return Composition(sc, "collage", "primitives", "The diagram shows a collage of geometric shapes.", [])
