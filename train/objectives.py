"""Objectives: what a stage optimises, behind a registry keyed by name.

An objective turns a stage's datasets into examples, examples into batches, and a batch into a loss; it
also computes held-out metrics for logging and gates. The engine (``svemath.train.engine``) owns
everything else (optimizer, schedule, accumulation, checkpoints, resume), so adding a training task
means adding one class here or in its own module, never a new loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from svemath.registry import Registry
from svemath.train.config import RecipeConfig, StageConfig


@dataclass
class StageContext:
    """Everything an objective may need besides the stage config."""

    recipe: RecipeConfig
    out_dir: Path  # the stage's output directory
    dataset_paths: dict[str, Path]  # recipe dataset name -> folder or file
    model: torch.nn.Module
    processor: Any
    device: torch.device
    seed: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def cache_dir(self) -> Path:
        """Where frozen-tower features are cached: the recipe's ``cache_dir``, else ``OUT/cache``."""
        return Path(self.recipe.cache_dir) if self.recipe.cache_dir else self.out_dir.parent / "cache"


class ExampleSource(Protocol):
    """A map-style dataset: ``len``, ``get(i)`` and the difficulty tag of each example (or None)."""

    def __len__(self) -> int: ...

    def get(self, index: int) -> Any: ...

    def levels(self) -> Sequence[str | None]: ...


class Objective:
    """Base class; subclasses set ``name`` and implement the four methods."""

    name = "base"

    def __init__(self, stage: StageConfig, ctx: StageContext) -> None:
        self.stage = stage
        self.ctx = ctx

    def sources(self) -> dict[str, ExampleSource]:
        """Training sources by recipe dataset name (only those in the stage's mix are requested)."""
        raise NotImplementedError

    def collate(self, examples: list[Any]) -> dict[str, Any]:
        raise NotImplementedError

    def task_module(self, model: torch.nn.Module) -> torch.nn.Module:
        """The module the engine wraps for (distributed) training and passes to :meth:`loss`: the model
        itself, or a small module sharing its parameters whose ``forward`` computes this loss."""
        return model

    def loss(self, task: torch.nn.Module, batch: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        """Loss of one micro-batch; ``task`` is :meth:`task_module`'s module, possibly DDP-wrapped."""
        raise NotImplementedError

    @torch.no_grad()
    def evaluate(self, model: torch.nn.Module) -> dict[str, float]:
        """Held-out metrics (names without prefix); empty when the stage has no held-out set."""
        return {}

    def on_stage_end(self, model: torch.nn.Module) -> dict[str, Any]:
        """Optional hook (e.g. write a cache, extra reports); returns items for the stage summary."""
        return {}


OBJECTIVES: Registry[type[Objective]] = Registry("objective")


OBJECTIVE_MODULES = (
    "svemath.train.obj_clip",
    "svemath.train.obj_geoglip",
    "svemath.train.obj_lm",
    "svemath.train.obj_prm",
)


def register_objective(cls: type[Objective]) -> type[Objective]:
    OBJECTIVES.register(cls.name, cls)
    return cls


def get_objective(name: str) -> type[Objective]:
    """Look up an objective, importing the built-in objective modules first."""
    import importlib

    for module in OBJECTIVE_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return OBJECTIVES.get(name)


def level_indices(source: ExampleSource, levels: Sequence[str] | None) -> np.ndarray:
    """Indices of ``source`` whose difficulty tag is in ``levels`` (all when ``levels`` is None)."""
    if levels is None:
        return np.arange(len(source))
    wanted = set(levels)
    return np.array([i for i, lv in enumerate(source.levels()) if lv in wanted], dtype=np.int64)


def move_to(batch: Any, device: torch.device) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: move_to(v, device) for k, v in batch.items()}
    if isinstance(batch, list):
        return [move_to(v, device) for v in batch]
    if isinstance(batch, tuple):
        return tuple(move_to(v, device) for v in batch)
    return batch
