"""Sinusoid families: amplitude (or extreme values) and period of a plotted y = ±A sin(2π(x - x0)/T).

Same conventions as :mod:`svemath.data.families.functions`: integer ticks with a grid on x in [0, 8],
the expression as a hideable ``"condition"`` label and as ``parts.essential``.
"""

from __future__ import annotations

import math
import random

from svemath.data.families.base import QuestionParts, calc, register_family
from svemath.data.families.functions import KW, SUBJECT, expr_label, plot_axes
from svemath.data.families.misc_util import CONDITION, build, choices_for, near_ints, num, pick
from svemath.data.scene import Scene

# === sinusoids ===

_OMEGA = {2: "πx", 3: "2πx/3", 4: "πx/2", 6: "πx/3", 8: "πx/4"}


def _sinusoid(vr: random.Random, for_period: bool) -> tuple[Scene, int, int, int, str, int]:
    """A sinusoid y = ±A sin(2π(x - x0)/T) on x in [0, 8] with a maximum (sign +1) or a minimum (-1) at
    the integer ``peak``; returns (scene, A, T, peak, expression, sign)."""
    amp = vr.randint(1, 3)
    period = vr.choice([2, 3, 4, 6] if for_period else [2, 3, 4, 6, 8])
    peak = vr.randint(0, min(2, 8 - period) if for_period else 2)
    sign = vr.choice([1, -1])  # -1: a trough at ``peak`` (the curve is -A sin(...))
    x0 = peak - period / 4
    shift = "" if x0 == 0 else (f" - {num(x0)}" if x0 > 0 else f" + {num(-x0)}")
    arg = _OMEGA[period] if not shift else f"{_OMEGA[period].replace('x', '(x' + shift + ')')}"
    text = f"y = {'-' if sign < 0 else ''}{'' if amp == 1 else amp}sin({arg})"
    sc, ax = plot_axes(vr, (0, 8), (-4, 5))  # headroom above the curve for its expression
    f = lambda x: sign * amp * math.sin(2 * math.pi * (x - x0) / period)  # noqa: E731
    expr_label(sc, ax, f, text, label_x=vr.choice([0.5, 7.5]), color=vr.choice([None, 0, 3]))
    return sc, amp, period, peak, text, sign


@register_family("sine_amplitude", difficulty="read", dynamath_topic="analytic geometry", **KW)
def sine_amplitude(rng: random.Random, variant_rng: random.Random | None = None):
    """Amplitude or maximum value of a plotted sinusoid."""
    vr = variant_rng or rng
    ask = rng.choice(["amplitude", "max", "min"])
    sc, amp, _, _, text, _ = _sinusoid(vr, False)
    q = {
        "amplitude": "What is the amplitude of the function?",
        "max": "What is the maximum value of the function?",
        "min": "What is the minimum value of the function?",
    }[ask]
    steps = [
        pick(
            vr,
            f"The curve reaches a highest value of {amp} and a lowest value of {-amp}.",
            f"The graph goes up to y = {amp} and down to y = {-amp}.",
        )
    ]
    if ask == "amplitude":
        ann, _ = calc(f"({amp}-({-amp}))/2")
        steps += [f"Amplitude = (max - min)/2 = {ann}.", f"The amplitude is {amp}."]
        answer = amp
    else:
        answer = amp if ask == "max" else -amp
        steps.append(f"So the {'maximum' if ask == 'max' else 'minimum'} value is {answer}.")
    return build(
        family="sine_amplitude",
        scene=sc,
        answer=str(answer),
        answer_type="integer",
        parts=QuestionParts(
            "The figure shows the graph of a sinusoidal function.", "", f"The function is {text}.", q
        ),
        steps=steps,
        difficulty="read",
        subject=SUBJECT,
        template=f"sine_amplitude:{ask}",
        level="high school",
        context="function plot",
        skills=["algebraic reasoning"],
        subfield="Property",
        condition_tags=[CONDITION],
    )


@register_family("sine_period", difficulty="one-op", dynamath_topic="analytic geometry", **KW)
def sine_period(rng: random.Random, variant_rng: random.Random | None = None):
    """Period of a plotted sinusoid from two consecutive maxima (or minima)."""
    vr = variant_rng or rng
    mc = rng.random() < 0.3
    sc, amp, period, peak, text, sign = _sinusoid(vr, True)
    word = "maxima" if sign > 0 else "minima"
    q = pick(
        rng, "What is the period of the function?", "What is the smallest positive period of this function?"
    )
    ann, _ = calc(f"{peak + period}-{peak}")
    steps = [
        f"Two consecutive {word} of the curve are at x = {peak} and x = {peak + period}.",
        f"Period = {ann}.",
        f"The period is {period}.",
    ]
    choices = letter = None
    if mc:
        choices, letter = choices_for(
            vr, str(period), near_ints(vr, period, extra=[period // 2, 2 * period, amp], lo=1)
        )
    return build(
        family="sine_period",
        scene=sc,
        answer=letter or str(period),
        answer_type="multiple_choice" if mc else "integer",
        choices=choices,
        parts=QuestionParts(
            "The figure shows the graph of a sinusoidal function.", "", f"The function is {text}.", q
        ),
        steps=steps,
        difficulty="one-op",
        subject=SUBJECT,
        template=f"sine_period:{mc}",
        level="high school",
        context="function plot",
        skills=["algebraic reasoning"],
        subfield="Property",
        condition_tags=[CONDITION],
    )
