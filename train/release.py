"""``svemath release``: package a trained run as the embedded default model, with a model card.

Takes the last stage's model of a ``svemath train`` run (e.g. ``--recipe tiny-release``) and writes a
self-contained checkpoint folder (default ``svemath/assets/tiny-release``):

- weights stored in bfloat16 (halves the size), shards of <= 16 MB, loaded back as float32
  (``config.json`` says float32; transformers casts on load), plus tokenizer, processor and config;
- ``recipe.yaml`` (the resolved recipe) and ``training.json`` (per-stage steps, wall time, metrics);
- held-out evaluation of the *shipped* weights on fresh seeds of ``synth-dynamath``, ``synth-mathverse``
  and ``synth-mathvista`` beside the image-blanked (blind) baseline, with 95% bootstrap CIs, and a small
  ``check`` subset that the test suite re-scores to prove the checkpoint still answers as the card says;
- ``card.json`` (all numbers) and ``README.md`` (the model card). The card records the generation-time
  tools its numbers were measured with (``evaluation.generation``: the calculator, and the choice tool
  unless ``--no-choice-tool``); `svemath eval run`, the demo and the quickstart use them by default.

``svemath release --reevaluate DIR`` re-runs the held-out evaluation of a released folder (weights
untouched) and rewrites its card, e.g. after a generation-time tool changed.

The folder is built in a temporary sibling and renamed into place, so an interrupted release never
leaves a half-written default model.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

# 300 synth-dynamath groups (one family each): with 30 groups the first card's 38.3 was a lucky draw
# (23.5 and 25.7 on two other seeds); 300 groups cost ~6 min of greedy decoding on 2 cores
RELEASE_EVAL = {"synth-dynamath": 3000, "synth-mathverse": 600, "synth-mathvista": 750}
RELEASE_SEED = (
    8001  # eval seeds for the card: disjoint from training (1-3), gating (1002-1003), quickstart (7001+)
)
CHECK = {"suite": "synth-dynamath", "n": 40, "seed": 8101}  # re-scored by tests/test_release_checkpoint.py
MAX_SHARD = "16MB"
MAX_TOTAL_BYTES = 25 * 1024 * 1024


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("release", help="package a trained run as the embedded default model (+ model card)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--run", type=Path, help="a 'svemath train' output folder")
    what.add_argument("--reevaluate", type=Path, default=None, metavar="DIR",
                      help="re-run the held-out evaluation of a released folder and rewrite its card")  # fmt: skip
    p.add_argument("--out", type=Path, default=None, help="default: svemath/assets/tiny-release")
    p.add_argument("--work", type=Path, default=None,
                   help="eval data and predictions (default RUN/release; with --reevaluate runs/reevaluate-NAME)")  # fmt: skip
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--max-new-tokens", type=int, default=160)
    p.add_argument("--eval-scale", type=float, default=1.0, help="multiply the held-out set sizes")
    p.add_argument("--choice-tool", action=argparse.BooleanOptionalAction, default=True,
                   help="measure (and ship) the model with the generation-time choice tool (default: on)")  # fmt: skip
    p.add_argument("--trained-at", default=None,
                   help="commit the run trained at, for runs whose summary.json predates recording it")  # fmt: skip
    p.set_defaults(func=run)


def write_weights(model_dir: Path, dest: Path) -> dict[str, Any]:
    """Copy a checkpoint to ``dest`` with bf16 storage, <= 16 MB shards and float32 compute on load."""
    import torch

    from svemath.errors import CheckpointError
    from svemath.mllm.presets import load_pretrained

    model, processor = load_pretrained(model_dir, dtype=torch.float32)
    n_params = sum(p.numel() for p in model.parameters())
    model = model.to(torch.bfloat16)
    model.save_pretrained(dest, max_shard_size=MAX_SHARD)
    processor.save_pretrained(dest)
    cfg_path = dest / "config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["dtype"] = "float32"  # stored bf16; computed in float32 (what the card's numbers were measured with)
    cfg_path.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    shards = {f.name: f.stat().st_size for f in sorted(dest.glob("*.safetensors"))}
    total = sum(f.stat().st_size for f in dest.iterdir() if f.is_file())
    if total > MAX_TOTAL_BYTES:
        raise CheckpointError(f"release is {total / 2**20:.1f} MB, over the 25 MB budget")
    return {"parameters": n_params, "storage_dtype": "bfloat16", "compute_dtype": "float32",
            "shards": shards, "total_bytes": total}  # fmt: skip


def evaluate_release(
    dest: Path, work: Path, *, workers: int, max_new: int, scale: float, choice_tool: bool = True
) -> dict[str, Any]:
    """Held-out accuracy of the shipped weights and of their blind run, per suite, plus the check subset,
    all with the calculator and (``choice_tool``) the choice tool."""
    from svemath.data.generate import generate_dataset
    from svemath.mllm.presets import load_pretrained
    from svemath.train.heldout import heldout_accuracy
    from svemath.train.quickstart import _evaluate, paired_gain
    from svemath.train.report import _head

    results: dict[str, Any] = {}
    for k, (suite, n) in enumerate(RELEASE_EVAL.items()):
        data = work / "eval-data" / suite
        n = max(10, int(n * scale))
        if not (data / "manifest.json").is_file():
            generate_dataset(suite, n=n, seed=RELEASE_SEED + k, out=data, workers=workers, overwrite=True)
        entry: dict[str, Any] = {"seed": RELEASE_SEED + k, "n": n}
        for name, blank in (("model", False), ("blind", True)):
            metrics = _evaluate(str(dest), suite, data, work / "eval" / suite / name, blank=blank,
                                max_new=max_new, choice_tool=choice_tool)  # fmt: skip
            acc, ci = _head(metrics)
            entry[name] = {"accuracy": acc, "ci": ci, "headline": metrics.get("headline")}
        entry["read_gain"] = paired_gain(work / "eval" / suite / "model", work / "eval" / suite / "blind")
        entry["gain_all"] = paired_gain(
            work / "eval" / suite / "model", work / "eval" / suite / "blind", None
        )
        results[suite] = entry
    check_data = work / "eval-data" / "check"
    if not (check_data / "manifest.json").is_file():
        generate_dataset(CHECK["suite"], n=CHECK["n"], seed=CHECK["seed"], out=check_data, workers=workers,
                         overwrite=True)  # fmt: skip
    model, processor = load_pretrained(dest)
    check = dict(CHECK)
    check["max_new_tokens"] = max_new
    for key, blind in (("accuracy", False), ("blind_accuracy", True)):
        check[key] = heldout_accuracy(model, processor, check_data, n=CHECK["n"], max_new_tokens=max_new,
                                      blind=blind, choice_tool=choice_tool)["accuracy"]  # fmt: skip
    # heldout_accuracy asks in the "plain" style; `svemath eval run` reads this to ask the same way, and
    # uses the tools recorded under "generation"
    generation = {"calculator": True, "choice_tool": bool(choice_tool)}
    return {"suites": results, "check": check, "prompt_style": "plain", "generation": generation}


def _training_time(training: dict[str, Any]) -> str:
    """The card's training-time phrase: the stages' wall time, and the whole pipeline's when recorded."""
    stages = training.get("stages_wall_s") or 0.0
    text = f"{stages / 60:.1f} min in the training stages"
    wall = training.get("wall_s")
    if wall and wall >= stages:
        return text + f", {wall / 60:.1f} min for the whole `svemath train` (data, feature caches, stages)"
    return text + " (the run was resumed after an interruption: its whole-pipeline time is not on record)"


