"""Compositions of function plots, charts, tables, graphs, solids and pictograms, with true facts.
(The dense mixed ``collage`` for the primitives suite is in ``compose_collage``.)

Chart categories and table names come from small fixed word sets (``CATEGORY_SETS``, ``PEOPLE``). A label
reader trained on those alone learns the words rather than their spelling (train/results/perception.md),
so ``--option label_words=open`` makes half of the charts and tables use made-up words instead
(:func:`open_words`: pronounceable letter strings of 2-7 letters); the default (``fixed``) draws as
before, byte for byte.
"""

from __future__ import annotations

import math
import random

from svemath.data.charts import BarChart, LineChart, PieChart, ScatterChart, Table
from svemath.data.compose import Composition, Fact, join_words, plural, unit_text
from svemath.data.compose_collage import collage
from svemath.data.generate import current_options
from svemath.data.graphs import Graph, circle_layout, random_layout
from svemath.data.pictograms import pictogram
from svemath.data.plots import Axes, format_number
from svemath.data.scene import Scene
from svemath.data.solids import Solid

CATEGORY_SETS = (
    ("A", "B", "C", "D", "E", "F"),
    ("Mon", "Tue", "Wed", "Thu", "Fri"),
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun"),
    ("red", "blue", "green", "pink", "gray"),
    ("apple", "pear", "plum", "kiwi", "fig"),
    ("2019", "2020", "2021", "2022", "2023"),
    ("Ann", "Bob", "Cy", "Dan", "Eve"),
)
PEOPLE = ("Ann", "Bob", "Cy", "Dan", "Eve", "Fay", "Gus")
__all__ = ["bar_chart", "collage", "function_plot", "graph", "line_chart", "pictogram_scene", "pie_chart",
           "scatter", "solid", "table"]  # fmt: skip


VOWELS, CONSONANTS = "aeiou", "bcdfghjklmnprstvwyz"


def _open_labels(rng: random.Random) -> bool:
    """True for the charts and tables that use made-up words (half of them under ``label_words=open``)."""
    mode = current_options().get("label_words", "fixed")
    if mode not in ("fixed", "open"):
        from svemath.errors import ConfigError

        raise ConfigError(f"--option label_words must be fixed or open, got {mode!r}")
    return mode == "open" and rng.random() < 0.5


def open_words(rng: random.Random, n: int) -> list[str]:
    """``n`` distinct made-up words: 2-7 letters alternating consonants and vowels, mostly capitalised."""
    words: list[str] = []
    while len(words) < n:
        length, vowel = rng.randint(2, 7), rng.random() < 0.3
        letters = []
        for _ in range(length):
            letters.append(rng.choice(VOWELS if vowel else CONSONANTS))
            vowel = not vowel if rng.random() < 0.85 else vowel
        word = "".join(letters)
        word = word.capitalize() if rng.random() < 0.7 else word
        if word not in words:
            words.append(word)
    return words


def _categories(rng: random.Random, n: int) -> list[str]:
    if _open_labels(rng):
        return open_words(rng, n)
    cats = rng.choice([c for c in CATEGORY_SETS if len(c) >= n])
    start = rng.randint(0, len(cats) - n)
    return list(cats[start : start + n])


def _distinct_extremes(values: list[float]) -> bool:
    return values.count(max(values)) == 1 and values.count(min(values)) == 1


