"""Ablations at tiny scale: one recipe, several model variants, equal budgets and seeds, one table.

An ablation YAML (``kind: ablation``) names a ``base`` recipe, the ``shared`` stages trained once and
reused by every variant (CLIP and GeoGLIP pretraining: the variants differ in what comes after) or,
with ``towers: DIR`` (``default``: the shipped embedded model), a trained model whose CLIP and GeoGLIP
every variant takes instead of training the shared stages (so that the variants compare what the LM
makes of well-trained towers, not of a few minutes of pretraining), the
overrides every variant gets (budgets), the variants (override lists) and the held-out suites. Each
variant is built fresh from the preset with its overrides, takes the shared towers' weights, runs the
remaining stages with the same data, seed and steps, and is evaluated by the evaluation package (plain
prompt, greedy; the ``blind`` variant trains and is evaluated on blanked images). ``OUT/ablation.md``
tables accuracy per suite with 95% bootstrap CIs over groups and paired differences between variants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from svemath.configs import from_dict, load_yaml
from svemath.errors import ConfigError
from svemath.fileio import atomic_write_text, write_json


@dataclass
class AblationConfig:
    name: str
    base: str  # recipe name or path
    variants: dict[str, list[str]]
    kind: str = "ablation"
    shared: list[str] = field(default_factory=lambda: ["clip", "geoglip"])
    towers: str | None = None  # model dir (or "default": the shipped model) giving every variant its towers
    overrides: list[str] = field(default_factory=list)
    blind: list[str] = field(default_factory=list)  # variants trained and evaluated on blanked images
    eval: dict[str, int] = field(default_factory=lambda: {"synth-dynamath": 300})
    eval_seed: int = 8001
    compare: list[list[str]] = field(default_factory=list)  # [a, b] pairs: paired accuracy a - b
    max_new_tokens: int = 160  # generation cap of the evaluation
    description: str = ""


def is_ablation(path: Path) -> bool:
    return path.suffix in (".yaml", ".yml") and load_yaml(path).get("kind") == "ablation"


def run_ablation(
    path: Path,
    out: Path,
    overrides: list[str] | None = None,
    workers: int = 2,
    only: list[str] | None = None,
) -> dict[str, Any]:
    """Train and evaluate the variants (``only``: just these; the others enter the table when a run in the
    same ``out`` has evaluated them, so variants can be spread over parallel processes)."""
    from svemath.data.generate import generate_dataset
    from svemath.train.pipeline import run_recipe
    from svemath.train.quickstart import _evaluate, paired_gain
    from svemath.train.recipes import load_recipe

    cfg = from_dict(AblationConfig, load_yaml(path), where=f"ablation {path.stem}")
    unknown = sorted(set(only or []) - set(cfg.variants))
    if unknown:
        raise ConfigError(
            f"ablation {cfg.name}: unknown variant(s) {unknown}; known: {', '.join(cfg.variants)}"
        )
    common = [*cfg.overrides, *(overrides or [])]
    shared_out = out / "shared"
    base = load_recipe(cfg.base, common)
    if cfg.towers is not None:
        towers = _towers_dir(cfg.towers)
    else:
        run_recipe(base, shared_out, stages=cfg.shared, resume=True, workers=workers)
        towers = shared_out / cfg.shared[-1] / "model"
    later = [s.name for s in base.stages if s.name not in cfg.shared and not s.skip]
    data = {}
    for k, (suite, n) in enumerate(cfg.eval.items()):
        data[suite] = out / "eval-data" / suite
        if not (data[suite] / "manifest.json").is_file():
            generate_dataset(
                suite, n=n, seed=cfg.eval_seed + k, out=data[suite], workers=workers, overwrite=True
            )
    results: dict[str, dict[str, Any]] = {}
    for name, var in cfg.variants.items():
        if only and name not in only:
            done = {s: _read_headline(out / "eval" / s / name) for s in data}
            if all(v is not None for v in done.values()):
                results[name] = done
            continue
        weights = [f"model.weights_from.clip={towers}"]
        if not any(o.replace(" ", "") in ("model.geoglip=null", "model.geoglip=None") for o in var):
            weights.append(f"model.weights_from.geoglip={towers}")
        recipe = load_recipe(cfg.base, [*common, *var, *weights, f"stages.{later[0]}.init_from=none",
                                        f"cache_dir={out / 'cache'}"])  # fmt: skip
        run_recipe(
            recipe, out / name, stages=later, resume=True, workers=workers, data_dir=shared_out / "data"
        )
        model_dir = str(out / name / later[-1] / "model")
        results[name] = {}
        for suite, path_ in data.items():
            metrics = _evaluate(model_dir, suite, path_, out / "eval" / suite / name, blank=name in cfg.blind,
                                max_new=cfg.max_new_tokens)  # fmt: skip
            results[name][suite] = metrics.get("headline", {}).get("robust", {})
    pairs = {}
    for a, b in cfg.compare:
        if a not in results or b not in results:
            continue
        for suite in data:
            pairs[f"{a} - {b} ({suite})"] = paired_gain(
                out / "eval" / suite / a, out / "eval" / suite / b, level=None
            )
    summary = {
        "name": cfg.name,
        "variants": results,
        "paired": pairs,
        "eval": cfg.eval,
        "eval_seed": cfg.eval_seed,
        "towers": str(towers),
        "towers_sha256": towers_fingerprint(towers),
    }
    write_json(out / "ablation.json", summary)
    atomic_write_text(out / "ablation.md", render_table(cfg, results, pairs, summary))
    return summary


def _read_headline(run_dir: Path) -> dict[str, Any] | None:
    """The robust headline of an evaluated variant (``metrics.json`` of the evaluation runner), or None."""
    from svemath.fileio import read_json

    file = run_dir / "metrics.json"
    return read_json(file).get("headline", {}).get("robust", {}) if file.is_file() else None


def towers_fingerprint(model_dir: Path) -> str:
    """sha256 over a model directory's weight files (which towers a table was made with, even after the
    shipped model at the same path is replaced)."""
    import hashlib

    from svemath.fileio import sha256_file

    h = hashlib.sha256()
    for f in sorted(Path(model_dir).glob("*.safetensors")):
        h.update(sha256_file(f).encode())
    return h.hexdigest()


def _towers_dir(spec: str) -> Path:
    from svemath.mllm.presets import default_model_dir

    path = default_model_dir(required=True) if spec == "default" else Path(spec)
    if not path.is_dir():
        raise ConfigError(f"ablation towers: {path} is not a model directory")
    return path


def _acc(block: dict[str, Any]) -> tuple[Any, Any]:
    for key in ("accuracy", "avg", "all"):
        if key in block:
            return block[key], block.get(f"{key}_ci")
    return None, None


def render_table(
    cfg: AblationConfig,
    results: dict[str, dict[str, Any]],
    pairs: dict[str, Any],
    summary: dict | None = None,
) -> str:
    suites = list(cfg.eval)
    towers = ""
    if summary:
        towers = f"Towers (CLIP + GeoGLIP) of every variant: `{summary['towers']}` (weights sha256 " \
                 f"{summary['towers_sha256'][:16]}); held-out seeds from {cfg.eval_seed}."  # fmt: skip
    lines = [f"# Ablation {cfg.name}", "", cfg.description, "", towers, "",
             "Held-out accuracy (%, robust scoring, greedy, plain prompt) with 95% bootstrap CIs over groups; "
             "DynaMath: average case; MathVerse: All.", "",
             "| variant | " + " | ".join(suites) + " |", "|---" * (len(suites) + 1) + "|"]  # fmt: skip
    for name, per_suite in results.items():
        cells = []
        for suite in suites:
            acc, ci = _acc(per_suite.get(suite, {}))
            cells.append(
                "–"
                if acc is None
                else f"{100 * acc:.1f}" + (f" [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]" if ci else "")
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if pairs:
        lines += ["", "## Paired differences (points, 95% paired bootstrap CI over groups)", "",
                  "| comparison | n | difference |", "|---|---|---|"]  # fmt: skip
        for label, g in pairs.items():
            if g.get("n"):
                ci = g.get("gain_ci")
                ci_text = f" [{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]" if ci else ""
                lines.append(f"| {label} | {g['n']} | {100 * g['gain']:+.1f}{ci_text} |")
    return "\n".join(lines) + "\n"
