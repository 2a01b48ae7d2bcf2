"""Safe numeric evaluation of short math answers written in plain text or LaTeX.

``evaluate("2π/3")``, ``evaluate(r"\\frac{\\sqrt{30}}{2}")``, ``evaluate("3√2")``, ``evaluate("1/4")`` give
floats; anything that is not a closed-form number (words, two numbers side by side, unknown commands)
gives None. The text is rewritten into a Python expression (``\\frac{a}{b}`` -> ``((a)/(b))``, ``π`` ->
``pi``, ``^`` -> ``**``, implicit products such as ``2π`` or ``3\\sqrt{2}``) and evaluated by walking its
AST with a whitelist (numbers, + - * / **, unary signs, ``sqrt``/trig/log calls, ``pi``, ``e``, ``inf``,
and an optional variable ``x``). No ``eval``: nothing in an answer can run code.
"""

from __future__ import annotations

import ast
import math
import re

_FUNCS = {
    "sqrt": math.sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "ln": math.log,
    "log": math.log10,
    "exp": math.exp,
    "abs": abs,
}
_CONSTS = {"pi": math.pi, "e": math.e, "inf": math.inf}
_MAX_EXP = 64.0
_MAX_LEN = 200

_LATEX_SIMPLE = [
    (r"\dfrac", r"\frac"),
    (r"\tfrac", r"\frac"),
    (r"\cdot", "*"),
    (r"\times", "*"),
    (r"\div", "/"),
    (r"\infty", "inf"),
    (r"\pi", "pi"),
    (r"\ln", "ln"),
    (r"\log", "log"),
    (r"\sin", "sin"),
    (r"\cos", "cos"),
    (r"\tan", "tan"),
    (r"\left", ""),
    (r"\right", ""),
    (r"\!", ""),
    (r"\,", ""),
    (r"\;", ""),
    (r"\ ", ""),
]
_UNICODE = {
    "π": "pi",
    "×": "*",
    "·": "*",
    "∙": "*",
    "÷": "/",
    "−": "-",
    "–": "-",
    "∞": "inf",
    "²": "^2",
    "³": "^3",
    "√": "sqrt",
    "（": "(",
    "）": ")",
}


