"""Scoring tables per benchmark, official and robust, written from reference/benchmarks.md."""

import json
from pathlib import Path

import pytest

from svemath.eval.base import Example, Extracted, get_benchmark
from svemath.eval.benchmarks.dynamath import official_extract, official_preprocess
from svemath.eval.benchmarks.mathvista import official_normalize


def dyn_example(answer, answer_type, question="Q?"):
    bench = get_benchmark("dynamath")
    return bench.example_from_native(
        {"question": question, "answer": answer, "answer_type": answer_type, "image": "image/image1.png",
         "subject": "algebra", "level": "high school"},
        group_id="1", variant=1, folder=Path("."), where="test:1",
    )  # fmt: skip


MC_Q = "Which? choice: (A) red (B) blue (C) green (D) pink"


@pytest.mark.parametrize(
    "short, answer, answer_type, official, robust",
    [
        ("2π", "6.2832", "float", True, True),
        ("2π/3", "2.0944", "float", False, True),  # official reads the π prefix only: 2π
        ("2.094", "2.0944", "float", True, True),
        ("2.09", "2.0944", "float", False, False),  # outside 0.001
        ("2.094 radians", "2.0944", "float", True, True),  # first token
        (" 2.094", "2.0944", "float", False, True),  # split(' ')[0] is '' -> exception
        ("3", "3.0", "float", True, True),  # isdigit shortcut
        ("x = 3", "3", "float", False, True),
        ("1,000", "1000", "float", False, True),
        (r"\frac{1}{2}", "0.5", "float", False, True),
        ("B", "B", "multiple choice", True, True),
        ("b", "B", "multiple choice", False, True),  # case-sensitive officially
        ("B) blue", "B", "multiple choice", True, True),
        ("(B)", "B", "multiple choice", True, True),
        ("Answer: C", "A", "multiple choice", True, False),  # official false positive: 'A' in 'Ans'
        ("BECAUSE", "C", "multiple choice", True, False),  # letter inside a word
        ("blue", "B", "multiple choice", False, True),  # option text
        ("4:45", "4:45", "text", True, True),
        ("8:00", "8:0", "text", True, True),  # official substring '8:0' in '8:00'
        ("18:05", "8:0", "text", True, False),  # official substring false positive
        ("It is 4:45", "4:45", "text", True, False),
        ("(3, 1)", "(3.000, 1.000)", "text", False, True),
        ("yes", "Yes", "text", False, True),
    ],
)
def test_dynamath_scoring_table(short, answer, answer_type, official, robust):
    bench = get_benchmark("dynamath")
    ex = dyn_example(answer, answer_type, MC_Q if answer_type == "multiple choice" else "Q?")
    ext = Extracted(short, "test")
    assert bench.score(ext, ex, "official") is official
    assert bench.score(ext, ex, "robust") is robust


def test_dynamath_official_extraction_quirks():
    # backslashes deleted before parsing: \frac -> frac
    resp = 'Here:\n{"solution": "\\frac{1}{2}", "short answer": "\\frac{1}{2}"}'
    assert official_extract(resp).value == "frac{1}{2}"
    # not JSON: the last line minus its final character
    assert official_extract("reasoning\nThe answer is 5.").value == "The answer is 5"
    assert official_extract("reasoning\n42").value == "4"
    # a number as short answer is str()-ed
    assert official_extract('{"solution": "s", "short answer": 2.094}').value == "2.094"
    # missing key -> "None"; a JSON non-object -> fail
    assert official_extract('{"solution": "s"}').value == "None"
    assert official_extract("[1, 2]").value is None  # valid JSON but not an object: the original fails
    assert official_extract("reasoning {broken").value == "reasoning {broke"
    assert official_preprocess("") == "" and official_preprocess("no braces") == "no braces"
    with pytest.raises(IndexError):
        official_preprocess("{")


def test_dynamath_robust_extraction():
    bench = get_benchmark("dynamath")
    ex = dyn_example("0.6667", "float")
    resp = '{"solution": "x = \\frac{2}{3}", "short answer": "\\frac{2}{3}"}'
    assert bench.extract(resp, ex, mode="robust").value == r"\frac{2}{3}"
    assert bench.judge(resp, ex)["robust"]["correct"] is True
    assert bench.judge(resp, ex)["official"]["correct"] is False  # 'frac{2}{3}' is no float
    # no JSON at all: the cascade
    assert bench.extract("so the answer is 0.667", ex, mode="robust").value == "0.667"
    # plain style: "Answer:" line first, in both modes
    assert bench.extract("steps\nAnswer: 0.667", ex, mode="official", style="plain").value == "0.667"
    assert bench.judge("steps\nAnswer: 0.667", ex, style="plain")["official"]["correct"] is True
    # empty responses are never correct
    assert bench.judge("", ex)["official"] == {
        "extracted": None,
        "method": "empty-response",
        "correct": False,
    }


