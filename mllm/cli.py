"""``svemath model summary --preset P``: parameters per module (CLIP, GeoGLIP, router, projector, LLM),
trainable or frozen, for a preset (built on the meta device: no weights, no downloads) or a saved
checkpoint (``--model DIR``). Prints a table and writes JSON (``--out``, default
``model-summary-<name>.json``). No torch import at module level (the CLI must start fast).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from svemath.errors import ConfigError

LABELS = {"clip": "CLIP", "geoglip": "GeoGLIP", "router": "router", "projector": "projector",
          "language_model": "LLM", "all": "total"}  # fmt: skip


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("model", help="inspect model presets and checkpoints")
    msub = parser.add_subparsers(dest="model_command", metavar="ACTION")
    msub.required = True
    p = msub.add_parser("summary", help="parameters per module, trainable or frozen")
    p.add_argument("--preset", action="append", help="preset name (repeatable) or 'all'")
    p.add_argument("--model", help="a saved checkpoint directory instead of a preset")
    p.add_argument("--clip-only", action="store_true", help="the CLIP-only variant (geoglip=None)")
    p.add_argument("--out", help="JSON file to write (default: model-summary-<name>.json)")
    p.set_defaults(func=run_summary)


def summarize(model) -> dict[str, Any]:
    from svemath.mllm.trainable import count_parameters

    cfg = model.config
    return {
        "parameters": count_parameters(model),
        "num_image_tokens": cfg.num_image_tokens,
        "geoglip": cfg.geoglip is not None,
        "projector": cfg.projector,
        "llm": {
            "model_type": cfg.text_config.model_type,
            "hidden_size": cfg.text_config.hidden_size,
            "num_hidden_layers": cfg.text_config.num_hidden_layers,
            "vocab_size": cfg.text_config.vocab_size,
        },
        "clip_model": cfg.clip.get("model_name"),
        "geoglip_backbone": None if cfg.geoglip is None else cfg.geoglip.get("backbone"),
    }


def format_summary(name: str, info: dict[str, Any]) -> str:
    llm = info["llm"]
    lines = [
        f"{name}: {info['num_image_tokens']} image tokens, CLIP {info['clip_model']}, "
        f"GeoGLIP {info['geoglip_backbone'] or 'none'}, LLM {llm['model_type']} {llm['hidden_size']} x "
        f"{llm['num_hidden_layers']} (vocab {llm['vocab_size']})",
        f"  {'module':<10} {'total':>15} {'trainable':>15} {'frozen':>15}",
    ]
    for key, counts in info["parameters"].items():
        lines.append(
            f"  {LABELS.get(key, key):<10} {counts['total']:>15,} {counts['trainable']:>15,} {counts['frozen']:>15,}"
        )
    return "\n".join(lines)


def run_summary(args: argparse.Namespace) -> int:
    from svemath.fileio import write_json
    from svemath.mllm.presets import build_meta_model, load_pretrained, preset_names

    if bool(args.preset) == bool(args.model):
        raise ConfigError("pass --preset NAME (repeatable, or 'all') or --model DIR")
    results: dict[str, Any] = {}
    if args.model:
        model, _ = load_pretrained(args.model)
        results[Path(args.model).name] = summarize(model)
    else:
        names = preset_names() if "all" in args.preset else args.preset
        overrides = {"geoglip": None} if args.clip_only else {}
        for name in names:
            results[name] = summarize(build_meta_model(name, **overrides))
    for name, info in results.items():
        print(format_summary(name, info))
    label = "all" if len(results) > 1 else next(iter(results))
    out = Path(args.out or f"model-summary-{label}.json")
    write_json(out, results if len(results) > 1 else next(iter(results.values())))
    print(f"wrote {out}")
    return 0
