"""Turning per-sample scored records into the metrics block of ``metrics.json``, per scoring mode.

A scored record (written to ``scored.jsonl``) looks like::

    {"id", "group_id", "variant", "repeat", "answer", "answer_type", "question_type", "meta",
     "failure": None | "<kind>", "official": {"extracted", "method", "correct"}, "robust": {...}}

Main metrics use the first run of each item (``repeat == 0``); later repeats feed repetition consistency.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from svemath.eval.base import MODES
from svemath.eval.extract import normalize_text
from svemath.eval.metrics import accuracy, breakdown, ci_info, grouped_accuracy_ci, repetition_consistency

View = list[dict[str, Any]]


NOT_ITEMS = ("unknown_id", "bad_prediction_line")  # listed in scored.jsonl, but not benchmark items


def primary(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records that count: first runs of known items."""
    return [r for r in records if int(r.get("repeat", 0)) == 0 and r.get("failure") not in NOT_ITEMS]


def mode_view(records: Sequence[dict[str, Any]], mode: str) -> View:
    keys = ("id", "group_id", "variant", "answer_type", "question_type")
    return [
        {**{k: r.get(k) for k in keys}, "meta": r.get("meta") or {}, "correct": bool(r[mode]["correct"])}
        for r in records
    ]


def summarize(
    records: Sequence[dict[str, Any]],
    *,
    breakdown_keys: Sequence[str],
    multi_keys: Sequence[str] = (),
    extra: Callable[[View], dict[str, Any]] | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """``{"official": block, "robust": block, "repetition_consistency": ..., "ci": {...}}``."""
    main = primary(records)
    out: dict[str, Any] = {}
    for mode in MODES:
        view = mode_view(main, mode)
        block: dict[str, Any] = {
            "accuracy": accuracy(r["correct"] for r in view),
            "correct": sum(r["correct"] for r in view),
            "total": len(view),
            "accuracy_ci": grouped_accuracy_ci(view, n_boot=n_boot, seed=seed),
            "breakdowns": {k: breakdown(view, k, multi=k in multi_keys) for k in breakdown_keys},
        }
        if extra is not None:
            block.update(extra(view))
        out[mode] = block
    rc_rows = [
        {
            "group_id": r["group_id"],
            "variant": r["variant"],
            "repeat": r.get("repeat", 0),
            "answer": normalize_text(r["robust"]["extracted"] or ""),
        }
        for r in records
        if r.get("failure") not in NOT_ITEMS
    ]
    out["repetition_consistency"] = repetition_consistency(rc_rows)
    out["ci"] = ci_info(n_boot, seed)
    return out


def restricted(
    view: View, key: str, summary: Callable[[View], dict[str, Any]], fields: Sequence[str]
) -> dict:
    """``summary`` computed within each value of ``key`` (e.g. DynaMath avg/worst per subject)."""
    values = sorted({str((r["meta"] or {}).get(key, r.get(key))) for r in view})
    out = {}
    for value in values:
        sub = [r for r in view if str((r["meta"] or {}).get(key, r.get(key))) == value]
        s = summary(sub)
        out[value] = {f: s[f] for f in fields}
    return out
