"""The shipped embedded default (``svemath/assets/tiny-release``) loads and answers as its card says, and
``svemath release`` stores weights in bf16 shards that load back as float32."""

from __future__ import annotations

import json

import pytest
import torch

from svemath.mllm.presets import build_model, default_model_dir, load_pretrained
from svemath.train.release import MAX_TOTAL_BYTES, write_weights

SHIPPED = default_model_dir(required=False)


def test_release_weights_are_bf16_shards_loaded_as_float32(tmp_path):
    model, processor = build_model("tiny")
    src = tmp_path / "src"
    model.save_pretrained(src)
    processor.save_pretrained(src)
    info = write_weights(src, tmp_path / "rel")
    assert info["parameters"] == sum(p.numel() for p in model.parameters())
    assert info["total_bytes"] <= MAX_TOTAL_BYTES
    assert all(size <= 16 * 1024 * 1024 for size in info["shards"].values())
    assert json.loads((tmp_path / "rel" / "config.json").read_text())["dtype"] == "float32"
    loaded, _ = load_pretrained(tmp_path / "rel")
    assert loaded.dtype == torch.float32
    ref = dict(model.named_parameters())
    for name, p in loaded.named_parameters():
        assert torch.equal(p, ref[name].detach().to(torch.bfloat16).float()), name


@pytest.mark.skipif(SHIPPED is None, reason="this build ships no embedded default model")
def test_shipped_model_matches_its_card(tmp_path):
    from svemath.data.generate import generate_dataset
    from svemath.train.heldout import heldout_accuracy

    card = json.loads((SHIPPED / "card.json").read_text())
    assert (SHIPPED / "README.md").is_file() and (SHIPPED / "recipe.yaml").is_file()
    total = sum(f.stat().st_size for f in SHIPPED.iterdir() if f.is_file())
    assert total <= MAX_TOTAL_BYTES
    for suite, entry in card["evaluation"]["suites"].items():  # the card's own claim: above blind
        assert entry["model"]["accuracy"] > entry["blind"]["accuracy"], suite
    check = card["evaluation"]["check"]
    data = tmp_path / "check"
    generate_dataset(check["suite"], n=check["n"], seed=check["seed"], out=data, workers=1, progress=False)
    model, processor = load_pretrained(SHIPPED)
    assert model.dtype == torch.float32
    tools = card["evaluation"].get("generation", {})  # the tools the card's numbers were measured with
    acc = heldout_accuracy(model, processor, data, n=check["n"], max_new_tokens=check["max_new_tokens"],
                           choice_tool=tools.get("choice_tool", False))  # fmt: skip
    assert abs(acc["accuracy"] - check["accuracy"]) <= 0.05, (acc["accuracy"], check["accuracy"])


def test_card_training_time_never_claims_less_than_the_stages():
    from svemath.train.release import _training_time

    assert _training_time({"stages_wall_s": 600.0, "wall_s": 900.0}) == (
        "10.0 min in the training stages, 15.0 min for the whole `svemath train` (data, feature caches, stages)"
    )
    resumed = _training_time({"stages_wall_s": 6456.0, "wall_s": 5032.0})
    assert resumed.startswith("107.6 min in the training stages") and "not on record" in resumed


def test_card_hardware_names_the_machine_and_precision_of_the_stages():
    from svemath.train.engine import stages_hardware

    cpu = "x86_64 CPU, 2 cores, native bf16: no"
    stages = {
        "geoglip": {"hardware": cpu, "precision": "fp32"},
        "instruct": {"hardware": cpu, "precision": "fp32"},
    }
    assert stages_hardware(stages) == f"{cpu}, fp32"
    stages["instruct"] = {"hardware": "1 x NVIDIA H200 (cuda)", "precision": "bf16"}
    assert stages_hardware(stages) == f"1 x NVIDIA H200 (cuda), bf16; {cpu}, fp32"
    assert "precision not recorded" in stages_hardware({"clip": {"wall_s": 3.0}})


def _evaluation(acc: float, choice_tool: bool) -> dict:
    suite = {"seed": 8001, "n": 10, "model": {"accuracy": acc, "ci": [0.0, 1.0]},
             "blind": {"accuracy": 0.1, "ci": [0.0, 0.5]}, "read_gain": {}}  # fmt: skip
    check = {"suite": "synth-dynamath", "n": 40, "seed": 8101, "max_new_tokens": 8, "accuracy": acc,
             "blind_accuracy": 0.1}  # fmt: skip
    return {"suites": {"synth-dynamath": suite}, "check": check, "prompt_style": "plain",
            "generation": {"calculator": True, "choice_tool": choice_tool}}  # fmt: skip