def function_plot(rng: random.Random, width: int, height: int) -> Composition:
    kind = rng.choice(
        ["linear", "linear", "quadratic", "quadratic", "sine", "exponential", "abs", "cubic", "reciprocal"]
    )
    facts: list[Fact] = []
    if kind == "linear":
        m, b = rng.choice([-3, -2, -1, 1, 2, 3, 0.5, -0.5]), rng.randint(-3, 3)
        f = lambda x: m * x + b  # noqa: E731
        mt = {1: "", -1: "-", 0.5: "0.5", -0.5: "-0.5"}.get(m, str(m))
        formula = f"y = {mt}x" + (f" + {b}" if b > 0 else f" - {-b}" if b < 0 else "")
        facts.append(Fact(f"It is a straight line with slope {format_number(m)} and y-intercept {b}."))
        special = [(0.0, float(b))]
    elif kind == "quadratic":
        a, h, k = rng.choice([1, -1, 0.5, 2]), rng.randint(-2, 2), rng.randint(-3, 3)
        f = lambda x: a * (x - h) ** 2 + k  # noqa: E731
        at = {1: "", -1: "-", 0.5: "0.5", 2: "2"}[a]
        inner = "x" if h == 0 else (f"(x - {h})" if h > 0 else f"(x + {-h})")
        formula = f"y = {at}{inner}²" + (f" + {k}" if k > 0 else f" - {-k}" if k < 0 else "")
        facts.append(
            Fact(f"It is a parabola opening {'upward' if a > 0 else 'downward'} with vertex ({h}, {k}).")
        )
        special = [(float(h), float(k))]
    elif kind == "sine":
        amp = rng.choice([1, 2, 3])
        f = lambda x: amp * math.sin(x)  # noqa: E731
        formula = f"y = {'' if amp == 1 else amp}sin x"
        facts.append(Fact(f"It is a sine wave with amplitude {amp}."))
        special = [(0.0, 0.0)]
    elif kind == "exponential":
        base = rng.choice([2, 3])
        f = lambda x: base**x  # noqa: E731
        formula = f"y = {base}ˣ"
        facts.append(Fact("It is an increasing exponential curve through (0, 1)."))
        special = [(0.0, 1.0)]
    elif kind == "abs":
        h, k = rng.randint(-2, 2), rng.randint(-2, 2)
        f = lambda x: abs(x - h) + k  # noqa: E731
        inner = "x" if h == 0 else (f"x - {h}" if h > 0 else f"x + {-h}")
        formula = f"y = |{inner}|" + (f" + {k}" if k > 0 else f" - {-k}" if k < 0 else "")
        facts.append(Fact(f"It is a V shape with its corner at ({h}, {k})."))
        special = [(float(h), float(k))]
    elif kind == "cubic":
        f = lambda x: x**3 / 3 - x  # noqa: E731
        formula = "y = x³/3 - x"
        facts.append(Fact("It is a cubic curve through the origin."))
        special = [(0.0, 0.0)]
    else:
        f = lambda x: 1 / x  # noqa: E731
        formula = "y = 1/x"
        facts.append(Fact("It is a hyperbola with two branches, undefined at x = 0."))
        special = []
    xr = rng.choice([4, 5, 6])
    ys = [
        f(-xr + 2 * xr * i / 60)
        for i in range(61)
        if not (kind == "reciprocal" and abs(-xr + 2 * xr * i / 60) < 0.2)
    ]
    lo, hi = max(-8.0, min(min(ys), -1.0)), min(8.0, max(max(ys), 1.0))
    ylim = (math.floor(lo - 0.5), math.ceil(hi + 0.5))
    side = min(width, height)
    titled = rng.random() < 0.5  # the formula as a title above the plot, else beside the curve
    sc = Scene(width, height, rotation_limit=0.0 if titled else 3.0)
    top = side * (0.17 if titled else 0.08)
    ax = sc.add(Axes((side * 0.1, top, width - side * 0.08, height - side * 0.1), xlim=(-xr, xr), ylim=ylim,
                     grid=rng.random() < 0.6, frame=rng.choice(["cross", "cross", "box"])))  # fmt: skip
    sc.add(ax.curve(f, label="" if titled else formula, color=rng.choice([None, 0, 1, 3])))
    if titled:
        sc.text((width / 2, side * 0.02), formula, align=(0.5, 0.0))
    for x, y in special:
        if rng.random() < 0.6 and ylim[0] <= y <= ylim[1]:
            text = f"({format_number(x)}, {format_number(y)})"
            sc.add(ax.point(x, y, text))
            facts.append(Fact(f"The point {text} is marked on the curve.", (text,)))
    xt = ax.ticks()[0]
    summary = f"The graph of {formula} is drawn on a coordinate plane."
    facts.insert(0, Fact(f"The x-axis shows values from {format_number(xt[0])} to {format_number(xt[-1])}.",
                         (format_number(xt[0]), format_number(xt[-1]))))  # fmt: skip
    return Composition(sc, "function plot", "functions", summary, facts)


def _chart_box(width: int, height: int, left: float = 0.16, top: float = 0.14, bottom: float = 0.13) -> tuple:
    side = min(width, height)
    return (side * left, side * top, width - side * 0.05, height - side * bottom)


