"""Rasterising a draw list with PIL: paper texture, fills (opacity, hatching), strokes (dashes, dots,
arrowheads), dots, supersampled anti-aliasing, the boundary map, and image-only degradations.

Coordinates given here are continuous image coordinates (pixel i spans [i, i+1]); ``_pil`` converts
them to PIL's drawing convention. Used by ``svemath.data.render``."""

from __future__ import annotations

import io
import math
import random
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from svemath.data.drawlist import DrawList, Pt, Stroke
from svemath.data.style import Style


def dash_pieces(pts: Sequence[Pt], closed: bool, on: float, off: float) -> list[list[Pt]]:
    """Split a polyline into dash polylines of length ``on`` separated by ``off`` (pixels)."""
    path = list(pts) + ([pts[0]] if closed else [])
    pieces: list[list[Pt]] = []
    cur: list[Pt] = []
    drawing, left = True, on
    for i in range(len(path) - 1):
        p, q = path[i], path[i + 1]
        seg = math.hypot(q[0] - p[0], q[1] - p[1])
        pos = 0.0
        if drawing and not cur:
            cur = [p]
        while seg - pos > left:
            pos += left
            x = (p[0] + (q[0] - p[0]) * pos / seg, p[1] + (q[1] - p[1]) * pos / seg)
            if drawing:
                cur.append(x)
                pieces.append(cur)
                cur = []
            else:
                cur = [x]
            drawing = not drawing
            left = on if drawing else off
        left -= seg - pos
        if drawing:
            cur.append(q)
    if drawing and len(cur) > 1:
        pieces.append(cur)
    return pieces


def _pil(pts: Sequence[Pt], ss: int, width: int = 1) -> list[tuple[float, float]]:
    """Continuous image coordinates -> PIL drawing coordinates at supersampling ``ss``. PIL centres a
    line of odd width at x + 0.5 and of even width at x + 1 (checked), so the offset depends on it."""
    off = 0.5 if width % 2 else 1.0
    return [(x * ss - off, y * ss - off) for x, y in pts]


def _arrowhead(pts: list[Pt], width: float) -> list[Pt]:
    (x0, y0), (x1, y1) = pts[-2], pts[-1]
    d = math.hypot(x1 - x0, y1 - y0) or 1.0
    ux, uy = (x1 - x0) / d, (y1 - y0) / d
    size = 4.0 + 3.0 * width
    bx, by = x1 - ux * size, y1 - uy * size
    return [
        (x1, y1),
        (bx - uy * size * 0.45, by + ux * size * 0.45),
        (bx + uy * size * 0.45, by - ux * size * 0.45),
    ]


def _hatch_lines(poly: list[Pt], kind: str, step: float) -> list[tuple[Pt, Pt]]:
    """Hatch segments clipped to a polygon (even-odd rule)."""
    angles = {"/": 45.0, "\\": 135.0, "-": 0.0, "|": 90.0, "x": None}
    if kind == "x":
        return _hatch_lines(poly, "/", step) + _hatch_lines(poly, "\\", step)
    a = math.radians(angles.get(kind, 45.0) or 0.0)
    u = (math.cos(a), -math.sin(a))
    n = (-u[1], u[0])
    proj = [p[0] * n[0] + p[1] * n[1] for p in poly]
    out = []
    k = math.floor(min(proj) / step) + 1
    while k * step < max(proj):
        c = k * step
        ts = []
        for i in range(len(poly)):
            p, q = poly[i], poly[(i + 1) % len(poly)]
            dp, dq = proj[i] - c, proj[(i + 1) % len(poly)] - c
            if (dp < 0) != (dq < 0):
                r = dp / (dp - dq)
                x = (p[0] + (q[0] - p[0]) * r, p[1] + (q[1] - p[1]) * r)
                ts.append((x[0] * u[0] + x[1] * u[1], x))
        ts.sort()
        for j in range(0, len(ts) - 1, 2):
            out.append((ts[j][1], ts[j + 1][1]))
        k += 1
    return out


