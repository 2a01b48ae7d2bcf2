"""CI's end-to-end smoke of ``svemath quickstart --smoke``: data -> clip -> geoglip -> align -> instruct ->
held-out evaluation (model, blind) -> PRM labelling, prm stage, step-error eval, best-of-N -> report."""

from __future__ import annotations

import json

from svemath.cli import main


def test_quickstart_smoke_end_to_end(tmp_path):
    out = tmp_path / "qs"
    assert main(["quickstart", "--out", str(out), "--smoke"]) == 0
    report = (out / "report.md").read_text()
    for section in ("Held-out accuracy", "Single read-out items", "Training stages", "Process reward model",
                    "Best-of-N", "Loss curves"):  # fmt: skip
        assert section in report, section
    summary = json.loads((out / "quickstart.json").read_text())
    assert set(summary["suites"]) == {"synth-dynamath", "synth-mathverse", "synth-mathvista"}
    for suite in summary["suites"]:
        for run in ("model", "blind"):
            metrics = json.loads((out / "eval" / suite / run / "metrics.json").read_text())
            assert (
                metrics["n_examples"] > 0 and metrics["failures"]["counts"].get("missing_prediction", 0) == 0
            )
    train_summary = json.loads((out / "train" / "summary.json").read_text())
    stages = train_summary["stages"]
    commit = train_summary["commit"]  # the code the run trained with (None outside a git checkout)
    assert commit is None or (len(commit) == 40 and int(commit, 16) >= 0)
    assert list(stages) == ["clip", "geoglip", "align", "instruct"]
    assert set(train_summary["stage_commits"]) == set(stages)  # per stage: a resumed run may span commits
    assert all(s["steps"] == s["total_steps"] for s in stages.values())
    assert (out / "train" / "instruct" / "model" / "config.json").is_file()
    per_class = json.loads((out / "train" / "geoglip" / "shape_ap50_by_class.json").read_text())
    assert per_class["classes"] and all(v["n_gt"] > 0 for v in per_class["classes"].values())
    assert summary["prm"]["step_eval"]["metrics"]["n_steps"] > 0
    assert "prm-mean" in summary["prm"]["bon"]["ranking"]  # within-question ranking beside the BoN table
    # a rerun resumes: nothing is retrained or regenerated
    assert main(["quickstart", "--out", str(out), "--smoke"]) == 0
    assert (
        json.loads((out / "train" / "summary.json").read_text())["stages"]["instruct"]["wall_s"]
        == stages["instruct"]["wall_s"]
    )
    # the rerun's report counts the first invocation's training time too (summed over invocations)
    wall = json.loads((out / "quickstart.json").read_text())["wall"]
    assert wall["train_invocations"] == 2 and wall["train_s"] >= summary["wall"]["train_s"]
    assert wall["total_s"] >= wall["train_s"] > wall["train_this_invocation_s"]
    assert "summed over 2 invocations" in (out / "report.md").read_text()


def test_paired_gain_pairs_items_and_filters_by_difficulty_and_family(tmp_path):
    from svemath.train.quickstart import paired_gain

    def write(folder, correct):
        folder.mkdir()
        rows = [
            {"id": f"i{k}", "group_id": str(k // 2), "robust": {"correct": c},
             "meta": {"difficulty": "read" if k < 4 else "one-op", "family": "bar" if k % 2 else "angle"}}
            for k, c in enumerate(correct)
        ]  # fmt: skip
        (folder / "scored.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        return folder

    a = write(tmp_path / "a", [1, 1, 1, 0, 1, 1])
    b = write(tmp_path / "b", [0, 1, 0, 0, 1, 0])
    every = paired_gain(a, b, None)
    assert every["n"] == 6 and abs(every["gain"] - 3 / 6) < 1e-9
    assert paired_gain(a, b)["n"] == 4  # difficulty "read" by default
    bars = paired_gain(a, b, None, families={"bar"})  # items 1, 3, 5: 1-1, 0-0, 1-0
    assert bars["n"] == 3 and abs(bars["gain"] - 1 / 3) < 1e-9
    assert paired_gain(a, b, None, families=set()) == {"n": 0}