def bar_chart(rng: random.Random, width: int, height: int) -> Composition:
    n = rng.randint(3, 6)
    while True:
        values = [rng.randint(1, 12) * rng.choice([1, 1, 5]) for _ in range(n)] if rng.random() < 0.8 else [
            round(rng.uniform(1, 10), 1) for _ in range(n)]  # fmt: skip
        if _distinct_extremes(values):
            break
    cats = _categories(rng, n)
    horizontal = rng.random() < 0.25
    value_labels = rng.random() < 0.5
    title = rng.choice(["", "", "Sales", "Votes", "Scores", "Visitors", "Rainfall (mm)"])
    sc = Scene(width, height, rotation_limit=2.0)
    left = 0.2 if horizontal else 0.13
    sc.add(BarChart(_chart_box(width, height, left=left), cats, values, horizontal=horizontal, value_labels=value_labels,
                    title=title, colors=[rng.randrange(6)] * n if rng.random() < 0.6 else list(range(n)),
                    grid=rng.random() < 0.6))  # fmt: skip
    vt = [format_number(v) for v in values]
    imax, imin = values.index(max(values)), values.index(min(values))
    facts = [
        Fact(f"The bars show {join_words(f'{c}: {v}' for c, v in zip(cats, vt, strict=True))}.", tuple(cats))
    ]
    word = "longest" if horizontal else "tallest"
    facts.append(Fact(f"The {word} bar is {cats[imax]} with {vt[imax]}.", (cats[imax],)))
    facts.append(Fact(f"The {'shortest'} bar is {cats[imin]} with {vt[imin]}.", (cats[imin],)))
    kind = "horizontal bar chart" if horizontal else "bar chart"
    summary = f"The image is a {kind}" + (f" titled {title}" if title else "") + f" with {n} bars."
    return Composition(sc, "bar chart", "statistics", summary, facts)


def line_chart(rng: random.Random, width: int, height: int) -> Composition:
    n = rng.randint(4, 6)
    cats = _categories(rng, n)
    names = rng.sample(["A", "B", "sales", "cost", "north", "south"], rng.choice([1, 1, 2]))
    series = {}
    for name in names:
        while True:
            vals = [rng.randint(1, 20) for _ in range(n)]
            if _distinct_extremes(vals):
                break
        series[name] = vals
    sc = Scene(width, height, rotation_limit=2.0)
    title = rng.choice(["", "", "Growth", "Temperature", "Members"])
    sc.add(LineChart(_chart_box(width, height), cats, series, title=title, grid=rng.random() < 0.6))
    facts = []
    for name, vals in series.items():
        i = vals.index(max(vals))
        j = vals.index(min(vals))
        who = f"Series {name}" if len(series) > 1 else "The line"
        facts.append(
            Fact(
                f"{who} is highest at {cats[i]} ({vals[i]}) and lowest at {cats[j]} ({vals[j]}).",
                (cats[i], cats[j]),
            )
        )
    summary = "The image is a line chart" + (f" titled {title}" if title else "") + f" over {n} categories."
    if len(series) > 1:
        summary += f" It shows {len(series)} series, {join_words(names)}."
    return Composition(sc, "line chart", "statistics", summary, facts)


def pie_chart(rng: random.Random, width: int, height: int) -> Composition:
    n = rng.randint(3, 5)
    while True:
        cuts = sorted(rng.sample(range(1, 20), n - 1))
        shares = [b - a for a, b in zip([0, *cuts], [*cuts, 20], strict=True)]
        pct = [5 * s for s in shares]
        if _distinct_extremes(pct):
            break
    show = rng.choice(["both", "legend", "percent", "name"])
    names = _categories(rng, n)
    if show == "both":  # outside labels "name 35%": short names keep them inside the image
        names = list("ABCDEF"[:n]) if rng.random() < 0.6 else ["red", "blue", "green", "pink", "gray"][:n]
    side = min(width, height)
    sc = Scene(width, height, rotation_limit=0.0)
    centre = (width * (0.38 if show == "legend" else 0.5), height * 0.52)
    sc.add(
        PieChart(
            centre,
            side * {"legend": 0.3, "percent": 0.3, "name": 0.25, "both": 0.22}[show],
            names,
            pct,
            show=show,
            start=rng.choice([90.0, 0.0]),
        )
    )
    imax = pct.index(max(pct))
    drawn = {"both": [f"{a} {p}%" for a, p in zip(names, pct, strict=True)], "name": names,
             "percent": [f"{p}%" for p in pct], "legend": names}[show]  # fmt: skip
    facts = [
        Fact(
            f"The parts are {join_words(f'{a} {p}%' for a, p in zip(names, pct, strict=True))}.", tuple(drawn)
        )
    ]
    if show == "percent":
        facts[0] = Fact(f"The parts are {join_words(f'{p}%' for p in pct)}.", tuple(drawn))
        facts.append(Fact(f"The largest part is {pct[imax]}%.", (drawn[imax],)))
    else:
        facts.append(Fact(f"The largest share is {names[imax]} with {pct[imax]}%.", (drawn[imax],)))
    return Composition(sc, "pie chart", "statistics", f"The image is a pie chart with {n} parts.", facts)


