"""``svemath bench data --out FILE.json``: generation speed per suite against a matplotlib baseline.

For every suite (or ``--suites a,b``) and every worker count (``--workers 1,2``) it measures the
steady-state samples/s of the real generation path (``suite.make`` + PNG encoding + JSON line, the
worker functions of :mod:`svemath.data.generate`, pool already started and warmed up), at the suite's
default image size. Beside it, in the same run with the same worker counts, a baseline renders a
comparable function plot with plain matplotlib (Agg, a fresh figure per image: axes, ticks and tick
labels, grid, one curve, title, axis labels and an annotation; ``savefig`` PNG) at the same pixel size.
Each suite gets ``ratio = suite samples/s / baseline images/s`` (the issue's target: >= 5) and
``ratio_cpu``, the same from CPU time per image summed over the workers, which stays meaningful when
other jobs share the machine (wall-clock rates then depend on what else ran at that moment).

``--instruct-n N`` additionally times a complete ``generate_dataset`` run of the ``instruct`` suite
(N samples, 2 workers, end to end including pool start-up and writing) and extrapolates it linearly to
100k samples (target: <= 600 s on 2 cores); ``--instruct-n 100000`` measures it outright.
"""

from __future__ import annotations

import argparse
import contextvars
import math
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_RATIO = 5.0
TARGET_100K_S = 600.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--suites", default=None, help="comma-separated suite names (default: all)")
    parser.add_argument("--n", type=int, default=400, help="samples per suite and worker count")
    parser.add_argument("--baseline-n", type=int, default=80, help="matplotlib images per worker count")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument(
        "--instruct-n",
        type=int,
        default=0,
        help="also time a full instruct generation of this many samples on 2 workers "
        "and extrapolate to 100k (0: skip)",
    )
    parser.add_argument("--instruct-suite", default="instruct", help="suite used by --instruct-n")


# === timed loops (module level so that pool workers can run them) ===


def _baseline_init() -> None:
    import matplotlib

    matplotlib.use("Agg")


