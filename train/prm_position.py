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

For training, :func:`position_balance_weights` gives loss weights under which position tells nothing.

Labels are signed as in :func:`svemath.mllm.prm.process_metrics` (1 correct, -1 wrong, 0 neutral), except
for the stage labels of :func:`position_balance_weights`.
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


def position_prior_baseline(dev: list[list[int]], test: list[list[int]]) -> dict[str, Any]:
    """The :class:`PositionPrior` counted on the ``dev`` solutions' labels, scored on ``test`` like a PRM:
    metrics at 0.5 and at the threshold tuned on ``dev`` (its own scores)."""
    from svemath.mllm.prm import dev_threshold, process_metrics

    prior = PositionPrior(dev)
    flat = lambda sols: ([x for s in sols for x in s], [p for s in sols for p in prior.scores(len(s))])  # noqa: E731
    tuned = dev_threshold(*flat(dev))
    labels, scores = flat(test)
    return {"metrics": process_metrics(labels, scores), "threshold": tuned["threshold"],
            "metrics_dev_threshold": process_metrics(labels, scores, tuned["threshold"])}  # fmt: skip


def position_balance_weights(solutions: list[list[int]]) -> dict[tuple[int, int, bool], float]:
    """Loss weights that make a step's position uninformative: at each (index, step count) of the training
    solutions, correct and wrong steps weigh half each (``w = count / (2 * count of its label)``); a
    position holding one label only keeps weight 1. With prefix labels a PRM can otherwise score steps by
    where they stand (late steps are more often wrong) and check nothing. ``solutions``: lists of stage
    labels (1 = '+', 0 = '-')."""
    counts: dict[tuple[int, int], list[int]] = {}
    for labels in solutions:
        for i, lab in enumerate(labels):
            counts.setdefault((i, len(labels)), [0, 0])[int(lab > 0)] += 1
    weights = {}
    for (i, n), (neg, pos) in counts.items():
        if neg and pos:
            weights[(i, n, True)] = (neg + pos) / (2 * pos)
            weights[(i, n, False)] = (neg + pos) / (2 * neg)
    return weights
