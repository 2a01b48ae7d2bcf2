"""The ``prm`` stage through the training engine: the loss falls on a tiny overfit set (mode B), mode A
and soft targets run, held-out step metrics are reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from svemath.errors import ConfigError
from svemath.mllm.testing import diagram, tiny_test_model
from svemath.train.config import DatasetSpec, MixEntry, OptimSpec, RecipeConfig, StageConfig
from svemath.train.engine import StageRunner

# '+' iff no step so far says "wrong": learnable from the step texts alone, in a few steps
SOLS = [
    (["The circles are right.", "Answer: 3"], [1, 1], [0.75, 1.0]),
    (["The circles are wrong.", "Answer: 5"], [0, 0], [0.0, 0.0]),
    (["The angle is right.", "It is wrong.\nAnswer: 149"], [1, 0], [0.5, 0.0]),
    (["The bars are right.", "The bars are right.\nAnswer: 5"], [1, 1], [1.0, 1.0]),
]


@pytest.fixture(autouse=True)
def fresh_accelerate_state():
    """Each run builds its own Accelerator (fp32 here); an earlier in-process run may have set bf16."""
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state(reset_partial_state=True)
    yield
    AcceleratorState._reset_state(reset_partial_state=True)


def write_labels(root: Path) -> Path:
    (root / "images").mkdir(parents=True)
    lines = []
    for i, (steps, labels, mc) in enumerate(SOLS):
        diagram(i).save(root / "images" / f"{i}.png")
        lines.append({"id": f"q{i}#s0", "question_id": f"q{i}", "question": f"Question {i}?", "images": [f"images/{i}.png"],
                      "steps": steps, "labels": labels, "mc": {"k": 4, "score": mc}, "answer_type": "integer",
                      "meta": {"level": "read"}})  # fmt: skip
    (root / "mc_solutions.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return root


def run_stage(tmp_path: Path, steps: int, options: dict, lr: float = 1e-2, heldout: bool = True, model=None):
    model, proc = model or tiny_test_model(seed=0)
    labels = write_labels(tmp_path / "labels")
    stage = StageConfig(name="prm", objective="prm", trainable=["language_model", "projector"],
                        lr={"language_model": lr, "projector": lr}, data=[MixEntry("labels")], heldout="labels" if heldout else None,
                        heldout_n=4, steps=steps, batch_size=4, eval_every=steps, save_every=1000, log_every=1,
                        cache_features=True, init_from="none", options=options,
                        optim=OptimSpec(warmup_ratio=0.25, min_lr_ratio=1.0))  # fmt: skip
    recipe = RecipeConfig(
        name="t", precision="fp32", datasets={"labels": DatasetSpec(path=str(labels))}, stages=[stage]
    )
    result = StageRunner(recipe, stage, tmp_path / "run").run(model, proc, {"labels": labels}, resume=False)
    rows = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    return result, [r["loss"] for r in rows if "loss" in r]


def test_mode_b_loss_decreases_on_a_tiny_overfit_set(tmp_path):
    # 30 steps: at 18 the fall below half depended on the random init (3 of 4 seeds); at 30 all 4 fell to ~0
    result, losses = run_stage(tmp_path, 30, {"mode": "B"})
    assert len(losses) == 30
    assert sum(losses[-3:]) / 3 < 0.5 * sum(losses[:3]) / 3, losses
    assert result.metrics["step_f1"] > 0.5 and 0 <= result.metrics["auroc"] <= 1
    assert 0 <= result.metrics["step_acc_none"] <= 1  # per error type; MC labels carry none
    assert (tmp_path / "run" / "model" / "config.json").is_file()


def test_mode_a_and_soft_targets_run(tmp_path):
    tiny = tiny_test_model(seed=0)
    _, losses = run_stage(tmp_path / "a", 1, {"mode": "A"}, heldout=False, model=tiny)
    assert len(losses) == 1 and 0 < losses[0] < 20
    soft = {"mode": "B", "targets": "soft", "class_balance": True, "drop_unsolved": True}
    _, losses = run_stage(tmp_path / "soft", 1, soft, heldout=False, model=tiny)
    assert len(losses) == 1 and 0 < losses[0] < 5
    with pytest.raises(ConfigError):
        run_stage(tmp_path / "bad", 1, {"mode": "C"}, model=tiny)


def test_position_balanced_loss_runs_and_bad_balance_is_refused(tmp_path):
    tiny = tiny_test_model(seed=0)
    _, losses = run_stage(
        tmp_path / "pos", 1, {"mode": "B", "class_balance": "position"}, heldout=False, model=tiny
    )
    assert len(losses) == 1 and 0 < losses[0] < 5
    with pytest.raises(ConfigError, match="class_balance"):
        run_stage(tmp_path / "bad", 1, {"class_balance": "steps"}, heldout=False, model=tiny)


def test_clean_twins_pair_each_error_step_with_the_same_step_of_its_twin():
    from svemath.train.obj_prm import with_clean_twins

    a = {"steps": ["s0", "s1", "bad"], "labels": [1, 1, 0], "twin_steps": ["s0", "s1", "good"], "mc": None}
    b = {"steps": ["t0", "t1"], "labels": [1, 1], "twin_steps": None, "mc": None}
    c = {"steps": ["bad", "u1"], "labels": [0, 0], "twin_steps": ["good", "u1'"], "mc": None}
    out, pairs = with_clean_twins([a, b, c])
    assert [ex["steps"] for ex in out] == [
        a["steps"],
        a["twin_steps"],
        b["steps"],
        c["steps"],
        c["twin_steps"],
    ]
    assert out[1]["labels"] == [1, 1, 1] and out[4]["labels"] == [1, 1]
    flat = [s for ex in out for s in ex["steps"]]
    assert [(flat[i], flat[j]) for i, j in pairs.tolist()] == [("bad", "good"), ("bad", "good")]


def test_counterfactual_pair_loss_runs_on_prm_errors(tmp_path):
    from svemath.data.generate import generate_dataset

    data = tmp_path / "pe"
    generate_dataset("prm-errors", n=8, seed=5, out=data, image_size=96, progress=False)
    model, proc = tiny_test_model(seed=0)
    stage = StageConfig(name="prm", objective="prm", trainable=["language_model"], lr={"language_model": 1e-3},
                        data=[MixEntry("pe")], steps=2, batch_size=4, save_every=1000, log_every=1,
                        cache_features=True, init_from="none", options={"mode": "B", "pair_weight": 1.0})  # fmt: skip
    recipe = RecipeConfig(
        name="t", precision="fp32", datasets={"pe": DatasetSpec(path=str(data))}, stages=[stage]
    )
    StageRunner(recipe, stage, tmp_path / "run").run(model, proc, {"pe": data}, resume=False)
    rows = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    logged = [r for r in rows if "loss" in r]
    assert len(logged) == 2 and all(0 <= r["pair_acc"] <= 1 and r["loss"] > 0 for r in logged)
    with pytest.raises(ConfigError, match="pair_weight"):
        bad = StageConfig(name="prm", objective="prm", trainable=["language_model"], data=[MixEntry("pe")],
                          steps=1, options={"mode": "A", "pair_weight": 1.0})  # fmt: skip
        StageRunner(recipe, bad, tmp_path / "bad").run(model, proc, {"pe": data}, resume=False)


def test_drop_unsolved_leaves_out_questions_no_rollout_solved(tmp_path):
    from svemath.train.obj_prm import StepLabelled, drop_unsolved, load_step_labelled

    items = load_step_labelled(write_labels(tmp_path / "labels"))
    assert [it.question_id for it in items] == ["q0", "q1", "q2", "q3"]
    second = StepLabelled("q1#s1", "Question 1?", ["Done.\nAnswer: 4"], [1], mc=[0.25], question_id="q1")
    exact = StepLabelled("e0", "Question e?", ["Wrong.\nAnswer: 2"], [0])  # exact labels: always kept
    kept = drop_unsolved([*items, second, exact])
    # q1 stays: its second sample reached the answer; an unsolved question goes with all its samples
    assert [it.id for it in kept] == ["q0#s0", "q1#s0", "q2#s0", "q3#s0", "q1#s1", "e0"]
    kept = drop_unsolved([*items, exact])
    assert [it.id for it in kept] == ["q0#s0", "q2#s0", "q3#s0", "e0"]
