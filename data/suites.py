"""Imports every module that registers a suite, and looks suites up by name.

Suite modules register themselves with :func:`svemath.data.schema.register_suite` at import time; add a
new module to ``SUITE_MODULES`` to make its suites visible to ``svemath data generate``.
"""

from __future__ import annotations

import importlib

from svemath.data.schema import SUITES, Suite

SUITE_MODULES: tuple[str, ...] = (
    "svemath.data.primitives",
    "svemath.data.captions",
    "svemath.data.problem_suites",
    "svemath.data.benchmark_suites",
    "svemath.data.processbench",
)

_loaded = False


def load_all() -> None:
    global _loaded
    if not _loaded:
        for name in SUITE_MODULES:
            importlib.import_module(name)
        _loaded = True


def get_suite(name: str) -> Suite:
    load_all()
    return SUITES.get(name)


def suite_names() -> list[str]:
    load_all()
    return SUITES.names()
