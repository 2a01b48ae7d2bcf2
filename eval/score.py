"""Phase 2 of evaluation: score ``predictions.jsonl`` against a benchmark, offline and for any model.

Writes ``OUT/scored.jsonl`` (one record per prediction: extracted answer and correctness in both modes),
``OUT/metrics.json`` (see :func:`build_metrics`), ``OUT/report.md`` and the PNG plots.

Failures are counted, never skipped: ``missing_prediction`` (an item with no line: scored wrong),
``generation_error`` (e.g. its image could not be loaded), ``empty_response``, ``unknown_id`` (a line for
an id the data does not have: listed, not scored), ``bad_prediction_line`` (a malformed line, with
file:line), ``truncated_tail`` (a cut-off last line); plus, per mode, ``unparsable`` (a response from
which no answer could be extracted).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from svemath import __version__
from svemath.eval.base import MODES, Benchmark, Example
from svemath.eval.predictions import PredictionFile, read_predictions
from svemath.fileio import atomic_write_text, sha256_file, write_json

MAX_LISTED = 20
MODE_DESCRIPTIONS = {
    "official": "the benchmark's own rules, quirks included (reference/benchmarks.md)",
    "robust": "the official rules with their documented quirks fixed (see the scorer's module docstring)",
}


def _failure_record(
    ex: Example, repeat: int, kind: str, response: Any = None, style: str | None = None
) -> dict:
    return {
        **_base(ex, repeat),
        "response": response,
        "prompt_style": style,
        "failure": kind,
        **{m: {"extracted": None, "method": kind, "correct": False} for m in MODES},
    }


def _base(ex: Example, repeat: int) -> dict[str, Any]:
    return {
        "id": ex.id,
        "group_id": ex.group_id,
        "variant": ex.variant,
        "repeat": repeat,
        "answer": ex.answer,
        "answer_type": ex.answer_type,
        "question_type": ex.question_type,
        "meta": ex.meta,
    }


def score_records(
    bench: Benchmark, examples: Sequence[Example], pf: PredictionFile, *, default_style: str = "official"
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Scored records (one per example and repeat) and the failure summary."""
    by_id = {ex.id: ex for ex in examples}
    latest: dict[tuple[str, int], dict[str, Any]] = {}
    failures: dict[str, list[str]] = defaultdict(list)
    superseded = 0
    unknown: list[tuple[str, str]] = []
    for line in pf.lines:
        key = (line["id"], int(line["repeat"]))
        if line["id"] not in by_id:
            detail = f"{line['id']} (line {line['_line']})"
            failures["unknown_id"].append(detail)
            unknown.append((line["id"], detail))
            continue
        if key in latest:
            superseded += 1
        latest[key] = line
    for problem in pf.problems:
        failures["bad_prediction_line"].append(problem)
    if pf.truncated_tail:
        failures["truncated_tail"].append("last line cut off mid-write (ignored)")
    repeats = sorted({k for _, k in latest} | {0})
    records: list[dict[str, Any]] = []
    for ex in examples:
        for k in repeats:
            line = latest.get((ex.id, k))
            if line is None:
                if k == 0:
                    failures["missing_prediction"].append(ex.id)
                    records.append(_failure_record(ex, k, "missing_prediction"))
                continue
            style = line.get("prompt_style") or default_style
            response = line.get("response")
            if line.get("error"):
                failures["generation_error"].append(f"{ex.id}: {line['error']}")
                records.append(_failure_record(ex, k, "generation_error", response, style))
                continue
            if not isinstance(response, str) or not response.strip():
                failures["empty_response"].append(ex.id)
                records.append(_failure_record(ex, k, "empty_response", response, style))
                continue
            if style not in bench.prompt_styles:
                style = default_style
            judged = bench.judge(response, ex, style=style)
            records.append(
                {**_base(ex, k), "response": response, "prompt_style": style, "failure": None, **judged}
            )
    unparsable = {
        m: sum(1 for r in records if r["failure"] is None and not (r[m]["extracted"] or "").strip())
        for m in MODES
    }
    summary = {
        "counts": {kind: len(v) for kind, v in sorted(failures.items())},
        "examples": {kind: v[:MAX_LISTED] for kind, v in sorted(failures.items())},
        "unparsable": unparsable,
        "superseded_lines": superseded,
        "total_failed_items": sum(
            len(failures[k]) for k in ("missing_prediction", "generation_error", "empty_response")
        ),
    }
    extra = [(rid, "unknown_id", d) for rid, d in unknown] + [
        (None, "bad_prediction_line", p) for p in pf.problems
    ]
    for rid, kind, detail in extra:
        not_scored = {m: {"extracted": None, "method": kind, "correct": False} for m in MODES}
        records.append({"id": rid, "failure": kind, "detail": detail, **not_scored})
    return records, summary


