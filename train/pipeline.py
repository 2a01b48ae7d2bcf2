"""Runs a recipe: prepares its datasets, builds the model, then runs its stages in order.

Directory layout of a run ``OUT``::

    OUT/recipe.yaml            resolved recipe (after overrides)
    OUT/data/<name>/           datasets generated from suites (reused when their manifest matches)
    OUT/<stage>/               per stage: metrics.jsonl, curves.png, result.json, checkpoint/, model/
    OUT/summary.json           one entry per stage (steps, wall time, stop reason, held-out metrics)

``--resume`` skips stages whose ``result.json`` exists and continues an interrupted stage exactly from
its last checkpoint. A stage's ``init_from`` picks its starting weights: ``previous`` (the model as the
previous stage left it), a stage name, a model directory, or ``none`` (fresh from the preset); its
``model_overrides`` then adjust that model (e.g. ``label_slots``: more label tokens for the LM).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from svemath.configs import dump_config
from svemath.errors import ConfigError
from svemath.fileio import read_json, write_json
from svemath.train.config import DatasetSpec, RecipeConfig, StageConfig
from svemath.train.engine import FINAL, StageResult, StageRunner

ModelFactory = Callable[[RecipeConfig, Path, dict[str, Path]], tuple[Any, Any]]


def git_commit() -> str | None:
    """HEAD of the svemath checkout this code runs from, or None outside git."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)  # fmt: skip
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _dataset_matches(folder: Path, spec: DatasetSpec) -> bool:
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return False
    m = read_json(manifest)
    args = m.get("args", {})
    return (
        m.get("suite") == spec.suite
        and m.get("n") == spec.n
        and m.get("seed") == spec.seed
        and args.get("image_size") == spec.image_size
        and (args.get("options") or {}) == spec.options
    )


def prepare_datasets(
    recipe: RecipeConfig, data_dir: Path, workers: int = 2, only: set[str] | None = None
) -> dict[str, Path]:
    """Generate missing suite datasets into ``data_dir``; return name -> path for all datasets."""
    from svemath.data.generate import generate_dataset

    paths: dict[str, Path] = {}
    for name, spec in recipe.datasets.items():
        if spec.path is not None:
            path = Path(spec.path)
            if not path.exists() and (only is None or name in only):
                raise ConfigError(f"dataset {name!r}: {path} does not exist")
            paths[name] = path
            continue
        folder = data_dir / name
        paths[name] = folder
        if only is not None and name not in only:
            continue
        if _dataset_matches(folder, spec):
            continue
        generate_dataset(
            spec.suite,
            n=spec.n,
            seed=spec.seed,
            out=folder,
            workers=workers,
            image_size=spec.image_size,
            options=spec.options,
            overwrite=True,
        )
    return paths


def default_model_factory(recipe: RecipeConfig, out_dir: Path, paths: dict[str, Path]) -> tuple[Any, Any]:
    from svemath.train.modeling import build_recipe_model

    return build_recipe_model(recipe, out_dir, paths)


def load_stage_model(path: Path) -> tuple[Any, Any]:
    from svemath.train.modeling import load_model_dir

    return load_model_dir(path)


def _stages_to_run(recipe: RecipeConfig, only: list[str] | None) -> list[StageConfig]:
    if not only:
        return [s for s in recipe.stages if not s.skip]
    for name in only:
        recipe.stage(name)  # raises with the known names
    return [s for s in recipe.stages if s.name in only]


def _init_source(recipe: RecipeConfig, stage: StageConfig, out_dir: Path) -> Path | None:
    """The model directory a stage starts from, or None to build fresh from the preset."""
    init = stage.init_from or "none"
    if init == "none":
        return None
    if init == "previous":
        idx = [s.name for s in recipe.stages].index(stage.name)
        earlier = [s for s in recipe.stages[:idx] if not s.skip]
        return out_dir / earlier[-1].name / FINAL if earlier else None
    if init in [s.name for s in recipe.stages]:
        return out_dir / init / FINAL
    return Path(init)


