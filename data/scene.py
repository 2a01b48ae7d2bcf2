"""The diagram scene model: a :class:`Scene` holds element dataclasses in logical coordinates.

Coordinates are floats in the scene's logical canvas (``Scene(width, height)``, default 384 x 384),
x to the right and **y down**, like image pixels. Directions and arc angles are degrees
counter-clockwise on screen (90 = up), the same convention as the junction annotations.
The renderer (``svemath.data.render.render``) maps the logical canvas onto the output image (any
size, ``Style.width`` x ``Style.height``) through one similarity transform (fit + the style's small
rotation/scale/shift; ``Scene.rotation_limit`` caps the rotation, e.g. 0-3 degrees for charts), so all
annotations stay exact. Text stays upright and keeps its pixel size (>= 4.5% of the image side).

Elements (all dataclasses; builder methods of :class:`Scene` add one and return it):

- geometry (``svemath.data.geometry``): :class:`Point` (dot + name), :class:`Segment`, :class:`Ray`,
  :class:`Line` (clipped to the image), :class:`Polygon` (class auto-classified: "right triangle",
  "rhombus", ...; ``side_labels``), :class:`Circle`, :class:`Ellipse`, :class:`Arc`, :class:`Sector`;
- marks (``svemath.data.marks``): :class:`AngleMark` (arcs + value label on the bisector),
  :class:`RightAngleMark`, :class:`EqualTicks`, :class:`ParallelMarks`, :class:`Text` (fixed or
  placed near an anchor), :class:`SideLabel` (a length beside a segment, no line), :class:`Curve`;
- ``svemath.data.plots``: ``Axes`` (+ ``axes.curve(f)``, ``axes.point(x, y)``, ``axes.guides``);
  ``svemath.data.charts``: ``BarChart``, ``LineChart``, ``PieChart``, ``ScatterChart``, ``Table``;
  ``svemath.data.graphs``: ``Graph``; ``svemath.data.solids``: ``Solid`` (cube, cuboid, cylinder, cone,
  sphere, prism, pyramid); ``svemath.data.pictograms``: ``Icon``, ``pictogram``;
  :class:`Group` / ``Scene.as_group`` places a whole scene, scaled, inside another (insets).

Every element takes the keyword-only style overrides of :class:`Element`: ``color`` (RGB tuple or a
palette index), ``weight`` (multiplies the style's line width), ``dash`` ("solid" | "dashed" |
"dotted"), ``fill`` (RGB, palette index or "shade"), ``opacity``, ``hatch`` ("/", "\\\\", "x", "-",
"|"), ``text_color``, and the semantic tags ``role`` (the whole element is left out when rendered with
``hide_roles={role}``), ``label_role`` (only its text label is left out) and ``tag`` (a free id,
copied to ``Rendered.shapes[i].tag`` / ``Rendered.texts[i].tag``). MathVerse-style essential conditions
are switched between text and diagram that way.

Worked example (a triangle with named vertices, an angle value that is a condition, a side length)::

    import random
    from svemath.data.scene import Scene
    from svemath.data.style import Style, sample_style
    from svemath.data.render import render

    sc = Scene(384, 384)
    A = sc.point(70, 300, "A")                    # Point elements work wherever a position is expected
    B = sc.point(320, 300, "B")
    C = sc.point(150, 90, "C", marked=False)      # a name without a dot
    sc.polygon([A, B, C])                         # shape class "triangle" (classified from the vertices)
    sc.angle(A, B, C, "47°", label_role="condition")   # arc at A between AB and AC, value on the bisector
    sc.side_label(A, B, "12 cm", away=C)          # length label beside AB, on the side away from C
    D = sc.point(150, 300, "D")
    sc.segment(C, D, dash="dashed")               # altitude: T junction at D
    sc.right_angle(D, B, C)                       # right-angle mark at D between DB and DC
    out = render(sc, sample_style(random.Random(0)))
    out.image, out.boundary                       # PIL "RGB" image, PIL "L" boundary map (255 = stroke)
    ann = out.annotations()                       # {"shapes", "junctions", "texts", "boundary": "@edge"}
    assert out.text_box("47°") is not None and not out.dropped
    plain = render(sc, Style.clean(), hide_roles={"condition"})   # same figure, "47°" not drawn
    assert plain.text_box("47°") is None

``out.dropped`` lists labels that found no free place (a family that needs every label can check it
and redraw). ``angle_between(vertex, p, q)`` recomputes an angle from positions (for answer checks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from svemath.data.drawlist import DrawList, Pt, direction_deg, sweep_between
from svemath.data.elements import Ctx, Element, as_xy, side_label_candidates
from svemath.data.geometry import Arc, Circle, Ellipse, Line, Point, Polygon, Ray, Sector, Segment
from svemath.data.marks import AngleMark, Curve, EqualTicks, ParallelMarks, RightAngleMark, SideLabel, Text
from svemath.data.polygons import regular_polygon
from svemath.data.style import Style

# fmt: off
SHAPE_CLASSES: tuple[str, ...] = (
    "point", "segment", "ray", "line", "polyline", "curve",
    "triangle", "right triangle", "isosceles triangle", "equilateral triangle",
    "square", "rectangle", "parallelogram", "rhombus", "trapezoid", "kite", "quadrilateral",
    "pentagon", "hexagon", "heptagon", "octagon", "polygon",
    "circle", "ellipse", "arc", "sector", "angle mark", "right angle mark",
    "axes", "bar", "pie wedge", "table", "node", "star",
    "cube", "cuboid", "cylinder", "cone", "sphere", "prism", "pyramid",
)  # the shape annotation classes, in a fixed order (append only)
# fmt: on


@dataclass
class Group(Element):
    """Child elements (in their own logical coordinates) scaled by ``scale`` and moved by ``offset``
    into this scene: ``p -> offset + scale * p``. ``side``: the children's logical canvas side (for
    default mark sizes; 0 = this scene's side / scale). ``text_scale``: the children's text size as a
    multiple of the style's (text does not shrink with ``scale``; an inset chart keeps its labels
    apart with, e.g., 0.75); children measure their text at that size too. ``Scene.as_group`` builds
    one from a scene."""

    elements: list[Element]
    offset: Pt = (0.0, 0.0)
    scale: float = 1.0
    side: float = 0.0
    text_scale: float = 1.0

    def compile(self, ctx: Ctx) -> DrawList:
        style = ctx.style
        if self.text_scale != 1.0:
            style = replace(style, font_px=max(6, round(style.font_px * self.text_scale)))
        side = self.side or ctx.side / self.scale
        child = Ctx(style, side, ctx.unit_px * self.scale, ctx.hidden, ctx._stroke_i, (side, side))
        out = DrawList()
        for el in self.elements:
            if not (el.role and el.role in ctx.hidden):
                out.extend(el.compile(child))
        ctx._stroke_i = child._stroke_i
        if self.text_scale != 1.0:
            for lab in out.labels:
                lab.size_scale *= self.text_scale
        ox, oy, k = self.offset[0], self.offset[1], self.scale

        def m(p: Pt) -> Pt:
            return (ox + k * p[0], oy + k * p[1])

        for s in out.strokes:
            s.points = [m(p) for p in s.points]
        for f in out.fills:
            f.points = [m(p) for p in f.points]
        for d in out.dots:
            d.center = m(d.center)
        for sh in out.shapes:
            sh.points = [m(p) for p in sh.points]
        for lab in out.labels:
            lab.anchor = m(lab.anchor)
            lab.candidates = [(m(c), u) for c, u in lab.candidates]
            lab.refers = tuple(m(p) for p in lab.refers)
        return out


# === the scene ===
@dataclass
class Scene:
    """A diagram: logical canvas size and an ordered list of elements (drawn in order; all fills are
    drawn under all strokes, texts on top). Builder methods add an element and return it."""

    width: int = 384
    height: int = 384
    elements: list[Element] = field(default_factory=list)
    rotation_limit: float = 180.0  # caps the style's random rotation (e.g. 0 for charts and tables)

    def add(self, element: Element) -> Any:
        self.elements.append(element)
        return element

    def point(self, x: float, y: float, label: str = "", **kw: Any) -> Point:
        return self.add(Point((x, y), label, **kw))

    def segment(self, a: Pt, b: Pt, label: str = "", **kw: Any) -> Segment:
        return self.add(Segment(a, b, label, **kw))

    def ray(self, a: Pt, through: Pt, **kw: Any) -> Ray:
        return self.add(Ray(a, through, **kw))

    def line(self, a: Pt, b: Pt, **kw: Any) -> Line:
        return self.add(Line(a, b, **kw))

    def polygon(self, vertices: Sequence[Pt], kind: str = "", **kw: Any) -> Polygon:
        return self.add(Polygon(list(vertices), kind, **kw))

    def regular_polygon(
        self, center: Pt, radius: float, n: int, start_deg: float = 90.0, **kw: Any
    ) -> Polygon:
        return self.add(Polygon(regular_polygon(as_xy(center), radius, n, start_deg), **kw))

    def circle(self, center: Pt, r: float, **kw: Any) -> Circle:
        return self.add(Circle(center, r, **kw))

    def arc(self, center: Pt, r: float, start: float, end: float, **kw: Any) -> Arc:
        return self.add(Arc(center, r, start, end, **kw))

    def sector(self, center: Pt, r: float, start: float, end: float, **kw: Any) -> Sector:
        return self.add(Sector(center, r, start, end, **kw))

    def angle(self, vertex: Pt, p1: Pt, p2: Pt, label: str = "", **kw: Any) -> AngleMark:
        """Mark the angle p1-vertex-p2 (e.g. ``sc.angle(B, A, C, "47°")`` marks angle BAC at A)."""
        return self.add(AngleMark(vertex, p1, p2, label, **kw))

    def right_angle(self, vertex: Pt, p1: Pt, p2: Pt, **kw: Any) -> RightAngleMark:
        return self.add(RightAngleMark(vertex, p1, p2, **kw))

    def equal_ticks(self, a: Pt, b: Pt, count: int = 1, **kw: Any) -> EqualTicks:
        return self.add(EqualTicks(a, b, count, **kw))

    def parallel_marks(self, a: Pt, b: Pt, count: int = 1, **kw: Any) -> ParallelMarks:
        return self.add(ParallelMarks(a, b, count, **kw))

    def side_label(self, a: Pt, b: Pt, text: str, away: Pt | None = None, **kw: Any) -> SideLabel:
        """Label segment ab with ``text`` (a length) on the side away from ``away``; draws no line."""
        return self.add(SideLabel(a, b, text, away, **kw))

    def text(self, anchor: Pt, text: str, **kw: Any) -> Text:
        return self.add(Text(anchor, text, **kw))

    def curve(self, points: Sequence[Pt], **kw: Any) -> Curve:
        return self.add(Curve(list(points), **kw))

    def as_group(self, offset: Pt, scale: float, text_scale: float = 1.0) -> Group:
        """This scene's elements as one element of another scene (e.g. an inset chart)."""
        return Group(list(self.elements), as_xy(offset), scale, min(self.width, self.height), text_scale)

    def compile(self, style: Style, hide_roles: Sequence[str] = ()) -> DrawList:
        """All elements' draw lists, minus elements (and labels) whose role is in ``hide_roles``."""
        unit_px = min(style.width / self.width, style.height / self.height) * style.scale
        hidden = frozenset(hide_roles)
        ctx = Ctx(style, min(self.width, self.height), unit_px, hidden, canvas=(self.width, self.height))
        out = DrawList()
        for el in self.elements:
            if el.role and el.role in hidden:
                continue
            dl = el.compile(ctx)
            dl.labels = [lab for lab in dl.labels if not (lab.role and lab.role in hidden)]
            out.extend(dl)
        return out


def angle_between(vertex: Pt, p1: Pt, p2: Pt) -> float:
    """The (non-reflex) angle p1-vertex-p2 in degrees."""
    return abs(sweep_between(direction_deg(vertex, p1), direction_deg(vertex, p2)))


__all__ = [
    "SHAPE_CLASSES",
    "AngleMark",
    "Arc",
    "Circle",
    "Ctx",
    "Curve",
    "Element",
    "Ellipse",
    "EqualTicks",
    "Group",
    "Line",
    "ParallelMarks",
    "Point",
    "Polygon",
    "Ray",
    "RightAngleMark",
    "Scene",
    "Sector",
    "Segment",
    "SideLabel",
    "Text",
    "angle_between",
    "as_xy",
    "side_label_candidates",
]
