"""``model.perceive(image)``: what GeoGLIP sees in one image plus the router's gates, for the demo.

Detections come from ``GeoGLIP.perceive`` in model-input pixels and are mapped back to the original
image (inverse of the processor's pad-to-square + resize: ``x = x' / scale - dx``); the boundary map is
cropped to the image area and resized to the original size.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from svemath.errors import ConfigError

LEVEL_NAMES = ("P7", "P6", "P5", "B3")  # order of GeoGLIP.mllm_levels


def _unmap_boxes(boxes: torch.Tensor, scale: float, offset: tuple[int, int], size: tuple[int, int]) -> list:
    dx, dy = offset
    w, h = size
    out = []
    for x0, y0, x1, y1 in boxes.tolist():
        out.append(
            [
                round(min(max(x0 / scale - dx, 0.0), w), 1),
                round(min(max(y0 / scale - dy, 0.0), h), 1),
                round(min(max(x1 / scale - dx, 0.0), w), 1),
                round(min(max(y1 / scale - dy, 0.0), h), 1),
            ]
        )
    return out


def _unmap_boundary(
    boundary: torch.Tensor, scale: float, offset: tuple[int, int], size: tuple[int, int]
) -> np.ndarray:
    dx, dy = offset
    w, h = size
    x0, y0 = round(dx * scale), round(dy * scale)
    x1, y1 = max(x0 + 1, round((dx + w) * scale)), max(y0 + 1, round((dy + h) * scale))
    crop = boundary[y0:y1, x0:x1].float()[None, None]
    return F.interpolate(crop, size=(h, w), mode="bilinear", align_corners=False)[0, 0].clamp(0, 1).numpy()


@torch.no_grad()
def perceive(
    model,
    processor,
    image: Image.Image | str | Path,
    *,
    class_names: Sequence[str] | None = None,
    score_threshold: float | None = None,
    text_threshold: float | None = None,
) -> dict[str, Any]:
    """One image -> ``{"shapes", "junctions", "texts", "boundary" (float32 [H, W] in [0,1]), "gates"
    ({"P7": g, ...}), "image_size" [W, H]}`` in original-image pixel coordinates."""
    if model.geoglip is None:
        raise ConfigError("this is a CLIP-only model (geoglip=None): there is nothing to perceive with")
    if not isinstance(image, Image.Image):
        from svemath.images import load_image

        image = load_image(image)
    size = image.size
    enc = processor.preprocess_image(image)
    geom = enc["geo_geometry"]
    device = model.device
    geoglip, router, clip = model.geoglip, model.router, model.clip
    was_training = model.training
    model.eval()
    try:
        geo = enc["geo_pixel_values"][None].to(device, next(geoglip.parameters()).dtype)
        feats = geoglip(geo)
        names = list(class_names) if class_names is not None else None
        embeddings = None
        if names is not None and any(n not in geoglip.cfg.shape_classes for n in names):
            embeddings = clip.encode_text(names)  # region-text alignment: any shape name can be asked for
        seen = geoglip.perceive(
            geo,
            names,
            embeddings,
            features=feats,
            score_threshold=score_threshold,
            text_threshold=text_threshold,
        )[0]
        pix = enc["pixel_values"][None].to(device, next(clip.parameters()).dtype)
        levels = router.resample(geoglip.mllm_levels(feats), clip.grid_size)
        dtype = next(router.parameters()).dtype
        gates = router(clip(pix).to(dtype), [lv.to(dtype) for lv in levels]).gates[0].float().cpu().tolist()
    finally:
        model.train(was_training)
    scale, offset = geom["scale"], geom["offset"]
    dx, dy = offset
    return {
        "shapes": [
            {"cls": n, "box": b, "score": round(float(s), 3)}
            for n, b, s in zip(
                seen.shape_names, _unmap_boxes(seen.shape_boxes, scale, offset, size), seen.shape_scores
            )
        ],
        "junctions": [
            {
                "xy": [round(x / scale - dx, 1), round(y / scale - dy, 1)],
                "angles": [round(a, 1) for a in angs],
                "score": round(float(s), 3),
            }
            for (x, y), angs, s in zip(seen.junction_xy.tolist(), seen.junction_angles, seen.junction_scores)
        ],
        "texts": [
            {"box": b, "text": t, "score": round(float(s), 3)}
            for b, t, s in zip(
                _unmap_boxes(seen.text_boxes, scale, offset, size), seen.text_strings, seen.text_scores
            )
        ],
        "boundary": _unmap_boundary(seen.boundary, scale, offset, size),
        "gates": dict(zip(LEVEL_NAMES, (round(g, 4) for g in gates), strict=False)),
        "image_size": [size[0], size[1]],
    }
