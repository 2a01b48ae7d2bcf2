"""Fast PIL renderer: a :class:`~svemath.data.scene.Scene` + a :class:`~svemath.data.style.Style` ->
the RGB image and its exact annotations (:class:`Rendered`).

Pipeline (all deterministic; no global RNG):
1. compile the scene's elements into a draw list (logical coordinates);
2. map the geometry into the image with one similarity transform: the logical canvas fitted into the
   image, then the style's rotation/scale/shift, then shrunk and moved if needed so every finite
   stroke and every fixed label (tick labels, titles, table cells) stays inside the image; lines and
   rays are clipped to the image border;
3. draw paper texture, fills (with opacity/hatching), strokes (dashes, arrowheads) and dots, at
   ``style.supersample`` x then reduced (anti-aliasing); strokes and dots also go to the boundary map;
4. place the text labels without overlap (``svemath.data.layout``) and paste them;
5. image-only degradations (Gaussian noise, JPEG), which never move anything;
6. junctions, computed geometrically from the transformed strokes (``svemath.data.junctions``) on
   first use of ``Rendered.junctions`` (records that carry only shapes and texts skip them).

:func:`dropped_labels` runs steps 1, 2 and 4 on the boundary map alone (no image): a cheap check of
whether a style leaves every label a place.

Annotation conventions (INTERFACES.md): continuous pixel coordinates of the output image, pixel
(i, j) covering [i, i+1] x [j, j+1]. Shape boxes are the geometric extent grown by half the stroke
width (the ink extent); text boxes are the exact ink box of the glyphs. The boundary map is 255 on
every drawn stroke and dot (outlines of shapes, lines, curves, axes, marks; the same dash pattern and
width) and 0 elsewhere: it does **not** include text glyphs, region fills or hatching, plot grid
lines, or the paper texture. PIL draws at integer coordinates, so the raster follows the exact geometry
to within about a pixel (half with supersampling). Text is drawn upright (only its anchor rotates with
the geometry); a label that finds no free place is left out and listed in ``Rendered.dropped``.

Example::

    out = render(scene, sample_style(random.Random(0)))
    out.image, out.boundary, out.annotations(boundary="@edge")
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from PIL import Image

from svemath.data.draw import degrade, draw_geometry
from svemath.data.drawlist import DrawList, LabelRequest, Pt, Stroke
from svemath.data.fonts import TextMask, text_mask
from svemath.data.junctions import Junction, StrokeSet
from svemath.data.layout import ImageLabel, PlacedText, Placer
from svemath.data.scene import Scene
from svemath.data.style import Style


@dataclass(frozen=True)
class Similarity:
    """x' = a x + b y + tx, y' = -b x + a y + ty (rotation CCW on screen by atan2(b, a), scale hypot)."""

    a: float = 1.0
    b: float = 0.0
    tx: float = 0.0
    ty: float = 0.0

    @property
    def scale(self) -> float:
        return math.hypot(self.a, self.b)

    @property
    def rotation_deg(self) -> float:
        return math.degrees(math.atan2(self.b, self.a))

    def __call__(self, p: Pt) -> Pt:
        return (self.a * p[0] + self.b * p[1] + self.tx, -self.b * p[0] + self.a * p[1] + self.ty)

    def map(self, pts: Sequence[Pt]) -> list[Pt]:
        """Many points at once (the same arithmetic as calling the transform on each)."""
        a, b, tx, ty = self.a, self.b, self.tx, self.ty
        return [(a * x + b * y + tx, -b * x + a * y + ty) for x, y in pts]

    def vector(self, v: Pt) -> Pt:
        """A direction mapped and normalised."""
        x, y = self.a * v[0] + self.b * v[1], -self.b * v[0] + self.a * v[1]
        n = math.hypot(x, y) or 1.0
        return (x / n, y / n)

    def then(self, scale: float, center: Pt, shift: Pt = (0.0, 0.0)) -> Similarity:
        """This transform followed by scaling about ``center`` and a shift."""
        return Similarity(
            self.a * scale,
            self.b * scale,
            center[0] + scale * (self.tx - center[0]) + shift[0],
            center[1] + scale * (self.ty - center[1]) + shift[1],
        )


@dataclass
class ShapeAnnotation:
    cls: str
    box: tuple[float, float, float, float]
    tag: str = ""


ANNOTATION_PARTS = ("shapes", "junctions", "texts", "boundary")


@dataclass
class Rendered:
    """The image, its boundary map and its annotations (image pixel coordinates).

    ``junctions`` are computed on first use (from the mapped strokes kept in ``strokes``): suites whose
    records carry only shapes and texts never pay for them."""

    image: Image.Image
    boundary: Image.Image
    shapes: list[ShapeAnnotation]
    texts: list[PlacedText]
    dropped: list[str] = field(default_factory=list)  # labels that found no free place
    transform: Similarity = field(default_factory=Similarity)
    strokes: StrokeSet | None = field(default=None, repr=False)

    @cached_property
    def junctions(self) -> list[Junction]:
        if self.strokes is None:
            return []
        return self.strokes.junctions(self.image.width, self.image.height)

    def annotations(self, boundary: str = "@edge", parts: Sequence[str] = ANNOTATION_PARTS) -> dict[str, Any]:
        """The DESIGN.md annotation dict (``boundary`` is the edge image's reference); ``parts`` selects
        keys (e.g. ``("shapes", "texts")`` for lite records: junctions are then not computed). A text
        that is about other texts also has ``"refers"``: their indices (a side's length -> the names of
        its ends, an angle's value -> its vertex's name, a bar's value -> its category, a table cell ->
        its column header and row name, an edge weight -> its nodes, a pie percentage -> its legend name)."""
        out: dict[str, Any] = {}
        if "shapes" in parts:
            out["shapes"] = [{"cls": s.cls, "box": [round(v, 2) for v in s.box]} for s in self.shapes]
        if "junctions" in parts:
            out["junctions"] = [
                {"xy": [round(j.xy[0], 2), round(j.xy[1], 2)], "angles": j.angles} for j in self.junctions
            ]
        if "texts" in parts:
            out["texts"] = [
                {"box": list(t.box), "text": t.text, **({"refers": list(t.refers)} if t.refers else {})}
                for t in self.texts
            ]
        if "boundary" in parts:
            out["boundary"] = boundary
        return out

    def text_box(self, text: str) -> tuple[int, int, int, int] | None:
        """The box of the first drawn label with this string (None if not drawn)."""
        return next((t.box for t in self.texts if t.text == text), None)


# === geometry mapping ===
def _content_points(dl: DrawList) -> list[Pt]:
    pts: list[Pt] = []
    for s in dl.strokes:
        if not s.infinite:
            pts += s.points
    for f in dl.fills:
        pts += f.points
    for d in dl.dots:
        pts.append(d.center)
    for sh in dl.shapes:
        pts += sh.points
    return pts


Extent = tuple[Pt, float, float, float, float]  # logical anchor, pixels left, top, right, bottom of it
MIN_FIT = 0.5  # the fit never shrinks the geometry below this (labels keep their size)
MIN_FIT_RESERVE = 0.85  # reserved label room may shrink the geometry by at most this much more


class _Extents:
    """Points (logical) with the pixel room each needs around it, for fitting a transform."""

    def __init__(self, pts: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        self.pts, self.lo, self.hi = pts, lo, hi

    @classmethod
    def of(cls, pts: list[Pt], pad: float, boxes: Sequence[Extent]) -> _Extents:
        xy = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        anchors = np.asarray([a for a, *_ in boxes], dtype=np.float64).reshape(-1, 2)
        ext = np.asarray([e for _, *e in boxes], dtype=np.float64).reshape(-1, 4) + 2.0
        lo = np.concatenate([np.full((len(xy), 2), pad), ext[:, :2]])
        hi = np.concatenate([np.full((len(xy), 2), pad), ext[:, 2:]])
        return cls(np.concatenate([xy, anchors]), lo, hi)

    def bounds(self, t: Similarity) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1): the image region these points and their room cover under ``t``."""
        if not len(self.pts):
            return (math.inf, math.inf, -math.inf, -math.inf)
        mx = t.a * self.pts[:, 0] + t.b * self.pts[:, 1] + t.tx
        my = -t.b * self.pts[:, 0] + t.a * self.pts[:, 1] + t.ty
        return (
            float((mx - self.lo[:, 0]).min()),
            float((my - self.lo[:, 1]).min()),
            float((mx + self.hi[:, 0]).max()),
            float((my + self.hi[:, 1]).max()),
        )


def _shrink_to_fit(t: Similarity, ext: _Extents, w: float, h: float, floor: float) -> Similarity:
    """Shrink ``t`` (about the covered region's centre) until ``ext`` fits a w x h image, never below
    ``floor`` times its scale (labels do not shrink with the geometry, so it may not converge)."""
    start = t.scale
    for _ in range(6):
        x0, y0, x1, y1 = ext.bounds(t)
        f = min(1.0, w / max(x1 - x0, 1e-6), h / max(y1 - y0, 1e-6))
        if f >= 0.999:
            break
        # labels do not shrink with the geometry: shrink a little more than the overall ratio
        f = max(f - 0.01, floor * start / t.scale)
        if f >= 0.999:
            break
        t = t.then(f, ((x0 + x1) / 2, (y0 + y1) / 2))
    return t


def _shift_range(b: tuple[float, float, float, float], w: float, h: float) -> tuple[float, ...]:
    """(dx_lo, dx_hi, dy_lo, dy_hi): shifts keeping the region ``b`` inside the image (if it fits)."""
    x0, y0, x1, y1 = b
    return (-x0, w - x1, -y0, h - y1)


def _clamp(v: float, lo: float, hi: float) -> float:
    if lo > hi:  # does not fit: centre it
        return (lo + hi) / 2
    return min(max(v, lo), hi)


def fit_transform(
    dl: DrawList,
    scene: Scene,
    style: Style,
    fixed_boxes: Sequence[Extent] = (),
    reserved_boxes: Sequence[Extent] = (),
) -> Similarity:
    """Logical canvas -> image, with the style's rotation/scale/shift, kept inside the margins.

    ``fixed_boxes``: (logical anchor, left, top, right, bottom) pixel extents of fixed labels around
    their anchors: they must fit in the image too (their size does not scale with the geometry), like
    the geometry (shrunk at most to ``MIN_FIT``). ``reserved_boxes``: the room wanted by labels placed
    beside the geometry (see :func:`label_extents`), honoured as far as a further shrink to
    ``MIN_FIT_RESERVE`` and a shift that keeps everything else inside allow."""
    w, h = style.width, style.height
    s0 = min(w / scene.width, h / scene.height)
    base = Similarity(s0, 0.0, w / 2 - s0 * scene.width / 2, h / 2 - s0 * scene.height / 2)
    limit = scene.rotation_limit
    th = math.radians(max(-limit, min(limit, style.rotation_deg)))
    center = (w / 2, h / 2)
    rot = Similarity(math.cos(th), math.sin(th), 0.0, 0.0)
    # rotate about the image centre: T = R (base(p) - c) + c, then scale about c, then shift
    t = Similarity(
        rot.a * base.a, rot.b * base.a,
        rot.a * (base.tx - center[0]) + rot.b * (base.ty - center[1]) + center[0],
        -rot.b * (base.tx - center[0]) + rot.a * (base.ty - center[1]) + center[1],
    ).then(style.scale, center, style.shift)  # fmt: skip
    pts = _content_points(dl)
    if not pts and not fixed_boxes:
        return t
    pad = style.margin + style.line_width + max((d.radius for d in dl.dots), default=0.0)
    hard = _Extents.of(pts, pad, fixed_boxes)
    t = _shrink_to_fit(t, hard, w, h, MIN_FIT)
    if reserved_boxes:
        soft = _Extents.of([], 0.0, reserved_boxes)
        both = _Extents(
            np.concatenate([hard.pts, soft.pts]),
            np.concatenate([hard.lo, soft.lo]),
            np.concatenate([hard.hi, soft.hi]),
        )
        t = _shrink_to_fit(t, both, w, h, MIN_FIT_RESERVE)
        want = _shift_range(both.bounds(t), w, h)
    else:
        want = _shift_range(hard.bounds(t), w, h)
    must = _shift_range(hard.bounds(t), w, h)
    # the smallest shift that brings everything in, within the shifts that keep the geometry in
    dx = _clamp(_clamp(0.0, want[0], want[1]), must[0], must[1])
    dy = _clamp(_clamp(0.0, want[2], want[3]), must[2], must[3])
    return Similarity(t.a, t.b, t.tx + dx, t.ty + dy)


def label_extents(req: LabelRequest, mask: TextMask) -> tuple[Pt, float, float, float, float] | None:
    """(logical anchor, left, top, right, bottom) pixel extents of the room a label needs around its
    anchor in the fit: exact for "fixed" labels; for labels with ``reserve``, the preferred (first)
    candidate's box, or for a "point" label without candidates its gap plus a text height on every
    side (it goes in whichever direction is free); None otherwise."""
    w, h = mask.width, mask.height
    if req.mode == "fixed":
        ax, ay = req.align
        return (req.anchor, ax * w, ay * h, (1 - ax) * w, (1 - ay) * h)
    if not req.reserve:
        return None
    if not req.candidates:
        if req.mode != "point":
            return None
        room = req.gap + h
        return (req.anchor, room, room, room, room)
    c, u = req.candidates[0]
    if u is None:
        return (c, w / 2, h / 2, w / 2, h / 2)
    off = req.gap + abs(u[0]) * w / 2 + abs(u[1]) * h / 2
    cx, cy = u[0] * off, u[1] * off
    return (c, w / 2 - cx, h / 2 - cy, w / 2 + cx, h / 2 + cy)


def clip_infinite(a: Pt, b: Pt, kind: str, w: float, h: float, inset: float) -> list[Pt] | None:
    """The part of line ab (``kind="line"``) or ray a->b (``"ray"``) inside the inset image rectangle."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    t0, t1 = (-math.inf if kind == "line" else 0.0), math.inf
    for p, q in ((-dx, a[0] - inset), (dx, w - inset - a[0]), (-dy, a[1] - inset), (dy, h - inset - a[1])):
        if abs(p) < 1e-12:
            if q < 0:
                return None
            continue
        r = q / p
        if p < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
    if t0 >= t1 or math.isinf(t0) or math.isinf(t1):
        return None
    return [(a[0] + t0 * dx, a[1] + t0 * dy), (a[0] + t1 * dx, a[1] + t1 * dy)]


def _map_strokes(dl: DrawList, t: Similarity, style: Style) -> list[Stroke]:
    out = []
    for s in dl.strokes:
        pts = t.map(s.points)
        if s.infinite:
            clipped = clip_infinite(pts[0], pts[1], s.infinite, style.width, style.height, 2.0 + s.width / 2)
            if clipped is None:
                s.points = []
                continue
            pts = clipped
        s.points = pts  # the shape boxes of lines/rays read the clipped points
        out.append(s)
    return out


SHRINK = 0.85  # a "near"/"point" label with no free spot is tried once more at this size


def _label_size(style: Style, scale: float) -> int:
    return max(6, round(style.font_px * scale))


def _label_masks(dl: DrawList, style: Style) -> list[TextMask]:
    return [
        text_mask(req.font or style.font, _label_size(style, req.size_scale), req.text) for req in dl.labels
    ]


def _place_labels(
    dl: DrawList,
    masks: list[TextMask],
    t: Similarity,
    stroke_set: StrokeSet,
    edge_img: Image.Image,
    fill_img: Image.Image | None,
    style: Style,
) -> tuple[list[PlacedText], list[str]]:
    """Place the labels in priority order: (placed texts, dropped strings). A "near"/"point" label
    without a free spot within its distance bound is tried once more at ``SHRINK`` times its size."""
    # labels avoid stroke ink, and filled regions unless they belong there
    placer = Placer(np.asarray(edge_img), None if fill_img is None else np.asarray(fill_img))
    order = sorted(range(len(dl.labels)), key=lambda i: -dl.labels[i].priority)
    texts, dropped, requests = [], [], []
    for i in order:
        req, mask = dl.labels[i], masks[i]
        anchor = t(req.anchor)
        cands = [(t(c), t.vector(u) if u is not None else None) for c, u in req.candidates]
        branches = stroke_set.branches_at(anchor) if req.mode == "point" else []
        lab = ImageLabel(
            req.text,
            mask,
            req.mode,
            anchor,
            cands,
            req.align,
            req.gap,
            req.color,
            req.role,
            req.tag,
            branches,
            req.on_fill,
            req.max_dist * t.scale if req.max_dist is not None else None,
            req.ring,
        )
        placed = placer.place(lab)
        if placed is None and req.mode != "fixed":
            small = _label_size(style, req.size_scale * SHRINK)
            if small < _label_size(style, req.size_scale):
                lab.mask = text_mask(req.font or style.font, small, req.text)
                placed = placer.place(lab)
        if placed is None:
            dropped.append(req.text)
            continue
        texts.append(placed)
        requests.append(req)
    _link_referents(texts, requests)
    return texts, dropped


def _link_referents(texts: list[PlacedText], requests: list[LabelRequest]) -> None:
    """``texts[i].refers``: the indices of the placed labels anchored at the points ``requests[i]`` is
    about (``LabelRequest.refers``, logical coordinates: a point's name, a bar's category, a table
    cell's headers); a referent that was not drawn is left out."""
    for i, (text, req) in enumerate(zip(texts, requests)):
        for point in req.refers:
            j = next(
                (j for j, other in enumerate(requests) if j != i and math.dist(other.anchor, point) < 1e-6),
                None,
            )
            if j is not None and j not in text.refers:
                text.refers.append(j)


def _prepare(
    scene: Scene, style: Style, hide_roles: Sequence[str]
) -> tuple[DrawList, list[TextMask], Similarity, list[Stroke]]:
    dl = scene.compile(style, hide_roles)
    masks = _label_masks(dl, style)
    fixed, reserved = [], []
    for req, m in zip(dl.labels, masks, strict=True):
        ext = label_extents(req, m)
        if ext is not None:
            (fixed if req.mode == "fixed" else reserved).append(ext)
    t = fit_transform(dl, scene, style, fixed, reserved)
    for f in dl.fills:
        f.points = t.map(f.points)
    for d in dl.dots:
        d.center = t(d.center)
    for sh in dl.shapes:
        if sh.stroke is None:
            sh.points = t.map(sh.points)
    strokes = _map_strokes(dl, t, style)
    return dl, masks, t, strokes


def dropped_labels(scene: Scene, style: Style, hide_roles: Sequence[str] = ()) -> list[str]:
    """The labels that ``render(scene, style, hide_roles)`` would leave out, found without drawing the
    image (only the boundary map and fill mask that label placement reads): a cheap check before
    choosing a style."""
    style = style or Style.clean()
    dl, masks, t, strokes = _prepare(scene, style, hide_roles)
    _, edge_img, fill_img = draw_geometry(dl, strokes, style, image=False)
    return _place_labels(dl, masks, t, StrokeSet(strokes), edge_img, fill_img, style)[1]


def render(scene: Scene, style: Style | None = None, hide_roles: Sequence[str] = ()) -> Rendered:
    """Draw ``scene`` with ``style`` (default: ``Style.clean()``). Elements and labels whose role is in
    ``hide_roles`` are left out. Pure function of its arguments."""
    style = style or Style.clean()
    dl, masks, t, strokes = _prepare(scene, style, hide_roles)
    img, edge_img, fill_img = draw_geometry(dl, strokes, style)
    stroke_set = StrokeSet(strokes)
    # shapes
    shapes = []
    for sh in dl.shapes:
        pts = list(sh.stroke.points) if sh.stroke is not None else sh.points
        if not pts:
            continue
        x0 = max(0.0, min(p[0] for p in pts) - sh.pad)
        y0 = max(0.0, min(p[1] for p in pts) - sh.pad)
        x1 = min(float(style.width), max(p[0] for p in pts) + sh.pad)
        y1 = min(float(style.height), max(p[1] for p in pts) + sh.pad)
        if x1 > x0 and y1 > y0:
            shapes.append(ShapeAnnotation(sh.cls, (x0, y0, x1, y1), sh.tag))
    texts, dropped = _place_labels(dl, masks, t, stroke_set, edge_img, fill_img, style)
    for placed in texts:
        img.paste(placed.color, placed.box, placed.mask.mask)  # type: ignore[union-attr]
    return Rendered(degrade(img, style), edge_img, shapes, texts, dropped, t, stroke_set)  # type: ignore[arg-type]
