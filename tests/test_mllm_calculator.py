"""The generation-time calculator and the shared calculator annotations."""

import pytest
import torch

from svemath.calc import calc, complete_call, evaluate, fmt_number, strip_calc
from svemath.mllm.calculator import CalculatorLogitsProcessor
from svemath.mllm.tokenizer import train_tokenizer


def test_safe_evaluator():
    assert evaluate("180-47-68") == 65
    assert evaluate("sqrt(3^2+4^2)") == 5
    assert evaluate("2*pi*3") == pytest.approx(18.8496, abs=1e-3)
    for bad in ["__import__('os')", "a+1", "1/0", "2**1000", "open('x')"]:
        with pytest.raises(ValueError):
            evaluate(bad)
    assert fmt_number(65.0) == "65" and fmt_number(3.14159) == "3.14" and fmt_number(-0.001) == "0"
    assert calc("12 * 3") == ("<<12*3=36>>", 36.0)
    assert strip_calc("So C = <<180-47-68=65>>°.") == "So C = 180-47-68=65°."
    assert complete_call("C = <<180-47-68=") == "65>>"
    assert complete_call("C = <<180-47-68=65>> and x =") is None
    assert complete_call("<<a+b=") is None  # refused expressions are left to the model


def test_rounding_is_half_up_at_the_written_number():
    """Ties round as a reader rounds (53/4 = 13.25 -> 13.3), not half to even on the binary value as
    ``round``/``format`` do (13.2); the data engine's answers and the generation-time calculator agree."""
    from svemath.calc import round_half_up
    from svemath.data.families.geometry_common import round_answer

    assert round(13.25, 1) == 13.2 and f"{0.125:.2f}" == "0.12"  # what Python would write
    assert fmt_number(53 / 4, 1) == "13.3" and fmt_number(0.125) == "0.13" and fmt_number(-0.25, 1) == "-0.3"
    assert fmt_number(2.675) == "2.68" and fmt_number(0.35, 1) == "0.4" and fmt_number(20.4, 0) == "20"
    assert round_half_up(2.5) == 3 and round_half_up(1.005, 2) == 1.01
    assert round_answer(0.25, 1) == "0.3" and round_answer(-0.04, 1) == "0.0" and round_answer(3, 2) == "3.00"
    assert calc("53/4", 1) == ("<<53/4=13.3>>", 13.25) and complete_call("m = <<181/4=") == "45.25>>"


def _tokenizer():
    corpus = [f"So the angle is <<180-{a}-{b}={180 - a - b}>>° and 12*3 = <<12*3=36>>." for a in range(20, 60)
              for b in range(30, 50, 7)]  # fmt: skip
    return train_tokenizer(corpus * 3, 400)


def test_processor_forces_the_result_then_releases():
    tok = _tokenizer()
    prompt = tok("Q?", add_special_tokens=False).input_ids
    written = tok("So the angle is <<180-47-68=", add_special_tokens=False).input_ids
    ids = torch.tensor(
        [prompt + written, prompt + written[:-1] + tok("x", add_special_tokens=False).input_ids]
    )
    tool = CalculatorLogitsProcessor(tok, len(prompt))
    vocab = len(tok)
    out_tokens: list[int] = []
    for _ in range(len(tok("65>>", add_special_tokens=False).input_ids)):
        scores = tool(ids, torch.zeros(2, vocab))
        assert torch.isinf(scores[0]).sum() == vocab - 1  # row 0 is forced
        assert not torch.isinf(scores[1]).any()  # row 1 wrote no open call: untouched
        nxt = int(scores[0].argmax())
        out_tokens.append(nxt)
        ids = torch.cat([ids, torch.tensor([[nxt], [0]])], 1)
    assert tok.decode(out_tokens) == "65>>"
    scores = tool(ids, torch.zeros(2, vocab))
    assert not torch.isinf(scores[0]).any() and tool.calls == 1  # released after the closing brackets


def test_prompt_choices_and_the_choice_letter():
    from svemath.calc import complete_choice, prompt_choices

    inline = "<image>\nFind x. Choices: (A) 12 (B) 15° (C) f(3) (D) 7.5"
    assert prompt_choices(inline) == {"A": "12", "B": "15°", "C": "f(3)", "D": "7.5"}
    lines = "Hint: pick one.\nQuestion: Which bar is tallest?\nChoices:\n(A) red\n(B) blue bar\n(C) 3"
    assert prompt_choices(lines) == {"A": "red", "B": "blue bar", "C": "3"}
    assert prompt_choices("Is (B) right? no options") == {} and prompt_choices("A:12\nB:15") == {}
    choices = prompt_choices(inline)
    assert complete_choice("So x = 15°. So the answer is 15°, which is choice (", choices) == "B"
    assert complete_choice("So the answer is 7.5 , which is choice (", choices) == "D"  # spaces ignored
    assert complete_choice("So the answer is 7.5., which is choice (", choices) == "D"  # a final period
    assert complete_choice("So the answer is 15°, which is choice (B", choices) is None  # letter written
    assert complete_choice("So the answer is 16, which is choice (", choices) is None  # matches no option
    # an earlier "answer is" on the same line or an earlier line does not swallow the value
    assert complete_choice("The answer is 3? So the answer is 12, which is choice (", choices) == "A"
    assert complete_choice("the answer is 3\nSo the answer is 12, which is choice (", choices) == "A"
    assert (
        complete_choice("So the answer is 1, which is choice (", {"A": "1", "B": " 1"}) is None
    )  # ambiguous


def test_choice_tool_forces_the_letter_of_the_written_option():
    corpus = [f"Q? Choices: (A) {a} (B) {b}. So the answer is {b}, which is choice (B)." for a in range(10, 40)
              for b in range(50, 60)]  # fmt: skip
    tok = train_tokenizer(corpus * 2, 400)
    prompt = tok("Q? Choices: (A) 12 (B) 57", add_special_tokens=False).input_ids
    rows = [
        prompt + tok("So the answer is 57, which is choice (", add_special_tokens=False).input_ids,
        prompt + tok("So the answer is 58, which is choice (", add_special_tokens=False).input_ids,
    ]
    ids = torch.tensor(rows)
    vocab = len(tok)
    off = CalculatorLogitsProcessor(tok, len(prompt))(ids, torch.zeros(2, vocab))
    assert not torch.isinf(off).any()  # off by default: the model writes its own letter
    tool = CalculatorLogitsProcessor(tok, len(prompt), choice_tool=True)
    scores = tool(ids, torch.zeros(2, vocab))
    assert torch.isinf(scores[0]).sum() == vocab - 1 and tok.decode([int(scores[0].argmax())]) == "B"
    assert not torch.isinf(scores[1]).any()  # 58 is no option: untouched
    assert tool.choice_calls == 1 and tool.calls == 0
    ids = torch.cat([ids, torch.tensor([[int(scores[0].argmax())], [0]])], 1)
    assert not torch.isinf(tool(ids, torch.zeros(2, vocab))).any()  # released after the letter
