"""Dataset folders: the writer's building blocks, the manifest, and the reader used by training and eval.

A dataset is a folder (DESIGN.md, Data formats)::

    DIR/data.jsonl      one JSON record a line, in index order
    DIR/images/         {index:06d}.png and extra images {index:06d}_{key}.png (e.g. boundary maps)
    DIR/manifest.json   suite, generator version, seed, n, sha256 of data.jsonl, args, counts, timing

Writer: :func:`write_sample` turns one :class:`~svemath.data.schema.Sample` into its PNG files and its
JSON line (``id = "{suite}-{seed}-{index:06d}"``, ``image = "images/{index:06d}.png"``, every ``"@key"``
string in the record replaced by the extra image's relative path). PNGs come from :func:`encode_png`:
unfiltered rows, deflate level 1, no metadata chunks, so the bytes depend only on the pixels and the
deflate implementation, which ``PNG_SETTINGS`` (copied into every manifest) names. Deflate is zlib's
(deterministic: the same pixels always give the same bytes). ``SVEMATH_PNG_DEFLATE=isal`` uses ISA-L's
(the ``isal`` package), about 7x faster (CPU per 384 px image, instruct and primitives images, 22 KB
average: ISA-L 0.24 ms, zlib 1.7 ms; PIL's ``compress_level=1`` 5.4 ms, its adaptive row filters cost
more than they save on diagrams), but **not byte-deterministic**: in one full test run a pool worker
encoded one image's identical pixels into different (valid, same-length) bytes, which breaks the
byte-identical-with-any-``--workers`` contract; it never reproduced in isolation. Use it only where
decoded pixels, not bytes, are what must match.

Reader: :func:`iter_records` / :func:`load_dataset` (in :mod:`svemath.data.records`) read our folders and
external LLaVA-format JSON / JSONL files (Geo170K, MathV360K, MAVIS) into :class:`Record` objects; they
are re-exported here so that callers import dataset IO from one place.
"""

from __future__ import annotations

import json
import os
import re
import struct
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from svemath.data.records import (
    BadLine,
    Dataset,
    Record,
    RecordReader,
    iter_records,
    load_dataset,
    record_problems,
)
from svemath.data.schema import Sample
from svemath.errors import ConfigError, DataFormatError

__all__ = [
    "DATA_FILE",
    "IMAGES_DIR",
    "MANIFEST_FILE",
    "BadLine",
    "Dataset",
    "Record",
    "RecordReader",
    "encode_png",
    "image_name",
    "iter_records",
    "load_dataset",
    "read_manifest",
    "record_problems",
    "resolve_refs",
    "sample_id",
    "write_sample",
]

DATA_FILE = "data.jsonl"
IMAGES_DIR = "images"
MANIFEST_FILE = "manifest.json"
FORMAT = "svemath-dataset/1"


def _deflate_backend() -> tuple[dict[str, Any], Callable[[Any], bytes]]:
    """(settings, compress function) of the deflate implementation in use (see the module docstring)."""
    choice = os.environ.get("SVEMATH_PNG_DEFLATE", "zlib").strip().lower() or "zlib"
    if choice not in ("isal", "zlib"):
        raise ConfigError(f"SVEMATH_PNG_DEFLATE must be zlib (default) or isal, got {choice!r}")
    if choice == "isal":
        try:
            import isal
            from isal import isal_zlib
        except ImportError:
            raise ConfigError("SVEMATH_PNG_DEFLATE=isal but the isal package is not installed") from None
        settings = {"filter": "none", "deflate": "isal", "level": 1, "version": isal.__version__}
        return settings, lambda raw: isal_zlib.compress(raw, 1)
    settings = {
        "filter": "none",
        "deflate": "zlib",
        "level": 1,
        "version": zlib.ZLIB_RUNTIME_VERSION,
    }
    return settings, lambda raw: zlib.compress(raw, 1)


PNG_SETTINGS, _deflate = _deflate_backend()
_PNG_COLOR_TYPE = {"L": 0, "RGB": 2, "LA": 4, "RGBA": 6}
_KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_REF_RE = re.compile(r"@[A-Za-z0-9][A-Za-z0-9_-]*")
# a JSON string value that is exactly "@key" (not an escaped quote inside a string, not an object key)
_REF_JSON_RE = re.compile(r'(?<!\\)"@([A-Za-z0-9][A-Za-z0-9_-]*)"(?!\s*:)')


# === naming ===


def sample_id(suite: str, seed: int, index: int) -> str:
    """The stable id of sample ``index``: ``"{suite}-{seed}-{index:06d}"``."""
    return f"{suite}-{seed}-{index:06d}"


def image_name(index: int, key: str | None = None) -> str:
    """Relative path of a sample's image (``images/000123.png``) or extra image (``images/000123_edge.png``)."""
    return f"{IMAGES_DIR}/{index:06d}.png" if key is None else f"{IMAGES_DIR}/{index:06d}_{key}.png"


