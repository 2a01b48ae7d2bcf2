"""Held-out answer accuracy of a model on a dataset, in memory (used by stage gates, quickstart, ablation).

Items are loaded and scored by the evaluation package's benchmark class (the same code as
``svemath eval``), so a held-out dataset must be one of the eval suites (``synth-dynamath``,
``synth-mathverse``, ``synth-mathvista``). ``blind=True`` replaces every image by a blank canvas
of the same size: the image-blanked baseline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from svemath.errors import ConfigError
from svemath.images import load_image


def bench_for(path: Path) -> str:
    from svemath.eval.base import benchmark_names
    from svemath.fileio import read_json

    manifest = Path(path) / "manifest.json"
    suite = read_json(manifest).get("suite") if manifest.is_file() else None
    if suite not in benchmark_names():
        raise ConfigError(f"held-out set {path} is suite {suite!r}; use an eval suite (synth-dynamath, ...)")
    return suite


def heldout_accuracy(
    model: Any,
    processor: Any,
    path: Path,
    *,
    n: int = 200,
    max_new_tokens: int = 160,
    batch_size: int = 32,
    blind: bool = False,
    return_records: bool = False,
    **gen: Any,
) -> dict[str, Any]:
    """Greedy answers on the first ``n`` items of ``path``; accuracy (robust mode) and breakdowns."""
    from svemath.eval.base import get_benchmark
    from svemath.mllm.generation import generate

    bench = get_benchmark(bench_for(path))
    examples = bench.load(path)[:n]
    prompts = [bench.build_prompt(ex, "plain") for ex in examples]
    images = []
    for ex in examples:
        if ex.image_path is None:
            images.append(None)
            continue
        img = load_image(ex.image_path)
        images.append(Image.new("RGB", img.size, (255, 255, 255)) if blind else img)
    responses = generate(
        model, processor, images, prompts, max_new_tokens=max_new_tokens, batch_size=batch_size, **gen
    )
    records = []
    for ex, resp in zip(examples, responses):
        verdict = bench.judge(resp, ex, style="plain")
        records.append(
            {
                "id": ex.id,
                "group_id": ex.group_id,
                "variant": ex.variant,
                "correct": verdict["robust"]["correct"],
                "family": ex.meta.get("family"),
                "level": ex.meta.get("difficulty"),
                "response": resp,
            }
        )
    n_done = max(1, len(records))
    out: dict[str, Any] = {"accuracy": sum(r["correct"] for r in records) / n_done, "n": len(records)}
    for key in ("level", "family"):
        groups: dict[str, list[bool]] = {}
        for r in records:
            if r[key]:
                groups.setdefault(r[key], []).append(r["correct"])
        out[f"by_{key}"] = {k: sum(v) / len(v) for k, v in sorted(groups.items())}
    if return_records:
        out["records"] = records
    return out
