"""Function and analytic-geometry families: read f(a) from a plotted curve, slope and equation of a line
through marked lattice points, amplitude and period of a sinusoid, vertex of a parabola, zeros,
monotonic intervals, intersection of two lines.

Every plot has integer ticks and a grid (:func:`plot_axes`), so each asked value sits on a lattice
point and can be read off. The function's expression (or the marked points' coordinates) is the
MathVerse "essential condition": drawn as a label with role ``"condition"`` and stated in
``parts.essential``; a suite hides or shows it to move the condition between text and diagram.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from svemath.data.families.base import QuestionParts, calc, register_family
from svemath.data.families.misc_util import CONDITION, build, choices_for, near_ints, num, pick
from svemath.data.plots import Axes
from svemath.data.scene import Scene, Text

SUBJECT = "functions"
KW = {"subject": SUBJECT, "mathverse_subject": "Functions", "mathvista_task": "textbook question answering"}


def plot_axes(vr: random.Random, xs: tuple[int, int], ys: tuple[int, int]) -> tuple[Scene, Axes]:
    """A scene with gridded axes showing the integer ticks ``xs[0]..xs[1]`` x ``ys[0]..ys[1]``.

    Axes through the origin ("cross", arrows) when both spans are at most 6 units and contain 0,
    otherwise left/bottom spines ("box"); limits half a unit beyond the outer ticks so corner tick labels
    do not collide."""
    span = max(xs[1] - xs[0], ys[1] - ys[0])
    cross = span <= 6 and xs[0] <= 0 <= xs[1] and ys[0] <= 0 <= ys[1] and vr.random() < 0.6
    m = 0.4 if cross else 0.5
    sc = Scene(384, 384, rotation_limit=0)
    ax = sc.add(
        Axes(
            (30, 30, 354, 354),
            xlim=(xs[0] - m, xs[1] + m),
            ylim=(ys[0] - m, ys[1] + m),
            xticks=list(range(xs[0], xs[1] + 1)),
            yticks=list(range(ys[0], ys[1] + 1)),
            grid=True,
            frame="cross" if cross else "box",
            origin_label="O" if cross and vr.random() < 0.5 else "",
        )
    )
    return sc, ax


def term(c: float, power: int, first: bool) -> str:
    """One signed polynomial term: term(-2, 1, False) -> " - 2x"."""
    if c == 0:
        return ""
    sign = "-" if c < 0 else ("" if first else "+")
    a = abs(c)
    var = {0: "", 1: "x", 2: "x²", 3: "x³"}[power]
    coef = "" if (a == 1 and power) else num(a)
    text = f"{coef}{var}"
    return f"{sign}{text}" if first else f" {sign} {text}"


def poly_text(coeffs: list[float]) -> str:
    """Expanded polynomial from coefficients, highest power first: [1, -4, 3] -> "x² - 4x + 3"."""
    deg = len(coeffs) - 1
    out = ""
    for i, c in enumerate(coeffs):
        out += term(c, deg - i, not out)
    return out or "0"


def poly_calc(coeffs: list[float], x: int) -> str:
    """The calculator expression of a polynomial at ``x``: ([1, -4, 3], -1) -> "(-1)^2-4*(-1)+3"."""
    deg, xs = len(coeffs) - 1, f"({x})" if x < 0 else str(x)
    out = ""
    for i, c in enumerate(coeffs):
        p = deg - i
        if c == 0:
            continue
        mag = num(abs(c))
        body = {0: mag, 1: xs if mag == "1" else f"{mag}*{xs}"}.get(
            p, f"{xs}^{p}" if mag == "1" else f"{mag}*{xs}^{p}"
        )
        out += ("-" if c < 0 else ("+" if out else "")) + body
    return out or "0"


def shift_text(h: int) -> str:
    return "x" if h == 0 else (f"(x - {h})" if h > 0 else f"(x + {-h})")


def expr_label(sc: Scene, ax: Axes, f, text: str, label_x: float, color: int | None = None) -> None:
    """The curve of ``f`` and its expression ``text`` as a (hideable) condition label beside the
    curve, in the curve's colour: first near ``label_x``, then wherever along the curve there is room
    (the curve label's placement tries spots all along every piece, on both sides and diagonally)."""
    sc.add(ax.curve(f, label=text, label_x=label_x, label_role=CONDITION, color=color))


def _value_function(
    vr: random.Random, kind: str
) -> tuple[Callable[[float], float], str, Callable[[int], str]]:
    """(f, its expression text, x -> calculator expression of f(x)) for a line, parabola or |x| curve
    whose values at integers are integers."""
    s, h, k = vr.choice([1, -1]), vr.randint(-2, 2), vr.randint(-3, 3)
    if kind == "line":
        m, b = vr.choice([-2, -1, 1, 2]), vr.randint(-2, 2)
        return (lambda x: m * x + b), poly_text([m, b]), (lambda a: poly_calc([m, b], a))
    if kind == "parabola":
        coeffs = [s, -2 * s * h, s * h * h + k]
        return (lambda x: s * (x - h) ** 2 + k), poly_text(coeffs), (lambda a: poly_calc(coeffs, a))
    text = ("" if s > 0 else "-") + f"|{shift_text(h).strip('()')}|" + term(k, 0, False)

    def expr(a: int) -> str:
        inner = f"abs({a}{-h:+d})" if h else f"abs({a})"
        return ("" if s > 0 else "-") + inner + (f"+{k}" if k > 0 else (f"-{-k}" if k < 0 else ""))

    return (lambda x: s * abs(x - h) + k), text, expr


# === read a value ===


@register_family("function_value", difficulty="read", dynamath_topic="analytic geometry", **KW)
def function_value(rng: random.Random, variant_rng: random.Random | None = None):
    """Read f(a) from the plotted graph on a grid."""
    vr = variant_rng or rng
    form = rng.randrange(3)
    mc = rng.random() < 0.25
    kind = vr.choice(["line", "parabola", "abs"])
    for _ in range(100):
        f, text, expr = _value_function(vr, kind)
        a = vr.randint(-3, 3)
        if -4 <= f(a) <= 4 and a != 0:
            break
    value = int(f(a))
    sc, ax = plot_axes(vr, (-4, 4), (-4, 4))
    expr_label(sc, ax, f, f"y = {text}", label_x=3.5 if vr.random() < 0.5 else -3.5)
    q = [f"What is f({a})?", f"What is the value of f(x) at x = {a}?", f"Find f({a}) from the graph."][form]
    steps = [
        pick(
            vr,
            f"At x = {a} the graph passes through the point ({a}, {value}).",
            f"Going up from x = {a} to the curve and across to the y-axis gives y = {value}.",
        ),
        f"Check with the equation: f({a}) = " + calc(expr(a))[0] + ".",
        f"So f({a}) = {value}.",
    ]
    choices = letter = None
    if mc:
        choices, letter = choices_for(vr, str(value), near_ints(vr, value, extra=[-value, int(f(-a))]))
    return build(
        family="function_value",
        scene=sc,
        answer=letter or str(value),
        answer_type="multiple_choice" if mc else "integer",
        choices=choices,
        parts=QuestionParts(
            "The figure shows the graph of a function y = f(x) on a grid.",
            "",
            f"The function is f(x) = {text}.",
            q,
        ),
        steps=steps,
        difficulty="read",
        subject=SUBJECT,
        template=f"function_value:{form}:{mc}",
        level="high school",
        context="function plot",
        skills=["algebraic reasoning"],
        subfield="Coordinate",
        condition_tags=[CONDITION],
    )


# === lines through marked points ===


def _line_points(vr: random.Random) -> tuple[int, int, int, int, float, float]:
    """Two lattice points on a line with a 'nice' slope and an integer y-intercept, all inside [-4, 4]."""
    while True:
        m = vr.choice([-3, -2, -1, -0.5, 0.5, 1, 2, 3, 1.5, -1.5])
        b = vr.randint(-3, 3)
        xs = [x for x in range(-4, 5) if x != 0 and float(m * x + b).is_integer() and -4 <= m * x + b <= 4]
        if len(xs) >= 2:
            x1, x2 = sorted(vr.sample(xs, 2))
            return x1, int(m * x1 + b), x2, int(m * x2 + b), m, b


def _marked_line(vr: random.Random) -> tuple[Scene, tuple[int, int, int, int, float, float]]:
    x1, y1, x2, y2, m, b = pts = _line_points(vr)
    sc, ax = plot_axes(vr, (-4, 4), (-4, 4))
    sc.add(ax.curve(lambda x: m * x + b))
    for name, x, y in (("A", x1, y1), ("B", x2, y2)):
        p = sc.add(ax.point(x, y, name))
        sc.add(
            Text(
                p.xy,
                f"({x}, {y})",
                placement="near",
                direction=vr.choice([45.0, 135.0, 315.0]),
                label_role=CONDITION,
            )
        )
    return sc, pts


@register_family("line_slope", difficulty="one-op", dynamath_topic="analytic geometry", **KW)
def line_slope(rng: random.Random, variant_rng: random.Random | None = None):
    """Slope of the line through two marked lattice points."""
    vr = variant_rng or rng
    mc = rng.random() < 0.3
    sc, (x1, y1, x2, y2, m, _) = _marked_line(vr)
    q = pick(
        rng,
        "What is the slope of line AB?",
        "Find the slope of the line through A and B.",
        "What is the slope of the line shown?",
    )
    ann, val = calc(f"({y2}-({y1}))/({x2}-({x1}))")
    steps = [
        f"The line passes through A({x1}, {y1}) and B({x2}, {y2}).",
        f"Slope = (y2 - y1)/(x2 - x1) = {ann}.",
        f"The slope is {num(val)}.",
    ]
    choices = letter = None
    if mc:
        wrong = [num(-m), num(1 / m) if m else "0", num(-1 / m), num(m + 1)]
        choices, letter = choices_for(vr, num(m), wrong)
    return build(
        family="line_slope",
        scene=sc,
        answer=letter or num(m),
        answer_type="multiple_choice" if mc else "float",
        precision=None if mc else 1,
        choices=choices,
        parts=QuestionParts(
            "A line on a coordinate grid passes through the marked points A and B.",
            "",
            f"A = ({x1}, {y1}) and B = ({x2}, {y2}).",
            q,
        ),
        steps=steps,
        difficulty="one-op",
        subject=SUBJECT,
        template=f"line_slope:{mc}",
        level="high school",
        context="function plot",
        skills=["algebraic reasoning"],
        subfield="Expression",
        condition_tags=[CONDITION],
    )


def line_text(m: float, b: float) -> str:
    return "y = " + poly_text([m, b])


@register_family("line_equation", difficulty="multi-step", dynamath_topic="analytic geometry", **KW)
def line_equation(rng: random.Random, variant_rng: random.Random | None = None):
    """y-intercept or equation of the line through two marked lattice points (slope, then intercept)."""
    vr = variant_rng or rng
    ask = rng.choice(["intercept", "equation"])
    sc, (x1, y1, x2, y2, m, b) = _marked_line(vr)
    ann_m, _ = calc(f"({y2}-({y1}))/({x2}-({x1}))")
    ann_b, _ = calc(f"{y1}-({num(m)})*({x1})")
    steps = [
        f"The line passes through A({x1}, {y1}) and B({x2}, {y2}).",
        f"Slope m = {ann_m}.",
        f"Intercept b = y1 - m*x1 = {ann_b}.",
    ]
    if ask == "intercept":
        q = pick(rng, "What is the y-intercept of line AB?", "At what y-value does line AB cross the y-axis?")
        steps.append(f"The y-intercept is {num(b)}.")
        answer, atype, choices = num(b), "integer", None
    else:
        q = "Which equation describes line AB?"
        right = line_text(m, b)
        wrong = [
            line_text(-m, b),
            line_text(m, -b) if b else line_text(m, b + 1),
            line_text(b or 1, m),
            line_text(m, b + 2),
        ]
        choices, answer = choices_for(vr, right, wrong)
        atype = "multiple_choice"
        steps.append(f"So the line is {right}.")
    return build(
        family="line_equation",
        scene=sc,
        answer=answer,
        answer_type=atype,
        choices=choices,
        parts=QuestionParts(
            "A line on a coordinate grid passes through the marked points A and B.",
            "",
            f"A = ({x1}, {y1}) and B = ({x2}, {y2}).",
            q,
        ),
        steps=steps,
        difficulty="multi-step",
        subject=SUBJECT,
        template=f"line_equation:{ask}",
        level="high school",
        context="function plot",
        skills=["algebraic reasoning"],
        subfield="Expression",
        condition_tags=[CONDITION],
    )
