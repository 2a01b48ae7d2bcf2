"""Two CPU ranks: plain accelerate DDP over gloo (in CI) and DeepSpeed ZeRO-2 / ZeRO-3 (slow; need the
``deepspeed`` extra). Each trains a few steps of real stages, saves, and the saved model loads."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

RECIPE = """
name: multiproc-test
preset: tiny
seed: 0
precision: fp32
{extra}
model:
  tokenizer_corpus: [instruct]
  vocab_size: 384
  text: {{hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 2,
          num_key_value_heads: 1}}
datasets:
  primitives: {{suite: primitives, n: 8, seed: 2, image_size: 192}}
  instruct: {{suite: instruct, n: 16, seed: 3, image_size: 192}}
stages:
  - name: geoglip
    objective: geoglip
    trainable: [geoglip]
    lr: {{geoglip: 1.0e-3}}
    data: [{{dataset: primitives}}]
    steps: 2
    batch_size: 2
    init_from: none
  - name: instruct
    objective: lm
    trainable: [language_model, router, projector]
    lr: {{language_model: 1.0e-3, router: 1.0e-3, projector: 1.0e-3}}
    data: [{{dataset: instruct}}]
    steps: 2
    batch_size: 2
    cache_features: true
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(tmp: Path, extra: str, stages: list[list[str]]) -> Path:
    recipe = tmp / "recipe.yaml"
    recipe.write_text(RECIPE.format(extra=extra))
    out = tmp / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "DS_ACCELERATOR": "cpu"}
    for stage_args in stages:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
               "--master_port", str(_free_port()), "-m", "svemath.cli", "train", "--recipe", str(recipe),
               "--out", str(out), *stage_args]  # fmt: skip
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def _check_loads(out: Path) -> None:
    import torch

    from svemath.mllm import load_pretrained

    model, processor = load_pretrained(out / "instruct" / "model")
    assert all(p.numel() > 0 for p in model.parameters())  # ZeRO-3 shards were gathered
    ids = processor.encode_generation_prompt("2+3?")["input_ids"]
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids])).logits
    assert torch.isfinite(logits).all()


def test_ddp_two_cpu_ranks(tmp_path):
    out = _launch(tmp_path, "", [[]])
    assert (out / "geoglip" / "result.json").is_file() and (out / "instruct" / "result.json").is_file()
    assert (out / "instruct" / "checkpoint" / "trainer.json").is_file()
    _check_loads(out)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("deepspeed") is None, reason="needs the deepspeed extra")
@pytest.mark.parametrize("zero", ["zero2", "zero3"])
def test_deepspeed_two_cpu_ranks(tmp_path, zero):
    extra = f"distributed: deepspeed\ndeepspeed_config: {zero}"
    out = _launch(tmp_path, extra, [["--stage", "geoglip"], ["--stage", "instruct"]])
    assert (out / "instruct" / "checkpoint" / "deepspeed").is_dir()
    _check_loads(out)
