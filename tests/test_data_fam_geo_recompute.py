"""Answers of geometry families proved by recomputation from the *rendered* scene: the label strings
and boxes of the annotations, the shape classes, and the drawn geometry (point coordinates mapped
through the renderer's transform) -- never from the code path that wrote the answer."""

from __future__ import annotations

import math
import random
import re

import numpy as np
import pytest

from svemath.data.families import load_families
from svemath.data.families.base import LETTERS
from svemath.data.render import render
from svemath.data.scene import angle_between
from svemath.data.style import Style

FAMILIES = load_families()
SEEDS = range(15)


def make(name: str, seed: int):
    return FAMILIES.get(name).make(random.Random(seed), random.Random(seed + 4242))


def answer_value(p) -> float:
    """The answer as a number (multiple choice: the chosen option text; "12π" counts as 12 pi)."""
    text = p.choices[LETTERS.index(p.answer)] if p.answer_type == "multiple_choice" else p.answer
    text = text.replace("°", "").strip()
    if text.endswith("π"):
        return float(text[:-1] or 1) * math.pi
    return float(text)


def close(p, value: float, expected: float) -> bool:
    tol = 0.5 * 10 ** -(p.precision or 0) + 1e-6 if (p.precision or p.answer_type == "integer") else 1e-6
    if p.answer_type == "multiple_choice" and p.precision is None:
        tol = 0.5 + 1e-6 if abs(expected - round(expected)) > 1e-9 else 1e-6
    return abs(value - expected) <= tol


def texts(out) -> list[tuple[str, list[int]]]:
    return [(t["text"], t["box"]) for t in out.annotations()["texts"]]


def degrees(out) -> list[int]:
    return [int(m.group(1)) for t, _ in texts(out) if (m := re.fullmatch(r"(\d+)°", t))]


def lengths(out) -> list[tuple[float, tuple[float, float]]]:
    """Length labels ("12 cm", "7"): value and box centre."""
    out_ = []
    for t, b in texts(out):
        if m := re.fullmatch(r"(\d+(?:\.\d+)?)(?: (?:cm|m|mm|in))?", t):
            out_.append((float(m.group(1)), ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)))
    return out_


def shape_classes(out) -> list[str]:
    return [s["cls"] for s in out.annotations()["shapes"]]


def marks(p, kind: str = "AngleMark"):
    return [e for e in p.scene.elements if type(e).__name__ == kind]


