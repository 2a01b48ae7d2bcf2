"""``svemath bench generate`` runs end to end and reports what it promises (small settings)."""

import json

import pytest


@pytest.mark.slow  # builds two models and generates: ~30 s on 2 busy cores
def test_bench_generate_smoke(tmp_path):
    from svemath.cli import main

    out = tmp_path / "bench.json"
    argv = ["bench", "generate", "--out", str(out), "--batch-size", "3", "--new-tokens", "3", "--repeats", "1",
            "--no-presets"]  # fmt: skip
    assert main(argv) == 0
    data = json.loads(out.read_text())
    gen, fwd = data["generation"], data["forward"]
    assert gen["batched_tokens_per_s"] > 0 and gen["loop_tokens_per_s"] > 0
    assert gen["speedup"] == pytest.approx(gen["loop_s"] / gen["batched_s"], rel=0.05)
    assert fwd["sve_s"] > 0 and fwd["clip_only_s"] > 0 and fwd["train_step_s"] > 0
    assert data["memory"]["peak_rss_mb"] > 100
    assert data["parameters"]["clip_only"]["all"]["total"] < data["parameters"]["sve"]["all"]["total"]
    assert set(data["summary"]) >= {"generation_speedup", "sve_over_clip_only_forward", "peak_rss_mb"}


def test_share_llm_builds_clip_only_around_the_same_llm():
    """``--share-llm``: one LLM object in both models, so the forward ratio isolates the vision side."""
    import torch

    from svemath.mllm.bench import _models
    from svemath.mllm.testing import diagram

    sve, _, clip_only, clip_processor = _models("tiny", torch.float32, share_llm=True)
    assert clip_only.language_model is sve.language_model and clip_only.geoglip is None
    convs = [[{"from": "human", "value": "How many circles?"}, {"from": "gpt", "value": "3"}]]
    with torch.no_grad():
        out = clip_only(**clip_processor(conversations=convs, images=[diagram(0)]))
    assert torch.isfinite(out.loss)
