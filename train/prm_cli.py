"""``svemath prm {label,bon-sweep,step-eval}``: Monte-Carlo step labels, the best-of-N sweep and the
step-error evaluation of a visual PRM. No torch import at module level.

    svemath prm label --policy DIR --data PRM_SUITE_DIR --samples 4 --rollouts 8 --out DIR
    svemath prm bon-sweep --policy DIR --prm DIR --bench synth-dynamath --data DIR --n-max 16 --out DIR
    svemath prm step-eval --prm DIR --data PROCESSBENCH_OR_LABEL_DIR --out DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prm", help="process reward model: MC step labels, best-of-N sweep, step-error eval")
    cmds = p.add_subparsers(dest="prm_command", metavar="PRM_COMMAND")
    cmds.required = True

    lab = cmds.add_parser("label", help="Monte-Carlo step labels from a policy (resumable)")
    lab.add_argument("--policy", required=True, type=Path, help="policy checkpoint folder (instruct model)")
    lab.add_argument("--data", required=True, type=Path, help="a 'prm' suite dataset folder")
    lab.add_argument("--out", required=True, type=Path)
    lab.add_argument("--samples", type=int, default=4, help="solutions sampled per question")
    lab.add_argument("--rollouts", type=int, default=8, help="completions per step prefix")
    lab.add_argument("--temperature", type=float, default=1.0)
    lab.add_argument("--top-p", type=float, default=1.0)
    lab.add_argument("--max-new-tokens", type=int, default=256)
    lab.add_argument("--max-steps", type=int, default=12)
    lab.add_argument("--seed", type=int, default=0)
    lab.add_argument("--batch-size", type=int, default=32, help="rows per generate call")
    lab.add_argument("--limit", type=int, default=None, help="label only the first N questions")
    lab.add_argument("--monotone", action="store_true", help="after a '-' step every later step is '-'")
    lab.add_argument("--device", default="auto")
    lab.set_defaults(func=cmd_label)

    bon = cmds.add_parser("bon-sweep", help="best-of-N accuracy vs N: PRM, majority vote, random, oracle")
    bon.add_argument("--policy", required=True, type=Path)
    bon.add_argument("--prm", required=True, type=Path)
    bon.add_argument("--bench", required=True, help="benchmark name, e.g. synth-dynamath")
    bon.add_argument("--data", required=True, type=Path)
    bon.add_argument("--out", required=True, type=Path)
    bon.add_argument("--n-max", type=int, default=16)
    bon.add_argument("--temperature", type=float, default=0.7)
    bon.add_argument("--top-p", type=float, default=1.0)
    bon.add_argument("--max-new-tokens", type=int, default=256)
    bon.add_argument("--trials", type=int, default=64, help="random subsets per question and N")
    bon.add_argument("--n-boot", type=int, default=1000)
    bon.add_argument("--seed", type=int, default=0)
    bon.add_argument("--batch-size", type=int, default=32)
    bon.add_argument("--limit", type=int, default=None)
    bon.add_argument("--prompt", default="plain", help="prompt style given to the policy")
    bon.add_argument("--choice-tool", action=argparse.BooleanOptionalAction, default=None,
                     help="the policy samples with the choice tool (default: as the policy's card was measured, "
                     "else off)")  # fmt: skip
    bon.set_defaults(func=cmd_bon_sweep)

    st = cmds.add_parser("step-eval", help="VisualProcessBench step metrics on step-labelled data")
    st.add_argument("--prm", required=True, type=Path)
    st.add_argument(
        "--data", required=True, type=Path, help="synth-processbench folder or 'prm label' output"
    )
    st.add_argument("--out", required=True, type=Path)
    st.add_argument("--limit", type=int, default=None)
    st.add_argument("--threshold", type=float, default=0.5)
    st.add_argument(
        "--dev", type=Path, default=None,
        help="a development split (same formats as --data): also report F1 at the threshold tuned on it",
    )  # fmt: skip
    st.add_argument("--batch-size", type=int, default=16)
    st.set_defaults(func=cmd_step_eval)


def _model_dir(path: Path, what: str) -> Path:
    from svemath.errors import CheckpointError

    if not (path / "config.json").is_file():
        raise CheckpointError(f"{what} {path}: not a model directory (no config.json)")
    return path


def cmd_label(args: argparse.Namespace) -> int:
    import torch

    from svemath.fileio import sha256_file
    from svemath.mllm.presets import load_pretrained
    from svemath.train.prm_label import LabelConfig, PolicySampler, label_dataset

    policy = _model_dir(args.policy, "--policy")
    cfg = LabelConfig(
        samples=args.samples, rollouts=args.rollouts, temperature=args.temperature, top_p=args.top_p,
        max_new_tokens=args.max_new_tokens, max_steps=args.max_steps, seed=args.seed, batch_size=args.batch_size,
        label_rule="mc>0,monotone" if args.monotone else "mc>0",
    ).validate()  # fmt: skip
    if not (args.data / "data.jsonl").is_file():
        from svemath.errors import DataFormatError

        raise DataFormatError(f"--data {args.data}: not a dataset folder (no data.jsonl)")
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    model, processor = load_pretrained(policy, device=device)
    identity = {"policy": str(policy.resolve()), "policy_config_sha256": sha256_file(policy / "config.json")}
    summary = label_dataset(PolicySampler(model, processor, cfg, name=str(policy)), args.data, args.out, cfg,
                            limit=args.limit, identity=identity)  # fmt: skip
    run = summary["run"]
    print(f"labelled {run['questions_labelled_now']} questions ({run['already_done']} already done) in "
          f"{run['seconds']:.1f}s; {summary['n_solutions']} solutions, {summary['n_steps']} steps, "
          f"positive rate {summary['positive_rate']}, sample accuracy {summary['sample_accuracy']}")  # fmt: skip
    print(
        f"wrote {args.out / 'mc_solutions.jsonl'}, {args.out / 'prm_train.jsonl'}, {args.out / 'label_summary.json'}"
    )
    return 0


def cmd_bon_sweep(args: argparse.Namespace) -> int:
    from svemath.eval.bon import SweepConfig, run_sweep
    from svemath.eval.predictor import choice_tool_default

    policy = _model_dir(args.policy, "--policy")
    cfg = SweepConfig(
        n_max=args.n_max, ns=tuple(n for n in (1, 2, 4, 8, 16, 32, 64, 128) if n <= args.n_max),
        temperature=args.temperature, top_p=args.top_p, max_new_tokens=args.max_new_tokens, seed=args.seed,
        trials=args.trials, n_boot=args.n_boot, batch_size=args.batch_size, style=args.prompt,
        choice_tool=choice_tool_default(args.choice_tool, policy),
    )  # fmt: skip
    result = run_sweep(policy, _model_dir(args.prm, "--prm"), args.bench, args.data,
                       args.out, cfg, limit=args.limit)  # fmt: skip
    table = result["table"]
    for method in table:
        cells = "  ".join(f"N={n}:{100 * table[method][str(n)]['accuracy']:5.1f}" for n in result["ns"])
        print(f"  {method:<9} {cells}")
    print(f"wrote {args.out / 'bon_sweep.json'}, {args.out / 'bon_sweep.md'}, {args.out / 'bon_sweep.png'}")
    return 0


def cmd_step_eval(args: argparse.Namespace) -> int:
    import time

    from svemath.fileio import atomic_write_text, write_json
    from svemath.mllm.presets import load_pretrained
    from svemath.train.obj_prm import evaluate_steps

    model, processor = load_pretrained(_model_dir(args.prm, "--prm"))
    t0 = time.perf_counter()
    if args.dev is not None:
        from svemath.train.obj_prm import evaluate_steps_with_dev

        res = evaluate_steps_with_dev(model, processor, args.data, args.dev, batch_size=args.batch_size)
    else:
        res = evaluate_steps(model, processor, args.data, n=args.limit, threshold=args.threshold,
                             batch_size=args.batch_size)  # fmt: skip
    records = res.pop("records")
    res.update(prm=str(args.prm), data=str(args.data), seconds=round(time.perf_counter() - t0, 2))
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "step_metrics.json", res)
    atomic_write_text(args.out / "step_scores.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    m = res["metrics"]
    print(f"{res['n_solutions']} solutions, {m['n_steps']} steps: macro-F1 {m['macro_f1']:.3f} "
          f"(F1 correct {m['f1_correct']:.3f}, F1 error {m['f1_error']:.3f}), accuracy {m['accuracy']:.3f}, "
          f"AUROC {m['auroc']}, predicted positive rate {m['pred_positive_rate']:.3f}")  # fmt: skip
    if "metrics_dev_threshold" in res:
        d = res["metrics_dev_threshold"]
        print(f"at the dev-tuned threshold {res['dev_threshold']['threshold']:.3f}: macro-F1 {d['macro_f1']:.3f} "
              f"(F1 correct {d['f1_correct']:.3f}, F1 error {d['f1_error']:.3f})")  # fmt: skip
        b = res["position_prior"]
        print(f"position-only baseline (no model; counted on --dev): macro-F1 {b['metrics']['macro_f1']:.3f} at 0.5, "
              f"{b['metrics_dev_threshold']['macro_f1']:.3f} at its dev threshold {b['threshold']:.3f}")  # fmt: skip
    matched = res["matched_auroc"]
    if matched:
        print("error step vs correct step at the same position, AUROC (0.5: position only): "
              + ", ".join(f"{k} {v['auroc']:.3f} ({v['pairs']} pairs)" for k, v in matched.items()))  # fmt: skip
    print(f"wrote {args.out / 'step_metrics.json'}, {args.out / 'step_scores.jsonl'}")
    return 0
