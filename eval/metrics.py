"""Evaluation metrics with exact definitions (reference/benchmarks.md §1.5, §2.5, §3.5).

* accuracy and breakdowns by any record field (``skills`` is multi-label: an item counts toward every
  skill it lists);
* DynaMath (N seeds ``i``, variants ``j``, c(i,j) in {0,1}): average-case
  ``A_avg = 1/N sum_i mean_j c(i,j)``; worst-case ``A_wst = 1/N sum_i min_j c(i,j)``; best-case
  ``1/N sum_i max_j c(i,j)``; reasoning robustness ``RR = A_wst / A_avg`` (0 when A_avg is 0); all as
  fractions in [0, 1];
* repetition consistency ``RC = mean_(i,j) 1/K sum_k 1[ans_k(i,j) = ans_ref(i,j)]`` with the first run
  (repeat 0) as the reference and repeats 1..K compared against it;
* MathVerse: accuracy per problem version and ``All`` = the mean of the per-version accuracies over the
  five versions of testmini.json (Text Dominant, Text Lite, Vision Intensive, Vision Dominant, Vision
  Only); Text Only is reported separately and never enters ``All``;
* 95% percentile-bootstrap confidence intervals that resample whole groups (DynaMath seeds, MathVerse
  problems, MathVista items) with a seeded ``numpy.random.Generator``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

MATHVERSE_ALL_VERSIONS = ("Text Dominant", "Text Lite", "Vision Intensive", "Vision Dominant", "Vision Only")
MATHVERSE_TEXT_ONLY = "Text Only"


def accuracy(flags: Iterable[Any]) -> float:
    flags = [bool(f) for f in flags]
    return sum(flags) / len(flags) if flags else 0.0


def _field(record: Mapping[str, Any], key: str) -> Any:
    if key in record:
        return record[key]
    meta = record.get("meta") or {}
    return meta.get(key)


def breakdown(
    records: Sequence[Mapping[str, Any]], key: str, *, multi: bool = False
) -> dict[str, dict[str, Any]]:
    """``{value: {"accuracy", "correct", "total"}}`` over ``records`` (each with ``correct``), grouped by
    ``key`` (a top-level field or a ``meta`` field); with ``multi`` a list value counts toward each item."""
    buckets: dict[str, list[bool]] = defaultdict(list)
    for r in records:
        value = _field(r, key)
        values = value if multi and isinstance(value, (list, tuple)) else [value]
        for v in values:
            buckets["(none)" if v is None else str(v)].append(bool(r["correct"]))
    return {
        k: {"accuracy": accuracy(v), "correct": sum(v), "total": len(v)}
        for k, v in sorted(buckets.items(), key=lambda kv: _natural(kv[0]))
    }


def _natural(s: str) -> tuple:
    return (0, int(s), "") if s.lstrip("-").isdigit() else (1, 0, s)


# === DynaMath ===


def _groups(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, bool]]:
    groups: dict[str, dict[str, bool]] = defaultdict(dict)
    for r in records:
        g, v = str(r["group_id"]), str(r["variant"])
        if v in groups[g]:
            raise ValueError(f"duplicate record for group {g!r} variant {v!r}")
        groups[g][v] = bool(r["correct"])
    return groups


def dynamath_summary(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """DynaMath's metrics from records with ``group_id``, ``variant`` and ``correct`` (bool).

    Returns ``avg``, ``worst``, ``best``, ``rr`` (fractions in [0, 1]), ``pooled`` (correct / samples),
    ``n_groups``, ``n_samples``, ``per_variant`` (accuracy of each variant across groups) and
    ``variants_per_group`` (min/max, to spot incomplete groups).
    """
    records = list(records)
    groups = _groups(records)
    if not groups:
        return {"avg": 0.0, "worst": 0.0, "best": 0.0, "rr": 0.0, "pooled": 0.0, "n_groups": 0,
                "n_samples": 0, "per_variant": {}, "variants_per_group": {"min": 0, "max": 0}}  # fmt: skip
    means = [accuracy(g.values()) for g in groups.values()]
    worst = [float(min(g.values())) for g in groups.values()]
    best = [float(max(g.values())) for g in groups.values()]
    avg = sum(means) / len(means)
    wst = sum(worst) / len(worst)
    per_variant: dict[str, list[bool]] = defaultdict(list)
    for g in groups.values():
        for v, c in g.items():
            per_variant[v].append(c)
    sizes = [len(g) for g in groups.values()]
    return {
        "avg": avg,
        "worst": wst,
        "best": sum(best) / len(best),
        "rr": wst / avg if avg > 0 else 0.0,
        "pooled": accuracy(r["correct"] for r in records),
        "n_groups": len(groups),
        "n_samples": len(records),
        "per_variant": {v: accuracy(per_variant[v]) for v in sorted(per_variant, key=_natural)},
        "variants_per_group": {"min": min(sizes), "max": max(sizes)},
    }


def dynamath_group_arrays(records: Iterable[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Per-group mean/min/max correctness, [G] each, for bootstrapping."""
    groups = _groups(records)
    vals = [list(g.values()) for g in groups.values()]
    return {
        "mean": np.array([np.mean(v) for v in vals], dtype=float),
        "min": np.array([min(v) for v in vals], dtype=float),
        "max": np.array([max(v) for v in vals], dtype=float),
    }


