"""Model presets by name and ``build_model(preset, **overrides) -> (model, processor)``.

Presets (``svemath model summary --preset P`` prints their parameter counts):

- ``tiny``: CPU-trainable from scratch. Vision ``tiny`` (160 px / patch-16 ViT -> 10x10 grid, narrow
  resnet10t GeoGLIP at 256 px), router hidden 128, channel fusion, 2x2 token merge -> 25 image tokens,
  ``mlp2x_gelu`` into a Qwen2 LM 256 x 4 layers (4 heads, 2 KV heads, tied embeddings), vocabulary from
  the tiny BPE tokenizer (``tokenizer=`` an object or directory, or ``corpus=`` texts to train one).
- ``qwen2.5-0.5b``, ``qwen2.5-math-1.5b``, ``qwen2.5-math-7b``: vision ``real`` (open_clip ViT-L-14-336
  ``openai`` + Swin-T GeoGLIP at 1000 px), channel fusion of [CLIP, P7, P6, P5, B3], 576 image tokens,
  ``mlp2x_gelu``; the last one is the paper's SVE-Math-Qwen2.5-7B. ``llm=`` a hub id or a local
  directory (loaded with ``AutoModelForCausalLM`` / ``AutoTokenizer``; ``<image>`` is added as a special
  token, growing the embeddings only if the tokenizer outgrows them).

Overrides (any preset): ``llm``, ``tokenizer``, ``corpus``, ``vocab_size``, ``vision`` (vision preset
name), ``clip`` / ``geoglip`` / ``router`` / ``projector`` (dicts merged into the preset's; ``geoglip=None``
gives the CLIP-only baseline), ``text`` (text-config keys, for presets built from a config), ``pad_fill``,
``freeze_clip``, ``freeze_geoglip``, ``dtype``, ``max_length`` (processor), ``system_prompt``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from svemath.configs import merge, to_dict
from svemath.errors import CheckpointError, ConfigError
from svemath.registry import Registry

log = logging.getLogger("svemath.mllm")

# Qwen2.5 shapes, so real presets can be built on the meta device without any download.
QWEN25_05B = dict(
    hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
    num_key_value_heads=2, vocab_size=151936, max_position_embeddings=32768, rope_theta=1000000.0,
    tie_word_embeddings=True, rms_norm_eps=1e-6,
)  # fmt: skip
QWEN25_MATH_15B = dict(
    hidden_size=1536, intermediate_size=8960, num_hidden_layers=28, num_attention_heads=12,
    num_key_value_heads=2, vocab_size=151936, max_position_embeddings=4096, rope_theta=10000.0,
    tie_word_embeddings=True, rms_norm_eps=1e-6,
)  # fmt: skip
QWEN25_MATH_7B = dict(
    hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
    num_key_value_heads=4, vocab_size=152064, max_position_embeddings=4096, rope_theta=10000.0,
    tie_word_embeddings=False, rms_norm_eps=1e-6,
)  # fmt: skip
QWEN25_TOKENIZER_LEN = 151665  # len(Qwen2.5 tokenizer); <image> becomes this id on the meta device
TINY_TEXT = dict(
    hidden_size=256, intermediate_size=768, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2,
    max_position_embeddings=2048, rope_theta=10000.0, tie_word_embeddings=True, rms_norm_eps=1e-6,
)  # fmt: skip


@dataclass(frozen=True)
class Preset:
    name: str
    vision: str  # svemath.vision.config preset: tiny | real | compat
    text: dict[str, Any]  # Qwen2 config keys (real presets: the published model's shapes)
    llm: str | None = None  # default hub id of the LLM (real presets)
    router: dict[str, Any] = field(default_factory=dict)
    projector: dict[str, Any] = field(default_factory=lambda: {"type": "mlp2x_gelu", "token_merge": 1})
    tokenizer_vocab: int = 0  # tiny: BPE vocabulary size to train
    label_slots: int = 0  # character slots of the label tokens (svemath.mllm.labels); 0: off
    max_length: int = 2048
    description: str = ""


PRESETS: Registry[Preset] = Registry("model preset")
for _p in (
    Preset("tiny", "tiny", TINY_TEXT, router={"hidden_size": 128, "gate_hidden": 128},
           projector={"type": "mlp2x_gelu", "token_merge": 2}, tokenizer_vocab=2048, max_length=1024,
           label_slots=24,
           description="CPU, from scratch: ViT 160px + resnet10t GeoGLIP + Qwen2 256x4, 25 grid tokens "
                       "+ 24 label-character slots"),
    Preset("qwen2.5-0.5b", "real", QWEN25_05B, llm="Qwen/Qwen2.5-0.5B-Instruct",
           description="ViT-L-14-336 + Swin-T GeoGLIP + Qwen2.5-0.5B-Instruct, 576 image tokens"),
    Preset("qwen2.5-math-1.5b", "real", QWEN25_MATH_15B, llm="Qwen/Qwen2.5-Math-1.5B-Instruct", max_length=4096,
           description="ViT-L-14-336 + Swin-T GeoGLIP + Qwen2.5-Math-1.5B-Instruct, 576 image tokens"),
    Preset("qwen2.5-math-7b", "real", QWEN25_MATH_7B, llm="Qwen/Qwen2.5-Math-7B-Instruct", max_length=4096,
           description="the paper's SVE-Math-Qwen2.5-7B: [CLIP,P7,P6,P5,B3] channel fusion, 576 tokens"),
):  # fmt: skip
    PRESETS.register(_p.name, _p)

OVERRIDES = (
    "llm", "tokenizer", "corpus", "vocab_size", "vision", "clip", "geoglip", "router", "projector", "text",
    "pad_fill", "freeze_clip", "freeze_geoglip", "dtype", "max_length", "system_prompt", "label_slots",
    "shape_slots",
)  # fmt: skip


def preset_names() -> list[str]:
    return PRESETS.names()


def fallback_corpus() -> list[str]:
    """A small deterministic text corpus for the tiny tokenizer when the caller supplies none (tests,
    benchmarks). Real runs pass ``corpus=`` the data engine's synthetic texts."""
    shapes = ["circle", "triangle", "square", "rectangle", "angle", "line", "bar", "point", "segment", "arc"]
    lines = []
    for i in range(400):
        a, b = (i * 37) % 180, (i * 53) % 97
        s = shapes[i % len(shapes)]
        lines.append(f"How many {s}s are in the figure? There are {i % 9 + 1} {s}s. Answer: {i % 9 + 1}")
        lines.append(
            f"In triangle ABC, angle A = {a}° and angle B = {b}°. Find angle C. C = 180 - {a} - {b}."
        )
        lines.append(
            f"The value of the tallest bar is {a + b}. The answer is {a + b}. So {a} + {b} = {a + b}."
        )
    return lines