def scatter(rng: random.Random, width: int, height: int) -> Composition:
    n = rng.randint(5, 12)
    slope = rng.choice([-1.0, -0.5, 0.5, 1.0, 2.0])
    pts = []
    for _ in range(n):
        x = rng.randint(1, 10)
        pts.append(
            (x, round(max(0.5, 5 + slope * (x - 5) + rng.uniform(-1.5, 1.5) + (10 if slope < 0 else 0)), 1))
        )
    sc = Scene(width, height, rotation_limit=2.0)
    trend = rng.random() < 0.3
    sc.add(
        ScatterChart(
            _chart_box(width, height, top=0.1),
            pts,
            trend=(slope, 5 - 5 * slope + (10 if slope < 0 else 0)) if trend else None,
        )
    )
    facts = [Fact(f"There are {n} data points.", ()),
             Fact(f"The points {'rise' if slope > 0 else 'fall'} from left to right.", ())]  # fmt: skip
    if trend:
        facts.append(Fact("A dashed trend line is drawn through them.", ()))
    return Composition(sc, "scatter plot", "statistics", "The image is a scatter plot.", facts)


def table(rng: random.Random, width: int, height: int) -> Composition:
    nrow = rng.randint(3, 5)
    header = rng.choice(
        [["Name", "Score"], ["Name", "Age", "Pets"], ["Item", "Price"], ["x", "y"], ["Day", "Sold", "Left"]]
    )
    if _open_labels(rng):
        header, firsts = open_words(rng, len(header)), open_words(rng, nrow)
    else:
        firsts = {
            "Name": rng.sample(PEOPLE, nrow),
            "x": [str(i + 1) for i in range(nrow)],
            "Item": rng.sample(["pen", "cup", "hat", "map", "box", "bag"], nrow),
            "Day": ["Mon", "Tue", "Wed", "Thu", "Fri"][:nrow],
        }[header[0]]
    rows = [header]
    for first in firsts:
        rows.append([first] + [str(rng.randint(1, 60)) for _ in header[1:]])
    sc = Scene(width, height, rotation_limit=1.0)
    sc.add(Table((width / 2, height / 2), rows, header=rng.random() < 0.8))
    facts = [Fact(f"The columns are {join_words(header)}.", tuple(header))]
    for r in rows[1:]:
        facts.append(
            Fact(
                f"{r[0]}: {', '.join(f'{h} {v}' for h, v in zip(header[1:], r[1:], strict=True))}.", tuple(r)
            )
        )
    return Composition(sc, "table", "statistics", f"The image is a table with {nrow} rows of data.", facts)


def graph(rng: random.Random, width: int, height: int) -> Composition:
    k = rng.randint(4, 6)
    names = [chr(65 + i) for i in range(k)]
    side = min(width, height)
    box = (side * 0.12, side * 0.12, width - side * 0.12, height - side * 0.12)
    nodes = circle_layout(names, (width / 2, height / 2), side * 0.36, rng.uniform(0, 90)) if rng.random() < 0.5 else \
        random_layout(names, box, rng, side * 0.28)  # fmt: skip
    order = names[:]
    rng.shuffle(order)
    pairs = {tuple(sorted((order[i], order[i + 1]))) for i in range(k - 1)}
    for _ in range(rng.randint(0, k)):
        a, b = rng.sample(names, 2)
        pairs.add(tuple(sorted((a, b))))
    weighted = rng.random() < 0.6
    edges = [(a, b, rng.randint(1, 12)) if weighted else (a, b) for a, b in sorted(pairs)]
    directed = rng.random() < 0.2
    sc = Scene(width, height)
    sc.add(Graph(nodes, edges, directed=directed))
    facts = [
        Fact(
            f"It has {plural(k, 'node')}, {join_words(names)}, and {plural(len(edges), 'edge')}.",
            tuple(names),
        )
    ]
    for e in edges:
        link = f"{e[0]} to {e[1]}" if directed else f"{e[0]} and {e[1]}"
        w = f" with weight {e[2]}" if weighted else ""
        facts.append(Fact(f"An edge joins {link}{w}.", (e[0], e[1]) + ((str(e[2]),) if weighted else ())))
    kind = "directed " if directed else ""
    return Composition(sc, "graph", "graph theory", f"The image is a {kind}graph.", facts)