def _tools(evaluation: dict[str, Any]) -> str:
    """The generation-time tools an evaluation ran with, in words (cards before they were recorded: the
    calculator only)."""
    gen = evaluation.get("generation") or {"calculator": True}
    names = [
        n for k, n in (("calculator", "the calculator"), ("choice_tool", "the choice tool")) if gen.get(k)
    ]
    return " and ".join(names) or "no tools"


def _data_text(data: dict[str, Any]) -> str:
    """A card's datasets in words: suite, size, seed and the suite options (a mapping by its size)."""

    def one(name: str, v: dict[str, Any]) -> str:
        opts = "".join(
            f", {k} ({len(o)} entries)" if isinstance(o, dict) else f", {k}={o}"
            for k, o in (v.get("options") or {}).items()
        )
        return f"`{name}` ({v['suite']}, n={v['n']}, seed {v['seed']}{opts})"

    return ", ".join(one(k, v) for k, v in data.items())


def _overrides_text(overrides: dict[str, Any] | None) -> str:
    """A card's per-stage ``model_overrides`` in words ("" when none)."""
    parts = [
        f"{stage}: {', '.join(f'{k}={v}' for k, v in o.items())}" for stage, o in (overrides or {}).items()
    ]
    return f"; model overrides {'; '.join(parts)}" if parts else ""


