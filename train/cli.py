"""``svemath train --recipe RECIPE [--stage STAGE] --out DIR [--resume] [key=value ...]``."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="run a training recipe (all stages, or one with --stage)")
    p.add_argument("--recipe", required=True, help="built-in recipe name or a YAML file")
    p.add_argument("--stage", action="append", help="run only this stage (repeatable)")
    p.add_argument("--variant", action="append", help="ablation recipes: run only this variant (repeatable)")
    p.add_argument("--out", required=True, type=Path, help="run directory")
    p.add_argument("--resume", action="store_true", help="skip finished stages, continue the interrupted one")
    p.add_argument("--workers", type=int, default=2, help="data-generation worker processes")
    p.add_argument("--dry-run", action="store_true", help="resolve and print the recipe, train nothing")
    p.add_argument(
        "--world-size", type=int, default=None, help="ranks assumed by --dry-run's DeepSpeed configs"
    )
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. stages.instruct.steps=100")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import yaml

    from svemath.configs import to_dict
    from svemath.train.ablation import is_ablation, run_ablation
    from svemath.train.recipes import load_recipe, recipe_path

    path = recipe_path(args.recipe)
    if is_ablation(path):
        summary = run_ablation(path, args.out, args.overrides, workers=args.workers, only=args.variant)
        print((args.out / "ablation.md").read_text() if hasattr(args.out, "exists") else summary)
        return 0
    if args.variant:
        from svemath.errors import ConfigError

        raise ConfigError(f"--variant is for ablation recipes; {args.recipe} is a training recipe")
    recipe = load_recipe(args.recipe, args.overrides)
    if args.dry_run:
        print(yaml.safe_dump(to_dict(recipe), sort_keys=False))
        if recipe.distributed == "deepspeed":
            import json

            from svemath.train.distributed import deepspeed_config

            for stage in recipe.stages:
                cfg = deepspeed_config(
                    stage.deepspeed_config or recipe.deepspeed_config,
                    stage,
                    recipe.precision,
                    args.world_size,
                )
                print(f"# deepspeed config for stage {stage.name}:\n{json.dumps(cfg)}")
        return 0
    from svemath.train.pipeline import print_summary, run_recipe

    summary = run_recipe(recipe, args.out, stages=args.stage, resume=args.resume, workers=args.workers)
    print(f"recipe {recipe.name} -> {args.out}")
    print_summary(summary)
    return 0
