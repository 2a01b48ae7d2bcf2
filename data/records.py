"""Read dataset records: our dataset folders and external LLaVA-format JSON / JSONL files.

Accepted inputs (``path``):

* a dataset folder (``DIR/data.jsonl`` + ``images/`` + ``manifest.json``) or its ``data.jsonl``;
* an external LLaVA-format file (Geo170K, MathV360K, MAVIS): a JSON list (``.json``) or one object a
  line (``.jsonl``) of ``{"id", "image", "conversations": [{"from": "human"|"gpt", "value": ...}]}``,
  with image paths relative to ``image_root`` (default: the file's folder).

Every record is checked as it is read: valid JSON, an object, ``conversations`` alternating human/gpt
and starting with human, as many ``<image>`` placeholders in the human turns as the record has images,
and every image file present. A bad record raises :class:`~svemath.errors.DataFormatError` naming
``file:line`` and the reason; ``skip_bad=True`` skips it instead and records it in ``reader.bad`` (a
list of :class:`BadLine`), so recipes that tolerate a few bad lines can report how many they dropped.
A syntax error inside a JSON list cannot be skipped (the rest of the file cannot be located) and always
raises. Nothing is ever dropped silently.

The reader never decodes images (``svemath data validate`` does); :attr:`Record.images` are absolute.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from svemath.errors import DataFormatError

IMAGE_TOKEN = "<image>"
ROLES = ("human", "gpt")
_WS = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True)
class BadLine:
    """A record that could not be read: where it is and why."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


