"""Solid-geometry families on labelled 3-D solids (oblique projection, hidden edges dashed): naming a
solid or counting its faces / edges / vertices, the volume of a cube or cuboid, the volume of a
cylinder, cone, sphere, triangular prism or square pyramid, and surface areas. Solids are drawn with
their labelled proportions."""

from __future__ import annotations

import random

from svemath.data.families.base import Problem, QuestionParts, calc, make_choices, register_family
from svemath.data.families.geometry_common import (
    SOLID,
    Conditions,
    length_text,
    mc_step,
    meta,
    numeric_answer,
    pick,
    precision_hint,
    problem,
    round_answer,
    unit_power,
    with_unit,
)
from svemath.data.scene import Scene
from svemath.data.solids import Solid

_REGISTER = dict(dynamath_topic="solid geometry", mathvista_task="geometry problem solving",
                 mathverse_subject="Solid Geometry")  # fmt: skip
_SKILLS = ("geometry reasoning", "arithmetic reasoning")
_UNITS = ("cm", "cm", "m", "mm", "")
NAMES = {"cube": "cube", "cuboid": "cuboid", "prism": "triangular prism", "pyramid": "square pyramid",
         "cylinder": "cylinder", "cone": "cone", "sphere": "sphere"}  # fmt: skip
COUNTS = {
    "cube": (6, 12, 8),
    "cuboid": (6, 12, 8),
    "prism": (5, 9, 6),
    "pyramid": (5, 8, 5),
}  # faces, edges, vertices


def solid_scene(
    vr: random.Random,
    kind: str,
    dims: dict[str, float],
    labels: dict[str, str],
    conds: Conditions | None = None,
) -> Scene:
    """A scene with one solid whose logical sizes are proportional to ``dims`` (keys a, b, c, r),
    centred on the canvas with a random size, depth angle and small shift."""
    depth_angle, depth_ratio = vr.uniform(30, 50), vr.uniform(0.45, 0.6)
    if kind in ("cylinder", "cone", "sphere"):
        r, c = dims["r"], dims.get("c", 2 * dims["r"])
        w, h = 2 * r, c + 2 * r * 0.3 if kind != "sphere" else 2 * r
    else:
        a = dims["a"]
        b, c = (a, a) if kind == "cube" else (dims["b"], dims["c"])
        w, h = a + b * depth_ratio * 0.77, c + b * depth_ratio * 0.64
        r = 0.0
    s = vr.uniform(165, 210) / max(w, h)  # room for the labels around the solid
    cx, cy = 192 + vr.uniform(-10, 10), 192 + vr.uniform(-10, 10)
    if kind in ("cylinder", "cone", "sphere"):
        base = (cx, cy + (r if kind == "sphere" else dims["c"] / 2) * s)
        solid = Solid(kind, base=base, r=r * s, c=(dims.get("c", 0.0) * s), labels=labels,
                      ellipse_ratio=vr.uniform(0.25, 0.35))  # fmt: skip
    else:
        base = (cx - b * depth_ratio * 0.77 * s / 2, cy + h * s / 2)
        solid = Solid(kind, base=base, a=a * s, b=b * s, c=c * s, labels=labels, depth_angle=depth_angle,
                      depth_ratio=depth_ratio)  # fmt: skip
    if conds is not None and labels:
        kw = conds.kw("dims")
        solid.label_role, solid.tag = kw["label_role"], kw["tag"]
    sc = Scene()
    sc.add(solid)
    return sc


def _dims_text(kind: str, dims: dict[str, float], unit: str) -> str:
    u = {k: with_unit(v, unit) for k, v in dims.items()}
    if kind == "cube":
        return f"The edge of the cube is {u['a']}."
    if kind == "cuboid":
        return f"The cuboid is {u['a']} long, {u['b']} wide and {u['c']} high."
    if kind == "prism":
        return f"The triangular base has base {u['a']} and height {u['c']}; the prism is {u['b']} long."
    if kind == "pyramid":
        return f"The square base has side {u['a']} and the height of the pyramid is {u['c']}."
    if kind == "sphere":
        return f"The radius of the sphere is {u['r']}."
    return f"The radius of the {kind} is {u['r']} and its height is {u['c']}."


