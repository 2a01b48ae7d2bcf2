"""save_pretrained / from_pretrained round trips (safetensors), Auto-class loading, and the presets:
real presets built from a local Qwen2 checkpoint, meta-device parameter counts, the summary command."""

import json
import subprocess
import sys

import pytest
import torch
from transformers import AutoModelForImageTextToText, Qwen2Config, Qwen2ForCausalLM

import svemath.mllm  # noqa: F401  (registers the Auto classes)
from svemath.errors import CheckpointError, ConfigError, UnknownNameError
from svemath.mllm.model import SVEMathForConditionalGeneration
from svemath.mllm.presets import build_meta_model, build_model, load_pretrained, save_pretrained
from svemath.mllm.testing import diagram, small_tokenizer, tiny_test_model
from svemath.mllm.trainable import count_parameters

CONV = [
    {"from": "human", "value": "<image>\nHow many circles?"},
    {"from": "gpt", "value": "There are 2 circles."},
]


@pytest.mark.parametrize("geoglip", [True, False])
def test_round_trip_identical_logits_and_auto_class(tmp_path, geoglip):
    model, processor = tiny_test_model(geoglip=geoglip, seed=3)
    with torch.no_grad():  # make the projector non-trivial so a missed weight would show
        for p in model.projector.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    save_pretrained(model, processor, tmp_path)
    assert (tmp_path / "model.safetensors").is_file() and not list(tmp_path.glob("*.bin"))
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["model_type"] == "svemath" and saved["clip"]["pretrained"] is None
    batch = processor(conversations=[CONV, CONV], images=[diagram(0), diagram(1)])
    loaded = AutoModelForImageTextToText.from_pretrained(tmp_path)
    assert isinstance(loaded, SVEMathForConditionalGeneration)
    reloaded, processor2 = load_pretrained(tmp_path)
    assert reloaded.processor is processor2
    with torch.no_grad():
        ref = model(**batch)
        for other in (loaded.eval(), reloaded):
            out = other(**batch)
            assert torch.equal(ref.logits, out.logits)
            if geoglip:
                assert torch.equal(ref.gates, out.gates)
    # non-persistent buffers (open_clip's text attention mask) are recomputed, not left uninitialised
    assert torch.equal(loaded.clip.model.attn_mask, model.clip.model.attn_mask)
    assert torch.equal(loaded.clip.encode_text(["circle"]), model.clip.encode_text(["circle"]))
    assert not loaded.clip.training and loaded.clip.frozen
    towers = [loaded.clip] + ([loaded.geoglip] if geoglip else [])
    assert not any(p.requires_grad for t in towers for p in t.parameters())  # still frozen after loading


