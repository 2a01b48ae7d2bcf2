"""Question text drawn into a diagram image (MathVerse's "Vision Only" and "Vision Dominant" images).

:func:`compose_with_text` renders a scene into the middle band of a square image and draws wrapped
text lines above it (the question) and below it (the options), in the style's font and ink, at
about 75% of its label size. The result carries the same annotations as a plain render (shapes and
texts; no junctions): the diagram's shapes and texts moved into place, plus one text box per drawn line.
Every line fits the image width: words wider than a line (long formulas) are broken between characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PIL import Image

from svemath.data.fonts import load_font, text_mask
from svemath.data.render import render
from svemath.data.style import Style

PAD = 6
MIN_FONT = 9


def _break_word(word: str, font: Any, width: int) -> list[str]:
    """A word wider than ``width`` split into pieces that fit (at least one character each)."""
    pieces, cur = [], ""
    for ch in word:
        if cur and font.getlength(cur + ch) > width:
            pieces.append(cur)
            cur = ch
        else:
            cur += ch
    return pieces + ([cur] if cur else [])


def wrap(text: str, font_key: str, size: int, width: int) -> list[str]:
    """Greedy word wrap of ``text`` (newlines kept) into lines at most ``width`` px wide (a word wider
    than a line is broken between characters)."""
    font = load_font(font_key, size)
    space = font.getlength(" ")
    lines: list[str] = []
    for para in text.split("\n"):
        line, line_w = "", 0.0
        for word in para.split():
            word_w = font.getlength(word)
            parts = [word] if word_w <= width else _break_word(word, font, width)
            for part in parts:
                part_w = word_w if len(parts) == 1 else font.getlength(part)
                # the basic layout adds advances, so a line's width is the sum of its words' and spaces'
                if line and line_w + space + part_w > width:
                    lines.append(line)
                    line, line_w = part, part_w
                elif line:
                    line, line_w = f"{line} {part}", line_w + space + part_w
                else:
                    line, line_w = part, part_w
        if line:
            lines.append(line)
    return lines


def compose_with_text(
    scene: Any,
    style: Style,
    top: str = "",
    bottom: Sequence[str] = (),
    hide_roles: Sequence[str] = (),
    max_text_frac: float = 0.45,
) -> tuple[Image.Image, dict[str, Any]]:
    """The scene drawn between ``top`` (wrapped) and the ``bottom`` lines; (image, lite annotations)."""
    w, h = style.width, style.height
    size = max(MIN_FONT, round(style.font_px * 0.75))
    font_key = style.font
    while True:
        top_lines = wrap(top, font_key, size, w - 2 * PAD) if top.strip() else []
        bottom_lines = [ln for b in bottom for ln in wrap(b, font_key, size, w - 2 * PAD)]
        line_h = round(size * 1.3)
        top_h = len(top_lines) * line_h + (PAD if top_lines else 0)
        bottom_h = len(bottom_lines) * line_h + (PAD if bottom_lines else 0)
        if top_h + bottom_h <= max_text_frac * h or size <= MIN_FONT:
            break
        size -= 1
    diagram_h = max(32, h - top_h - bottom_h)
    canvas = Image.new("RGB", (w, h), style.background)
    out = render(scene, style.with_size(w, diagram_h), hide_roles)
    k, dx = 1.0, 0.0
    if out.dropped:  # the smaller canvas crowds the labels: shrink the full-size drawing instead
        out = render(scene, style, hide_roles)
        k = diagram_h / h
        dx = (w - w * k) / 2
        canvas.paste(
            out.image.resize((round(w * k), diagram_h), Image.Resampling.LANCZOS), (round(dx), top_h)
        )
    else:
        canvas.paste(out.image, (0, top_h))
    ann = out.annotations(parts=("shapes", "texts"))

    def move(box: list[float]) -> list[float]:
        return [
            round(box[0] * k + dx, 2),
            round(box[1] * k + top_h, 2),
            round(box[2] * k + dx, 2),
            round(box[3] * k + top_h, 2),
        ]

    shapes = [{"cls": s["cls"], "box": move(s["box"])} for s in ann["shapes"]]
    texts = [{**t, "box": move(t["box"])} for t in ann["texts"]]  # keeps "refers": indices do not move
    ascent = load_font(font_key, size).getmetrics()[0]
    for i, line in enumerate(top_lines + bottom_lines):
        y = (
            PAD // 2 + i * line_h
            if i < len(top_lines)
            else top_h + diagram_h + PAD // 2 + (i - len(top_lines)) * line_h
        )
        tm = text_mask.__wrapped__(font_key, size, line)  # one-off strings: kept out of the label cache
        mask = tm.mask
        if mask.width > w or mask.height > h:  # never expected after wrapping; crop rather than overflow
            mask = mask.crop((0, 0, min(mask.width, w), min(mask.height, h)))
        x0, y0 = PAD + tm.dx, y + ascent + tm.dy
        x0, y0 = max(0, min(x0, w - mask.width)), max(0, min(y0, h - mask.height))
        canvas.paste(style.text_color, (x0, y0, x0 + mask.width, y0 + mask.height), mask)
        texts.append({"text": line, "box": [x0, y0, x0 + mask.width, y0 + mask.height]})
    return canvas, {"shapes": shapes, "texts": texts}
