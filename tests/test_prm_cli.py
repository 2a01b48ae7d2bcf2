"""``svemath prm ...`` exit codes, and (slow) the tiny-scale pipeline: label -> prm stage -> step-eval ->
best-of-N sweep -> ``eval run --bon``."""

from __future__ import annotations

import json

import pytest

from svemath.cli import main
from svemath.data.generate import generate_dataset
from svemath.mllm.presets import save_pretrained
from svemath.mllm.testing import tiny_test_model


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("policy")
    model, proc = tiny_test_model(seed=0)
    save_pretrained(model, proc, path)
    return path


def test_usage_and_user_errors_exit_nonzero(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["prm"])
    assert exc.value.code == 2
    assert main(["prm", "label", "--policy", str(tmp_path / "none"), "--data", str(tmp_path), "--out",
                 str(tmp_path / "o")]) == 1  # fmt: skip
    assert "not a model directory" in capsys.readouterr().err
    assert (
        main(["prm", "step-eval", "--prm", str(tmp_path), "--data", str(tmp_path), "--out", str(tmp_path)])
        == 1
    )
    assert main(["prm", "bon-sweep", "--policy", str(tmp_path), "--prm", str(tmp_path), "--bench", "synth-dynamath",
                 "--data", str(tmp_path), "--out", str(tmp_path / "b")]) == 1  # fmt: skip


def test_step_eval_writes_metrics(tmp_path, policy_dir):
    data = tmp_path / "pb"
    generate_dataset("synth-processbench", n=6, seed=2, out=data, image_size=96, progress=False)
    out = tmp_path / "se"
    assert main(["prm", "step-eval", "--prm", str(policy_dir), "--data", str(data), "--out", str(out)]) == 0
    metrics = json.loads((out / "step_metrics.json").read_text())
    assert metrics["n_solutions"] == 6 and 0.0 <= metrics["metrics"]["macro_f1"] <= 1.0
    assert set(metrics["by_error_type"]) <= {"none", "arithmetic", "relation", "misread", "final", "choice"}
    assert len((out / "step_scores.jsonl").read_text().splitlines()) == 6
    # --dev: the threshold is tuned on another split and the evaluation set is scored at it too
    dev = tmp_path / "pb-dev"
    generate_dataset("synth-processbench", n=6, seed=3, out=dev, image_size=96, progress=False)
    argv = [
        "prm",
        "step-eval",
        "--prm",
        str(policy_dir),
        "--data",
        str(data),
        "--dev",
        str(dev),
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    tuned = json.loads((out / "step_metrics.json").read_text())
    assert tuned["dev_threshold"]["dev"] == str(dev) and tuned["dev_threshold"]["dev_steps"] > 0
    assert tuned["metrics"]["threshold"] == 0.5
    assert tuned["metrics_dev_threshold"]["threshold"] == tuned["dev_threshold"]["threshold"]
    assert main(["prm", "label", "--policy", str(policy_dir), "--data", str(tmp_path / "missing"), "--out",
                 str(tmp_path / "l")]) == 1  # fmt: skip


@pytest.mark.slow
def test_tiny_pipeline_label_train_bon(tmp_path, policy_dir):
    prm_data, dyn = tmp_path / "prm-data", tmp_path / "dyn"
    generate_dataset("prm", n=2, seed=1, out=prm_data, image_size=96, progress=False)
    generate_dataset("synth-dynamath", n=3, seed=1, out=dyn, image_size=96, progress=False)
    labels = tmp_path / "labels"
    label = ["prm", "label", "--policy", str(policy_dir), "--data", str(prm_data), "--out", str(labels),
             "--samples", "2", "--rollouts", "2", "--max-new-tokens", "12"]  # fmt: skip
    assert main(label) == 0
    assert len((labels / "mc_solutions.jsonl").read_text().splitlines()) == 4
    assert main(label) == 0  # resumed: nothing left to do
    assert json.loads((labels / "label_summary.json").read_text())["run"]["already_done"] == 2
    run = tmp_path / "run"
    assert main(["train", "--recipe", "prm-tiny", "--out", str(run), f"datasets.prm-labels.path={labels}",
                 f"stages.prm.init_from={policy_dir}", "stages.prm.steps=2", "stages.prm.batch_size=2",
                 "datasets.processbench.n=4", "datasets.processbench.image_size=96", "stages.prm.heldout_n=4",
                 "datasets.prm-errors.n=4", "datasets.prm-errors.image_size=96",
                 "stages.prm.eval_every=2"]) == 0  # fmt: skip
    prm_dir = run / "prm" / "model"
    result = json.loads((run / "prm" / "result.json").read_text())
    assert result["steps"] == 2 and "step_f1" in result["metrics"]
    bon = tmp_path / "bon"
    assert main(["prm", "bon-sweep", "--policy", str(policy_dir), "--prm", str(prm_dir), "--bench", "synth-dynamath",
                 "--data", str(dyn), "--out", str(bon), "--n-max", "2", "--max-new-tokens", "8", "--trials", "4",
                 "--n-boot", "20"]) == 0  # fmt: skip
    sweep = json.loads((bon / "bon_sweep.json").read_text())
    assert sweep["ns"] == [1, 2] and set(sweep["table"]) >= {"prm-mean", "majority", "random", "oracle"}
    assert (bon / "bon_sweep.png").is_file()
    ev = tmp_path / "ev"
    assert main(["eval", "run", "--model", str(policy_dir), "--bench", "synth-dynamath", "--data", str(dyn),
                 "--out", str(ev), "--bon", "2", "--prm", str(prm_dir), "--max-new-tokens", "8",
                 "--prompt", "plain", "--no-plots"]) == 0  # fmt: skip
    assert len((ev / "predictions.jsonl").read_text().splitlines()) == 3
