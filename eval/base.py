"""The benchmark contract: one :class:`Example` type, one :class:`Benchmark` base class, one registry.

A benchmark is a small class with five methods (reference/aesthetics.md C10)::

    load(data_path) -> list[Example]                          # the published files, or a synthetic suite
    build_prompt(example, style="official" | "plain") -> str   # the text sent with the image
    extract(response, example, mode=..., style=...) -> Extracted
    score(extracted, example, mode="official" | "robust") -> bool
    aggregate(records) -> dict                                 # both modes, breakdowns, CIs

``mode="official"`` reproduces the benchmark's own rules, quirks included; ``mode="robust"`` fixes the
documented quirks (reference/benchmarks.md). Every number the suite writes says which mode produced it.

``style="official"`` is the benchmark's published prompt; ``style="plain"`` is just the question (choices
listed as ``Choices: (A) ... (B) ...``) for models trained on our own format, whose answers end with a
final line ``Answer: <value>``; extraction then looks for that line first and falls back to the
benchmark's own extraction.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from svemath.errors import ConfigError
from svemath.registry import Registry

MODES = ("official", "robust")
STYLES = ("official", "plain")


@dataclass
class Example:
    """One evaluation item, whatever the benchmark.

    ``id`` is unique within a benchmark load; ``group_id`` groups the variants of one seed question
    (DynaMath seed, MathVerse problem, MathVista pid) and ``variant`` names the variant (DynaMath trial
    1..10, MathVerse problem version, None for MathVista). ``answer_type`` and ``question_type`` use the
    benchmark's own vocabulary. ``meta`` holds the breakdown fields (subject, level, task, skills, ...).
    """

    id: str
    benchmark: str
    group_id: str
    variant: str | int | None
    question: str
    answer: str
    answer_type: str
    image_path: Path | None
    question_type: str | None = None
    choices: list[str] = field(default_factory=list)
    precision: int | None = None
    unit: str | None = None
    query: str | None = None  # the published prompt when the data carries one
    meta: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # benchmark-specific (query_cot, plain_question, ...)
    source: str = ""  # "file:line" of the record, for messages


@dataclass
class Extracted:
    """The answer pulled out of a response: ``value`` (None when nothing usable was found) and how."""

    value: str | None
    method: str

    @property
    def ok(self) -> bool:
        return self.value is not None and self.value.strip() != ""


class Benchmark:
    """Base class; subclasses set the class attributes and implement the five methods."""

    name: ClassVar[str] = ""
    scorer: ClassVar[str] = ""  # e.g. "dynamath-rule", "mathverse-rule": written into metrics.json
    scorer_note: ClassVar[str] = ""  # how the scorer departs from the official protocol, in one line
    prompt_styles: ClassVar[tuple[str, ...]] = STYLES
    # breakdown fields drawn in the report's plots: (per-subject plot, per-variant plot)
    plot_keys: ClassVar[tuple[str, str]] = ("subject", "variant")

    def load(self, data_path: str | Path) -> list[Example]:
        raise NotImplementedError

    def build_prompt(self, example: Example, style: str = "official") -> str:
        raise NotImplementedError

    def extract(
        self, response: str, example: Example, *, mode: str = "official", style: str = "official"
    ) -> Extracted:
        raise NotImplementedError

    def score(self, extracted: Extracted, example: Example, mode: str = "official") -> bool:
        raise NotImplementedError

    def aggregate(
        self, records: list[dict[str, Any]], *, n_boot: int = 1000, seed: int = 0
    ) -> dict[str, Any]:
        raise NotImplementedError

    def headline(self, block: dict[str, Any]) -> dict[str, Any]:
        """The few numbers that summarise one mode's metrics block (the report's first table)."""
        return {"accuracy": block["accuracy"], "accuracy_ci": block["accuracy_ci"]}

    def oracle_response(self, example: Example, style: str = "official") -> str:
        """A response stating the ground truth in the format ``style`` asks for (the ``oracle`` model, a
        self-check of extraction and scoring: it should score 100% in robust mode)."""
        return f"Answer: {example.answer}"

    # === Shared helpers ===

    def check_style(self, style: str) -> str:
        if style not in self.prompt_styles:
            raise ConfigError(
                f"benchmark {self.name!r} has no prompt style {style!r}; "
                f"known: {', '.join(self.prompt_styles)}"
            )
        return style

    @staticmethod
    def check_mode(mode: str) -> str:
        if mode not in MODES:
            raise ConfigError(f"unknown scoring mode {mode!r}; known: {', '.join(MODES)}")
        return mode

    def judge(self, response: str | None, example: Example, *, style: str = "official") -> dict[str, Any]:
        """Extract and score ``response`` in both modes: ``{mode: {"extracted", "method", "correct"}}``."""
        out: dict[str, Any] = {}
        for mode in MODES:
            if response is None or not response.strip():
                out[mode] = {"extracted": None, "method": "empty-response", "correct": False}
                continue
            ext = self.extract(response, example, mode=mode, style=style)
            out[mode] = {
                "extracted": ext.value,
                "method": ext.method,
                "correct": bool(self.score(ext, example, mode)),
            }
        return out


def plain_prompt(question: str, choices: Sequence[str] = ()) -> str:
    """The ``plain`` prompt: the question, plus ``Choices: (A) .. (B) ..`` unless already written in it."""
    text = question.strip()
    if choices and not re.search(r"\(A\)", text):
        text += "\nChoices: " + " ".join(f"({chr(ord('A') + i)}) {c}" for i, c in enumerate(choices))
    return text


BENCHMARKS: Registry[type[Benchmark]] = Registry("benchmark")

# Modules that register benchmarks when imported (kept explicit: no import-time scanning).
BENCHMARK_MODULES: tuple[str, ...] = (
    "svemath.eval.benchmarks.dynamath",
    "svemath.eval.benchmarks.mathverse",
    "svemath.eval.benchmarks.mathvista",
    "svemath.eval.benchmarks.synthetic",
)


def register_benchmark(name: str):
    """Class decorator: register a :class:`Benchmark` subclass under ``name`` (sets ``cls.name``)."""

    def deco(cls: type[Benchmark]) -> type[Benchmark]:
        cls.name = name
        BENCHMARKS.register(name, cls)
        return cls

    return deco


def _load_modules() -> None:
    for module in BENCHMARK_MODULES:
        importlib.import_module(module)


def get_benchmark(name: str) -> Benchmark:
    """A fresh instance of the benchmark registered as ``name`` (UnknownNameError lists the known ones)."""
    _load_modules()
    return BENCHMARKS.get(name)()


def benchmark_names() -> list[str]:
    _load_modules()
    return BENCHMARKS.names()