def run_recipe(
    recipe: RecipeConfig,
    out_dir: str | Path,
    *,
    stages: list[str] | None = None,
    resume: bool = False,
    workers: int = 2,
    model_factory: ModelFactory | None = None,
    data_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Run (some of) a recipe's stages; returns and writes ``OUT/summary.json``. Generated datasets go
    to ``data_dir`` (default ``OUT/data``; an ablation shares one folder between its variants)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if int(os.environ.get("RANK", "0")) == 0:
        dump_config(recipe, out_dir / "recipe.yaml")
    t0 = time.time()
    to_run = _stages_to_run(recipe, stages)
    if recipe.distributed == "deepspeed" and len(to_run) > 1:
        raise ConfigError(
            "with DeepSpeed, run one stage per launch (DeepSpeed allows one engine per process): "
            f"add --stage NAME for one of {[s.name for s in to_run]}"
        )
    needed = {e.dataset for s in to_run for e in s.data} | {s.heldout for s in to_run if s.heldout}
    if any(_init_source(recipe, s, out_dir) is None for s in to_run):  # a fresh model trains its tokenizer
        needed |= set(recipe.model.get("tokenizer_corpus", []) if isinstance(recipe.model, dict) else [])
    from svemath.train.distributed import process_state
    from svemath.train.modeling import apply_stage_overrides, check_stage_overrides

    for stage in to_run:
        check_stage_overrides(stage.model_overrides)

    state = process_state(deepspeed=recipe.distributed == "deepspeed")
    with state.main_process_first():  # rank 0 generates; the others then find the datasets in place
        paths = prepare_datasets(recipe, Path(data_dir or out_dir / "data"), workers=workers, only=needed)
    factory = model_factory or default_model_factory
    summary_path = out_dir / "summary.json"
    summary: dict[str, Any] = read_json(summary_path) if (resume and summary_path.exists()) else {}
    summary.setdefault("recipe", recipe.name)
    summary.setdefault("stages", {})
    summary.setdefault("commit", git_commit())  # the code the run (first) trained with; the card quotes it
    # wall of the whole pipeline, summed over resumed invocations (a stage's time before its last
    # checkpoint is carried by that checkpoint; time after it is lost with the kill); "runs" counts the
    # invocations that completed a stage
    prior_wall = float(summary.get("wall_s") or 0.0)
    summary["runs"] = int(summary.get("runs") or 0) + 1
    model = processor = None
    loaded_from: Path | None = None  # where the in-memory model came from (a stage's FINAL dir)
    for stage in to_run:
        stage_dir = out_dir / stage.name
        if resume and (stage_dir / "result.json").exists():
            summary["stages"][stage.name] = read_json(stage_dir / "result.json")
            continue
        source = _init_source(recipe, stage, out_dir)
        if source is None:
            if model is None or stage.init_from == "none":
                model, processor = factory(recipe, out_dir, paths)
                loaded_from = None
        elif model is None or loaded_from != source:
            if not source.exists():
                raise ConfigError(f"stage {stage.name!r} starts from {source}, which does not exist")
            model, processor = load_stage_model(source)
        apply_stage_overrides(model, processor, stage.model_overrides)
        runner = StageRunner(recipe, stage, stage_dir)
        result: StageResult = runner.run(model, processor, paths, resume=resume)
        model = runner.accelerator.unwrap_model(model)
        loaded_from = stage_dir / FINAL
        summary["stages"][stage.name] = asdict(result)
        summary.setdefault("stage_commits", {})[stage.name] = git_commit()  # a resumed run may span commits
        prior_wall += result.resumed_wall_s  # an interrupted invocation's stage time, from its checkpoint
        summary["wall_s"] = round(prior_wall + time.time() - t0, 1)
        if state.is_main_process:
            write_json(summary_path, summary)
    summary["wall_s"] = round(prior_wall + time.time() - t0, 1)
    if state.is_main_process:
        write_json(summary_path, summary)
    return summary


def print_summary(summary: dict[str, Any]) -> None:
    for name, res in summary.get("stages", {}).items():
        metrics = ", ".join(f"{k}={v:.4g}" for k, v in list(res.get("metrics", {}).items())[:6])
        gate = {None: "", True: " gates: passed", False: " gates: NOT reached"}[res.get("gates_passed")]
        print(
            f"  {name:<10} {res['steps']:>6}/{res['total_steps']} steps  {res['wall_s']:>8.1f}s  "
            f"{res['stopped']}{gate}  {metrics}"
        )
    print(json.dumps({"wall_s": summary.get("wall_s")}))
