"""Problem-family suites for training: ``instruct`` (CoT question answering) and ``prm`` (questions with
answers and reference steps for Monte-Carlo step labelling), plus the shared machinery every
family-based suite uses (also :mod:`svemath.data.benchmark_suites`):

* :func:`render_problem` draws a :class:`~svemath.data.families.base.Problem` in a sampled style with
  its essential-condition labels shown or hidden (re-drawn in another style when a label found no place);
* :data:`TEXT_MODES` are MathVerse's versions seen from one problem: which of the four text parts are
  written and whether the condition labels are drawn;
* :func:`problem_record` builds the common record fields (question, answer, answer_type, choices,
  precision, unit, steps, meta {family, subject, level}, conversations, annotations).

Conversations: human ``"<image>\\n{question}"`` (+ ``"\\nChoices: (A) .. (B) .."`` for multiple choice),
gpt = the steps (with their ``<<expr=value>>`` calculator annotations) one per line, then
``"Answer: {answer}"``. Record annotations are "lite" by default (shapes and texts, which is what
auxiliary read/count heads need); ``--option annotations=full`` adds junctions and the boundary map,
``annotations=none`` drops them. ``instruct`` also takes ``--option family_weights={family: weight}`` (a
recipe's ``datasets.NAME.options``): families drawn by weight instead of uniformly, e.g. by what a model
still gets wrong (``svemath eval family-weights``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image

from svemath.data.families import load_families
from svemath.data.families.base import FAMILIES, LETTERS, Family, Problem, format_choices, join_parts
from svemath.data.generate import current_options, option_image_size
from svemath.data.render import Rendered, render
from svemath.data.schema import ANSWER_TYPES, LEVELS, Sample, register_suite
from svemath.data.style import Style, sample_style

DEFAULT_SIZE = 384
RENDER_TRIES = 3
PARTS = ("descriptive", "implicit", "essential", "question")


@dataclass(frozen=True)
class TextMode:
    """Which text parts are written and whether the condition labels are drawn."""

    name: str
    parts: tuple[str, ...]
    show_conditions: bool
    image: bool = True


# MathVerse's six versions (names as in its records) and "Full" (conditions in text and diagram).
TEXT_MODES: dict[str, TextMode] = {
    m.name: m
    for m in (
        TextMode("Text Dominant", PARTS, False),
        TextMode("Text Lite", ("implicit", "essential", "question"), False),
        TextMode("Text Only", PARTS, False, image=False),
        TextMode("Vision Intensive", ("essential", "question"), False),
        TextMode("Vision Dominant", ("implicit", "question"), True),
        TextMode("Vision Only", (), True),
        TextMode("Full", PARTS, True),
        TextMode("Full Lite", ("implicit", "essential", "question"), True),
    )
}


def family_names(*, mathverse_only: bool = False) -> list[str]:
    """Registered family names, sorted (only those with a MathVerse subject if asked)."""
    fams = load_families()
    return [n for n in sorted(fams.names()) if not mathverse_only or fams.get(n).mathverse_subject]


def check_problem(p: Problem) -> None:
    """Raise ValueError when a family returned an inconsistent problem (answer type, choices, level)."""
    where = f"family {p.family!r}"
    if p.answer_type not in ANSWER_TYPES:
        raise ValueError(f"{where}: answer_type {p.answer_type!r} not in {ANSWER_TYPES}")
    if p.difficulty not in LEVELS:
        raise ValueError(f"{where}: difficulty {p.difficulty!r} not in {LEVELS}")
    if not isinstance(p.answer, str) or not p.answer:
        raise ValueError(f"{where}: answer must be a non-empty string, got {p.answer!r}")
    if p.answer_type == "multiple_choice":
        if not p.choices or not 2 <= len(p.choices) <= len(LETTERS) or len(set(p.choices)) != len(p.choices):
            raise ValueError(f"{where}: multiple choice needs 2-5 distinct choices, got {p.choices!r}")
        if p.answer not in LETTERS[: len(p.choices)]:
            raise ValueError(f"{where}: answer {p.answer!r} is not a letter of {p.choices!r}")
    elif p.choices:
        raise ValueError(f"{where}: choices given for answer_type {p.answer_type!r}")
    if p.answer_type == "integer":
        int(p.answer)
    if p.answer_type == "float":
        float(p.answer)
    if not p.steps or not p.parts.question.strip():
        raise ValueError(f"{where}: empty steps or question")


def make_problem(name: str, rng: random.Random, variant_rng: random.Random | None = None) -> Problem:
    p = FAMILIES.get(name).make(rng, variant_rng)
    check_problem(p)
    return p


def hidden_roles(problem: Problem, show_conditions: bool) -> tuple[str, ...]:
    """Roles to leave out: the condition labels (role "condition", plus any listed condition tags)."""
    return () if show_conditions else tuple(dict.fromkeys(["condition", *problem.condition_tags]))


def render_problem(
    problem: Problem,
    rng: random.Random,
    *,
    show_conditions: bool,
    size: int | tuple[int, int] | None = None,
    style: Style | None = None,
) -> Rendered:
    """Draw the problem's scene (``size``: side or (width, height); default: ``--image-size`` or 384).

    A sampled style is redrawn (up to RENDER_TRIES styles, then the clean style) when a label found
    no free place, so the texts a question needs are on the image."""
    if size is None:
        size = option_image_size(DEFAULT_SIZE)
    w, h = (size, size) if isinstance(size, int) else size
    hide = hidden_roles(problem, show_conditions)
    out = None
    for _ in range(1 if style is not None else RENDER_TRIES):
        out = render(problem.scene, style or sample_style(rng, w, h), hide)
        if not out.dropped:
            return out
    clean = render(problem.scene, Style.clean(w, h), hide)
    return clean if len(clean.dropped) <= len(out.dropped) else out  # type: ignore[union-attr]


def question_text(problem: Problem, mode: TextMode) -> str:
    """The problem's text parts selected by ``mode`` (without choices)."""
    return join_parts(*(getattr(problem.parts, part) for part in mode.parts))


