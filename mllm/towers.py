"""The vision side as the language model sees it: build the towers from an ``SVEMathConfig``, encode
images into cacheable features, fuse them into tokens on the CLIP grid.

Feature dict (``encode_images`` output, also the ``image_features=`` input of the model; every tensor is
on the CLIP grid, so a frozen tower's features can be cached once per image):

- ``"clip"``: CLIP patch tokens ``[B, N, C_clip]`` (N = grid * grid);
- ``"level_0"`` .. ``"level_3"``: GeoGLIP's levels [P7, P6, P5, B3] resampled to the grid,
  ``[B, N, C_i]`` (absent for the CLIP-only model);
- with label tokens: ``"label_probs" [B, S, V]``, ``"label_boxes" [B, S, 4]``, ``"label_kind" [B, S]``
  (the labels GeoGLIP reads, packed into S character slots; :mod:`svemath.mllm.labels`);
- with shape tokens: ``"shape_probs" [B, S, K]``, ``"shape_boxes" [B, S, 4]``, ``"shape_color" [B, S, 3]``,
  ``"shape_kind" [B, S]`` (the shapes GeoGLIP detects, one per slot; :mod:`svemath.mllm.shapes`).

Only this module imports ``svemath.vision``; it is imported lazily by the model so that registering the
Auto classes does not load open_clip and timm.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from svemath.configs import from_dict
from svemath.errors import ConfigError, ShapeError

CLIP_KEY = "clip"


def level_key(index: int) -> str:
    return f"level_{index}"


def clip_config(config):
    from svemath.vision.config import CLIPTowerConfig

    return from_dict(CLIPTowerConfig, config.clip, "SVEMathConfig.clip")


def geoglip_config(config):
    from svemath.vision.config import GeoGLIPConfig

    return (
        None if config.geoglip is None else from_dict(GeoGLIPConfig, config.geoglip, "SVEMathConfig.geoglip")
    )


def router_config(config):
    from svemath.vision.config import RouterConfig

    return from_dict(RouterConfig, config.router, "SVEMathConfig.router")


def image_specs(config) -> tuple[Any, Any]:
    """The processor's per-tower preprocessing (size, mean, std, channel order, pixel scale)."""
    from svemath.mllm.processor import ImageSpec

    clip = clip_config(config)
    geo = geoglip_config(config)
    clip_spec = ImageSpec(clip.image_size, tuple(clip.mean), tuple(clip.std))
    geo_spec = None
    if geo is not None:
        geo_spec = ImageSpec(
            geo.image_size, tuple(geo.mean), tuple(geo.std), geo.channel_order, geo.pixel_scale
        )
    return clip_spec, geo_spec


def resolve_pad_fill(config) -> list[int]:
    """One pad fill everywhere: ``config.pad_fill`` (default: CLIP's fill) must equal every tower's fill."""
    clip = clip_config(config)
    geo = geoglip_config(config)
    fill = list(config.pad_fill) if config.pad_fill is not None else [int(v) for v in clip.fill]
    for name, cfg in (("clip", clip), ("geoglip", geo)):
        if cfg is not None and [int(v) for v in cfg.fill] != fill:
            raise ConfigError(f"pad_fill {fill} differs from the {name} tower's fill {list(cfg.fill)}")
    return fill


def build_towers(config) -> tuple[nn.Module, nn.Module | None, nn.Module | None]:
    """``(clip, geoglip | None, router | None)`` from the config dicts, on the current default device.

    Under ``torch.device("meta")`` (transformers' from_pretrained) open_clip is told to stay on meta;
    weights come from the checkpoint afterwards.
    """
    from svemath.vision.clip import CLIPTower

    clip = CLIPTower(clip_config(config), device=torch.get_default_device())
    geo_cfg = geoglip_config(config)
    if geo_cfg is None:
        return clip, None, None
    from svemath.vision.geoglip import GeoGLIP
    from svemath.vision.router import FeatureRouter

    geoglip = GeoGLIP(geo_cfg)
    router = FeatureRouter(router_config(config), clip_dim=clip.hidden_size, level_dims=geoglip.level_dims)
    return clip, geoglip, router


def fused_width(clip: nn.Module, router: nn.Module | None) -> int:
    """Channel width of the fused tokens entering the projector."""
    return clip.hidden_size if router is None else router.out_dim


def grids_per_image(router: nn.Module | None, config) -> int:
    """How many CLIP grids the fused sequence holds (2 for sequence fusion, else 1)."""
    return 1 if router is None else (2 if router_config(config).fusion == "sequence" else 1)


def _tower_grad(module: nn.Module) -> bool:
    return torch.is_grad_enabled() and any(p.requires_grad for p in module.parameters())


def _param_dtype(module: nn.Module) -> torch.dtype:
    return next(module.parameters()).dtype


def encode(
    clip: nn.Module,
    geoglip: nn.Module | None,
    router: nn.Module | None,
    pixel_values: torch.Tensor,
    geo_pixel_values: torch.Tensor | None,
    raw: dict[str, Any] | None = None,
    label_slots: int = 0,
    shape_slots: int = 0,
    shape_threshold: float | None = None,
) -> dict[str, torch.Tensor]:
    """Run the towers (no autograd through frozen ones) -> the feature dict described above.

    When ``raw`` is a dict, GeoGLIP's full output (``GeoGLIPFeatures``) is stored in ``raw["geoglip"]``
    so that its heads can be trained on the same forward pass.
    """
    with torch.set_grad_enabled(_tower_grad(clip)):
        # contiguous: the same memory layout whether features come fresh, cached or re-stacked, so the
        # three paths give bit-identical results
        features = {CLIP_KEY: clip(pixel_values.to(_param_dtype(clip))).contiguous()}
    if geoglip is None:
        return features
    if geo_pixel_values is None:
        raise ShapeError(
            "this model has GeoGLIP: pass geo_pixel_values (the processor makes them) with pixel_values"
        )
    if geo_pixel_values.shape[0] != pixel_values.shape[0]:
        raise ShapeError(
            f"pixel_values has {pixel_values.shape[0]} images but geo_pixel_values {geo_pixel_values.shape[0]}"
        )
    with torch.set_grad_enabled(_tower_grad(geoglip)):
        geo_features = geoglip(geo_pixel_values.to(_param_dtype(geoglip)))
        for i, tokens in enumerate(router.resample(geoglip.mllm_levels(geo_features), clip.grid_size)):
            features[level_key(i)] = tokens.contiguous()
    if label_slots or shape_slots:
        from svemath.mllm.labels import read_labels
        from svemath.mllm.shapes import read_shapes

        was = geoglip.training
        geoglip.train(False)
        if label_slots:
            features.update(read_labels(geoglip, geo_features, label_slots))
        if shape_slots:
            features.update(read_shapes(geoglip, geo_features, shape_slots, shape_threshold))
        geoglip.train(was)
    if raw is not None:
        raw["geoglip"] = geo_features
    return features


def fuse(
    router: nn.Module | None, features: dict[str, torch.Tensor], num_levels: int
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Feature dict -> (tokens [B, k*N, C_fused], gates [B, L] | None)."""
    expected = [CLIP_KEY] + [level_key(i) for i in range(num_levels if router is not None else 0)]
    missing = [k for k in expected if k not in features]
    if missing:
        raise ShapeError(f"image_features is missing {missing}; expected keys {expected}")
    clip_tokens = features[CLIP_KEY]
    if router is None:
        return clip_tokens, None
    dtype = _param_dtype(router)
    levels = [features[level_key(i)].to(dtype) for i in range(num_levels)]
    out = router(clip_tokens.to(dtype), levels)
    return out.tokens, out.gates
