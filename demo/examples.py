"""The demo's example gallery: held-out synthetic diagrams with their questions, generated on first use.

Nothing binary ships with the package: :func:`example_set` runs the data engine once
(``generate_dataset(suite, n, seed)``, deterministic) into a cache folder and reuses it afterwards. The
question shown is the human turn the model is trained on (``<image>`` placeholder removed). Suites
with variant groups (DynaMath style: ``group_id``, ``variant``) contribute one variant per group, so the
gallery shows different problems rather than ten variants of the first one.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from svemath.errors import ConfigError

log = logging.getLogger("svemath.demo")

EXAMPLE_SUITE = "synth-dynamath"
EXAMPLE_N = 120  # synth-dynamath: 10 variants per seed question -> 12 seed questions (12 families)
EXAMPLE_SEED = 5
EXAMPLE_SHOWN = 12


@dataclass(frozen=True)
class Example:
    image: Path
    question: str
    answer: str
    family: str


def cache_root() -> Path:
    """``$SVEMATH_CACHE_DIR``, else ``$XDG_CACHE_HOME/svemath``, else ``~/.cache/svemath``."""
    if os.environ.get("SVEMATH_CACHE_DIR"):
        return Path(os.environ["SVEMATH_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "svemath"


def _question(data: dict) -> str:
    for turn in data.get("conversations") or []:
        if turn.get("from") == "human":
            return (
                "\n".join(ln for ln in turn["value"].splitlines() if ln.strip() != "<image>")
                .replace("<image>", "")
                .strip()
            )
    return str(data.get("question", "")).strip()


def example_set(
    folder: str | Path | None = None,
    *,
    suite: str = EXAMPLE_SUITE,
    n: int = EXAMPLE_N,
    seed: int = EXAMPLE_SEED,
    limit: int = EXAMPLE_SHOWN,
) -> list[Example]:
    """Up to ``limit`` examples (one per variant group), generating ``folder`` (default: a cache folder
    named after the suite, seed and n) when it does not hold a dataset yet."""
    from svemath.data.generate import generate_dataset
    from svemath.data.records import load_dataset

    folder = Path(folder) if folder is not None else cache_root() / "demo-examples" / f"{suite}-s{seed}-n{n}"
    if not (folder / "manifest.json").is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            generate_dataset(suite, n, seed, folder, workers=1, progress=False)
            log.info("generated %d %s examples (seed %d) in %s", n, suite, seed, folder)
        except ConfigError:
            if not (folder / "manifest.json").is_file():  # not just another process winning the race
                raise
    examples: list[Example] = []
    groups: set[str] = set()
    for record in load_dataset(folder):
        data = record.data
        group = str(data.get("group_id", record.id))
        if record.image is None or group in groups:
            continue
        groups.add(group)
        examples.append(
            Example(
                image=record.image,
                question=_question(data),
                answer=str(data.get("answer", "")),
                family=str((data.get("meta") or {}).get("family", "")),
            )
        )
        if len(examples) >= limit:
            break
    return examples
