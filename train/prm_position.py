"""Position baselines for step-error detection: what a PRM scores without checking anything.

With prefix labels (a step is wrong from the first error on, as in ``synth-processbench`` and
Math-Shepherd-style MC labels) the label of a step is predictable from where it stands: late steps of a
solution are more often wrong. A PRM can reach a fair macro-F1 from that alone, so step-error results
are reported beside two checks:

- :class:`PositionPrior`: P(step correct | its index, the solution's step count), counted on labelled
  solutions (the development split), as a scorer with no model, image or text;
- :func:`matched_auroc`: for each injected error type, how often a step of an all-correct solution
  scores above the error step at the same index in a solution with the same step count
  (0.5 = the PRM does not tell them apart beyond position).

Labels are signed as in :func:`svemath.mllm.prm.process_metrics` (1 correct, -1 wrong, 0 neutral).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any


class PositionPrior:
    """P(correct | index i, step count n) from ``solutions`` (lists of signed step labels), smoothed
    towards P(correct | i), itself smoothed towards the overall rate (``strength`` pseudo-counts)."""

    def __init__(self, solutions: Sequence[Sequence[int]], strength: float = 2.0) -> None:
        self.strength = strength
        self.by_index_count: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
        self.by_index: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        pos = total = 0
        for labels in solutions:
            n = len(labels)
            for i, lab in enumerate(labels):
                if int(lab) == 0:
                    continue
                for cell in (self.by_index_count[(i, n)], self.by_index[i]):
                    cell[0] += int(lab) > 0
                    cell[1] += 1
                pos, total = pos + (int(lab) > 0), total + 1
        self.rate = (pos + 1) / (total + 2)

    def score(self, index: int, n_steps: int) -> float:
        """P(step ``index`` of an ``n_steps``-step solution is correct)."""
        k = self.strength
        pos, cnt = self.by_index.get(index, (0, 0))
        p_index = (pos + k * self.rate) / (cnt + k)
        pos, cnt = self.by_index_count.get((index, n_steps), (0, 0))
        return (pos + k * p_index) / (cnt + k)

    def scores(self, n_steps: int) -> list[float]:
        return [self.score(i, n_steps) for i in range(n_steps)]


def matched_auroc(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, float | int | None]]:
    """Per error type (and ``"all"``): AUROC of all-correct solutions' steps against the first wrong step
    of solutions with that error, compared only at the same (index, step count). ``records``: dicts
    with ``labels`` (signed), ``scores`` (P(+) per step) and ``error_type`` (None = all correct)."""
    reference: dict[tuple[int, int], list[float]] = defaultdict(list)
    for r in records:
        if r.get("error_type") is None and all(int(x) >= 0 for x in r["labels"]):
            n = len(r["scores"])
            for i, s in enumerate(r["scores"]):
                reference[(i, n)].append(float(s))
    wins: dict[str, float] = defaultdict(float)
    pairs: dict[str, int] = defaultdict(int)
    for r in records:
        first = next((i for i, x in enumerate(r["labels"]) if int(x) < 0), None)
        if r.get("error_type") is None or first is None:
            continue
        bad = float(r["scores"][first])
        for good in reference.get((first, len(r["scores"])), ()):
            win = 1.0 if good > bad else 0.5 if good == bad else 0.0
            for key in (r["error_type"], "all"):
                wins[key] += win
                pairs[key] += 1
    return {k: {"auroc": wins[k] / pairs[k] if pairs[k] else None, "pairs": pairs[k]} for k in sorted(pairs)}
