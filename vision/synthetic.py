"""Toy diagram scenes with exact annotations (INTERFACES.md format), drawn with PIL.

Used by the vision tests and ``svemath.vision.bench``; the data engine's ``primitives`` suite is the real
training source. ``draw_scene(seed)`` returns ``(RGB image, annotations, boundary "L" image)``.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont


def dejavu_font(size: int) -> ImageFont.FreeTypeFont:
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return ImageFont.truetype(str(path), size)


def direction(p: tuple[float, float], q: tuple[float, float]) -> float:
    """Angle of the ray p -> q in degrees, CCW from +x with image y pointing down."""
    return math.degrees(math.atan2(-(q[1] - p[1]), q[0] - p[0])) % 360.0


def draw_scene(
    seed: int, width: int = 256, height: int = 256, font_size: int = 14, labels: tuple[str, ...] | None = None
) -> tuple[Image.Image, dict[str, Any], Image.Image]:
    """A triangle, a rectangle, a circle and a few text labels at seeded positions."""
    rng = random.Random(seed)
    img = Image.new("RGB", (width, height), (255, 255, 255))
    edge = Image.new("L", (width, height), 0)
    d, e = ImageDraw.Draw(img), ImageDraw.Draw(edge)
    shapes, junctions, texts = [], [], []
    s = min(width, height)

    # triangle in the left half
    x0, y0 = rng.uniform(0.05, 0.15) * width, rng.uniform(0.55, 0.65) * height
    tri = [(x0, y0), (x0 + rng.uniform(0.25, 0.35) * s, y0 + rng.uniform(-0.05, 0.05) * s),
           (x0 + rng.uniform(0.05, 0.2) * s, y0 - rng.uniform(0.25, 0.4) * s)]  # fmt: skip
    for dr in (d, e):
        dr.polygon(tri, outline=(0, 0, 0) if dr is d else 255, width=1)
    xs, ys = [p[0] for p in tri], [p[1] for p in tri]
    shapes.append({"cls": "triangle", "box": [min(xs), min(ys), max(xs), max(ys)]})
    for i, p in enumerate(tri):
        a, b = tri[i - 1], tri[(i + 1) % 3]
        junctions.append({"xy": list(p), "angles": sorted([direction(p, a), direction(p, b)])})

    # rectangle in the upper right
    rx0, ry0 = rng.uniform(0.55, 0.62) * width, rng.uniform(0.08, 0.15) * height
    rx1, ry1 = rx0 + rng.uniform(0.2, 0.3) * s, ry0 + rng.uniform(0.15, 0.25) * s
    for dr in (d, e):
        dr.rectangle([rx0, ry0, rx1, ry1], outline=(0, 0, 0) if dr is d else 255, width=1)
    shapes.append({"cls": "rectangle", "box": [rx0, ry0, rx1, ry1]})
    corners = [(rx0, ry0), (rx1, ry0), (rx1, ry1), (rx0, ry1)]
    for i, p in enumerate(corners):
        a, b = corners[i - 1], corners[(i + 1) % 4]
        junctions.append({"xy": list(p), "angles": sorted([direction(p, a), direction(p, b)])})

    # circle in the lower right
    r = rng.uniform(0.08, 0.12) * s
    cx, cy = rng.uniform(0.68, 0.78) * width, rng.uniform(0.68, 0.78) * height
    for dr in (d, e):
        dr.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(0, 0, 0) if dr is d else 255, width=1)
    shapes.append({"cls": "circle", "box": [cx - r, cy - r, cx + r, cy + r]})

    # labels
    font = dejavu_font(font_size)
    words = list(labels or (rng.choice(["A", "B", "C"]), f"{rng.randint(10, 99)}°", str(rng.randint(1, 9))))
    spots = [(0.05, 0.05), (0.3, 0.85), (0.55, 0.5)]
    for word, (fx, fy) in zip(words, spots):
        x, y = (fx + rng.uniform(0, 0.08)) * width, (fy + rng.uniform(0, 0.05)) * height
        d.text((x, y), word, fill=(0, 0, 0), font=font)
        texts.append({"box": list(map(float, d.textbbox((x, y), word, font=font))), "text": word})
    return img, {"shapes": shapes, "junctions": junctions, "texts": texts}, edge
