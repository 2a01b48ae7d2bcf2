"""Typed configs for recipes and stages: a stage is declared data, run by one engine.

A recipe (YAML under ``train/recipes/``) names a model preset, the datasets to generate (or external
LLaVA-format files to read) and an ordered list of stages. A stage declares its objective, which modules
train, per-module learning rates, its data mix, its budget (steps, epochs or wall minutes), batch and
accumulation, its starting point and its metric gates. The resolved recipe is saved beside every
checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from svemath.errors import ConfigError


@dataclass
class DatasetSpec:
    """A dataset the recipe uses: generated from a suite into ``OUT/data/<name>`` or read from ``path``."""

    suite: str | None = None  # data-engine suite to generate
    n: int = 0
    seed: int = 0
    image_size: int | None = None
    options: dict[str, Any] = field(default_factory=dict)  # suite options (``--option``), e.g. family_weights
    path: str | None = None  # an existing dataset folder or LLaVA-format JSON/JSONL file
    image_root: str | None = None  # for external files whose image paths are relative elsewhere
    skip_bad: bool = False  # skip and count malformed records instead of stopping

    def __post_init__(self) -> None:
        if (self.suite is None) == (self.path is None):
            raise ConfigError("a dataset needs exactly one of 'suite' (to generate) or 'path'")
        if self.suite is not None and self.n <= 0:
            raise ConfigError(f"dataset from suite {self.suite!r} needs n > 0")
        if not isinstance(self.options, dict):
            raise ConfigError(f"dataset options must be a mapping, got {self.options!r}")
        if self.options and self.suite is None:
            raise ConfigError("dataset options are for generated datasets (with 'suite'), not for 'path'")


@dataclass
class MixEntry:
    """One source of a stage's training mix: a dataset name and its sampling weight."""

    dataset: str
    weight: float = 1.0
    levels: list[str] | None = None  # keep only these difficulty tags (meta.level)


@dataclass
class CurriculumPhase:
    """From ``start`` (fraction of the stage's steps) on, sample only these difficulty tags."""

    start: float
    levels: list[str]


@dataclass
class GateSpec:
    """Stop the stage early once held-out ``metric`` satisfies ``op value`` (checked at each eval)."""

    metric: str
    value: float
    op: Literal[">=", "<="] = ">="

    def passed(self, metrics: dict[str, float]) -> bool:
        if self.metric not in metrics:
            return False
        got = metrics[self.metric]
        return got >= self.value if self.op == ">=" else got <= self.value


@dataclass
class OptimSpec:
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)
    warmup_ratio: float = 0.03
    min_lr_ratio: float = 0.1  # cosine decays to this fraction of each group's peak lr
    max_grad_norm: float = 1.0


@dataclass
class StageConfig:
    name: str
    objective: str  # registered objective: clip | geoglip | lm | prm
    trainable: list[str] = field(default_factory=list)  # module names, e.g. ["router", "projector"]
    lr: dict[str, float] = field(default_factory=dict)  # module name -> peak learning rate
    data: list[MixEntry] = field(default_factory=list)
    heldout: str | None = None  # dataset name for held-out metrics and gates
    heldout_n: int = 256
    steps: int | None = None
    epochs: float | None = None
    wall_minutes: float | None = None  # hard wall-clock budget (stops cleanly and saves)
    batch_size: int = 16
    grad_accum: int = 1
    init_from: str | None = "previous"  # previous | <stage name> | <path> | none
    eval_every: int = 200
    save_every: int = 200
    log_every: int = 10
    gates: list[GateSpec] = field(default_factory=list)
    curriculum: list[CurriculumPhase] = field(default_factory=list)
    cache_features: bool = False  # frozen towers: compute their features once per image
    group_by_length: int = 0  # > 1: pool this many steps' examples and batch them by length (less padding)
    gradient_checkpointing: bool = False
    deepspeed_config: str | None = None  # overrides the recipe's (e.g. ZeRO-2 for align, ZeRO-3 for instruct)
    optim: OptimSpec = field(default_factory=OptimSpec)
    options: dict[str, Any] = field(default_factory=dict)  # objective-specific settings
    # changes to the starting model before training, e.g. {label_slots: 64} (train.modeling.STAGE_OVERRIDES)
    model_overrides: dict[str, Any] = field(default_factory=dict)
    skip: bool = False

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.steps, self.epochs)) == 0 and self.wall_minutes is None:
            raise ConfigError(f"stage {self.name!r}: give steps, epochs or wall_minutes")
        missing = sorted(set(self.lr) - set(self.trainable))
        if missing:
            raise ConfigError(f"stage {self.name!r}: lr given for non-trainable module(s) {missing}")
        if self.batch_size < 1 or self.grad_accum < 1:
            raise ConfigError(f"stage {self.name!r}: batch_size and grad_accum must be >= 1")


@dataclass
class RecipeConfig:
    name: str
    preset: str = "tiny"
    model: dict[str, Any] = field(default_factory=dict)  # overrides passed to build_model
    seed: int = 0
    precision: Literal["auto", "bf16", "fp32"] = "auto"
    distributed: Literal["none", "ddp", "deepspeed"] = "none"
    deepspeed_config: str | None = None  # a JSON under train/configs/ or a path
    datasets: dict[str, DatasetSpec] = field(default_factory=dict)
    stages: list[StageConfig] = field(default_factory=list)
    description: str = ""
    # frozen-tower feature cache (keyed by tower and data hashes, so runs can share it); None: OUT/cache
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ConfigError(f"recipe {self.name!r}: duplicate stage names {names}")
        for stage in self.stages:
            for entry in stage.data:
                if entry.dataset not in self.datasets:
                    raise ConfigError(
                        f"stage {stage.name!r} uses unknown dataset {entry.dataset!r}; "
                        f"known: {sorted(self.datasets)}"
                    )
            if stage.heldout is not None and stage.heldout not in self.datasets:
                raise ConfigError(f"stage {stage.name!r}: unknown heldout dataset {stage.heldout!r}")

    def stage(self, name: str) -> StageConfig:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise ConfigError(
            f"recipe {self.name!r} has no stage {name!r}; stages: {[s.name for s in self.stages]}"
        )
