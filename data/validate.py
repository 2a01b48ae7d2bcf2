"""``svemath data validate``: check a dataset folder (or an external LLaVA JSON/JSONL file) completely.

Checks, each reported as one ``file:line: reason`` problem:

* every record reads (:func:`svemath.data.records.record_problems`: JSON, conversations, placeholders);
* our folders: the schema of DESIGN.md / INTERFACES.md (field types, unique ids, ``answer_type`` in
  :data:`~svemath.data.schema.ANSWER_TYPES`, multiple choice with ``choices`` and a letter answer in
  range, ``meta.level`` in :data:`~svemath.data.schema.LEVELS`, ``group_id`` / ``variant`` types,
  ``steps``), annotation boxes well formed (x0 < x1, y0 < y1) and inside the image, junction points
  inside, angles in [0, 360), boundary maps present, mode L and the image's size, and the manifest
  (present, ``n`` and ``data_sha256`` matching ``data.jsonl``);
* every image exists and decodes (:func:`svemath.images.load_image`).
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from svemath.data.records import RecordReader, image_paths_of, record_problems
from svemath.data.schema import ANSWER_TYPES, LEVELS, valid_refers
from svemath.errors import DataFormatError, ImageLoadError
from svemath.fileio import sha256_file
from svemath.images import load_image

LETTERS = "ABCDE"
EPS = 1e-3  # tolerance for boxes and points on the image border


@dataclass
class ValidationReport:
    path: str
    n_records: int = 0
    n_images: int = 0
    problems: list[str] = field(default_factory=list)
    kind: str = "external"

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "ok": self.ok,
            "n_records": self.n_records,
            "n_images": self.n_images,
            "n_problems": len(self.problems),
            "problems": self.problems,
        }


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _box_problems(box: Any, where: str, size: tuple[int, int] | None) -> list[str]:
    if not isinstance(box, list) or len(box) != 4 or not all(_is_num(v) for v in box):
        return [f"{where}: box must be [x0, y0, x1, y1] numbers, got {box!r}"]
    x0, y0, x1, y1 = box
    if not (x0 < x1 and y0 < y1):
        return [f"{where}: box {box} is not well formed (needs x0 < x1 and y0 < y1)"]
    if size is not None:
        w, h = size
        if x0 < -EPS or y0 < -EPS or x1 > w + EPS or y1 > h + EPS:
            return [f"{where}: box {box} outside the {w}x{h} image"]
    return []


def annotation_problems(ann: Any, size: tuple[int, int] | None) -> list[str]:
    """Problems with an ``annotations`` object for an image of ``size`` (None: no bounds check)."""
    if not isinstance(ann, dict):
        return ["field 'annotations' must be an object"]
    problems: list[str] = []
    for key in ("shapes", "junctions", "texts"):
        if key in ann and not isinstance(ann[key], list):
            problems.append(f"annotations.{key} must be a list")
    for i, shape in enumerate(ann.get("shapes") if isinstance(ann.get("shapes"), list) else []):
        where = f"annotations.shapes[{i}]"
        if not isinstance(shape, dict):
            problems.append(f"{where} must be an object")
            continue
        if not isinstance(shape.get("cls"), str) or not shape["cls"]:
            problems.append(f"{where}: 'cls' must be a non-empty string")
        problems += _box_problems(shape.get("box"), where, size)
    for i, junction in enumerate(ann.get("junctions") if isinstance(ann.get("junctions"), list) else []):
        where = f"annotations.junctions[{i}]"
        if not isinstance(junction, dict):
            problems.append(f"{where} must be an object")
            continue
        xy, angles = junction.get("xy"), junction.get("angles")
        if not isinstance(xy, list) or len(xy) != 2 or not all(_is_num(v) for v in xy):
            problems.append(f"{where}: xy must be [x, y] numbers, got {xy!r}")
        elif size is not None and not (-EPS <= xy[0] <= size[0] + EPS and -EPS <= xy[1] <= size[1] + EPS):
            problems.append(f"{where}: point {xy} outside the {size[0]}x{size[1]} image")
        if not isinstance(angles, list) or not all(_is_num(a) and 0 <= a < 360 for a in angles):
            problems.append(f"{where}: angles must be a list of degrees in [0, 360), got {angles!r}")
    texts = ann.get("texts") if isinstance(ann.get("texts"), list) else []
    for i, text in enumerate(texts):
        where = f"annotations.texts[{i}]"
        if not isinstance(text, dict):
            problems.append(f"{where} must be an object")
            continue
        if not isinstance(text.get("text"), str):
            problems.append(f"{where}: 'text' must be a string")
        problems += _box_problems(text.get("box"), where, size)
        refers = text.get("refers", [])
        if not valid_refers(refers, i, len(texts)):
            problems.append(
                f"{where}: 'refers' must list indices of other texts (0..{len(texts) - 1}), got {refers!r}"
            )
    if "boundary" in ann and not isinstance(ann["boundary"], str):
        problems.append("annotations.boundary must be a relative path string")
    return problems


def _answer_problems(rec: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    atype, answer, choices = rec.get("answer_type"), rec.get("answer"), rec.get("choices")
    if "choices" in rec and (
        not isinstance(choices, list) or not all(isinstance(c, str) for c in choices) or not choices
    ):
        problems.append("field 'choices' must be a non-empty list of strings")
        choices = None
    if atype is None:
        if "answer" in rec:
            problems.append("field 'answer' without 'answer_type'")
        return problems
    if atype not in ANSWER_TYPES:
        return [*problems, f"answer_type {atype!r} not in {list(ANSWER_TYPES)}"]
    if "answer" not in rec:
        return [*problems, f"answer_type {atype!r} but no 'answer'"]
    if atype == "multiple_choice":
        if choices is None:
            problems.append("multiple_choice needs a 'choices' list")
        elif not 2 <= len(choices) <= len(LETTERS):
            problems.append(f"multiple_choice needs 2..{len(LETTERS)} choices, got {len(choices)}")
        elif not isinstance(answer, str) or answer not in LETTERS[: len(choices)]:
            problems.append(
                f"multiple_choice answer must be a letter A..{LETTERS[len(choices) - 1]}, got {answer!r}"
            )
    elif atype == "integer":
        if not (_is_int(answer) or (isinstance(answer, str) and _parses(answer, int))):
            problems.append(f"integer answer expected, got {answer!r}")
    elif atype == "float":
        if not (_is_num(answer) or (isinstance(answer, str) and _parses(answer, float))):
            problems.append(f"float answer expected, got {answer!r}")
    elif atype == "list":
        if not isinstance(answer, (list, str)):
            problems.append(f"list answer must be a list or a string, got {type(answer).__name__}")
    elif not isinstance(answer, str):
        problems.append(f"text answer must be a string, got {type(answer).__name__}")
    return problems


def _parses(text: str, kind: type) -> bool:
    try:
        return math.isfinite(kind(text.strip()))
    except ValueError:
        return False


_STR_FIELDS = ("question", "unit", "group_id", "caption")


def schema_problems(rec: dict[str, Any]) -> list[str]:
    """Field-level problems of one of our records (DESIGN.md Data formats + INTERFACES.md)."""
    problems = [
        f"field {k!r} must be a string" for k in _STR_FIELDS if k in rec and not isinstance(rec[k], str)
    ]
    if "image" in rec and not isinstance(rec["image"], str):
        problems.append("field 'image' must be one relative path string in our datasets")
    problems += _answer_problems(rec)
    if "precision" in rec and not (_is_int(rec["precision"]) and rec["precision"] >= 0):
        problems.append(f"field 'precision' must be a non-negative integer, got {rec['precision']!r}")
    if "variant" in rec and not (isinstance(rec["variant"], str) or _is_int(rec["variant"])):
        problems.append(f"field 'variant' must be a string or an integer, got {rec['variant']!r}")
    if "steps" in rec and (
        not isinstance(rec["steps"], list) or not all(isinstance(s, str) and s.strip() for s in rec["steps"])
    ):
        problems.append("field 'steps' must be a list of non-empty strings")
    if "native" in rec and not isinstance(rec["native"], dict):
        problems.append("field 'native' must be an object")
    meta = rec.get("meta")
    if "meta" in rec and not isinstance(meta, dict):
        problems.append("field 'meta' must be an object")
    elif isinstance(meta, dict):
        problems += [
            f"meta.{k} must be a string"
            for k in ("family", "subject")
            if k in meta and not isinstance(meta[k], str)
        ]
        if "level" in meta and meta["level"] not in LEVELS:
            problems.append(f"meta.level {meta['level']!r} not in {list(LEVELS)}")
    return problems


def _image_size(path: Path, decode: bool = True) -> tuple[tuple[int, int] | None, str | None]:
    """The image's size, decoding it fully (``decode``) or reading only its header; or the error."""
    try:
        if decode:
            return load_image(path).size, None
        with Image.open(path) as im:
            return im.size, None
    except ImageLoadError as exc:
        return None, str(exc)
    except (OSError, ValueError) as exc:
        return None, f"not a readable image: {path} ({exc})"


