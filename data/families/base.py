"""The problem-family contract: a seeded program that draws a scene and poses a question about it.

A family is registered with :func:`register_family` and called as ``make(rng, variant_rng=None)``:

* ``rng`` fixes the *structure* of the problem (which figure, which quantity is asked, layout); for
  DynaMath-style variants the same ``rng`` seed is reused for all variants of a group;
* ``variant_rng`` (when given) re-draws the *values* (numbers, colours, function parameters, labels)
  so that the 10 variants of a group share the question template but differ in numbers and drawing.
  Families read values from ``vr = variant_rng or rng``.

It returns a :class:`Problem`: the scene to render, the question in MathVerse's four parts, the computed
answer, its type, choices for multiple choice, a correct chain of thought (``steps``) and tags.

Chain-of-thought conventions (all families):
* the first step(s) restate what is read from the diagram ("The diagram marks ∠A = 47° and ∠B = 68°.");
* every arithmetic computation is a calculator annotation made with :func:`calc`: ``<<180-47-68=65>>``
  (GSM8K style); the model may call a calculator when it writes ``<<expr=`` and the displayed step
  strips the brackets (:func:`strip_calc`);
* the final step states the result; the training target ends with a line ``Answer: <answer>``;
* multiple choice: the last step names the option text first, then its letter (:func:`choice_step`,
  added by ``Problem`` when a family does not write it), so the letter is a look-up of the value just
  written in the prompt's ``(X) value`` list, the pattern a small transformer learns by induction.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from svemath.calc import CALC_RE, calc, evaluate, fmt_number, strip_calc
from svemath.registry import Registry

Difficulty = Literal["read", "one-op", "multi-step"]


@dataclass
class QuestionParts:
    """MathVerse's split of a problem's text.

    descriptive: what the diagram already shows, restated in words ("In triangle ABC, ...").
    implicit:    properties implied by the figure (parallel marks, right-angle marks, tangency) stated in text.
    essential:   the numeric conditions needed to solve it ("∠A = 47°, ∠B = 68°").
    question:    the question proper ("Find ∠C.").
    """

    descriptive: str = ""
    implicit: str = ""
    essential: str = ""
    question: str = ""


@dataclass
class Problem:
    scene: Any  # svemath.data.scene scene object (rendered by svemath.data.render)
    parts: QuestionParts
    answer: str
    answer_type: Literal["integer", "float", "multiple_choice", "text", "list"]
    steps: list[str]
    difficulty: Difficulty
    family: str
    subject: str  # our subject name, e.g. "plane geometry"
    choices: list[str] | None = None  # option texts; answer is then the letter
    precision: int | None = None  # decimals for float answers
    unit: str | None = None
    # scene element tags whose labels carry the essential conditions: shown in the "vision" MathVerse
    # versions, hidden in "text dominant"/"text lite" when the text states them instead
    condition_tags: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # benchmark-style extras (dynamath topic, skills...)

    def __post_init__(self) -> None:
        if self.choices and self.answer in LETTERS[: len(self.choices)]:
            step = choice_step(self.answer, self.choices[LETTERS.index(self.answer)])
            if not self.steps or self.steps[-1] != step:
                self.steps = [s for s in self.steps if not CHOICE_STEP_RE.fullmatch(s)] + [step]

    @property
    def question(self) -> str:
        """The full question text (all four parts)."""
        return join_parts(
            self.parts.descriptive, self.parts.implicit, self.parts.essential, self.parts.question
        )


def join_parts(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


@dataclass(frozen=True)
class Family:
    name: str
    make: Callable[..., Problem]
    subject: str
    difficulty: Difficulty
    dynamath_topic: str  # one of DYNAMATH_TOPICS
    mathverse_subject: str | None  # "Plane Geometry" | "Solid Geometry" | "Functions" | None
    mathvista_task: str  # one of MATHVISTA_TASKS
    description: str = ""


FAMILIES: Registry[Family] = Registry("problem family")

DYNAMATH_TOPICS = (
    "plane geometry",
    "solid geometry",
    "analytic geometry",
    "algebra",
    "puzzle test",
    "graph theory",
    "scientific figure",
    "statistics",
    "arithmetic",
)
MATHVISTA_TASKS = (
    "figure question answering",
    "geometry problem solving",
    "math word problem",
    "textbook question answering",
    "visual question answering",
)


def register_family(
    name: str,
    *,
    subject: str,
    difficulty: Difficulty,
    dynamath_topic: str,
    mathvista_task: str,
    mathverse_subject: str | None = None,
) -> Callable[[Callable[..., Problem]], Callable[..., Problem]]:
    if dynamath_topic not in DYNAMATH_TOPICS:
        raise ValueError(f"unknown DynaMath topic {dynamath_topic!r}")
    if mathvista_task not in MATHVISTA_TASKS:
        raise ValueError(f"unknown MathVista task {mathvista_task!r}")

    def deco(fn: Callable[..., Problem]) -> Callable[..., Problem]:
        FAMILIES.register(
            name,
            Family(
                name,
                fn,
                subject,
                difficulty,
                dynamath_topic,
                mathverse_subject,
                mathvista_task,
                (fn.__doc__ or "").strip(),
            ),
        )
        return fn

    return deco


# calculator annotations live in svemath.calc (shared with generation) and are re-exported here
__all__ = ["CALC_RE", "calc", "evaluate", "fmt_number", "strip_calc"]


# === choices ===

LETTERS = "ABCDE"
CHOICE_STEP_RE = re.compile(r"So the answer is .+, which is choice \([A-E]\)\.")


def choice_step(letter: str, text: str) -> str:
    """The last step of a multiple-choice chain of thought: ``So the answer is 128°, which is choice (A).``
    (the value first: the letter then follows the value's occurrence in the prompt's choice list)."""
    return f"So the answer is {text}, which is choice ({letter})."


def make_choices(
    rng: random.Random, correct: str, distractors: list[str], k: int = 4
) -> tuple[list[str], str]:
    """Shuffle ``correct`` among up to ``k-1`` distinct distractors; returns (choices, answer letter)."""
    pool = []
    for d in distractors:
        if d != correct and d not in pool:
            pool.append(d)
    options = [correct, *pool[: k - 1]]
    rng.shuffle(options)
    return options, LETTERS[options.index(correct)]


def format_choices(choices: list[str]) -> str:
    return "Choices: " + " ".join(f"({LETTERS[i]}) {c}" for i, c in enumerate(choices))