def test_reevaluate_rewrites_the_card_and_keeps_the_weights(tmp_path, monkeypatch):
    """`svemath release --reevaluate DIR`: new numbers and tools in card.json / README.md, the earlier
    headline kept in ``reevaluations``, the weights byte-identical; --no-choice-tool reaches the evaluation."""
    from svemath.cli import main
    from svemath.fileio import sha256_file
    from svemath.train import release
    from svemath.train.release import write_card

    model, processor = build_model("tiny")
    src, rel = tmp_path / "src", tmp_path / "rel"
    model.save_pretrained(src)
    processor.save_pretrained(src)
    weights = write_weights(src, rel)
    training = {"wall_s": 60.0, "stages_wall_s": 50.0, "hardware": "test CPU", "stages": {}}
    card = {"recipe": "tiny-test", "seed": 0, "svemath_version": "0", "commit": "c0", "data": {},
            "weights": weights, "training": training, "evaluation": _evaluation(0.2, False)}  # fmt: skip
    del card["evaluation"]["generation"]  # a card from before the tools were recorded
    write_card(rel, card)
    assert "greedy with the calculator," in (rel / "README.md").read_text()
    shas = {f.name: sha256_file(f) for f in rel.glob("*.safetensors")}
    asked = []

    def fake(dest, work, *, workers, max_new, scale, choice_tool=True):
        asked.append(choice_tool)
        return _evaluation(0.3, choice_tool)

    monkeypatch.setattr(release, "evaluate_release", fake)
    assert main(["release", "--reevaluate", str(rel), "--work", str(tmp_path / "w")]) == 0
    new = json.loads((rel / "card.json").read_text())
    assert asked == [True] and new["evaluation"]["generation"]["choice_tool"] is True
    assert new["evaluation"]["suites"]["synth-dynamath"]["model"]["accuracy"] == 0.3
    (entry,) = new["reevaluations"]
    assert entry["previous"] == {"synth-dynamath": {"model": 0.2, "blind": 0.1}}
    assert entry["previous_generation"] == {"calculator": True, "choice_tool": False}
    text = (rel / "README.md").read_text()
    assert "greedy with the calculator and the choice tool" in text and "Re-evaluated " in text
    assert "synth-dynamath 20.0 (blind 10.0)" in text and "--reevaluate DIR" in text
    assert {f.name: sha256_file(f) for f in rel.glob("*.safetensors")} == shas
    assert not (tmp_path / "rel.partial").exists() and not (tmp_path / "rel.old").exists()
    assert main(["release", "--reevaluate", str(rel), "--no-choice-tool", "--work", str(tmp_path / "w")]) == 0
    assert asked == [True, False] and len(json.loads((rel / "card.json").read_text())["reevaluations"]) == 2
    assert main(["release", "--reevaluate", str(tmp_path / "src"), "--work", str(tmp_path / "w")]) == 1


def test_release_of_a_continued_model_names_its_base(tmp_path, monkeypatch):
    """A run whose first stage starts from a released folder: the new card carries that release's card
    (recipe, commits, data, training) as ``base``, and its README says so and how to rebuild it."""
    import yaml

    from svemath.cli import main
    from svemath.train import release
    from svemath.train.release import write_card

    model, processor = build_model("tiny")
    base_dir, run = tmp_path / "base", tmp_path / "run"
    model.save_pretrained(run / "more" / "model")
    processor.save_pretrained(run / "more" / "model")
    weights = write_weights(run / "more" / "model", base_dir)
    training = {"wall_s": 600.0, "stages_wall_s": 500.0, "hardware": "test CPU", "stages": {"instruct": {}}}
    base_card = {"recipe": "tiny-base", "seed": 0, "svemath_version": "0", "commit": "c0", "training_commit": "t0",
                 "data": {"instruct": {"suite": "instruct", "n": 10, "seed": 3}}, "weights": weights,
                 "training": training, "evaluation": _evaluation(0.2, True),
                 "model_overrides": {"instruct": {"label_slots": 40}}}  # fmt: skip
    write_card(base_dir, base_card)
    fresh = {"suite": "instruct", "n": 10, "seed": 4, "options": {"family_weights": {"a": 1.0, "b": 0.5}}}
    recipe = {"name": "tiny-more", "seed": 0, "datasets": {"fresh": fresh},
              "stages": [{"name": "more", "init_from": str(base_dir), "model_overrides": {"label_slots": 64}}]}  # fmt: skip
    (run / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    summary = {"commit": "t1", "wall_s": 120.0, "runs": 1,
               "stages": {"more": {"steps": 5, "wall_s": 100.0, "hardware": "test CPU", "precision": "fp32"}}}  # fmt: skip
    (run / "summary.json").write_text(json.dumps(summary))
    monkeypatch.setattr(
        release, "evaluate_release", lambda *a, choice_tool=True, **k: _evaluation(0.3, choice_tool)
    )
    out = tmp_path / "out"
    assert main(["release", "--run", str(run), "--out", str(out), "--work", str(tmp_path / "w")]) == 0
    card = json.loads((out / "card.json").read_text())
    assert card["recipe"] == "tiny-more" and card["base"]["recipe"] == "tiny-base"
    assert card["base"]["training_commit"] == "t0" and card["base"]["data"]["instruct"]["seed"] == 3
    text = (out / "README.md").read_text()
    assert "continued from the released (bf16) weights of `tiny-base` (trained at commit `t0`" in text
    assert "# BASE: the `tiny-base` release this continues (released from commit c0" in text
    # the lineage names what changed the data and the model: suite options and model overrides
    assert card["data"]["fresh"]["options"] == fresh["options"] and card["model_overrides"] == {
        "more": {"label_slots": 64}
    }
    assert (
        "`fresh` (instruct, n=10, seed 4, family_weights (2 entries)); model overrides more: label_slots=64"
        in text
    )
    assert "seed 3); model overrides instruct: label_slots=40)" in text
    assert "svemath train --recipe recipe.yaml --out runs/tiny-more stages.more.init_from=BASE" in text