def _type_name(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def image_paths_of(obj: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The record's image paths (``image``: a string, a list of strings, or absent) and any problems."""
    value = obj.get("image")
    if value is None:
        return [], []
    items = value if isinstance(value, list) else [value]
    if not items:
        return [], ["field 'image' is an empty list"]
    problems = [
        f"field 'image' must be a non-empty string or a list of them, got {_type_name(v)}"
        for v in items
        if not isinstance(v, str) or not v
    ]
    return ([] if problems else list(items)), problems[:1]


def conversation_problems(conversations: Any, n_images: int) -> list[str]:
    """Problems with a LLaVA ``conversations`` list (empty if it is well formed)."""
    if not isinstance(conversations, list):
        return [f"field 'conversations' must be a list, got {_type_name(conversations)}"]
    if not conversations:
        return ["field 'conversations' is empty"]
    problems: list[str] = []
    placeholders = 0
    for i, turn in enumerate(conversations):
        where = f"conversations[{i}]"
        if not isinstance(turn, dict):
            problems.append(f"{where} must be an object, got {_type_name(turn)}")
            continue
        role, value = turn.get("from"), turn.get("value")
        if role not in ROLES:
            problems.append(f"{where}: 'from' must be 'human' or 'gpt', got {role!r}")
        elif role != ROLES[i % 2]:
            problems.append(f"{where}: turns must alternate human/gpt starting with human, got {role!r}")
        if not isinstance(value, str):
            problems.append(f"{where}: 'value' must be a string, got {_type_name(value)}")
            continue
        count = value.count(IMAGE_TOKEN)
        if role == "gpt" and count:
            problems.append(f"{where}: a gpt turn contains {IMAGE_TOKEN}")
        elif role == "human":
            placeholders += count
    if not problems and conversations[-1].get("from") != "gpt":
        problems.append("conversations must end with a gpt turn")
    if not problems and placeholders != n_images:
        problems.append(
            f"{placeholders} {IMAGE_TOKEN} placeholder(s) in the human turns for {n_images} image(s)"
        )
    return problems


def record_problems(obj: Any, *, ours: bool) -> list[str]:
    """Reader-level problems with one parsed record (empty if it can be read).

    ``ours``: the record comes from our dataset folder (``id`` required; ``conversations`` optional when
    the record has ``question`` or ``annotations``); otherwise it is external LLaVA data (``id``
    optional, ``conversations`` required).
    """
    if not isinstance(obj, dict):
        return [f"expected a JSON object, got {_type_name(obj)}"]
    problems: list[str] = []
    if "id" in obj:
        rid = obj["id"]
        if isinstance(rid, bool) or not isinstance(rid, (str, int)) or rid == "":
            problems.append(f"field 'id' must be a non-empty string, got {_type_name(rid)}")
    elif ours:
        problems.append("missing field 'id'")
    images, image_problems = image_paths_of(obj)
    problems += image_problems
    if "conversations" in obj:
        problems += conversation_problems(obj["conversations"], len(images))
    elif not ours:
        problems.append("missing field 'conversations'")
    elif "question" not in obj and "annotations" not in obj:
        problems.append("record has none of 'conversations', 'question', 'annotations'")
    return problems


@dataclass(frozen=True, eq=False)
class Record:
    """One record with absolute image paths; ``data`` is the JSON object as read (do not mutate)."""

    id: str
    images: tuple[Path, ...]
    data: dict[str, Any]
    file: Path
    line: int
    root: Path

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def image(self) -> Path | None:
        """The first (usually only) image, absolute; None for a text-only record."""
        return self.images[0] if self.images else None

    @property
    def conversations(self) -> list[dict[str, str]]:
        return self.data.get("conversations") or []

    @property
    def question(self) -> str | None:
        """The ``question`` field, else the first human turn without ``<image>``."""
        q = self.data.get("question")
        if isinstance(q, str):
            return q
        for turn in self.conversations:
            if turn.get("from") == "human":
                return turn["value"].replace(IMAGE_TOKEN, "").strip()
        return None

    @property
    def response(self) -> str | None:
        """The first gpt turn (the target text: answer with reasoning, or caption)."""
        for turn in self.conversations:
            if turn.get("from") == "gpt":
                return turn["value"]
        return None

    @property
    def answer(self) -> Any:
        return self.data.get("answer")

    @property
    def answer_type(self) -> str | None:
        return self.data.get("answer_type")

    @property
    def choices(self) -> list[str] | None:
        return self.data.get("choices")

    @property
    def steps(self) -> list[str] | None:
        return self.data.get("steps")

    @property
    def meta(self) -> dict[str, Any]:
        return self.data.get("meta") or {}

    @property
    def annotations(self) -> dict[str, Any] | None:
        return self.data.get("annotations")

    @property
    def boundary(self) -> Path | None:
        """Absolute path of the annotation boundary map, if the record has one."""
        ann = self.annotations
        rel = ann.get("boundary") if isinstance(ann, dict) else None
        return self.resolve(rel) if isinstance(rel, str) else None

    def resolve(self, rel: str) -> Path:
        """Absolute path of a file named relative to the dataset's image root."""
        return Path(os.path.normpath(self.root / rel))

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


def _json_list_items(text: str, file: str) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, item)`` for each element of a JSON list, keeping the line where it starts."""
    decoder = json.JSONDecoder()
    pos = _WS.match(text, 0).end()
    if pos >= len(text) or text[pos] != "[":
        raise DataFormatError(f"{file}:{text.count(chr(10), 0, pos) + 1}: expected a JSON list of records")
    line, last = 1, 0
    pos = _WS.match(text, pos + 1).end()
    if text.startswith("]", pos):
        return
    while True:
        line += text.count("\n", last, pos)
        last = pos
        try:
            item, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise DataFormatError(f"{file}:{exc.lineno}: invalid JSON ({exc.msg})") from None
        yield line, item
        pos = _WS.match(text, end).end()
        if text.startswith(",", pos):
            pos = _WS.match(text, pos + 1).end()
        elif text.startswith("]", pos):
            rest = _WS.match(text, pos + 1).end()
            if rest != len(text):
                raise DataFormatError(f"{file}:{text.count(chr(10), 0, rest) + 1}: extra data after the list")
            return
        else:
            lineno = text.count("\n", 0, pos) + 1
            raise DataFormatError(f"{file}:{lineno}: invalid JSON (expected ',' or ']' between records)")


def _jsonl_items(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """Yield ``(line, item, error)`` for each non-blank line of a JSONL file."""
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                yield lineno, json.loads(raw.decode("utf-8")), None
            except UnicodeDecodeError as exc:
                yield lineno, None, f"not UTF-8 ({exc.reason} at byte {exc.start})"
            except json.JSONDecodeError as exc:
                yield lineno, None, f"invalid JSON ({exc.msg} at column {exc.colno})"


def locate(path: str | Path, image_root: str | Path | None = None) -> tuple[Path, Path, bool]:
    """Resolve ``path`` to ``(records file, image root, ours)``; DataFormatError if it is not readable."""
    path = Path(path)
    if path.is_dir():
        data = path / "data.jsonl"
        if not data.is_file():
            raise DataFormatError(f"{path}: not a dataset folder (no data.jsonl)")
        return data, Path(image_root or path).resolve(), True
    if not path.is_file():
        raise DataFormatError(f"dataset not found: {path}")
    if path.suffix.lower() not in (".json", ".jsonl"):
        raise DataFormatError(f"{path}: expected a dataset folder, a .json list or a .jsonl file")
    ours = path.name == "data.jsonl" and (path.parent / "manifest.json").is_file()
    return path, Path(image_root or path.parent).resolve(), ours


class RecordReader:
    """Iterable over the records of ``path`` (see the module docstring); ``bad`` lists skipped records."""

    def __init__(
        self,
        path: str | Path,
        *,
        image_root: str | Path | None = None,
        skip_bad: bool = False,
        check_images: bool = True,
    ) -> None:
        self.file, self.root, self.ours = locate(path, image_root)
        self.skip_bad = skip_bad
        self.check_images = check_images
        self.bad: list[BadLine] = []

    @property
    def n_bad(self) -> int:
        return len(self.bad)

    def raw_items(self) -> Iterator[tuple[int, Any, str | None]]:
        """``(line, parsed object or None, JSON error or None)`` for every record of the file."""
        if self.file.suffix.lower() == ".jsonl":
            yield from _jsonl_items(self.file)
            return
        try:
            text = self.file.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise DataFormatError(f"{self.file}:1: not UTF-8 ({exc.reason})") from None
        if text.lstrip().startswith("{"):  # a .json file holding one object a line (JSONL)
            yield from _jsonl_items(self.file)
            return
        for line, item in _json_list_items(text, str(self.file)):
            yield line, item, None

    def __iter__(self) -> Iterator[Record]:
        self.bad = []
        for line, obj, error in self.raw_items():
            problems = [error] if error else record_problems(obj, ours=self.ours)
            record = None
            if not problems:
                record = self._make(line, obj)
                if self.check_images:
                    problems = [f"image not found: {p}" for p in record.images if not p.is_file()]
            if problems:
                bad = BadLine(str(self.file), line, problems[0])
                if not self.skip_bad:
                    raise DataFormatError(str(bad))
                self.bad.append(bad)
                continue
            yield record

    def _make(self, line: int, obj: dict[str, Any]) -> Record:
        images, _ = image_paths_of(obj)
        rid = obj.get("id")
        return Record(
            id=str(rid) if rid is not None else f"{self.file.stem}:{line}",
            images=tuple(Path(os.path.normpath(self.root / p)) for p in images),  # root is absolute
            data=obj,
            file=self.file,
            line=line,
            root=self.root,
        )


def iter_records(
    path: str | Path,
    *,
    image_root: str | Path | None = None,
    skip_bad: bool = False,
    check_images: bool = True,
) -> RecordReader:
    """Records of a dataset folder or LLaVA JSON/JSONL file, read lazily (``reader.bad`` after use)."""
    return RecordReader(path, image_root=image_root, skip_bad=skip_bad, check_images=check_images)


@dataclass
class Dataset:
    """All records of a dataset in memory, with the skipped lines and the manifest (None if external)."""

    path: Path
    records: list[Record]
    bad: list[BadLine] = field(default_factory=list)
    manifest: dict[str, Any] | None = None

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> Record:
        return self.records[i]

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)


def load_dataset(
    path: str | Path,
    *,
    image_root: str | Path | None = None,
    skip_bad: bool = False,
    check_images: bool = True,
) -> Dataset:
    """Read every record of ``path`` (see :class:`RecordReader`) into a :class:`Dataset`."""
    reader = iter_records(path, image_root=image_root, skip_bad=skip_bad, check_images=check_images)
    records = list(reader)
    manifest = None
    manifest_path = reader.file.parent / "manifest.json"
    if reader.ours and manifest_path.is_file():
        from svemath.fileio import read_json

        manifest = read_json(manifest_path)
    return Dataset(path=Path(path), records=records, bad=reader.bad, manifest=manifest)