def _manifest_problems(folder: Path, data_file: Path, n_records: int) -> list[str]:
    path = folder / "manifest.json"
    if not path.is_file():
        return [f"{path}:1: manifest.json missing"]
    text = path.read_text(encoding="utf-8")
    try:
        import json

        manifest = json.loads(text)
    except ValueError as exc:
        return [f"{path}:1: invalid JSON ({exc})"]
    if not isinstance(manifest, dict):
        return [f"{path}:1: manifest must be a JSON object"]

    def line_of(key: str) -> int:
        return next((i for i, ln in enumerate(text.splitlines(), 1) if f'"{key}"' in ln), 1)

    problems = [
        f"{path}:1: manifest lacks {k!r}" for k in ("suite", "seed", "n", "data_sha256") if k not in manifest
    ]
    if "data_sha256" in manifest and manifest["data_sha256"] != sha256_file(data_file):
        problems.append(
            f"{path}:{line_of('data_sha256')}: data_sha256 does not match {data_file.name} (file changed)"
        )
    if "n" in manifest and manifest["n"] != n_records:
        problems.append(
            f"{path}:{line_of('n')}: n = {manifest['n']} but {data_file.name} has {n_records} records"
        )
    return problems


def media_problems(root: str | Path, obj: dict[str, Any], check_images: bool = True) -> list[str]:
    """Problems with a record's files: images exist and decode, annotations inside them, boundary map."""
    root = Path(root)
    problems: list[str] = []
    size = None
    for rel in image_paths_of(obj)[0]:
        p = Path(rel) if Path(rel).is_absolute() else root / rel
        if not p.is_file():
            problems.append(f"image not found: {p}")
            continue
        got, err = _image_size(p, decode=check_images)
        if err:
            problems.append(err)
        size = size or got
    ann = obj.get("annotations")
    if "annotations" in obj:  # bounds are checked only when the image could be read (size known)
        problems += annotation_problems(ann, size)
        boundary = ann.get("boundary") if isinstance(ann, dict) else None
        if isinstance(boundary, str):
            problems += _boundary_problems(root / boundary, size, check_images)
    return problems


