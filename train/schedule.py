"""Learning-rate schedule: linear warmup then cosine decay to a floor, as a picklable LambdaLR factor."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class WarmupCosine:
    """Multiplier on each group's peak lr at optimizer step ``step`` (0-based)."""

    total_steps: int
    warmup_steps: int
    min_ratio: float = 0.1

    def __call__(self, step: int) -> float:
        if self.warmup_steps > 0 and step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        span = max(1, self.total_steps - self.warmup_steps)
        progress = min(1.0, (step - self.warmup_steps) / span)
        return self.min_ratio + (1.0 - self.min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


def build_scheduler(
    optimizer: torch.optim.Optimizer, total_steps: int, warmup_ratio: float, min_ratio: float
) -> torch.optim.lr_scheduler.LambdaLR:
    warmup = round(total_steps * warmup_ratio)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, WarmupCosine(total_steps, warmup, min_ratio))
