"""``svemath bench {data,train,generate} --out FILE.json``: benchmarks with JSON output.

Each benchmark lives with its subsystem (``svemath.data.bench``, ``svemath.train.bench``,
``svemath.mllm.bench``) and exposes ``add_arguments(parser)`` and ``run(args) -> dict``; this module
only dispatches, writes the JSON and prints a short summary.
"""

from __future__ import annotations

import argparse
import importlib
import json

from svemath.errors import SVEMathError

BENCHES = {
    "data": "svemath.data.bench",
    "train": "svemath.train.bench",
    "generate": "svemath.mllm.bench",
}


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("bench", help="run a benchmark and write JSON")
    bsub = parser.add_subparsers(dest="bench", metavar="BENCH")
    bsub.required = True
    for name, module_name in BENCHES.items():
        p = bsub.add_parser(name, help=f"benchmark: {name}")
        p.add_argument("--out", required=True, help="JSON file to write")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            p.set_defaults(func=_missing(name))
            continue
        module.add_arguments(p)
        p.set_defaults(func=_runner(module))


def _missing(name: str):
    def run(args: argparse.Namespace) -> int:
        raise SVEMathError(f"benchmark {name!r} is not available in this build")

    return run


def _runner(module):
    def run(args: argparse.Namespace) -> int:
        from svemath.fileio import write_json

        result = module.run(args)
        write_json(args.out, result)
        summary = result.get("summary") if isinstance(result, dict) else None
        print(json.dumps(summary if summary is not None else result, indent=2)[:4000])
        print(f"wrote {args.out}")
        return 0

    return run
