"""The projector: fused visual tokens on the CLIP grid -> language-model embeddings.

Two steps, both configured by :class:`ProjectorConfig`:

1. optional neighbour merge (``token_merge = m``): each ``m x m`` block of the token grid is concatenated
   along channels (pixel-unshuffle), ``[B, k*g*g, C] -> [B, k*(g/m)^2, m*m*C]``; ``k`` is the number of
   grids stacked along the sequence (1 for channel fusion, 2 for sequence fusion). The tiny preset uses
   ``m = 2`` so that e.g. a 10x10 grid feeds 25 tokens and a 14x14 grid 49 tokens into the LM (image
   tokens dominate the LM's cost);
2. an MLP from the projector registry: ``linear`` (one Linear) or ``mlp2x_gelu`` (Linear -> GELU ->
   Linear, LLaVA-1.5 / SVE-Math), both with bias.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from svemath.errors import ConfigError, ShapeError
from svemath.registry import Registry


@dataclass
class ProjectorConfig:
    type: str = "mlp2x_gelu"  # a PROJECTORS name: "mlp2x_gelu" | "linear"
    token_merge: int = 1  # 1 (none) or m: merge m x m neighbouring tokens of the grid into one


PROJECTORS: Registry[Callable[[int, int], nn.Module]] = Registry("projector")


@PROJECTORS.register("linear")
def _linear(in_dim: int, out_dim: int) -> nn.Module:
    return nn.Linear(in_dim, out_dim)


@PROJECTORS.register("mlp2x_gelu")
def _mlp2x_gelu(in_dim: int, out_dim: int) -> nn.Module:
    return nn.Sequential(nn.Linear(in_dim, out_dim), nn.GELU(), nn.Linear(out_dim, out_dim))


def merge_neighbours(tokens: torch.Tensor, grid: int, merge: int) -> torch.Tensor:
    """``[B, k*grid*grid, C] -> [B, k*(grid/merge)^2, merge*merge*C]`` (row-major grids, blocks row-major)."""
    if merge == 1:
        return tokens
    batch, length, channels = tokens.shape
    per_grid = grid * grid
    if length % per_grid:
        raise ShapeError(f"projector: {length} tokens are not a whole number of {grid}x{grid} grids")
    k, g2 = length // per_grid, grid // merge
    x = tokens.reshape(batch * k, g2, merge, g2, merge, channels)
    x = x.permute(0, 1, 3, 2, 4, 5)  # [B*k, row block, col block, dy, dx, C]
    return x.reshape(batch, k * g2 * g2, merge * merge * channels)


class Projector(nn.Module):
    """Neighbour merge + MLP: ``[B, k*grid^2, in_dim] -> [B, k*(grid/m)^2, out_dim]``."""

    def __init__(self, cfg: ProjectorConfig, in_dim: int, out_dim: int, grid: int) -> None:
        super().__init__()
        if cfg.token_merge < 1 or grid % cfg.token_merge:
            raise ConfigError(
                f"projector.token_merge={cfg.token_merge} must be >= 1 and divide the CLIP grid side {grid}"
            )
        self.cfg = cfg
        self.grid = grid
        self.in_dim = in_dim
        self.out_dim = out_dim
        self.mlp = PROJECTORS.get(cfg.type)(in_dim * cfg.token_merge**2, out_dim)

    def tokens_per_grid(self) -> int:
        return (self.grid // self.cfg.token_merge) ** 2

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.ndim != 3 or tokens.shape[-1] != self.in_dim:
            raise ShapeError(f"projector expects [B, N, {self.in_dim}] tokens, got {tuple(tokens.shape)}")
        merged = merge_neighbours(tokens, self.grid, self.cfg.token_merge)
        return self.mlp(merged.to(next(self.mlp.parameters()).dtype))
