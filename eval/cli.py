"""``svemath eval {run,score,list}``: the two-phase evaluation from the command line.

``svemath eval run --model DIR|default|oracle --bench B --data PATH --out OUT [--limit N] [--batch-size K]
[--prompt official|plain] [--max-new-tokens N] [--do-sample --temperature T --top-p P] [--seed S]
[--repeats K] [--bon N --prm DIR]`` generates into ``OUT/predictions.jsonl`` (resumable) and scores it.

``svemath eval score --bench B --data PATH --predictions FILE --out OUT`` scores predictions from any model.

``svemath eval numbers --model DIR --data DIR --out FILE.json`` diagnoses which numbers a model fails to
copy (:mod:`svemath.eval.numbers`); ``svemath eval label-budget --data DIR [--slots S ...]`` how many of
the labels reference answers restate fit in the label slots (:mod:`svemath.eval.label_budget`);
``svemath eval family-weights SCORED ... --out W.yaml`` the ``instruct`` suite's family weights from a
model's scored dev items (:mod:`svemath.eval.family_weights`); ``svemath eval perception --data DIR
--out FILE.json`` GeoGLIP's shape mAP and label reading per family (:mod:`svemath.eval.perception`).

No torch import at module level: the model loads only inside ``run`` and only if something is left to
generate.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from svemath.errors import ConfigError


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "eval", help="evaluate a model on DynaMath / MathVerse / MathVista (real or synthetic)"
    )
    esub = parser.add_subparsers(
        dest="eval_command", metavar="{run,score,numbers,label-budget,family-weights,perception,list}"
    )
    esub.required = True

    run = esub.add_parser("run", help="generate predictions (resumable), then score them")
    run.add_argument(
        "--model",
        default="default",
        help="checkpoint folder, 'default' (the shipped model; the default) or 'oracle' (self-check)",
    )
    _common(run)
    run.add_argument(
        "--out", required=True, type=Path, help="output folder (predictions.jsonl, metrics.json, ...)"
    )
    run.add_argument("--batch-size", type=int, default=8)
    run.add_argument("--max-new-tokens", type=int, default=512)
    run.add_argument("--do-sample", action="store_true", help="sample instead of greedy decoding")
    run.add_argument("--temperature", type=float, default=0.0)
    run.add_argument("--top-p", type=float, default=1.0)
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--repeats", type=int, default=1, help="generations per item (repetition consistency)")
    run.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    run.add_argument("--bon", type=int, default=None, help="PRM-guided best-of-N (needs --prm)")
    run.add_argument("--prm", default=None, help="PRM checkpoint folder for --bon")
    run.add_argument("--no-progress", action="store_true")
    run.add_argument(
        "--blank-images", action="store_true", help="blind baseline: replace every image by a white canvas"
    )
    run.add_argument(
        "--choice-tool",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="generation-time tool: after '..., which is choice (' write the letter of the option whose text "
        "the model wrote (svemath.mllm.calculator); default: as the model's card was measured (the shipped "
        "model: on), else off",
    )
    run.set_defaults(func=cmd_run)

    score = esub.add_parser("score", help="score a predictions.jsonl from any model")
    _common(score)
    score.add_argument(
        "--predictions", required=True, type=Path, help="predictions JSONL ({'id', 'response'} lines)"
    )
    score.add_argument("--out", required=True, type=Path)
    score.set_defaults(func=cmd_score)

    numbers = esub.add_parser(
        "numbers",
        help="teacher-forced accuracy of the numbers of reference answers, by where each comes from",
    )
    numbers.add_argument(
        "--model", default="default", help="checkpoint folder or 'default' (the shipped model)"
    )
    numbers.add_argument(
        "--data", required=True, type=Path, help="dataset with conversations (e.g. instruct)"
    )
    numbers.add_argument("--limit", type=int, default=200)
    numbers.add_argument("--out", required=True, type=Path, help="JSON file")
    numbers.set_defaults(func=cmd_numbers)

    budget = esub.add_parser(
        "label-budget", help="share of the labels reference answers restate that fit in S label slots"
    )
    budget.add_argument("--data", required=True, type=Path, help="dataset with annotations and answers")
    budget.add_argument("--slots", type=int, nargs="+", default=[24, 40, 64], help="slot budgets")
    budget.add_argument("--limit", type=int, default=None, help="first N records (default: all)")
    budget.add_argument("--out", type=Path, default=None, help="also write the JSON report here")
    budget.set_defaults(func=cmd_label_budget)

    weights = esub.add_parser(
        "family-weights", help="instruct-suite family weights max(floor, 1 - accuracy) from scored items"
    )
    weights.add_argument("scored", nargs="+", type=Path, help="scored.jsonl files or `eval run` folders")
    weights.add_argument("--floor", type=float, default=0.15, help="lowest weight (default 0.15)")
    weights.add_argument("--min-items", type=int, default=10, help="leave out smaller families (weight 1)")
    weights.add_argument(
        "--out", required=True, type=Path, help="YAML file: {family_weights: {family: weight}}"
    )
    weights.set_defaults(func=cmd_family_weights)

    seen = esub.add_parser(
        "perception", help="GeoGLIP's shape mAP and label reading per problem family of an annotated dataset"
    )
    seen.add_argument("--model", default="default", help="a trained SVE model directory, or 'default'")
    seen.add_argument("--data", required=True, type=Path, help="dataset whose records carry annotations")
    seen.add_argument("--families", default=None, help="comma-separated families (default: all)")
    seen.add_argument("--per-family", type=int, default=20, help="items per family (default 20)")
    seen.add_argument(
        "--group-by", choices=("family", "kind"), default="family",
        help="group items by meta.family (default) or meta.kind (primitives: bar chart, table, collage, ...)",
    )  # fmt: skip
    seen.add_argument("--out", required=True, type=Path, help="JSON file")
    seen.set_defaults(func=cmd_perception)

    ls = esub.add_parser("list", help="list the registered benchmarks")
    ls.set_defaults(func=cmd_list)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bench", required=True, help="dynamath | mathverse | mathvista | synth-dynamath | ...")
    p.add_argument(
        "--data", type=Path, default=None, help="benchmark folder (published layout) or dataset folder"
    )
    p.add_argument("--limit", type=int, default=None, help="only the first N items (in load order)")
    p.add_argument(
        "--prompt",
        default=None,
        help="prompt style: official | plain (mathverse also: cot); default: the style the model's card was "
        "evaluated with (the shipped tiny model: plain), else official",
    )
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples for the 95%% CIs (0: none)")
    p.add_argument("--bootstrap-seed", type=int, default=0)
    p.add_argument("--no-plots", action="store_true")


def _prompt_style(args: argparse.Namespace) -> str:
    """``--prompt`` as given, else the ``prompt_style`` in the model's ``card.json`` (a released model is
    evaluated the way it was trained to be asked), else ``official``."""
    if args.prompt:
        return args.prompt
    model = getattr(args, "model", None)
    if model and model != "oracle":
        from svemath.eval.predictor import model_card, resolve_model_dir

        style = (model_card(resolve_model_dir(model)).get("evaluation") or {}).get("prompt_style")
        if style:
            return str(style)
    return "official"


def _choice_tool(args: argparse.Namespace) -> bool:
    """``--choice-tool`` / ``--no-choice-tool`` as given, else the setting the model's card was measured
    with (``evaluation.generation.choice_tool``), else off."""
    from svemath.eval.predictor import choice_tool_default, resolve_model_dir

    model_dir = (
        None if args.model == "oracle" or args.choice_tool is not None else resolve_model_dir(args.model)
    )
    return choice_tool_default(args.choice_tool, model_dir)


def _load(args: argparse.Namespace) -> tuple[Any, list[Any]]:
    from svemath.eval.base import get_benchmark

    args.prompt = _prompt_style(args)
    bench = get_benchmark(args.bench)
    bench.check_style(args.prompt)
    if args.data is None:
        raise ConfigError(
            f"--data is required for {args.bench!r}: the published benchmark folder, or for synth-* a "
            f"dataset folder from 'svemath data generate --suite {args.bench} ...' (nothing is downloaded "
            "or generated here)"
        )
    examples = bench.load(args.data)
    if args.limit is not None:
        if args.limit < 1:
            raise ConfigError(f"--limit must be >= 1, got {args.limit}")
        examples = examples[: args.limit]
    if not examples:
        raise ConfigError(f"{args.data}: no items to evaluate")
    return bench, examples


def _summary(metrics: dict[str, Any], out: Path) -> None:
    head = metrics["headline"]
    parts = []
    for mode in ("official", "robust"):
        nums = ", ".join(f"{k} {100 * v:.1f}%" for k, v in head[mode].items() if isinstance(v, float))
        parts.append(f"  {mode:8s}: {nums}")
    counts = metrics["failures"]["counts"]
    print(f"{metrics['benchmark']} ({metrics['scorer']}): {metrics['n_examples']} items")
    print("\n".join(parts))
    if counts:
        print("  failures: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"  wrote {out / 'metrics.json'}, {out / 'report.md'}")


def cmd_run(args: argparse.Namespace) -> int:
    from svemath.eval.predictor import GenerationSettings, build_predictor, model_info
    from svemath.eval.runner import generate_predictions
    from svemath.eval.score import score_to_dir
    from svemath.fileio import write_json

    bench, examples = _load(args)
    settings = GenerationSettings(
        max_new_tokens=args.max_new_tokens, do_sample=args.do_sample, temperature=args.temperature,
        top_p=args.top_p, seed=args.seed, batch_size=args.batch_size, repeats=args.repeats,
        blank_images=args.blank_images, choice_tool=_choice_tool(args),
    ).validate()  # fmt: skip
    info = model_info(args.model, bon=args.bon, prm=args.prm)
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "run.json", {
        "benchmark": bench.name, "data": str(args.data), "limit": args.limit, "prompt_style": args.prompt,
        "model": info, "generation": settings.to_dict(), "bon": args.bon, "prm": args.prm,
    })  # fmt: skip

    def factory():
        return build_predictor(args.model, settings, bench=bench, style=args.prompt, device=args.device,
                               bon=args.bon, prm=args.prm)  # fmt: skip

    stats = generate_predictions(bench, examples, factory, args.out / "predictions.jsonl", style=args.prompt,
                                 settings=settings, model=info, progress=not args.no_progress)  # fmt: skip
    metrics = score_to_dir(bench, examples, args.out / "predictions.jsonl", args.out, data_path=args.data,
                           default_style=args.prompt, n_boot=args.n_boot, seed=args.bootstrap_seed,
                           generation_stats=stats, plots=not args.no_plots)  # fmt: skip
    print(f"generated {stats['generated']} (skipped {stats['already_done']} already done, "
          f"{stats['errors']} errors)"
          + (f" at {stats['samples_per_s']} samples/s" if stats.get("samples_per_s") else ""))  # fmt: skip
    _summary(metrics, args.out)
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from svemath.errors import DataFormatError
    from svemath.eval.score import score_to_dir

    bench, examples = _load(args)
    if not args.predictions.is_file():
        raise DataFormatError(f"predictions file not found: {args.predictions}")
    metrics = score_to_dir(bench, examples, args.predictions, args.out, data_path=args.data,
                           default_style=args.prompt, n_boot=args.n_boot, seed=args.bootstrap_seed,
                           plots=not args.no_plots)  # fmt: skip
    _summary(metrics, args.out)
    return 0


def cmd_label_budget(args: argparse.Namespace) -> int:
    from itertools import islice

    from svemath.data.dataset import iter_records
    from svemath.eval.label_budget import label_budget
    from svemath.fileio import write_json

    if any(s < 1 for s in args.slots) or (args.limit is not None and args.limit < 1):
        raise ConfigError(f"--slots and --limit must be >= 1, got {args.slots} and {args.limit}")
    report = label_budget(islice(iter_records(args.data), args.limit), args.slots)
    report["data"] = str(args.data)
    head = "  ".join(f"{s:>5d}" for s in report["budgets"])
    print(f"{'family':28s} {'records':>7s}  labels that fit / records whose labels all fit, at slots {head}")
    for key, g in report["groups"].items():
        labels = " ".join(f"{100 * g['labels'][str(s)]:5.1f}" for s in report["budgets"])
        whole = " ".join(f"{100 * g['records_all_fit'][str(s)]:5.1f}" for s in report["budgets"])
        print(f"{key:28s} {g['records']:7d}  {labels}  /  {whole}")
    print(f"{report['records_without_referenced_labels']} records restate no label")
    if args.out:
        write_json(args.out, report)
        print(f"wrote {args.out}")
    return 0


def cmd_family_weights(args: argparse.Namespace) -> int:
    import yaml

    from svemath.eval.family_weights import error_weights, family_accuracy
    from svemath.fileio import atomic_write_text

    accuracy = family_accuracy(args.scored)
    weights = error_weights(accuracy, floor=args.floor, min_items=args.min_items)
    print(f"{'family':28s} {'items':>5s} {'accuracy':>8s} {'weight':>6s}")
    for family, (correct, n) in sorted(accuracy.items(), key=lambda kv: kv[1][0] / kv[1][1]):
        weight = f"{weights[family]:6.3f}" if family in weights else "     -"
        print(f"{family:28s} {n:5d} {100 * correct / n:8.1f} {weight}")
    atomic_write_text(args.out, yaml.safe_dump({"family_weights": weights}, default_flow_style=None))
    print(f"wrote {args.out} ({len(weights)} families; the others weigh 1)")
    return 0


def cmd_perception(args: argparse.Namespace) -> int:
    from svemath.data.dataset import iter_records
    from svemath.eval.perception import format_report, perception_report
    from svemath.fileio import write_json
    from svemath.images import load_image
    from svemath.mllm.perception import perceive
    from svemath.mllm.presets import default_model_dir, load_pretrained

    if args.per_family < 1:
        raise ConfigError(f"--per-family must be >= 1, got {args.per_family}")
    model_dir = default_model_dir() if args.model == "default" else Path(args.model)
    model, processor = load_pretrained(model_dir)
    model.eval()
    families = set(args.families.split(",")) if args.families else None
    report = perception_report(
        iter_records(args.data), lambda path: perceive(model, processor, load_image(path)),
        families=families, per_family=args.per_family, group_by=args.group_by,
    )  # fmt: skip
    print(format_report(report))
    write_json(args.out, {"model": str(model_dir), "data": str(args.data), "families": report})
    print(f"wrote {args.out}")
    return 0


def cmd_numbers(args: argparse.Namespace) -> int:
    from itertools import islice

    from svemath.data.dataset import iter_records
    from svemath.eval.numbers import teacher_forced_numbers
    from svemath.fileio import write_json
    from svemath.mllm.presets import default_model_dir, load_pretrained

    if args.limit < 1:
        raise ConfigError(f"--limit must be >= 1, got {args.limit}")
    model_dir = default_model_dir() if args.model == "default" else Path(args.model)
    model, processor = load_pretrained(model_dir)
    result = teacher_forced_numbers(model, processor, islice(iter_records(args.data), args.limit))
    result.update(model=str(model_dir), data=str(args.data), limit=args.limit)
    write_json(args.out, result)
    for source, row in result["sources"].items():
        if row["n"]:
            print(f"  {source:14s} {row['correct']:5d}/{row['n']:<5d} {100 * row['accuracy']:5.1f}%")
    for bucket, row in result["label_copies_by_rivals"].items():
        if row["n"]:
            share = f"{row['correct']}/{row['n']} {100 * row['accuracy']:.1f}%"
            print(f"  label copies, {bucket} numeric labels in the slots: {share}")
    print(f"{result['records']} records -> {args.out}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from svemath.eval.base import benchmark_names, get_benchmark

    rows = []
    for name in benchmark_names():
        b = get_benchmark(name)
        rows.append({"name": name, "scorer": b.scorer, "prompt_styles": list(b.prompt_styles)})
    print(json.dumps(rows, indent=2))
    return 0
