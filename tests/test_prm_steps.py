"""The shared step splitter: answer line attached, even merging, determinism, idempotence."""

from __future__ import annotations

import pytest

from svemath.mllm.steps import (
    STEP_SPLITTER_VERSION,
    join_steps,
    split_steps,
    splitter_info,
    states_answer,
    step_prefix,
)

RESPONSE = "The diagram shows ∠A = 47° and ∠B = 68°.\n\nAngles add up to 180°.\nSo ∠C = <<180-47-68=65>>°.\nAnswer: 65"


def test_one_step_per_line_with_the_answer_line_attached():
    steps = split_steps(RESPONSE)
    assert steps == [
        "The diagram shows ∠A = 47° and ∠B = 68°.",
        "Angles add up to 180°.",
        "So ∠C = <<180-47-68=65>>°.\nAnswer: 65",
    ]
    assert "<<180-47-68=65>>" in steps[2]  # calculator annotations stay inside their step
    assert states_answer(steps[-1]) and not states_answer(steps[0])


def test_edge_cases():
    assert split_steps("") == [] and split_steps("  \n\n ") == []
    assert split_steps("Answer: 7") == ["Answer: 7"]
    assert split_steps("  a  \r\n b ") == ["a", "b"]
    assert split_steps("x\n**Final answer:** 3") == ["x\n**Final answer:** 3"]
    with pytest.raises(ValueError):
        split_steps("a", max_steps=0)


def test_even_merge_beyond_max_steps_and_idempotence():
    text = "\n".join(f"line {i}" for i in range(30)) + "\nAnswer: 1"
    steps = split_steps(text, max_steps=12)
    assert len(steps) == 10  # ceil(30 / 12) = 3 lines per step
    assert steps[0] == "line 0\nline 1\nline 2" and steps[-1].endswith("line 29\nAnswer: 1")
    for t in (text, RESPONSE, "a\nb\nAnswer: c\nd"):
        once = split_steps(t)
        assert split_steps(join_steps(once)) == once == split_steps(t)


def test_prefix_ends_with_the_separator_and_info_is_versioned():
    steps = split_steps(RESPONSE)
    assert step_prefix(steps, 0) == steps[0] + "\n"
    assert step_prefix(steps, 1) == "\n".join(steps[:2]) + "\n"
    with pytest.raises(IndexError):
        step_prefix(steps, 3)
    assert splitter_info()["version"] == STEP_SPLITTER_VERSION
