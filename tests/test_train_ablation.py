"""The ablation runner (``svemath train --recipe ABLATION.yaml``): variants share the given towers and one
feature cache, train the later stages with equal budgets, and end in one table with paired differences."""

from __future__ import annotations

import json

import torch
import yaml
from safetensors.torch import load_file

from svemath.cli import main
from svemath.mllm import build_model
from svemath.mllm.presets import fallback_corpus

SMOKE = [
    "datasets.captions.n=16", "datasets.instruct.n=16", "datasets.heldout-dynamath.n=4",
    "stages.align.steps=1", "stages.instruct.steps=1", "stages.instruct.heldout_n=2",
    "stages.align.batch_size=4", "stages.instruct.batch_size=4", "stages.instruct.options.eval_max_new_tokens=4",
]  # fmt: skip


def _weights(model_dir, prefix):
    state = {}
    for f in sorted(model_dir.glob("*.safetensors")):
        state.update(load_file(str(f)))
    return {k: v for k, v in state.items() if k.startswith(prefix)}


def test_ablation_variants_take_the_given_towers_and_share_the_cache(tmp_path):
    torch.manual_seed(1)
    towers_model, proc = build_model("tiny", corpus=fallback_corpus())
    towers = tmp_path / "towers"
    towers_model.save_pretrained(towers)
    proc.save_pretrained(towers)
    recipe = {
        "kind": "ablation", "name": "ablation-test", "base": "quickstart", "towers": str(towers),
        "overrides": SMOKE, "variants": {"sve-soft": [], "clip-only": ["model.geoglip=null"]},
        "eval": {"synth-dynamath": 6}, "max_new_tokens": 4, "compare": [["sve-soft", "clip-only"]],
    }  # fmt: skip
    path = tmp_path / "ablation-test.yaml"
    path.write_text(yaml.safe_dump(recipe))
    out = tmp_path / "abl"
    # variants spread over two invocations (as over two processes): the second one tables both
    assert main(["train", "--recipe", str(path), "--out", str(out), "--variant", "sve-soft"]) == 0
    first = (out / "ablation.md").read_text()
    assert "| sve-soft |" in first and "| clip-only |" not in first
    assert main(["train", "--recipe", str(path), "--out", str(out), "--variant", "clip-only"]) == 0

    summary = json.loads((out / "ablation.json").read_text())
    assert summary["towers"] == str(towers) and set(summary["variants"]) == {"sve-soft", "clip-only"}
    assert not (out / "shared" / "geoglip").exists()  # the shared stages were not trained
    table = (out / "ablation.md").read_text()
    assert "| sve-soft |" in table and "| clip-only |" in table and "sve-soft - clip-only" in table
    assert summary["towers_sha256"][:16] in table
    # the variant's towers are the given ones (frozen through align + instruct), its LM is its own
    given = _weights(towers, "geoglip.")
    trained = _weights(out / "sve-soft" / "instruct" / "model", "geoglip.")
    assert given.keys() == trained.keys() and all(torch.equal(given[k], trained[k]) for k in given)
    assert not _weights(out / "clip-only" / "instruct" / "model", "geoglip.")
    # one cache folder for every variant, one file per (dataset, towers): SVE and CLIP-only differ
    files = sorted(p.name.split("-")[0] for p in (out / "cache").glob("*.safetensors"))
    assert files == ["captions", "captions", "instruct", "instruct"]


def test_ablation_rejects_unknown_variants(tmp_path, capsys):
    path = tmp_path / "abl.yaml"
    path.write_text(
        yaml.safe_dump({"kind": "ablation", "name": "a", "base": "quickstart", "variants": {"x": []}})
    )
    assert main(["train", "--recipe", str(path), "--out", str(tmp_path / "o"), "--variant", "y"]) != 0
    assert "unknown variant(s) ['y']; known: x" in capsys.readouterr().err
