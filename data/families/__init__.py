"""svemath.data.families: seeded problem families (geometry, functions, charts, counting, graphs, solids).

The contract lives in :mod:`svemath.data.families.base`. Family modules register themselves on import;
list each module in ``FAMILY_MODULES`` and call :func:`load_families` before using ``FAMILIES``.
"""

from __future__ import annotations

import importlib

FAMILY_MODULES: tuple[str, ...] = (
    "svemath.data.families.functions",
    "svemath.data.families.functions_props",
    "svemath.data.families.functions_trig",
    "svemath.data.families.stats_charts",
    "svemath.data.families.stats_tables",
    "svemath.data.families.counting",
    "svemath.data.families.graph_theory",
    "svemath.data.families.geometry_angles",
    "svemath.data.families.geometry_triangles",
    "svemath.data.families.geometry_parallel",
    "svemath.data.families.geometry_circles",
    "svemath.data.families.geometry_lengths",
    "svemath.data.families.geometry_area",
    "svemath.data.families.geometry_analytic",
    "svemath.data.families.geometry_solid",
)

_loaded = False


def load_families():
    """Import every family module once and return the registry."""
    global _loaded
    from svemath.data.families.base import FAMILIES

    if not _loaded:
        for name in FAMILY_MODULES:
            importlib.import_module(name)
        _loaded = True
    return FAMILIES