def repetition_consistency(records: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """RC from records with ``group_id``, ``variant``, ``repeat`` (0 = reference) and ``answer``.

    None when no item was asked more than once.
    """
    items: dict[tuple[str, str], dict[int, Any]] = defaultdict(dict)
    for r in records:
        items[(str(r["group_id"]), str(r["variant"]))][int(r["repeat"])] = r["answer"]
    per_item = []
    max_k = 0
    for answers in items.values():
        if 0 not in answers or len(answers) < 2:
            continue
        ref = answers[0]
        others = [a for k, a in answers.items() if k != 0]
        max_k = max(max_k, len(others))
        per_item.append(sum(a == ref for a in others) / len(others))
    if not per_item:
        return None
    return {"rc": sum(per_item) / len(per_item), "n_items": len(per_item), "repeats": max_k,
            "reference": "first run (repeat 0)"}  # fmt: skip


# === MathVerse ===


def mathverse_summary(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Per-version accuracy, ``all`` (mean over the five testmini.json versions present, Text Only
    excluded), ``all_pooled`` (correct / samples over those versions) and ``text_only``."""
    per_version = breakdown(records, "variant")
    present = [v for v in MATHVERSE_ALL_VERSIONS if v in per_version]
    five = [r for r in records if str(r["variant"]) in MATHVERSE_ALL_VERSIONS]
    return {
        "per_version": per_version,
        "all": sum(per_version[v]["accuracy"] for v in present) / len(present) if present else 0.0,
        "all_pooled": accuracy(r["correct"] for r in five),
        "all_versions": present,
        "text_only": per_version.get(MATHVERSE_TEXT_ONLY),
    }


def mathverse_arrays(records: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Correct counts and totals per (problem, version) for the five ``All`` versions: ([G, V], [G, V])."""
    groups = sorted({str(r["group_id"]) for r in records}, key=_natural)
    gi = {g: i for i, g in enumerate(groups)}
    vi = {v: i for i, v in enumerate(MATHVERSE_ALL_VERSIONS)}
    c = np.zeros((len(groups), len(vi)))
    n = np.zeros((len(groups), len(vi)))
    for r in records:
        v = str(r["variant"])
        if v in vi:
            n[gi[str(r["group_id"])], vi[v]] += 1
            c[gi[str(r["group_id"])], vi[v]] += bool(r["correct"])
    return c, n


# === Bootstrap ===


def bootstrap_ci(
    stat: Callable[[np.ndarray], float],
    n_groups: int,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> list[float] | None:
    """Percentile CI of ``stat(idx)`` where ``idx`` [G] resamples the ``n_groups`` groups with replacement.

    ``stat(np.arange(n_groups))`` is the point estimate. Seeded: the same inputs give the same interval.
    None when there are no groups or ``n_boot`` is 0.
    """
    if n_groups == 0 or n_boot <= 0:
        return None
    rng = np.random.default_rng(seed)
    draws = np.empty(n_boot)
    for b in range(n_boot):
        draws[b] = stat(rng.integers(0, n_groups, size=n_groups))
    draws = draws[~np.isnan(draws)]
    if draws.size == 0:
        return None
    alpha = (1.0 - level) / 2
    lo, hi = np.quantile(draws, [alpha, 1 - alpha])
    return [float(lo), float(hi)]


def _ratio(num: np.ndarray, den: np.ndarray) -> float:
    d = den.sum()
    return float(num.sum() / d) if d > 0 else float("nan")


def grouped_accuracy_ci(
    records: Sequence[Mapping[str, Any]], *, n_boot: int = 1000, seed: int = 0
) -> list[float] | None:
    """CI of pooled accuracy (correct / samples), resampling groups (``group_id``)."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        s = sums[str(r["group_id"])]
        s[0] += bool(r["correct"])
        s[1] += 1
    c = np.array([v[0] for v in sums.values()], dtype=float)
    n = np.array([v[1] for v in sums.values()], dtype=float)
    return bootstrap_ci(lambda idx: _ratio(c[idx], n[idx]), len(c), n_boot=n_boot, seed=seed)


def dynamath_cis(
    records: Sequence[Mapping[str, Any]], *, n_boot: int = 1000, seed: int = 0
) -> dict[str, Any]:
    """Bootstrap CIs (over seeds) of DynaMath's avg, worst, best and rr."""
    arr = dynamath_group_arrays(records)
    g = len(arr["mean"])

    def rr(idx: np.ndarray) -> float:
        m = arr["mean"][idx].mean()
        return float(arr["min"][idx].mean() / m) if m > 0 else 0.0

    return {
        "avg": bootstrap_ci(lambda idx: float(arr["mean"][idx].mean()), g, n_boot=n_boot, seed=seed),
        "worst": bootstrap_ci(lambda idx: float(arr["min"][idx].mean()), g, n_boot=n_boot, seed=seed),
        "best": bootstrap_ci(lambda idx: float(arr["max"][idx].mean()), g, n_boot=n_boot, seed=seed),
        "rr": bootstrap_ci(rr, g, n_boot=n_boot, seed=seed),
    }


def mathverse_all_ci(
    records: Sequence[Mapping[str, Any]], *, n_boot: int = 1000, seed: int = 0
) -> list[float] | None:
    """CI of MathVerse ``All`` (mean of the per-version accuracies), resampling problems."""
    c, n = mathverse_arrays(records)
    if not n.any():
        return None

    def stat(idx: np.ndarray) -> float:
        tot = n[idx].sum(0)
        keep = tot > 0
        return float(np.mean(c[idx].sum(0)[keep] / tot[keep])) if keep.any() else float("nan")

    return bootstrap_ci(stat, c.shape[0], n_boot=n_boot, seed=seed)


def ci_info(n_boot: int, seed: int) -> dict[str, Any]:
    return {"level": 0.95, "method": "percentile bootstrap resampling groups", "n_boot": n_boot, "seed": seed}