def human_prompt(question: str, choices: list[str] | None, image: bool = True) -> str:
    text = question + (f"\n{format_choices(choices)}" if choices else "")
    return ("<image>\n" if image else "") + text


def target_text(problem: Problem) -> str:
    """The training target: the steps (calculator annotations kept) one per line, then the answer."""
    return "\n".join([*problem.steps, f"Answer: {problem.answer}"])


def annotations_of(rendered: Rendered, level: str) -> tuple[dict[str, Any] | None, dict[str, Image.Image]]:
    """Record annotations and extra images for ``level`` = none | lite | full."""
    if level == "none":
        return None, {}
    if level == "full":
        return rendered.annotations("@edge"), {"edge": rendered.boundary}
    return rendered.annotations(parts=("shapes", "texts")), {}  # junctions are never computed


def problem_record(
    problem: Problem,
    question: str,
    *,
    version: str,
    image: bool = True,
    prompt: str | None = None,
    extra_meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The common record fields of a family-based sample (DESIGN.md Data formats)."""
    rec: dict[str, Any] = {"question": question, "answer": problem.answer, "answer_type": problem.answer_type}
    if problem.choices:
        rec["choices"] = list(problem.choices)
    if problem.precision is not None:
        rec["precision"] = problem.precision
    if problem.unit:
        rec["unit"] = problem.unit
    rec["steps"] = list(problem.steps)
    meta = {
        "family": problem.family,
        "subject": problem.subject,
        "level": problem.difficulty,
        "version": version,
    }
    if "template" in problem.meta:
        meta["template"] = problem.meta["template"]
    meta.update(extra_meta or {})
    rec["meta"] = meta
    human = prompt if prompt is not None else human_prompt(question, problem.choices, image)
    rec["conversations"] = [{"from": "human", "value": human}, {"from": "gpt", "value": target_text(problem)}]
    return rec


def annotation_level() -> str:
    level = str(current_options().get("annotations", "lite"))
    if level not in ("none", "lite", "full"):
        from svemath.errors import ConfigError

        raise ConfigError(f"--option annotations must be none, lite or full, got {level!r}")
    return level


def train_mode(problem: Problem, rng: random.Random) -> TextMode:
    """Instruct/PRM text version: with conditions, mix full text, text-dominant (labels hidden) and
    vision-dominant (conditions only in the diagram) so models learn to read conditions from diagrams."""
    if problem.condition_tags and problem.parts.essential.strip():
        names = ("Full", "Text Dominant", "Text Lite", "Vision Intensive", "Vision Dominant")
        return TEXT_MODES[rng.choices(names, weights=(25, 20, 10, 10, 35))[0]]
    return TEXT_MODES[rng.choice(("Full", "Full Lite"))]


PROBLEM_TRIES = 3  # a problem whose labels find no place in any style is replaced by another instance


def train_sample(name: str, rng: random.Random) -> Sample:
    """One training sample of family ``name`` (instruct and prm share it). A problem instance whose
    diagram still misses a label after every style (rare: long labels on a crowded figure) is
    replaced by a new instance of the same family, up to PROBLEM_TRIES times."""
    for _ in range(PROBLEM_TRIES):
        problem = make_problem(name, random.Random(rng.getrandbits(64)))
        mode = train_mode(problem, rng)
        rendered = render_problem(problem, rng, show_conditions=mode.show_conditions)
        if not rendered.dropped:
            break
    record = problem_record(problem, question_text(problem, mode), version=mode.name)
    ann, extras = annotations_of(rendered, annotation_level())
    if ann is not None:
        record["annotations"] = ann
    return Sample(rendered.image, record, extras)


def family_weights(names: list[str]) -> list[float] | None:
    """The ``--option family_weights={family: weight, ...}`` of the generation in progress, as one weight
    per name of ``names`` (families it leaves out weigh 1); None when the option is not given."""
    raw = current_options().get("family_weights")
    if raw is None:
        return None
    from svemath.errors import ConfigError

    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(
            f"--option family_weights must be a non-empty mapping family -> weight, got {raw!r}"
        )
    unknown = sorted(set(raw) - set(names))
    if unknown:
        raise ConfigError(f"family_weights names unknown families {unknown} (known: {', '.join(names)})")
    weights = []
    for name in names:
        w = raw.get(name, 1.0)
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0:
            raise ConfigError(f"family_weights[{name!r}] must be a finite number >= 0, got {w!r}")
        weights.append(float(w))
    if sum(weights) <= 0:
        raise ConfigError("family_weights gives every family weight 0")
    return weights


@register_suite("instruct", "train", "CoT question-answer conversations over all problem families", "2")
def make_instruct(index: int, rng: random.Random) -> Sample:
    """Uniform over families (or as ``--option family_weights`` weighs them), then the family's own
    variation. Without the option the draw is the one of every earlier version (same bytes per seed)."""
    names = family_names()
    weights = family_weights(names)
    if weights is None:
        return train_sample(names[rng.randrange(len(names))], rng)
    return train_sample(rng.choices(names, weights=weights)[0], rng)


PRM_WEIGHTS = {"read": 1, "one-op": 2, "multi-step": 3}


@register_suite("prm", "train", "questions with answers and reference steps for Monte-Carlo step labels", "2")
def make_prm(index: int, rng: random.Random) -> Sample:
    """Families weighted towards multi-step ones (read 1 : one-op 2 : multi-step 3)."""
    names = family_names()
    weights = [PRM_WEIGHTS[FAMILIES.get(n).difficulty] for n in names]
    return train_sample(rng.choices(names, weights=weights)[0], rng)


def family_of(problem: Problem) -> Family:
    return FAMILIES.get(problem.family)
