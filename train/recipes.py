"""Recipe lookup and loading: built-in YAML recipes by name or a path, with ``key=value`` overrides.

Overrides address stages by name: ``stages.instruct.steps=200`` or ``stages.geoglip.lr.geoglip=1e-3``;
everything else is a dotted path into the recipe (``seed=3``, ``datasets.instruct.n=5000``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from svemath.configs import from_dict, load_yaml, merge, parse_overrides
from svemath.errors import ConfigError
from svemath.train.config import RecipeConfig


def recipes_dir() -> Path:
    return Path(str(resources.files("svemath.train") / "recipes"))


def recipe_names(kind: str | None = "recipe") -> list[str]:
    """Built-in recipe names (``kind="ablation"``: ablation files; None: both)."""
    names = []
    for p in sorted(recipes_dir().glob("*.yaml")):
        file_kind = load_yaml(p).get("kind", "recipe")
        if kind is None or file_kind == kind:
            names.append(p.stem)
    return names


def recipe_path(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return path
    builtin = recipes_dir() / f"{name_or_path}.yaml"
    if builtin.is_file():
        return builtin
    raise ConfigError(f"unknown recipe {name_or_path!r}; built-in recipes: {', '.join(recipe_names(None))}")


def apply_overrides(data: dict[str, Any], overrides: list[str] | None) -> dict[str, Any]:
    over = parse_overrides(overrides)
    stage_over = over.pop("stages", {})
    data = merge(data, over)
    if stage_over:
        stages = data.get("stages", [])
        by_name = {s.get("name"): s for s in stages}
        for name, upd in stage_over.items():
            if name not in by_name:
                raise ConfigError(f"override for unknown stage {name!r}; stages: {list(by_name)}")
            if not isinstance(upd, dict):
                raise ConfigError(f"override stages.{name} must set a field, e.g. stages.{name}.steps=10")
            by_name[name].update(merge(by_name[name], upd))
        data["stages"] = stages
    return data


def load_recipe(name_or_path: str, overrides: list[str] | None = None) -> RecipeConfig:
    path = recipe_path(name_or_path)
    data = apply_overrides(load_yaml(path), overrides)
    data.setdefault("name", path.stem)
    return from_dict(RecipeConfig, data, where=f"recipe {path.stem}")
