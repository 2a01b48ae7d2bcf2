"""Held-out suites in the real benchmarks' styles: ``synth-dynamath``, ``synth-mathverse``,
``synth-mathvista`` (stream "eval": their seeds never meet the training suites').

Every record has our common fields (:func:`svemath.data.problem_suites.problem_record`) and ``native``:
the same item in the benchmark's own published record schema (INTERFACES.md), which the evaluation
loads with the real benchmark's parser.

* ``synth-dynamath``: sample ``i`` is variant ``i % 10 + 1`` of seed question (group) ``i // 10``. The
  group's family, template and text version come from a group RNG derived from the run's seed and the
  group index, so all 10 variants share them; each variant re-draws the values (``variant_rng``) and
  the drawing style from its own sample RNG.
* ``synth-mathverse``: sample ``i`` is version ``i % 6`` (Text Dominant, Text Lite, Text Only, Vision
  Intensive, Vision Dominant, Vision Only) of problem ``i // 6``; only families with a MathVerse subject.
  One problem and one style per problem; versions move the text parts and condition labels
  (:data:`~svemath.data.problem_suites.TEXT_MODES`). Vision Dominant draws the options under the
  diagram, Vision Only draws the whole question and options into the image.
* ``synth-mathvista``: balanced over MathVista's five tasks; free-text answers become multiple choice
  over the family's plausible alternatives (MathVista's answer is the option text); floats have
  precision 1 or 2; the query is built with MathVista's hint lines.
"""

from __future__ import annotations

import random
from typing import Any

from svemath.data.dataset import image_name
from svemath.data.families.base import FAMILIES, LETTERS, Problem, fmt_number, make_choices
from svemath.data.generate import current_seed, option_image_size
from svemath.data.problem_suites import (
    DEFAULT_SIZE,
    TEXT_MODES,
    annotations_of,
    family_names,
    hidden_roles,
    make_problem,
    problem_record,
    question_text,
    render_problem,
)
from svemath.data.render import dropped_labels, render
from svemath.data.schema import Sample, register_suite, sample_seed
from svemath.data.style import Style, sample_style
from svemath.data.textpanel import compose_with_text

DYNAMATH_LEVELS = ("elementary school", "high school", "undergraduate")
GROUP_SIZE = 10


def group_rng(suite: str, group: int) -> random.Random:
    """The RNG shared by all samples of one group (eval stream, this run's seed, group index)."""
    return random.Random(sample_seed("eval", f"{suite}/group", current_seed(), group))


def _image_size() -> int:
    return option_image_size(DEFAULT_SIZE)


# === synth-dynamath ===


def dynamath_native(problem: Problem, question: str, topic: str) -> dict[str, Any]:
    if problem.answer_type == "multiple_choice":
        q = f"{question} Choices: " + " ".join(
            f"({LETTERS[i]}) {c}" for i, c in enumerate(problem.choices or [])
        )
        answer, atype = problem.answer, "multiple choice"
    elif problem.answer_type in ("integer", "float"):
        q, answer, atype = question, fmt_number(float(problem.answer), 4), "float"
    else:  # text and list answers
        q, answer, atype = question, problem.answer, "text"
    level = problem.meta.get("dynamath_level")
    return {
        "question": q,
        "answer": answer,
        "answer_type": atype,
        "subject": topic,
        "level": level if level in DYNAMATH_LEVELS else "high school",
    }


@register_suite("synth-dynamath", "eval", "DynaMath-style seed questions with 10 variants each", "2")
def make_dynamath(index: int, rng: random.Random) -> Sample:
    group, variant = divmod(index, GROUP_SIZE)
    g = group_rng("synth-dynamath", group)
    names = family_names()
    name = names[g.randrange(len(names))]
    structure_seed = g.getrandbits(64)
    mode_pick = g.random()
    problem = make_problem(name, random.Random(structure_seed), random.Random(rng.getrandbits(64)))
    has_cond = bool(problem.condition_tags and problem.parts.essential.strip())
    mode = TEXT_MODES["Vision Dominant" if has_cond and mode_pick < 0.5 else "Full"]
    rendered = render_problem(problem, rng, show_conditions=mode.show_conditions, size=_image_size())
    question = question_text(problem, mode)
    record = problem_record(problem, question, version=mode.name)
    record["group_id"] = str(group)
    record["variant"] = variant + 1
    record["native"] = dynamath_native(problem, question, FAMILIES.get(name).dynamath_topic)
    record["annotations"] = annotations_of(rendered, "lite")[0]
    return Sample(rendered.image, record)


# === synth-mathverse ===

MATHVERSE_VERSIONS = (
    "Text Dominant",
    "Text Lite",
    "Text Only",
    "Vision Intensive",
    "Vision Dominant",
    "Vision Only",
)
TEXT_ONLY_NOTE = "(No diagram is provided; all the information is in the text.)"
VISION_ONLY_QUESTION = "Answer the question shown in the image."