def vision_dicts(vision: str) -> tuple[dict, dict, dict]:
    from svemath.vision.config import clip_config, geoglip_config, router_config

    return to_dict(clip_config(vision)), to_dict(geoglip_config(vision)), to_dict(router_config(vision))


def _config_dict(preset: Preset, overrides: dict[str, Any]) -> dict[str, Any]:
    clip, geo, router = vision_dicts(overrides.get("vision", preset.vision))
    router = merge(router, preset.router)
    geoglip = overrides["geoglip"] if "geoglip" in overrides and overrides["geoglip"] is None else geo
    if geoglip is not None and overrides.get("geoglip"):
        geoglip = merge(geoglip, overrides["geoglip"])
    cfg = {
        "clip": merge(clip, overrides.get("clip") or {}),
        "geoglip": geoglip,
        "router": merge(router, overrides.get("router") or {}),
        "projector": merge(preset.projector, overrides.get("projector") or {}),
    }
    for key in ("pad_fill", "freeze_clip", "freeze_geoglip"):
        if key in overrides:
            cfg[key] = overrides[key]
    cfg["label_slots"] = overrides.get("label_slots", preset.label_slots) if geoglip is not None else 0
    cfg["shape_slots"] = overrides.get("shape_slots", 0) if geoglip is not None else 0
    return cfg


