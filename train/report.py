"""Markdown report of a quickstart run: held-out accuracy beside the blind baseline and the shipped model,
the read-out families' gain with its paired CI, stage timings, perception metrics and loss curves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from svemath.fileio import atomic_write_text
from svemath.train.engine import stages_hardware


def _pct(x: Any) -> str:
    return "–" if x is None else f"{100 * float(x):.1f}"


def _ci(ci: Any) -> str:
    return "" if not ci else f" [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"


def _head(metrics: dict[str, Any], mode: str = "robust") -> tuple[Any, Any]:
    """The suite's headline accuracy: plain accuracy, DynaMath's average case, MathVerse's "All"."""
    block = (metrics or {}).get("headline", {}).get(mode, {})
    for key in ("accuracy", "avg", "all"):
        if key in block:
            return block[key], block.get(f"{key}_ci")
    return None, None


def _invocations(wall: dict[str, Any]) -> str:
    n = int(wall.get("train_invocations") or 1)
    return f" (summed over {n} invocations: the run was resumed)" if n > 1 else ""


def write_quickstart_report(
    out: Path,
    recipe: Any,
    summary: dict[str, Any],
    results: dict[str, dict[str, Any]],
    wall: dict[str, float],
    *,
    shipped: Path | None,
    smoke: bool,
    prm: dict[str, Any] | None = None,
    choice_tool: bool = False,
) -> Path:
    tools = "the calculator and the choice tool" if choice_tool else "the calculator"
    lines = [f"# svemath quickstart report{' (smoke run: a few steps, numbers are meaningless)' if smoke else ''}",
             "",
             f"Recipe `{recipe.name}` (preset `{recipe.preset}`, seed {recipe.seed}); training {wall['train_s']:.0f} s{_invocations(wall)}, "
             f"total {wall['total_s']:.0f} s, on {stages_hardware(summary['stages'])}. Held-out suites use seeds disjoint from every training and gating set. "
             f"Accuracy in %, greedy decoding with {tools}, plain prompt, robust scoring (official scoring in each suite's "
             "`metrics.json`); brackets are 95% bootstrap CIs over groups.", ""]  # fmt: skip
    cols = ["quickstart model", "blind (image blanked)"] + (["shipped model"] if shipped else [])
    lines += [
        "## Held-out accuracy",
        "",
        "| suite | " + " | ".join(cols) + " |",
        "|---" * (len(cols) + 1) + "|",
    ]
    for suite, res in results.items():
        cells = []
        for key in ("model", "blind", "shipped")[: len(cols)]:
            acc, ci = _head(res.get(key))
            cells.append(f"{_pct(acc)}{_ci(ci)}")
        lines.append(f"| {suite} | " + " | ".join(cells) + " |")
    for key in ("model", "blind", "shipped"):
        d = results.get("synth-dynamath", {}).get(key, {}).get("headline", {}).get("robust")
        if d and "worst" in d:
            lines.append(f"\nsynth-dynamath ({key}): average {_pct(d['avg'])}, worst case {_pct(d['worst'])}"
                         f"{_ci(d.get('worst_ci'))}, RR = worst/avg {d.get('rr', 0):.2f}.")  # fmt: skip
    lines += ["", "## Single read-out items: gain over the blind baseline", "",
              "| suite | n | model | blind | gain (points) [95% paired CI] |", "|---|---|---|---|---|"]  # fmt: skip
    for suite, res in results.items():
        g = res.get("read_gain") or {}
        if g.get("n"):
            lines.append(f"| {suite} | {g['n']} | {_pct(g['model'])} | {_pct(g['blind'])} | "
                         f"{100 * g['gain']:+.1f}{_ci(g.get('gain_ci'))} |")  # fmt: skip
    lines += ["", "## Training stages", "", "| stage | steps | wall (s) | stopped | held-out metrics |",
              "|---|---|---|---|---|"]  # fmt: skip
    for name, st in summary.get("stages", {}).items():
        metrics = ", ".join(f"{k} {v:.3g}" for k, v in st.get("metrics", {}).items())
        gate = {True: " (gates passed)", False: " (gates not reached)"}.get(st.get("gates_passed"), "")
        lines.append(
            f"| {name} | {st['steps']}/{st['total_steps']} | {st['wall_s']:.0f} | {st['stopped']}{gate} | {metrics} |"
        )
    if prm:
        lines += _prm_lines(prm)
    lines += ["", "## Loss curves", ""]
    for name in summary.get("stages", {}):
        png = out / "train" / name / "curves.png"
        if png.exists():
            lines.append(f"![{name}]({png.relative_to(out).as_posix()})")
    lines += [
        "",
        "Per-suite details (breakdowns by family, difficulty, subject; plots): `eval/<suite>/<run>/report.md`.",
    ]
    path = out / "report.md"
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path


