"""Contract tests of the geometry problem families (plane, analytic, solid): every family makes
consistent problems for many seeds, calculator annotations are right, DynaMath-style variants keep
their template, generation is deterministic and hidden condition labels really disappear."""

from __future__ import annotations

import random
import re

import pytest

from svemath.data.families import load_families
from svemath.data.families.base import CALC_RE, DYNAMATH_TOPICS, LETTERS, MATHVISTA_TASKS, evaluate
from svemath.data.render import render
from svemath.data.style import Style

FAMILIES = load_families()
GEO = sorted(
    n for n in FAMILIES.names() if FAMILIES.get(n).make.__module__.rsplit(".", 1)[-1].startswith("geometry_")
)
SEEDS = range(30)


def _make(name: str, seed: int, variant: int | None = None):
    vr = random.Random(variant) if variant is not None else None
    return FAMILIES.get(name).make(random.Random(seed), vr)


def test_family_set_covers_the_brief():
    assert len(GEO) >= 13
    levels = [FAMILIES.get(n).difficulty for n in GEO]
    assert levels.count("read") >= 6 and levels.count("one-op") >= 8 and levels.count("multi-step") >= 4
    topics = {FAMILIES.get(n).dynamath_topic for n in GEO}
    assert {"plane geometry", "solid geometry", "analytic geometry"} <= topics
    for n in GEO:
        fam = FAMILIES.get(n)
        assert fam.dynamath_topic in DYNAMATH_TOPICS and fam.mathvista_task in MATHVISTA_TASKS
        assert fam.mathverse_subject in ("Plane Geometry", "Solid Geometry")
        assert fam.description


@pytest.mark.parametrize("name", GEO)
def test_problems_are_consistent(name: str):
    fam = FAMILIES.get(name)
    types = set()
    for seed in SEEDS:
        p = _make(name, seed, seed + 1000 if seed % 2 else None)
        where = f"{name} seed {seed}"
        assert p.family == name and p.difficulty == fam.difficulty, where
        assert p.subject in ("plane geometry", "solid geometry", "analytic geometry"), where
        assert p.parts.question.strip() and p.parts.descriptive.strip(), where
        assert isinstance(p.answer, str) and p.answer, where
        types.add(p.answer_type)
        if p.answer_type == "multiple_choice":
            assert p.choices and 2 <= len(p.choices) <= 5 and len(set(p.choices)) == len(p.choices), where
            assert p.answer in LETTERS[: len(p.choices)], where
            assert any(f"({p.answer})" in s for s in p.steps), f"{where}: steps do not name the letter"
        else:
            assert p.choices is None, where
        if p.answer_type == "integer":
            assert re.fullmatch(r"-?\d+", p.answer), where
            assert p.precision is None, where
        if p.answer_type == "float":
            assert p.precision in (1, 2), where
            assert re.fullmatch(rf"-?\d+\.\d{{{p.precision}}}", p.answer), f"{where}: {p.answer}"
            hint = {1: "one decimal place", 2: "two decimal places"}[p.precision]
            assert hint in p.parts.question, where
        if p.answer_type == "list":
            assert re.fullmatch(r"\[-?\d+(\.\d+)?, -?\d+(\.\d+)?\]", p.answer), where
        if p.answer_type == "text":
            assert p.meta.get("alternatives") and p.answer not in p.meta["alternatives"], where
        # chain of thought: non-empty short steps, calculator annotations that evaluate to their result
        assert len(p.steps) >= 2 and all(s.strip() for s in p.steps), where
        for step in p.steps:
            for m in CALC_RE.finditer(step):
                value, stated = evaluate(m.group(1)), float(m.group(2))
                assert abs(value - stated) <= 0.005 + 1e-9 * abs(value), f"{where}: {step}"
        # benchmark extras
        for key in ("dynamath_level", "mathvista_skills", "mathverse_subfield", "template"):
            assert key in p.meta, f"{where}: meta lacks {key}"
        assert p.meta["dynamath_level"] in ("elementary school", "high school", "undergraduate")
        # condition labels: tagged elements carry the condition role, and the text states them
        roles = {e.tag: (e.label_role or e.role) for e in p.scene.elements if getattr(e, "tag", "")}
        for tag in p.condition_tags:
            assert roles.get(tag) == "condition", f"{where}: {tag} is not a condition label"
        if p.condition_tags:
            assert p.parts.essential.strip(), where
    assert types  # each family makes at least one answer type


@pytest.mark.parametrize("name", GEO)
def test_variants_keep_the_template_and_vary_values(name: str):
    def strip(text: str) -> str:
        return re.sub(r"-?\d+(\.\d+)?", "#", text)

    for seed in (3, 11):
        variants = [_make(name, seed, 500 + k) for k in range(10)]
        first = variants[0]
        for v in variants[1:]:
            assert strip(v.parts.question) == strip(first.parts.question)
            assert strip(v.parts.descriptive) == strip(first.parts.descriptive)
            assert v.answer_type == first.answer_type and v.meta["template"] == first.meta["template"]
            assert (v.precision, v.unit) == (first.precision, first.unit)
        values = {(v.parts.essential, v.answer, tuple(v.choices or ())) for v in variants}
        scenes = {
            repr([getattr(e, "vertices", getattr(e, "xy", None)) for e in v.scene.elements]) for v in variants
        }
        assert len(values) >= 3 or len(scenes) >= 3, f"{name}: variants do not vary"


@pytest.mark.parametrize("name", GEO)
def test_deterministic(name: str):
    a, b = _make(name, 7, 8), _make(name, 7, 8)
    assert (a.question, a.answer, a.steps, a.choices) == (b.question, b.answer, b.steps, b.choices)
    assert render(a.scene).image.tobytes() == render(b.scene).image.tobytes()
    c = _make(name, 7)
    assert (c.question, c.answer) == (_make(name, 7).question, _make(name, 7).answer)


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", text)


@pytest.mark.parametrize("name", GEO)
def test_hidden_conditions_leave_the_diagram_and_stay_in_the_text(name: str):
    checked = 0
    for seed in range(12):
        p = _make(name, seed)
        if not p.condition_tags:
            continue
        shown = render(p.scene, Style.clean())
        hidden = render(p.scene, Style.clean(), hide_roles={"condition"})
        cond_texts = [t.text for t in shown.texts if t.tag in p.condition_tags]
        assert cond_texts, f"{name} seed {seed}: no condition label drawn"
        assert not [t for t in shown.dropped if t in cond_texts]
        assert not [t for t in hidden.texts if t.tag in p.condition_tags or t.role == "condition"]
        remaining = [t.text for t in hidden.texts]
        for text in cond_texts:
            assert text not in remaining or text in [
                t.text for t in shown.texts if t.tag not in p.condition_tags
            ]
            for number in _numbers(text):  # every hidden value is stated in the essential condition
                assert number in _numbers(p.parts.essential), f"{name} seed {seed}: {text!r} not in text"
        checked += 1
    families_without_conditions = {"point_coordinates", "regular_polygon_angle", "solid_identify"}
    assert checked > 0 or name in families_without_conditions
