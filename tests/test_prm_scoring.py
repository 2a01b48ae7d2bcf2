"""PRM input format and scoring on a tiny random model: label tokens, label positions, one-pass scoring
equal to step-by-step scoring, aggregation, selection logic, the step metric, prefix continuation."""

from __future__ import annotations

import math

import pytest
import torch

from svemath.errors import ConfigError, DataFormatError, ShapeError
from svemath.mllm import prm
from svemath.mllm.chat import IGNORE_INDEX
from svemath.mllm.testing import diagram, tiny_test_model

QUESTION = "As shown in the figure, ∠A = 47° and ∠B = 68°. Find ∠C."
STEPS = [
    "The diagram shows ∠A = 47° and ∠B = 68°.",
    "Angles add up to 180°.",
    "So ∠C = <<180-47-68=65>>°.\nAnswer: 65",
]


@pytest.fixture(scope="module")
def tiny():
    return tiny_test_model(seed=0)


def test_plus_and_minus_are_single_distinct_tokens(tiny):
    _, proc = tiny
    plus, minus = prm.label_token_ids(proc.tokenizer)
    assert plus != minus
    assert proc.tokenizer.convert_ids_to_tokens([plus, minus]) == ["+", "-"]

    class TwoTokens:
        def __call__(self, text, add_special_tokens=False):
            return type("Enc", (), {"input_ids": [1, 2]})()

    with pytest.raises(ConfigError, match="one"):
        prm.label_token_ids(TwoTokens())


def test_labels_only_at_step_positions(tiny):
    _, proc = tiny
    plus, minus = prm.label_token_ids(proc.tokenizer)
    im_end = proc.tokenizer.convert_tokens_to_ids("<|im_end|>")
    sample = prm.encode_prm(proc, QUESTION, STEPS, diagram(1), labels=[1, 0, 0])
    ids, lm, pos = sample["input_ids"], sample["labels"], sample["score_positions"]
    assert len(pos) == len(STEPS)
    assert [ids[p + 1] for p in pos] == [plus, minus, minus]  # the slot right after each read position
    supervised = [j for j, x in enumerate(lm) if x != IGNORE_INDEX]
    assert supervised == sorted([p + 1 for p in pos] + [p + 2 for p in pos])  # label token + <|im_end|>
    assert all(ids[p + 2] == im_end for p in pos)
    batch = prm.collate_prm(proc, [sample, prm.encode_prm(proc, QUESTION, STEPS[:1], diagram(1))])
    assert batch["score_mask"].shape == batch["input_ids"].shape
    assert batch["score_mask"].sum(1).tolist() == [3, 1]
    assert batch["score_mask"][batch["attention_mask"] == 0].sum() == 0  # never on padding
    # placeholders: every slot holds '+'
    ph = prm.encode_prm(proc, QUESTION, STEPS, diagram(1))
    assert [ph["input_ids"][p + 1] for p in ph["score_positions"]] == [plus] * 3


def test_gold_answer_never_enters_the_prm_input(tiny):
    _, proc = tiny
    conv = prm.prm_conversation("Find the marked SENTINEL value.", ["Step one.", "Step two."])
    text = "".join(t["value"] for t in conv)
    assert "GOLD" not in text and "Answer" not in text
    sample = prm.encode_prm(proc, "Find x.", ["x is 3.", "Answer: 3"], None)
    decoded = proc.tokenizer.decode(sample["input_ids"])
    assert "=654321" not in decoded and "Check the solution" in decoded


def test_bad_inputs_and_cut_tails_fail_loudly(tiny):
    _, proc = tiny
    with pytest.raises(DataFormatError):
        prm.prm_conversation("q", [])
    with pytest.raises(DataFormatError):
        prm.prm_conversation("q", ["a", " "])
    with pytest.raises(DataFormatError):
        prm.prm_conversation("q", ["a"], labels=[1, 0])
    with pytest.raises(ShapeError, match="never cut"):
        prm.encode_prm(proc, QUESTION, STEPS * 3, None, max_length=60)