def _labels(kind: str, dims: dict[str, float], unit: str) -> dict[str, str]:
    keys = {"cube": "a", "cuboid": "abc", "prism": "abc", "pyramid": "abc", "cylinder": "rc", "cone": "rc",
            "sphere": "r"}[kind]  # fmt: skip
    return {k: length_text(dims[k], unit) for k in keys}


@register_family("solid_identify", subject="solid geometry", difficulty="read", dynamath_topic="solid geometry",
                 mathvista_task="textbook question answering", mathverse_subject="Solid Geometry")  # fmt: skip
def solid_identify(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Name the solid shown (multiple choice), or count the faces / edges / vertices of a polyhedron."""
    task = rng.choice(("name", "name", "faces", "edges", "vertices"))
    vr = variant_rng or rng
    kind = vr.choice(tuple(NAMES) if task == "name" else tuple(COUNTS))
    dims = {"a": vr.randint(3, 9), "b": vr.randint(3, 9), "c": vr.randint(3, 9), "r": vr.randint(2, 6)}
    while kind == "cuboid" and max(dims["a"], dims["b"], dims["c"]) < 1.5 * min(
        dims["a"], dims["b"], dims["c"]
    ):
        dims.update(a=vr.randint(3, 9), b=vr.randint(3, 9), c=vr.randint(3, 9))  # clearly not a cube
    if kind == "pyramid":
        dims["b"] = dims["a"]
    if kind == "cube":
        dims["b"] = dims["c"] = dims["a"]
    sc = solid_scene(vr, kind, dims, {})
    name = NAMES[kind]
    if task == "name":
        question = "What is the name of the solid shown in the figure?"
        others = [n for n in NAMES.values() if n != name]
        vr.shuffle(others)
        choices, answer = make_choices(vr, name, others, 4)
        clue = {
            "cube": "six square faces, all edges equal",
            "cuboid": "six rectangular faces",
            "prism": "two triangular ends joined by rectangles",
            "pyramid": "a square base and four triangular faces meeting at an apex",
            "cylinder": "two circular bases joined by a curved surface",
            "cone": "a circular base and a curved surface rising to an apex",
            "sphere": "a round surface with every point the same distance from the centre",
        }[kind]
        steps = [f"The solid has {clue}.", f"So it is a {name}.", mc_step(answer, name)]
        atype = "multiple_choice"
    else:
        faces, edges, verts = COUNTS[kind]
        value = {"faces": faces, "edges": edges, "vertices": verts}[task]
        question = f"How many {task} does the solid in the figure have?"
        detail = {
            "cube": ("6 square faces", "4 edges on the top, 4 on the bottom and 4 vertical ones", "4 on top and 4 below"),
            "cuboid": ("6 rectangular faces", "4 edges on the top, 4 on the bottom and 4 vertical ones",
                       "4 on top and 4 below"),
            "prism": ("2 triangles and 3 rectangles", "3 on each triangle and 3 joining them", "3 on each triangle"),
            "pyramid": ("1 square and 4 triangles", "4 around the base and 4 up to the apex", "4 on the base and the apex"),
        }[kind][("faces", "edges", "vertices").index(task)]  # fmt: skip
        steps = [f"The solid is a {name}, with hidden edges drawn dashed.", f"Counting {task}: {detail}.",
                 f"So it has {value} {task}."]  # fmt: skip
        choices, answer, atype = None, str(value), "integer"
    return problem(
        family="solid_identify", scene=sc, subject=SOLID,
        parts=QuestionParts("The figure shows a solid.", "", "", question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="read",
        info=meta("Volume" if task == "name" else "Area", ("geometry reasoning",), level="elementary school",
                  grade="elementary school"),
    )  # fmt: skip


DIMENSIONS = {
    "cube": (("a", "edge length"),),
    "cuboid": (("a", "length"), ("b", "width"), ("c", "height")),
    "cylinder": (("r", "radius"), ("c", "height")),
    "cone": (("r", "radius"), ("c", "height")),
}


@register_family("solid_dimension_read", subject="solid geometry", difficulty="read", dynamath_topic="solid geometry",
                 mathvista_task="textbook question answering", mathverse_subject="Solid Geometry")  # fmt: skip
def solid_dimension_read(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Read one labelled dimension (edge, length, width, height, radius) of a cube, cuboid, cylinder or cone."""
    kind = rng.choice(("cube", "cuboid", "cuboid", "cylinder", "cone"))
    key, word = rng.choice(DIMENSIONS[kind])
    unit = rng.choice(_UNITS)
    mc = rng.random() < 0.3
    vr = variant_rng or rng
    while True:
        dims = {"a": vr.randint(2, 15), "b": vr.randint(2, 12), "c": vr.randint(2, 15), "r": vr.randint(2, 9)}
        if kind == "cube":
            dims = {"a": dims["a"]}
        elif kind == "cuboid":
            dims = {k: dims[k] for k in "abc"}
        else:
            dims = {"r": dims["r"], "c": dims["c"]}
        if len(set(dims.values())) == len(dims) and max(dims.values()) <= 3.5 * min(dims.values()):
            break
    conds = Conditions()
    sc = solid_scene(vr, kind, dims, _labels(kind, dims, unit), conds)
    essential = _dims_text(kind, dims, unit)
    value = dims[key]
    question = f"What is the {word} of the {kind}?"
    where = {"a": "the front bottom edge", "b": "the edge going back", "c": "the vertical edge" if kind == "cuboid"
             else "the height line", "r": "the radius line"}[key]  # fmt: skip
    answer, atype, choices, final = numeric_answer(
        vr, value, mc=mc, distractors=[v for k, v in dims.items() if k != key] + [value * 2, value + 1]
    )
    steps = [
        f"The {word} of the {kind} is labelled along {where}.",
        f"The label reads {length_text(value, unit)}.",
        f"So the {word} is {with_unit(value, unit)}.",
    ]
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="solid_dimension_read", scene=sc, subject=SOLID,
        parts=QuestionParts(f"The figure shows a {kind}.", "", essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="read",
        unit=unit_power(unit, 1), conds=conds,
        info=meta("Length", ("geometry reasoning",), level="elementary school", grade="elementary school"),
    )  # fmt: skip


@register_family("solid_volume_box", subject="solid geometry", difficulty="one-op", **_REGISTER)
def solid_volume_box(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Volume of a labelled cube (a³) or cuboid (length × width × height)."""
    kind = rng.choice(("cube", "cuboid", "cuboid"))
    unit = rng.choice(_UNITS)
    mc = rng.random() < 0.3
    vr = variant_rng or rng
    if kind == "cube":
        a = vr.randint(2, 12)
        dims = {"a": a}
        code, value = calc(f"{a}^3")
        rule = "The volume of a cube is edge × edge × edge."
        distractors = [a * a, 6 * a * a, 3 * a, 12 * a]
    else:
        while True:
            dims = {"a": vr.randint(3, 15), "b": vr.randint(2, 12), "c": vr.randint(2, 12)}
            if len(set(dims.values())) == 3:
                break
        a, b, c = dims["a"], dims["b"], dims["c"]
        code, value = calc(f"{a}*{b}*{c}")
        rule = "The volume of a cuboid is length × width × height."
        distractors = [2 * (a * b + b * c + a * c), a * b + c, a + b + c, a * b]
    conds = Conditions()
    sc = solid_scene(vr, kind, dims, _labels(kind, dims, unit), conds)
    essential = _dims_text(kind, dims, unit)
    question = pick(rng, (f"What is the volume of the {kind}?", f"Find the volume of the {kind}."))
    answer, atype, choices, final = numeric_answer(vr, value, mc=mc, distractors=distractors)
    steps = [pick(rng, ("From the figure: ", "The labels give: ")) + essential, rule,
             f"V = {code}" + (f" {unit}³." if unit else ".")]  # fmt: skip
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="solid_volume_box", scene=sc, subject=SOLID,
        parts=QuestionParts(f"The figure shows a {kind}.", "", essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="one-op",
        unit=unit_power(unit, 3), conds=conds, info=meta("Volume", _SKILLS),
    )  # fmt: skip


def _pi_form(k: float) -> str:
    return f"{round(k, 2):g}π"


@register_family("solid_volume", subject="solid geometry", difficulty="multi-step", **_REGISTER)
def solid_volume(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Volume of a labelled cylinder, cone, sphere, triangular prism or square pyramid."""
    kind = rng.choice(("cylinder", "cylinder", "cone", "sphere", "prism", "pyramid"))
    unit = rng.choice(_UNITS)
    round_kind = kind in ("cylinder", "cone", "sphere")
    mode = rng.choice(("float", "float", "pi")) if round_kind else rng.choice(("int", "int", "mc"))
    precision = rng.choice((1, 2)) if mode == "float" else None
    vr = variant_rng or rng
    name = NAMES[kind]
    steps_mid: list[str] = []
    if kind == "cylinder":
        dims = {"r": vr.randint(2, 10), "c": vr.randint(3, 15)}
        r, h = dims["r"], dims["c"]
        k = r * r * h
        steps_mid.append("The volume of a cylinder is base area × height = πr²h.")
        steps_mid.append(f"Base area = π × {r}² = {calc(f'pi*{r}^2')[0]}.")
        expr, wrong = f"pi*{r}^2*{h}", [2 * r * h, r * h, r * r * h / 3]
    elif kind == "cone":
        while True:
            dims = {"r": vr.randint(2, 10), "c": vr.randint(3, 15)}
            r, h = dims["r"], dims["c"]
            if (r * r * h) % 3 == 0 or mode == "float":
                break
        k = r * r * h / 3
        steps_mid.append("The volume of a cone is one third of base area × height = πr²h/3.")
        steps_mid.append(f"Base area = π × {r}² = {calc(f'pi*{r}^2')[0]}.")
        expr, wrong = f"pi*{r}^2*{h}/3", [r * r * h, 2 * r * h / 3, r * h]
    elif kind == "sphere":
        while True:
            dims = {"r": vr.randint(2, 12)}
            r = dims["r"]
            if (4 * r**3) % 3 == 0 or mode == "float":
                break
        k = 4 * r**3 / 3
        steps_mid.append("The volume of a sphere is (4/3)πr³.")
        steps_mid.append(f"r³ = {calc(f'{r}^3')[0]}.")
        expr, wrong = f"4/3*pi*{r}^3", [4 * r * r, r**3, 2 * r**3]
    elif kind == "prism":
        while True:
            dims = {"a": vr.randint(3, 12), "b": vr.randint(4, 15), "c": vr.randint(3, 10)}
            if dims["a"] * dims["c"] % 2 == 0 and 0.5 <= dims["c"] / dims["a"] <= 1.3:
                break
        a, length, h = dims["a"], dims["b"], dims["c"]
        tri_code, tri = calc(f"{a}*{h}/2")
        steps_mid.append(f"The triangular base has area {a} × {h} / 2 = {tri_code}.")
        steps_mid.append("The volume of a prism is base area × length.")
        expr = f"{round(tri)}*{length}"
        wrong = [a * h * length, a + h + length, tri + length]
    else:
        while True:
            dims = {"a": vr.randint(3, 12), "c": vr.randint(3, 15)}
            if dims["a"] ** 2 * dims["c"] % 3 == 0:
                break
        dims["b"] = dims["a"]
        a, h = dims["a"], dims["c"]
        base_code, base = calc(f"{a}^2")
        steps_mid.append(f"The square base has area {a}² = {base_code}.")
        steps_mid.append("The volume of a pyramid is base area × height / 3.")
        expr = f"{round(base)}*{h}/3"
        wrong = [a * a * h, a * a * h / 2, 4 * a * h]
    conds = Conditions()
    sc = solid_scene(vr, kind, dims, _labels(kind, dims, unit), conds)
    essential = _dims_text(kind, dims, unit)
    question = f"What is the volume of the {name}?"
    code, exact = calc(expr)
    steps = [pick(rng, ("From the figure: ", "The labels give: ")) + essential, *steps_mid]
    choices = None
    if mode == "pi":  # keep the formula, then the coefficient of π instead of a decimal value
        question += " Give the answer in terms of π."
        steps = [steps[0], steps_mid[0], f"The coefficient of π is {calc(expr.replace('pi*', ''))[0]}."]
        steps.append(f"V = {_pi_form(k)}" + (f" {unit}³." if unit else "."))
        whole = [
            w for w in [*wrong, 2 * k, 3 * k] if float(w).is_integer() and w != k
        ]  # whole-number options
        choices, answer = make_choices(vr, _pi_form(k), [_pi_form(w) for w in whole])
        atype = "multiple_choice"
        steps.append(mc_step(answer, _pi_form(k)))
    elif round_kind:
        question += " " + precision_hint(precision)
        steps.append(f"V = {code}" + (f" {unit}³." if unit else "."))
        answer, atype = round_answer(exact, precision), "float"
        steps.append(f"Rounded, the volume is {with_unit(answer, unit, 3)}.")
    else:
        answer, atype, choices, final = numeric_answer(vr, exact, mc=mode == "mc", distractors=wrong)
        steps.append(f"V = {code}" + (f" {unit}³." if unit else "."))
        if choices:
            steps.append(mc_step(answer, final))
    return problem(
        family="solid_volume", scene=sc, subject=SOLID,
        parts=QuestionParts(f"The figure shows a {name}.", "", essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="multi-step",
        precision=precision, unit=unit_power(unit, 3), conds=conds, info=meta("Volume", _SKILLS),
    )  # fmt: skip


@register_family("solid_surface_area", subject="solid geometry", difficulty="multi-step", **_REGISTER)
def solid_surface_area(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Total surface area of a labelled cube, cuboid, cylinder or sphere."""
    kind = rng.choice(("cube", "cuboid", "cuboid", "cylinder", "sphere"))
    unit = rng.choice(_UNITS)
    precision = rng.choice((1, 2)) if kind in ("cylinder", "sphere") else None
    mc = rng.random() < 0.25
    vr = variant_rng or rng
    steps_mid: list[str] = []
    if kind == "cube":
        dims = {"a": vr.randint(2, 12)}
        a = dims["a"]
        face_code, _ = calc(f"{a}^2")
        steps_mid += [f"Each of the 6 square faces has area {face_code}.", ""]
        expr = f"6*{a}^2"
        wrong = [a**3, 4 * a * a, 12 * a]
    elif kind == "cuboid":
        while True:
            dims = {"a": vr.randint(3, 15), "b": vr.randint(2, 12), "c": vr.randint(2, 12)}
            if len(set(dims.values())) == 3:
                break
        a, b, c = dims["a"], dims["b"], dims["c"]
        pairs_code, pairs = calc(f"{a}*{b}+{b}*{c}+{a}*{c}")
        steps_mid += [
            "A cuboid has three pairs of equal rectangular faces.",
            f"One face of each pair: {pairs_code}.",
        ]
        expr = f"2*{round(pairs)}"
        wrong = [pairs, a * b * c, 2 * (a + b + c)]
    elif kind == "cylinder":
        dims = {"r": vr.randint(2, 10), "c": vr.randint(3, 15)}
        r, h = dims["r"], dims["c"]
        steps_mid += ["The surface is two circles plus the curved side: 2πr² + 2πrh.",
                      f"The two circles: 2 × π × {r}² = {calc(f'2*pi*{r}^2')[0]}."]  # fmt: skip
        expr = f"2*pi*{r}^2+2*pi*{r}*{h}"
        wrong = [3.14159 * r * r * h, 2 * 3.14159 * r * h, 3.14159 * r * r + 2 * 3.14159 * r * h]
    else:
        dims = {"r": vr.randint(2, 12)}
        r = dims["r"]
        steps_mid += ["The surface area of a sphere is 4πr².", f"r² = {calc(f'{r}^2')[0]}."]
        expr = f"4*pi*{r}^2"
        wrong = [3.14159 * r * r, 4 / 3 * 3.14159 * r**3, 2 * 3.14159 * r * r]
    steps_mid = [s for s in steps_mid if s]
    conds = Conditions()
    sc = solid_scene(vr, kind, dims, _labels(kind, dims, unit), conds)
    essential = _dims_text(kind, dims, unit)
    question = f"What is the total surface area of the {NAMES[kind]}?"
    if precision:
        question += " " + precision_hint(precision)
    code, exact = calc(expr)
    answer, atype, choices, final = numeric_answer(vr, exact, mc=mc, distractors=wrong, precision=precision)
    steps = [pick(rng, ("From the figure: ", "The labels give: ")) + essential, *steps_mid,
             f"Surface area = {code}" + (f" {unit}²." if unit else ".")]  # fmt: skip
    if precision:
        steps.append(f"Rounded, the surface area is {with_unit(final, unit, 2)}.")
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="solid_surface_area", scene=sc, subject=SOLID,
        parts=QuestionParts(f"The figure shows a {NAMES[kind]}.", "", essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="multi-step",
        precision=precision, unit=unit_power(unit, 2), conds=conds, info=meta("Area", _SKILLS),
    )  # fmt: skip
