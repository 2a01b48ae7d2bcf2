"""Reading benchmark files with exact ``file:line`` positions for every record.

The published benchmark files are one big JSON object (DynaMath ``dataset.json``, MathVista
``testmini.json``, keyed by id) or one big JSON array (MathVerse ``testmini.json``); our datasets are
JSONL. :func:`iter_json_entries` walks the top-level container with ``json.JSONDecoder.raw_decode`` so
each entry carries the line it starts on, and refuses duplicate keys (``json.load`` would silently keep
the last one). Every problem is a :class:`~svemath.errors.DataFormatError` naming ``file:line``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from svemath.errors import DataFormatError

_WS = " \t\n\r"


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def read_text(path: Path) -> str:
    if not path.is_file():
        raise DataFormatError(f"file not found: {path}")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def iter_json_entries(path: Path) -> Iterator[tuple[str | int, Any, int]]:
    """Yield ``(key_or_index, value, line)`` for each entry of the top-level JSON object or array."""
    text = read_text(path)
    dec = json.JSONDecoder()
    i = _skip_ws(text, 0)
    if i >= len(text) or text[i] not in "{[":
        raise DataFormatError(f"{path}:{_line_of(text, i)}: expected a JSON object or array at the top level")
    is_obj = text[i] == "{"
    close = "}" if is_obj else "]"
    i = _skip_ws(text, i + 1)
    seen: dict[str, int] = {}
    index = 0
    if i < len(text) and text[i] == close:
        return
    while True:
        start = i
        try:
            if is_obj:
                key, i = dec.raw_decode(text, i)
                if not isinstance(key, str):
                    raise DataFormatError(f"{path}:{_line_of(text, start)}: expected a string key")
                i = _skip_ws(text, i)
                if i >= len(text) or text[i] != ":":
                    raise DataFormatError(f"{path}:{_line_of(text, i)}: expected ':' after key {key!r}")
                i = _skip_ws(text, i + 1)
            value, i = dec.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            raise DataFormatError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
        line = _line_of(text, start)
        if is_obj:
            if key in seen:
                raise DataFormatError(f"{path}:{line}: duplicate key {key!r} (first at line {seen[key]})")
            seen[key] = line
            yield key, value, line
        else:
            yield index, value, line
            index += 1
        i = _skip_ws(text, i)
        if i < len(text) and text[i] == ",":
            i = _skip_ws(text, i + 1)
            continue
        if i < len(text) and text[i] == close:
            break
        raise DataFormatError(f"{path}:{_line_of(text, i)}: expected ',' or '{close}'")
    rest = _skip_ws(text, i + 1)
    if rest < len(text):
        raise DataFormatError(f"{path}:{_line_of(text, rest)}: unexpected content after the top-level value")


def iter_jsonl(path: Path) -> Iterator[tuple[dict[str, Any], int]]:
    """Yield ``(record, line)`` for each non-blank line of a JSONL file; each line must be an object."""
    text = read_text(path)
    for n, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DataFormatError(f"{path}:{n}: invalid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise DataFormatError(f"{path}:{n}: expected a JSON object, got {type(obj).__name__}")
        yield obj, n


_TYPES = {str: "a string", int: "an integer", dict: "an object", list: "a list"}


def need(
    record: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, *, optional: bool = False
) -> Any:
    """``record[key]`` checked against ``kind`` (None allowed when ``optional``), else DataFormatError."""
    if not isinstance(record, dict):
        raise DataFormatError(f"{where}: expected a JSON object, got {type(record).__name__}")
    if key not in record or record[key] is None:
        if optional:
            return None
        raise DataFormatError(f"{where}: missing field {key!r}")
    value = record[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) or not isinstance(value, kinds):
        names = " or ".join(_TYPES.get(k, k.__name__) for k in kinds)
        raise DataFormatError(
            f"{where}: field {key!r} must be {names}, got {type(value).__name__} {value!r:.60}"
        )
    return value


def as_text(value: Any, where: str, key: str) -> str:
    """Answers are strings in the published files, but numbers sneak in: accept them, refuse the rest."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise DataFormatError(f"{where}: field {key!r} must be a string, got {type(value).__name__}")


def as_int(value: Any, where: str, key: str) -> int | None:
    """Integer fields that some exports store as floats (MathVista ``precision`` 1.0 in parquet)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise DataFormatError(f"{where}: field {key!r} must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise DataFormatError(f"{where}: field {key!r} must be an integer, got {value!r}")


def read_manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / "manifest.json"
    if not path.is_file():
        return None
    try:
        obj = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise DataFormatError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise DataFormatError(f"{path}:1: expected a JSON object")
    return obj