def _media_batch(jobs: list[tuple[int, str, dict[str, Any], bool]]) -> list[tuple[int, list[str]]]:
    return [(line, media_problems(root, obj, check)) for line, root, obj, check in jobs]


BATCH = 256


def validate(
    path: str | Path,
    *,
    image_root: str | Path | None = None,
    check_images: bool = True,
    workers: int = 1,
) -> ValidationReport:
    """Validate a dataset folder or LLaVA JSON/JSONL file; all problems are collected, none raised.

    ``workers`` > 1 checks the image files in that many processes (the report is the same)."""
    try:
        reader = RecordReader(path, image_root=image_root, skip_bad=True, check_images=False)
    except DataFormatError as exc:
        return ValidationReport(path=str(path), problems=[str(exc)])
    report = ValidationReport(path=str(path), kind="dataset" if reader.ours else "external")
    found: list[tuple[int, int, str]] = []  # (line, order, reason), sorted by line at the end
    seen_ids: dict[str, int] = {}
    jobs: list[tuple[int, str, dict[str, Any], bool]] = []
    fatal: list[str] = []

    def add(line: int, reasons: list[str]) -> None:
        found.extend((line, len(found), reason) for reason in reasons)

    with contextlib.ExitStack() as stack:
        pool = None
        if workers > 1:
            from svemath.data.generate import process_pool

            pool = stack.enter_context(process_pool(workers))
        pending: list = []

        def flush() -> None:
            batches = [jobs[i : i + BATCH // 8] for i in range(0, len(jobs), BATCH // 8)]
            results = pool.map(_media_batch, batches) if pool else [_media_batch(jobs)]
            pending.extend(results)
            jobs.clear()

        try:
            for line, obj, error in reader.raw_items():
                report.n_records += 1
                problems = [error] if error else record_problems(obj, ours=reader.ours)
                if problems:
                    add(line, problems)
                    continue
                if reader.ours:
                    add(line, schema_problems(obj))
                    rid = str(obj["id"])
                    if rid in seen_ids:
                        add(line, [f"duplicate id {rid!r} (first at line {seen_ids[rid]})"])
                    seen_ids.setdefault(rid, line)
                report.n_images += len(image_paths_of(obj)[0])
                jobs.append((line, str(reader.root), obj, check_images))
                if len(jobs) >= BATCH * max(1, workers):
                    flush()
        except DataFormatError as exc:  # a syntax error inside a JSON list: nothing after it can be read
            fatal.append(str(exc))
        flush()
        for results in pending:
            for line, problems in results:
                add(line, problems)
    found.sort(key=lambda t: (t[0], t[1]))
    report.problems = [f"{reader.file}:{line}: {reason}" for line, _, reason in found] + fatal
    if reader.ours:
        report.problems += _manifest_problems(reader.file.parent, reader.file, report.n_records)
    return report


def _boundary_problems(path: Path, size: tuple[int, int] | None, check_images: bool) -> list[str]:
    """INTERFACES.md: a mode-L PNG of the image's size, 255 on strokes/edges and 0 elsewhere."""
    if not path.is_file():
        return [f"boundary map not found: {path}"]
    problems = []
    if check_images:
        try:
            img = load_image(path)
        except ImageLoadError as exc:
            return [str(exc)]
        got = img.size
        values = np.asarray(img)[..., 0]
        if ((values != 0) & (values != 255)).any():
            problems.append(f"boundary map {path.name} has values other than 0 and 255")
    else:
        got, err = _image_size(path, decode=False)
        if err:
            return [err]
    with Image.open(path) as im:  # header only, for the mode (load_image returns RGB)
        if im.mode != "L":
            problems.append(f"boundary map {path.name} has mode {im.mode}, expected L")
    if size is not None and got != size:
        problems.append(f"boundary map {path.name} is {got[0]}x{got[1]}, image is {size[0]}x{size[1]}")
    return problems
