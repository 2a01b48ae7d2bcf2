"""Parallel, deterministic generation of a dataset folder from a registered suite.

``generate_dataset("primitives", n=1000, seed=0, out="runs/prim", workers=2)`` builds the folder in a
temporary sibling and renames it into place (:func:`svemath.fileio.atomic_dir`), so an interrupted run
leaves nothing under the final name. Sample ``index`` is made by ``suite.make(index, sample_rng(suite,
seed, index))``: every sample has its own RNG, so the output is byte-identical with any ``workers``.
Workers (a multiprocessing pool over index chunks) write their PNGs straight into the temporary folder
and send back only the JSON line and a few counters; the parent writes ``data.jsonl`` in index order.

Options for suites (``--image-size``, ``--option key=value``, and the run's ``--seed``): the generator
installs a :class:`GenerationOptions` in every worker before any sample is made; a suite reads it with
:func:`current_options` (or the shortcuts :func:`option_image_size` and :func:`current_seed`) inside
``make``::

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
import pickle
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
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
    seed: int | None = None  # the run's ``--seed`` (None outside a generation; read via current_seed)

    def get(self, key: str, default: Any = None) -> Any:
        return self.extra.get(key, default)


_DEFAULT_OPTIONS = GenerationOptions()
_OPTIONS: contextvars.ContextVar[GenerationOptions | None] = contextvars.ContextVar(
    "svemath_generation_options", default=None
)


def current_options() -> GenerationOptions:
    """The options of the generation in progress (defaults outside one). Treat as read-only."""
    return _OPTIONS.get() or _DEFAULT_OPTIONS


def option_image_size(default: int) -> int:
    """The requested image size, or ``default`` (the suite's own) when none was requested."""
    return current_options().image_size or default


def current_seed() -> int:
    """The ``--seed`` of the generation in progress (0 outside one). Per-sample randomness comes from
    the ``rng`` given to ``make``; this is for state shared by several samples, e.g. the seed question
    of a group of variants, which must still change with the run's seed."""
    seed = current_options().seed
    return 0 if seed is None else seed


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


def _init_worker(
    suite_blob: bytes, suite_name: str, seed: int, out_dir: str, options: GenerationOptions
) -> None:
    """Worker initializer. The suite arrives pickled *as bytes* and is unpickled here, so that a suite
    that cannot be rebuilt in a worker gives one clear error, raised by the first task."""
    _worker.clear()
    _OPTIONS.set(options)  # pool workers run every task in this thread, so this holds for all of them
    if multiprocessing.parent_process() is not None:  # a worker: Ctrl-C is handled by the parent alone
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        suite = pickle.loads(suite_blob)
    except Exception as exc:  # e.g. make() defined in a parent's __main__ or as a closure
        try:
            from svemath.data.suites import get_suite

            suite = get_suite(suite_name)
        except Exception as lookup_exc:
            suite = None
            _worker["error"] = ConfigError(
                f"suite {suite_name!r} cannot be loaded in a worker process ({type(exc).__name__}: {exc}; "
                f"registry: {lookup_exc}); define make() at module level in a module listed in "
                "SUITE_MODULES, or use --workers 1"
            )
    _worker.update(suite=suite, seed=seed, out_dir=Path(out_dir))


def _make_chunk(bounds: tuple[int, int]) -> list[tuple[str, dict]]:
    if "error" in _worker:
        raise _worker["error"]
    suite: Suite = _worker["suite"]
    seed: int = _worker["seed"]
    out = []
    for index in range(*bounds):
        try:
            sample = suite.make(index, sample_rng(suite, seed, index))
            out.append(
                write_sample(sample, suite=suite.name, seed=seed, index=index, out_dir=_worker["out_dir"])
            )
        except Exception as exc:
            exc.add_note(f"while generating suite {suite.name!r}, seed {seed}, index {index}")
            raise
    return out


def _mp_context() -> multiprocessing.context.BaseContext:
    """forkserver where available (safe when the parent has threads, e.g. torch's), else spawn;
    ``SVEMATH_MP_START`` overrides."""
    method = os.environ.get("SVEMATH_MP_START")
    if not method:
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["svemath.data.generate"])
    return ctx


@contextlib.contextmanager
def process_pool(
    workers: int, initializer: Callable[..., None] | None = None, initargs: tuple = ()
) -> Iterator[ProcessPoolExecutor]:
    """A process pool that fails loudly (BrokenProcessPool) when a worker dies, instead of hanging as
    ``multiprocessing.Pool`` can, and that drops queued tasks when the caller stops early."""
    pool = ProcessPoolExecutor(workers, mp_context=_mp_context(), initializer=initializer, initargs=initargs)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _suite_blob(suite: Suite) -> bytes:
    """The pickled suite, or b"" when it cannot be pickled (the worker then looks it up by name)."""
    try:
        return pickle.dumps(suite)
    except (pickle.PicklingError, AttributeError, TypeError):
        return b""


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
            _worker.update(suite=suite, seed=seed, out_dir=tmp)
            try:
                for bounds in chunks:
                    yield _make_chunk(bounds)
            finally:
                _worker.clear()
        return
    initargs = (_suite_blob(suite), suite.name, seed, str(tmp), options)
    with process_pool(workers, _init_worker, initargs) as pool:
        yield from pool.map(_make_chunk, chunks)  # results in index order


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
    opts = GenerationOptions(image_size=image_size, extra=dict(options or {}), seed=seed)
    workers = min(workers, n)
    counts: dict[str, Counter] = {k: Counter() for k in ("answer_type", "family", "level", "size")}
    shape_classes: Counter = Counter()
    n_png = 0
    digest = hashlib.sha256()
    n_bytes = 0
    start = time.perf_counter()
    with atomic_dir(out) as tmp:
        (tmp / IMAGES_DIR).mkdir()
        bar = tqdm(
            total=n,
            desc=f"generate {suite.name}",
            unit="sample",
            disable=not progress,
            file=sys.stderr,
            mininterval=0.5,
        )
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
