"""Parallel, deterministic generation of a dataset folder from a registered suite.

``generate_dataset("primitives", n=1000, seed=0, out="runs/prim", workers=2)`` builds the folder in a
temporary sibling and renames it into place (:func:`svemath.fileio.atomic_dir`), so an interrupted run
leaves nothing under the final name. Sample ``index`` is made by ``suite.make(index, sample_rng(suite,
seed, index))``: every sample has its own RNG, so the output is byte-identical with any ``workers``.
Workers (a multiprocessing pool over index chunks) write their PNGs straight into the temporary folder
and send back only the JSON line and a few counters; the parent writes ``data.jsonl`` in index order.

Options for suites (``--image-size``, ``--option key=value``): the generator installs a
:class:`GenerationOptions` in every worker before any sample is made; a suite reads it with
:func:`current_options` (or the shortcut :func:`option_image_size`) inside ``make``::

    from svemath.data.generate import option_image_size

    @register_suite("primitives", "train")
    def make(index, rng):
        size = option_image_size(default=336)   # the requested --image-size, else the suite's default
        ...

``image_size`` is the side of the square canvas (for non-square images: the longer side). Options are
part of the manifest's ``args``; a suite must read them only through these functions, so that the same
options always give the same bytes.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from svemath import __version__
from svemath.data.dataset import (
    DATA_FILE,
    FORMAT,
    IMAGES_DIR,
    MANIFEST_FILE,
    PNG_SETTINGS,
    write_sample,
)
from svemath.data.schema import Suite, sample_rng
from svemath.errors import ConfigError
from svemath.fileio import atomic_dir, write_json

# === options seen by suites ===


@dataclass(frozen=True)
class GenerationOptions:
    """Options a suite may read while making samples (see the module docstring)."""

    image_size: int | None = None  # side of the square canvas in pixels; None: the suite's default
    extra: Mapping[str, Any] = field(default_factory=dict)  # free-form ``--option key=value`` pairs

    def get(self, key: str, default: Any = None) -> Any:
        return self.extra.get(key, default)


_OPTIONS: contextvars.ContextVar[GenerationOptions] = contextvars.ContextVar(
    "svemath_generation_options", default=GenerationOptions()
)


def current_options() -> GenerationOptions:
    """The options of the generation in progress (defaults outside one)."""
    return _OPTIONS.get()


def option_image_size(default: int) -> int:
    """The requested image size, or ``default`` (the suite's own) when none was requested."""
    return _OPTIONS.get().image_size or default


@contextlib.contextmanager
def generation_options(options: GenerationOptions) -> Iterator[GenerationOptions]:
    """Install ``options`` for suites called inside the block (e.g. a demo or a test calling ``make``)."""
    token = _OPTIONS.set(options)
    try:
        yield options
    finally:
        _OPTIONS.reset(token)


# === workers ===

_worker: dict[str, Any] = {}


def _init_worker(suite: Suite, seed: int, out_dir: str, options: GenerationOptions) -> None:
    _worker.update(suite=suite, seed=seed, out_dir=Path(out_dir))
    _OPTIONS.set(options)  # pool workers run every task in this thread, so this holds for all of them


def _make_chunk(bounds: tuple[int, int]) -> list[tuple[str, dict]]:
    suite: Suite = _worker["suite"]
    seed: int = _worker["seed"]
    out = []
    for index in range(*bounds):
        try:
            sample = suite.make(index, sample_rng(suite, seed, index))
            out.append(write_sample(sample, suite=suite.name, seed=seed, index=index, out_dir=_worker["out_dir"]))
        except Exception as exc:
            exc.add_note(f"while generating suite {suite.name!r}, seed {seed}, index {index}")
            raise
    return out


def _mp_context() -> multiprocessing.context.BaseContext:
    """forkserver where available (safe when the parent has threads, e.g. torch's), else spawn."""
    method = os.environ.get("SVEMATH_MP_START")
    if not method:
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["svemath.data.generate"])
    return ctx


def _chunks(n: int, workers: int) -> list[tuple[int, int]]:
    size = max(1, min(64, math.ceil(n / (workers * 16))))
    return [(start, min(n, start + size)) for start in range(0, n, size)]


# === generation ===


