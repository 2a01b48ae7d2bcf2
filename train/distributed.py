"""Multi-process settings: DeepSpeed configs resolved for a stage, and launch helpers.

The JSON configs under ``train/configs/`` (``zero2``, ``zero3``) are the ones a multi-GPU user launches;
their ``"auto"`` fields are filled here from the stage (micro batch, accumulation, clipping, precision).
On CPU, DeepSpeed runs with ``DS_ACCELERATOR=cpu`` over gloo; plain DDP runs with
``ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes 2 ...`` or ``torchrun``.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

from svemath.errors import ConfigError
from svemath.train.config import StageConfig

CONFIG_NAMES = ("zero2", "zero3")


def config_path(name_or_path: str) -> Path:
    if name_or_path in CONFIG_NAMES:
        return Path(str(resources.files("svemath.train") / "configs" / f"{name_or_path}.json"))
    path = Path(name_or_path)
    if not path.is_file():
        raise ConfigError(f"DeepSpeed config {name_or_path!r} not found; built-in: {list(CONFIG_NAMES)}")
    return path


def deepspeed_config(
    name_or_path: str | None, stage: StageConfig, precision: str, world: int | None = None
) -> dict[str, Any]:
    """Load a DeepSpeed JSON config and fill its "auto" values for ``stage`` on ``world`` ranks."""
    cfg = json.loads(config_path(name_or_path or "zero2").read_text())
    world = world or int(os.environ.get("WORLD_SIZE", "1"))
    fill = {
        "train_micro_batch_size_per_gpu": stage.batch_size,
        "gradient_accumulation_steps": stage.grad_accum,
        "gradient_clipping": stage.optim.max_grad_norm,
        "train_batch_size": stage.batch_size * stage.grad_accum * world,
    }
    for key, value in fill.items():
        if cfg.get(key, "auto") == "auto":
            cfg[key] = value
    if cfg.get("bf16", {}).get("enabled") == "auto":
        cfg["bf16"]["enabled"] = precision == "bf16"
    return cfg


def process_state(deepspeed: bool = False):
    """The accelerate process state, created before anything else touches it: gloo when 2+ CPU ranks
    were launched; with ``deepspeed`` the state is DeepSpeed's (on CPU: ``DS_ACCELERATOR=cpu`` + gloo)."""
    import torch
    from accelerate import PartialState

    multi = int(os.environ.get("WORLD_SIZE", "1")) > 1
    kwargs: dict[str, Any] = {}
    if deepspeed:
        if not multi:
            raise ConfigError(
                "distributed: deepspeed needs a multi-process launch (torchrun / accelerate launch)"
            )
        os.environ["ACCELERATE_USE_DEEPSPEED"] = "true"
        if not torch.cuda.is_available():
            os.environ.setdefault("DS_ACCELERATOR", "cpu")
            kwargs["backend"] = "gloo"
    elif not torch.cuda.is_available():
        kwargs["cpu"] = True
        if multi:
            kwargs["backend"] = "gloo"
    return PartialState(**kwargs)
