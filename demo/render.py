"""Drawing for the demo: "what the model sees" overlays, step-score colours and the gate chart's table.

Everything here is plain PIL / pandas over the dict of ``model.perceive(image)`` (coordinates in the
original image's pixels; ``boundary`` a float map [H, W] in [0, 1]), so it is testable without a server:

* :func:`draw_perception` draws GeoGLIP's detected shapes (box + name + score), junctions (a dot with a
  short tick along each incident line direction; angles in degrees counter-clockwise from +x with image
  y pointing down, so 90 is "up" on screen), the labels it read (box + string) and, optionally, the
  boundary map as a magenta tint;
* :func:`score_colour` maps a PRM step score in [0, 1] to a red -> amber -> green colour;
* :func:`steps_frame` builds the steps table (a pandas ``Styler`` colouring the score cells);
* :func:`gates_frame` the router's gate per level, for a bar plot.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

LAYERS = ("shapes", "junctions", "labels", "boundary map")
DEFAULT_LAYERS = ("shapes", "junctions", "labels")
STEP_COLUMNS = ["#", "Step", "PRM score"]

# Colour-blind-friendly palette (Okabe-Ito without black/yellow) for shape classes.
_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F3C8D", "#11A579")
_JUNCTION = "#E4007C"
_LABEL = "#1F4FFF"
_BOUNDARY = np.array([230, 0, 160], dtype=np.float32)


def class_colour(name: str) -> str:
    """A stable colour per shape class name (same name, same colour, across images and runs)."""
    digest = hashlib.sha1(name.encode("utf-8")).digest()
    return _PALETTE[digest[0] % len(_PALETTE)]


def _font(size: int):
    from svemath.data.fonts import load_font

    return load_font("sans", size)


def _tag(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, colour: str, font, bounds) -> None:
    """A filled tag with white text whose bottom-left corner sits at ``xy`` (kept inside ``bounds``)."""
    x, y = xy
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    tw, th = right - left + 4, bottom - top + 4
    w, h = bounds
    x = min(max(0.0, x), max(0.0, w - tw))
    y = y - th if y - th >= 0 else min(y, max(0.0, h - th))
    draw.rectangle((x, y, x + tw, y + th), fill=colour)
    draw.text((x + 2 - left, y + 2 - top), text, fill="white", font=font)


def _boundary_tint(image: Image.Image, boundary: np.ndarray, strength: float = 0.75) -> Image.Image:
    prob = np.asarray(boundary, dtype=np.float32)
    if prob.shape != (image.height, image.width):
        prob = (
            np.asarray(
                Image.fromarray((np.clip(prob, 0, 1) * 255).astype(np.uint8)).resize(
                    image.size, Image.BILINEAR
                ),
                dtype=np.float32,
            )
            / 255.0
        )
    alpha = (np.clip(prob, 0.0, 1.0) * strength)[..., None]
    base = np.asarray(image.convert("RGB"), dtype=np.float32)
    return Image.fromarray((base * (1 - alpha) + _BOUNDARY * alpha).round().astype(np.uint8), "RGB")


def draw_perception(
    image: Image.Image,
    seen: dict[str, Any],
    *,
    layers: Iterable[str] = DEFAULT_LAYERS,
    min_score: float = 0.0,
) -> Image.Image:
    """The image with the chosen ``layers`` of ``seen`` (``model.perceive`` output) drawn on a copy.

    Detections scoring below ``min_score`` are left out. Unknown layer names raise ValueError."""
    layers = set(layers)
    unknown = layers - set(LAYERS)
    if unknown:
        raise ValueError(f"unknown overlay layer(s) {sorted(unknown)}; known: {', '.join(LAYERS)}")
    canvas = image.convert("RGB")
    if "boundary map" in layers and seen.get("boundary") is not None:
        canvas = _boundary_tint(canvas, seen["boundary"])
    else:
        canvas = canvas.copy()
    w, h = canvas.size
    side = max(w, h)
    width = max(1, round(side / 320))
    font = _font(max(10, round(side / 45)))
    draw = ImageDraw.Draw(canvas)
    if "shapes" in layers:
        for shape in seen.get("shapes", []):
            if shape.get("score", 1.0) < min_score:
                continue
            x0, y0, x1, y1 = shape["box"]
            colour = class_colour(shape["cls"])
            draw.rectangle((x0, y0, max(x0, x1), max(y0, y1)), outline=colour, width=width)
            _tag(draw, (x0, y0), f"{shape['cls']} {shape.get('score', 1.0):.2f}", colour, font, (w, h))
    if "labels" in layers:
        for text in seen.get("texts", []):
            if text.get("score", 1.0) < min_score:
                continue
            x0, y0, x1, y1 = text["box"]
            draw.rectangle((x0, y0, max(x0, x1), max(y0, y1)), outline=_LABEL, width=width)
            _tag(draw, (x0, y1 + font.size + 4), f"“{text['text']}”", _LABEL, font, (w, h))
    if "junctions" in layers:
        radius, tick = max(2, 2 * width), max(8, round(side / 40))
        for junction in seen.get("junctions", []):
            if junction.get("score", 1.0) < min_score:
                continue
            x, y = junction["xy"]
            for angle in junction.get("angles", []):
                rad = math.radians(angle)
                draw.line(
                    (x, y, x + tick * math.cos(rad), y - tick * math.sin(rad)), fill=_JUNCTION, width=width
                )
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=_JUNCTION, outline="white")
    return canvas


def counts_summary(seen: dict[str, Any], min_score: float = 0.0) -> dict[str, int]:
    """How many shapes / junctions / read labels score at least ``min_score``."""

    def n(key: str) -> int:
        return sum(1 for item in seen.get(key, []) if item.get("score", 1.0) >= min_score)

    return {"shapes": n("shapes"), "junctions": n("junctions"), "labels": n("texts")}


def score_colour(score: float | None) -> str:
    """Red (0) -> amber (0.5) -> green (1) as ``#rrggbb``; grey for no score."""
    if score is None or not math.isfinite(score):
        return "#e0e0e0"
    s = min(max(float(score), 0.0), 1.0)
    red, amber, green = (np.array(c, dtype=float) for c in ((244, 67, 54), (255, 193, 7), (76, 175, 80)))
    rgb = red + (amber - red) * (s / 0.5) if s <= 0.5 else amber + (green - amber) * ((s - 0.5) / 0.5)
    return "#{:02x}{:02x}{:02x}".format(*(round(v) for v in rgb))


