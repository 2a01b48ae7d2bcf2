"""svemath.mllm: the HF-native SVE-Math model (config, model, processor, projector, tokenizer),
presets, generation helpers and benchmarks.

Public API (imported lazily, so ``import svemath.mllm`` stays cheap for the command line)::

    from svemath.mllm import build_model, SVEMathForConditionalGeneration, SVEMathProcessor
    model, processor = build_model("tiny")
    texts = generate(model, processor, images, prompts, max_new_tokens=64)

Importing this package registers the ``svemath`` model type with transformers' Auto classes (see
``svemath.mllm.auto``): ``AutoModelForImageTextToText.from_pretrained(checkpoint_dir)`` works.
"""

from __future__ import annotations

import importlib
from typing import Any

from svemath.mllm import auto as _auto

_auto.install()

_EXPORTS = {
    "SVEMathConfig": "svemath.mllm.config",
    "SVEMathForConditionalGeneration": "svemath.mllm.model",
    "SVEMathCausalLMOutputWithPast": "svemath.mllm.model",
    "set_trainable": "svemath.mllm.trainable",
    "count_parameters": "svemath.mllm.trainable",
    "SVEMathProcessor": "svemath.mllm.processor",
    "ProjectorConfig": "svemath.mllm.projector",
    "train_tokenizer": "svemath.mllm.tokenizer",
    "build_model": "svemath.mllm.presets",
    "load_pretrained": "svemath.mllm.presets",
    "save_pretrained": "svemath.mllm.presets",
    "build_meta_model": "svemath.mllm.presets",
    "preset_names": "svemath.mllm.presets",
    "default_model_dir": "svemath.mllm.presets",
    "generate": "svemath.mllm.generation",
    "stream_answer": "svemath.mllm.generation",
    "register_auto_classes": "svemath.mllm.auto",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'svemath.mllm' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