def _lineage(base: dict[str, Any] | None) -> list[str]:
    """Card lines for a model continued from a released one (and that one's base, recursively)."""
    lines = []
    while base:
        tr = base.get("training") or {}
        data = _data_text(base.get("data") or {})
        lines.append(
            f"- continued from the released (bf16) weights of `{base.get('recipe')}` (trained at commit "
            f"`{base.get('training_commit') or 'not recorded'}`, released at `{base.get('commit')}`; "
            f"{_training_time(tr)} on {tr.get('hardware', 'unrecorded hardware')}; stages "
            f"{', '.join(tr.get('stages') or {}) or 'not recorded'}; data {data or 'not recorded'}"
            f"{_overrides_text(base.get('model_overrides'))})"
        )
        base = base.get("base")
    return lines


def _reproduce_base(base: dict[str, Any] | None) -> list[str]:
    """Commands that rebuild the released model a card's model continued from (into BASE)."""
    if not base:
        return []
    return [
        f"# BASE: the `{base.get('recipe')}` release this continues (released from commit {base.get('commit')}; "
        "in git history as svemath/assets/tiny-release, its card says how it was built)",
        "# recipe.yaml: the resolved recipe in this folder",
    ]


def _first_stage(dest: Path) -> str:
    """The first stage named in the release's recipe.yaml (the one continuing the base)."""
    import yaml

    first = _first_stage_of(yaml.safe_load((dest / "recipe.yaml").read_text(encoding="utf-8")) or {})
    return first["name"] if first else "STAGE"


def _first_stage_of(recipe: dict[str, Any]) -> dict[str, Any] | None:
    """The first stage a recipe (as a dict) runs, skipped stages left out."""
    return next((s for s in recipe.get("stages", []) if not s.get("skip")), None)