def _prm_lines(prm: dict[str, Any]) -> list[str]:
    lines = ["", "## Process reward model", ""]
    lab = prm.get("label") or {}
    run = lab.get("run") or {}
    lines.append(f"Monte-Carlo labels: {lab.get('n_questions', '?')} questions, {lab.get('n_solutions', '?')} "
                 f"solutions, {run.get('seconds_per_question', '?')} s per question.")  # fmt: skip
    steps = (prm.get("step_eval") or {}).get("metrics") or {}
    if steps:
        auroc = steps.get("auroc")
        lines.append(f"Step-error detection on held-out synth-processbench ({steps.get('n_steps')} steps): "
                     f"macro-F1 {steps['macro_f1']:.3f} (VisualProcessBench metric: mean of F1 on correct and on "
                     f"wrong steps), AUROC {'–' if auroc is None else f'{auroc:.3f}'}.")  # fmt: skip
        dev, at_dev = prm["step_eval"].get("dev_threshold"), prm["step_eval"].get("metrics_dev_threshold")
        if dev and at_dev:
            lines.append(f"At the threshold tuned on the prm stage's dev split ({dev['threshold']:.3f} instead of "
                         f"the protocol's 0.5; {dev['dev_steps']} dev steps): macro-F1 {at_dev['macro_f1']:.3f} "
                         f"(F1 correct {at_dev['f1_correct']:.3f}, F1 error {at_dev['f1_error']:.3f}).")  # fmt: skip
        prior = prm["step_eval"].get("position_prior")
        if prior:
            lines.append(f"Position-only baseline (P(correct | step index, step count) counted on the dev split; no "
                         f"model): macro-F1 {prior['metrics']['macro_f1']:.3f} at 0.5, "
                         f"{prior['metrics_dev_threshold']['macro_f1']:.3f} at its dev threshold.")  # fmt: skip
        matched = (prm["step_eval"].get("matched_auroc") or {}).get("all") or {}
        if matched.get("auroc") is not None:
            lines.append(f"Error steps against correct steps at the same position: AUROC {matched['auroc']:.3f} "
                         f"({matched['pairs']} pairs; 0.5 = the PRM checks nothing beyond position).")  # fmt: skip
    bon = prm.get("bon") or {}
    table = bon.get("table") or {}
    if table:
        ns = sorted({int(n) for row in table.values() for n in row}, key=int)
        lines += ["", f"Best-of-N on {bon.get('n_questions')} held-out synth-dynamath questions (accuracy %; one "
                  "shared pool of samples):", "", "| method | " + " | ".join(f"N={n}" for n in ns) + " |",
                  "|---" * (len(ns) + 1) + "|"]  # fmt: skip
        for method, row in table.items():
            cells = []
            for n in ns:
                cell = row.get(str(n)) or row.get(n)
                acc = cell.get("accuracy") if isinstance(cell, dict) else cell
                cells.append("–" if acc is None else f"{100 * acc:.1f}")
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
    ranking = {k: r for k, r in (bon.get("ranking") or {}).items() if r.get("auroc") is not None}
    if ranking:
        parts = ", ".join(f"{k} {r['auroc']:.3f}" for k, r in ranking.items())
        n_mixed = max(r["n_questions"] for r in ranking.values())
        lines += ["", f"Within-question ranking AUROC over the {n_mixed} questions with both right and wrong "
                  f"samples (0.5 = chance): {parts}."]  # fmt: skip
    return lines
