"""Fonts for diagram text, taken from matplotlib's bundled TrueType files (never from the system).

Fonts are found with ``importlib.resources`` inside the installed ``matplotlib`` package
(``mpl-data/fonts/ttf``), so every machine with the same matplotlib renders identical glyphs.
``FONTS`` maps a short key (``"sans"``, ``"serif-italic"``, ``"stix"``, ...) to a file name.

Text is drawn through :func:`text_mask`: the string rendered once into an ``"L"`` mask cropped to its
exact ink (cached), so the renderer knows each label's tight box before it draws it, and pasting
the mask with a colour is all that drawing costs. A string with a character the chosen font lacks
is drawn with DejaVu Sans instead (it covers the degree sign, Greek letters and math symbols).
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
    return ImageFont.truetype(str(font_path(key)), size)


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


@lru_cache(maxsize=8192)
def text_mask(key: str, size: int, text: str) -> TextMask:
    """Render ``text`` (one line) with font ``key`` at ``size`` px; falls back to DejaVu Sans for
    characters the font lacks. Empty or blank text is an error (it has no ink to annotate)."""
    if not text.strip():
        raise ValueError("text_mask: empty text has no ink")
    if not covers(key, text):
        key = FALLBACK_FONT
    font = load_font(key, size)
    x0, y0, x1, y1 = font.getbbox(text, anchor="ls")
    pad = 2
    canvas = Image.new("L", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), 0)
    ImageDraw.Draw(canvas).text((pad - x0, pad - y0), text, font=font, fill=255, anchor="ls")
    ink = canvas.getbbox()
    if ink is None:
        raise ValueError(f"text_mask: {text!r} renders no ink in font {key!r}")
    mask = canvas.crop(ink)
    return TextMask(mask=mask, dx=ink[0] - pad + x0, dy=ink[1] - pad + y0, font=key)
