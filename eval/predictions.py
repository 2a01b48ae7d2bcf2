"""The ``predictions.jsonl`` file: one JSON object per generated response, appended batch by batch.

Line schema::

    {"id": str, "repeat": int, "response": str | null, "error": str | null, "benchmark": str,
     "prompt_style": "official" | "plain" | ..., "prompt": str, "generation": {...settings...},
     "model": {"name", "path", "config_sha256"}, "seconds": float}

Only ``id`` and ``response`` are required (predictions from any model, e.g. an API model, score the same
way); ``repeat`` defaults to 0. A later line for the same (id, repeat) supersedes an earlier one. A run cut
off mid-write leaves a last line without its newline: readers tolerate it (and the runner truncates it
before appending); a malformed line elsewhere is reported with ``file:line``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class PredictionFile:
    lines: list[dict[str, Any]] = field(default_factory=list)  # each with "_line": its line number
    problems: list[str] = field(default_factory=list)  # "file:line: reason" for malformed lines
    truncated_tail: bool = False  # the last line was cut off mid-write
    tail_offset: int | None = None  # byte offset where the cut-off line starts


def _check(obj: Any) -> str | None:
    if not isinstance(obj, dict):
        return f"expected a JSON object, got {type(obj).__name__}"
    if not isinstance(obj.get("id"), (str, int)) or isinstance(obj.get("id"), bool):
        return "missing or invalid 'id'"
    if "response" not in obj and "error" not in obj:
        return "missing 'response'"
    rep = obj.get("repeat", 0)
    if not isinstance(rep, int) or isinstance(rep, bool) or rep < 0:
        return f"invalid 'repeat' {rep!r}"
    return None


def read_predictions(path: str | Path) -> PredictionFile:
    """Parse ``path`` (a missing file is empty); never raises on content, problems are listed."""
    path = Path(path)
    out = PredictionFile()
    if not path.exists():
        return out
    data = path.read_bytes()
    offset = 0
    raw_lines = data.split(b"\n")
    for n, raw in enumerate(raw_lines, start=1):
        start = offset
        offset += len(raw) + 1
        is_tail = n == len(raw_lines)
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            if is_tail:  # no newline after it: a write that was cut off
                out.truncated_tail, out.tail_offset = True, start
                continue
            out.problems.append(f"{path}:{n}: invalid JSON ({exc})")
            continue
        reason = _check(obj)
        if reason:
            out.problems.append(f"{path}:{n}: {reason}")
            continue
        obj["id"] = str(obj["id"])
        obj.setdefault("repeat", 0)
        obj["_line"] = n
        out.lines.append(obj)
    return out


def repair_tail(path: Path, pf: PredictionFile) -> None:
    """Cut a truncated last line off ``path`` and make sure the file ends with a newline."""
    if not path.exists():
        return
    if pf.truncated_tail and pf.tail_offset is not None:
        with open(path, "r+b") as fh:
            fh.truncate(pf.tail_offset)
    data_end = path.stat().st_size
    if data_end:
        with open(path, "rb") as fh:
            fh.seek(data_end - 1)
            last = fh.read(1)
        if last != b"\n":
            with open(path, "ab") as fh:
                fh.write(b"\n")


class PredictionWriter:
    """Appends lines to ``predictions.jsonl``; :meth:`write_batch` flushes and fsyncs once per batch."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fh = open(path, "a", encoding="utf-8")

    def write_batch(self, rows: list[dict[str, Any]]) -> None:
        self._fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> PredictionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
