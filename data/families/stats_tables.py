"""Table, line-chart and scatter-plot families: table look-up and simple table computations, the change
of a line chart between two years, counting scatter points beyond a threshold.
"""

from __future__ import annotations

import random

from svemath.data.charts import LineChart, ScatterChart, Table
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
KW = {"subject": SUBJECT, "dynamath_topic": "statistics"}

# (row header, row names, column names, what the cells count, row noun, question about one cell)
TABLE_TOPICS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], str, str, str], ...] = (
    (
        "Name",
        NAMES,
        ("Math", "Art", "Music", "PE"),
        "points",
        "student",
        "How many points did {r} score in {c}?",
    ),
    (
        "Shop",
        ("North", "South", "East", "West", "Mall"),
        ("Jan", "Feb", "Mar", "Apr"),
        "sales",
        "shop",
        "How many sales did the {r} shop make in {c}?",
    ),
    (
        "Class",
        ("5A", "5B", "6A", "6B", "7A"),
        ("Boys", "Girls", "Adults"),
        "people",
        "class",
        "How many {c} are in class {r}?",
    ),
    (
        "Farm",
        ("Oak", "Pine", "Elm", "Ash"),
        ("Cows", "Hens", "Pigs", "Goats"),
        "animals",
        "farm",
        "How many {c} are on the {r} farm?",
    ),
)


def table_data(vr: random.Random, n_rows: int | None = None) -> dict:
    header, row_pool, col_pool, what, noun, cell_q = TABLE_TOPICS[vr.randrange(len(TABLE_TOPICS))]
    rows = vr.sample(list(row_pool), n_rows or vr.randint(3, 4))
    cols = list(col_pool[: vr.randint(2, len(col_pool))])
    columns = [vr.sample(range(1, 61), len(rows)) for _ in cols]  # distinct within a column: unique max
    cells = [[columns[j][i] for j in range(len(cols))] for i in range(len(rows))]
    grid = [[header, *cols]] + [[r, *map(str, vals)] for r, vals in zip(rows, cells, strict=True)]
    sc = Scene(384, 384, rotation_limit=0)
    sc.add(Table((192, 192), grid))
    return {
        "scene": sc,
        "rows": rows,
        "cols": cols,
        "cells": cells,
        "what": what,
        "cell_q": cell_q,
        "noun": noun,
    }


TABLE_META = {
    "level": "elementary school",
    "context": "table",
    "skills": ["arithmetic reasoning", "statistical reasoning"],
}
TABLE_KW = {**KW, "mathvista_task": "math word problem"}


@register_family("table_lookup", difficulty="read", **TABLE_KW)
def table_lookup(rng: random.Random, variant_rng: random.Random | None = None):
    """The value of one table cell, found by its row and column headers."""
    vr = variant_rng or rng
    form = rng.randrange(2)
    d = table_data(vr)
    i, j = vr.randrange(len(d["rows"])), vr.randrange(len(d["cols"]))
    r, c, v = d["rows"][i], d["cols"][j], d["cells"][i][j]
    q = d["cell_q"].format(r=r, c=c) if form == 0 else f"What is the value in the row {r} and the column {c}?"
    steps = [
        pick(
            vr, f"In the row for {r}, the column {c} shows {v}.", f"Row {r}, column {c}: the cell reads {v}."
        ),
        f"The answer is {v}.",
    ]
    return build(
        family="table_lookup",
        scene=d["scene"],
        answer=str(v),
        answer_type="integer",
        parts=QuestionParts(f"The table lists the {d['what']} for each {d['noun']}.", "", "", q),
        steps=steps,
        difficulty="read",
        subject=SUBJECT,
        template=f"table_lookup:{form}",
        **TABLE_META,
    )