def _baseline_render(job: tuple[int, int, int, str]) -> int:
    """Render one function plot of ``width`` x ``height`` pixels with matplotlib and save it as PNG."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    index, width, height, out_dir = job
    rng = np.random.default_rng(index)
    a, b, c = rng.uniform(0.5, 3), rng.uniform(0.5, 2), rng.uniform(-1, 1)
    x = np.linspace(-5, 5, 200)
    fig = Figure(figsize=(width / 100, height / 100), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(x, a * np.sin(b * x) + c, color="tab:blue", linewidth=1.5)
    ax.grid(True, linewidth=0.5)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.set_title(f"f(x) = {a:.1f} sin({b:.1f}x) + {c:.1f}", fontsize=8)
    ax.annotate(f"({math.pi / (2 * b):.2f}, {a + c:.2f})", xy=(math.pi / (2 * b), a + c), fontsize=7)
    ax.tick_params(labelsize=7)
    fig.savefig(Path(out_dir) / f"{index:06d}.png", format="png", dpi=100)
    return 1


def _cpu_timed(job: tuple[Callable[[Any], Any], Any]) -> tuple[float, Any]:
    """Run ``func(arg)`` and return the CPU seconds it took in this process, with its result."""
    func, arg = job
    start = time.process_time()
    out = func(arg)
    return time.process_time() - start, out


def _timed_inline(
    initializer: Callable[..., None], initargs: tuple, func: Callable, warm: list, jobs: list
) -> tuple[float, float, list]:
    initializer(*initargs)
    warm_out = [func(j) for j in warm]
    start = time.perf_counter()
    cpu = sum(_cpu_timed((func, job))[0] for job in jobs)
    return time.perf_counter() - start, cpu, warm_out


def _timed_pool(
    workers: int, initializer: Callable[..., None], initargs: tuple, func: Callable, warm: list, jobs: list
) -> tuple[float, float, list]:
    """``(wall seconds, CPU seconds, warm-up results)`` of ``func`` over ``jobs`` after ``warm``, in-process
    (1 worker) or on a started pool. CPU seconds are summed over the workers: on a shared, busy machine
    they stay close to what an idle one would give, while wall time does not."""
    from svemath.data.generate import process_pool

    if workers == 1:  # in this process, in a copy of the context: the options the initializer sets stay here
        return contextvars.copy_context().run(_timed_inline, initializer, initargs, func, warm, jobs)
    with process_pool(workers, initializer, initargs) as pool:
        warm_out = list(pool.map(func, warm))
        start = time.perf_counter()
        timed = [(func, job) for job in jobs]
        cpu = sum(t for t, _ in pool.map(_cpu_timed, timed, chunksize=max(1, len(jobs) // (workers * 8))))
        return time.perf_counter() - start, cpu, warm_out


def _rates(n: int, workers: int, seconds: float, cpu: float) -> dict[str, float]:
    return {
        "per_s": round(n / seconds, 1),
        "seconds": round(seconds, 3),
        "cpu_ms_each": round(1000 * cpu / n, 2),
        "per_s_from_cpu": round(workers * n / cpu, 1) if cpu > 0 else None,  # ideal with idle cores
    }


def _measure_suite(suite, n: int, workers: int) -> dict[str, Any]:
    from svemath.data import generate as g

    with tempfile.TemporaryDirectory(prefix="svemath-bench-") as tmp:
        (Path(tmp) / "images").mkdir()
        warm = [(n + 2 * i, n + 2 * i + 2) for i in range(workers)]
        chunks = g._chunks(n, workers)
        initargs = (g._suite_blob(suite), suite.name, 0, tmp, g.GenerationOptions(seed=0))
        seconds, cpu, warm_out = _timed_pool(workers, g._init_worker, initargs, g._make_chunk, warm, chunks)
        g._worker.clear()
    sizes = Counter(stats["size"] for chunk in warm_out for _, stats in chunk if stats["size"])
    return {**_rates(n, workers, seconds, cpu), "size": sizes.most_common(1)[0][0] if sizes else None}


def _measure_baseline(size: str, n: int, workers: int) -> dict[str, Any]:
    width, height = (int(v) for v in size.split("x"))
    with tempfile.TemporaryDirectory(prefix="svemath-bench-mpl-") as tmp:
        warm = [(10_000 + i, width, height, tmp) for i in range(workers)]
        jobs = [(i, width, height, tmp) for i in range(n)]
        seconds, cpu, _ = _timed_pool(workers, _baseline_init, (), _baseline_render, warm, jobs)
    return _rates(n, workers, seconds, cpu)


def _time_instruct(suite: str, n: int) -> dict[str, Any]:
    from svemath.data.generate import generate_dataset

    with tempfile.TemporaryDirectory(prefix="svemath-bench-instruct-") as tmp:
        start = time.perf_counter()
        manifest = generate_dataset(suite, n, 0, Path(tmp) / "set", workers=2, progress=True)
        seconds = time.perf_counter() - start
    est = seconds * 100_000 / n
    return {
        "suite": suite,
        "n": n,
        "workers": 2,
        "seconds": round(seconds, 2),
        "samples_per_s": round(n / seconds, 1),
        "image_sizes": manifest["counts"]["image_sizes"],
        "seconds_for_100k": round(est, 1),
        "measured_or_extrapolated": "measured" if n >= 100_000 else f"extrapolated from {n}",
        "target_s": TARGET_100K_S,
        "meets_target": est <= TARGET_100K_S,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from svemath.data.suites import get_suite, suite_names
    from svemath.errors import ConfigError

    names = [s for s in (args.suites.split(",") if args.suites else suite_names()) if s]
    suites = [get_suite(name) for name in names]
    try:
        worker_counts = sorted({int(w) for w in args.workers.split(",") if w})
    except ValueError:
        raise ConfigError(f"--workers must be comma-separated integers, got {args.workers!r}") from None
    if not worker_counts or min(worker_counts) < 1 or args.n < 1 or args.baseline_n < 1:
        raise ConfigError("--workers, --n and --baseline-n must be positive")
    results: dict[str, Any] = {}
    baselines: dict[str, dict[str, Any]] = {}
    for suite in suites:
        per_workers = {}
        for w in worker_counts:
            m = _measure_suite(suite, args.n, w)
            size = m["size"] or "336x336"
            key = f"{size}/w{w}"
            if key not in baselines:
                baselines[key] = _measure_baseline(size, args.baseline_n, w)
            base = baselines[key]
            m["baseline_per_s"] = base["per_s"]
            m["ratio"] = round(m["per_s"] / base["per_s"], 2)
            m["ratio_cpu"] = round(base["cpu_ms_each"] / m["cpu_ms_each"], 2) if m["cpu_ms_each"] else None
            per_workers[f"w{w}"] = m
        results[suite.name] = per_workers
    instruct = _time_instruct(args.instruct_suite, args.instruct_n) if args.instruct_n else None
    ratios = {name: min(v["ratio"] for v in r.values()) for name, r in results.items()}
    cpu_ratios = {name: min(v["ratio_cpu"] or 0 for v in r.values()) for name, r in results.items()}
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    summary = {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "load_average_after": load,
        "samples_per_s": {name: {w: v["per_s"] for w, v in r.items()} for name, r in results.items()},
        "cpu_ms_per_sample": {
            name: {w: v["cpu_ms_each"] for w, v in r.items()} for name, r in results.items()
        },
        "ratio_to_matplotlib": {name: {w: v["ratio"] for w, v in r.items()} for name, r in results.items()},
        "ratio_to_matplotlib_cpu": {
            name: {w: v["ratio_cpu"] for w, v in r.items()} for name, r in results.items()
        },
        "min_ratio": min(ratios.values()) if ratios else None,
        "min_ratio_cpu": min(cpu_ratios.values()) if cpu_ratios else None,
        "target_ratio": TARGET_RATIO,
        "below_target": sorted(name for name, r in ratios.items() if r < TARGET_RATIO),
    }
    if instruct:
        summary["instruct_100k_s"] = instruct["seconds_for_100k"]
        summary["instruct_meets_target"] = instruct["meets_target"]
    return {
        "benchmark": "data",
        "n": args.n,
        "baseline_n": args.baseline_n,
        "workers": worker_counts,
        "suites": results,
        "baselines": baselines,
        "instruct_100k": instruct,
        "summary": summary,
    }
