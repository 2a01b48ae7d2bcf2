"""``svemath bench train --out FILE.json``: training throughput per stage, with and without the feature
cache, the step time of SVE vs the CLIP-only model, the LM objective's supervised-positions logits against
full logits (``full_logits``), and peak memory.

Everything runs in one process on the same freshly generated small datasets, tiny preset, with the
objectives' own collate + loss + backward + AdamW step (what the engine does per micro-batch), timed
over ``--steps`` steps after ``--warmup`` and reported as medians.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument(
        "--precision",
        choices=["auto", "bf16", "fp32"],
        default="auto",
        help="auto: bf16 where the CPU has it",
    )
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")


def _ctx(model, processor, paths, stage, out):
    from svemath.train.config import DatasetSpec, RecipeConfig
    from svemath.train.objectives import StageContext

    recipe = RecipeConfig(name="bench", datasets={k: DatasetSpec(path=str(v)) for k, v in paths.items()},
                          stages=[stage])  # fmt: skip
    return StageContext(recipe, out, paths, model, processor, torch.device("cpu"), 0)


def _time_stage(model, processor, paths, stage, out, args) -> dict[str, float]:
    from svemath.train.engine import present_modules, set_trainable
    from svemath.train.objectives import get_objective

    obj = get_objective(stage.objective)(stage, _ctx(model, processor, paths, stage, out))
    set_trainable(model, present_modules(model, stage.trainable))
    sources = obj.sources()
    src = sources[stage.data[0].dataset]
    task = obj.task_module(model)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4)
    model.train()
    times, collate_times = [], []
    n = len(src)
    for step in range(args.warmup + args.steps):
        idx = [(step * args.batch_size + i) % n for i in range(args.batch_size)]
        t0 = time.perf_counter()
        batch = obj.collate([src.get(i) for i in idx])
        t1 = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bf16"):
            loss, _ = obj.loss(task, batch)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        t2 = time.perf_counter()
        if step >= args.warmup:
            times.append(t2 - t0)
            collate_times.append(t1 - t0)
    from svemath.train.engine import restore_frozen

    restore_frozen(model)
    step_s = statistics.median(times)
    return {"step_s": round(step_s, 4), "collate_s": round(statistics.median(collate_times), 4),
            "samples_per_s": round(args.batch_size / step_s, 2)}  # fmt: skip


def run(args: argparse.Namespace) -> dict[str, Any]:
    from svemath.data.generate import generate_dataset
    from svemath.mllm import build_model
    from svemath.train.config import MixEntry, StageConfig
    from svemath.train.engine import cpu_has_fast_bf16

    if args.precision == "auto":
        args.precision = "bf16" if cpu_has_fast_bf16() else "fp32"
    if args.threads:
        torch.set_num_threads(args.threads)
    tmp = Path(tempfile.mkdtemp(prefix="svemath-bench-train-"))
    n = max(2 * args.batch_size, 32)
    paths = {}
    for name, suite in (("captions", "captions"), ("primitives", "primitives"), ("instruct", "instruct")):
        paths[name] = tmp / name
        generate_dataset(suite, n=n, seed=11, out=paths[name], workers=1, progress=False)
    torch.manual_seed(0)
    sve, proc = build_model("tiny")
    torch.manual_seed(0)
    clip_only, proc_c = build_model("tiny", geoglip=None, tokenizer=proc.tokenizer)

    def stage(name, objective, trainable, data, cache=False, **options):
        return StageConfig(name=name, objective=objective, trainable=trainable, lr={t: 1e-4 for t in trainable},
                           data=[MixEntry(data)], steps=1, batch_size=args.batch_size, cache_features=cache,
                           options=options)  # fmt: skip

    lm_modules = ["language_model", "router", "projector", "label_embedder"]
    stages = {
        "clip": (sve, proc, stage("clip", "clip", ["clip"], "captions")),
        "geoglip": (sve, proc, stage("geoglip", "geoglip", ["geoglip"], "primitives")),
        "align (pixels)": (
            sve,
            proc,
            stage("align", "lm", ["router", "projector", "label_embedder"], "captions"),
        ),
        "align (cached)": (
            sve,
            proc,
            stage("align", "lm", ["router", "projector", "label_embedder"], "captions", True),
        ),
        "instruct (pixels)": (sve, proc, stage("instruct", "lm", lm_modules, "instruct")),
        "instruct (cached)": (sve, proc, stage("instruct", "lm", lm_modules, "instruct", True)),
        "instruct (cached, full logits)": (
            sve,
            proc,
            stage("instruct", "lm", lm_modules, "instruct", True, full_logits=True),
        ),
        "instruct clip-only (pixels)": (clip_only, proc_c, stage("instruct", "lm", lm_modules, "instruct")),
        "instruct clip-only (cached)": (
            clip_only,
            proc_c,
            stage("instruct", "lm", lm_modules, "instruct", True),
        ),
    }
    results = {}
    for name, (model, processor, st) in stages.items():
        out = tmp / "runs" / name.replace(" ", "_").replace("(", "").replace(")", "").replace(",", "")
        results[name] = _time_stage(model, processor, paths, st, out, args)
    ratio_px = results["instruct (pixels)"]["step_s"] / results["instruct clip-only (pixels)"]["step_s"]
    ratio_cache = results["instruct (cached)"]["step_s"] / results["instruct clip-only (cached)"]["step_s"]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary = {
        "samples_per_s": {k: v["samples_per_s"] for k, v in results.items()},
        "sve_over_clip_only_step_pixels": round(ratio_px, 3),
        "sve_over_clip_only_step_cached": round(ratio_cache, 3),
        "cache_speedup_instruct": round(
            results["instruct (pixels)"]["step_s"] / results["instruct (cached)"]["step_s"], 2
        ),
        "supervised_logits_speedup_instruct_cached": round(
            results["instruct (cached, full logits)"]["step_s"] / results["instruct (cached)"]["step_s"], 3
        ),
        "peak_rss_mb": round(rss_mb, 1),
    }
    return {"summary": summary, "stages": results, "batch_size": args.batch_size, "steps": args.steps,
            "precision": args.precision, "threads": torch.get_num_threads(),
            "note": "CPU; the tiny preset; medians over steps; the machine may be shared"}  # fmt: skip
