"""Shared extraction and normalisation: numbers, units, LaTeX, choice letters, JSON responses."""

import math

import pytest

from svemath.eval.extract import (
    answer_line,
    choice_letter,
    final_answer,
    find_numbers,
    last_boxed,
    levenshtein,
    parse_choices,
    parse_json_object,
    parse_number,
    parse_sequence,
    truncate_words,
)
from svemath.eval.mathexpr import evaluate


@pytest.mark.parametrize(
    "text, value",
    [
        ("2π", 2 * math.pi),
        ("2π/3", 2 * math.pi / 3),
        ("π", math.pi),
        (r"\frac{2\pi}{3}", 2 * math.pi / 3),
        (r"\frac{\sqrt{30}}{2}", math.sqrt(30) / 2),
        (r"\dfrac{1}{3}", 1 / 3),
        (r"\frac12", 0.5),
        ("3√2", 3 * math.sqrt(2)),
        (r"2\sqrt{3}", 2 * math.sqrt(3)),
        (r"\sqrt[3]{8}", 2.0),
        ("10^{2}", 100.0),
        ("5²", 25.0),
        ("1e5", 1e5),
        ("-16.899999999999995", -16.899999999999995),
        ("(3)(4)", 12.0),
    ],
)
def test_evaluate_closed_forms(text, value):
    assert evaluate(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "2 3", "abc", "1/0", "2^1000", "x+1", "__import__('os')", "(-8)^(1/3)"])
def test_evaluate_refuses_non_numbers(text):
    assert evaluate(text) is None


def test_evaluate_with_variable():
    assert evaluate("x^2+1", x=2.0) == 5.0
    assert evaluate("2x+3", x=1.5) == 6.0


@pytest.mark.parametrize(
    "text, value",
    [
        ("14 cm", 14.0),
        ("x = 14 cm", 14.0),
        (r"Area $=113.1 \mathrm{~cm}^{2}$", 113.1),
        (r"53.6^\circ", 53.6),
        ("35掳", 35.0),  # MathVerse's mojibake degree sign
        ("120°", 120.0),
        ("45%", 45.0),
        ("about 3.5", 3.5),
        ("1,000", 1000.0),
        ("$13.00", 13.0),
        ("6π cm", 6 * math.pi),
        ("2 pi", 2 * math.pi),
        ("5 m/s", 5.0),
        ("2 square units", 2.0),
        (r"\boxed{\frac{3}{4}}", 0.75),
        ("L ≈ 14.32", 14.32),
        ("3.", 3.0),
    ],
)
def test_parse_number_units_latex(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", [None, "", "blue", "1,5", "the answer", "3 and 4"])
def test_parse_number_none(text):
    assert parse_number(text) is None


def test_find_numbers_in_order():
    assert find_numbers("L = 14.32 cm, then 1,000 and 2π and 3/4 x2") == ["14.32", "1,000", "2π", "3/4"]


@pytest.mark.parametrize(
    "text, n, choices, letter",
    [
        ("B", 4, None, "B"),
        ("b", 4, None, "B"),
        ("(B)", 4, None, "B"),
        ("B.", 4, None, "B"),
        ("B) yes", 4, None, "B"),
        ("(C) 8/11", 4, None, "C"),
        ("Answer: C", 4, None, "C"),  # not the 'A' of 'Answer'
        ("The answer is D.", 4, None, "D"),
        ("I choose option (A).", 4, None, "A"),
        ("Because of the slope", 4, None, None),  # letters inside words never count
        ("BECAUSE", 5, None, None),
        ("the answer is a square", 4, None, None),  # lowercase article
        ("A triangle, so B", 4, None, None),  # two standalone letters: ambiguous
        ("(A) or (B)", 4, None, None),
        ("E", 4, None, None),  # out of range for 4 options
        ("pink", 4, ["blue", "pink", "green", "orange"], "B"),
        ("97.0", 4, ["97", "102", "107", "122"], "A"),
        ("", 4, None, None),
    ],
)
def test_choice_letter_exactly_one(text, n, choices, letter):
    assert choice_letter(text, n, choices) == letter


def test_parse_choices_dynamath_and_mathverse_formats():
    assert parse_choices("What color?  choice: (A) blue (B) pink (C) green (D) orange") == [
        "blue",
        "pink",
        "green",
        "orange",
    ]
    assert parse_choices("Which? Choices: (A) 1 (B) 2") == ["1", "2"]
    assert parse_choices("angle CED is ()\nChoices:\nA:40°\nB:60°\nC:120°\nD:140°") == [
        "40°",
        "60°",
        "120°",
        "140°",
    ]
    assert parse_choices("What is the value of x?") == []


def test_json_response_with_stray_backslashes():
    raw = (
        'Sure!\n{"solution": "Use \\frac{a}{b} and \\times and \\sqrt{2}", '
        '"short answer": "\\frac{3}{2}"}\nDone.'
    )
    obj = parse_json_object(raw)
    assert obj["short answer"] == r"\frac{3}{2}"  # a fraction, not a form feed + "rac"
    assert parse_number(obj["short answer"]) == 1.5
    # invalid escapes (\s, \c) and real newline escapes together
    obj = parse_json_object('{"solution": "line1\\nline2 \\cdot x \\s", "short answer": "4"}')
    assert obj["short answer"] == "4" and "line1\nline2" in obj["solution"]
    assert parse_json_object("no json here") is None
    assert parse_json_object('{"short answer": "3"} and then {junk}')["short answer"] == "3"


def test_answer_spans():
    assert answer_line("reasoning...\nAnswer: 42") == "42"
    assert answer_line("**Answer:** (B)\n") == "(B)"
    assert answer_line("Final answer: 2.5.") == "2.5"
    assert answer_line("no answer line") is None
    assert (
        last_boxed(r"so \boxed{\frac{1}{2}} and finally \boxed{\frac{\sqrt{3}}{2}}") == r"\frac{\sqrt{3}}{2}"
    )
    assert final_answer("Thus the answer is 2.5.") == ("2.5", "answer-is")
    assert final_answer("x\n\nlast") == ("last", "last-line")
    assert final_answer("") == (None, "none")
    assert truncate_words("a b c d", 2) == "c d" and truncate_words("a b", 0) == "a b"


def test_sequences_keep_brackets():
    assert parse_sequence("(3.000, 1.000)") == ("(", ")", ["3.000", "1.000"])
    assert parse_sequence("[2014, 2016]") == ("[", "]", ["2014", "2016"])
    assert parse_sequence(r"$(-\infty, 3]$") == ("(", "]", [r"-\infty", "3"])
    assert parse_sequence("14") is None


def test_levenshtein():
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "abc") == 3
    assert levenshtein("same", "same") == 0
