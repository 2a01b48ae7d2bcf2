"""Feature router + fusion: GeoGLIP levels gated per sample and fused with CLIP tokens.

``resample`` (parameter-free, cacheable for frozen towers): each level ``[B, C_i, h_i, w_i]`` -> the CLIP
grid ``[B, grid*grid, C_i]`` with adaptive area pooling when shrinking and bilinear interpolation when
growing (never nearest, which aliases thin strokes away; ``resample="nearest"`` only for compat).

``forward(clip_tokens [B, N, C], level_tokens)``:
  H_i = Linear(LN(GELU(Linear(F_i))))                     per-level MLP (the reference's aggregation)
  A_i = MLP_out(LN_shared(H_i))                          shared LayerNorm + output MLP
  g   = gate(LN(mean CLIP tokens), LN(Linear_i(mean F_i)))  one gate per sample and level
  clean:  out_i = g_i * A_i        (the gate changes the output)
  compat: out_i = MLP_out(LN_shared(g_i * H_i))   (the reference: LayerNorm cancels the gate)
Fusion ``channel``: ``[CLIP | out_0 | ... | out_{L-1}]`` -> ``[B, N, C + L*H]``;
``sequence``: ``[CLIP ; Linear(sum_i out_i)]`` on the token axis -> ``[B, 2N, C]``.
Gate modes: ``soft`` (sigmoid), ``softmax`` (over levels), ``constant`` (all ones, no parameters used),
``top1`` (hard arg-max with a straight-through softmax gradient).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from svemath.errors import ShapeError
from svemath.vision.config import RouterConfig


@dataclass
class RouterOutput:
    tokens: torch.Tensor  # [B, N, out_dim] (channel) or [B, 2N, out_dim] (sequence)
    gates: torch.Tensor  # [B, L]


def resample_level(x: torch.Tensor, grid: int, mode: str = "area") -> torch.Tensor:
    """``[B, C, h, w] -> [B, grid*grid, C]`` (area pooling down, bilinear up, per axis)."""
    if x.dim() != 4:
        raise ShapeError(f"resample expects [B, C, h, w], got {tuple(x.shape)}")
    h, w = x.shape[-2:]
    dtype = x.dtype
    y = x.float()
    if mode == "nearest":
        y = F.interpolate(y, size=(grid, grid), mode="nearest")
    else:
        if h > grid or w > grid:
            y = F.adaptive_avg_pool2d(y, (min(h, grid), min(w, grid)))
        if y.shape[-2:] != (grid, grid):
            y = F.interpolate(y, size=(grid, grid), mode="bilinear", align_corners=False)
    return y.to(dtype).flatten(2).transpose(1, 2)


class FeatureRouter(nn.Module):
    def __init__(self, cfg: RouterConfig, clip_dim: int, level_dims: Sequence[int]) -> None:
        super().__init__()
        self.cfg = cfg
        self.clip_dim = clip_dim
        self.level_dims = list(level_dims)
        h = cfg.hidden_size
        self.aggregate = nn.ModuleList(
            nn.Sequential(
                nn.Linear(c, h, bias=False), nn.GELU(), nn.LayerNorm(h), nn.Linear(h, h, bias=False)
            )
            for c in self.level_dims
        )
        self.norm_shared = nn.LayerNorm(h)
        self.proj_out = nn.Sequential(nn.Linear(h, h, bias=False), nn.GELU(), nn.Linear(h, h, bias=False))
        ctx = cfg.context_dim or h
        self.norm_clip = nn.LayerNorm(clip_dim)
        self.proj_context = nn.ModuleList(nn.Linear(c, ctx, bias=False) for c in self.level_dims)
        self.norm_context = nn.LayerNorm(ctx)
        self.gate_mlp = nn.Sequential(
            nn.Linear(clip_dim + ctx, cfg.gate_hidden, bias=False), nn.GELU(), nn.Linear(cfg.gate_hidden, 1)
        )
        self.sequence_proj = (
            nn.Linear(h, clip_dim, bias=False)
            if cfg.fusion == "sequence" and h != clip_dim
            else nn.Identity()
        )

    @property
    def num_levels(self) -> int:
        return len(self.level_dims)

    @property
    def out_dim(self) -> int:
        if self.cfg.fusion == "channel":
            return self.clip_dim + self.num_levels * self.cfg.hidden_size
        return self.clip_dim

    def resample(self, levels: Sequence[torch.Tensor], grid: int) -> list[torch.Tensor]:
        """Parameter-free: ``[[B, C_i, h_i, w_i]] -> [[B, grid*grid, C_i]]``."""
        if len(levels) != self.num_levels:
            raise ShapeError(f"router expects {self.num_levels} levels, got {len(levels)}")
        return [resample_level(x, grid, self.cfg.resample) for x in levels]

    def gates(self, clip_tokens: torch.Tensor, level_tokens: Sequence[torch.Tensor]) -> torch.Tensor:
        """``[B, L]`` gate values for the configured mode."""
        b = clip_tokens.shape[0]
        mode = self.cfg.mode
        if mode == "constant":
            return clip_tokens.new_ones(b, self.num_levels)
        q = self.norm_clip(clip_tokens.mean(1))  # [B, C]
        ctx = torch.stack(
            [self.norm_context(p(f.mean(1))) for p, f in zip(self.proj_context, level_tokens)], 1
        )  # [B, L, H]
        logits = self.gate_mlp(torch.cat([q[:, None].expand(-1, self.num_levels, -1), ctx], -1))[..., 0]
        if mode == "soft":
            return torch.sigmoid(logits)
        soft = torch.softmax(logits / self.cfg.softmax_temperature, -1)
        if mode == "softmax":
            return soft
        if mode == "top1":
            hard = F.one_hot(soft.argmax(-1), self.num_levels).to(soft.dtype)
            return hard + soft - soft.detach()
        raise ValueError(f"unknown router mode {mode!r}")

    def forward(self, clip_tokens: torch.Tensor, level_tokens: Sequence[torch.Tensor]) -> RouterOutput:
        if len(level_tokens) != self.num_levels:
            raise ShapeError(f"router expects {self.num_levels} levels, got {len(level_tokens)}")
        b, n, c = clip_tokens.shape
        if c != self.clip_dim:
            raise ShapeError(f"router expects CLIP tokens of width {self.clip_dim}, got {c}")
        for i, (f, dim) in enumerate(zip(level_tokens, self.level_dims)):
            if f.shape != (b, n, dim):
                raise ShapeError(
                    f"level {i}: expected [{b}, {n}, {dim}] (resampled to the CLIP grid), got {tuple(f.shape)}"
                )
        if not self.cfg.use_clip:  # the "GeoGLIP only" ablation: the CLIP tokens carry nothing
            clip_tokens = torch.zeros_like(clip_tokens)
        gates = self.gates(clip_tokens, level_tokens)  # [B, L]
        hidden = [agg(f) for agg, f in zip(self.aggregate, level_tokens)]  # L x [B, N, H]
        outs = []
        for i, h in enumerate(hidden):
            g = gates[:, i, None, None].to(h.dtype)
            if self.cfg.gate_position == "compat":
                outs.append(self.proj_out(self.norm_shared(g * h)))
            else:
                outs.append(g * self.proj_out(self.norm_shared(h)))
        if self.cfg.fusion == "channel":
            tokens = torch.cat([clip_tokens, *outs], -1)
        else:
            tokens = torch.cat([clip_tokens, self.sequence_proj(torch.stack(outs).sum(0))], 1)
        return RouterOutput(tokens=tokens, gates=gates)


def grid_side(num_tokens: int) -> int:
    side = math.isqrt(num_tokens)
    if side * side != num_tokens:
        raise ShapeError(f"{num_tokens} CLIP tokens do not form a square grid")
    return side
