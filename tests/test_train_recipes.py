"""Recipes, overrides, launch scripts, and exact resume of a real (tiny) model stage."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import torch

from svemath.errors import ConfigError
from svemath.train.recipes import load_recipe, recipe_names

ROOT = Path(__file__).resolve().parents[1]


def test_every_builtin_recipe_resolves():
    names = recipe_names()
    assert {"quickstart", "tiny-release", "sve-math-qwen2.5-math-7b"} <= set(names)
    for name in names:
        recipe = load_recipe(name)
        assert recipe.stages, name


def test_stage_overrides_by_name():
    r = load_recipe("quickstart", ["stages.instruct.steps=7", "stages.instruct.lr.projector=5e-4", "seed=3"])
    assert r.stage("instruct").steps == 7 and r.stage("instruct").lr["projector"] == 5e-4 and r.seed == 3
    with pytest.raises(ConfigError, match="unknown stage 'nope'"):
        load_recipe("quickstart", ["stages.nope.steps=1"])
    with pytest.raises(ConfigError, match="unknown recipe"):
        load_recipe("no-such-recipe")


def test_paper_launch_script_dry_run():
    out = subprocess.run(
        ["bash", str(ROOT / "train" / "scripts" / "sve_math_7b.sh"), "--dry-run"],
        capture_output=True, text=True, timeout=300, env={"PATH": str(Path(__import__("sys").executable).parent) + ":/usr/bin:/bin", "NGPU": "8"},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout
    assert '"stage": 2' in text and '"stage": 3' in text  # ZeRO-2 align, ZeRO-3 instruct
    assert '"train_batch_size": 48' in text  # 6 per GPU x 8 GPUs, as the paper
    assert "language_model: 3.0e-05" in text and "projector: 1.0e-05" in text


def _tiny_recipe(steps: int):
    from svemath.train.config import DatasetSpec, MixEntry, RecipeConfig, StageConfig

    return RecipeConfig(
        name="resume-test", preset="tiny", precision="fp32", seed=5,
        model={"tokenizer_corpus": ["instruct"], "vocab_size": 320,
               "text": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                        "num_attention_heads": 2, "num_key_value_heads": 1}},
        datasets={"instruct": DatasetSpec(suite="instruct", n=24, seed=3, image_size=160)},
        stages=[StageConfig(
            name="instruct", objective="lm", trainable=["language_model", "router", "projector"],
            lr={"language_model": 1e-3, "router": 1e-3, "projector": 1e-3},
            data=[MixEntry("instruct")], steps=steps, batch_size=2, save_every=2, init_from="none",
        )],
    )  # fmt: skip


def test_real_model_resume_is_bit_identical(tmp_path, monkeypatch):
    from svemath.mllm import load_pretrained
    from svemath.train.obj_lm import LanguageModeling
    from svemath.train.pipeline import run_recipe

    run_recipe(_tiny_recipe(4), tmp_path / "straight", workers=1)
    calls = {"n": 0}
    original = LanguageModeling.collate

    def interrupting(self, examples):
        calls["n"] += 1
        if calls["n"] == 3:  # step 3 of 4: after the step-2 checkpoint
            raise KeyboardInterrupt
        return original(self, examples)

    monkeypatch.setattr(LanguageModeling, "collate", interrupting)
    with pytest.raises(KeyboardInterrupt):
        run_recipe(_tiny_recipe(4), tmp_path / "resumed", workers=1)
    monkeypatch.setattr(LanguageModeling, "collate", original)
    summary = run_recipe(_tiny_recipe(4), tmp_path / "resumed", resume=True, workers=1)
    assert summary["stages"]["instruct"]["steps"] == 4
    a, _ = load_pretrained(tmp_path / "straight" / "instruct" / "model")
    b, _ = load_pretrained(tmp_path / "resumed" / "instruct" / "model")
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k


def test_dataset_options_reach_the_suite_and_key_the_folder(tmp_path):
    import json

    from svemath.data.problem_suites import family_names
    from svemath.train.config import DatasetSpec, RecipeConfig
    from svemath.train.pipeline import prepare_datasets

    weights = {"family_weights": dict.fromkeys(family_names(), 0) | {"bar_value": 1}}
    spec = DatasetSpec(suite="instruct", n=4, seed=2, image_size=128)
    recipe = RecipeConfig(name="t", datasets={"d": spec}, stages=[])
    path = prepare_datasets(recipe, tmp_path, workers=1)["d"]
    first = (path / "data.jsonl").read_bytes()
    spec.options = weights
    prepare_datasets(recipe, tmp_path, workers=1)  # options changed: regenerated, not reused
    records = [json.loads(line) for line in (path / "data.jsonl").read_text().splitlines()]
    assert {r["meta"]["family"] for r in records} == {"bar_value"}
    assert json.loads((path / "manifest.json").read_text())["args"]["options"] == spec.options
    spec.options = {}
    prepare_datasets(recipe, tmp_path, workers=1)
    assert (path / "data.jsonl").read_bytes() == first  # no options: the draw of earlier versions
    with pytest.raises(ConfigError, match="generated datasets"):
        DatasetSpec(path="x", options=weights)
    with pytest.raises(ConfigError, match="mapping"):
        DatasetSpec(suite="instruct", n=1, options=[1])


def test_tokenizer_corpus_is_generated_only_for_a_fresh_model(tmp_path):
    from svemath.train.config import DatasetSpec
    from svemath.train.pipeline import run_recipe

    recipe = _tiny_recipe(1)
    recipe.model["tokenizer_corpus"] = ["instruct", "corpus"]
    recipe.datasets["corpus"] = DatasetSpec(suite="captions", n=4, seed=9, image_size=160)
    run_recipe(recipe, tmp_path / "fresh", workers=1)
    assert (tmp_path / "fresh" / "data" / "corpus" / "data.jsonl").exists()
    recipe.stages[0].init_from = str(tmp_path / "fresh" / "instruct" / "model")  # continues: no tokenizer
    summary = run_recipe(recipe, tmp_path / "continued", workers=1)
    assert summary["stages"]["instruct"]["steps"] == 1
    assert not (tmp_path / "continued" / "data" / "corpus").exists()
