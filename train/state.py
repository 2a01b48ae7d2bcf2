"""Training-state checkpoints without pickle: safetensors for tensors, JSON for everything else.

A checkpoint directory holds ``model/`` (the model's own ``save_pretrained`` output, or
``model.safetensors`` for plain modules), ``optimizer.safetensors`` + ``optimizer.json`` (the flattened
``optimizer.state_dict()``), ``scheduler.json``, ``rng.safetensors`` + ``rng.json`` (torch, numpy and
Python RNG states) and ``trainer.json`` (step, stage, metrics so far). It is built in a temporary
directory and renamed into place, so a crash never leaves a half-written checkpoint under its name.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from svemath.errors import CheckpointError
from svemath.fileio import atomic_dir, read_json, write_json


def _flatten_optimizer(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, pstate in state["state"].items():
        for key, value in pstate.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{pid}.{key}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(pid), {})[key] = value
    meta = {"param_groups": state["param_groups"], "scalars": scalars}
    return tensors, meta


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        pid, key = name.split(".", 1)
        state.setdefault(int(pid), {})[key] = value
    for pid, values in meta.get("scalars", {}).items():
        state.setdefault(int(pid), {}).update(values)
    return {"state": state, "param_groups": meta["param_groups"]}


def rng_state() -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"cuda{i}"] = s
    np_state = np.random.get_state()
    meta = {
        "python": _to_json(random.getstate()),
        "numpy": [np_state[0], np_state[1].tolist(), *np_state[2:]],
    }
    return tensors, meta


def set_rng_state(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    torch.set_rng_state(tensors["torch"])
    if torch.cuda.is_available():
        states = [tensors[k] for k in sorted(tensors) if k.startswith("cuda")]
        if states:
            torch.cuda.set_rng_state_all(states)
    random.setstate(_from_json(meta["python"]))
    name, keys, *rest = meta["numpy"]
    np.random.set_state((name, np.array(keys, dtype=np.uint32), *rest))


def _to_json(obj: Any) -> Any:
    if isinstance(obj, tuple):
        return {"__tuple__": [_to_json(x) for x in obj]}
    if isinstance(obj, list):
        return [_to_json(x) for x in obj]
    return obj


def _from_json(obj: Any) -> Any:
    if isinstance(obj, dict) and "__tuple__" in obj:
        return tuple(_from_json(x) for x in obj["__tuple__"])
    if isinstance(obj, list):
        return [_from_json(x) for x in obj]
    return obj


def save_model(model: torch.nn.Module, path: Path) -> None:
    if hasattr(model, "save_pretrained"):
        model.save_pretrained(path, safe_serialization=True)
    else:
        path.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(path / "model.safetensors"))


def load_model_weights(model: torch.nn.Module, path: Path) -> None:
    """Load weights saved by :func:`save_model` into an existing module (strict)."""
    files = sorted(path.glob("*.safetensors"))
    if not files:
        raise CheckpointError(f"no safetensors weights in {path}")
    state: dict[str, torch.Tensor] = {}
    for f in files:
        state.update(load_file(str(f)))
    missing, unexpected = model.load_state_dict(state, strict=False)
    # tied weights (e.g. lm_head <-> embeddings) are saved once: a missing key is fine when its tensor
    # shares storage with a loaded one; everything else must match exactly
    current = model.state_dict()
    loaded_ptrs = {current[k].data_ptr() for k in state if k in current}
    missing = [k for k in missing if current[k].data_ptr() not in loaded_ptrs]
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: weights do not match the model (missing {missing[:5]}, unexpected {unexpected[:5]})"
        )


def save_train_state(
    directory: str | Path,
    *,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    trainer: dict[str, Any],
    extra_files: dict[str, Any] | None = None,
) -> None:
    """Atomically write a complete resumable checkpoint to ``directory``."""
    with atomic_dir(directory) as tmp:
        save_model(model, tmp / "model")
        tensors, meta = _flatten_optimizer(optimizer.state_dict())
        save_file(tensors, str(tmp / "optimizer.safetensors"))
        write_json(tmp / "optimizer.json", meta)
        write_json(tmp / "scheduler.json", scheduler.state_dict())
        rt, rm = rng_state()
        save_file(rt, str(tmp / "rng.safetensors"))
        write_json(tmp / "rng.json", rm)
        for name, obj in (extra_files or {}).items():
            write_json(tmp / name, obj)
        write_json(tmp / "trainer.json", trainer)


def load_train_state(
    directory: str | Path,
    *,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    restore_rng: bool = True,
) -> dict[str, Any]:
    directory = Path(directory)
    needed = ["model", "optimizer.safetensors", "optimizer.json", "scheduler.json", "trainer.json"]
    absent = [n for n in needed if not (directory / n).exists()]
    if absent:
        raise CheckpointError(f"incomplete checkpoint {directory}: missing {absent}")
    load_model_weights(model, directory / "model")
    opt_state = _unflatten_optimizer(
        load_file(str(directory / "optimizer.safetensors")), read_json(directory / "optimizer.json")
    )
    try:
        optimizer.load_state_dict(opt_state)
    except (ValueError, KeyError) as exc:
        raise CheckpointError(f"{directory}: optimizer state does not match ({exc})") from None
    scheduler.load_state_dict(read_json(directory / "scheduler.json"))
    if restore_rng and (directory / "rng.safetensors").exists():
        set_rng_state(load_file(str(directory / "rng.safetensors")), read_json(directory / "rng.json"))
    return json.loads((directory / "trainer.json").read_text())
