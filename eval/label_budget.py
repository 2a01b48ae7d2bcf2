"""How many label slots a dataset's reference answers need: the label-token budget, from annotations.

The model hands its LM the labels GeoGLIP reads, packed in reading order into ``label_slots`` character
slots (:func:`svemath.mllm.labels.read_labels`); labels past the budget never reach the LM. This module
asks, with the *annotated* labels and boxes (a perfect reader), which of the labels a reference chain of
thought restates would fit (a label is *referenced* when its string occurs in the answer as a whole
word): for each slot budget, the share of referenced labels that fit and the share of records whose
referenced labels all fit, overall and per family. A chart restates every category and value, so its labels are
the first to be cut: the tick labels and the title come first in reading order.

``svemath eval label-budget --data DIR [--slots 24 40 64] [--limit N] [--out FILE.json]``; no model.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any


def referenced_labels(answer: str, texts: Sequence[str]) -> list[int]:
    """Indices of ``texts`` that occur in ``answer`` as whole words: "3" in "x = 3." but not in "13",
    "3.5" or "P3"; "-3" and "5 cm" as they are."""
    found = []
    for i, text in enumerate(texts):
        if text and re.search(rf"(?<![\w.]){re.escape(text)}(?!\w|\.\d)", answer):
            found.append(i)
    return found


def record_budget(texts: Sequence[dict[str, Any]], answer: str, budgets: Sequence[int]) -> dict[str, Any]:
    """One record's annotated ``texts`` (``{"text", "box"}``) -> ``{"referenced": k, "fit": {S: m}}``: how
    many referenced labels there are and how many of them fit in ``S`` slots, for each budget."""
    import torch

    from svemath.mllm.labels import labels_that_fit, reading_order

    if not texts:
        return {"referenced": 0, "fit": {s: 0 for s in budgets}}
    boxes = torch.tensor([[float(v) for v in t["box"]] for t in texts])
    order = reading_order(boxes)
    strings = [str(texts[k].get("text", "")) for k in order]
    wanted = set(referenced_labels(answer, strings))
    fit = {}
    for slots in budgets:
        kept = set(labels_that_fit([len(s) for s in strings], slots))
        fit[slots] = len(wanted & kept)
    return {"referenced": len(wanted), "fit": fit}


def label_budget(records: Iterable[Any], budgets: Sequence[int]) -> dict[str, Any]:
    """Over records with annotated text labels and one reference answer: per budget, ``labels`` (share of
    referenced labels that fit) and ``records_all_fit`` (share of records whose referenced labels all
    fit), for ``all`` and per family (``meta.family``). Records that reference no label are counted apart;
    records with several answers (multi-turn) are skipped."""
    budgets = sorted(set(budgets))
    groups: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "records": 0,
            "referenced": 0,
            "fit": dict.fromkeys(budgets, 0),
            "all_fit": dict.fromkeys(budgets, 0),
        }
    )
    without = 0
    for record in records:
        data = record.data
        texts = (data.get("annotations") or {}).get("texts") or []
        answers = [t["value"] for t in record.conversations if t.get("from") in ("gpt", "assistant")]
        if len(answers) != 1:
            continue
        one = record_budget(texts, answers[0], budgets)
        if not one["referenced"]:
            without += 1
            continue
        family = str((data.get("meta") or {}).get("family", "unknown"))
        for key in ("all", family):
            g = groups[key]
            g["records"] += 1
            g["referenced"] += one["referenced"]
            for s in budgets:
                g["fit"][s] += one["fit"][s]
                g["all_fit"][s] += one["fit"][s] == one["referenced"]
    report: dict[str, Any] = {"budgets": budgets, "records_without_referenced_labels": without, "groups": {}}
    for key, g in sorted(groups.items(), key=lambda kv: (kv[0] != "all", kv[0])):
        report["groups"][key] = {
            "records": g["records"],
            "referenced_labels": g["referenced"],
            "labels": {str(s): round(g["fit"][s] / g["referenced"], 4) for s in budgets},
            "records_all_fit": {str(s): round(g["all_fit"][s] / g["records"], 4) for s in budgets},
        }
    return report
