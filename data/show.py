"""``svemath data show``: a contact sheet of a dataset, to look at the diagrams and their labels.

Each cell is one record's image scaled to fit ``cell`` x ``cell`` pixels with its annotations drawn over
it -- shape boxes with class names, junction points with a short tick along each incident direction,
text-label boxes with their strings, the boundary map as a magenta tint -- and below it the id, the
question (or the first human turn) and the answer (or the first gpt turn, e.g. a caption), wrapped and
truncated. Fonts: DejaVu from matplotlib's package data, never the system's.

Sheet geometry (so callers can predict it): ``cols = ceil(sqrt(k))`` unless given, ``rows = ceil(k /
cols)`` for ``k`` shown records; width ``cols * cell + (cols + 1) * GAP``, height ``rows * (cell +
text_lines * LINE_H + PAD) + (rows + 1) * GAP``.
"""

from __future__ import annotations

import colorsys
import hashlib
import importlib.resources
import io
import math
import textwrap
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from svemath.data.records import Record, iter_records
from svemath.errors import ConfigError, ImageLoadError
from svemath.fileio import atomic_write_bytes, write_json
from svemath.images import load_image

GAP = 8
PAD = 6
LINE_H = 14
FONT_SIZE = 11
TINT = (255, 0, 200)


@cache
def font(size: int = FONT_SIZE, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = importlib.resources.files("matplotlib") / "mpl-data" / "fonts" / "ttf" / name
    return ImageFont.truetype(str(path), size)


def class_colour(name: str) -> tuple[int, int, int]:
    """A stable, saturated colour per class name."""
    hue = int(hashlib.md5(name.encode()).hexdigest()[:4], 16) / 0xFFFF
    r, g, b = colorsys.hsv_to_rgb(hue, 0.9, 0.8)
    return int(r * 255), int(g * 255), int(b * 255)


def _label(
    draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, colour: tuple[int, int, int]
) -> None:
    f = font(9)
    x, y = xy
    box = draw.textbbox((x, y), text, font=f)
    draw.rectangle(box, fill=(255, 255, 255))
    draw.text((x, y), text, fill=colour, font=f)


def draw_annotations(img: Image.Image, record: Record, scale: float) -> Image.Image:
    """``img`` (already scaled by ``scale``) with the record's annotations drawn over it."""
    ann = record.annotations
    if not isinstance(ann, dict):
        return img
    boundary = record.boundary
    if boundary is not None and boundary.is_file():
        mask = load_image(boundary).convert("L").resize(img.size, Image.Resampling.BILINEAR)
        tint = Image.new("RGB", img.size, TINT)
        img = Image.composite(tint, img, mask.point(lambda v: v * 45 // 100))
    draw = ImageDraw.Draw(img)
    for shape in ann.get("shapes") or []:
        x0, y0, x1, y1 = (v * scale for v in shape["box"])
        colour = class_colour(shape["cls"])
        draw.rectangle([x0, y0, x1, y1], outline=colour, width=1)
        _label(draw, (x0 + 1, max(0.0, y0 - 10)), shape["cls"], colour)
    for text in ann.get("texts") or []:
        x0, y0, x1, y1 = (v * scale for v in text["box"])
        draw.rectangle([x0, y0, x1, y1], outline=(0, 150, 0), width=1)
        _label(draw, (x0, y1 + 1), text["text"], (0, 120, 0))
    for junction in ann.get("junctions") or []:
        x, y = (v * scale for v in junction["xy"])
        for angle in junction.get("angles") or []:
            rad = math.radians(angle)  # counter-clockwise from +x, image y pointing down
            draw.line([x, y, x + 9 * math.cos(rad), y - 9 * math.sin(rad)], fill=(230, 120, 0), width=2)
        draw.ellipse([x - 2.5, y - 2.5, x + 2.5, y + 2.5], fill=(200, 0, 0))
    return img


def _answer_text(record: Record) -> str:
    answer = record.answer
    if answer is None:
        return record.response or ""
    if record.answer_type == "multiple_choice" and isinstance(record.choices, list):
        i = "ABCDE".find(str(answer))
        if 0 <= i < len(record.choices):
            return f"{answer} ({record.choices[i]})"
    return str(answer)


def caption_lines(record: Record, width_px: int, max_lines: int) -> list[str]:
    """The cell's text: id, question and answer, wrapped to ``width_px`` and cut to ``max_lines``."""
    chars = max(8, int(width_px / (font().getlength("n") or 6)))
    parts: list[str] = [record.id]
    question = record.question or ""
    parts += textwrap.wrap("Q: " + " ".join(question.split()), chars) if question else []
    parts += textwrap.wrap("A: " + " ".join(_answer_text(record).split()), chars)
    if len(parts) > max_lines:
        parts = [*parts[: max_lines - 1], parts[max_lines - 1][: chars - 1] + "…"]
    return parts


def _cell(record: Record, cell: int, text_lines: int) -> Image.Image:
    out = Image.new("RGB", (cell, cell + text_lines * LINE_H + PAD), (255, 255, 255))
    draw = ImageDraw.Draw(out)
    if record.image is not None:
        try:
            img = load_image(record.image)
            scale = min(cell / img.width, cell / img.height)
            size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
            img = draw_annotations(img.resize(size, Image.Resampling.LANCZOS), record, scale)
            out.paste(img, ((cell - size[0]) // 2, (cell - size[1]) // 2))
        except ImageLoadError as exc:
            draw.text((4, cell // 2), f"unreadable image: {exc}"[:60], fill=(200, 0, 0), font=font())
    else:
        draw.text((4, cell // 2), "(no image)", fill=(120, 120, 120), font=font())
    draw.rectangle([0, 0, cell - 1, cell - 1], outline=(200, 200, 200))
    for i, line in enumerate(caption_lines(record, cell - 4, text_lines)):
        f = font(FONT_SIZE, bold=(i == 0))
        draw.text((2, cell + PAD // 2 + i * LINE_H), line, fill=(0, 0, 0), font=f)
    return out


def contact_sheet(
    path: str | Path,
    out: str | Path,
    *,
    n: int = 16,
    offset: int = 0,
    cols: int | None = None,
    cell: int = 256,
    text_lines: int = 6,
    image_root: str | Path | None = None,
) -> dict[str, Any]:
    """Write a contact sheet of records ``offset .. offset + n`` of ``path`` to ``out`` (PNG) and
    ``out`` with suffix ``.json`` (what is shown); return that JSON."""
    if n < 1 or cell < 32 or offset < 0 or text_lines < 1 or (cols is not None and cols < 1):
        raise ConfigError("show needs --n >= 1, --cell >= 32, --offset >= 0, --lines >= 1, --cols >= 1")
    out = Path(out)
    if out.suffix.lower() != ".png":
        raise ConfigError(f"--out must be a .png file, got {out}")
    records: list[Record] = []
    for i, record in enumerate(iter_records(path, image_root=image_root)):
        if i >= offset + n:
            break
        if i >= offset:
            records.append(record)
    if not records:
        raise ConfigError(f"{path}: no records to show (offset {offset})")
    k = len(records)
    cols = min(cols or math.ceil(math.sqrt(k)), k)
    rows = math.ceil(k / cols)
    cell_h = cell + text_lines * LINE_H + PAD
    sheet = Image.new(
        "RGB", (cols * cell + (cols + 1) * GAP, rows * cell_h + (rows + 1) * GAP), (236, 236, 236)
    )
    for i, record in enumerate(records):
        r, c = divmod(i, cols)
        sheet.paste(_cell(record, cell, text_lines), (GAP + c * (cell + GAP), GAP + r * (cell_h + GAP)))
    buf = io.BytesIO()
    sheet.save(buf, format="PNG", compress_level=6)
    atomic_write_bytes(out, buf.getvalue())
    info = {
        "source": str(path),
        "out": str(out),
        "n": k,
        "offset": offset,
        "ids": [r.id for r in records],
        "cols": cols,
        "rows": rows,
        "cell": cell,
        "size": list(sheet.size),
    }
    write_json(out.with_suffix(".json"), info)
    return info
