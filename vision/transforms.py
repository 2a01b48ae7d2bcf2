"""Image preprocessing shared by the towers, the processor and the GeoGLIP target builder.

``square_resize`` pads an image to a centred square (the same fill at training and inference) and resizes
it; annotation coordinates map as ``x' = (x + dx) * scale``. ``to_tensor`` normalises to
``FloatTensor[3, H, W]`` (optionally in BGR order and 0..255 scale, GLIP's convention).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image

from svemath.errors import ShapeError
from svemath.images import to_rgb


def square_geometry(width: int, height: int, size: int) -> tuple[float, tuple[int, int]]:
    """Scale and (dx, dy) offset of ``square_resize`` for an image of ``width`` x ``height``."""
    if width <= 0 or height <= 0 or size <= 0:
        raise ShapeError(f"square_resize: invalid sizes image={width}x{height} target={size}")
    side = max(width, height)
    return size / side, ((side - width) // 2, (side - height) // 2)


def square_resize(
    img: Image.Image,
    size: int,
    fill: Sequence[int] = (255, 255, 255),
    resample: Image.Resampling = Image.Resampling.BICUBIC,
) -> tuple[Image.Image, float, tuple[int, int]]:
    """Centre ``img`` on a square of colour ``fill`` and resize to ``size`` x ``size``.

    Returns ``(image, scale, (dx, dy))``: a point ``(x, y)`` of the input maps to
    ``((x + dx) * scale, (y + dy) * scale)``.
    """
    w, h = img.size
    scale, (dx, dy) = square_geometry(w, h, size)
    side = max(w, h)
    if img.mode not in ("RGB", "L"):
        img = to_rgb(img)
    fill_value: Any = tuple(int(v) for v in fill) if img.mode == "RGB" else int(fill[0])
    if w != h:
        canvas = Image.new(img.mode, (side, side), fill_value)
        canvas.paste(img, (dx, dy))
        img = canvas
    if side != size:
        img = img.resize((size, size), resample)
    return img, scale, (dx, dy)


def to_tensor(
    img: Image.Image,
    mean: Sequence[float],
    std: Sequence[float],
    *,
    channel_order: str = "rgb",
    pixel_scale: float = 1.0,
) -> torch.Tensor:
    """PIL RGB image -> normalised ``FloatTensor[3, H, W]``.

    Pixels are divided by 255 and multiplied by ``pixel_scale`` (255 for GLIP), channels reordered to
    ``channel_order`` ("rgb" or "bgr"), then ``(x - mean) / std`` with mean/std in that order and scale.
    """
    if img.mode != "RGB":
        img = to_rgb(img)
    if channel_order not in ("rgb", "bgr"):
        raise ShapeError(f"to_tensor: channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
    arr = np.asarray(img, dtype=np.float32) * (pixel_scale / 255.0)
    x = torch.from_numpy(arr).permute(2, 0, 1).contiguous()
    if channel_order == "bgr":
        x = x.flip(0)
    mean_t = torch.tensor(mean, dtype=torch.float32).view(3, 1, 1)
    std_t = torch.tensor(std, dtype=torch.float32).view(3, 1, 1)
    return (x - mean_t) / std_t


def preprocess(img: Image.Image, cfg: Any) -> tuple[torch.Tensor, float, tuple[int, int]]:
    """Square-resize and normalise ``img`` for a tower config (CLIPTowerConfig or GeoGLIPConfig).

    Returns ``(FloatTensor[3, S, S], scale, (dx, dy))``.
    """
    square, scale, offset = square_resize(img, cfg.image_size, cfg.fill)
    x = to_tensor(
        square,
        cfg.mean,
        cfg.std,
        channel_order=getattr(cfg, "channel_order", "rgb"),
        pixel_scale=getattr(cfg, "pixel_scale", 1.0),
    )
    return x, scale, offset


def denormalize(x: torch.Tensor, cfg: Any) -> torch.Tensor:
    """Inverse of ``to_tensor`` for display: ``[3, H, W]`` normalised -> RGB in [0, 1]."""
    mean = torch.tensor(cfg.mean, dtype=x.dtype, device=x.device).view(3, 1, 1)
    std = torch.tensor(cfg.std, dtype=x.dtype, device=x.device).view(3, 1, 1)
    y = x * std + mean
    if getattr(cfg, "channel_order", "rgb") == "bgr":
        y = y.flip(0)
    return (y / getattr(cfg, "pixel_scale", 1.0)).clamp(0, 1)
