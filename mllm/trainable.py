"""Which parts of the model train: ``set_trainable(model, modules)`` and per-module parameter counts.

Modules: ``clip``, ``geoglip``, ``router``, ``projector``, ``language_model`` (alias ``llm``). Towers are
frozen through their own ``freeze()`` so a frozen tower also stays in eval() mode; the others toggle
``requires_grad``. Every call logs each module as [trainable] or [frozen] with its parameter count.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from torch import nn

from svemath.errors import ConfigError

log = logging.getLogger("svemath.mllm")

MODULES = ("clip", "geoglip", "router", "projector", "label_embedder", "language_model")
ALIASES = {"llm": "language_model", "lm": "language_model", "vision": "clip"}


def _unique_params(module: nn.Module):
    return list(module.parameters())  # nn.Module.parameters() already de-duplicates tied tensors


def count_parameters(model: nn.Module) -> dict[str, dict[str, int]]:
    """``{module: {"total", "trainable", "frozen"}}`` for each present module, plus ``"all"``."""
    out: dict[str, dict[str, int]] = {}
    for name in MODULES:
        module = getattr(model, name, None)
        if module is None:
            continue
        params = _unique_params(module)
        total = sum(p.numel() for p in params)
        trainable = sum(p.numel() for p in params if p.requires_grad)
        out[name] = {"total": total, "trainable": trainable, "frozen": total - trainable}
    params = _unique_params(model)
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    out["all"] = {"total": total, "trainable": trainable, "frozen": total - trainable}
    return out


def set_trainable(model: nn.Module, modules: Iterable[str]) -> dict[str, dict[str, int]]:
    """Make exactly ``modules`` trainable (others frozen); returns and logs :func:`count_parameters`."""
    wanted = {ALIASES.get(m, m) for m in modules}
    unknown = sorted(wanted - set(MODULES))
    if unknown:
        raise ConfigError(f"unknown module(s) {unknown}; known: {', '.join(MODULES)} (alias llm)")
    for name in MODULES:
        module = getattr(model, name, None)
        if module is None:
            if name in wanted:
                raise ConfigError(f"the model has no {name} (CLIP-only model?) to train")
            continue
        train = name in wanted
        if hasattr(module, "freeze"):
            module.freeze(not train)
        else:
            module.requires_grad_(train)
    counts = count_parameters(model)
    for name, c in counts.items():
        if name == "all":
            continue
        state = "trainable" if c["trainable"] else "frozen"
        log.info("[%-9s] %-15s %12s parameters", state, name, f"{c['total']:,}")
    log.info(
        "trainable %s of %s parameters", f"{counts['all']['trainable']:,}", f"{counts['all']['total']:,}"
    )
    return counts
