"""Counting and arithmetic-in-pictures families: count shapes of a kind or of a colour, simple
arithmetic with pictured groups, and reading an analog clock.
"""

from __future__ import annotations

import math
import random

from svemath.data.drawlist import polar
from svemath.data.families.base import QuestionParts, calc, register_family
from svemath.data.families.misc_util import COLORS, NAMES, build, choices_for, extreme_step, num, pick, words
from svemath.data.pictograms import Icon, pictogram, scatter_positions
from svemath.data.scene import Scene, Text

SUBJECT = "arithmetic"
KW = {"subject": SUBJECT, "dynamath_topic": "arithmetic", "mathvista_task": "visual question answering"}
PLURAL = {
    "circle": "circles",
    "square": "squares",
    "triangle": "triangles",
    "star": "stars",
    "hexagon": "hexagons",
    "diamond": "diamonds",
}
COUNT_META = {"level": "elementary school", "context": "abstract scene", "skills": ["arithmetic reasoning"]}
BOX = (24.0, 24.0, 360.0, 360.0)


def tally(counts: dict[str, int], names: dict[str, str] | None = None) -> str:
    """``{"star": 5, "circle": 1}`` -> "5 stars and 1 circle"."""
    names = names or {}
    return words(
        [
            f"{n} {names.get(k, PLURAL.get(k, k)) if n != 1 else names.get(k, k).rstrip('s')}"
            for k, n in counts.items()
        ]
    )


@register_family("count_shapes", difficulty="read", **KW)
def count_shapes(rng: random.Random, variant_rng: random.Random | None = None):
    """How many shapes of one kind (or in total), which kind is most common, how many more of one kind."""
    vr = variant_rng or rng
    ask = rng.choice(["kind", "kind", "total", "most", "more"])
    kinds = vr.sample(list(PLURAL), vr.randint(2, 3))
    while True:
        counts = {k: vr.randint(1, 8) for k in kinds}
        top = sorted(counts.values())
        if ask not in ("most", "more") or top[-1] != top[-2]:
            break
    sc = Scene(384, 384)
    for icon in pictogram(counts, BOX, vr, size=vr.choice([30.0, 34.0, 38.0])):
        sc.add(icon)
    steps = [pick(vr, f"Counting the shapes: {tally(counts)}.", f"There are {tally(counts)}.")]
    alternatives, level = [], "read"
    if ask == "kind":
        k = vr.choice(kinds)
        q = pick(rng, f"How many {PLURAL[k]} are there?", f"How many {PLURAL[k]} are in the picture?")
        answer, atype = str(counts[k]), "integer"
        steps.append(f"So there are {counts[k]} {PLURAL[k]}.")
    elif ask == "total":
        q = pick(rng, "How many shapes are there in total?", "How many shapes are in the picture altogether?")
        ann, total = calc("+".join(str(counts[k]) for k in kinds))
        answer, atype = num(total), "integer"
        steps += [f"In total: {ann}.", f"There are {num(total)} shapes."]
    elif ask == "most":
        k = max(kinds, key=lambda c: counts[c])
        q = "Which shape appears most often?"
        answer, atype = k, "text"
        alternatives = [c for c in kinds if c != k] + [c for c in PLURAL if c not in kinds][:1]
        steps.append(f"The {PLURAL[k]} are the most common ({counts[k]}).")
    else:
        a, b = sorted(kinds[:2], key=lambda c: -counts[c])
        q = f"How many more {PLURAL[a]} are there than {PLURAL[b]}?"
        ann, val = calc(f"{counts[a]}-{counts[b]}")
        answer, atype, level = num(val), "integer", "one-op"
        steps += [f"The difference is {ann}.", f"There are {num(val)} more {PLURAL[a]}."]
    return build(
        family="count_shapes",
        scene=sc,
        answer=answer,
        answer_type=atype,
        parts=QuestionParts("The picture shows several shapes.", "", "", q),
        steps=steps,
        difficulty=level,
        subject=SUBJECT,
        template=f"count_shapes:{ask}",
        alternatives=alternatives,
        **COUNT_META,
    )


