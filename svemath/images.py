"""Safe image loading shared by every component (data engine, model processor, eval, demo).

``load_image`` accepts a path, bytes, a binary file object or a PIL image and always returns an RGB
``PIL.Image.Image``:

* a pixel cap (``max_pixels``) is checked from the header, before any decoding, so decompression bombs
  are refused cheaply; a byte cap (``max_bytes``) guards uploads;
* truncated or corrupt files raise :class:`~svemath.errors.ImageLoadError` naming the source, never a
  half-decoded image (``ImageFile.LOAD_TRUNCATED_IMAGES`` is never enabled);
* EXIF orientation is applied;
* every mode (RGBA, LA, P with transparency, L, 1, CMYK, I;16, I, F, YCbCr, ...) is converted to RGB,
  with transparent areas composited over white (or ``background``);
* animated images give their first frame.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from svemath.errors import ImageLoadError

DEFAULT_MAX_PIXELS = 40_000_000  # 40 MP: far above any diagram, far below a bomb
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
WHITE = (255, 255, 255)

ImageSource = str | os.PathLike | bytes | bytearray | BinaryIO | Image.Image


def _describe(src: object) -> str:
    if isinstance(src, (str, os.PathLike)):
        return str(src)
    if isinstance(src, (bytes, bytearray)):
        return f"<{len(src)} bytes>"
    return getattr(src, "name", None) or f"<{type(src).__name__}>"


def _open(src: ImageSource, max_bytes: int | None) -> Image.Image:
    name = _describe(src)
    if isinstance(src, (str, os.PathLike)):
        path = Path(src)
        if not path.is_file():
            raise ImageLoadError(f"image file not found: {path}")
        if max_bytes is not None and path.stat().st_size > max_bytes:
            raise ImageLoadError(f"image file too large: {path} ({path.stat().st_size} bytes > {max_bytes})")
        data: bytes | BinaryIO = path.read_bytes()
    elif isinstance(src, (bytes, bytearray)):
        data = bytes(src)
    else:
        data = src
    if isinstance(data, bytes):
        if max_bytes is not None and len(data) > max_bytes:
            raise ImageLoadError(f"image too large: {name} ({len(data)} bytes > {max_bytes})")
        if not data:
            raise ImageLoadError(f"empty image file: {name}")
        data = io.BytesIO(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(data)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageLoadError(f"image too large: {name} (decompression bomb guard: {exc})") from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"not a readable image: {name} (unknown format)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageLoadError(f"not a readable image: {name} ({exc})") from None


def to_rgb(img: Image.Image, background: tuple[int, int, int] = WHITE) -> Image.Image:
    """Convert any PIL mode to RGB; transparency is composited over ``background``."""
    mode = img.mode
    if mode == "RGB":
        return img
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        # High bit-depth greyscale: rescale the actual range to 0..255.
        import numpy as np

        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        scaled = np.zeros_like(arr) if hi <= lo else (arr - lo) * (255.0 / (hi - lo))
        return Image.fromarray(scaled.round().astype("uint8"), mode="L").convert("RGB")
    if mode == "P":
        img = img.convert("RGBA") if "transparency" in img.info else img.convert("RGB")
        mode = img.mode
        if mode == "RGB":
            return img
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (*background, 255))
        canvas.alpha_composite(rgba)
        return canvas.convert("RGB")
    if mode == "L" and "transparency" in img.info:
        return to_rgb(img.convert("LA"), background)
    if mode == "CMYK":
        return img.convert("RGB")
    return img.convert("RGB")


def load_image(
    src: ImageSource,
    *,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    background: tuple[int, int, int] = WHITE,
) -> Image.Image:
    """Open, validate and decode an image to RGB. Raises ImageLoadError with the source's name."""
    name = _describe(src)
    if isinstance(src, Image.Image):
        img = src
    else:
        img = _open(src, max_bytes)
    w, h = img.size
    if w <= 0 or h <= 0:
        raise ImageLoadError(f"image has no pixels: {name} ({w}x{h})")
    if max_pixels is not None and w * h > max_pixels:
        raise ImageLoadError(f"image too large: {name} ({w}x{h} = {w * h} pixels > cap {max_pixels})")
    try:
        if getattr(img, "is_animated", False):
            img.seek(0)
        img.load()
        if img.getexif().get(0x0112, 1) not in (0, 1):  # only rotate when an orientation tag asks
            img = ImageOps.exif_transpose(img) or img
        out = to_rgb(img, background)
        out.load()
    except ImageLoadError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageLoadError(f"corrupt or truncated image: {name} ({exc})") from None
    return out


def fit_within(img: Image.Image, max_side: int) -> Image.Image:
    """Downscale (never upscale) so that the longer side is at most ``max_side`` pixels."""
    w, h = img.size
    if max(w, h) <= max_side:
        return img
    scale = max_side / max(w, h)
    return img.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS)


def pad_to_square(img: Image.Image, fill: tuple[int, int, int] = WHITE) -> Image.Image:
    """Centre ``img`` on a square canvas of colour ``fill`` (the same at training and inference)."""
    w, h = img.size
    if w == h:
        return img
    side = max(w, h)
    canvas = Image.new("RGB", (side, side), fill)
    canvas.paste(img, ((side - w) // 2, (side - h) // 2))
    return canvas
