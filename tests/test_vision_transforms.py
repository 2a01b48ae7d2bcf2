"""Preprocessing: square_resize geometry, normalisation, GLIP's BGR-255 convention, config round trips."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from svemath.configs import from_dict, to_dict
from svemath.errors import UnknownNameError
from svemath.vision.config import (
    CLIPTowerConfig,
    GeoGLIPConfig,
    RouterConfig,
    clip_config,
    geoglip_config,
    router_config,
)
from svemath.vision.transforms import denormalize, preprocess, square_resize, to_tensor


def test_square_resize_maps_points():
    img = Image.new("RGB", (200, 100), (255, 255, 255))
    for u in (150, 151):
        for v in (20, 21):
            img.putpixel((u, v), (0, 0, 0))  # input pixels [150, 152) x [20, 22) -> output pixel (75, 35)
    out, scale, (dx, dy) = square_resize(img, 100, fill=(10, 20, 30), resample=Image.Resampling.NEAREST)
    assert out.size == (100, 100) and scale == 0.5 and (dx, dy) == (0, 50)
    assert out.getpixel((50, 5)) == (10, 20, 30)  # padding colour on top
    x, y = (150 + dx) * scale, (20 + dy) * scale
    assert out.getpixel((int(x), int(y))) == (0, 0, 0)
    tall, scale, offset = square_resize(Image.new("RGB", (50, 80)), 160)
    assert tall.size == (160, 160) and scale == 2.0 and offset == (15, 0)


def test_to_tensor_rgb_and_glip_bgr255():
    img = Image.fromarray(np.array([[[255, 128, 0]]], dtype=np.uint8))
    x = to_tensor(img, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    torch.testing.assert_close(x.flatten(), torch.tensor([1.0, 128 / 255 * 2 - 1, -1.0]))
    y = to_tensor(img, (103.53, 116.28, 123.675), (1.0, 1.0, 1.0), channel_order="bgr", pixel_scale=255.0)
    torch.testing.assert_close(y.flatten(), torch.tensor([0 - 103.53, 128 - 116.28, 255 - 123.675]))


def test_preprocess_and_denormalize_for_each_tower():
    img = Image.new("RGB", (300, 200), (200, 100, 50))
    for cfg in (clip_config("tiny"), geoglip_config("tiny"), geoglip_config("real")):
        x, scale, offset = preprocess(img, cfg)
        assert x.shape == (3, cfg.image_size, cfg.image_size)
        rgb = denormalize(x, cfg)[:, cfg.image_size // 2, cfg.image_size // 2]
        torch.testing.assert_close(rgb, torch.tensor([200, 100, 50]) / 255.0, atol=2e-2, rtol=0)
        assert offset == (0, 50) and scale == pytest.approx(cfg.image_size / 300)


@pytest.mark.parametrize("preset", ["tiny", "real", "compat"])
def test_config_presets_round_trip(preset):
    for cls, fn in (
        (CLIPTowerConfig, clip_config),
        (GeoGLIPConfig, geoglip_config),
        (RouterConfig, router_config),
    ):
        cfg = fn(preset)
        assert from_dict(cls, to_dict(cfg)) == cfg
    assert geoglip_config("compat").channel_order == "rgb" and geoglip_config("real").channel_order == "bgr"
    with pytest.raises(UnknownNameError, match="tiny"):
        geoglip_config("huge")


def test_shape_classes_match_the_data_engine():
    try:
        from svemath.data.scene import SHAPE_CLASSES as DATA_CLASSES
    except ImportError as exc:  # the data engine is optional for the vision tests
        pytest.skip(f"svemath.data.scene not importable: {exc}")
    from svemath.vision.config import SHAPE_CLASSES

    assert DATA_CLASSES[: len(SHAPE_CLASSES)] == SHAPE_CLASSES  # the data side only appends