def test_one_pass_scores_equal_step_by_step_scores(tiny):
    model, proc = tiny
    img = diagram(2)
    other = ["There are two bars.", "Answer: 2"]
    batch = prm.score_steps_batch(model, proc, [(img, QUESTION, STEPS), (img, "How many bars?", other),
                                                (None, "Text only?", ["Yes."])], batch_size=3)  # fmt: skip
    slow = [
        prm.score_steps_incremental(model, proc, img, QUESTION, STEPS),
        prm.score_steps_incremental(model, proc, img, "How many bars?", other),
        prm.score_steps_incremental(model, proc, None, "Text only?", ["Yes."]),
    ]
    for fast, ref in zip(batch, slow):
        assert len(fast) == len(ref)
        assert fast == pytest.approx(ref, abs=1e-4)
    assert prm.score_steps(model, proc, img, QUESTION, STEPS) == pytest.approx(slow[0], abs=1e-4)
    assert all(0.0 < p < 1.0 for p in batch[0])
    assert prm.score_steps_batch(model, proc, [(img, "q", [])]) == [[]]


def test_aggregations_on_hand_cases():
    s = [0.9, 0.5, 0.8]
    assert prm.aggregate(s, "mean") == pytest.approx(2.2 / 3)
    assert prm.aggregate(s, "min") == 0.5
    assert prm.aggregate(s, "prod") == pytest.approx(0.36)
    assert prm.aggregate(s, "last") == 0.8
    assert prm.aggregate([], "mean") == 0.0
    assert prm.aggregate([0.0, 1.0], "prod") == pytest.approx(1e-12)
    with pytest.raises(ConfigError):
        prm.aggregate(s, "max")


def test_selection_logic_on_fixed_scores():
    scores = [[0.9, 0.2], [0.6, 0.6], [0.7, 0.5]]
    assert prm.select_best(scores, "mean") == 1  # mean 0.55, 0.6, 0.6 -> tie: higher mean equal -> earlier
    assert prm.select_best(scores, "mean", responses=["a", "bbbb", "cc"]) == 2  # tie -> shorter
    assert prm.select_best(scores, "min") == 1
    assert prm.select_best(scores, "last") == 1
    assert prm.select_best(scores, "prod") == 1  # 0.18, 0.36, 0.35
    answers = ["5", "7", "7", None, "5"]
    assert prm.majority_vote(answers) == 0  # 5 and 7 tie at two votes: the answer seen first wins
    assert prm.majority_vote(["3", "7", "7"]) == 1
    assert prm.majority_vote([None, None]) == 0
    weights = [0.1, 0.3, 0.35, 0.9, 0.2]
    assert prm.weighted_vote(answers, weights) == 2  # 7: 0.65 > 5: 0.3; its best member is index 2
    assert prm.weighted_vote([None, None], [0.2, 0.4]) == 1
    assert prm.choose([[0.1], [0.2], [0.9]], "vote", ["a", "a", "b"]) == 2
    assert prm.answer_key("so\nAnswer: 65.0") == "65" and prm.answer_key("no answer") is None


def test_process_metrics_and_auroc_hand_cases():
    assert (76.8 + 19.2) / 2 == pytest.approx(48.0)  # VisualProcessBench's InternVL2.5-8B row
    labels = [1, 1, 1, -1, -1, 0]
    probs = [0.9, 0.8, 0.3, 0.6, 0.1, 0.99]
    m = prm.process_metrics(labels, probs, threshold=0.5)
    # correct class: tp=2 fp=1 fn=1 -> F1 2/3; error class: tp=1 fp=1 fn=1 -> F1 1/2
    assert m["f1_correct"] == pytest.approx(2 / 3) and m["f1_error"] == pytest.approx(0.5)
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.5) / 2)
    assert m["n_steps"] == 5 and m["n_neutral"] == 1 and m["accuracy"] == pytest.approx(0.6)
    assert m["auroc"] == pytest.approx(5 / 6)  # 5 of 6 (positive, negative) pairs ordered right
    assert prm.auroc([True, False], [0.5, 0.5]) == 0.5
    assert prm.auroc([True, True], [0.1, 0.2]) is None
    all_pos = prm.process_metrics([1, -1], [0.9, 0.9])
    assert all_pos["f1_error"] == 0.0 and all_pos["pred_positive_rate"] == 1.0


