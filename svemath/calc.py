"""Calculator annotations shared by the data engine (writing chains of thought) and generation (running
the calculator): ``<<180-47-68=65>>`` in GSM8K style.

``evaluate`` is a safe arithmetic evaluator (no names but ``pi`` and a few functions; never ``eval``);
``fmt_number`` writes results the same way everywhere, so the training text and the generation-time tool
output always agree; it rounds half away from zero at the number's decimal form (``round_half_up``:
0.25 -> 0.3, as a reader rounds), where Python's ``round`` and ``format`` round the binary value half to
even (0.25 -> 0.2). ``strip_calc`` gives the display form of a step.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from decimal import ROUND_HALF_UP, Decimal

_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.Pow: operator.pow, ast.Mod: operator.mod, ast.FloorDiv: operator.floordiv}  # fmt: skip
_FUNCS = {"sqrt": math.sqrt, "sin": lambda d: math.sin(math.radians(d)), "cos": lambda d: math.cos(math.radians(d)),
          "tan": lambda d: math.tan(math.radians(d)), "abs": abs, "round": round, "min": min, "max": max}  # fmt: skip
_CONSTS = {"pi": math.pi}
CALC_RE = re.compile(r"<<([^<>=]+)=([^<>]*)>>")
OPEN_CALL_RE = re.compile(r"<<([^<>=]+)=$")  # an annotation whose expression was just written


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
        value = float(ev(tree))
    except (ZeroDivisionError, OverflowError, TypeError, ValueError) as exc:
        raise ValueError(f"cannot evaluate {expr!r}: {exc}") from exc
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{expr!r} is not a finite number")
    return value


def decimal_round(value: float, decimals: int = 0) -> Decimal:
    """``value`` rounded to ``decimals`` places, half away from zero, at its shortest decimal form
    (``repr``): 0.25 -> 0.3, 2.675 -> 2.68, -0.25 -> -0.3 (``round(0.25, 1)`` gives 0.2). Finite only."""
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def round_half_up(value: float, decimals: int = 0) -> float:
    """``decimal_round`` as a float: the rounding rule of every answer and calculator result."""
    return float(decimal_round(value, decimals))


def fmt_number(value: float, decimals: int = 2) -> str:
    """Integers without a decimal point; others rounded half up (``decimal_round``) to ``decimals`` places
    with trailing zeros removed."""
    if not math.isfinite(value):
        return str(value)
    if math.isclose(value, round(value), abs_tol=1e-9):
        return str(round(value))
    text = format(decimal_round(value, decimals), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def calc(expr: str, decimals: int = 2) -> tuple[str, float]:
    """``calc("180-47-68") -> ("<<180-47-68=65>>", 65.0)``: the annotation and the exact value."""
    expr = expr.replace(" ", "")
    value = evaluate(expr)
    return f"<<{expr}={fmt_number(value, decimals)}>>", value


def strip_calc(text: str) -> str:
    """Display form of a step: ``<<180-47-68=65>>`` becomes ``180-47-68=65``."""
    return CALC_RE.sub(lambda m: f"{m.group(1)}={m.group(2)}", text)


def complete_call(text: str, decimals: int = 2) -> str | None:
    """If ``text`` ends with an open call ``<<expr=``, the result and closing brackets to append
    (``"65>>"``); None when there is no open call or the expression cannot be evaluated."""
    m = OPEN_CALL_RE.search(text)
    if m is None:
        return None
    try:
        return fmt_number(evaluate(m.group(1)), decimals) + ">>"
    except ValueError:
        return None


# === the choice-letter tool ===
# A multiple-choice chain of thought ends "So the answer is 128°, which is choice (A)." (the option text,
# copied, then its letter). The tool writes the letter of the option whose text the model just wrote.

OPEN_CHOICE_RE = re.compile(r".*answer is (.+?), which is choice \($")  # greedy head: the last "answer is"
_CHOICE_MARK_RE = re.compile(r"\(([A-E])\)[ \t]*")


def _norm_option(text: str) -> str:
    return re.sub(r"\s+", "", strip_calc(text)).rstrip(".").lower()


def prompt_choices(prompt: str) -> dict[str, str]:
    """The options listed in a prompt, ``{"A": "12", "B": "15", ...}``: the last run of markers ``(A)``,
    ``(B)``, ... in order (on one line or one per line); an option's text runs to the next marker or the
    end of its line. ``{}`` when the prompt lists no (A)-first run of options."""
    marks = list(_CHOICE_MARK_RE.finditer(prompt))
    start = max((i for i, m in enumerate(marks) if m.group(1) == "A"), default=None)
    if start is None:
        return {}
    out: dict[str, str] = {}
    for k in range(start, len(marks)):
        m = marks[k]
        if m.group(1) != "ABCDE"[len(out)]:
            break
        end = marks[k + 1].start() if k + 1 < len(marks) else len(prompt)
        out[m.group(1)] = prompt[m.end() : end].split("\n", 1)[0].strip()
    return out


def complete_choice(text: str, choices: dict[str, str]) -> str | None:
    """If ``text`` ends with ``answer is X, which is choice (``, the letter of the one option whose text
    is ``X`` (ignoring spaces, case and a final period); None otherwise (no such ending, no option or
    several options match: the model writes the letter itself)."""
    m = OPEN_CHOICE_RE.match(text.rsplit("\n", 1)[-1])  # on the last line
    if m is None or not choices:
        return None
    value = _norm_option(m.group(1))
    hits = [letter for letter, option in choices.items() if _norm_option(option) == value]
    return hits[0] if len(hits) == 1 else None