def _resolve_suite(suite: str | Suite) -> Suite:
    if isinstance(suite, Suite):
        return suite
    from svemath.data.suites import get_suite

    return get_suite(suite)


def _check_args(n: int, seed: int, workers: int, image_size: int | None) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"--n must be a positive integer, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"--seed must be a non-negative integer, got {seed!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"--workers must be a positive integer, got {workers!r}")
    if image_size is not None and not 16 <= image_size <= 8192:
        raise ConfigError(f"--image-size must be between 16 and 8192 pixels, got {image_size}")


def _iter_results(
    suite: Suite, seed: int, n: int, workers: int, tmp: Path, options: GenerationOptions
) -> Iterator[list[tuple[str, dict]]]:
    chunks = _chunks(n, workers)
    if workers == 1:
        with generation_options(options):
            _init_worker(suite, seed, str(tmp), options)
            try:
                for bounds in chunks:
                    yield _make_chunk(bounds)
            finally:
                _worker.clear()
        return
    ctx = _mp_context()
    with ctx.Pool(workers, initializer=_init_worker, initargs=(suite, seed, str(tmp), options)) as pool:
        yield from pool.imap(_make_chunk, chunks)


def generate_dataset(
    suite: str | Suite,
    n: int,
    seed: int,
    out: str | Path,
    *,
    workers: int = 1,
    image_size: int | None = None,
    options: Mapping[str, Any] | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Generate ``n`` samples of ``suite`` with ``seed`` into the dataset folder ``out``; return the manifest."""
    import hashlib

    from tqdm import tqdm

    _check_args(n, seed, workers, image_size)
    suite = _resolve_suite(suite)
    out = Path(out)
    if out.exists() and not overwrite:
        raise ConfigError(f"{out} already exists (pass --overwrite to replace it)")
    opts = GenerationOptions(image_size=image_size, extra=dict(options or {}))
    workers = min(workers, n)
    counts: dict[str, Counter] = {k: Counter() for k in ("answer_type", "family", "level", "size")}
    shape_classes: Counter = Counter()
    n_png = 0
    digest = hashlib.sha256()
    n_bytes = 0
    start = time.perf_counter()
    with atomic_dir(out) as tmp:
        (tmp / IMAGES_DIR).mkdir()
        bar = tqdm(total=n, desc=f"generate {suite.name}", unit="sample", disable=not progress, file=sys.stderr)
        with open(tmp / DATA_FILE, "wb") as fh, bar:
            for results in _iter_results(suite, seed, n, workers, tmp, opts):
                for line, stats in results:
                    data = (line + "\n").encode("utf-8")
                    fh.write(data)
                    digest.update(data)
                    n_bytes += len(data)
                    for key, counter in counts.items():
                        if stats[key] is not None:
                            counter[str(stats[key])] += 1
                    shape_classes.update(str(c) for c in stats["shape_classes"])
                    n_png += stats["pngs"]
                bar.update(len(results))
        elapsed = time.perf_counter() - start
        manifest = {
            "format": FORMAT,
            "suite": suite.name,
            "stream": suite.stream,
            "suite_version": suite.version,
            "svemath_version": __version__,
            "generator_version": f"svemath-{__version__}+{suite.name}-{suite.version}",
            "seed": seed,
            "n": n,
            "data_sha256": digest.hexdigest(),
            "data_bytes": n_bytes,
            "args": {
                "suite": suite.name,
                "n": n,
                "seed": seed,
                "workers": workers,
                "image_size": image_size,
                "options": asdict(opts)["extra"],
            },
            "png": PNG_SETTINGS,
            "counts": {
                "records": n,
                "pngs": n_png,
                "image_sizes": dict(sorted(counts["size"].items())),
                "answer_type": dict(sorted(counts["answer_type"].items())),
                "family": dict(sorted(counts["family"].items())),
                "level": dict(sorted(counts["level"].items())),
            },
            "shape_classes": dict(sorted(shape_classes.items())),
            "time_s": round(elapsed, 3),
            "samples_per_s": round(n / elapsed, 1) if elapsed > 0 else None,
            "python": sys.version.split()[0],
        }
        write_json(tmp / MANIFEST_FILE, manifest)
    return manifest