def _check_overrides(overrides: dict[str, Any]) -> None:
    unknown = sorted(set(overrides) - set(OVERRIDES))
    if unknown:
        raise ConfigError(f"unknown build_model override(s) {unknown}; known: {', '.join(OVERRIDES)}")


def _load_tokenizer(source: Any):
    if source is None or not isinstance(source, (str, Path)):
        return source
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(source))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"cannot load a tokenizer from {source}: {exc}") from None


def _load_llm(source: Any, dtype: torch.dtype | None):
    if not isinstance(source, (str, Path)):
        return source  # an already built causal LM
    from transformers import AutoModelForCausalLM

    try:
        return AutoModelForCausalLM.from_pretrained(str(source), dtype=dtype or "auto")
    except (OSError, ValueError) as exc:
        raise CheckpointError(
            f"cannot load the LLM from {source!r} (hub id or local directory): {exc}"
        ) from None


@contextlib.contextmanager
def _default_dtype(dtype: torch.dtype | None) -> Iterator[None]:
    if dtype is None:
        yield
        return
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def _round_up(n: int, multiple: int = 64) -> int:
    return (n + multiple - 1) // multiple * multiple


def build_model(preset: str, **overrides: Any):
    """Build ``(model, processor)`` for a preset (see the module docstring for overrides)."""
    from svemath.mllm.config import SVEMathConfig
    from svemath.mllm.model import SVEMathForConditionalGeneration
    from svemath.mllm.processor import SVEMathProcessor
    from svemath.mllm.tokenizer import prepare_tokenizer, train_tokenizer

    spec = PRESETS.get(preset)
    _check_overrides(overrides)
    dtype = overrides.get("dtype")
    llm_source = overrides.get("llm", spec.llm)
    tokenizer = _load_tokenizer(overrides.get("tokenizer"))
    language_model = None
    if llm_source is not None:
        language_model = _load_llm(llm_source, dtype)
        if tokenizer is None:
            if not isinstance(llm_source, (str, Path)):
                raise ConfigError("llm= is a model object: pass tokenizer= too")
            tokenizer = _load_tokenizer(llm_source)
        text_config = language_model.config
    else:
        if tokenizer is None:
            corpus: Iterable[str] = overrides.get("corpus") or fallback_corpus()
            tokenizer = train_tokenizer(corpus, overrides.get("vocab_size", spec.tokenizer_vocab))
        text_config = None
    image_token_id = prepare_tokenizer(tokenizer)
    if language_model is not None:
        rows = language_model.get_input_embeddings().weight.shape[0]
        if len(tokenizer) > rows:  # only ever grow (never shrink Qwen's padded vocabulary)
            language_model.resize_token_embeddings(_round_up(len(tokenizer)), mean_resizing=True)
            log.info(
                "grew the LLM embeddings from %d to %d rows for %d tokens",
                rows,
                _round_up(len(tokenizer)),
                len(tokenizer),
            )
    else:
        text = merge(spec.text, overrides.get("text") or {})
        text_config = {
            "model_type": "qwen2",
            **text,
            "vocab_size": max(text.get("vocab_size", 0), _round_up(len(tokenizer))),
        }
    stops = [tokenizer.convert_tokens_to_ids(t) for t in ("<|im_end|>", "<|endoftext|>")]
    cfg_dict = _config_dict(spec, overrides)
    if cfg_dict["label_slots"]:
        from svemath.mllm.labels import char_token_ids
        from svemath.vision.config import ReaderConfig

        charset = (cfg_dict["geoglip"].get("reader") or {}).get("charset", ReaderConfig().charset)
        cfg_dict["label_char_token_ids"] = char_token_ids(charset, tokenizer)
    cfg = SVEMathConfig(**cfg_dict, text_config=text_config, image_token_id=image_token_id, dtype=dtype)
    with _default_dtype(dtype):  # like transformers: RoPE's inv_freq stays float32, unlike model.to(dtype)
        model = SVEMathForConditionalGeneration(cfg, language_model=language_model)
    if model.shape_embedder is not None:
        names = model.geoglip.cfg.shape_classes
        model.shape_embedder.init_classes_from(names, tokenizer, model.get_input_embeddings())
    _set_generation_defaults(model, tokenizer, stops)
    processor = SVEMathProcessor.from_model_config(
        model.config,
        tokenizer,
        max_length=overrides.get("max_length", spec.max_length),
        **({"system_prompt": overrides["system_prompt"]} if "system_prompt" in overrides else {}),
    )
    model.processor = processor
    return model, processor


