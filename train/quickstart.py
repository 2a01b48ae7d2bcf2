"""``svemath quickstart --out DIR [--smoke]``: the whole path at small scale on the embedded default.

1. trains the ``quickstart`` recipe (data -> clip -> geoglip -> align -> instruct) into ``DIR/train``
   (``--smoke``: the same path with a few steps, for CI);
2. generates held-out ``synth-dynamath``, ``synth-mathverse`` and ``synth-mathvista`` sets (eval seed
   stream, seeds disjoint from every training/gating set) into ``DIR/eval-data``;
3. evaluates with the evaluation package's runner and scorer (plain prompt, greedy): the quickstart model,
   the same model with blanked images (the blind baseline) and the shipped embedded model when present;
4. writes ``DIR/report.md`` (tables with 95% bootstrap CIs, the read-out families' gain over the blind
   baseline with a paired CI, stage timings and held-out perception metrics, links to the loss curves)
   and ``DIR/quickstart.json``.
A rerun with the same ``--out`` continues where it stopped (finished stages and predictions are kept).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any

EVAL_SUITES = {"synth-dynamath": 150, "synth-mathverse": 60, "synth-mathvista": 100}
# the PRM part: MC labels for a few policy solutions, the prm stage (MC labels + injected-error labels),
# step-error F1 on synth-processbench, and a best-of-N sweep on synth-dynamath
PRM = {
    "label_questions": 12,
    "samples": 4,
    "rollouts": 4,
    "steps": 40,
    "bon_questions": 40,
    "n_max": 8,
    "errors": 640,
    "processbench": 100,
}
SMOKE_PRM = {
    "label_questions": 2,
    "samples": 2,
    "rollouts": 2,
    "steps": 2,
    "bon_questions": 4,
    "n_max": 2,
    "errors": 32,
    "processbench": 8,
}
SMOKE_EVAL = {"synth-dynamath": 20, "synth-mathverse": 12, "synth-mathvista": 10}
EVAL_SEED = 7001  # held-out evaluation seeds (the recipe's gating sets use other seeds)

SMOKE_OVERRIDES = [
    "datasets.captions.n=96", "datasets.primitives.n=96", "datasets.instruct.n=160",
    "datasets.heldout-primitives.n=8", "datasets.heldout-dynamath.n=20",
    "stages.clip.steps=2", "stages.geoglip.steps=2", "stages.geoglip.heldout_n=8", "stages.align.steps=2",
    "stages.instruct.steps=3", "stages.instruct.heldout_n=10", "stages.instruct.eval_every=3",
    "stages.clip.batch_size=8", "stages.geoglip.batch_size=4", "stages.align.batch_size=8",
    "stages.instruct.batch_size=8", "stages.instruct.options.eval_max_new_tokens=24",
]  # fmt: skip


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("quickstart", help="train and evaluate the tiny preset end to end (resumable)")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--smoke", action="store_true", help="a few steps of everything (CI)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--max-new-tokens", type=int, default=None, help="generation cap (default 160; smoke 24)")
    p.add_argument("overrides", nargs="*", help="recipe overrides, e.g. stages.instruct.steps=100")
    p.set_defaults(func=run)


def _evaluate(
    model_dir: str,
    bench_name: str,
    data: Path,
    out: Path,
    *,
    blank: bool,
    max_new: int,
    choice_tool: bool = False,
) -> dict:
    from svemath.eval.base import get_benchmark
    from svemath.eval.predictor import GenerationSettings, build_predictor, model_info
    from svemath.eval.runner import generate_predictions
    from svemath.eval.score import score_to_dir

    bench = get_benchmark(bench_name)
    examples = bench.load(data)
    settings = GenerationSettings(
        max_new_tokens=max_new, batch_size=32, blank_images=blank, choice_tool=choice_tool
    ).validate()
    info = model_info(model_dir)
    out.mkdir(parents=True, exist_ok=True)

    def factory():
        return build_predictor(model_dir, settings, bench=bench, style="plain")

    stats = generate_predictions(bench, examples, factory, out / "predictions.jsonl", style="plain",
                                 settings=settings, model=info, progress=True)  # fmt: skip
    return score_to_dir(bench, examples, out / "predictions.jsonl", out, data_path=data, default_style="plain",
                        n_boot=1000, seed=0, generation_stats=stats, plots=True)  # fmt: skip


def _read_scored(path: Path) -> dict[str, dict[str, Any]]:
    import json

    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            if r.get("id") is not None:
                rows[r["id"]] = r
    return rows


def paired_gain(
    model_dir: Path, blind_dir: Path, level: str | None = "read", families: Collection[str] | None = None
) -> dict[str, Any]:
    """Accuracy gain of one run over another (e.g. the model over its blind run) on the same items, on
    items of one difficulty tag (None: all) and, given ``families``, of those generator families only,
    with a paired 95% bootstrap CI over groups (robust scoring)."""
    import numpy as np

    from svemath.eval.metrics import bootstrap_ci

    m, b = _read_scored(model_dir / "scored.jsonl"), _read_scored(blind_dir / "scored.jsonl")
    groups: dict[str, list[tuple[bool, bool]]] = {}
    for rid, r in m.items():
        meta = r.get("meta") or {}
        if level is not None and meta.get("difficulty") != level:
            continue
        if families is not None and meta.get("family") not in families:
            continue
        if rid in b:
            groups.setdefault(str(r.get("group_id") or rid), []).append(
                (bool(r["robust"]["correct"]), bool(b[rid]["robust"]["correct"]))
            )
    keys = sorted(groups)
    if not keys:
        return {"n": 0}
    model_acc = np.array([sum(x for x, _ in groups[k]) for k in keys], dtype=float)
    blind_acc = np.array([sum(y for _, y in groups[k]) for k in keys], dtype=float)
    counts = np.array([len(groups[k]) for k in keys], dtype=float)

    def stat(idx):
        return float((model_acc[idx].sum() - blind_acc[idx].sum()) / counts[idx].sum())

    return {
        "n": int(counts.sum()), "model": float(model_acc.sum() / counts.sum()),
        "blind": float(blind_acc.sum() / counts.sum()), "gain": stat(np.arange(len(keys))),
        "gain_ci": bootstrap_ci(stat, len(keys), n_boot=2000, seed=0),
    }  # fmt: skip


def _prm_part(
    out: Path, policy: Path, sizes: dict[str, int], smoke: bool, workers: int, max_new: int
) -> dict[str, Any]:
    """Label policy solutions by Monte-Carlo rollouts, train the prm stage, measure step-error F1 and the
    best-of-N sweep. Every part resumes from what is already on disk."""
    from svemath.data.generate import generate_dataset
    from svemath.eval.bon import SweepConfig, run_sweep
    from svemath.mllm import load_pretrained
    from svemath.train.obj_prm import evaluate_steps_with_dev
    from svemath.train.pipeline import run_recipe
    from svemath.train.prm_label import LabelConfig, PolicySampler, label_dataset
    from svemath.train.recipes import load_recipe

    prm_data = out / "prm" / "questions"
    if not (prm_data / "manifest.json").is_file():
        generate_dataset(
            "prm", n=sizes["label_questions"], seed=21, out=prm_data, workers=workers, overwrite=True
        )
    labels = out / "prm" / "labels"
    model, proc = load_pretrained(policy)
    cfg = LabelConfig(samples=sizes["samples"], rollouts=sizes["rollouts"], max_new_tokens=max_new)
    label_summary = label_dataset(PolicySampler(model, proc, cfg), prm_data, labels, cfg,
                                  identity={"policy": str(policy)})  # fmt: skip
    overrides = [f"datasets.prm-labels.path={labels}", f"stages.prm.init_from={policy}",
                 f"stages.prm.steps={sizes['steps']}", f"stages.prm.eval_every={sizes['steps']}"]  # fmt: skip
    overrides += [f"datasets.prm-errors.n={sizes['errors']}", f"datasets.processbench.n={sizes['processbench']}",
                  f"stages.prm.heldout_n={sizes['processbench']}"]  # fmt: skip
    if smoke:
        overrides += ["stages.prm.batch_size=4"]
    recipe = load_recipe("prm-tiny", overrides)
    summary = run_recipe(recipe, out / "prm" / "train", resume=True, workers=workers)
    prm_dir = out / "prm" / "train" / "prm" / "model"
    prm_model, prm_proc = load_pretrained(prm_dir)
    bench_data = out / "prm" / "processbench-eval"
    if not (bench_data / "manifest.json").is_file():
        generate_dataset("synth-processbench", n=16 if smoke else 2 * sizes["processbench"], seed=7101, out=bench_data,
                         workers=workers, overwrite=True)  # fmt: skip
    # the threshold is tuned on the prm stage's own held-out (dev) split, never on the evaluation set
    steps = evaluate_steps_with_dev(prm_model, prm_proc, bench_data, prm_dev_split(out))
    steps.pop("records", None)
    ns = tuple(n for n in (1, 2, 4, 8, 16) if n <= sizes["n_max"])
    sweep = run_sweep(policy, prm_dir, "synth-dynamath", out / "eval-data" / "synth-dynamath", out / "prm" / "bon",
                      SweepConfig(n_max=sizes["n_max"], ns=ns, max_new_tokens=max_new, n_boot=1000),
                      limit=sizes["bon_questions"])  # fmt: skip
    return {"label": label_summary, "stage": summary["stages"].get("prm"), "step_eval": steps,
            "bon": {k: sweep.get(k) for k in ("table", "gaps", "ranking", "n_questions", "seconds")}}  # fmt: skip


def prm_dev_split(out: Path) -> Path:
    """The prm stage's held-out (dev) split, as the PRM part's recipe generated it."""
    return out / "prm" / "train" / "data" / "processbench"


def run(args: argparse.Namespace) -> int:
    from svemath.data.generate import generate_dataset
    from svemath.fileio import read_json, write_json
    from svemath.train.pipeline import print_summary, run_recipe
    from svemath.train.recipes import load_recipe
    from svemath.train.report import write_quickstart_report

    t0 = time.time()
    out: Path = args.out
    overrides = (SMOKE_OVERRIDES if args.smoke else []) + list(args.overrides)
    recipe = load_recipe("quickstart", overrides)
    summary = run_recipe(recipe, out / "train", resume=True, workers=args.workers)
    print_summary(summary)
    t_train = time.time() - t0

    sizes = SMOKE_EVAL if args.smoke else EVAL_SUITES
    max_new = args.max_new_tokens or (24 if args.smoke else 160)
    model_dir = out / "train" / recipe.stages[-1].name / "model"
    from svemath.eval.predictor import choice_tool_default
    from svemath.mllm.presets import default_model_dir

    shipped = default_model_dir(required=False)
    # every run with the generation-time tools the shipped model's card was measured with (like for like)
    choice_tool = choice_tool_default(None, shipped)
    results: dict[str, Any] = {}
    for k, (suite, n) in enumerate(sizes.items()):
        data = out / "eval-data" / suite
        if not (data / "manifest.json").is_file():
            generate_dataset(suite, n=n, seed=EVAL_SEED + k, out=data, workers=args.workers, overwrite=True)
        runs = {"model": (str(model_dir), False), "blind": (str(model_dir), True)}
        if shipped is not None:
            runs["shipped"] = (str(shipped), False)
        results[suite] = {}
        for name, (mdir, blank) in runs.items():
            metrics = _evaluate(mdir, suite, data, out / "eval" / suite / name, blank=blank, max_new=max_new,
                                choice_tool=choice_tool)  # fmt: skip
            results[suite][name] = metrics
        results[suite]["read_gain"] = paired_gain(
            out / "eval" / suite / "model", out / "eval" / suite / "blind"
        )
    t_prm = time.time()
    prm = _prm_part(out, model_dir, SMOKE_PRM if args.smoke else PRM, args.smoke, args.workers, max_new)
    # a resumed quickstart: the training part counts every invocation (the pipeline's summary sums them);
    # evaluation and the PRM part count this invocation only (what an earlier one finished is not redone)
    train_summary = read_json(out / "train" / "summary.json")
    train_all = float(train_summary.get("wall_s") or t_train)
    after_train = time.time() - t0 - t_train
    wall = {
        "train_s": round(train_all, 1),
        "train_this_invocation_s": round(t_train, 1),
        "train_invocations": int(train_summary.get("runs") or 1),
        "eval_s": round(t_prm - t0 - t_train, 1),
        "prm_s": round(time.time() - t_prm, 1),
        "total_s": round(train_all + after_train, 1),
    }
    report = write_quickstart_report(out, recipe, train_summary, results, wall,
                                     shipped=shipped, smoke=args.smoke, prm=prm, choice_tool=choice_tool)  # fmt: skip
    write_json(out / "quickstart.json", {"wall": wall, "smoke": args.smoke, "shipped": str(shipped) if shipped else None,
                                         "choice_tool": choice_tool, "prm": prm,
                                         "suites": {s: {k: (v.get("headline") if k != "read_gain" else v)
                                                        for k, v in r.items()} for s, r in results.items()}})  # fmt: skip
    print(f"quickstart finished in {wall['total_s']:.0f}s; report: {report}")
    return 0