def seg_dist(c, a, b, lo: float = 0.0, hi: float = 1.0) -> float:
    """Distance from c to the part [lo, hi] of segment ab (side labels sit beside its middle part)."""
    (ax, ay), (bx, by), (cx, cy) = a, b, c
    t = max(lo, min(hi, ((cx - ax) * (bx - ax) + (cy - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)))
    return math.hypot(cx - ax - t * (bx - ax), cy - ay - t * (by - ay))


def check_angle_marks(p) -> None:
    """Every angle mark labelled with a value is drawn at that size; the one marked x or ? is the answer."""
    for m in marks(p):
        measured = angle_between(m.vertex, m.p1, m.p2)
        if re.fullmatch(r"\d+°", m.label):
            assert abs(measured - int(m.label[:-1])) < 0.5, (p.family, m.label, measured)
        if m.label in ("x", "?"):
            assert abs(measured - answer_value(p)) < 0.5, (p.family, measured, p.answer)


@pytest.mark.parametrize(
    "name,total",
    [("triangle_angle_sum", 180), ("angle_straight_line", 180), ("angle_around_point", 360),
     ("angle_complementary", 90)],
)  # fmt: skip
def test_angle_sums_from_labels_and_geometry(name: str, total: int):
    for seed in SEEDS:
        p = make(name, seed)
        out = render(p.scene, Style.clean())
        given = degrees(out)
        assert given, (name, seed)
        if name == "angle_complementary":  # the right angle is shown by its mark, not by a number
            assert "right angle mark" in shape_classes(out)
        assert answer_value(p) == total - sum(given), (name, seed, given, p.answer)
        check_angle_marks(p)


def test_polygon_missing_angle_counts_vertices_from_the_shape_class():
    sides = {"quadrilateral": 4, "trapezoid": 4, "kite": 4, "parallelogram": 4, "pentagon": 5, "hexagon": 6}
    for seed in SEEDS:
        p = make("polygon_missing_angle", seed)
        out = render(p.scene, Style.clean())
        n = next(sides[c] for c in shape_classes(out) if c in sides)
        assert answer_value(p) == (n - 2) * 180 - sum(degrees(out)), seed
        check_angle_marks(p)


@pytest.mark.parametrize("name", ["inscribed_angle", "parallel_transversal", "isosceles_triangle",
                                  "triangle_exterior_angle", "angle_vertical"])  # fmt: skip
def test_marked_unknown_angle_measures_the_answer(name: str):
    for seed in SEEDS:
        p = make(name, seed)
        out = render(p.scene, Style.clean())
        assert len(degrees(out)) >= 1
        check_angle_marks(p)
        if name == "parallel_transversal":  # the given angle is equal or supplementary to the answer
            (given,) = degrees(out)
            assert answer_value(p) in (given, 180 - given)
            assert sum(c == "segment" for c in shape_classes(out)) >= 3


def test_pythagoras_from_side_labels_and_right_angle():
    for seed in SEEDS:
        p = make("pythagoras", seed)
        out = render(p.scene, Style.clean())
        (poly,) = [e for e in p.scene.elements if type(e).__name__ == "Polygon"]
        v = [out.transform(q) for q in poly.vertices]
        right = [i for i in range(3) if abs(angle_between(v[i], v[i - 1], v[(i + 1) % 3]) - 90) < 0.3]
        assert len(right) == 1 and "right angle mark" in shape_classes(out)
        sides = [(v[i], v[(i + 1) % 3]) for i in range(3)]
        hyp_side = next(k for k, (a, b) in enumerate(sides) if right[0] not in (k, (k + 1) % 3))
        known = {}
        for value, c in lengths(out):
            k = min(range(3), key=lambda j: seg_dist(c, *sides[j]))
            known[k] = value
        assert len(known) == 2
        ratios = [known[k] / math.dist(*sides[k]) for k in known]
        assert abs(ratios[0] - ratios[1]) / ratios[0] < 0.01, "drawn to scale"
        if hyp_side in known:
            leg = next(val for k, val in known.items() if k != hyp_side)
            expected = math.sqrt(known[hyp_side] ** 2 - leg**2)
        else:
            expected = math.hypot(*known.values())
        assert close(p, answer_value(p), expected), (seed, known, p.answer)


def test_length_read_answer_is_the_label_beside_the_named_side():
    for seed in SEEDS:
        p = make("length_read", seed)
        out = render(p.scene, Style.clean())
        a_name, b_name = re.search(r"\b([A-Z])([A-Z])\b", p.parts.question).groups()
        pts = {
            e.label: out.transform(e.xy) for e in p.scene.elements if type(e).__name__ == "Point" and e.label
        }
        mid = ((pts[a_name][0] + pts[b_name][0]) / 2, (pts[a_name][1] + pts[b_name][1]) / 2)
        value, _ = min(lengths(out), key=lambda lc: math.dist(lc[1], mid))
        assert answer_value(p) == value, (seed, p.question)


def test_circle_and_sector_measures_from_labels():
    for seed in SEEDS:
        p = make("circle_measure", seed)
        out = render(p.scene, Style.clean())
        ((value, _),) = lengths(out)
        (circle,) = marks(p, "Circle")
        segs = [math.dist(e.a, e.b) for e in marks(p, "Segment")]
        diameter = any(abs(s - 2 * circle.r) < 1e-6 for s in segs)
        r = value / 2 if diameter else value
        q = p.parts.question
        expected = {"area": math.pi * r * r, "circumference": 2 * math.pi * r, "radius": r}[
            next(k for k in ("area", "circumference", "radius") if f"the {k} of the circle" in q)
        ]
        assert close(p, answer_value(p), expected), (seed, q, p.answer)
    for seed in SEEDS:
        p = make("arc_sector", seed)
        out = render(p.scene, Style.clean())
        (angle,), ((r, _),) = degrees(out), lengths(out)
        (sector,) = marks(p, "Sector")
        assert abs((sector.end - sector.start) % 360 - angle) < 1e-6
        expected = angle / 360 * (math.pi * r * r if "area" in p.parts.question else 2 * math.pi * r)
        assert close(p, answer_value(p), expected), (seed, p.answer, expected)


def test_areas_from_shape_class_and_labels():
    for seed in SEEDS:
        p = make("area_basic", seed)
        out = render(p.scene, Style.clean())
        vals = [v for v, _ in lengths(out)]
        cls = next(c for c in shape_classes(out) if c in ("rectangle", "square", "triangle", "parallelogram",
                                                           "right triangle", "isosceles triangle"))  # fmt: skip
        if cls == "square":
            expected = vals[0] ** 2
        elif "triangle" in cls:
            expected = vals[0] * vals[1] / 2
        else:
            expected = vals[0] * vals[1]
        assert answer_value(p) == expected, (seed, cls, vals)


def test_box_volumes_and_surfaces_from_labels():
    for seed in SEEDS:
        p = make("solid_volume_box", seed)
        out = render(p.scene, Style.clean())
        vals = [v for v, _ in lengths(out)]
        kind = next(c for c in shape_classes(out) if c in ("cube", "cuboid"))
        expected = vals[0] ** 3 if kind == "cube" else math.prod(vals)
        assert answer_value(p) == expected, (seed, kind, vals)
    for seed in range(40):
        p = make("solid_surface_area", seed)
        out = render(p.scene, Style.clean())
        vals = [v for v, _ in lengths(out)]
        kind = next(c for c in shape_classes(out) if c in ("cube", "cuboid", "sphere", "cylinder"))
        if kind == "cube":
            expected = 6 * vals[0] ** 2
        elif kind == "cuboid":
            a, b, c = vals
            expected = 2 * (a * b + b * c + a * c)
        elif kind == "sphere":
            expected = 4 * math.pi * vals[0] ** 2
        else:
            continue  # radius/height need the geometry to tell apart
        assert close(p, answer_value(p), expected), (seed, kind, vals, p.answer)


def _coordinate_labels(out) -> dict[str, tuple[int, int]]:
    return {t: tuple(int(v) for v in m.groups()) for t, _ in texts(out)
            if (m := re.fullmatch(r"\((-?\d+), (-?\d+)\)", t))}  # fmt: skip


def test_distance_midpoint_from_coordinate_labels():
    for seed in range(25):
        p = make("distance_midpoint", seed)
        out = render(p.scene, Style.clean())
        (a, b) = list(_coordinate_labels(out).values())
        q = p.parts.question
        if "length" in q:
            assert close(p, answer_value(p), math.dist(a, b)), (seed, a, b, p.answer)
        elif "midpoint" in q:
            mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
            assert [float(v) for v in p.answer.strip("[]").split(",")] == [mx, my]
        else:
            assert close(p, answer_value(p), (b[1] - a[1]) / (b[0] - a[0])), (seed, a, b, p.answer)


def test_point_coordinates_read_from_the_tick_labels():
    for seed in range(25):
        p = make("point_coordinates", seed)
        out = render(p.scene, Style.clean())
        ints = [(int(t), b) for t, b in texts(out) if re.fullmatch(r"-?\d+", t)]
        # x tick labels share a row, y tick labels a column: calibrate pixel -> value on each axis
        rows = {}
        for v, b in ints:
            rows.setdefault(round((b[1] + b[3]) / 2), []).append((v, (b[0] + b[2]) / 2))
        xs = max(rows.values(), key=len)
        cols = {}
        for v, b in ints:
            cols.setdefault(b[2], []).append((v, (b[1] + b[3]) / 2))
        ys = max(cols.values(), key=len)
        fx = np.polyfit([c for _, c in xs], [v for v, _ in xs], 1)
        fy = np.polyfit([c for _, c in ys], [v for v, _ in ys], 1)
        name = re.search(r"point ([A-Z])", p.parts.question).group(1)
        (pt,) = [e for e in marks(p, "Point") if e.label == name]
        px, py = out.transform(pt.xy)
        x, y = round(float(np.polyval(fx, px))), round(float(np.polyval(fy, py)))
        if p.answer_type == "list":
            assert p.answer == f"[{x}, {y}]", seed
        elif p.answer_type == "multiple_choice":
            assert p.choices[LETTERS.index(p.answer)] == f"({x}, {y})", seed
        else:
            assert int(p.answer) == (x if "x-coordinate" in p.parts.question else y), seed


def test_similar_triangles_ratio_from_labels_and_geometry():
    for seed in SEEDS:
        p = make("similar_triangles", seed)
        out = render(p.scene, Style.clean())
        pts = {e.label: out.transform(e.xy) for e in marks(p, "Point") if e.label}
        names = re.search(r"triangle ([A-Z])([A-Z])([A-Z]), ([A-Z]) is on", p.parts.descriptive).groups()
        A, B, C, D = (pts[n] for n in names)
        E = pts[re.search(r"and ([A-Z]) is on", p.parts.descriptive).group(1)]
        segs = {"AD": (A, D), "DB": (D, B), "DE": (D, E), "BC": (B, C), "AE": (A, E), "EC": (E, C)}
        # which segment a value labels: its condition tag (names the segment); the unknown is "x"
        labelled = {
            t.tag.split(":")[1]: float(t.text.split()[0]) for t in out.texts if t.tag.startswith("cond:")
        }
        assert len(labelled) == 3 and [t.text for t in out.texts].count("x") == 1
        scale = labelled["AD"] / math.dist(A, D)
        for k, value in labelled.items():  # drawn to scale
            assert abs(value / math.dist(*segs[k]) - scale) / scale < 0.01, (seed, k)
        # the unknown (the segment marked x) from the labels alone
        k = labelled["AD"] / (labelled["AD"] + labelled["DB"])
        if "DE" in labelled:
            expected = labelled["DE"] / k
        elif "BC" in labelled:
            expected = labelled["BC"] * k
        else:
            expected = labelled["AE"] * labelled["DB"] / labelled["AD"]
        assert abs(answer_value(p) - expected) < 1e-6, (seed, labelled, p.answer)


def test_solid_dimension_read_answer_is_a_drawn_label():
    for seed in range(25):
        p = make("solid_dimension_read", seed)
        out = render(p.scene, Style.clean())
        vals = [v for v, _ in lengths(out)]
        kind = next(c for c in shape_classes(out) if c in ("cube", "cuboid", "cylinder", "cone"))
        assert kind in p.parts.question and answer_value(p) in vals, (seed, vals, p.answer)
        assert len(vals) == {"cube": 1, "cuboid": 3, "cylinder": 2, "cone": 2}[kind]
