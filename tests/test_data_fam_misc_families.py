"""The function, chart, table, counting and graph families: consistency over many seeds, calculator
annotations, determinism and DynaMath-style variants."""

from __future__ import annotations

import random
import re

import pytest

from svemath.data.families import load_families
from svemath.data.families.base import CALC_RE, LETTERS, evaluate
from svemath.data.problem_suites import check_problem
from svemath.data.render import render
from svemath.data.schema import LEVELS
from svemath.data.style import Style

MODULES = (
    "functions",
    "functions_props",
    "functions_trig",
    "stats_charts",
    "stats_tables",
    "counting",
    "graph_theory",
)
FAMS = load_families()
MINE = sorted(n for n in FAMS.names() if FAMS.get(n).make.__module__.rsplit(".", 1)[-1] in MODULES)
SEEDS = range(40)


def test_at_least_twelve_families_over_all_areas():
    assert len(MINE) >= 12
    subjects = {FAMS.get(n).subject for n in MINE}
    assert {"functions", "statistics", "arithmetic", "graph theory"} <= subjects
    levels = {FAMS.get(n).difficulty for n in MINE}
    assert levels == set(LEVELS)


def _calc_ok(step: str) -> bool:
    for expr, shown in CALC_RE.findall(step):
        value = evaluate(expr)
        decimals = len(shown.split(".")[1]) if "." in shown else 0
        if abs(value - float(shown)) > 0.5 * 10**-decimals + 1e-9:
            return False
    return True


@pytest.mark.parametrize("name", MINE)
def test_family_problems_are_consistent(name):
    fam = FAMS.get(name)
    types = set()
    for seed in SEEDS:
        p = fam.make(random.Random(seed))
        check_problem(p)  # answer type, choices, letter, level
        types.add(p.answer_type)
        assert p.family == name and p.difficulty in LEVELS
        if p.answer_type == "integer":
            assert re.fullmatch(r"-?\d+", p.answer), p.answer
        if p.answer_type == "float":
            assert p.precision in (1, 2)
            assert len(p.answer.split(".")[1]) <= p.precision if "." in p.answer else True
        if p.answer_type == "list":
            assert re.fullmatch(r"\[-?\d+(, -?\d+)*\]", p.answer), p.answer
        shown = p.choices[LETTERS.index(p.answer)] if p.answer_type == "multiple_choice" else p.answer
        assert shown in " ".join(p.steps), (name, seed, shown, p.steps)  # the CoT reaches the answer
        assert all(_calc_ok(s) for s in p.steps), (name, seed, p.steps)
        for key in ("template", "dynamath_level", "mathvista_context", "mathvista_skills"):
            assert key in p.meta, (name, key)
        assert p.meta["dynamath_level"] in ("elementary school", "high school", "undergraduate")
        if p.answer_type == "text":
            assert p.meta.get("alternatives"), "text answers carry plausible alternatives"
        if fam.mathverse_subject:
            assert p.parts.essential and p.condition_tags and p.meta.get("mathverse_subfield")
    assert types, name


@pytest.mark.parametrize("name", MINE)
def test_family_is_deterministic_and_variants_keep_the_template(name):
    fam = FAMS.get(name)
    a, b = fam.make(random.Random(7)), fam.make(random.Random(7))
    assert (a.question, a.answer, a.steps, a.choices) == (b.question, b.answer, b.steps, b.choices)
    for seed in (1, 2, 3):
        variants = [fam.make(random.Random(seed), random.Random(1000 + v)) for v in range(10)]
        assert len({v.meta["template"] for v in variants}) == 1
        assert len({v.answer_type for v in variants}) == 1
        distinct = {(v.question, v.answer, tuple(v.steps)) for v in variants}
        assert len(distinct) >= 4, (name, seed)  # values re-drawn


@pytest.mark.parametrize("name", MINE)
def test_family_scenes_render_their_labels_cleanly(name):
    fam = FAMS.get(name)
    dropped = 0
    for seed in range(12):
        p = fam.make(random.Random(seed))
        shown = render(p.scene, Style.clean())
        hidden = render(p.scene, Style.clean(), hide_roles=("condition",))
        dropped += bool(shown.dropped)
        assert len(hidden.texts) <= len(shown.texts)
        if p.condition_tags:  # hiding the conditions removes exactly their labels
            cond = {t.text for t in shown.texts if t.role == "condition"}
            assert cond and not cond & {t.text for t in hidden.texts if t.role == "condition"}
    assert dropped <= 1, f"{name}: {dropped}/12 clean renders dropped a label"
