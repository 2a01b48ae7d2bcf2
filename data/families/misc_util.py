"""Shared helpers of the function, chart, counting and graph families (not a family module itself).

* wording: :func:`pick` (one of 2-3 phrasings), :func:`listing` ("A = 12, B = 35 and C = 20");
* numbers: :func:`num` (answer formatting: integers without ".0"), :func:`py_list` (list answers in
  Python's repr, MathVista's convention), :func:`near_ints` (plausible integer distractors);
* :func:`build` fills a :class:`~svemath.data.families.base.Problem` with the benchmark extras every
  family needs in ``meta`` (template id, DynaMath level, MathVista context/skills, MathVerse subfield,
  alternatives for text answers);
* named colours for counting and chart questions (:data:`COLORS`).

Families take values from ``vr = variant_rng or rng`` and structure (question kind, answer type,
chart kind) from ``rng`` only, so that DynaMath-style variants share one template.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from svemath.data.families.base import Problem, QuestionParts, calc, fmt_number, make_choices

CONDITION = "condition"  # label role of essential conditions drawn in the diagram (hidden on demand)

COLORS: dict[str, tuple[int, int, int]] = {
    "red": (214, 39, 40),
    "blue": (31, 119, 180),
    "green": (44, 160, 44),
    "orange": (255, 127, 14),
    "purple": (148, 103, 189),
    "yellow": (230, 200, 30),
    "gray": (128, 128, 128),
}

NAMES = ("Ann", "Ben", "Cara", "Dan", "Eva", "Finn", "Gia", "Hugo", "Ivy", "Jon", "Kim", "Leo", "Mia", "Noah")
ITEMS = ("apples", "books", "stamps", "shells", "cards", "marbles", "stickers", "coins", "plants", "kites")


def pick(rng: random.Random, *options: str) -> str:
    """One of the given phrasings."""
    return options[rng.randrange(len(options))]


def num(value: float, decimals: int = 2) -> str:
    """Answer/step formatting: integers without a decimal point, others rounded (trailing zeros cut)."""
    return fmt_number(value, decimals)


def py_list(values: Sequence[float], decimals: int = 2) -> str:
    """A list answer in Python's repr, e.g. ``[-2, 3]`` (MathVista's list convention)."""
    return "[" + ", ".join(num(v, decimals) for v in values) + "]"


def extreme_step(
    what: str, names: Sequence[str], values: Sequence[float], big: bool = True, unit: str = ""
) -> str:
    """The largest (or smallest) of named values through the calculator, then its name:
    ``The largest value is <<max(12,35,20)=35>>, which is B.`` The comparison is the calculator's, and the
    name is a look-up of the value in the listing restated before (``B = 35``)."""
    ann, value = calc(f"{'max' if big else 'min'}({','.join(num(v) for v in values)})")
    name = names[[float(v) for v in values].index(value)]
    return f"The {'largest' if big else 'smallest'} {what} is {ann}{unit}, which is {name}."


def listing(pairs: Sequence[tuple[str, Any]], sep: str = " = ") -> str:
    """``[("A", 12), ("B", 35)]`` -> ``"A = 12 and B = 35"``."""
    items = [f"{k}{sep}{num(v) if isinstance(v, (int, float)) else v}" for k, v in pairs]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def words(items: Sequence[str]) -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def near_ints(
    rng: random.Random, correct: int, k: int = 3, extra: Sequence[int] = (), lo: int | None = None
) -> list[str]:
    """``k`` distinct integer distractors: the given plausible mistakes first, then nearby values."""
    out: list[int] = []
    for v in list(extra) + [correct + d for d in rng.sample([-3, -2, -1, 1, 2, 3, 4, -4, 5, -5], 10)]:
        if v != correct and v not in out and (lo is None or v >= lo):
            out.append(v)
        if len(out) == k:
            break
    return [str(v) for v in out]


def choices_for(
    rng: random.Random, correct: str, distractors: Sequence[str], k: int = 4
) -> tuple[list[str], str]:
    """Shuffled options (``correct`` among distinct distractors) and the answer letter."""
    return make_choices(rng, correct, list(distractors), k)


def build(
    *,
    family: str,
    scene: Any,
    parts: QuestionParts,
    answer: str,
    answer_type: str,
    steps: list[str],
    difficulty: str,
    subject: str,
    template: str,
    level: str,
    context: str,
    skills: Sequence[str],
    subfield: str = "",
    choices: list[str] | None = None,
    precision: int | None = None,
    unit: str | None = None,
    condition_tags: Sequence[str] = (),
    alternatives: Sequence[str] = (),
    **extra: Any,
) -> Problem:
    """A Problem with the standard ``meta`` keys:

    template (structure id shared by DynaMath-style variants), dynamath_level (elementary school |
    high school | undergraduate), mathvista_grade, mathvista_context, mathvista_skills,
    mathverse_subfield, and for text
    answers ``alternatives`` (plausible wrong texts, used when a suite needs the item as multiple choice).
    """
    meta: dict[str, Any] = {
        "template": template,
        "dynamath_level": level,
        "mathvista_grade": {"undergraduate": "college"}.get(level, level),
        "mathvista_context": context,
        "mathvista_skills": list(skills),
    }
    if subfield:
        meta["mathverse_subfield"] = subfield
    if alternatives:
        meta["alternatives"] = [a for a in dict.fromkeys(alternatives) if a != answer]
    meta.update(extra)
    return Problem(
        scene=scene,
        parts=parts,
        answer=answer,
        answer_type=answer_type,  # type: ignore[arg-type]
        steps=steps,
        difficulty=difficulty,  # type: ignore[arg-type]
        family=family,
        subject=subject,
        choices=choices,
        precision=precision,
        unit=unit,
        condition_tags=list(condition_tags),
        meta=meta,
    )
