"""The one ``svemath`` command: builds the argument parser from each subsystem and dispatches.

Each subsystem owns a light ``cli`` module (no torch import at module level) exposing
``add_parser(subparsers)``, which registers its sub-command and sets ``func`` to a callable taking the
parsed arguments and returning an exit code (or None for 0). User errors (:class:`SVEMathError`) are
printed as one line on stderr with a non-zero exit and no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from svemath import __version__
from svemath.errors import SVEMathError

# command name -> module providing add_parser(subparsers)
SUBCOMMANDS: dict[str, str] = {
    "data": "svemath.data.cli",
    "model": "svemath.mllm.cli",
    "train": "svemath.train.cli",
    "prm": "svemath.train.prm_cli",
    "eval": "svemath.eval.cli",
    "quickstart": "svemath.train.quickstart",
    "release": "svemath.train.release",
    "demo": "svemath.demo.cli",
    "bench": "svemath.bench",
}


def _unavailable(name: str, reason: str):
    def run(args: argparse.Namespace) -> int:
        raise SVEMathError(f"'svemath {name}' is not available in this build ({reason})")

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="svemath", description="SVE-Math: train, evaluate and demo visual-math models."
    )
    parser.add_argument("--version", action="version", version=f"svemath {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module_name in SUBCOMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            p = sub.add_parser(name, help="(not available in this build)")
            p.add_argument("rest", nargs=argparse.REMAINDER)
            p.set_defaults(func=_unavailable(name, f"module {module_name} is missing"))
            continue
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
    except SVEMathError as exc:
        print(f"svemath: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("svemath: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
