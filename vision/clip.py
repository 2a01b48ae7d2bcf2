"""CLIP tower over open_clip: patch tokens ``[B, N, C]`` from a chosen layer (CLS dropped) and
L2-normalised text embeddings ``[K, D]``.

Any open_clip model name works, with a ``pretrained`` tag or a local weights file (never downloaded in
tests). The tiny preset's model ``svemath-tiny-vit`` (160 px, patch 16 -> 10 x 10 tokens, width 128,
4 layers; text tower width 128, 4 layers, context 64, byte-level vocabulary of 259) is registered in
open_clip's config table on import, so ``open_clip.create_model("svemath-tiny-vit")`` works too.
``.model`` is the whole open_clip CLIP model, used by the contrastive ``clip`` stage with
``open_clip.ClipLoss``.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import Sequence
from typing import Any

import open_clip
import torch
from open_clip import factory as open_clip_factory

from svemath.errors import ConfigError
from svemath.vision.common import FreezableModule
from svemath.vision.config import TINY_CLIP_MODEL, TINY_CLIP_MODEL_CFG, CLIPTowerConfig


def register_open_clip_config(name: str, model_cfg: dict[str, Any]) -> None:
    """Add ``model_cfg`` to open_clip's model-config table under ``name`` (idempotent).

    Raises ConfigError when ``name`` is already registered with a different config.
    """
    known = open_clip_factory.get_model_config(name)
    if known is not None:
        if known != model_cfg:
            raise ConfigError(f"open_clip model {name!r} is already registered with a different config")
        return
    # open_clip reads its table in `get_model_config`; `add_model_config` only takes files.
    open_clip_factory._MODEL_CONFIGS[name] = copy.deepcopy(model_cfg)


register_open_clip_config(TINY_CLIP_MODEL, TINY_CLIP_MODEL_CFG)


@contextlib.contextmanager
def _quiet_logging():
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


class ByteTokenizer:
    """UTF-8 byte tokenizer with open_clip's tokenizer interface (``tok(texts) -> LongTensor[K, ctx]``).

    Ids: 0 pad, 1..256 bytes, 257 start, 258 end. The end token has the largest id, so open_clip's
    ``argmax`` text pooling picks it, as with its BPE tokenizer. Vocabulary size 259 keeps a tiny text
    tower small (open_clip's BPE vocabulary of 49,408 would cost 6.3M parameters at width 128).
    """

    vocab_size = 259
    sot_token_id = 257
    eot_token_id = 258

    def __init__(self, context_length: int = 64) -> None:
        self.context_length = context_length

    def __call__(self, texts: str | Sequence[str], context_length: int | None = None) -> torch.Tensor:
        if isinstance(texts, str):
            texts = [texts]
        ctx = context_length or self.context_length
        out = torch.zeros(len(texts), ctx, dtype=torch.long)
        for i, text in enumerate(texts):
            ids = [b + 1 for b in text.encode("utf-8")][: ctx - 2]
            row = [self.sot_token_id, *ids, self.eot_token_id]
            out[i, : len(row)] = torch.tensor(row)
        return out

    def decode(self, ids: Sequence[int]) -> str:
        data = bytes(i - 1 for i in ids if 1 <= i <= 256)
        return data.decode("utf-8", errors="replace")


class CLIPTower(FreezableModule):
    """open_clip model wrapper. ``forward(pixel_values [B,3,S,S]) -> tokens [B, N, C]``."""

    def __init__(self, cfg: CLIPTowerConfig, device: str | torch.device = "cpu") -> None:
        super().__init__()
        self.cfg = cfg
        if cfg.model_cfg is not None:
            register_open_clip_config(cfg.model_name, cfg.model_cfg)
        model_cfg = open_clip_factory.get_model_config(cfg.model_name)
        if model_cfg is None:
            raise ConfigError(
                f"unknown open_clip model {cfg.model_name!r}; known: {', '.join(open_clip.list_models())}"
            )
        vision = model_cfg["vision_cfg"]
        if vision.get("timm_model_name"):
            raise ConfigError(f"{cfg.model_name}: timm-based open_clip towers are not supported")
        if int(vision.get("image_size", 224)) != cfg.image_size:
            raise ConfigError(
                f"CLIPTowerConfig.image_size={cfg.image_size} but {cfg.model_name} expects "
                f"{vision.get('image_size', 224)}"
            )
        try:
            quiet = _quiet_logging() if cfg.pretrained is None else contextlib.nullcontext()
            with quiet:  # open_clip warns "initialized randomly" on every weight-less build
                self.model = open_clip.create_model(
                    cfg.model_name,
                    pretrained=cfg.pretrained,
                    force_quick_gelu=cfg.quick_gelu,
                    device=device,
                    pretrained_text=False,
                )
        except RuntimeError as exc:  # open_clip reports unknown tags / missing files this way
            raise ConfigError(f"CLIP tower {cfg.model_name!r} pretrained={cfg.pretrained!r}: {exc}") from None
        self.model.eval()
        for name in ("logit_scale", "logit_bias"):  # 0-dim -> [1]: DeepSpeed cannot broadcast 0-dim tensors
            param = getattr(self.model, name, None)
            if isinstance(param, torch.nn.Parameter) and param.dim() == 0:
                setattr(self.model, name, torch.nn.Parameter(param.detach().reshape(1), param.requires_grad))
        visual = self.model.visual
        self.num_layers = len(visual.transformer.resblocks)
        self.block_index = self._block_index(cfg.select_layer)
        self.patch_size = int(visual.patch_size[0])
        self.hidden_size = int(visual.transformer.width)
        self.grid_size = cfg.image_size // self.patch_size
        self.num_tokens = self.grid_size * self.grid_size
        self.embed_dim = int(model_cfg["embed_dim"])
        ctx = int(model_cfg["text_cfg"].get("context_length", 77))
        if cfg.tokenizer == "bytes":
            vocab = int(model_cfg["text_cfg"].get("vocab_size", 49408))
            if vocab != ByteTokenizer.vocab_size:
                raise ConfigError(f"{cfg.model_name}: byte tokenizer needs text vocab_size 259, not {vocab}")
            self.tokenizer: Any = ByteTokenizer(ctx)
        else:
            self.tokenizer = open_clip.get_tokenizer(cfg.model_name, context_length=ctx)

    def _block_index(self, select_layer: int) -> int:
        """HF ``hidden_states`` index -> transformer block index (-1: last block, -2: penultimate)."""
        n = self.num_layers
        block = n + select_layer if select_layer < 0 else select_layer - 1
        if not 0 <= block < n:
            raise ConfigError(f"select_layer={select_layer} is out of range for a {n}-layer CLIP tower")
        return block

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """``pixel_values [B, 3, S, S]`` -> patch tokens ``[B, grid*grid, hidden_size]``."""
        size = self.cfg.image_size
        if pixel_values.dim() != 4 or pixel_values.shape[1:] != (3, size, size):
            from svemath.errors import ShapeError

            raise ShapeError(
                f"CLIPTower expects pixel_values [B, 3, {size}, {size}], got {tuple(pixel_values.shape)}"
            )
        out = self.model.visual.forward_intermediates(
            pixel_values,
            indices=[self.block_index],
            stop_early=True,
            intermediates_only=True,
            output_fmt="NLC",
        )
        return out["image_intermediates"][0]

    def tokenize(self, texts: str | Sequence[str]) -> torch.Tensor:
        return self.tokenizer(texts)

    def encode_text(self, texts: Sequence[str]) -> torch.Tensor:
        """``texts`` -> L2-normalised text embeddings ``[K, embed_dim]``."""
        device = next(self.model.parameters()).device
        tokens = self.tokenize(list(texts)).to(device)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen):
            return self.model.encode_text(tokens, normalize=True)

    def encode_image(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """Pooled, projected, L2-normalised image embeddings ``[B, embed_dim]`` (contrastive training)."""
        return self.model.encode_image(pixel_values, normalize=True)
