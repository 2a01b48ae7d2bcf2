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
from PIL import Image, ImageDraw

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
    if style.paper == "plain":
        return
    w, h, step = style.width * ss, style.height * ss, style.paper_step * ss
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


def _draw_stroke(
    draw: ImageDraw.ImageDraw, edge: ImageDraw.ImageDraw, s: Stroke, style: Style, ss: int
) -> None:
    if s.dash == "solid":
        pieces = [list(s.points) + ([s.points[0], s.points[1]] if s.closed and len(s.points) > 2 else [])]
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
        joint = "curve" if len(piece) > 2 else None
        draw.line(_pil(piece, ss, w_img), fill=s.color, width=w_img, joint=joint)
        if s.boundary:
            edge.line(_pil(piece, 1, w_edge), fill=255, width=w_edge, joint=joint)
    if s.arrow_end and len(s.points) >= 2:
        head = _arrowhead(s.points, s.width)
        draw.polygon(_pil(head, ss), fill=s.color)
        if s.boundary:
            edge.polygon(_pil(head, 1), fill=255)


def draw_geometry(
    dl: DrawList, strokes: list[Stroke], style: Style
) -> tuple[Image.Image, Image.Image, Image.Image | None]:
    """(image, boundary map, mask of solid-looking fills or None) for the mapped draw list."""
    ss = max(1, style.supersample)
    img = Image.new("RGB", (style.width * ss, style.height * ss), style.background)
    edge_img = Image.new("L", (style.width, style.height), 0)
    fill_img = None
    draw = ImageDraw.Draw(img, "RGBA")
    edge = ImageDraw.Draw(edge_img)
    _paper(draw, style, ss)
    for f in dl.fills:
        if len(f.points) < 3:
            continue
        if f.opacity > 0:
            draw.polygon(_pil(f.points, ss), fill=(*f.color, round(255 * min(1.0, f.opacity))))
        if (f.opacity >= 0.3 and f.color != style.background) or f.hatch:
            if fill_img is None:
                fill_img = Image.new("L", (style.width, style.height), 0)
            ImageDraw.Draw(fill_img).polygon(_pil(f.points, 1), fill=255)
        if f.hatch:
            for p, q in _hatch_lines(f.points, f.hatch, max(5.0, style.width / 45)):
                draw.line(_pil([p, q], ss), fill=f.hatch_color, width=max(1, ss))
    for s in strokes:
        _draw_stroke(draw, edge, s, style, ss)
    for d in dl.dots:
        (x, y), r = d.center, d.radius
        # PIL's ellipse box [x0, x1] covers pixels x0..x1, i.e. continuous [x0, x1 + 1]
        draw.ellipse(
            [(x - r) * ss, (y - r) * ss, (x + r) * ss - 1, (y + r) * ss - 1], fill=d.color, outline=d.outline
        )
        edge.ellipse([x - r, y - r, x + r - 1, y + r - 1], fill=255)
    if ss > 1:
        img = img.reduce(ss)
    return img, edge_img, fill_img


@lru_cache(maxsize=1)
def _noise_bank() -> np.ndarray:
    """A fixed bank of standard-normal noise [512, 512]; images take a seeded window of it."""
    return np.random.default_rng(20261127).standard_normal((512, 512), dtype=np.float32)


def degrade(img: Image.Image, style: Style) -> Image.Image:
    """Image-only degradations: grey film grain (Gaussian noise in 2 x 2 pixel cells: it survives the
    model's downscaling and keeps PNGs ~3x cheaper to encode than per-pixel noise), then JPEG."""
    if style.noise_sigma > 0:
        bank = _noise_bank()
        gh, gw = -(-img.height // 2), -(-img.width // 2)
        reps = (-(-gh // bank.shape[0]), -(-gw // bank.shape[1]))
        if reps != (1, 1):
            bank = np.tile(bank, reps)
        pick = random.Random(style.seed)
        oy, ox = pick.randrange(bank.shape[0] - gh + 1), pick.randrange(bank.shape[1] - gw + 1)
        cells = bank[oy : oy + gh, ox : ox + gw] * style.noise_sigma
        noise = cells.repeat(2, axis=0).repeat(2, axis=1)[: img.height, : img.width, None]
        arr = np.asarray(img, dtype=np.float32) + noise
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    if style.jpeg_quality:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=style.jpeg_quality)
        buf.seek(0)
        img = Image.open(buf).convert("RGB")
    return img
