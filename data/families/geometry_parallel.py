"""Parallel lines cut by a transversal: find an angle from a corresponding / alternate / co-interior
angle, or name the relation between two marked angles. Lines AB and CD are parallel (arrow marks),
the transversal EF crosses them at G and H; every angle is drawn at its labelled size."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from svemath.data.drawlist import Pt
from svemath.data.families.base import Problem, QuestionParts, calc, make_choices, register_family
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
    problem,
    rotate_pts,
)
from svemath.data.scene import Scene

_REGISTER = dict(dynamath_topic="plane geometry", mathvista_task="geometry problem solving",
                 mathverse_subject="Plane Geometry")  # fmt: skip

# (position at G, position at H) of each relation; a position is (vertical side, horizontal side)
RELATIONS = {
    "corresponding angles": "equal",
    "alternate interior angles": "equal",
    "alternate exterior angles": "equal",
    "co-interior angles": "supplementary",
    "vertical angles": "equal",
}


def relation_positions(
    rng: random.Random, relation: str
) -> tuple[tuple[str, str, str], tuple[str, str, str]]:
    """Two angle positions (vertex "G"/"H", "up"/"down", "left"/"right") in the given relation."""
    side = rng.choice(("left", "right"))
    other = "left" if side == "right" else "right"
    if relation == "corresponding angles":
        up = rng.choice(("up", "down"))
        return ("G", up, side), ("H", up, side)
    if relation == "alternate interior angles":
        return ("G", "down", side), ("H", "up", other)
    if relation == "alternate exterior angles":
        return ("G", "up", side), ("H", "down", other)
    if relation == "co-interior angles":
        return ("G", "down", side), ("H", "up", side)
    vertex = rng.choice(("G", "H"))
    up = rng.choice(("up", "down"))
    return (vertex, up, side), (vertex, "down" if up == "up" else "up", other)


@dataclass
class Transversal:
    """The figure: named points and the angle theta between the transversal (up) and the lines (right)."""

    pts: dict[str, Pt]
    names: dict[str, str]  # role (A, B, C, D, E, F, G, H) -> displayed name
    theta: int

    def measure(self, pos: tuple[str, str, str]) -> int:
        _, up, side = pos
        return self.theta if (up == "up") == (side == "right") else 180 - self.theta

    def rays(self, pos: tuple[str, str, str]) -> tuple[str, str, str]:
        """(vertex role, vertical-ray role, horizontal-ray role) of an angle position."""
        vertex, up, side = pos
        if vertex == "G":
            return "G", ("E" if up == "up" else "H"), ("B" if side == "right" else "A")
        return "H", ("G" if up == "up" else "F"), ("D" if side == "right" else "C")

    def name(self, pos: tuple[str, str, str]) -> str:
        v, p, q = self.rays(pos)
        return f"∠{self.names[p]}{self.names[v]}{self.names[q]}"

    def mark(self, sc: Scene, pos: tuple[str, str, str], label: str, radius: float, **kw) -> None:
        v, p, q = self.rays(pos)
        sc.angle(self.pts[v], self.pts[p], self.pts[q], label, radius=radius, **kw)


def transversal_figure(rng: random.Random, vr: random.Random) -> tuple[Scene, Transversal]:
    letters = point_names(rng, 8)
    names = dict(zip("ABCDEFGH", letters, strict=True))
    theta = vr.randint(35, 145)
    while abs(theta - 90) < 10:
        theta = vr.randint(35, 145)
    gap = vr.uniform(0.55, 0.9)
    t = gap / abs(from_polar(1.0, theta)[1])  # distance G -> H along the transversal
    H = from_polar(t, theta + 180)
    span = vr.uniform(0.9, 1.2)
    x0, x1 = min(0.0, H[0]) - span, max(0.0, H[0]) + span
    raw = {
        "G": (0.0, 0.0), "H": H, "A": (x0, 0.0), "B": (x1, 0.0), "C": (x0, H[1]), "D": (x1, H[1]),
        "E": from_polar(vr.uniform(0.45, 0.7), theta), "F": from_polar(vr.uniform(0.45, 0.7), theta + 180, H),
    }  # fmt: skip
    keys = list(raw)
    moved = fit(rotate_pts([raw[k] for k in keys], vr.uniform(-30, 30)), vr, size=(0.72, 0.86), margin=40)
    pts = dict(zip(keys, moved, strict=True))
    sc = Scene()
    sc.segment(pts["A"], pts["B"])
    sc.segment(pts["C"], pts["D"])
    sc.segment(pts["E"], pts["F"])
    # arrow marks on the halves away from the crossings, both on the side with more room
    right = min(math.dist(pts["G"], pts["B"]), math.dist(pts["H"], pts["D"]))
    left = min(math.dist(pts["G"], pts["A"]), math.dist(pts["H"], pts["C"]))
    e1, e2 = ("B", "D") if right >= left else ("A", "C")
    sc.parallel_marks(pts["G"], pts[e1])
    sc.parallel_marks(pts["H"], pts[e2])
    for role in "ABCDEFGH":
        sc.point(*pts[role], names[role])
    return sc, Transversal(pts, names, theta)


def _describe(tr: Transversal) -> tuple[str, str]:
    n = tr.names
    descriptive = (f"As shown in the figure, line {n['E']}{n['F']} crosses lines {n['A']}{n['B']} and "
                   f"{n['C']}{n['D']} at {n['G']} and {n['H']}.")  # fmt: skip
    return descriptive, f"{n['A']}{n['B']} ∥ {n['C']}{n['D']}."


@register_family("parallel_transversal", subject="plane geometry", difficulty="one-op", **_REGISTER)
def parallel_transversal(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """One angle at a parallel line is given; find a corresponding / alternate / co-interior angle."""
    relation = rng.choice(("corresponding angles", "alternate interior angles", "alternate exterior angles",
                           "co-interior angles", "co-interior angles"))  # fmt: skip
    given_pos, target_pos = relation_positions(rng, relation)
    if rng.random() < 0.5:
        given_pos, target_pos = target_pos, given_pos
    use_x = rng.random() < 0.6
    mc = rng.random() < 0.3
    vr = variant_rng or rng
    sc, tr = transversal_figure(rng, vr)
    conds = Conditions()
    given, value = tr.measure(given_pos), tr.measure(target_pos)
    tr.mark(sc, given_pos, deg(given), 26.0, **conds.kw("angle"))
    tr.mark(sc, target_pos, "x" if use_x else "?", 26.0)
    g_name, t_name = tr.name(given_pos), tr.name(target_pos)
    descriptive, implicit = _describe(tr)
    essential = f"{g_name} = {deg(given)}."
    question = f"{t_name} is marked x. Find x." if use_x else f"What is the measure of {t_name}?"
    lhs = "x" if use_x else t_name
    if RELATIONS[relation] == "equal":
        rule = f"{g_name} and {t_name} are {relation}, so they are equal."
        code = deg(given)
    else:
        rule = f"{g_name} and {t_name} are {relation}, so they add up to 180°."
        code = calc(f"180-{given}")[0] + "°"
    answer, atype, choices, final = numeric_answer(
        vr,
        value,
        mc=mc,
        distractors=[180 - value, 90 - value if value < 90 else value - 90, value + 10],
        suffix="°",
    )
    steps = [
        pick(rng, ("The diagram shows ", "From the figure, ")) + essential,
        pick(rng, (f"The arrow marks show {implicit[:-1]}.", f"{implicit[:-1]}, cut by the transversal.")),
        rule,
        f"So {lhs} = {code}.",
    ]  # fmt: skip
    if choices:
        steps.append(mc_step(answer, final))
    return problem(
        family="parallel_transversal", scene=sc,
        parts=QuestionParts(descriptive, implicit, essential, question),
        answer=answer, answer_type=atype, choices=choices, steps=steps, difficulty="one-op", unit="°",
        conds=conds, info=meta("Angle", ("geometry reasoning", "arithmetic reasoning"), relation=relation),
    )  # fmt: skip


@register_family("parallel_angle_relation", subject="plane geometry", difficulty="read",
                 dynamath_topic="plane geometry", mathvista_task="textbook question answering",
                 mathverse_subject="Plane Geometry")  # fmt: skip
def parallel_angle_relation(rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    """Name the relation between two marked angles ∠1 and ∠2 at two parallel lines (multiple choice)."""
    relation = rng.choice(tuple(RELATIONS))
    pos1, pos2 = relation_positions(rng, relation)
    if rng.random() < 0.5:
        pos1, pos2 = pos2, pos1
    vr = variant_rng or rng
    sc, tr = transversal_figure(rng, vr)
    conds = Conditions()
    tr.mark(sc, pos1, "1", 24.0, **conds.kw("angle1"))
    tr.mark(sc, pos2, "2", 24.0 if pos1[0] != pos2[0] else 32.0, arcs=2, **conds.kw("angle2"))
    n1, n2 = tr.name(pos1), tr.name(pos2)
    descriptive, implicit = _describe(tr)
    others = [r for r in RELATIONS if r != relation]
    vr.shuffle(others)
    choices, answer = make_choices(vr, relation, others, 4)
    same = pos1[0] == pos2[0]
    where = (f"Both angles are at {tr.names[pos1[0]]}, opposite each other." if same else
             f"∠1 is at {tr.names[pos1[0]]} and ∠2 is at {tr.names[pos2[0]]}.")  # fmt: skip
    reason = {
        "corresponding angles": "They are in the same position at each crossing (same side of the transversal, "
        "same side of the line).",
        "alternate interior angles": "Both lie between the parallel lines, on opposite sides of the transversal.",
        "alternate exterior angles": "Both lie outside the parallel lines, on opposite sides of the transversal.",
        "co-interior angles": "Both lie between the parallel lines, on the same side of the transversal.",
        "vertical angles": "They are formed by the same two lines and face each other across the vertex.",
    }[relation]
    steps = [
        f"The diagram marks ∠1 = {n1} and ∠2 = {n2}.",
        where,
        reason,
        f"So ∠1 and ∠2 are {relation}.",
        mc_step(answer, relation),
    ]
    return problem(
        family="parallel_angle_relation", scene=sc,
        parts=QuestionParts(descriptive, implicit, f"∠1 is {n1} and ∠2 is {n2}.",
                            "What is the relationship between ∠1 and ∠2?"),
        answer=answer, answer_type="multiple_choice", choices=choices, steps=steps, difficulty="read",
        conds=conds, info=meta("Angle", ("geometry reasoning", "logical reasoning"), relation=relation),
    )  # fmt: skip
