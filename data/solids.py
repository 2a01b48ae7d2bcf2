"""3-D solids drawn in oblique (cabinet) projection, hidden edges dashed.

Polyhedra (``cube``, ``cuboid``, ``prism`` (triangular), ``pyramid`` (square base)) are built from 3-D
vertices and faces; an edge is hidden when both faces meeting there face away from the viewer of the
oblique projection (depth recedes up and to the right at ``depth_angle`` degrees, foreshortened by
``depth_ratio``). Round solids (``cylinder``, ``cone``, ``sphere``) use the textbook convention:
horizontal circles drawn as axis-aligned ellipses, the back half of each base dashed, the cone's
sides exactly tangent to its base ellipse.

3-D axes: x to the right, y up, z away from the viewer; ``base`` is the logical position of the
projected centre of the base (bottom) of the solid. Sizes are logical units: ``a`` width (x),
``b`` depth (z), ``c`` height (y); round solids use ``r`` and ``c`` (height).

Labels: ``labels`` maps an edge name to its text: "a" (front bottom edge), "b" (right receding
bottom edge), "c" (front right vertical edge, or the height of a cone/cylinder), "r" (a radius,
drawn dashed for cones, cylinders and spheres).

Example::

    sc = Scene()
    sc.add(Solid("cuboid", base=(180, 300), a=160, b=110, c=120, labels={"a": "8 cm", "b": "5 cm", "c": "6 cm"}))
    sc2 = Scene()
    sc2.add(Solid("cone", base=(192, 300), r=90, c=200, labels={"r": "3", "c": "7"}))
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from svemath.data.drawlist import DrawList, Pt, ShapeBox, Stroke, ellipse_points
from svemath.data.elements import side_gap
from svemath.data.scene import Ctx, Element, as_xy, side_label_candidates

SOLID_KINDS = ("cube", "cuboid", "prism", "pyramid", "cylinder", "cone", "sphere")
V3 = tuple[float, float, float]


def _polyhedron(kind: str, a: float, b: float, c: float) -> tuple[list[V3], list[list[int]]]:
    """Vertices and faces (any orientation) of a polyhedron with base centre at the origin."""
    ha, hb = a / 2, b / 2
    if kind in ("cube", "cuboid"):
        v = [(-ha, 0, -hb), (ha, 0, -hb), (ha, c, -hb), (-ha, c, -hb),
             (-ha, 0, hb), (ha, 0, hb), (ha, c, hb), (-ha, c, hb)]  # fmt: skip
        faces = [[0, 1, 2, 3], [4, 5, 6, 7], [0, 1, 5, 4], [3, 2, 6, 7], [0, 3, 7, 4], [1, 2, 6, 5]]
        return v, faces
    if kind == "prism":  # triangular faces front (z=-b/2) and back
        v = [(-ha, 0, -hb), (ha, 0, -hb), (0, c, -hb), (-ha, 0, hb), (ha, 0, hb), (0, c, hb)]
        faces = [[0, 1, 2], [3, 4, 5], [0, 1, 4, 3], [1, 2, 5, 4], [2, 0, 3, 5]]
        return v, faces
    if kind == "pyramid":
        v = [(-ha, 0, -hb), (ha, 0, -hb), (ha, 0, hb), (-ha, 0, hb), (0, c, 0)]
        faces = [[0, 1, 2, 3], [0, 1, 4], [1, 2, 4], [2, 3, 4], [3, 0, 4]]
        return v, faces
    raise ValueError(f"unknown polyhedron {kind!r}")


@dataclass
class Solid(Element):
    """A 3-D solid of ``kind`` (SOLID_KINDS). ``hidden``: draw hidden edges dashed (False: omit)."""

    kind: str
    base: Pt
    a: float = 140.0
    b: float = 100.0
    c: float = 120.0
    r: float = 70.0
    depth_angle: float = 40.0
    depth_ratio: float = 0.5
    ellipse_ratio: float = 0.3  # round solids: vertical/horizontal axis ratio of the base ellipses
    hidden: bool = True
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.base = as_xy(self.base)
        if self.kind not in SOLID_KINDS:
            raise ValueError(f"Solid: unknown kind {self.kind!r}; known: {', '.join(SOLID_KINDS)}")

    def project(self, p: V3) -> Pt:
        k, al = self.depth_ratio, math.radians(self.depth_angle)
        return (self.base[0] + p[0] + p[2] * k * math.cos(al), self.base[1] - p[1] - p[2] * k * math.sin(al))

    def compile(self, ctx: Ctx) -> DrawList:
        if self.kind in ("cylinder", "cone", "sphere"):
            return self._round(ctx)
        a = b = c = self.a if self.kind == "cube" else 0.0
        if self.kind != "cube":
            a, b, c = self.a, self.b, self.c
        verts, faces = _polyhedron(self.kind, a, b, c)
        k, al = self.depth_ratio, math.radians(self.depth_angle)
        view = (k * math.cos(al), k * math.sin(al), -1.0)  # towards the viewer
        centre = tuple(sum(v[i] for v in verts) / len(verts) for i in range(3))
        front = []
        for f in faces:
            p0, p1, p2 = (verts[i] for i in f[:3])
            u = [p1[i] - p0[i] for i in range(3)]
            w = [p2[i] - p0[i] for i in range(3)]
            n = (u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0])
            fc = [sum(verts[i][j] for i in f) / len(f) for j in range(3)]
            if sum(n[j] * (fc[j] - centre[j]) for j in range(3)) < 0:  # orient outwards
                n = (-n[0], -n[1], -n[2])
            front.append(sum(n[j] * view[j] for j in range(3)) > 1e-9)
        edges: dict[tuple[int, int], bool] = {}
        for f, vis in zip(faces, front, strict=True):
            for i in range(len(f)):
                e = tuple(sorted((f[i], f[(i + 1) % len(f)])))
                edges[e] = edges.get(e, False) or vis  # type: ignore[index]
        pts2 = [self.project(v) for v in verts]
        dl = DrawList()
        ink, width = ctx.stroke_color(self), ctx.width(self)
        fill = ctx.fill_color(self)
        if fill is not None:
            from svemath.data.drawlist import Fill

            for f, vis in zip(faces, front, strict=True):
                if vis:
                    dl.fills.append(Fill([pts2[i] for i in f], fill, self.opacity))
        for (i, j), vis in edges.items():
            if vis or self.hidden:
                dl.strokes.append(Stroke([pts2[i], pts2[j]], ink, width, "solid" if vis else "dashed"))
        cls = "cube" if self.kind == "cube" else self.kind
        dl.shapes.append(ShapeBox(cls, pts2, pad=width / 2, tag=self.tag))
        # label edges: (vertex i, vertex j, 3-D point the label keeps away from)
        front_c = (0.0, c / 3, -b / 2)
        named: dict[str, tuple[int, int, V3]] = {"a": (0, 1, front_c)}
        if self.kind in ("cube", "cuboid"):
            named["b"] = (1, 5, (a / 2, c / 2, 0.0))
            named["c"] = (0, 3, (0.0, c / 2, -b / 2))
        elif self.kind == "prism":
            named["b"] = (1, 4, (a / 4, c / 2, 0.0))
        else:
            named["b"] = (1, 2, (0.0, 0.0, 0.0))
        for key, text in self.labels.items():
            if key == "c" and self.kind in ("prism", "pyramid"):  # height: a dashed altitude
                z = 0.0 if self.kind == "pyramid" else -b / 2
                top, foot = self.project((0, c, z)), self.project((0, 0, z))
                dl.strokes.append(Stroke([top, foot], ink, width * 0.8, "dashed"))
                cands = side_label_candidates(foot, top, self.project((-a, 0, z)))
                dl.labels.append(
                    self._label(ctx, text, foot, candidates=cands, gap=side_gap(ctx, self), reserve=True)
                )
            elif key in named:
                i, j, away = named[key]
                p, q = pts2[i], pts2[j]
                cands = side_label_candidates(p, q, self.project(away))
                dl.labels.append(
                    self._label(ctx, text, p, candidates=cands, gap=side_gap(ctx, self), reserve=True)
                )
        return dl

    def _round(self, ctx: Ctx) -> DrawList:
        dl = DrawList()
        ink, width = ctx.stroke_color(self), ctx.width(self)
        bx, by = self.base
        r, h, e = self.r, self.c, self.ellipse_ratio
        ry = r * e
        hidden = "dashed"

        def add(pts: list[Pt], dash: str = "solid", smooth: bool = True, closed: bool = False) -> None:
            if dash == hidden and not self.hidden:
                return
            dl.strokes.append(Stroke(pts, ink, width, dash, smooth=smooth, closed=closed))  # type: ignore[arg-type]

        outline: list[Pt] = []
        if self.kind == "cylinder":
            top = (bx, by - h)
            add(ellipse_points(top, r, ry)[:-1], closed=True)
            add(ellipse_points(self.base, r, ry, 180.0, 180.0))
            add(ellipse_points(self.base, r, ry, 0.0, 180.0), hidden)
            add([(bx - r, by), (bx - r, by - h)], smooth=False)
            add([(bx + r, by), (bx + r, by - h)], smooth=False)
            outline = [(bx - r, by + ry), (bx + r, by - h - ry)]
            height = ((bx + r, by), (bx + r, by - h))
            radius_from = top
        elif self.kind == "cone":
            apex = (bx, by - h)
            t0 = math.degrees(math.asin(min(1.0, ry / h))) if h > 0 else 0.0
            add(ellipse_points(self.base, r, ry, 180.0 - t0, 180.0 + 2 * t0))
            add(ellipse_points(self.base, r, ry, t0, 180.0 - 2 * t0), hidden)
            left = (bx + r * math.cos(math.radians(180 - t0)), by - ry * math.sin(math.radians(180 - t0)))
            right = (bx + r * math.cos(math.radians(t0)), by - ry * math.sin(math.radians(t0)))
            add([left, apex, right], smooth=False)
            outline = [(bx - r, by + ry), (bx + r, apex[1])]
            height = (self.base, apex)
            if "c" in self.labels:
                add([apex, self.base], hidden if self.hidden else "solid", smooth=False)
            radius_from = self.base
        else:  # sphere
            centre = (bx, by - r)
            add(ellipse_points(centre, r, r)[:-1], closed=True)
            add(ellipse_points(centre, r, ry, 180.0, 180.0))
            add(ellipse_points(centre, r, ry, 0.0, 180.0), hidden)
            outline = [(bx - r, by - 2 * r), (bx + r, by)]
            height = None
            radius_from = centre
        if "r" in self.labels:
            end = (radius_from[0] + r, radius_from[1])
            add([radius_from, end], "dashed" if self.kind != "cylinder" else "solid", smooth=False)
            cands = side_label_candidates(radius_from, end, (radius_from[0], radius_from[1] + 10))
            dl.labels.append(
                self._label(
                    ctx,
                    self.labels["r"],
                    radius_from,
                    candidates=cands,
                    gap=side_gap(ctx, self),
                    reserve=True,
                )
            )
        if "c" in self.labels and height is not None:
            p, q = height
            if self.kind == "cone":
                # beside the slant side a label would read as the slant height: the height gets a
                # dimension line just right of the cone (apex level to base level) and its label
                # right of that line
                x = bx + r + ctx.units(10.0)
                tick = ctx.units(4.0)
                dim = [(x, q[1]), (x, p[1])]
                dl.strokes.append(Stroke(dim, ink, max(1.0, width * 0.6), junctions=False))
                for y in (q[1], p[1]):
                    dl.strokes.append(
                        Stroke([(x - tick, y), (x + tick, y)], ink, max(1.0, width * 0.6), junctions=False)
                    )
                p, q = dim[1], dim[0]
                away = (x - 10, (p[1] + q[1]) / 2)
            else:
                away = (p[0] - 10, p[1]) if self.kind == "cylinder" else (p[0] + r, p[1])
            dl.labels.append(
                self._label(
                    ctx,
                    self.labels["c"],
                    p,
                    candidates=side_label_candidates(p, q, away),
                    gap=side_gap(ctx, self),
                    reserve=True,
                )
            )
        dl.shapes.append(ShapeBox(self.kind, outline, pad=width / 2, tag=self.tag))
        return dl