@register_family("table_compute", difficulty="one-op", **TABLE_KW)
def table_compute(rng: random.Random, variant_rng: random.Random | None = None):
    """A row total, the difference of two cells, the largest entry of a column, or a column mean."""
    vr = variant_rng or rng
    ask = rng.choice(["row_total", "diff", "col_max", "col_mean"])
    d = table_data(vr)
    rows, cols, cells = d["rows"], d["cols"], d["cells"]
    precision, alternatives, level = None, [], "one-op"
    if ask == "row_total":
        i = vr.randrange(len(rows))
        q = f"What is the total of all values in the row {rows[i]}?"
        ann, val = calc("+".join(map(str, cells[i])))
        steps = [
            f"The row {rows[i]} shows {listing(list(zip(cols, cells[i], strict=True)))}.",
            f"Total: {ann}.",
        ]
        answer, atype = num(val), "integer"
    elif ask == "diff":
        j = vr.randrange(len(cols))
        i1, i2 = vr.sample(range(len(rows)), 2)
        if cells[i1][j] < cells[i2][j]:
            i1, i2 = i2, i1
        q = f"In the column {cols[j]}, how much greater is the value of {rows[i1]} than that of {rows[i2]}?"
        ann, val = calc(f"{cells[i1][j]}-{cells[i2][j]}")
        steps = [
            f"In the column {cols[j]}: {rows[i1]} = {cells[i1][j]} and {rows[i2]} = {cells[i2][j]}.",
            f"The difference is {ann}.",
        ]
        answer, atype = num(val), "integer"
    elif ask == "col_max":
        j = vr.randrange(len(cols))
        col = [cells[i][j] for i in range(len(rows))]
        i = col.index(max(col))
        q = f"Which {d['noun']} has the largest value in the column {cols[j]}?"
        steps = [
            f"The column {cols[j]} shows {listing(list(zip(rows, col, strict=True)))}.",
            extreme_step("value", rows, col),
        ]
        answer, atype = rows[i], "text"
        alternatives = [r for r in rows if r != rows[i]]
    else:
        j = vr.randrange(len(cols))
        col = [cells[i][j] for i in range(len(rows))]
        q = f"What is the mean of the column {cols[j]}? Round to one decimal place."
        ann_t, total = calc("+".join(map(str, col)))
        ann_m, mean = calc(f"{num(total)}/{len(col)}", 1)
        steps = [
            f"The column {cols[j]} shows {listing(list(zip(rows, col, strict=True)))}.",
            f"Total: {ann_t}.",
            f"Mean: {ann_m}.",
        ]
        answer, atype, precision, level = num(mean, 1), "float", 1, "multi-step"
    steps.append(f"The answer is {answer}.")
    return build(
        family="table_compute",
        scene=d["scene"],
        answer=answer,
        answer_type=atype,
        precision=precision,
        parts=QuestionParts(f"The table lists the {d['what']} for each {d['noun']}.", "", "", q),
        steps=steps,
        difficulty=level,
        subject=SUBJECT,
        template=f"table_compute:{ask}",
        alternatives=alternatives,
        **TABLE_META,
    )


# === line chart ===

LINE_TOPICS = (
    ("Population (thousands)", "population"),
    ("Ticket sales", "ticket sales"),
    ("Rainfall (cm)", "rainfall"),
    ("Members", "number of members"),
    ("Trees planted", "number of trees planted"),
)


