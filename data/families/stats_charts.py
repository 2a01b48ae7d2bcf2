"""Bar-chart and pie-chart families: the largest/smallest bar and its value, a named bar's value,
differences and sums of bars, totals and means, pie shares in percent.

Bars carry value labels when the template says so (``labels``); without them every value is a multiple
of the tick step so that each bar top sits on a grid line and can be read off the axis.
"""

from __future__ import annotations

import random

from svemath.data.charts import BarChart, PieChart
from svemath.data.families.base import QuestionParts, calc, register_family
from svemath.data.families.misc_util import (
    NAMES,
    build,
    choices_for,
    extreme_step,
    listing,
    near_ints,
    num,
    pick,
)
from svemath.data.scene import Scene

SUBJECT = "statistics"
KW = {"subject": SUBJECT, "dynamath_topic": "statistics", "mathvista_task": "figure question answering"}

# (chart title, what is counted, category noun, categories)
TOPICS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("Books read", "books", "student", NAMES),
    (
        "Favourite fruit",
        "votes",
        "fruit",
        ("Apple", "Banana", "Cherry", "Grape", "Mango", "Pear", "Plum", "Kiwi", "Fig", "Lime"),
    ),
    ("Visitors", "visitors", "day", ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")),
    ("Sales", "sales", "store", ("A", "B", "C", "D", "E", "F", "G")),
    ("Rainfall (mm)", "rainfall", "month", ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul")),
    ("Points scored", "points", "team", ("Red", "Blue", "Green", "Gold", "Gray", "Pink")),
)


def bar_data(
    rng: random.Random, vr: random.Random, labels: bool, n: int | None = None, unique: str = ""
) -> dict:
    """Categories, values and a drawn bar chart. ``unique``: "max" / "min" / "both" forces a unique
    extreme. Without value labels the values are multiples of the tick step (bar tops on grid lines)."""
    title, what, noun, pool = TOPICS[vr.randrange(len(TOPICS))]
    horizontal = labels and vr.random() < 0.3  # value ticks of unlabelled bars stay vertical (fewer ticks)
    if not horizontal:  # vertical bars: short category names only, so that neighbours never collide
        pool = tuple(c for c in pool if len(c) <= 4)
    n = min(n or vr.randint(4, 6), len(pool))
    cats = list(pool[:n]) if noun in ("day", "month") else vr.sample(list(pool), n)
    step = vr.choice([2, 5, 10])
    while True:
        if labels:
            vals = [vr.randint(2, 12 * step // 2 + 8) for _ in range(n)]
        else:
            vals = [step * vr.randint(1, 8) for _ in range(n)]
        ok_max = sorted(vals)[-1] != sorted(vals)[-2]
        ok_min = sorted(vals)[0] != sorted(vals)[1]
        if {"max": ok_max, "min": ok_min, "both": ok_max and ok_min}.get(unique, True):
            break
    ticks = None if labels else list(range(0, max(vals) + step, step))
    box = (100, 50, 360, 340) if horizontal else (60, 50, 360, 330)
    sc = Scene(384, 384, rotation_limit=0)
    color = vr.choice([None, 1, 2, 3]) if vr.random() < 0.8 else None
    colors = [vr.randrange(6) for _ in cats] if vr.random() < 0.25 else None
    sc.add(
        BarChart(
            box,
            cats,
            vals,
            horizontal=horizontal,
            value_labels=labels,
            ticks=ticks,
            colors=colors,
            title=title if vr.random() < 0.8 else "",
            fill=color,
            grid=not labels or vr.random() < 0.5,
        )
    )
    return {"scene": sc, "cats": cats, "vals": vals, "what": what, "noun": noun, "title": title}


def _read_step(vr: random.Random, d: dict, labels: bool) -> str:
    pairs = listing(list(zip(d["cats"], d["vals"], strict=True)))
    if labels:
        return pick(vr, f"The bars show {pairs}.", f"The value labels give {pairs}.")
    return pick(
        vr, f"Reading each bar top against the axis: {pairs}.", f"From the grid lines, the bars show {pairs}."
    )


def _describe(d: dict) -> str:
    return f"The bar chart shows the {d['what']} for each {d['noun']}."


CHART_META = {"level": "elementary school", "context": "bar chart", "skills": ["statistical reasoning"]}


@register_family("bar_value", difficulty="read", **KW)
def bar_value(rng: random.Random, variant_rng: random.Random | None = None):
    """The largest or smallest bar (its category or its value), or the value of a named bar."""
    vr = variant_rng or rng
    ask = rng.choice(["max_value", "max_cat", "min_value", "min_cat", "value_of", "value_of"])
    labels = rng.random() < 0.6
    mc = ask.endswith("cat") and rng.random() < 0.4
    d = bar_data(rng, vr, labels, unique="both")
    cats, vals, what, noun = d["cats"], d["vals"], d["what"], d["noun"]
    steps = [_read_step(vr, d, labels)]
    alternatives: list[str] = []
    if ask == "value_of":
        i = vr.randrange(len(cats))
        q = pick(
            rng,
            f"What is the value for {cats[i]}?",
            f"How many {what} does {cats[i]} have?",
            f"What value does the bar for {cats[i]} show?",
        )
        answer, atype = str(vals[i]), "integer"
        steps.append(f"The bar for {cats[i]} is {vals[i]}.")
    else:
        big = ask.startswith("max")
        i = vals.index(max(vals) if big else min(vals))
        word = "largest" if big else "smallest"
        steps.append(extreme_step("value", cats, vals, big))
        if ask.endswith("value"):
            q = pick(rng, f"What is the {word} value in the chart?", f"What is the {word} number of {what}?")
            answer, atype = str(vals[i]), "integer"
        else:
            q = pick(
                rng, f"Which {noun} has the {word} value?", f"Which {noun} has the {word} number of {what}?"
            )
            answer, atype = cats[i], "text"
            alternatives = [c for c in cats if c != cats[i]]
    choices = None
    if mc:
        choices, answer = choices_for(vr, answer, vr.sample(alternatives, min(3, len(alternatives))))
        atype = "multiple_choice"
    return build(
        family="bar_value",
        scene=d["scene"],
        answer=answer,
        answer_type=atype,
        choices=choices,
        parts=QuestionParts(_describe(d), "", "", q),
        steps=steps,
        difficulty="read",
        subject=SUBJECT,
        template=f"bar_value:{ask}:{labels}:{mc}",
        alternatives=alternatives,
        **CHART_META,
    )


@register_family("bar_compare", difficulty="one-op", **KW)
def bar_compare(rng: random.Random, variant_rng: random.Random | None = None):
    """Difference or sum of two bars, or the range (largest minus smallest)."""
    vr = variant_rng or rng
    ask = rng.choice(["diff", "diff", "sum", "range"])
    labels = rng.random() < 0.6
    mc = rng.random() < 0.2
    d = bar_data(rng, vr, labels, unique="both")
    cats, vals, what = d["cats"], d["vals"], d["what"]
    steps = [_read_step(vr, d, labels)]
    if ask == "range":
        hi, lo = max(vals), min(vals)
        q = pick(
            rng,
            "What is the difference between the largest and the smallest value?",
            f"How many more {what} does the tallest bar show than the shortest bar?",
        )
        ann, val = calc(f"{hi}-{lo}")
        steps += [f"The largest value is {hi} and the smallest is {lo}.", f"The difference is {ann}."]
        wrong = [hi + lo, hi, lo]
    else:
        pairs = [(i, j) for i in range(len(cats)) for j in range(len(cats)) if i != j and vals[i] != vals[j]]
        i, j = vr.choice(pairs)
        if ask == "diff":
            if vals[i] < vals[j]:
                i, j = j, i
            q = pick(
                rng,
                f"How many more {what} does {cats[i]} have than {cats[j]}?",
                f"What is the difference between the values of {cats[i]} and {cats[j]}?",
            )
            ann, val = calc(f"{vals[i]}-{vals[j]}")
            steps.append(f"The difference is {ann}.")
            wrong = [vals[i] + vals[j], vals[i], vals[j]]
        else:
            q = pick(
                rng,
                f"What is the total of {cats[i]} and {cats[j]}?",
                f"How many {what} do {cats[i]} and {cats[j]} have together?",
            )
            ann, val = calc(f"{vals[i]}+{vals[j]}")
            steps.append(f"Together: {ann}.")
            wrong = [abs(vals[i] - vals[j]), vals[i], vals[j]]
    answer, atype, choices = num(val), "integer", None
    steps.append(f"The answer is {num(val)}.")
    if mc:
        choices, answer = choices_for(
            vr, num(val), near_ints(vr, int(val), extra=[int(w) for w in wrong], lo=0)
        )
        atype = "multiple_choice"
    return build(
        family="bar_compare",
        scene=d["scene"],
        answer=answer,
        answer_type=atype,
        choices=choices,
        parts=QuestionParts(_describe(d), "", "", q),
        steps=steps,
        difficulty="one-op",
        subject=SUBJECT,
        template=f"bar_compare:{ask}:{labels}:{mc}",
        **CHART_META,
    )


@register_family("bar_mean", difficulty="multi-step", **KW)
def bar_mean(rng: random.Random, variant_rng: random.Random | None = None):
    """Total or mean of all bars (the mean rounded to one decimal place)."""
    vr = variant_rng or rng
    ask = rng.choice(["mean", "mean", "total"])
    labels = rng.random() < 0.7
    d = bar_data(rng, vr, labels, n=vr.randint(3, 5))
    vals, what = d["vals"], d["what"]
    steps = [_read_step(vr, d, labels)]
    ann_t, total = calc("+".join(map(str, vals)))
    steps.append(f"The total is {ann_t}.")
    if ask == "total":
        q = pick(
            rng,
            f"What is the total number of {what} shown in the chart?",
            "What is the sum of all the values?",
        )
        answer, atype, precision = num(total), "integer", None
        steps.append(f"The total is {num(total)}.")
        level = "one-op"
    else:
        q = pick(
            rng,
            f"What is the average number of {what} per {d['noun']}? Round to one decimal place.",
            "What is the mean of the values in the chart? Round to one decimal place.",
        )
        ann_m, mean = calc(f"{num(total)}/{len(vals)}", 1)
        steps += [f"There are {len(vals)} bars, so the mean is {ann_m}.", f"The mean is {num(mean, 1)}."]
        answer, atype, precision, level = num(mean, 1), "float", 1, "multi-step"
    return build(
        family="bar_mean",
        scene=d["scene"],
        answer=answer,
        answer_type=atype,
        precision=precision,
        parts=QuestionParts(_describe(d), "", "", q),
        steps=steps,
        difficulty=level,
        subject=SUBJECT,
        template=f"bar_mean:{ask}:{labels}",
        **{**CHART_META, "level": "high school"},
    )


# === pie charts ===

PIE_TOPICS = (
    ("Favourite sport", "students", ("Soccer", "Tennis", "Swimming", "Running", "Cycling", "Chess")),
    ("Monthly budget", "dollars", ("Rent", "Food", "Travel", "Savings", "Fun", "Books")),
    ("Pets owned", "families", ("Dogs", "Cats", "Fish", "Birds", "Rabbits", "None")),
    ("Time spent", "hours", ("Sleep", "School", "Play", "Meals", "Homework", "Other")),
)


@register_family("pie_share", difficulty="read", **KW)
def pie_share(rng: random.Random, variant_rng: random.Random | None = None):
    """Percent share of a pie wedge, the largest share, two shares combined, or a share of a total."""
    vr = variant_rng or rng
    ask = rng.choice(["percent", "percent", "largest", "combined", "count"])
    title, unit_word, pool = PIE_TOPICS[vr.randrange(len(PIE_TOPICS))]
    n = vr.randint(3, 5)
    names = vr.sample(list(pool), n)
    while True:  # percentages, multiples of 5, summing to 100, largest unique, each at least 10
        cuts = sorted(vr.sample(range(2, 20), n - 1))
        pcts = [5 * (b - a) for a, b in zip([0, *cuts], [*cuts, 20], strict=True)]
        if min(pcts) >= 10 and sorted(pcts)[-1] != sorted(pcts)[-2]:
            break
    sc = Scene(384, 384, rotation_limit=0)
    show = "both"  # answers are read off "name N%" labels (legend mode needs matching wedge colours)
    sc.add(
        PieChart(
            (192 if show == "both" else 140, 205),
            105 if show == "both" else 100,
            names,
            pcts,
            show=show,
            start=vr.choice([90.0, 0.0, 30.0]),
            title=title if vr.random() < 0.7 else "",
        )
    )
    steps = [
        pick(
            vr,
            f"The pie chart shows {listing([(a, f'{p}%') for a, p in zip(names, pcts, strict=True)])}.",
            f"The shares are {listing([(a, f'{p}%') for a, p in zip(names, pcts, strict=True)], ': ')}.",
        )
    ]
    alternatives: list[str] = []
    precision = None
    if ask == "percent":
        i = vr.randrange(n)
        q = pick(
            rng, f"What percentage of the pie is {names[i]}?", f"What percent does {names[i]} account for?"
        )
        answer, atype, level = str(pcts[i]), "integer", "read"
        steps.append(f"{names[i]} is {pcts[i]}%.")
    elif ask == "largest":
        i = pcts.index(max(pcts))
        q = "Which category has the largest share?"
        answer, atype, level = names[i], "text", "read"
        alternatives = [a for a in names if a != names[i]]
        steps.append(extreme_step("share", names, pcts, unit="%"))
    elif ask == "combined":
        i, j = vr.sample(range(n), 2)
        q = f"What percentage of the pie do {names[i]} and {names[j]} make up together?"
        ann, val = calc(f"{pcts[i]}+{pcts[j]}")
        answer, atype, level = num(val), "integer", "one-op"
        steps += [f"Together: {ann}.", f"They make up {num(val)}%."]
    else:
        total = 20 * vr.randint(2, 15)
        i = vr.randrange(n)
        q = f"The chart describes {total} {unit_word} in all. How many {unit_word} are in {names[i]}?"
        ann, val = calc(f"{total}*{pcts[i]}/100")
        answer, atype, level = num(val), "integer", "one-op"
        steps += [f"{names[i]} is {pcts[i]}% of {total}: {ann}.", f"So {num(val)} {unit_word}."]
    return build(
        family="pie_share",
        scene=sc,
        answer=answer,
        answer_type=atype,
        precision=precision,
        parts=QuestionParts(
            f"The pie chart shows how the {unit_word} are shared among {n} categories.", "", "", q
        ),
        steps=steps,
        difficulty=level,
        subject=SUBJECT,
        template=f"pie_share:{ask}",
        level="elementary school",
        context="pie chart",
        skills=["statistical reasoning", "arithmetic reasoning"],
        alternatives=alternatives,
    )