def write_card(dest: Path, card: dict[str, Any]) -> None:
    from svemath.fileio import atomic_write_text, write_json
    from svemath.train.report import _ci, _pct

    write_json(dest / "card.json", card)
    ev = card["evaluation"]["suites"]
    lines = [
        f"# svemath embedded default: `{card['recipe']}`",
        "",
        "The `tiny` preset of SVE-Math (CLIP tower + GeoGLIP + feature router + projector + a small Qwen2-style "
        "LM), trained from scratch on the CPU on svemath's own synthetic diagrams. It is a working, "
        "demo-able default for machines without a model hub, not a competitive model.",
        "",
        f"- recipe: `{card['recipe']}` (seed {card['seed']}; resolved recipe in `recipe.yaml`), svemath "
        f"{card['svemath_version']}, trained at commit `{card.get('training_commit') or 'not recorded'}`, "
        f"released at commit `{card.get('commit')}`",
        f"- training: {_training_time(card['training'])} on {card['training']['hardware']}",
        *_lineage(card.get("base")),
        f"- parameters: {card['weights']['parameters']:,}; stored in bfloat16 "
        f"({card['weights']['total_bytes'] / 2**20:.1f} MB in {len(card['weights']['shards'])} shards), "
        "loaded as float32",
        "- training data (generated, seeded): "
        + _data_text(card["data"])
        + _overrides_text(card.get("model_overrides")),
        "",
        f"## Held-out accuracy (fresh seeds, greedy with {_tools(card['evaluation'])}, plain prompt, "
        "robust scoring)",
        "",
        "Blind = the same model with every image replaced by a blank canvas. Brackets: 95% bootstrap CIs over "
        "groups. DynaMath-style: average case over the variants of each seed question.",
        "",
        "| suite | n | model | blind | gain, single read-out items (paired CI) |",
        "|---|---|---|---|---|",
    ]
    for suite, e in ev.items():
        g = e.get("read_gain") or {}
        gain = "–" if not g.get("n") else f"{_pct(g['gain'])}{_ci(g.get('gain_ci'))} (n={g['n']})"
        lines.append(
            f"| {suite} | {e['n']} | {_pct(e['model']['accuracy'])}{_ci(e['model']['ci'])} | "
            f"{_pct(e['blind']['accuracy'])}{_ci(e['blind']['ci'])} | {gain} |"
        )
    dyn = ev.get("synth-dynamath", {}).get("model", {}).get("headline", {}).get("robust", {})
    if dyn.get("worst") is not None and dyn.get("avg"):
        lines += ["", f"synth-dynamath worst case {_pct(dyn['worst'])}, worst/average "
                      f"{dyn['worst'] / dyn['avg']:.2f}."]  # fmt: skip
    for r in card.get("reevaluations") or []:
        before = "; ".join(
            f"{k} {_pct(v['model'])} (blind {_pct(v['blind'])})" for k, v in (r.get("previous") or {}).items()
        )
        lines += ["", f"Re-evaluated {r['created'][:10]} at commit `{r.get('commit')}` (same weights, seeds and "
                      f"sizes); before, with {_tools({'generation': r.get('previous_generation')})}: {before}."]  # fmt: skip
    chk = card["evaluation"]["check"]
    lines += [
        "",
        f"Check subset (re-scored by the test suite): {chk['suite']} seed {chk['seed']}, n={chk['n']}: "
        f"{_pct(chk['accuracy'])} (blind {_pct(chk['blind_accuracy'])}).",
        "",
        "## Stage metrics (held-out; GeoGLIP on primitives, instruct on synth-dynamath)",
        "",
    ]
    for stage, res in card["training"]["stages"].items():
        metrics = res.get("metrics") or {}
        if metrics:
            shown = ", ".join(f"{k}={v:.3f}" for k, v in metrics.items() if isinstance(v, int | float))
            lines.append(
                f"- `{stage}` ({res.get('steps')} steps, {res.get('wall_s', 0) / 60:.1f} min): {shown}"
            )
    lines += [
        "",
        "## Reproduce",
        "",
        "```",
        *_reproduce_base(card.get("base")),
        (
            f"svemath train --recipe recipe.yaml --out runs/{card['recipe']} stages.{_first_stage(dest)}.init_from=BASE"
            if card.get("base")
            else f"svemath train --recipe {card['recipe']} --out runs/{card['recipe']}"
        ),
        f"svemath release --run runs/{card['recipe']} --out DIR"
        + ("" if card["evaluation"].get("generation", {}).get("choice_tool") else " --no-choice-tool"),
        *(
            ["svemath release --reevaluate DIR   # the evaluation alone, again"]
            if card.get("reevaluations")
            else []
        ),
        "```",
        "",
        "Limitations: tiny capacity; synthetic diagrams only; numbers above are on svemath's synthetic "
        "suites, not on the public MathVista / MathVerse / DynaMath sets.",
    ]
    atomic_write_text(dest / "README.md", "\n".join(lines) + "\n")