@register_family("line_chart_change", difficulty="one-op", mathvista_task="figure question answering", **KW)
def line_chart_change(rng: random.Random, variant_rng: random.Random | None = None):
    """Change of a line chart between two years, its value in a year, or the year of its peak."""
    vr = variant_rng or rng
    ask = rng.choice(["change", "change", "value_at", "peak"])
    title, what = LINE_TOPICS[vr.randrange(len(LINE_TOPICS))]
    n = vr.randint(4, 5)
    if n == 4:  # four-digit years need wide slots: five points use month names
        start = vr.randint(2010, 2020)
        years = [str(start + k) for k in range(n)]
    else:
        start = vr.randint(0, 7)
        years = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][
            start : start + n
        ]
    step = vr.choice([2, 5, 10])
    while True:
        vals = [step * vr.randint(1, 8) for _ in years]
        if sorted(vals)[-1] != sorted(vals)[-2] and len(set(vals)) > 2:
            break
    sc = Scene(384, 384, rotation_limit=0)
    sc.add(
        LineChart(
            (60, 50, 360, 330),
            years,
            {what: vals},
            ticks=list(range(0, max(vals) + step, step)),
            title=title if vr.random() < 0.8 else "",
        )
    )
    steps = [
        pick(
            vr,
            f"Reading the points against the grid: {listing(list(zip(years, vals, strict=True)))}.",
            f"The line chart shows {listing(list(zip(years, vals, strict=True)))}.",
        )
    ]
    alternatives: list[str] = []
    if ask == "change":
        while True:
            a, b = sorted(vr.sample(range(n), 2))
            if vals[a] != vals[b]:
                break
        up = vals[b] > vals[a]
        q = f"By how much did the {what} {'increase' if up else 'decrease'} from {years[a]} to {years[b]}?"
        ann, val = calc(f"{vals[b]}-{vals[a]}" if up else f"{vals[a]}-{vals[b]}")
        steps += [f"{years[a]}: {vals[a]}; {years[b]}: {vals[b]}.", f"The change is {ann}."]
        answer, atype, level = num(val), "integer", "one-op"
    elif ask == "value_at":
        i = vr.randrange(n)
        q = f"What was the {what} in {years[i]}?"
        answer, atype, level = str(vals[i]), "integer", "read"
        steps.append(f"In {years[i]} the value is {vals[i]}.")
    else:
        i = vals.index(max(vals))
        q = f"In which {'year' if n == 4 else 'month'} was the {what} the highest?"
        answer, atype, level = years[i], "text", "read"
        alternatives = [y for y in years if y != years[i]]
        steps.append(extreme_step("value", years, vals))
    steps.append(f"The answer is {answer}.")
    return build(
        family="line_chart_change",
        scene=sc,
        answer=answer,
        answer_type=atype,
        parts=QuestionParts(f"The line chart shows the {what} from {years[0]} to {years[-1]}.", "", "", q),
        steps=steps,
        difficulty=level,
        subject=SUBJECT,
        template=f"line_chart_change:{ask}",
        level="elementary school",
        context="line plot",
        skills=["statistical reasoning"],
        alternatives=alternatives,
    )


# === scatter plot ===


@register_family("scatter_count", difficulty="read", mathvista_task="figure question answering", **KW)
def scatter_count(rng: random.Random, variant_rng: random.Random | None = None):
    """Count the scatter points above a dashed line y = k, to the right of x = k, or in all."""
    vr = variant_rng or rng
    ask = rng.choice(["above", "above", "right", "total"])
    mc = rng.random() < 0.2
    n = vr.randint(6, 12)
    k = vr.randint(3, 7)
    pts: list[tuple[int, int]] = []
    while len(pts) < n:
        p = (vr.randint(1, 10), vr.randint(1, 10))
        if p not in pts and (ask != "above" or p[1] != k) and (ask != "right" or p[0] != k):
            pts.append(p)
    sc = Scene(384, 384, rotation_limit=0)
    sc.add(
        ScatterChart(
            (60, 40, 350, 330),
            pts,
            xlim=(0, 10.5),
            ylim=(0, 10.5),
            trend=(0, k) if ask == "above" else None,
            fill=vr.randrange(4),
        )
    )
    if ask == "above":
        inside = [p for p in pts if p[1] > k]
        q = pick(
            rng,
            f"How many points lie above the dashed line y = {k}?",
            f"How many points have a y-value greater than {k}?",
        )
        desc = f"The points above y = {k} are"
    elif ask == "right":
        inside = [p for p in pts if p[0] > k]
        q = f"How many points have an x-value greater than {k}?"
        desc = f"The points with x > {k} are"
    else:
        inside = pts
        q = pick(rng, "How many points are plotted?", "How many data points are in the scatter plot?")
        desc = "The points are"
    steps = [
        f"{desc} {', '.join(f'({x}, {y})' for x, y in sorted(inside))}." if inside else f"{desc} none.",
        f"Counting them gives {len(inside)}.",
    ]
    answer, atype, choices = str(len(inside)), "integer", None
    if mc:
        choices, answer = choices_for(vr, answer, near_ints(vr, len(inside), extra=[n - len(inside)], lo=0))
        atype = "multiple_choice"
    return build(
        family="scatter_count",
        scene=sc,
        answer=answer,
        answer_type=atype,
        choices=choices,
        parts=QuestionParts(
            f"The scatter plot shows {'a set of' if ask != 'total' else 'several'} data points.", "", "", q
        ),
        steps=steps,
        difficulty="read",
        subject=SUBJECT,
        template=f"scatter_count:{ask}:{mc}",
        level="elementary school",
        context="scatter plot",
        skills=["statistical reasoning"],
    )
