"""``svemath data check-overlap TRAIN EVAL``: prove that no eval item occurs in a training set.

An eval item *occurs* in the training set when

* one of its images has the same bytes as a training image (sha256 of the file), or
* the same decoded pixels (sha256 of size + RGB pixels: catches re-encodings, e.g. PNG -> other PNG
  settings or a format change without resampling), or
* its normalised question (lowercased, ``<image>`` removed, whitespace collapsed; the ``question`` field
  or else the first human turn) equals a training question and the two items cannot be told apart by
  their images: either side has no image (text-only items). With ``question_policy="text"`` any equal
  question counts, also between two different images.

The default ``"item"`` policy exists because templated questions ("How many circles are there?") repeat
across different diagrams by design; such pairs are still counted and reported as ``question_text``
matches, only they do not fail the check.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from svemath.data.records import Record, iter_records
from svemath.errors import ConfigError
from svemath.images import load_image

POLICIES = ("item", "text")
MAX_EXAMPLES = 20
_WS = re.compile(r"\s+")


def normalise_question(text: str | None) -> str:
    """Lowercase, drop ``<image>``, collapse whitespace."""
    if not text:
        return ""
    return _WS.sub(" ", text.replace("<image>", " ").lower()).strip()


def image_hashes(path: str | Path) -> tuple[str, str]:
    """``(sha256 of the file's bytes, sha256 of its size and decoded RGB pixels)``."""
    data = Path(path).read_bytes()
    img = load_image(data)
    pixels = hashlib.sha256(f"{img.width}x{img.height}:".encode())
    pixels.update(img.tobytes())
    return hashlib.sha256(data).hexdigest(), pixels.hexdigest()


@dataclass
class _Item:
    id: str
    byte_hashes: tuple[str, ...]
    pixel_hashes: tuple[str, ...]
    question: str


def _items(path: str | Path, workers: int, image_root: str | Path | None) -> list[_Item]:
    records: list[Record] = list(iter_records(path, image_root=image_root))
    paths = [str(p) for r in records for p in r.images]
    if workers > 1 and len(paths) > 64:
        from svemath.data.generate import process_pool

        with process_pool(workers) as pool:
            hashes = list(pool.map(image_hashes, paths, chunksize=64))
    else:
        hashes = [image_hashes(p) for p in paths]
    out, k = [], 0
    for r in records:
        h = hashes[k : k + len(r.images)]
        k += len(r.images)
        out.append(
            _Item(r.id, tuple(b for b, _ in h), tuple(p for _, p in h), normalise_question(r.question))
        )
    return out


def check_overlap(
    train: str | Path,
    eval_: str | Path,
    *,
    question_policy: str = "item",
    workers: int = 1,
    train_image_root: str | Path | None = None,
    eval_image_root: str | Path | None = None,
) -> dict[str, Any]:
    """Compare every eval item with the training set; return the report (``ok`` False on any overlap)."""
    if question_policy not in POLICIES:
        raise ConfigError(f"question policy must be one of {POLICIES}, got {question_policy!r}")
    train_items = _items(train, workers, train_image_root)
    eval_items = _items(eval_, workers, eval_image_root)
    by_bytes: dict[str, str] = {}
    by_pixels: dict[str, str] = {}
    by_question: dict[str, str] = {}
    text_only_question: dict[str, str] = {}
    for item in train_items:
        for h in item.byte_hashes:
            by_bytes.setdefault(h, item.id)
        for h in item.pixel_hashes:
            by_pixels.setdefault(h, item.id)
        if item.question:
            by_question.setdefault(item.question, item.id)
            if not item.byte_hashes:
                text_only_question.setdefault(item.question, item.id)
    counts = {"image_bytes": 0, "pixels": 0, "question_text": 0, "question_item": 0}
    examples: list[dict[str, str]] = []
    overlapping = 0

    def note(kind: str, eval_id: str, train_id: str) -> None:
        counts[kind] += 1
        if len(examples) < MAX_EXAMPLES:
            examples.append({"kind": kind, "eval_id": eval_id, "train_id": train_id})

    for item in eval_items:
        hit = False
        byte_hit = next((by_bytes[h] for h in item.byte_hashes if h in by_bytes), None)
        pixel_hit = next((by_pixels[h] for h in item.pixel_hashes if h in by_pixels), None)
        if byte_hit:
            note("image_bytes", item.id, byte_hit)
        if pixel_hit:
            note("pixels", item.id, pixel_hit)
        hit = bool(byte_hit or pixel_hit)
        q = item.question
        if q and q in by_question:
            counts["question_text"] += 1
            same_item = question_policy == "text" or not item.byte_hashes or q in text_only_question
            if same_item:
                note("question_item", item.id, text_only_question.get(q, by_question[q]))
                hit = True
        overlapping += hit
    return {
        "train": str(train),
        "eval": str(eval_),
        "n_train": len(train_items),
        "n_eval": len(eval_items),
        "question_policy": question_policy,
        "matches": counts,
        "overlapping_eval_items": overlapping,
        "ok": overlapping == 0,
        "examples": examples,
    }
