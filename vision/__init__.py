"""svemath.vision: the CLIP tower (open_clip), GeoGLIP (timm backbone, FPN, mixture, four heads) and the
feature router that fuses GeoGLIP's levels with CLIP tokens.

Public names are imported lazily (``from svemath.vision import GeoGLIP``), so importing the package does
not pull in torch, timm or open_clip.

Training GeoGLIP's heads on a primitives record::

    geo = GeoGLIP(geoglip_config("tiny"))
    x, scale, offset = preprocess(image, geo.cfg)                 # [3, S, S], square pad + resize
    t = geo.targets_from_annotations(record["annotations"], scale, offset, boundary=edge_image)
    out = geo.losses(geo.head_outputs(geo(x[None])), [t])        # out["loss"] + one entry per head

Features for the language model::

    levels = router.resample(geo.mllm_levels(geo(geo_pixels)), clip.grid_size)   # cacheable if frozen
    fused = router(clip(clip_pixels), levels)                      # .tokens [B, N, out_dim], .gates [B, 4]
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CLIPTowerConfig": "config",
    "GeoGLIPConfig": "config",
    "RouterConfig": "config",
    "clip_config": "config",
    "geoglip_config": "config",
    "router_config": "config",
    "square_resize": "transforms",
    "to_tensor": "transforms",
    "preprocess": "transforms",
    "CLIPTower": "clip",
    "GeoGLIP": "geoglip",
    "GeoGLIPFeatures": "geoglip",
    "Perception": "postprocess",
    "ImageTargets": "targets",
    "FeatureRouter": "router",
    "RouterOutput": "router",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'svemath.vision' has no attribute {name!r}")
    return getattr(importlib.import_module(f"svemath.vision.{module}"), name)