# === PNG ===


def _png_chunk(tag: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload))


def encode_png(img: Image.Image) -> bytes:
    """Encode ``img`` as a metadata-free 8-bit PNG whose bytes depend only on its pixels.

    Modes L, LA, RGB and RGBA are written as they are; P becomes RGBA (with transparency) or RGB, and
    every other mode RGB.
    """
    if img.mode not in _PNG_COLOR_TYPE:
        img = img.convert("RGBA" if img.mode == "P" and "transparency" in img.info else "RGB")
    pixels = np.asarray(img)
    height, width = pixels.shape[:2]
    raw = np.empty((height, pixels[0].size + 1), dtype=np.uint8)  # filter byte 0 ("none") per row
    raw[:, 0] = 0
    raw[:, 1:] = pixels.reshape(height, -1)
    idat = _deflate(raw)  # the compressors read the array's buffer: no bytes copy
    header = struct.pack(">IIBBBBB", width, height, 8, _PNG_COLOR_TYPE[img.mode], 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


# === writer ===


def resolve_refs(obj: Any, refs: Mapping[str, str]) -> Any:
    """Return ``obj`` with every string ``"@key"`` (``key`` in ``refs``) replaced by ``refs[key]``.

    Works recursively through dicts and lists. A string shaped like a reference (``@word``) whose key is
    not in ``refs`` is an error: it is almost always a typo in a suite.
    """
    if isinstance(obj, str):
        if _REF_RE.fullmatch(obj):
            key = obj[1:]
            if key not in refs:
                raise ValueError(f"record refers to extra image {obj!r} but the sample has {sorted(refs)}")
            return refs[key]
        return obj
    if isinstance(obj, dict):
        return {k: resolve_refs(v, refs) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [resolve_refs(v, refs) for v in obj]
    return obj


def _write(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data`` (unbuffered: one open, one write, one close)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def write_sample(sample: Sample, *, suite: str, seed: int, index: int, out_dir: Path) -> tuple[str, dict]:
    """Write the sample's PNGs under ``out_dir/images`` and return ``(json_line, stats)``.

    ``json_line`` has no trailing newline; ``stats`` is a small dict (answer_type, family, level, shape
    classes, image size, number of PNGs) that the generator aggregates into the manifest's counts.
    """
    record = sample.record
    if not isinstance(record, dict):
        raise TypeError(f"Sample.record must be a dict, got {type(record).__name__}")
    for key in ("id", "image"):
        if key in record:
            raise ValueError(f"Sample.record must not set {key!r}: the writer assigns it")
    out: dict[str, Any] = {"id": sample_id(suite, seed, index)}
    size = None
    n_png = 0
    if sample.image is not None:
        rel = image_name(index)
        _write(out_dir / rel, encode_png(sample.image))
        out["image"] = rel
        size = sample.image.size
        n_png += 1
    refs: dict[str, str] = {}
    for key, extra in sample.extra_images.items():
        if not _KEY_RE.fullmatch(key):
            raise ValueError(f"extra image key {key!r} must match {_KEY_RE.pattern}")
        rel = image_name(index, key)
        _write(out_dir / rel, encode_png(extra))
        refs[key] = rel
        n_png += 1
    out.update(record)
    line = json.dumps(out, ensure_ascii=False, allow_nan=False)
    if '"@' in line:  # same result as resolve_refs(), without walking every record

        def ref(match: re.Match) -> str:
            if match.group(1) not in refs:
                raise ValueError(
                    f"record refers to extra image '@{match.group(1)}' but the sample has {sorted(refs)}"
                )
            return json.dumps(refs[match.group(1)], ensure_ascii=False)

        line = _REF_JSON_RE.sub(ref, line)
    meta = out.get("meta") if isinstance(out.get("meta"), dict) else {}
    annotations = out.get("annotations") if isinstance(out.get("annotations"), dict) else {}
    shapes = annotations.get("shapes")
    stats = {
        "answer_type": out.get("answer_type"),
        "family": meta.get("family"),
        "level": meta.get("level"),
        "shape_classes": [s.get("cls") for s in shapes if isinstance(s, dict)]
        if isinstance(shapes, list)
        else [],
        "size": f"{size[0]}x{size[1]}" if size else None,
        "pngs": n_png,
    }
    return line, stats


# === manifest ===


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """Read ``folder/manifest.json``; DataFormatError if it is missing or not a JSON object."""
    path = Path(folder) / MANIFEST_FILE
    if not path.is_file():
        raise DataFormatError(f"{path}: manifest not found (is {folder} a dataset folder?)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataFormatError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    if not isinstance(manifest, dict):
        raise DataFormatError(f"{path}:1: manifest must be a JSON object")
    return manifest