def solid(rng: random.Random, width: int, height: int) -> Composition:
    kind = rng.choice(["cube", "cuboid", "cuboid", "cylinder", "cone", "sphere", "prism", "pyramid"])
    side = min(width, height)
    unit = unit_text(rng)
    vals = [rng.randint(2, 12) for _ in range(3)]
    texts = [f"{v}{unit}" for v in vals]
    sc = Scene(width, height, rotation_limit=4.0)
    base = (width * 0.45, height * 0.72)
    labels: dict[str, str] = {}
    facts: list[Fact] = []
    if kind in ("cylinder", "cone", "sphere"):
        r = side * (0.3 if kind == "sphere" else 0.22)
        h = side * rng.uniform(0.42, 0.52)
        if kind == "sphere":
            base = (width * 0.5, height * 0.5 + r)
        show = rng.random()
        labels["r"] = texts[0]
        facts.append(Fact(f"Its radius is {texts[0]}.", (texts[0],)))
        if kind != "sphere" and show < 0.8:
            labels["c"] = texts[1]
            facts.append(Fact(f"Its height is {texts[1]}.", (texts[1],)))
        sc.add(
            Solid(
                kind, base, r=r, c=h, labels=labels, fill="shade" if rng.random() < 0.2 else None, opacity=0.4
            )
        )
    else:
        a = side * rng.uniform(0.36, 0.46)
        b = a if kind in ("cube", "pyramid") else side * rng.uniform(0.25, 0.4)
        c = a if kind == "cube" else side * rng.uniform(0.3, 0.45)
        names = {"a": "length", "b": "width", "c": "height"}
        if kind == "cube":
            labels["a"] = texts[0]
            facts.append(Fact(f"Each edge is {texts[0]}.", (texts[0],)))
        else:
            for i, key in enumerate("abc"):
                if rng.random() < 0.75:
                    labels[key] = texts[i]
                    facts.append(Fact(f"Its {names[key]} is {texts[i]}.", (texts[i],)))
        sc.add(
            Solid(
                kind,
                base,
                a=a,
                b=b,
                c=c,
                labels=labels,
                fill="shade" if rng.random() < 0.2 else None,
                opacity=0.4,
            )
        )
    name = {"prism": "triangular prism", "pyramid": "square-based pyramid"}.get(kind, kind)
    facts.append(Fact("Hidden edges are drawn dashed.", ()))
    return Composition(sc, "solid", "solid geometry", f"The diagram shows a {name}.", facts)


def pictogram_scene(rng: random.Random, width: int, height: int) -> Composition:
    kinds = rng.sample(
        ["circle", "square", "triangle", "star", "hexagon", "diamond"], rng.choice([1, 2, 2, 3])
    )
    counts = {k: rng.randint(1, 9) for k in kinds}
    side = min(width, height)
    size = side * rng.uniform(0.075, 0.1)
    sc = Scene(width, height)
    margin = side * 0.06
    for icon in pictogram(counts, (margin, margin, width - margin, height - margin), rng, size):
        sc.add(icon)
    noun = {
        "circle": "circle",
        "square": "square",
        "triangle": "triangle",
        "star": "star",
        "hexagon": "hexagon",
        "diamond": "diamond",
    }
    items = [plural(n, noun[k]) for k, n in counts.items()]
    facts = [Fact(f"There are {join_words(items)}.", ())]
    total = sum(counts.values())
    if len(counts) > 1:
        facts.append(Fact(f"In total there are {total} objects.", ()))
    return Composition(
        sc, "pictogram", "counting", f"The picture shows {plural(total, 'object')} to count.", facts
    )