def test_weights_that_do_not_match_the_config_raise(tmp_path):
    from safetensors.torch import load_file, save_file

    model, processor = tiny_test_model(geoglip=True)
    save_pretrained(model, processor, tmp_path)
    weights = load_file(tmp_path / "model.safetensors")
    key = next(k for k in weights if k.startswith("projector."))
    weights[key.replace("projector.", "projector_old.")] = weights.pop(key)  # a renamed module
    save_file(weights, tmp_path / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(CheckpointError, match=f"missing keys: \\['{key}'\\]; unexpected keys"):
        load_pretrained(tmp_path)
    _, info = SVEMathForConditionalGeneration.from_pretrained(tmp_path, output_loading_info=True)
    assert info["missing_keys"] and info["unexpected_keys"]  # asked for: the caller decides
    weights[key] = weights.pop(key.replace("projector.", "projector_old."))[
        ..., :1
    ].contiguous()  # wrong shape
    save_file(weights, tmp_path / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(CheckpointError, match="mismatched keys"):
        load_pretrained(tmp_path)
    SVEMathForConditionalGeneration.from_pretrained(tmp_path, ignore_mismatched_sizes=True)  # asked for


def test_bfloat16_round_trip_keeps_rope_in_float32(tmp_path):
    model, processor = tiny_test_model(geoglip=False, seed=5, dtype=torch.bfloat16)
    assert next(model.projector.parameters()).dtype == torch.bfloat16
    rope = model.language_model.model.rotary_emb.inv_freq
    assert rope.dtype == torch.float32  # built like transformers builds, not cast with .to(bf16)
    save_pretrained(model, processor, tmp_path)
    loaded, _ = load_pretrained(tmp_path)
    batch = processor(conversations=[CONV], images=[diagram(0)])
    with torch.no_grad():
        assert torch.equal(model(**batch).logits, loaded(**batch).logits)


@pytest.mark.slow  # a fresh interpreter imports torch + transformers: ~15 s
def test_auto_class_after_plain_package_import(tmp_path):
    model, processor = tiny_test_model(geoglip=False, seed=4)
    save_pretrained(model, processor, tmp_path)
    code = (
        "import svemath.mllm, sys\n"
        "assert 'transformers' not in sys.modules\n"  # the package import stays light
        "from transformers import AutoModelForImageTextToText\n"
        f"m = AutoModelForImageTextToText.from_pretrained({str(tmp_path)!r})\n"
        "print(type(m).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("SVEMathForConditionalGeneration")


def _tiny_qwen2_dir(tmp_path):
    torch.manual_seed(7)
    tokenizer = small_tokenizer()
    tokenizer.chat_template = None  # a real Qwen tokenizer brings its own; check ours gets set when missing
    cfg = Qwen2Config(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, vocab_size=len(tokenizer) - 1)  # fmt: skip
    llm = Qwen2ForCausalLM(cfg)
    path = tmp_path / "qwen2-tiny"
    llm.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path, llm


def test_real_preset_from_local_qwen2(tmp_path):
    path, llm = _tiny_qwen2_dir(tmp_path)
    model, processor = build_model("qwen2.5-0.5b", llm=str(path), vision="tiny", router={"hidden_size": 32})
    assert model.config.text_config.hidden_size == 64
    got = dict(model.language_model.named_parameters())
    for name, tensor in llm.named_parameters():
        if name in ("model.embed_tokens.weight", "lm_head.weight"):
            rows = tensor.shape[0]
            assert got[name].shape[0] >= len(processor.tokenizer) > rows - 1  # grown, never shrunk
            assert torch.equal(got[name][:rows], tensor)
        else:
            assert torch.equal(got[name], tensor), name
    assert processor.tokenizer.chat_template  # set when missing
    out = model(**processor(conversations=[CONV], images=[diagram(0)]))
    assert torch.isfinite(out.loss)
    assert model.config.num_image_tokens == model.clip.grid_size**2  # real presets: no token merge


def test_presets_errors():
    with pytest.raises(UnknownNameError, match="tiny"):
        build_model("qwen9")
    with pytest.raises(ConfigError, match="unknown build_model override"):
        build_model("tiny", hidden=3)


def test_meta_parameter_counts_of_real_presets():
    counts = {name: count_parameters(build_meta_model(name)) for name in ("qwen2.5-0.5b", "qwen2.5-math-7b")}
    assert counts["qwen2.5-0.5b"]["language_model"]["total"] == 494_032_768  # Qwen2.5-0.5B
    assert 7.6e9 < counts["qwen2.5-math-7b"]["language_model"]["total"] < 7.7e9
    # the paper's projector: Linear(5*1024 -> 3584) -> GELU -> Linear(3584 -> 3584)
    assert counts["qwen2.5-math-7b"]["projector"]["total"] == 5120 * 3584 + 3584 + 3584 * 3584 + 3584
    model = build_meta_model("qwen2.5-math-7b")
    assert model.config.num_image_tokens == 576 and model.projector.in_dim == 1024 + 4 * 1024
    assert counts["qwen2.5-math-7b"]["clip"]["trainable"] == 0


def test_summary_command_writes_json(tmp_path, capsys):
    from svemath.cli import main

    out = tmp_path / "summary.json"
    assert main(["model", "summary", "--preset", "tiny", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["num_image_tokens"] == 25 + 24 and data["parameters"]["projector"]["trainable"] > 0
    assert 5e6 < data["parameters"]["all"]["total"] < 10e6
    printed = capsys.readouterr().out
    assert "GeoGLIP" in printed and "LLM" in printed
