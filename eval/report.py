"""``report.md`` and PNG plots from a ``metrics.json`` dict (matplotlib, Agg backend, no display).

Plots: ``accuracy_by_subject.png`` (the benchmark's subject-like breakdown, both modes),
``accuracy_by_variant.png`` (DynaMath variant / MathVerse version / MathVista skill) and, for
DynaMath-style benchmarks, ``avg_vs_worst.png`` (average- vs worst-case accuracy per subject).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from svemath.eval.base import MODES, Benchmark
from svemath.fileio import atomic_write_text


def _pct(x: Any) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def _ci(ci: Any) -> str:
    return "" if not ci else f" [{_pct(ci[0])}, {_pct(ci[1])}]"


def _headline_table(metrics: dict[str, Any]) -> list[str]:
    head = metrics["headline"]
    keys = [k for k in head["official"] if not k.endswith("_ci") and k != "n_groups"]
    lines = ["| metric (%) | official | robust |", "|---|---|---|"]
    for k in keys:
        cells = [f"{_pct(head[m][k])}{_ci(head[m].get(k + '_ci'))}" for m in MODES]
        lines.append(f"| {k} | {cells[0]} | {cells[1]} |")
    return lines


def _breakdown_tables(metrics: dict[str, Any]) -> list[str]:
    off, rob = metrics["metrics"]["official"]["breakdowns"], metrics["metrics"]["robust"]["breakdowns"]
    out: list[str] = []
    for key, table in off.items():
        out += ["", f"### by {key}", "", "| value | n | official % | robust % |", "|---|---|---|---|"]
        for value, cell in table.items():
            r = rob[key].get(value, {})
            out.append(
                f"| {value} | {cell['total']} | {_pct(cell['accuracy'])} | {_pct(r.get('accuracy'))} |"
            )
    return out


def _restricted_tables(metrics: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key in ("by_subject", "by_level"):
        off = metrics["metrics"]["official"].get(key)
        if not off:
            continue
        rob = metrics["metrics"]["robust"][key]
        out += ["", f"### DynaMath {key.replace('_', ' ')} (avg / worst / RR, %)", "",
                "| value | seeds | official | robust |", "|---|---|---|---|"]  # fmt: skip
        for value, o in off.items():
            r = rob[value]
            out.append(
                f"| {value} | {o['n_groups']} | {_pct(o['avg'])} / {_pct(o['worst'])} / {_pct(o['rr'])} | "
                f"{_pct(r['avg'])} / {_pct(r['worst'])} / {_pct(r['rr'])} |"
            )
    return out


def render_markdown(metrics: dict[str, Any], plots: list[str]) -> str:
    model = metrics.get("model") or {}
    gen = metrics.get("generation")
    stats = metrics.get("generation_stats") or {}
    lines = [
        f"# Evaluation report: {metrics['benchmark']}",
        "",
        f"- scorer: `{metrics['scorer']}` -- {metrics['scorer_note']}",
        f"- judge: {metrics['judge']}",
        f"- modes: official = {metrics['modes']['official']}; robust = {metrics['modes']['robust']}",
        f"- model: {model.get('name') if isinstance(model, dict) else model}"
        + (
            f" (config sha256 {model['config_sha256'][:12]})"
            if isinstance(model, dict) and model.get("config_sha256")
            else ""
        ),
        f"- prompt styles: {metrics['prompt_styles']}",
        f"- generation: {gen}",
        f"- items: {metrics['n_examples']}, prediction lines: {metrics['n_prediction_lines']}",
        f"- data: `{metrics['data']['path']}`; "
        f"predictions sha256 {str(metrics['predictions']['sha256'])[:12]}",
    ]
    if stats.get("samples_per_s"):
        lines.append(
            f"- generation throughput: {stats['samples_per_s']} samples/s over {stats['generated']} items"
        )
    lines += ["", "## Headline", "", *_headline_table(metrics)]
    rc = metrics["metrics"].get("repetition_consistency")
    if rc:
        lines += [
            "",
            f"Repetition consistency: {_pct(rc['rc'])}% over {rc['n_items']} items "
            f"x {rc['repeats']} repeats.",
        ]
    f = metrics["failures"]
    lines += [
        "",
        "## Failures (counted, scored as wrong)",
        "",
        "| kind | count | examples |",
        "|---|---|---|",
    ]
    for kind, count in f["counts"].items():
        ex = "; ".join(str(e) for e in f["examples"][kind][:5])
        lines.append(f"| {kind} | {count} | {ex} |")
    for mode, n in f["unparsable"].items():
        lines.append(f"| unparsable ({mode}) | {n} | |")
    lines += ["", "## Breakdowns", *_restricted_tables(metrics), *_breakdown_tables(metrics)]
    if plots:
        lines += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots]
    return "\n".join(lines) + "\n"


def _bar_plot(path: Path, title: str, tables: dict[str, dict[str, Any]], value_key: str = "accuracy") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels = list(next(iter(tables.values())).keys())
    x = np.arange(len(labels))
    width = 0.8 / len(tables)
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(labels) + 2), 4))
    for i, (name, table) in enumerate(tables.items()):
        ax.bar(
            x + i * width - 0.4 + width / 2,
            [100 * table.get(lab, {}).get(value_key, 0) for lab in labels],
            width,
            label=name,
        )
    ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_plots(out: Path, metrics: dict[str, Any], bench: Benchmark) -> list[str]:
    written: list[str] = []
    m = metrics["metrics"]
    subject_key, variant_key = bench.plot_keys
    for key, fname in ((subject_key, "accuracy_by_subject.png"), (variant_key, "accuracy_by_variant.png")):
        tables = {mode: m[mode]["breakdowns"].get(key) or {} for mode in MODES}
        if tables["official"]:
            _bar_plot(out / fname, f"{metrics['benchmark']}: accuracy by {key}", tables)
            written.append(fname)
    if m["official"].get("by_subject"):
        tables = {
            f"{mode} {stat}": {k: {"accuracy": v[stat]} for k, v in m[mode]["by_subject"].items()}
            for mode in MODES
            for stat in ("avg", "worst")
        }
        _bar_plot(
            out / "avg_vs_worst.png", f"{metrics['benchmark']}: average vs worst case by subject", tables
        )
        written.append("avg_vs_worst.png")
    return written


def write_report(out: str | Path, metrics: dict[str, Any], bench: Benchmark, *, plots: bool = True) -> Path:
    out = Path(out)
    written = write_plots(out, metrics, bench) if plots else []
    path = out / "report.md"
    atomic_write_text(path, render_markdown(metrics, written))
    return path
