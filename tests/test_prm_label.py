"""Monte-Carlo step labelling with a stub policy whose rollouts are known: exact MC scores and labels,
shared prefixes, the final-answer step, monotone labels, resume after a cut-off file, no gold answer in
the PRM training file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from svemath.errors import ConfigError, DataFormatError
from svemath.mllm.testing import diagram
from svemath.train.obj_prm import load_step_labelled
from svemath.train.prm_label import (
    LabelConfig,
    label_dataset,
    labels_from_mc,
    read_solutions,
)

SOLUTIONS = [
    "Read 3 and 4.\nAdd: <<3+4=7>>.\nAnswer: 7",  # right
    "Read 3 and 5.\nAdd: <<3+5=8>>.\nAnswer: 8",  # misread, wrong answer
    "Read 3 and 4.\nMultiply?",  # unfinished: its last step is rolled out
    "Read 3 and 5.\nIt is 7 anyway.\nAnswer: 7",  # wrong step, lucky answer
]
# prefix -> how many of the K=4 rollouts reach the answer
WINS = {"Read 3 and 4.\n": 2, "Read 3 and 5.\n": 0, "Read 3 and 4.\nMultiply?\n": 1}


class StubPolicy:
    name = "stub"

    def __init__(self):
        self.calls: list[tuple[str, tuple[str, ...], int, int]] = []

    def continue_from(self, image, prompt, prefixes, n, seed):
        self.calls.append((prompt, tuple(prefixes), n, seed))
        if list(prefixes) == [""]:
            return [SOLUTIONS[:n]]
        return [["Answer: 7"] * WINS[p] + ["Answer: 0"] * (n - WINS[p]) for p in prefixes]


def make_dataset(root: Path, answers=("7", "7", "12345")) -> Path:
    (root / "images").mkdir(parents=True)
    lines = []
    for i, ans in enumerate(answers):
        diagram(i).save(root / "images" / f"{i:06d}.png")
        lines.append({"id": f"q{i}", "image": f"images/{i:06d}.png", "question": f"Add the two numbers ({i}).",
                      "answer": ans, "answer_type": "integer", "meta": {"family": "toy", "level": "one-op"},
                      "conversations": [{"from": "human", "value": f"<image>\nAdd the two numbers ({i})."},
                                        {"from": "gpt", "value": "Answer: 7"}]})  # fmt: skip
    (root / "data.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return root


def test_mc_scores_and_labels_are_exact(tmp_path):
    data = make_dataset(tmp_path / "data", answers=("7",))
    stub = StubPolicy()
    cfg = LabelConfig(samples=4, rollouts=4)
    summary = label_dataset(stub, data, tmp_path / "out", cfg, progress=False)
    sols = read_solutions(tmp_path / "out" / "mc_solutions.jsonl")
    by = {s["response"]: s for s in sols}
    s0, s1, s2, s3 = (by[t] for t in SOLUTIONS)
    assert s0["steps"] == ["Read 3 and 4.", "Add: <<3+4=7>>.\nAnswer: 7"]
    assert s0["mc"]["score"] == [0.5, 1.0] and s0["labels"] == [1, 1] and s0["final_correct"]
    assert s1["mc"]["num_correct"] == [0, 0] and s1["labels"] == [0, 0] and not s1["final_correct"]
    assert s2["mc"]["score"] == [0.5, 0.25] and s2["labels"] == [1, 1]
    assert s3["mc"]["score"] == [0.0, 1.0] and s3["labels"] == [0, 1]  # reference rule: mc > 0, no carry
    # one sampling call, one rollout call with each distinct prefix once (shared prefixes share rollouts)
    assert len(stub.calls) == 2 and stub.calls[0][1] == ("",)
    assert sorted(stub.calls[1][1]) == sorted(WINS) and stub.calls[1][2] == 4
    assert stub.calls[0][0] == "Add the two numbers (0)."  # the policy's prompt, without <image>
    assert s0["gen"]["seed"] == stub.calls[0][3] and s0["mc"]["seed"] == stub.calls[1][3]
    assert summary["n_solutions"] == 4 and summary["sample_accuracy"] == 0.5
    assert summary["positive_rate"] == pytest.approx(5 / 8)


def test_monotone_rule():
    assert labels_from_mc([0.0, 0.0, 1.0], "mc>0") == [0, 0, 1]
    assert labels_from_mc([0.5, 0.0, 1.0], "mc>0,monotone") == [1, 0, 0]
    with pytest.raises(ConfigError):
        LabelConfig(label_rule="mc>0.5").validate()


def test_resume_after_a_cut_off_file(tmp_path):
    data = make_dataset(tmp_path / "data")
    cfg = LabelConfig(samples=4, rollouts=4)
    out = tmp_path / "out"
    label_dataset(StubPolicy(), data, out, cfg, progress=False)
    path = out / "mc_solutions.jsonl"
    full = path.read_bytes()
    path.write_bytes(full[:-40])  # the last question's last line cut mid-write
    stub = StubPolicy()
    summary = label_dataset(stub, data, out, cfg, progress=False)
    assert [c[0] for c in stub.calls] == ["Add the two numbers (2)."] * 2  # only the cut question again
    assert path.read_bytes() == full and summary["run"]["already_done"] == 2
    stub = StubPolicy()
    label_dataset(stub, data, out, cfg, progress=False)
    assert stub.calls == []  # nothing left
    with pytest.raises(ConfigError, match="other settings"):
        label_dataset(StubPolicy(), data, out, LabelConfig(samples=4, rollouts=2), progress=False)


def test_training_file_has_no_gold_answer_and_loads(tmp_path):
    data = make_dataset(tmp_path / "data")
    out = tmp_path / "out"
    label_dataset(StubPolicy(), data, out, LabelConfig(samples=4, rollouts=4), progress=False)
    assert "12345" in (out / "mc_solutions.jsonl").read_text()  # kept for audits
    train = [json.loads(x) for x in (out / "prm_train.jsonl").read_text().splitlines()]
    assert len(train) == 12 and "12345" not in json.dumps(train)
    assert all("answer" not in r for r in train)
    conv = train[0]["conversations"]
    assert conv[0]["from"] == "system" and conv[1]["value"].startswith("### Question:\n<image>\n")
    assert [t["value"] for t in conv[2::2]] in (["+", "+"], ["-", "-"], ["-", "+"])
    items = load_step_labelled(out)
    assert len(items) == 12 and all(it.image.is_file() and it.level == "one-op" for it in items)
    assert all(len(it.steps) == len(it.labels) for it in items)


def test_visualprocessbench_file_with_neutral_steps(tmp_path):
    diagram(0).save(tmp_path / "a.png")
    rows = [{"image": ["a.png"], "question": "Q?", "answer": "3", "data_source": "MathVerse",
             "response": {"steps": ["s1", "s2", "s3"], "process_correctness": [1, 0, -1]}},
            {"image": ["a.png"], "question": "Q2?", "answer": "4", "data_source": "DynaMath",
             "response": {"steps": ["t1"], "process_correctness": [1]}}]  # fmt: skip
    (tmp_path / "vpb.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    items = load_step_labelled(tmp_path / "vpb.jsonl")
    assert [it.signed_labels() for it in items] == [[1, 0, -1], [1]]
    assert items[0].labels == [1, 1, 0] and items[0].source == "MathVerse" and items[0].image.is_file()
    (tmp_path / "bad.jsonl").write_text(
        json.dumps({"response": {"steps": ["a"], "process_correctness": []}}) + "\n"
    )
    with pytest.raises(DataFormatError, match=r"bad\.jsonl:1"):
        load_step_labelled(tmp_path / "bad.jsonl")