def _braced(s: str, i: int) -> tuple[str, int] | None:
    """The argument starting at ``s[i]``: a {...} group (balanced) or one character. -> (content, end)."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return None
    if s[i] != "{":
        return s[i], i + 1
    depth = 0
    for j in range(i, len(s)):
        if s[j] == "{":
            depth += 1
        elif s[j] == "}":
            depth -= 1
            if depth == 0:
                return s[i + 1 : j], j + 1
    return None


def _rewrite_commands(s: str) -> str | None:
    r"""Rewrite \frac{a}{b} and \sqrt[n]{x} / \sqrt{x} recursively; None if malformed."""
    out: list[str] = []
    i = 0
    while i < len(s):
        if s.startswith(r"\frac", i):
            a = _braced(s, i + 5)
            b = _braced(s, a[1]) if a else None
            if a is None or b is None:
                return None
            na, nb = _rewrite_commands(a[0]), _rewrite_commands(b[0])
            if na is None or nb is None:
                return None
            out.append(f"(({na})/({nb}))")
            i = b[1]
        elif s.startswith(r"\sqrt", i):
            j = i + 5
            root = None
            if j < len(s) and s[j] == "[":
                k = s.find("]", j)
                if k < 0:
                    return None
                root = _rewrite_commands(s[j + 1 : k])
                j = k + 1
            arg = _braced(s, j)
            if arg is None:
                return None
            inner = _rewrite_commands(arg[0])
            if inner is None:
                return None
            out.append(f"(({inner})**(1/({root})))" if root else f"sqrt({inner})")
            i = arg[1]
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


_TOKEN = re.compile(r"\s*(?:((?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)|([A-Za-z]+)|(\*\*|[-+*/^()]))")


def _tokens(expr: str) -> list[tuple[str, str]] | None:
    toks: list[tuple[str, str]] = []
    i = 0
    expr = expr.rstrip()
    while i < len(expr):
        m = _TOKEN.match(expr, i)
        if not m:
            return None
        if m.group(1):
            toks.append(("num", m.group(1)))
        elif m.group(2):
            word = m.group(2)
            # split runs such as "pix" or "sqrtx" into known names greedily
            while word:
                for name in sorted((*_FUNCS, *_CONSTS, "x"), key=len, reverse=True):
                    if word.startswith(name):
                        toks.append(("func" if name in _FUNCS else "name", name))
                        word = word[len(name) :]
                        break
                else:
                    return None
        else:
            toks.append(("op", "**" if m.group(3) == "^" else m.group(3)))
        i = m.end()
    return toks


def _with_implicit_products(toks: list[tuple[str, str]]) -> str | None:
    """Join tokens, inserting ``*`` for implicit products (``2pi``, ``3sqrt(2)``, ``)(``) and wrapping a
    bare function argument (``sqrt3`` -> ``sqrt(3)``)."""
    parts: list[str] = []
    prev: tuple[str, str] | None = None
    open_wrap = False
    for kind, text in toks:
        if prev is not None and prev[0] == "func" and (kind, text) != ("op", "("):
            if kind not in ("num", "name"):
                return None
            parts.append(f"({text})")
            prev, open_wrap = ("name", text), True
            continue
        if prev is not None:
            left_val = prev[0] in ("num", "name") or prev == ("op", ")")
            right_val = kind in ("name", "func", "num") or (kind, text) == ("op", "(")
            if left_val and right_val:
                if prev[0] == "num" and kind == "num" and not open_wrap:
                    return None  # "2 3" is not a number
                parts.append("*")
        parts.append(text)
        prev, open_wrap = (kind, text), False
    return "".join(parts)


def to_python(text: str) -> str | None:
    """The Python expression for ``text`` (plain or LaTeX), or None when it is not a math expression."""
    s = text.strip().strip("$").strip()
    if not s or len(s) > _MAX_LEN:
        return None
    for a, b in _LATEX_SIMPLE:
        s = s.replace(a, b)
    for a, b in _UNICODE.items():
        s = s.replace(a, b)
    rewritten = _rewrite_commands(s)
    if rewritten is None or "\\" in rewritten:
        return None
    s = rewritten.replace("{", "(").replace("}", ")").replace("[", "(").replace("]", ")")
    toks = _tokens(s)
    if not toks:
        return None
    return _with_implicit_products(toks)


def _eval(node: ast.AST, x: float | None) -> float:
    if isinstance(node, ast.Expression):
        return _eval(node.body, x)
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
    ):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id == "x" and x is not None:
            return x
        if node.id in _CONSTS:
            return _CONSTS[node.id]
        raise ValueError(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        v = _eval(node.operand, x)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, x), _eval(node.right, x)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        if isinstance(node.op, ast.Div):
            return a / b
        if isinstance(node.op, ast.Pow):
            if abs(b) > _MAX_EXP or abs(a) > 1e12:
                raise OverflowError
            r = a**b
            if isinstance(r, complex):
                raise ValueError("complex")
            return float(r)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS:
        if len(node.args) != 1 or node.keywords:
            raise ValueError("arity")
        return float(_FUNCS[node.func.id](_eval(node.args[0], x)))
    raise ValueError(type(node).__name__)


def evaluate(text: str, *, x: float | None = None) -> float | None:
    """The value of ``text`` as a float, or None. With ``x`` given, the variable ``x`` may appear."""
    expr = to_python(text)
    if expr is None:
        return None
    if x is None and re.search(r"(?<![a-z])x(?![a-z])", expr):
        return None
    try:
        value = _eval(ast.parse(expr, mode="eval"), x)
    except (SyntaxError, ValueError, TypeError, ZeroDivisionError, OverflowError, RecursionError):
        return None
    if isinstance(value, complex) or math.isnan(value):
        return None
    return value


def has_variable(text: str) -> bool:
    expr = to_python(text)
    return expr is not None and re.search(r"(?<![a-z])x(?![a-z])", expr) is not None
