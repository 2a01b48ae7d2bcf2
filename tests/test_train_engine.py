"""The training engine on a toy objective: exact resume, accumulation, gates, curriculum, checkpoints."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from svemath.train.config import CurriculumPhase, DatasetSpec, GateSpec, MixEntry, RecipeConfig, StageConfig
from svemath.train.engine import StageRunner
from svemath.train.objectives import OBJECTIVES, Objective, register_objective


class _Points:
    def __init__(self, n: int, seed: int, level_cycle=("read", "one-op")):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, 4, generator=g)
        self.y = self.x @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.1
        self._levels = [level_cycle[i % len(level_cycle)] for i in range(n)]

    def __len__(self):
        return len(self.x)

    def get(self, i):
        return {"x": self.x[i], "y": self.y[i], "level": self._levels[i], "index": i}

    def levels(self):
        return self._levels

    def lengths(self):
        return (self.x.abs().sum(1) * 100).int().tolist()


class ToyModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.body = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Dropout(0.2))
        self.head = torch.nn.Linear(16, 1)

    def forward(self, x):
        return self.head(self.body(x)).squeeze(-1)


SEEN: list[list[str]] = []


if "toy-regression" not in OBJECTIVES:

    @register_objective
    class ToyRegression(Objective):
        name = "toy-regression"

        def sources(self):
            if not hasattr(self, "_src"):
                self._src = {"a": _Points(64, 1), "b": _Points(32, 2)}
            return self._src

        def collate(self, examples):
            SEEN.append([e["level"] for e in examples])
            if self.stage.options.get("interrupt_at") == len(SEEN):
                raise KeyboardInterrupt
            return {
                "x": torch.stack([e["x"] for e in examples]),
                "y": torch.stack([e["y"] for e in examples]),
            }

        def loss(self, model, batch):
            pred = model(batch["x"])
            return torch.nn.functional.mse_loss(pred, batch["y"]), {}

        def evaluate(self, model):
            model.eval()
            src = self.sources()["b"]
            with torch.no_grad():
                err = torch.nn.functional.mse_loss(model(src.x), src.y).item()
            return {"mse": err, "score": 1.0 / (1.0 + err)}


def _recipe(**stage_kw) -> RecipeConfig:
    kw = dict(
        name="fit",
        objective="toy-regression",
        trainable=["body", "head"],
        lr={"body": 0.05, "head": 0.05},
        data=[MixEntry("a", 2.0), MixEntry("b", 1.0)],
        steps=8,
        batch_size=4,
        grad_accum=2,
        save_every=2,
        log_every=1,
    )
    kw.update(stage_kw)
    return RecipeConfig(
        name="toy",
        precision="fp32",
        seed=3,
        datasets={"a": DatasetSpec(path="unused-a"), "b": DatasetSpec(path="unused-b")},
        stages=[StageConfig(**kw)],
    )


def _run(tmp, recipe, resume=False, model=None):
    model = model or ToyModel()
    result = StageRunner(recipe, recipe.stages[0], tmp).run(model, None, {}, resume=resume)
    return model, result


@pytest.mark.parametrize("group", [0, 4])
def test_resume_is_bit_identical(tmp_path, group):
    straight, res = _run(tmp_path / "a", _recipe(group_by_length=group))
    assert res.steps == 8 and res.stopped == "completed"
    assert res.precision == "fp32" and "CPU" in res.hardware and "native bf16" in res.hardware
    SEEN.clear()
    with pytest.raises(KeyboardInterrupt):  # dies during micro-batch 11 = step 6 (after the step-4 save)
        _run(tmp_path / "b", _recipe(options={"interrupt_at": 11}, group_by_length=group))
    ckpt = json.loads((tmp_path / "b" / "checkpoint" / "trainer.json").read_text())
    assert ckpt["step"] == 4 and ckpt["wall_s"] > 0
    resumed, res2 = _run(tmp_path / "b", _recipe(group_by_length=group), resume=True, model=ToyModel())
    assert res2.steps == 8
    # the stage's wall time counts the interrupted invocation's part (carried by its checkpoint)
    assert res2.resumed_wall_s == ckpt["wall_s"] and res2.wall_s >= ckpt["wall_s"]
    for (name, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), name
    # the final model and the checkpoint are safetensors and load back
    final = load_file(str(tmp_path / "a" / "model" / "model.safetensors"))
    assert torch.equal(final["head.weight"], straight.head.weight)


def test_training_reduces_loss_and_logs(tmp_path):
    _, res = _run(tmp_path, _recipe(steps=60, heldout="b", eval_every=20))
    rows = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in rows if "loss" in r]
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    assert any("eval/mse" in r for r in rows)
    assert (tmp_path / "curves.png").stat().st_size > 1000
    assert res.metrics["mse"] < 1.0


def test_gate_stops_early_and_reports(tmp_path):
    _, res = _run(
        tmp_path / "g", _recipe(steps=200, heldout="b", eval_every=10, gates=[GateSpec("score", 0.2)])
    )
    assert res.stopped == "gate" and res.gates_passed and res.steps < 200
    _, res = _run(
        tmp_path / "n", _recipe(steps=20, heldout="b", eval_every=10, gates=[GateSpec("score", 2.0)])
    )
    assert res.stopped == "completed" and res.gates_passed is False


def test_curriculum_phases_select_levels(tmp_path):
    SEEN.clear()
    _run(
        tmp_path,
        _recipe(steps=10, curriculum=[CurriculumPhase(0.0, ["read"]), CurriculumPhase(0.5, ["one-op"])]),
    )
    first, last = SEEN[: 5 * 2], SEEN[5 * 2 :]
    assert all(lv == "read" for batch in first for lv in batch)
    assert all(lv == "one-op" for batch in last for lv in batch)


def test_unknown_module_lists_known(tmp_path):
    from svemath.errors import ConfigError

    with pytest.raises(ConfigError, match="top-level modules: \\['body', 'head'\\]"):
        _run(tmp_path, _recipe(trainable=["bodyy"], lr={"bodyy": 0.1}))