@register_family("count_by_color", difficulty="read", **KW)
def count_by_color(rng: random.Random, variant_rng: random.Random | None = None):
    """Count the shapes of one colour, find the most common colour, or count those not of a colour."""
    vr = variant_rng or rng
    ask = rng.choice(["color", "color", "most", "not"])
    mc = ask == "most" and rng.random() < 0.5
    kind = vr.choice(list(PLURAL))
    names = vr.sample(["red", "blue", "green", "orange", "purple", "yellow"], vr.randint(2, 4))
    while True:
        counts = {c: vr.randint(1, 7) for c in names}
        top = sorted(counts.values())
        if ask != "most" or top[-1] != top[-2]:
            break
    pos = scatter_positions(sum(counts.values()), BOX, 34.0, vr)
    sc = Scene(384, 384)
    k = 0
    for c in names:
        for _ in range(counts[c]):
            rgb = COLORS[c]  # outline: a darker shade of the fill (never the palette's colour cycling)
            sc.add(
                Icon(kind, pos[k], 34.0, fill=rgb, color=tuple(int(v * 0.55) for v in rgb), tag=f"{c} {kind}")
            )
            k += 1
    plural = PLURAL[kind]
    steps = [
        pick(
            vr,
            f"Counting the {plural} by colour: {tally(counts, {c: c for c in names})}.",
            "By colour: " + ", ".join(f"{c}: {counts[c]}" for c in names) + ".",
        )
    ]
    choices, alternatives, level = None, [], "read"
    if ask == "color":
        c = vr.choice(names)
        q = pick(rng, f"How many {c} {plural} are there?", f"How many {plural} are {c}?")
        answer, atype = str(counts[c]), "integer"
        steps.append(f"There are {counts[c]} {c} {plural}.")
    elif ask == "not":
        c = vr.choice(names)
        q = f"How many {plural} are not {c}?"
        ann, val = calc(f"{sum(counts.values())}-{counts[c]}")
        answer, atype, level = num(val), "integer", "one-op"
        steps += [
            f"There are {sum(counts.values())} {plural} and {counts[c]} of them are {c}.",
            f"Not {c}: {ann}.",
        ]
    else:
        c = max(names, key=lambda x: counts[x])
        q = f"Which colour has the most {plural}?"
        answer, atype = c, "text"
        alternatives = [x for x in names if x != c] + [
            x for x in ("red", "blue", "green", "gray") if x not in names
        ]
        steps.append(extreme_step("count", names, [counts[x] for x in names]))
        if mc:
            choices, answer = choices_for(vr, c, alternatives[:3])
            atype = "multiple_choice"
    return build(
        family="count_by_color",
        scene=sc,
        answer=answer,
        answer_type=atype,
        choices=choices,
        parts=QuestionParts(f"The picture shows {plural} in several colours.", "", "", q),
        steps=steps,
        difficulty=level,
        subject=SUBJECT,
        template=f"count_by_color:{ask}:{mc}",
        alternatives=alternatives,
        **COUNT_META,
    )