def steps_frame(steps: Sequence[str], scores: Sequence[float] | None = None):
    """The steps table: ``#``, ``Step``, ``PRM score`` (blank without scores); a pandas Styler colouring
    each score cell with :func:`score_colour` when scores are given, else a plain DataFrame."""
    import pandas as pd

    if scores is not None and len(scores) != len(steps):
        raise ValueError(f"{len(scores)} scores for {len(steps)} steps")
    rows = [[i + 1, step, "" if scores is None else float(scores[i])] for i, step in enumerate(steps)]
    frame = pd.DataFrame(rows, columns=STEP_COLUMNS)
    if scores is None:
        return frame
    colours = [score_colour(s) for s in scores]

    def paint(column: pd.Series) -> list[str]:
        return [f"background-color: {c}; color: #111" for c in colours]

    return frame.style.apply(paint, subset=["PRM score"]).format("{:.3f}", subset=["PRM score"])


def gates_frame(gates: dict[str, float] | None):
    """``{"P7": g, ...}`` -> DataFrame with columns ``level`` and ``gate`` (for ``gr.BarPlot``)."""
    import pandas as pd

    items = list((gates or {}).items())
    # Typed columns even when empty: the chart fixes its axis types from its first value, and an empty
    # untyped frame would make ``level`` quantitative (no bars drawn after the first update).
    return pd.DataFrame(
        {
            "level": pd.Series([k for k, _ in items], dtype="object"),
            "gate": pd.Series([float(v) for _, v in items], dtype="float64"),
        }
    )
