"""Random diagram compositions shared by the ``primitives`` and ``captions`` suites.

A composer is ``fn(rng, width, height) -> Composition``: a :class:`Scene` plus what it shows in words
(a summary sentence and :class:`Fact` sentences, each listing the label strings it mentions, so a
caption only states what was actually drawn). Composers live in ``compose_geo`` and ``compose_angles`` (plane
geometry) and ``compose_misc`` (plots, charts, tables, graphs, solids, pictograms, dense collages); ``COMPOSERS``
maps a kind name to (composer, sampling weight for primitives, weight for captions).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from svemath.data.drawlist import Pt
from svemath.data.render import Rendered
from svemath.data.scene import Scene

LETTERS = "ABCDEFGHIJKLMNPQRSTUVWXYZ"  # no O: kept for centres and origins


@dataclass
class Fact:
    text: str
    needs: tuple[str, ...] = ()  # label strings that must be drawn for the sentence to be true


@dataclass
class Composition:
    scene: Scene
    kind: str
    subject: str
    summary: str
    facts: list[Fact] = field(default_factory=list)

    def caption(self, rendered: Rendered) -> str:
        drawn = {t.text for t in rendered.texts}
        sentences = [self.summary] + [f.text for f in self.facts if all(n in drawn for n in f.needs)]
        return " ".join(sentences)

    def missing(self, rendered: Rendered) -> list[str]:
        """Labels the composition relies on that were dropped by the layout."""
        drawn = {t.text for t in rendered.texts}
        needed = {n for f in self.facts for n in f.needs}
        return sorted(needed - drawn)


def fit_points(pts: dict[str, Pt], box: tuple[float, float, float, float]) -> dict[str, Pt]:
    """Scale (uniformly) and move named points so their bounding box is centred in ``box``."""
    xs, ys = [p[0] for p in pts.values()], [p[1] for p in pts.values()]
    w, h = max(xs) - min(xs), max(ys) - min(ys)
    s = min((box[2] - box[0]) / max(w, 1e-9), (box[3] - box[1]) / max(h, 1e-9))
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    bx, by = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return {k: (bx + (p[0] - cx) * s, by + (p[1] - cy) * s) for k, p in pts.items()}


def rotate_points(pts: dict[str, Pt], deg: float) -> dict[str, Pt]:
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    return {k: (x * c + y * s, -x * s + y * c) for k, (x, y) in pts.items()}


def inner_box(width: int, height: int, frac: float) -> tuple[float, float, float, float]:
    """The centred box leaving ``frac`` of each side free on every edge."""
    return (width * frac, height * frac, width * (1 - frac), height * (1 - frac))


def unit_text(rng: random.Random) -> str:
    return rng.choice(["", "", " cm", " cm", " m", " mm", " in", " ft"])


def number_text(v: float, decimals: int = 1) -> str:
    if abs(v - round(v)) < 1e-9:
        return str(round(v))
    return f"{v:.{decimals}f}".rstrip("0").rstrip(".")


def join_words(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def plural(n: int, noun: str) -> str:
    if n == 1:
        return f"1 {noun}"
    irregular = {"axes": "sets of axes", "vertex": "vertices"}
    if noun in irregular:
        return f"{n} {irregular[noun]}"
    return f"{n} {noun}es" if noun.endswith(("s", "x", "ch", "sh")) else f"{n} {noun}s"


Composer = Callable[[random.Random, int, int], Composition]


def composers() -> dict[str, tuple[Composer, float, float]]:
    """kind -> (composer, weight in primitives, weight in captions)."""
    from svemath.data import compose_angles, compose_geo, compose_misc

    return {
        "triangle": (compose_geo.triangle, 1.0, 2.0),
        "quadrilateral": (compose_geo.quadrilateral, 1.0, 1.5),
        "circle": (compose_geo.circle, 1.0, 1.5),
        "lines": (compose_angles.lines, 0.8, 1.2),
        "regular polygon": (compose_angles.regular, 0.5, 0.8),
        "function plot": (compose_misc.function_plot, 1.0, 1.5),
        "bar chart": (compose_misc.bar_chart, 0.8, 1.2),
        "line chart": (compose_misc.line_chart, 0.5, 0.8),
        "pie chart": (compose_misc.pie_chart, 0.5, 0.8),
        "scatter plot": (compose_misc.scatter, 0.3, 0.5),
        "table": (compose_misc.table, 0.4, 0.8),
        "graph": (compose_misc.graph, 0.6, 0.8),
        "solid": (compose_misc.solid, 0.8, 1.0),
        "pictogram": (compose_misc.pictogram_scene, 0.6, 0.8),
        "collage": (compose_misc.collage, 5.0, 0.0),
    }
