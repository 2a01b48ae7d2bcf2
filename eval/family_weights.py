"""Per-family sampling weights from a model's scored held-out items: a curriculum that spends the next
training data on the problem families the model still gets wrong.

``svemath eval family-weights SCORED [SCORED ...] [--floor F] [--min-items N] --out W.yaml`` reads
``scored.jsonl`` files (or the folders of ``svemath eval run`` that hold them), counts accuracy per
``meta.family`` (the ``robust`` verdict, else ``official``) and writes ``{family: max(floor, 1 -
accuracy)}`` for every family with at least ``min_items`` items. The mapping is the ``family_weights``
option of the ``instruct`` suite (a recipe's ``datasets.NAME.options.family_weights``); families it
leaves out weigh 1 there, as much as a family the model never gets right. Score on a dev seed, never on
the items a model card reports.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from svemath.errors import ConfigError, DataFormatError

SCORED_FILE = "scored.jsonl"


def _scored_path(path: Path) -> Path:
    path = Path(path)
    if path.is_dir():
        path = path / SCORED_FILE
    if not path.is_file():
        raise ConfigError(f"{path} does not exist (give scored.jsonl files or `svemath eval run` folders)")
    return path


def family_accuracy(paths: Iterable[Path]) -> dict[str, tuple[int, int]]:
    """``family -> (correct, items)`` over the scored records of ``paths``."""
    counts: dict[str, list[int]] = {}
    for path in map(_scored_path, paths):
        with open(path, encoding="utf-8") as fh:
            for line_no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    family = (row.get("meta") or {})["family"]
                    verdict = row.get("robust") or row["official"]
                    correct = bool(verdict["correct"])
                except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
                    raise DataFormatError(
                        f"{path}:{line_no}: not a scored record with meta.family and a verdict ({err})"
                    ) from err
                c = counts.setdefault(str(family), [0, 0])
                c[0] += correct
                c[1] += 1
    if not counts:
        raise DataFormatError("no scored records in the given files")
    return {f: (c, n) for f, (c, n) in sorted(counts.items())}


def error_weights(
    accuracy: dict[str, tuple[int, int]], floor: float = 0.15, min_items: int = 10
) -> dict[str, float]:
    """``family -> max(floor, 1 - accuracy)`` (3 decimals) for families with ``>= min_items`` items."""
    if not 0 < floor <= 1:
        raise ConfigError(f"floor must be in (0, 1], got {floor!r}")
    if min_items < 1:
        raise ConfigError(f"min_items must be >= 1, got {min_items!r}")
    return {f: round(max(floor, 1 - c / n), 3) for f, (c, n) in accuracy.items() if n >= min_items}