@register_family(
    "picture_arithmetic",
    difficulty="one-op",
    subject=SUBJECT,
    dynamath_topic="arithmetic",
    mathvista_task="math word problem",
)
def picture_arithmetic(rng: random.Random, variant_rng: random.Random | None = None):
    """Equal groups in boxes (how many in all, or shared equally), or taking some away from a picture."""
    vr = variant_rng or rng
    ask = rng.choice(["groups", "groups", "take_away", "share"])
    kind = vr.choice(list(PLURAL))
    plural = PLURAL[kind]
    who = vr.choice(NAMES)
    sc = Scene(384, 384)
    fill = vr.randrange(6)
    if ask == "groups":
        g, m = vr.randint(2, 4), vr.randint(2, 6)
        cols = 2 if m <= 4 else 3
        width = (336 - 12 * (g - 1)) / g
        for i in range(g):
            x0 = 24 + i * (width + 12)
            sc.polygon([(x0, 110), (x0 + width, 110), (x0 + width, 290), (x0, 290)])
            rows = math.ceil(m / cols)
            size = min(30.0, width / cols * 0.7, 160 / rows * 0.7)
            for k in range(m):
                cx = x0 + width * ((k % cols) + 0.5) / cols
                cy = 110 + 180 * ((k // cols) + 0.5) / rows
                sc.add(Icon(kind, (cx, cy), size, fill=fill, tag=kind))
        q = pick(
            rng,
            f"Each box holds the same number of {plural}. How many {plural} are there in all?",
            f"How many {plural} are in the {g} boxes altogether?",
        )
        ann, val = calc(f"{g}*{m}")
        steps = [f"There are {g} boxes with {m} {plural} in each.", f"In all: {ann}."]
        desc = f"The picture shows {g} boxes of {plural}."
    else:
        if ask == "share":
            parts_n = vr.randint(2, 4)
            n = parts_n * vr.randint(2, 4)
        else:
            n = vr.randint(5, 14)
            parts_n = vr.randint(1, n - 2)
        for icon in pictogram({kind: n}, BOX, vr, size=34.0):
            icon.fill = fill
            sc.add(icon)
        if ask == "share":
            q = f"{who} shares these {plural} equally among {parts_n} friends. How many {plural} does each friend get?"
            ann, val = calc(f"{n}/{parts_n}")
            steps = [f"There are {n} {plural}.", f"Each friend gets {ann}."]
        else:
            q = f"{who} has the {plural} shown and gives away {parts_n} of them. How many {plural} are left?"
            ann, val = calc(f"{n}-{parts_n}")
            steps = [f"There are {n} {plural}.", f"After giving away {parts_n}: {ann}."]
        desc = f"The picture shows some {plural}."
    steps.append(f"The answer is {num(val)}.")
    return build(
        family="picture_arithmetic",
        scene=sc,
        answer=num(val),
        answer_type="integer",
        parts=QuestionParts(desc, "", "", q),
        steps=steps,
        difficulty="one-op",
        subject=SUBJECT,
        template=f"picture_arithmetic:{ask}",
        **COUNT_META,
    )


# === clock ===


def clock_scene(vr: random.Random, hour: int, minute: int) -> Scene:
    """An analog clock face: circle, 12 ticks, the numbers 1-12, hour and minute hands."""
    sc = Scene(384, 384)
    c, r = (192.0, 192.0), 165.0
    sc.circle(c, r, weight=1.6, fill=vr.choice([None, None, "shade"]))
    minor = vr.random() < 0.3  # minute ticks too
    for k in range(60):
        deg = 90 - 6 * k
        inner = r - (14 if k % 5 == 0 else 7)
        if k % 5 == 0 or minor:
            sc.segment(polar(c, inner, deg), polar(c, r, deg), weight=1.2)
    numbers = vr.random() < 0.85
    for h in range(1, 13):
        if numbers or h % 3 == 0:
            sc.add(Text(polar(c, r - 38, 90 - 30 * h), str(h), align=(0.5, 0.5)))
    hour_deg = 90 - 30 * ((hour % 12) + minute / 60)
    minute_deg = 90 - 6 * minute
    sc.segment(c, polar(c, r * 0.5, hour_deg), weight=2.6, tag="hour hand")
    sc.segment(c, polar(c, r * 0.8, minute_deg), weight=1.5, tag="minute hand")
    sc.point(*c, marked=True)
    return sc


def fmt_time(h: int, m: int) -> str:
    return f"{(h - 1) % 12 + 1}:{m:02d}"


@register_family(
    "clock_reading",
    difficulty="read",
    subject=SUBJECT,
    dynamath_topic="arithmetic",
    mathvista_task="visual question answering",
)
def clock_reading(rng: random.Random, variant_rng: random.Random | None = None):
    """Read the time on an analog clock, the time some minutes later, or the minutes to the next hour."""
    vr = variant_rng or rng
    ask = rng.choice(["time", "time", "later", "to_hour"])
    hour, minute = vr.randint(1, 12), 5 * vr.randint(0, 11)
    sc = clock_scene(vr, hour, minute)
    now = fmt_time(hour, minute)
    steps = [
        f"The short hand is {'at' if minute == 0 else 'just past'} {hour} and the long hand points to "
        f"{minute // 5 if minute else 12}, which means {minute} minutes.",
        f"The clock shows {now}.",
    ]
    alternatives: list[str] = []
    if ask == "time":
        q = pick(
            rng,
            "What time does the clock show? Answer in the form h:mm.",
            "What time is it? Answer like 3:45.",
        )
        answer, atype, level = now, "text", "read"
        swapped = fmt_time(minute // 5 or 12, (hour % 12) * 5)
        alternatives = [
            swapped,
            fmt_time(hour + 1, minute),
            fmt_time(hour, (minute + 30) % 60),
            fmt_time(hour - 1, minute),
        ]
    elif ask == "later":
        add = 5 * vr.randint(2, 9)
        q = f"What time will it be {add} minutes later? Answer in the form h:mm."
        total = minute + add
        ann, _ = calc(f"{minute}+{add}")
        h2, m2 = hour + total // 60, total % 60
        steps.append(
            f"Adding {add} minutes: {ann} minutes past {hour}"
            + (", which is past the next hour." if total >= 60 else ".")
        )
        answer, atype, level = fmt_time(h2, m2), "text", "one-op"
        alternatives = [
            fmt_time(hour, (minute + add) % 60),
            fmt_time(h2 + 1, m2),
            fmt_time(h2, (m2 + 5) % 60),
            now,
        ]
    else:
        q = f"How many minutes are left until {(hour % 12) + 1} o'clock?"
        ann, val = calc(f"60-{minute}")
        steps.append(f"Minutes left: {ann}.")
        answer, atype, level = num(val), "integer", "one-op"
    steps.append(f"The answer is {answer}.")
    return build(
        family="clock_reading",
        scene=sc,
        answer=answer,
        answer_type=atype,
        parts=QuestionParts("The picture shows an analog clock.", "", "", q),
        steps=steps,
        difficulty=level,
        subject=SUBJECT,
        template=f"clock_reading:{ask}",
        level="elementary school",
        context="abstract scene",
        skills=["numeric commonsense", "arithmetic reasoning"],
        alternatives=alternatives,
    )