def vista_example(answer, qtype, atype, choices=None, precision=None):
    bench = get_benchmark("mathvista")
    rec = {"pid": "1", "question": "Q?", "image": "images/1.jpg", "choices": choices, "unit": None,
           "precision": precision, "answer": answer, "question_type": qtype, "answer_type": atype,
           "metadata": {"skills": ["arithmetic reasoning"]}}  # fmt: skip
    return bench.example_from_native(rec, folder=Path("."), where="test:1")


@pytest.mark.parametrize(
    "extraction, answer, atype, precision, official, robust",
    [
        ("3", "3", "integer", None, True, True),
        ("3.7", "3", "integer", None, True, False),  # official truncates
        ("3.0", "3", "integer", None, True, True),
        ("1,000", "1000", "integer", None, False, True),
        ("1.25", "1.2", "float", 1, True, False),  # official round-half-even on a binary float
        ("1.25", "1.3", "float", 1, False, True),  # robust rounds half up
        ("1.2", "1.2", "float", 1, True, True),
        ("1.449", "1.45", "float", 2, True, True),
        ("[2014, 2016]", "[2014, 2016]", "list", None, True, True),
        ("[2014,2016]", "[2014, 2016]", "list", None, False, True),  # official compares str()
    ],
)
def test_mathvista_free_form_table(extraction, answer, atype, precision, official, robust):
    bench = get_benchmark("mathvista")
    ex = vista_example(answer, "free_form", atype, precision=precision)
    assert bench.score(Extracted(extraction, "t"), ex, "official") is official
    assert bench.score(Extracted(extraction, "t"), ex, "robust") is robust


def test_mathvista_multiple_choice_normalisation():
    choices = ["97", "102", "107", "122"]
    assert official_normalize("(B) 102", choices, "multi_choice", "text", None) == "102"
    assert official_normalize("C", choices, "multi_choice", "text", None) == "107"
    assert official_normalize("(c)", choices, "multi_choice", "text", None) == "107"  # upper-cased
    # no letter: the nearest option by edit distance, so an empty extraction still becomes some option
    assert official_normalize("", choices, "multi_choice", "text", None) in choices
    assert official_normalize("121", choices, "multi_choice", "text", None) == "122"
    bench = get_benchmark("mathvista")
    ex = vista_example("97", "multi_choice", "text", choices)
    assert bench.score(Extracted("(A) 97", "t"), ex, "official") and bench.score(
        Extracted("(A) 97", "t"), ex, "robust"
    )
    assert bench.score(Extracted("96", "t"), ex, "official") is True  # Levenshtein guess
    assert bench.score(Extracted("96", "t"), ex, "robust") is False
    assert bench.score(Extracted("", "t"), ex, "robust") is False


def test_mathvista_extraction_steps():
    bench = get_benchmark("mathvista")
    ex = vista_example("3", "free_form", "integer")
    assert bench.extract("3", ex).method == "int"
    assert bench.extract('The answer is "3".', ex).value == "3"
    assert bench.extract("Counting gives 3 objects.\nSo there are 3 cm", ex).value == "3"
    assert bench.extract("", ex).value == ""
    mc = vista_example("6cm", "multi_choice", "text", ["6cm", "7cm", "4cm", "5cm"])
    assert bench.extract("6cm", mc).method == "exact-choice"
    assert bench.extract("reasoning...\nAnswer: (A)", mc).value == "A"
    lst = vista_example("[2014, 2016]", "free_form", "list")
    assert bench.extract("The years are [2014,2016].", lst).value == "[2014, 2016]"


def verse_example(answer, qtype="free-form", question="Find L.", version="Text Lite", q_eval=None):
    bench = get_benchmark("mathverse")
    rec = {"sample_index": "1", "problem_index": "1", "problem_version": version, "question": question,
           "image": "images_version_1-4/image_1.png", "answer": answer, "question_type": qtype,
           "metadata": {"subject": "Plane Geometry", "subfield": "Length", "source": "GeoQA"}}  # fmt: skip
    if q_eval:
        rec["question_for_eval"] = q_eval
    return bench.example_from_native(rec, folder=Path("."), where="test:1")