def _settings_seen(pf: PredictionFile, key: str) -> list[Any]:
    seen: list[Any] = []
    for line in pf.lines:
        value = line.get(key)
        if value is not None and value not in seen:
            seen.append(value)
    return seen


def build_metrics(
    bench: Benchmark,
    examples: Sequence[Example],
    pf: PredictionFile,
    records: list[dict[str, Any]],
    failures: dict[str, Any],
    *,
    data_path: str | Path,
    predictions_path: str | Path,
    n_boot: int = 1000,
    seed: int = 0,
    generation_stats: dict[str, Any] | None = None,
) -> dict[str, Any]:
    metrics = bench.aggregate(records, n_boot=n_boot, seed=seed)
    styles = Counter(r.get("prompt_style") for r in records if r.get("prompt_style"))
    gens, models = _settings_seen(pf, "generation"), _settings_seen(pf, "model")
    pred_path = Path(predictions_path)
    return {
        "benchmark": bench.name,
        "scorer": bench.scorer,
        "scorer_note": bench.scorer_note,
        "judge": "rules only (no LLM extractor or judge)",
        "modes": MODE_DESCRIPTIONS,
        "headline": {m: bench.headline(metrics[m]) for m in MODES},
        "n_examples": len(examples),
        "n_prediction_lines": len(pf.lines),
        "n_scored": sum(1 for r in records if r.get("failure") not in ("unknown_id", "bad_prediction_line")),
        "prompt_styles": dict(styles),
        "failures": failures,
        "metrics": metrics,
        "generation": gens[0] if len(gens) == 1 else (gens or None),
        "model": models[0] if len(models) == 1 else (models or None),
        "generation_stats": generation_stats,
        "data": {"path": str(data_path)},
        "predictions": {
            "path": str(pred_path),
            "sha256": sha256_file(pred_path) if pred_path.is_file() else None,
        },
        "svemath_version": __version__,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }


def score_to_dir(
    bench: Benchmark,
    examples: Sequence[Example],
    predictions_path: str | Path,
    out_dir: str | Path,
    *,
    data_path: str | Path,
    default_style: str = "official",
    n_boot: int = 1000,
    seed: int = 0,
    generation_stats: dict[str, Any] | None = None,
    plots: bool = True,
) -> dict[str, Any]:
    """Score and write ``scored.jsonl``, ``metrics.json``, ``report.md`` and plots into ``out_dir``."""
    from svemath.eval.report import write_report

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pf = read_predictions(predictions_path)
    records, failures = score_records(bench, examples, pf, default_style=default_style)
    metrics = build_metrics(bench, examples, pf, records, failures, data_path=data_path,
                            predictions_path=predictions_path, n_boot=n_boot, seed=seed,
                            generation_stats=generation_stats)  # fmt: skip
    atomic_write_text(
        out / "scored.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    )
    write_json(out / "metrics.json", metrics)
    write_report(out, metrics, bench, plots=plots)
    return metrics