def run(args: argparse.Namespace) -> int:
    import yaml

    from svemath import __version__
    from svemath.errors import CheckpointError
    from svemath.fileio import read_json
    from svemath.train.engine import stages_hardware
    from svemath.train.pipeline import git_commit

    if args.reevaluate is not None:
        return reevaluate(args)
    t0 = time.time()
    run_dir: Path = args.run
    summary_path = run_dir / "summary.json"
    if not summary_path.is_file():
        raise CheckpointError(f"{run_dir}: no summary.json (not a finished 'svemath train' run)")
    summary = read_json(summary_path)
    recipe = yaml.safe_load((run_dir / "recipe.yaml").read_text(encoding="utf-8"))
    last = recipe["stages"][-1]["name"]
    model_dir = run_dir / last / "model"
    if not (model_dir / "config.json").is_file():
        raise CheckpointError(f"{model_dir}: the last stage has no final model")
    dest: Path = args.out or Path(__file__).resolve().parent.parent / "svemath" / "assets" / recipe["name"]
    work: Path = args.work or run_dir / "release"
    tmp = dest.with_name(dest.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    weights = write_weights(model_dir, tmp)
    shutil.copy2(run_dir / "recipe.yaml", tmp / "recipe.yaml")
    evaluation = evaluate_release(tmp, work, workers=args.workers, max_new=args.max_new_tokens,
                                  scale=args.eval_scale, choice_tool=args.choice_tool)  # fmt: skip
    stages_wall = round(sum(s.get("wall_s", 0) for s in summary["stages"].values()), 1)
    training = {"wall_s": summary.get("wall_s"), "stages_wall_s": stages_wall, "runs": summary.get("runs"),
                "hardware": stages_hardware(summary["stages"]),
                "stages": {k: {kk: v.get(kk) for kk in ("steps", "total_steps", "wall_s", "stopped",
                                                          "gates_passed", "metrics")}
                           for k, v in summary["stages"].items()}}  # fmt: skip
    base = _base_card(recipe)
    card = {
        "recipe": recipe["name"], "seed": recipe.get("seed"), "svemath_version": __version__,
        "commit": git_commit(), "training_commit": summary.get("commit") or args.trained_at,
        "stage_commits": summary.get("stage_commits", {}),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "data": {k: {"suite": v.get("suite"), "n": v.get("n"), "seed": v.get("seed"),
                     **({"options": v["options"]} if v.get("options") else {})}
                 for k, v in recipe.get("datasets", {}).items()},
        "model_overrides": {s["name"]: s["model_overrides"] for s in recipe.get("stages", [])
                            if s.get("model_overrides") and not s.get("skip")},
        "weights": weights, "training": training, "evaluation": evaluation,
        "release_s": round(time.time() - t0, 1),
    }  # fmt: skip
    if base is not None:
        card["base"] = base
    write_card(tmp, card)
    _swap_in(tmp, dest)
    print(json.dumps({"out": str(dest), "weights_mb": round(weights["total_bytes"] / 2**20, 2),
                      **{s: {"model": e["model"]["accuracy"], "blind": e["blind"]["accuracy"]}
                         for s, e in evaluation["suites"].items()}}, indent=1))  # fmt: skip
    return 0


def _base_card(recipe: dict[str, Any]) -> dict[str, Any] | None:
    """When the run's first stage continued a released model (``init_from`` a folder with a card), what
    that model was: its recipe, commits, data and training, so the new card tells the whole lineage."""
    from svemath.eval.predictor import model_card

    init = (_first_stage_of(recipe) or {}).get("init_from")
    card = model_card(init) if init and init not in ("none", "previous") else {}
    if not card:
        return None
    keep = (
        "recipe",
        "seed",
        "commit",
        "training_commit",
        "stage_commits",
        "created",
        "data",
        "model_overrides",
        "training",
        "base",
    )
    return {k: card.get(k) for k in keep if k in card}


def _swap_in(tmp: Path, dest: Path) -> None:
    """Replace ``dest`` by the finished ``tmp`` folder (the old one moves aside first, then goes)."""
    old = dest.with_name(dest.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if dest.exists():
        dest.rename(old)
    tmp.rename(dest)
    if old.exists():
        shutil.rmtree(old)


def reevaluate(args: argparse.Namespace) -> int:
    """``--reevaluate DIR``: the held-out evaluation of a released folder again (same seeds and sizes,
    the weights untouched), its card rewritten; the earlier evaluation's headline stays in the card's
    ``reevaluations`` list."""
    from svemath.errors import CheckpointError
    from svemath.fileio import read_json
    from svemath.train.pipeline import git_commit

    t0 = time.time()
    dest: Path = args.reevaluate
    if not (dest / "card.json").is_file() or not (dest / "config.json").is_file():
        raise CheckpointError(f"{dest}: not a released model folder (needs card.json and config.json)")
    card = read_json(dest / "card.json")
    work: Path = args.work or Path("runs") / f"reevaluate-{dest.name}"
    evaluation = evaluate_release(dest, work, workers=args.workers, max_new=args.max_new_tokens,
                                  scale=args.eval_scale, choice_tool=args.choice_tool)  # fmt: skip
    before = card.get("evaluation") or {}
    history = list(card.get("reevaluations") or [])
    history.append({
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "commit": git_commit(),
        "seconds": round(time.time() - t0, 1),
        "previous_generation": before.get("generation", {"calculator": True, "choice_tool": False}),
        "previous": {s: {"model": e["model"]["accuracy"], "blind": e["blind"]["accuracy"]}
                     for s, e in (before.get("suites") or {}).items()},
    })  # fmt: skip
    card["evaluation"], card["reevaluations"] = evaluation, history
    tmp = dest.with_name(dest.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(dest, tmp)
    write_card(tmp, card)
    _swap_in(tmp, dest)
    print(json.dumps({"out": str(dest), "generation": evaluation["generation"],
                      **{s: {"model": e["model"]["accuracy"], "blind": e["blind"]["accuracy"],
                             "before": history[-1]["previous"].get(s)}
                         for s, e in evaluation["suites"].items()}}, indent=1))  # fmt: skip
    return 0