MV_Q = "then the size of angle CED is ()\nChoices:\nA:40°\nB:60°\nC:120°\nD:140°"


@pytest.mark.parametrize(
    "pred, answer, official, robust",
    [
        ("113.1", r"Area $=113.1 \mathrm{~cm}^{2}$", True, True),
        ("113.1 cm^2", r"Area $=113.1 \mathrm{~cm}^{2}$", True, True),
        ("2.7386", r"\frac{\sqrt{30}}{2}", True, True),  # equal at 2 dp
        ("2.74", r"\frac{\sqrt{30}}{2}", True, True),
        ("113.14", "113.1", False, True),  # robust: rounded to the answer's own decimals
        ("14.32", "14", False, False),  # an integer answer is not a rounding of 14.32
        ("53.6°", r"53.6^\circ", True, True),
        ("35", "35掳", True, True),
        ("(1, 2)", "(1, 2)", True, True),
        ("[1, 2)", "(1, 2)", False, False),  # interval brackets matter
        ("y = x^2 + 1", "y=x^2+1", True, True),
        ("y = 1 + x^2", "y=x^2+1", False, True),  # robust: same function at three points
        ("15", "14", False, False),
    ],
)
def test_mathverse_free_form_table(pred, answer, official, robust):
    bench = get_benchmark("mathverse")
    ex = verse_example(answer)
    assert bench.score(Extracted(pred, "t"), ex, "official") is official
    assert bench.score(Extracted(pred, "t"), ex, "robust") is robust


def test_mathverse_multiple_choice_and_truncation():
    bench = get_benchmark("mathverse")
    ex = verse_example("D", "multi-choice", MV_Q)
    assert bench.judge("The angle is 140°, so the answer is D.", ex)["official"]["correct"] is True
    assert bench.judge("Answer: 140°", ex)["robust"]["correct"] is True  # the correct option's content
    assert bench.judge("Answer: 120°", ex)["robust"]["correct"] is False
    assert bench.judge("Answer: C", ex)["official"]["correct"] is False
    # Vision Dominant: choices only in question_for_eval
    vd = verse_example(
        "D", "multi-choice", "then the size of angle CED is ()", "Vision Dominant", q_eval=MV_Q
    )
    assert vd.choices == ["40°", "60°", "120°", "140°"]
    assert bench.judge("Answer: 140°", vd)["official"]["correct"] is True
    # official truncates to the last 30 words: an early answer line is lost, robust still finds it
    long = "Answer: 14\n" + " ".join(["word"] * 40)
    ff = verse_example("14")
    assert bench.extract(long, ff, mode="official").value != "14"
    assert bench.extract(long, ff, mode="robust").value == "14"


def test_prompts_snapshot(tmp_path):
    dyn = get_benchmark("dynamath")
    ex = dyn_example("2.0944", "float", "What is the period?")
    prompt = dyn.build_prompt(ex)
    assert prompt.startswith(
        "## Question\nWhat is the period?Please answer in a floating-point number.\n## Answer Instruction"
    )
    assert prompt.endswith(
        json.dumps(
            {"solution": "[Detailed step-by-step explanation]", "short answer": "[Concise Answer]"}, indent=4
        )
    )
    assert "corresponing choice option, \nsuch as 'A', 'B', 'C', or 'D'" in prompt
    assert dyn.build_prompt(ex, "plain") == "What is the period?"
    mv = get_benchmark("mathverse")
    vo = verse_example("14", version="Vision Only", question="")
    assert mv.build_prompt(vo) == (
        "According to the question shown in the image, please directly answer the question and provide "
        "the final value, e.g., 1, 2.5, 300."
    )
    assert mv.build_prompt(verse_example("14"), "cot").startswith("Please first conduct reasoning")
    vista = get_benchmark("mathvista")
    mc = vista_example("97", "multi_choice", "text", ["97", "102"])
    assert vista.build_prompt(mc, "plain") == "Q?\nChoices: (A) 97 (B) 102"
    with pytest.raises(Exception, match="no prompt style"):
        vista.build_prompt(mc, "cot")


def test_example_is_a_dataclass_with_defaults():
    ex = Example(
        id="a",
        benchmark="b",
        group_id="g",
        variant=None,
        question="q",
        answer="1",
        answer_type="integer",
        image_path=None,
    )
    assert ex.choices == [] and ex.meta == {}
