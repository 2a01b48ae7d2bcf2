"""What GeoGLIP sees of a problem family's diagrams: its detection and reading metrics on annotated items.

``svemath eval perception --model DIR|default --data DIR [--families F,G] [--per-family N] --out FILE.json``
runs ``model.perceive`` (shapes, text labels; original-image pixels) on the first ``N`` items of each
family of a dataset whose records carry ``annotations`` (``shapes`` and ``texts``: every family-based
suite writes them) and scores it per family with the GeoGLIP metrics of the ``geoglip`` stage
(:mod:`svemath.vision.metrics`): shape mAP@0.5 (and AP per class) and label reading end to end, the
share of annotated labels a detection at IoU >= 0.5 reads exactly, split into numeric labels ("12",
"3.5") and the rest ("Mar", "Kiwi", "47°", "A"). The stage reports these on ``primitives``; a family's diagrams can
differ (chart category names, table headers), and a family whose labels GeoGLIP misreads cannot be
answered from its label tokens. ``--group-by kind`` groups by ``meta.kind`` instead (the ``primitives``
suite has one family and a kind per composition: "bar chart", "table", "collage", ...).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from svemath.errors import DataFormatError

NUMBER = re.compile(r"^[-−]?\d+(\.\d+)?$")
Perceive = Callable[[Path], dict[str, Any]]  # image path -> {"shapes": [...], "texts": [...]} (perceive())


def _family_items(
    records: Iterable[Any], families: set[str] | None, per_family: int, group_by: str
) -> dict[str, list]:
    out: dict[str, list] = {}
    for rec in records:
        family = str((rec.data.get("meta") or {}).get(group_by, "unknown"))
        if families is not None and family not in families:
            continue
        if "annotations" not in rec.data or not rec.images:
            raise DataFormatError(
                f"{rec.location}: no annotations or no image (generate with annotations=lite)"
            )
        items = out.setdefault(family, [])
        if len(items) < per_family:
            items.append(rec)
    return out


def _reading(preds: list[dict], gts: list[list[dict]], keep: Callable[[str], bool]) -> dict[str, float]:
    from svemath.vision.metrics import reading_end_to_end

    gt_boxes = [[t["box"] for t in g if keep(t["text"])] for g in gts]
    gt_strings = [[t["text"] for t in g if keep(t["text"])] for g in gts]
    res = reading_end_to_end(
        [[t["box"] for t in p["texts"]] for p in preds], [[t["text"] for t in p["texts"]] for p in preds],
        gt_boxes, gt_strings,
    )  # fmt: skip
    return {"exact_match": res["exact_match"] if res["num_gt"] else None, "labels": res["num_gt"]}


def perception_report(
    records: Iterable[Any],
    perceive: Perceive,
    *,
    families: set[str] | None = None,
    per_family: int = 20,
    group_by: str = "family",
) -> dict[str, Any]:
    """``{family: {"items", "shape_map", "shape_ap": {cls: AP}, "read_numbers", "read_words"}}`` (see the
    module docstring). ``records``: :func:`svemath.data.records.iter_records` records; ``perceive(image_path)``
    returns what :func:`svemath.mllm.perception.perceive` does. ``group_by``: the ``meta`` key that names
    a group (``family`` or ``kind``); ``families`` and ``per_family`` then apply to those groups."""
    from svemath.vision.metrics import shape_map

    if group_by not in ("family", "kind"):
        from svemath.errors import ConfigError

        raise ConfigError(f"group_by must be 'family' or 'kind', got {group_by!r}")
    report: dict[str, Any] = {}
    for family, items in sorted(_family_items(records, families, per_family, group_by).items()):
        preds = [perceive(rec.images[0]) for rec in items]
        gts = [rec.data["annotations"] for rec in items]
        shapes = shape_map(
            [{"boxes": [s["box"] for s in p["shapes"]], "scores": [s["score"] for s in p["shapes"]],
              "labels": [s["cls"] for s in p["shapes"]]} for p in preds],
            [{"boxes": [s["box"] for s in g.get("shapes", [])], "labels": [s["cls"] for s in g.get("shapes", [])]}
             for g in gts],
        )  # fmt: skip
        texts = [g.get("texts", []) for g in gts]
        report[family] = {
            "items": len(items),
            "shape_map": shapes["map"] if shapes["ap"] else None,  # None: no annotated shapes
            "shape_ap": shapes["ap"],
            "read_numbers": _reading(preds, texts, lambda s: bool(NUMBER.match(s))),
            "read_words": _reading(preds, texts, lambda s: not NUMBER.match(s)),
        }
    return report


def format_report(report: dict[str, Any]) -> str:
    """One line per family: items, shape mAP, numbers and words read exactly (with their counts)."""

    def pct(x: float | None, width: int) -> str:
        return f"{'-':>{width}s}" if x is None else f"{100 * x:{width}.1f}"

    lines = [f"{'family':24s} {'items':>5s} {'mAP50':>6s} {'numbers read':>16s} {'words read':>16s}"]
    for family, r in report.items():
        num, word = r["read_numbers"], r["read_words"]
        lines.append(
            f"{family:24s} {r['items']:5d} {pct(r['shape_map'], 6)} {pct(num['exact_match'], 8)} "
            f"(n={num['labels']:4d}) {pct(word['exact_match'], 8)} (n={word['labels']:4d})"
        )
    return "\n".join(lines)
