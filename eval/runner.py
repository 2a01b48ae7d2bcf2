"""Phase 1 of evaluation: generate responses into ``OUT/predictions.jsonl``, resumably.

Items already answered (an (id, repeat) with a response and no error) are skipped, so a rerun after an
interruption continues where it stopped; a last line cut off mid-write is truncated first. Items are
batched (``batch_size``); images are decoded per batch, in a worker thread while the previous batch
generates (memory stays flat for 5,010 DynaMath images); the predictor (and so the model) is built at
most once, and not at all when nothing is left to do. Every batch is appended and flushed before the
next starts.

An image that cannot be loaded is written as a line with ``"response": null, "error": "..."`` naming the
file: the scorer counts it as a failure of that id, and the next run retries it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PIL import Image

from svemath.errors import ConfigError, DataFormatError, ImageLoadError, SVEMathError
from svemath.eval.base import Benchmark, Example
from svemath.eval.predictions import PredictionWriter, read_predictions, repair_tail
from svemath.eval.predictor import GenerationRequest, GenerationSettings, Predictor
from svemath.images import load_image


def pending(
    examples: Sequence[Example], done: set[tuple[str, int]], repeats: int
) -> list[tuple[Example, int]]:
    """(example, repeat) pairs still to generate, repeat-major so each batch shares one repeat index."""
    return [(ex, k) for k in range(repeats) for ex in examples if (ex.id, k) not in done]


# settings that change what is generated; the batch size does not (batched greedy == one-by-one greedy)
_RESUME_KEYS = ("max_new_tokens", "do_sample", "temperature", "top_p", "seed", "blank_images", "choice_tool")


def _bon_key(bon: dict[str, Any] | None) -> tuple[int, str | None, str | None] | None:
    """(N, the PRM's path, its config hash) of a row's best-of-N record; None for plain decoding. PRMs
    share their policy's architecture, so the config hash alone does not tell two of them apart."""
    if not bon:
        return None
    return int(bon.get("n", 0)), bon.get("prm"), bon.get("prm_config_sha256")


def _bon_text(key: tuple[int, str | None, str | None] | None) -> str:
    return "off" if key is None else f"{key[0]} with PRM {key[1]}"


def check_resumable(
    path: Path, rows: Sequence[dict[str, Any]], gen: dict[str, Any], style: str, model: dict[str, Any] | None
) -> None:
    """Refuse to resume a predictions file written with other generation settings, prompt style, model
    (config hash) or best-of-N setting (N, the PRM's path and config hash): adding to it would score a
    mixture. Rows written before a setting existed (no key) count as its default."""
    defaults = GenerationSettings().to_dict()
    want_sha = (model or {}).get("config_sha256")
    want_bon = _bon_key((model or {}).get("best_of_n"))
    for n, row in enumerate(rows, 1):
        old = row.get("generation") or {}
        diff = [f"{k}={old.get(k, defaults[k])!r} (now {gen[k]!r})" for k in _RESUME_KEYS
                if old.get(k, defaults[k]) != gen[k]]  # fmt: skip
        if row.get("prompt_style") not in (None, style):
            diff.append(f"prompt_style={row['prompt_style']!r} (now {style!r})")
        sha = (row.get("model") or {}).get("config_sha256")
        if want_sha and sha and sha != want_sha:
            diff.append("another model (config.json hash differs)")
        old_bon = _bon_key((row.get("model") or {}).get("best_of_n"))
        if old_bon != want_bon:
            diff.append(f"best_of_n={_bon_text(old_bon)} (now {_bon_text(want_bon)})")
        if diff:
            raise ConfigError(
                f"{path}: line {n} was generated with {', '.join(diff)}; resuming would mix two runs "
                f"(use a new --out, or move the file away)"
            )


def generate_predictions(
    bench: Benchmark,
    examples: Sequence[Example],
    predictor: Predictor | Callable[[], Predictor],
    predictions_path: str | Path,
    *,
    style: str = "official",
    settings: GenerationSettings | None = None,
    model: dict[str, Any] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Generate what is missing from ``predictions_path``; returns counts and throughput.

    ``predictor`` may be a factory (called once, only if there is work), so a finished run never loads
    the model.
    """
    settings = (settings or GenerationSettings()).validate()
    bench.check_style(style)
    path = Path(predictions_path)
    existing = read_predictions(path)
    if existing.problems:
        raise DataFormatError(
            existing.problems[0] + f" ({len(existing.problems)} bad line(s); fix or move the file)"
        )
    repair_tail(path, existing)
    done = {
        (r["id"], int(r["repeat"]))
        for r in existing.lines
        if isinstance(r.get("response"), str) and not r.get("error")
    }
    check_resumable(path, existing.lines, settings.to_dict(), style, model)
    todo = pending(examples, done, settings.repeats)
    stats: dict[str, Any] = {
        "n_items": len(examples) * settings.repeats,
        "already_done": len(examples) * settings.repeats - len(todo),
        "generated": 0,
        "errors": 0,
        "truncated_tail_repaired": existing.truncated_tail,
    }
    if not todo:
        stats.update(seconds=0.0, samples_per_s=None)
        return stats
    if callable(predictor) and not hasattr(predictor, "predict"):
        predictor = predictor()
    needs_images = getattr(predictor, "needs_images", True)
    gen = settings.to_dict()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc=f"generate {bench.name}", unit="item")

    def prepare(chunk: list[tuple[Example, int]]) -> tuple[list[GenerationRequest], list[dict[str, Any]]]:
        requests: list[GenerationRequest] = []
        rows: list[dict[str, Any]] = []
        for ex, k in chunk:
            prompt = bench.build_prompt(ex, style)
            base = {"id": ex.id, "repeat": k, "benchmark": bench.name, "prompt_style": style,
                    "prompt": prompt, "generation": gen, "model": model}  # fmt: skip
            image = None
            if ex.image_path is not None and needs_images:
                try:
                    image = load_image(ex.image_path)
                except ImageLoadError as exc:
                    rows.append({**base, "response": None, "error": f"ImageLoadError: {exc}"})
                    continue
                if settings.blank_images:  # blind baseline: same size, no content
                    image = Image.new("RGB", image.size, (255, 255, 255))
            requests.append(GenerationRequest(ex, prompt, image, repeat=k, seed=settings.seed + k))
            rows.append(base)
        return requests, rows

    chunks = [todo[i : i + settings.batch_size] for i in range(0, len(todo), settings.batch_size)]
    t0 = time.perf_counter()
    # [IMPORTANT] the next batch's images decode in a worker thread while the model generates this one
    # (PIL's decoder releases the GIL); at most two batches of images are alive at a time.
    with PredictionWriter(path) as writer, ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(prepare, chunks[0])
        for i, chunk in enumerate(chunks):
            requests, rows = future.result()
            if i + 1 < len(chunks):
                future = pool.submit(prepare, chunks[i + 1])
            tb = time.perf_counter()
            responses = predictor.predict(requests) if requests else []
            if len(responses) != len(requests):
                raise SVEMathError(
                    f"predictor returned {len(responses)} responses for {len(requests)} requests"
                )
            per_item = (time.perf_counter() - tb) / max(1, len(requests))
            it = iter(responses)
            for row in rows:
                if "error" in row:
                    stats["errors"] += 1
                    continue
                response = next(it)
                row.update(response=response if isinstance(response, str) else str(response), error=None,
                           seconds=round(per_item, 4))  # fmt: skip
                stats["generated"] += 1
            writer.write_batch(rows)
            if bar is not None:
                bar.update(len(chunk))
    if bar is not None:
        bar.close()
    seconds = time.perf_counter() - t0
    stats.update(
        seconds=round(seconds, 3), samples_per_s=round(len(todo) / seconds, 3) if seconds > 0 else None
    )
    return stats
