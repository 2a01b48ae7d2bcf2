"""Fonts for diagram text, taken from matplotlib's bundled TrueType files (never from the system).

Fonts are found with ``importlib.resources`` inside the installed ``matplotlib`` package
(``mpl-data/fonts/ttf``), so every machine with the same matplotlib renders identical glyphs.
``FONTS`` maps a short key (``"sans"``, ``"serif-italic"``, ``"stix"``, ...) to a file name.

Text is drawn through :func:`text_mask`: the string composed from cached per-glyph ink masks placed at
the font's advance widths (FreeType's basic layout, no kerning; rendering a glyph once and reusing it
is ~10x faster than rendering every string), cropped to its exact ink, so the renderer knows each
label's tight box before drawing it, and pasting the mask with a colour is all drawing costs. A string
with a character the chosen font lacks is drawn with DejaVu Sans instead (it covers the degree sign,
Greek letters and math symbols).
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from svemath.errors import UnknownNameError

FONTS: dict[str, str] = {
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
    "sans-oblique": "DejaVuSans-Oblique.ttf",
    "serif": "DejaVuSerif.ttf",
    "serif-bold": "DejaVuSerif-Bold.ttf",
    "serif-italic": "DejaVuSerif-Italic.ttf",
    "mono": "DejaVuSansMono.ttf",
    "mono-bold": "DejaVuSansMono-Bold.ttf",
    "stix": "STIXGeneral.ttf",
    "stix-italic": "STIXGeneralItalic.ttf",
    "stix-bold": "STIXGeneralBol.ttf",
}
FALLBACK_FONT = "sans"


def font_dir() -> Path:
    """The folder of matplotlib's bundled TrueType fonts."""
    return Path(str(importlib.resources.files("matplotlib") / "mpl-data" / "fonts" / "ttf"))


def font_path(key: str) -> Path:
    if key not in FONTS:
        raise UnknownNameError(f"unknown font {key!r}; known: {', '.join(FONTS)}")
    return font_dir() / FONTS[key]


@lru_cache(maxsize=64)
def _charset(key: str) -> frozenset[int]:
    from matplotlib import ft2font

    return frozenset(ft2font.FT2Font(str(font_path(key))).get_charmap())


def covers(key: str, text: str) -> bool:
    """Whether font ``key`` has a glyph for every character of ``text``."""
    chars = _charset(key)
    return all(ord(c) in chars or c.isspace() for c in text)


@lru_cache(maxsize=256)
def load_font(key: str, size: int) -> ImageFont.FreeTypeFont:
    """The PIL font ``key`` at ``size`` pixels (em size)."""
    return ImageFont.truetype(str(font_path(key)), size, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=64)
def cap_height_ratio(key: str) -> float:
    """Ink height of "H0" divided by the em size (about 0.73 for DejaVu)."""
    size = 100
    return text_mask(key, size, "H0").height / size


def size_for_cap_height(key: str, cap_px: float) -> int:
    """The smallest em size whose capitals and digits are at least ``cap_px`` pixels tall."""
    size = max(4, int(cap_px / cap_height_ratio(key)))
    while text_mask(key, size, "H0").height < cap_px:
        size += 1
    return size


@dataclass(frozen=True)
class TextMask:
    """A string rendered in one font and size, cropped to its ink.

    ``mask``: ``"L"`` image [height, width] of the ink (255 = full ink). ``dx``, ``dy``: offset of the
    ink box from the text's left baseline point (``dy`` is negative above the baseline).
    """

    mask: Image.Image
    dx: int
    dy: int
    font: str

    @property
    def width(self) -> int:
        return self.mask.width

    @property
    def height(self) -> int:
        return self.mask.height


@dataclass(frozen=True)
class _Glyph:
    mask: Image.Image | None  # ink only; None for blank glyphs (spaces)
    dx: int  # ink box left relative to the pen position
    dy: int  # ink box top relative to the baseline
    advance: float


@lru_cache(maxsize=16384)
def _glyph(key: str, size: int, ch: str) -> _Glyph:
    font = load_font(key, size)
    advance = font.getlength(ch)
    if ch.isspace():
        return _Glyph(None, 0, 0, advance)
    x0, y0, x1, y1 = font.getbbox(ch, anchor="ls")
    pad = 2
    canvas = Image.new("L", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), 0)
    ImageDraw.Draw(canvas).text((pad - x0, pad - y0), ch, font=font, fill=255, anchor="ls")
    ink = canvas.getbbox()
    if ink is None:
        return _Glyph(None, 0, 0, advance)
    return _Glyph(canvas.crop(ink), ink[0] - pad + x0, ink[1] - pad + y0, advance)


@lru_cache(maxsize=32768)
def text_mask(key: str, size: int, text: str) -> TextMask:
    """Render ``text`` (one line) with font ``key`` at ``size`` px; falls back to DejaVu Sans for
    characters the font lacks. Text without ink (empty, blank) is an error: it cannot be annotated."""
    if not covers(key, text):
        key = FALLBACK_FONT
    parts = []
    pen = 0.0
    for ch in text:
        g = _glyph(key, size, ch)
        if g.mask is not None:
            parts.append((round(pen) + g.dx, g.dy, g.mask))
        pen += g.advance
    if not parts:
        raise ValueError(f"text_mask: {text!r} has no ink")
    x0 = min(p[0] for p in parts)
    y0 = min(p[1] for p in parts)
    x1 = max(p[0] + p[2].width for p in parts)
    y1 = max(p[1] + p[2].height for p in parts)
    mask = Image.new("L", (x1 - x0, y1 - y0), 0)
    for x, y, m in parts:
        mask.paste(255, (x - x0, y - y0, x - x0 + m.width, y - y0 + m.height), m)
    return TextMask(mask=mask, dx=x0, dy=y0, font=key)