def test_continuation_from_prefixes_is_seeded_and_batched(tiny):
    model, proc = tiny
    img = diagram(0)
    prefixes = ["", "The diagram shows 3 circles.\n"]
    a = prm.continue_from_prefixes(model, proc, img, "How many circles?", prefixes, n=3, max_new_tokens=6, seed=4,
                                   batch_size=4)  # fmt: skip
    b = prm.continue_from_prefixes(model, proc, img, "How many circles?", prefixes, n=3, max_new_tokens=6, seed=4,
                                   batch_size=4)  # fmt: skip
    assert [len(x) for x in a] == [3, 3] and a == b
    state = torch.random.get_rng_state()
    prm.continue_from_prefixes(model, proc, None, "q", ["a\n"], n=1, max_new_tokens=2, seed=1)
    assert torch.equal(state, torch.random.get_rng_state())  # the global RNG is left alone


def test_best_of_n_with_given_candidates(tiny):
    model, proc = tiny
    cands = ["x.\nAnswer: 1", "y.\nAnswer: 2", "z.\nAnswer: 2"]
    res = prm.best_of_n(diagram(1), "q?", prm=(model, proc), candidates=cands, agg="mean")
    assert res.candidates == cands and len(res.step_scores) == 3
    assert res.index == max(range(3), key=lambda i: (res.scores[i], -len(cands[i]), -i))
    vote = prm.best_of_n(diagram(1), "q?", prm=(model, proc), candidates=cands, agg="vote")
    assert vote.answers == ["1", "2", "2"] and vote.index in (1, 2)
    assert math.isclose(sum(vote.scores), sum(prm.aggregate(s) for s in vote.step_scores))
    with pytest.raises(ConfigError):
        prm.best_of_n(None, "q", prm=(model, proc), agg="median", candidates=cands)


def test_continuation_uses_the_generation_time_calculator(tiny, monkeypatch):
    from svemath.mllm import calculator

    made = []

    class Recording(calculator.CalculatorLogitsProcessor):
        def __init__(self, tokenizer, prompt_length, **kw):
            super().__init__(tokenizer, prompt_length, **kw)
            made.append(prompt_length)

    monkeypatch.setattr(calculator, "CalculatorLogitsProcessor", Recording)
    model, proc = tiny
    prm.continue_from_prefixes(model, proc, None, "q", ["a\n", "bb\n"], n=1, max_new_tokens=2, seed=0)
    width = len(proc.encode_generation_prompt("q", None)["input_ids"]) + len(proc.tokenizer("bb\n").input_ids)
    assert made == [width]  # one batch, whose new tokens start after the (padded) prompt + prefix
    prm.continue_from_prefixes(
        model, proc, None, "q", ["a\n"], n=1, max_new_tokens=2, seed=0, calculator=False
    )
    assert len(made) == 1


def test_dev_threshold_maximises_macro_f1_and_matches_process_metrics():
    import random

    rng = random.Random(0)
    labels = [1 if rng.random() < 0.6 else -1 for _ in range(300)] + [0, 0]
    # a miscalibrated PRM: every score is low, correct steps a little higher
    probs = [min(1.0, max(0.0, (0.25 if lab > 0 else 0.1) + rng.gauss(0, 0.08))) for lab in labels]
    best = prm.dev_threshold(labels, probs)
    assert best["macro_f1"] == pytest.approx(
        prm.process_metrics(labels, probs, best["threshold"])["macro_f1"]
    )
    assert best["macro_f1"] > prm.process_metrics(labels, probs, 0.5)["macro_f1"] + 0.3
    grid = [i / 200 for i in range(201)]
    assert best["macro_f1"] >= max(prm.process_metrics(labels, probs, t)["macro_f1"] for t in grid) - 1e-9
    assert 0.1 < best["threshold"] < 0.25
    # a calibrated PRM keeps the protocol's 0.5
    assert prm.dev_threshold([1, 1, -1, -1], [0.9, 0.8, 0.2, 0.1])["threshold"] == 0.5