def mathverse_query(question: str, question_type: str, version: str, *, cot: bool) -> str:
    """MathVerse's published ``query_wo`` / ``query_cot`` templates."""
    tail = (
        "provide the correct option letter, e.g., A, B, C, D"
        if question_type == "multi-choice"
        else "provide the final value, e.g., 1, 2.5, 300"
    )
    how = (
        "first conduct reasoning, and then answer the question and"
        if cot
        else "directly answer the question and"
    )
    end = ", at the end." if cot else "."
    if version == "Vision Only":
        return f"According to the question shown in the image, please {how} {tail}{end}"
    return f"Please {how} {tail}{end}\nQuestion: {question}"


def mathverse_choices(choices: list[str] | None) -> str:
    return "Choices:\n" + "\n".join(f"{LETTERS[i]}:{c}" for i, c in enumerate(choices)) if choices else ""


def stable_style(problem: Problem, srng: random.Random, size: int) -> Style:
    """A sampled style in which every label of the problem (conditions shown) finds a place (checked
    on the boundary map alone, without drawing the image)."""
    for _ in range(3):
        style = sample_style(srng, size, size)
        if not dropped_labels(problem.scene, style):
            return style
    return Style.clean(size, size)


@register_suite("synth-mathverse", "eval", "MathVerse-style problems, each in its six versions", "2")
def make_mathverse(index: int, rng: random.Random) -> Sample:
    pidx, v = divmod(index, len(MATHVERSE_VERSIONS))
    version = MATHVERSE_VERSIONS[v]
    mode = TEXT_MODES[version]
    g = group_rng("synth-mathverse", pidx)
    names = family_names(mathverse_only=True)
    name = names[g.randrange(len(names))]
    problem = make_problem(name, random.Random(g.getrandbits(64)))
    family = FAMILIES.get(name)
    size = _image_size()
    style = stable_style(problem, random.Random(g.getrandbits(64)), size)
    mc = problem.answer_type == "multiple_choice"
    qtype = "multi-choice" if mc else "free-form"
    options = [f"{LETTERS[i]}:{c}" for i, c in enumerate(problem.choices or [])]
    full = question_text(problem, TEXT_MODES["Text Dominant"])
    with_choices = "\n".join(
        x for x in (question_text(problem, mode), mathverse_choices(problem.choices)) if x
    )
    image, ann, prompt = None, None, None
    if version == "Text Only":
        native_q = f"{with_choices}\n{TEXT_ONLY_NOTE}"
        plain = f"{question_text(problem, mode)} {TEXT_ONLY_NOTE}"
    elif version in ("Vision Dominant", "Vision Only"):
        native_q = question_text(problem, mode)  # options drawn in the image (and the question, for VO)
        top = "" if version == "Vision Dominant" else question_text(problem, TEXT_MODES["Full"])
        if top or options:
            image, ann = compose_with_text(
                problem.scene,
                style,
                top,
                ["Choices:", *options] if options else [],
                hidden_roles(problem, True),
            )
        else:
            rendered = render(problem.scene, style, hidden_roles(problem, True))
            image, ann = rendered.image, annotations_of(rendered, "lite")[0]
        plain = native_q or VISION_ONLY_QUESTION
        prompt = f"<image>\n{plain}"
    else:
        rendered = render(problem.scene, style, hidden_roles(problem, False))
        image, ann = rendered.image, annotations_of(rendered, "lite")[0]
        native_q = with_choices
        plain = question_text(problem, mode)
    record = problem_record(problem, plain, version=version, image=image is not None, prompt=prompt)
    record["group_id"] = str(pidx)
    record["variant"] = version
    record["native"] = {
        "sample_index": str(index + 1),
        "problem_index": str(pidx + 1),
        "problem_version": version,
        "question": native_q,
        "image": image_name(index) if image is not None else "",
        "answer": problem.answer,
        "question_type": qtype,
        "metadata": {
            "split": "testmini",
            "source": "svemath-synth",
            "subject": family.mathverse_subject,
            "subfield": problem.meta.get("mathverse_subfield", ""),
        },
        "query_wo": mathverse_query(native_q, qtype, version, cot=False),
        "query_cot": mathverse_query(native_q, qtype, version, cot=True),
        "question_for_eval": "\n".join(x for x in (full, mathverse_choices(problem.choices)) if x),
    }
    if ann is not None:
        record["annotations"] = ann
    return Sample(image, record)


# === synth-mathvista ===

MATHVISTA_GRADES = {
    "elementary school": "elementary school",
    "high school": "high school",
    "undergraduate": "college",
}
MATHVISTA_CONTEXT = {
    "statistics": "bar chart",
    "functions": "function plot",
    "graph theory": "abstract scene",
    "arithmetic": "abstract scene",
    "plane geometry": "geometry diagram",
    "solid geometry": "geometry diagram",
}
GENERAL_TASKS = ("figure question answering", "visual question answering")