def _set_generation_defaults(model, tokenizer, stops: list[int]) -> None:
    gc = model.generation_config
    gc.eos_token_id = [t for t in stops if t is not None and t >= 0]
    gc.pad_token_id = tokenizer.pad_token_id
    gc.bos_token_id = None
    language_gc = getattr(model.language_model, "generation_config", None)
    if language_gc is not None:
        language_gc.eos_token_id, language_gc.pad_token_id = gc.eos_token_id, gc.pad_token_id


def build_meta_model(preset: str, **overrides: Any):
    """The preset's model on the meta device (no weights, no downloads): for parameter counts."""
    from svemath.mllm.config import SVEMathConfig
    from svemath.mllm.model import SVEMathForConditionalGeneration

    spec = PRESETS.get(preset)
    _check_overrides(overrides)
    text = merge(spec.text, overrides.get("text") or {})
    if spec.llm is None:  # tiny: the vocabulary the tokenizer would have
        text["vocab_size"] = _round_up(overrides.get("vocab_size", spec.tokenizer_vocab))
        image_token_id = 3
    else:
        image_token_id = QWEN25_TOKENIZER_LEN
    cfg_dict = _config_dict(spec, overrides)
    cfg_dict["clip"]["pretrained"] = None
    if cfg_dict["label_slots"]:  # parameter counts only: no tokenizer, every character a learned vector
        from svemath.vision.config import ReaderConfig

        charset = (cfg_dict["geoglip"].get("reader") or {}).get("charset", ReaderConfig().charset)
        cfg_dict["label_char_token_ids"] = [-1] * (len(charset) + 1)
    cfg = SVEMathConfig(
        **cfg_dict, text_config={"model_type": "qwen2", **text}, image_token_id=image_token_id
    )
    with torch.device("meta"):
        return SVEMathForConditionalGeneration(cfg)


def load_pretrained(path: str | Path, *, dtype: torch.dtype | None = None, device: str | None = None):
    """Load a saved checkpoint directory -> ``(model, processor)``; the processor is attached to the model."""
    from svemath.mllm.model import SVEMathForConditionalGeneration
    from svemath.mllm.processor import SVEMathProcessor

    path = Path(path)
    if not (path / "config.json").is_file():
        raise CheckpointError(f"{path}: not a model directory (no config.json)")
    kwargs: dict[str, Any] = {} if dtype is None else {"dtype": dtype}
    model = SVEMathForConditionalGeneration.from_pretrained(path, **kwargs)
    if device is not None:
        model = model.to(device)
    processor = SVEMathProcessor.from_pretrained(path)
    model.processor = processor
    return model, processor


def save_pretrained(model, processor, directory: str | Path) -> None:
    """Write model (safetensors + config) and processor (tokenizer + svemath_processor.json) to one folder."""
    model.save_pretrained(directory)
    processor.save_pretrained(directory)


def default_model_dir(required: bool = True) -> Path | None:
    """The embedded default model: ``$SVEMATH_DEFAULT_MODEL`` when set, else the checkpoint shipped with
    the package (``svemath/assets/tiny-release``). Returns None (or raises CheckpointError when
    ``required``) if there is none."""
    import os
    from importlib import resources

    env = os.environ.get("SVEMATH_DEFAULT_MODEL")
    path = Path(env) if env else Path(str(resources.files("svemath") / "assets" / "tiny-release"))
    if (path / "config.json").is_file():
        return path
    if not required:
        return None
    if env:
        raise CheckpointError(f"SVEMATH_DEFAULT_MODEL={env} is not a model directory (no config.json)")
    raise CheckpointError(
        "this build ships no embedded default model; train one with "
        "'svemath train --recipe tiny-release --out DIR' (then --model DIR/instruct/model) or "
        "'svemath quickstart --out DIR' (then --model DIR/train/instruct/model)"
    )
