"""PNG plots of a stage's ``metrics.jsonl``: training loss and held-out metrics against steps."""

from __future__ import annotations

import json
from pathlib import Path


def read_metrics(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut by an interrupted run
    return rows


def plot_stage_metrics(metrics_path: str | Path, out_png: str | Path, title: str = "") -> Path | None:
    rows = read_metrics(metrics_path)
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = [r for r in rows if "loss" in r]
    evals = [r for r in rows if any(k.startswith("eval/") for k in r)]
    eval_keys = sorted({k for r in evals for k in r if k.startswith("eval/")})
    fig, axes = plt.subplots(1, 2 if eval_keys else 1, figsize=(10 if eval_keys else 5, 3.5), squeeze=False)
    ax = axes[0][0]
    ax.plot([r["step"] for r in train], [r["loss"] for r in train], lw=1.2)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.set_yscale("log")
    ax.set_title(f"{title} loss")
    if eval_keys:
        ax = axes[0][1]
        for key in eval_keys[:8]:
            pts = [(r["step"], r[key]) for r in evals if key in r]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=3, label=key[5:])
        ax.set_xlabel("step")
        ax.set_title(f"{title} held-out")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_png, dpi=90)
    plt.close(fig)
    return Path(out_png)