def mathvista_hint(question_type: str, answer_type: str, precision: int | None) -> str:
    """query.json's zero-shot hint lines (MathVista §3.3)."""
    if question_type == "multi_choice":
        return "Hint: Please answer the question and provide the correct option letter, e.g., A, B, C, D, at the end."
    if answer_type == "integer":
        return (
            "Hint: Please answer the question requiring an integer answer and provide the final value, "
            "e.g., 1, 2, 3, at the end."
        )
    if answer_type == "float" and precision == 1:
        return (
            "Hint: Please answer the question requiring a floating-point number with one decimal place and "
            "provide the final value, e.g., 1.2, 1.3, 1.4, at the end."
        )
    if answer_type == "float":
        return (
            "Hint: Please answer the question requiring a floating-point number with two decimal places and "
            "provide the final value, e.g., 1.23, 1.34, 1.45, at the end."
        )
    return (
        "Hint: Please answer the question requiring a Python list as an answer and provide the final list, "
        "e.g., [1, 2, 3], [1.2, 1.3, 1.4], at the end."
    )


def mathvista_query(
    question: str, qtype: str, atype: str, precision: int | None, unit: str | None, choices: list[str]
) -> str:
    lines = [
        mathvista_hint(qtype, atype, precision),
        f"Question: {question}" + (f" (Unit: {unit})" if unit else ""),
    ]
    if choices:
        lines += ["Choices:", *(f"({LETTERS[i]}) {c}" for i, c in enumerate(choices))]
    return "\n".join(lines)


def as_mathvista(problem: Problem, rng: random.Random) -> Problem | None:
    """The problem with a MathVista answer type (text -> multiple choice over its alternatives, float
    precision 1 or 2, integer-valued precision 0 -> integer); None when it cannot be expressed."""
    p = problem
    if p.answer_type == "text":
        alts = [a for a in p.meta.get("alternatives", []) if a != p.answer]
        if not alts:
            return None
        choices, letter = make_choices(rng, p.answer, alts[:3])
        p.choices, p.answer, p.answer_type = choices, letter, "multiple_choice"
    elif p.answer_type == "float":
        prec = p.precision if p.precision is not None else 2
        if prec == 0:
            p.answer, p.answer_type, p.precision = fmt_number(float(p.answer), 0), "integer", None
        else:
            p.precision = min(2, max(1, prec))
            p.answer = fmt_number(float(p.answer), p.precision)
    return p


@register_suite("synth-mathvista", "eval", "MathVista-style items over its five task types", "2")
def make_mathvista(index: int, rng: random.Random) -> Sample:
    names = family_names()
    tasks = sorted({FAMILIES.get(n).mathvista_task for n in names})
    task = tasks[rng.randrange(len(tasks))]
    pool = [n for n in names if FAMILIES.get(n).mathvista_task == task]
    for _ in range(50):
        name = pool[rng.randrange(len(pool))]
        problem = as_mathvista(make_problem(name, random.Random(rng.getrandbits(64))), rng)
        if problem is not None:
            break
    else:  # pragma: no cover - every task has families with numeric answers
        raise RuntimeError(f"synth-mathvista: no convertible problem for task {task!r}")
    mode = TEXT_MODES["Full"]
    size = _image_size()
    rendered = render_problem(problem, rng, show_conditions=True, size=size)
    question = question_text(problem, mode)
    mc = problem.answer_type == "multiple_choice"
    qtype = "multi_choice" if mc else "free_form"
    atype = "text" if mc else problem.answer_type
    choices = list(problem.choices or [])
    answer = choices[LETTERS.index(problem.answer)] if mc else problem.answer
    if atype == "float":
        answer = str(round(float(problem.answer), problem.precision))
    meta = problem.meta
    grade = meta.get("mathvista_grade") or MATHVISTA_GRADES.get(
        meta.get("dynamath_level", ""), "not applicable"
    )
    record = problem_record(problem, question, version=mode.name)
    record["native"] = {
        "pid": str(index + 1),
        "question": question,
        "image": image_name(index),
        "choices": choices or None,
        "unit": problem.unit,
        "precision": problem.precision if atype == "float" else None,
        "answer": answer,
        "question_type": qtype,
        "answer_type": atype,
        "metadata": {
            "category": "general-vqa" if task in GENERAL_TASKS else "math-targeted-vqa",
            "context": meta.get("mathvista_context")
            or MATHVISTA_CONTEXT.get(problem.subject, "synthetic scene"),
            "grade": grade,
            "img_height": rendered.image.height,
            "img_width": rendered.image.width,
            "language": "english",
            "skills": list(meta.get("mathvista_skills") or ["arithmetic reasoning"]),
            "source": "svemath-synth",
            "split": "testmini",
            "task": task,
        },
        "query": mathvista_query(question, qtype, atype, problem.precision, problem.unit, choices),
    }
    record["annotations"] = annotations_of(rendered, "lite")[0]
    return Sample(rendered.image, record)
