"""Small models for tests (this package's and other subsystems'): seconds to build on a CPU.

``tiny_test_model()`` is the ``tiny`` preset shrunk further (Qwen2 LM hidden 64 x 2 layers) with a
BPE tokenizer trained on the built-in fallback corpus; ``geoglip=False`` gives the CLIP-only model.
``diagram()`` draws a small test image.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import torch
from PIL import Image, ImageDraw

TEST_TEXT = dict(
    hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
    max_position_embeddings=1024,
)  # fmt: skip


@lru_cache(maxsize=2)
def _tokenizer(vocab_size: int):
    from svemath.mllm.presets import fallback_corpus
    from svemath.mllm.tokenizer import train_tokenizer

    return train_tokenizer(fallback_corpus(), vocab_size)


def small_tokenizer(vocab_size: int = 512):
    """A fresh copy of the small BPE tokenizer (trained once per process)."""
    import copy

    return copy.deepcopy(_tokenizer(vocab_size))


def tiny_test_model(
    geoglip: bool | dict[str, Any] = True, seed: int = 0, text: dict[str, Any] | None = None, **overrides: Any
):
    """``(model, processor)``: tiny vision, Qwen2 64 x 2 layers, eval mode, fixed seed. ``geoglip``:
    True (the tiny GeoGLIP), False (CLIP-only) or a dict of GeoGLIP config overrides."""
    from svemath.mllm.presets import build_model

    torch.manual_seed(seed)
    kwargs: dict[str, Any] = {
        "tokenizer": small_tokenizer(),
        "text": {**TEST_TEXT, **(text or {})},
        **overrides,
    }
    if geoglip is False:
        kwargs["geoglip"] = None
    elif isinstance(geoglip, dict):
        kwargs["geoglip"] = geoglip
    model, processor = build_model("tiny", **kwargs)
    return model.eval(), processor


def diagram(kind: int = 0, size: tuple[int, int] = (120, 90)) -> Image.Image:
    """A small non-square drawing (circles / a triangle / bars with a number), varying with ``kind``."""
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    w, h = size
    if kind % 3 == 0:
        for i in range(kind % 4 + 1):
            d.ellipse((5 + 25 * i, 10, 25 + 25 * i, 30), outline="black", width=2)
    elif kind % 3 == 1:
        d.polygon([(10, h - 10), (w - 10, h - 10), (w // 2, 10)], outline="black")
        d.text((w // 2 - 6, h // 2), str(30 + kind), fill="black")
    else:
        for i in range(4):
            top = 10 + (i * 13 + kind * 7) % (h - 30)
            d.rectangle((10 + 25 * i, top, 25 + 25 * i, h - 5), fill="gray", outline="black")
    return img
