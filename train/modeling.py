"""Model construction for recipes: the tiny tokenizer's corpus, preset building, stage-to-stage loading."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from svemath.configs import merge
from svemath.errors import ConfigError
from svemath.train.config import RecipeConfig


def corpus_texts(paths: list[Path], max_records: int = 50_000) -> Iterator[str]:
    """All conversation turns (and steps) of the given datasets, for training the tiny BPE tokenizer."""
    from svemath.data.dataset import iter_records

    for path in paths:
        for k, record in enumerate(iter_records(path, check_images=False)):
            if k >= max_records:
                break
            for turn in record.conversations:
                yield turn["value"].replace("<image>", "")
            for choice in record.choices or []:
                yield str(choice)


def build_recipe_model(recipe: RecipeConfig, out_dir: Path, paths: dict[str, Path]) -> tuple[Any, Any]:
    """Build the recipe's preset with its overrides; the tiny tokenizer is trained on ``tokenizer_corpus``."""
    from svemath.mllm import build_model

    kwargs = dict(recipe.model)
    corpus_names = kwargs.pop("tokenizer_corpus", None)
    weights_from = kwargs.pop("weights_from", None) or {}
    if isinstance(kwargs.get("dtype"), str):
        kwargs["dtype"] = getattr(torch, kwargs["dtype"])
    if corpus_names:
        unknown = [n for n in corpus_names if n not in paths]
        if unknown:
            raise ConfigError(f"tokenizer_corpus names unknown datasets {unknown}; known: {sorted(paths)}")
        kwargs["corpus"] = list(corpus_texts([paths[n] for n in corpus_names]))
    for module in ("clip", "geoglip"):  # a tower loaded from a saved model keeps that model's architecture
        if module in weights_from and kwargs.get(module, {}) is not None:
            saved = saved_tower_config(Path(weights_from[module]), module)
            if saved is not None:
                kwargs[module] = merge(saved, kwargs.get(module) or {})
    torch.manual_seed(recipe.seed)
    model, processor = build_model(recipe.preset, **kwargs)
    for module, source in weights_from.items():
        load_submodule_weights(model, module, Path(source))
    return model, processor


def saved_tower_config(source: Path, module: str) -> dict[str, Any] | None:
    """The complete ``clip`` / ``geoglip`` config of a saved model directory (fields it predates take their
    dataclass defaults, as when the model itself is loaded), or None when ``source`` has no config.json."""
    import json

    from svemath.configs import from_dict, to_dict
    from svemath.vision.config import CLIPTowerConfig, GeoGLIPConfig

    path = source / "config.json" if source.is_dir() else None
    if path is None or not path.is_file():
        return None
    saved = json.loads(path.read_text()).get(module)
    if not isinstance(saved, dict):
        return None
    cls = CLIPTowerConfig if module == "clip" else GeoGLIPConfig
    return to_dict(from_dict(cls, saved, where=f"{path} {module}"))


def load_submodule_weights(model: torch.nn.Module, module: str, source: Path) -> None:
    """Load ``model.<module>`` (e.g. ``geoglip`` trained by a ``geoglip`` stage at real size) from a
    saved model directory or safetensors file; keys are matched under the ``<module>.`` prefix."""
    from safetensors.torch import load_file

    from svemath.errors import CheckpointError
    from svemath.train.engine import resolve_module

    files = sorted(source.glob("*.safetensors")) if source.is_dir() else [source]
    if not files or not all(f.is_file() for f in files):
        raise CheckpointError(f"weights_from.{module}: no safetensors weights at {source}")
    state: dict[str, torch.Tensor] = {}
    for f in files:
        state.update(load_file(str(f)))
    prefix = f"{module}."
    sub = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)} or state
    target = resolve_module(model, module)
    missing, unexpected = target.load_state_dict(sub, strict=False)
    if missing or unexpected:
        raise CheckpointError(
            f"weights_from.{module}={source}: keys do not match (missing {missing[:4]}, unexpected {unexpected[:4]})"
        )


def load_model_dir(path: Path) -> tuple[Any, Any]:
    from svemath.mllm import load_pretrained

    return load_pretrained(path)


def _set_label_slots(model: Any, processor: Any, value: Any) -> None:
    model.set_label_slots(value)
    processor.num_image_tokens = model.config.num_image_tokens  # also when it is not attached to the model


def _add_link_head(model: Any, processor: Any, value: Any) -> None:
    if value is not True:
        raise ConfigError(f"model_overrides.geoglip_link_head must be true, got {value!r}")
    model.add_link_head()


def _add_label_box_fourier(model: Any, processor: Any, value: Any) -> None:
    if model.config.label_box_octaves == value:
        return  # already so (0 on a model without the code; a base that has it): nothing to change
    model.add_label_box_fourier(value)


def _add_shape_slots(model: Any, processor: Any, value: Any) -> None:
    if model.config.shape_slots == value:
        return  # a base that has them already
    model.add_shape_slots(value, tokenizer=processor.tokenizer)
    processor.num_image_tokens = model.config.num_image_tokens


# stage.model_overrides key -> how to apply it to a loaded model and its processor
STAGE_OVERRIDES = {
    "label_slots": _set_label_slots,
    "geoglip_link_head": _add_link_head,
    "label_box_octaves": _add_label_box_fourier,
    "shape_slots": _add_shape_slots,
}


def check_stage_overrides(overrides: dict[str, Any]) -> None:
    """Fail before any training when a stage names an override that does not exist."""
    unknown = sorted(set(overrides) - set(STAGE_OVERRIDES))
    if unknown:
        raise ConfigError(f"unknown stage model override(s) {unknown}; known: {sorted(STAGE_OVERRIDES)}")


def apply_stage_overrides(model: Any, processor: Any, overrides: dict[str, Any]) -> None:
    """Apply a stage's ``model_overrides`` to the model it starts from (a no-op for an empty dict)."""
    check_stage_overrides(overrides)
    for key, value in overrides.items():
        STAGE_OVERRIDES[key](model, processor, value)
