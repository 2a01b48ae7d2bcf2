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
* the final step states the result; the training target ends with a line ``Answer: <answer>``.
"""

from __future__ import annotations

import ast
import math
import operator
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

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


# === calculator annotations ===

_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.Mod: operator.mod,
    ast.FloorDiv: operator.floordiv,
}
_FUNCS = {
    "sqrt": math.sqrt,
    "sin": lambda d: math.sin(math.radians(d)),
    "cos": lambda d: math.cos(math.radians(d)),
    "tan": lambda d: math.tan(math.radians(d)),
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
}
_CONSTS = {"pi": math.pi}
CALC_RE = re.compile(r"<<([^<>=]+)=([^<>]*)>>")


def evaluate(expr: str) -> float:
    """Safely evaluate an arithmetic expression (numbers, + - * / ^ % //, parentheses, sqrt, sin/cos/tan
    in degrees, abs, round, min, max, pi). Raises ValueError for anything else."""
    text = expr.replace("^", "**").replace("×", "*").replace("÷", "/").replace("−", "-").replace("π", "pi")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not an arithmetic expression: {expr!r}") from exc

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool)
        ):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > 64:
                raise ValueError("exponent too large")
            return _BINOPS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Name) and node.id in _CONSTS:
            return _CONSTS[node.id]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS:
            return _FUNCS[node.func.id](*[ev(a) for a in node.args])
        raise ValueError(f"unsupported element in expression {expr!r}")

    try:
        return float(ev(tree))
    except (ZeroDivisionError, OverflowError, TypeError) as exc:
        raise ValueError(f"cannot evaluate {expr!r}: {exc}") from exc


def fmt_number(value: float, decimals: int = 2) -> str:
    """Integers without a decimal point; others rounded to ``decimals`` with trailing zeros removed."""
    if math.isclose(value, round(value), abs_tol=1e-9):
        return str(round(value))
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def calc(expr: str, decimals: int = 2) -> tuple[str, float]:
    """``calc("180-47-68") -> ("<<180-47-68=65>>", 65.0)``: the annotation and the exact value.

    The annotation's result is produced by the same evaluator the generation-time calculator uses, so
    training text and tool output always agree."""
    expr = expr.replace(" ", "")
    value = evaluate(expr)
    return f"<<{expr}={fmt_number(value, decimals)}>>", value


def strip_calc(text: str) -> str:
    """Display form of a step: ``<<180-47-68=65>>`` becomes ``180-47-68=65``."""
    return CALC_RE.sub(lambda m: f"{m.group(1)}={m.group(2)}", text)


# === choices ===

LETTERS = "ABCDE"


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
