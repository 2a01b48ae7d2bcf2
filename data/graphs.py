"""Small graphs (networks): labelled nodes and (weighted, optionally directed) edges.

Nodes are circles ("node" shapes, tagged ``node:<name>``) with the name inside; edges are segments
("segment" shapes, tagged ``edge:<u>-<v>``) between the node circles, with an arrowhead if
``directed`` and the weight beside the edge's middle.

Example (a weighted triangle plus a pendant node)::

    sc = Scene()
    sc.add(Graph({"A": (80, 300), "B": (300, 300), "C": (190, 90), "D": (330, 120)},
                 [("A", "B", 7), ("B", "C", 4), ("C", "A", 5), ("C", "D", 2)]))

:func:`circle_layout` and :func:`random_layout` place nodes for generated graphs.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from svemath.data.drawlist import DrawList, Fill, Pt, ShapeBox, Stroke, arc_points, dist, polar, unit
from svemath.data.elements import side_gap
from svemath.data.plots import format_number
from svemath.data.scene import Ctx, Element, as_xy, side_label_candidates

Edge = tuple[str, str] | tuple[str, str, float]


@dataclass
class Graph(Element):
    """``nodes``: name -> logical position; ``edges``: (u, v) or (u, v, weight)."""

    nodes: dict[str, Pt]
    edges: Sequence[Edge]
    directed: bool = False
    node_radius: float = 0.0  # 0: automatic (fits the longest name)

    def __post_init__(self) -> None:
        self.nodes = {k: as_xy(v) for k, v in self.nodes.items()}
        for e in self.edges:
            for n in e[:2]:
                if n not in self.nodes:
                    raise ValueError(f"Graph: edge {e!r} names unknown node {n!r}")

    def compile(self, ctx: Ctx) -> DrawList:
        from svemath.data.fonts import text_mask

        dl = DrawList()
        ink = ctx.style.color(self.color)
        width = ctx.width(self)
        longest = max((text_mask(ctx.style.font, ctx.style.font_px, n).width for n in self.nodes), default=10)
        tall = text_mask(ctx.style.font, ctx.style.font_px, "H").height
        r = self.node_radius or ctx.units(math.hypot(longest, tall) / 2 + 5.0)
        for e in self.edges:
            u, v = e[0], e[1]
            pu, pv = self.nodes[u], self.nodes[v]
            d = unit(pu, pv)
            a = (pu[0] + d[0] * r, pu[1] + d[1] * r)
            b = (pv[0] - d[0] * r, pv[1] - d[1] * r)
            if dist(pu, pv) <= 2 * r:
                continue
            dl.strokes.append(Stroke([a, b], ink, width, self.dash, arrow_end=self.directed))
            dl.shapes.append(ShapeBox("segment", [a, b], pad=width / 2, tag=f"edge:{u}-{v}"))
            if len(e) > 2:
                centre = ((pu[0] + pv[0]) / 2, (pu[1] + pv[1]) / 2)
                cands = side_label_candidates(a, b, self._centroid())
                req = self._label(
                    ctx,
                    format_number(float(e[2])),
                    centre,
                    candidates=cands,
                    gap=side_gap(ctx, self),
                    priority=1,
                    refers=(pu, pv),  # the node names, anchored at the node centres
                )
                req.tag = f"weight:{u}-{v}"
                dl.labels.append(req)
        fill = ctx.fill_color(self) or ctx.style.background
        for name, p in self.nodes.items():
            pts = arc_points(p, r, 0.0, 360.0)[:-1]
            dl.fills.append(Fill(pts, fill, 1.0))
            dl.strokes.append(Stroke(pts, ctx.stroke_color(self), width, closed=True, smooth=True))
            dl.shapes.append(ShapeBox("node", pts, pad=width / 2, tag=f"node:{name}"))
            req = self._label(ctx, name, p, mode="fixed", align=(0.5, 0.5), priority=3)
            req.tag = f"node:{name}"
            dl.labels.append(req)
        return dl

    def _centroid(self) -> Pt:
        ps = list(self.nodes.values())
        return (sum(p[0] for p in ps) / len(ps), sum(p[1] for p in ps) / len(ps))


def circle_layout(names: Sequence[str], center: Pt, radius: float, start_deg: float = 90.0) -> dict[str, Pt]:
    """Nodes evenly on a circle, the first at ``start_deg``, going clockwise."""
    n = len(names)
    return {name: polar(center, radius, start_deg - 360.0 * i / n) for i, name in enumerate(names)}


def random_layout(
    names: Sequence[str], box: tuple[float, float, float, float], rng: random.Random, min_dist: float = 80.0
) -> dict[str, Pt]:
    """Nodes at random positions in ``box`` at least ``min_dist`` apart (relaxed if crowded)."""
    x0, y0, x1, y1 = box
    out: dict[str, Pt] = {}
    for name in names:
        need = min_dist
        for attempt in range(400):
            p = (rng.uniform(x0, x1), rng.uniform(y0, y1))
            if all(dist(p, q) >= need for q in out.values()):
                break
            if attempt % 100 == 99:
                need *= 0.8
        out[name] = p
    return out