def _paper(draw: ImageDraw.ImageDraw, style: Style, ss: int) -> None:
    """The faint background texture, drawn directly (pasting a cached mask costs ~10x more)."""
    if style.paper == "plain":
        return
    w, h, step = style.width * ss, style.height * ss, max(1, style.paper_step * ss)
    color = style.paper_color
    if style.paper in ("grid", "lines"):
        for y in range(step // 2, h, step):
            draw.line([(0, y), (w, y)], fill=color, width=max(1, ss // 2))
    if style.paper == "grid":
        for x in range(step // 2, w, step):
            draw.line([(x, 0), (x, h)], fill=color, width=max(1, ss // 2))
    if style.paper == "dots":
        r = ss
        for y in range(step // 2, h, step):
            for x in range(step // 2, w, step):
                draw.ellipse([x - r, y - r, x + r, y + r], fill=color)


JOINT_MIN_TURN = 12.0  # degrees: a polyline vertex turning more than this gets a round joint


def _sharp_vertices(pts: Sequence[Pt], closed: bool) -> list[Pt]:
    """Vertices where the polyline turns by more than JOINT_MIN_TURN (where a thick line shows a notch
    without a round joint). Sampled curves turn a few degrees per vertex and need none, except at kinks
    (e.g. the corner of |x|)."""
    n = len(pts)
    if n < 3:
        return []
    cos_min = math.cos(math.radians(JOINT_MIN_TURN))
    if n > 16:  # long sampled curves: vectorised
        a = np.asarray(pts, dtype=np.float64)
        prev, nxt = (np.roll(a, 1, axis=0), np.roll(a, -1, axis=0)) if closed else (a[:-2], a[2:])
        mid = a if closed else a[1:-1]
        u, v = mid - prev, nxt - mid
        nu, nv = np.hypot(u[:, 0], u[:, 1]), np.hypot(v[:, 0], v[:, 1])
        sharp = (nu > 0) & (nv > 0) & ((u * v).sum(axis=1) < cos_min * nu * nv)
        return [(float(x), float(y)) for x, y in mid[sharp]]
    out = []
    idx = range(n) if closed else range(1, n - 1)
    for i in idx:
        (ax, ay), (bx, by), (cx, cy) = pts[i - 1], pts[i], pts[(i + 1) % n]
        ux, uy, vx, vy = bx - ax, by - ay, cx - bx, cy - by
        nu, nv = math.hypot(ux, uy), math.hypot(vx, vy)
        if nu > 0 and nv > 0 and (ux * vx + uy * vy) < cos_min * nu * nv:
            out.append((bx, by))
    return out


def _draw_stroke(
    draw: ImageDraw.ImageDraw | None, edge: ImageDraw.ImageDraw, s: Stroke, style: Style, ss: int
) -> None:
    """One stroke into the image (``draw``, opaque ink; None: boundary map only) and the boundary map
    (``edge``). Thick pieces
    get round joints (discs) only at sharp vertices: PIL's ``joint="curve"`` costs a Python loop per
    vertex of every sampled curve."""
    closed_solid = s.dash == "solid" and s.closed and len(s.points) > 2
    if s.dash == "solid":
        pieces = [list(s.points) + ([s.points[0]] if closed_solid else [])]
    elif s.dash == "dashed":
        pieces = dash_pieces(s.points, s.closed, style.dash_px[0] * max(1.0, s.width / 2), style.dash_px[1])
    else:
        on = max(1.0, s.width * 0.9)
        pieces = dash_pieces(s.points, s.closed, on, style.dot_px[1] * max(1.0, s.width / 2))
    w_img = max(1, round(s.width * ss))
    w_edge = max(1, round(s.width))
    for piece in pieces:
        if len(piece) < 2:
            continue
        targets = []
        if draw is not None:
            targets.append((draw, ss, w_img, s.color))
        if s.boundary:
            targets.append((edge, 1, w_edge, 255))
        thick = w_img > 2 or (s.boundary and w_edge > 2)
        if len(piece) <= 2 or not thick:
            sharp = []
        else:
            sharp = _sharp_vertices(piece[:-1] if closed_solid else piece, closed_solid)
        for target, k, w, ink in targets:
            target.line(_pil(piece, k, w), fill=ink, width=w)
            if w > 2 and sharp:
                r = (w - 1) / 2
                for x, y in _pil(sharp, k, w):
                    target.ellipse([x - r, y - r, x + r, y + r], fill=ink)
    if s.arrow_end and len(s.points) >= 2:
        head = _arrowhead(s.points, s.width)
        if draw is not None:
            draw.polygon(_pil(head, ss), fill=s.color)
        if s.boundary:
            edge.polygon(_pil(head, 1), fill=255)


def draw_geometry(
    dl: DrawList, strokes: list[Stroke], style: Style, *, image: bool = True
) -> tuple[Image.Image | None, Image.Image, Image.Image | None]:
    """(image, boundary map, mask of solid-looking fills or None) for the mapped draw list.
    ``image=False`` draws only the boundary map and the fill mask (what label placement reads)."""
    ss = max(1, style.supersample) if image else 1
    img = Image.new("RGB", (style.width * ss, style.height * ss), style.background) if image else None
    edge_img = Image.new("L", (style.width, style.height), 0)
    fill_img = None
    blend = ImageDraw.Draw(img, "RGBA") if img is not None else None  # translucent fills only
    draw = ImageDraw.Draw(img) if img is not None else None  # opaque ink: ~2x faster than blending
    edge = ImageDraw.Draw(edge_img)
    fill_draw = None
    if draw is not None:
        _paper(draw, style, ss)
    for f in dl.fills:
        if len(f.points) < 3:
            continue
        if draw is not None and f.opacity > 0:
            if f.opacity >= 1.0:
                draw.polygon(_pil(f.points, ss), fill=f.color)
            else:
                blend.polygon(_pil(f.points, ss), fill=(*f.color, round(255 * f.opacity)))  # type: ignore[union-attr]
        if (f.opacity >= 0.3 and f.color != style.background) or f.hatch:
            if fill_img is None:
                fill_img = Image.new("L", (style.width, style.height), 0)
                fill_draw = ImageDraw.Draw(fill_img)
            fill_draw.polygon(_pil(f.points, 1), fill=255)  # type: ignore[union-attr]
        if f.hatch and draw is not None:
            for p, q in _hatch_lines(f.points, f.hatch, max(5.0, style.width / 45)):
                draw.line(_pil([p, q], ss), fill=f.hatch_color, width=max(1, ss))
    for s in strokes:
        if draw is not None or s.boundary:
            _draw_stroke(draw, edge, s, style, ss)
    for d in dl.dots:
        (x, y), r = d.center, d.radius
        # PIL's ellipse box [x0, x1] covers pixels x0..x1, i.e. continuous [x0, x1 + 1]
        if draw is not None:
            draw.ellipse(
                [(x - r) * ss, (y - r) * ss, (x + r) * ss - 1, (y + r) * ss - 1],
                fill=d.color,
                outline=d.outline,
            )
        edge.ellipse([x - r, y - r, x + r - 1, y + r - 1], fill=255)
    if img is not None and ss > 1:
        img = img.reduce(ss)
    return img, edge_img, fill_img


@lru_cache(maxsize=1)
def _noise_bank() -> np.ndarray:
    """A fixed bank of standard-normal noise [512, 512]; images take a seeded window of it."""
    return np.random.default_rng(20261127).standard_normal((512, 512), dtype=np.float32)


def degrade(img: Image.Image, style: Style) -> Image.Image:
    """Image-only degradations: grey film grain (Gaussian noise in 2 x 2 pixel cells: it survives the
    model's downscaling and keeps PNGs ~3x cheaper to encode than per-pixel noise), then JPEG.

    The grain is added by PIL in C (``ImageChops.add`` of a mid-grey noise image, offset -128, clipped):
    ~3x faster than the same sum in float numpy."""
    if style.noise_sigma > 0:
        bank = _noise_bank()
        gh, gw = -(-img.height // 2), -(-img.width // 2)
        reps = (-(-gh // bank.shape[0]), -(-gw // bank.shape[1]))
        if reps != (1, 1):
            bank = np.tile(bank, reps)
        pick = random.Random(style.seed)
        oy, ox = pick.randrange(bank.shape[0] - gh + 1), pick.randrange(bank.shape[1] - gw + 1)
        cells = np.rint(bank[oy : oy + gh, ox : ox + gw] * style.noise_sigma) + 128.0
        grain = Image.fromarray(np.clip(cells, 0, 255).astype(np.uint8), "L")
        grain = grain.resize((2 * gw, 2 * gh), Image.Resampling.NEAREST).crop((0, 0, img.width, img.height))
        img = ImageChops.add(img, Image.merge("RGB", (grain, grain, grain)), 1.0, -128)
    if style.jpeg_quality:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=style.jpeg_quality)
        buf.seek(0)
        img = Image.open(buf).convert("RGB")
    return img
