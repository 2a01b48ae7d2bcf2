"""The data engine's held-out suites in the real benchmarks' styles: ``synth-dynamath``,
``synth-mathverse``, ``synth-mathvista``.

A suite is a dataset folder (DESIGN.md "Data formats"): ``data.jsonl`` + ``images/`` + ``manifest.json``.
Each line carries our top-level fields (``id``, ``image``, ``question``, ``answer``, ``answer_type``,
``choices``, ``group_id``, ``variant``, ``steps``, ``meta``) and a ``native`` dict holding the same item in
the real benchmark's published record schema (INTERFACES.md). Loading converts ``native`` with the real
benchmark's own parser, so synthetic and real items are prompted, extracted and scored by the same code;
the top-level ``id``, ``image``, ``group_id`` and ``variant`` locate and group the item, and the top-level
``question``/``choices`` form the ``plain`` prompt (the wording our training conversations use).
``meta.family`` and ``meta.level`` (our difficulty tag) become the breakdown fields ``family`` and
``difficulty``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from svemath.errors import DataFormatError
from svemath.eval.base import Example, register_benchmark
from svemath.eval.benchmarks.dynamath import DynaMath
from svemath.eval.benchmarks.mathverse import MathVerse
from svemath.eval.benchmarks.mathvista import MathVista
from svemath.eval.datafiles import as_int, as_text, iter_jsonl, need, read_manifest


def iter_suite(root: Path, suite: str) -> Iterator[tuple[dict[str, Any], dict[str, Any], str]]:
    """Yield ``(record, native, "file:line")`` for each line of the suite folder ``root``."""
    path = root / "data.jsonl"
    if not path.is_file():
        raise DataFormatError(
            f"{root}: not a dataset folder (no data.jsonl); generate it with "
            f"'svemath data generate --suite {suite} --n N --seed S --out DIR'"
        )
    manifest = read_manifest(root)
    if manifest is not None and manifest.get("suite") not in (None, suite):
        raise DataFormatError(
            f"{root / 'manifest.json'}: dataset is suite {manifest.get('suite')!r}, expected {suite!r}"
        )
    seen: dict[str, str] = {}
    for record, line in iter_jsonl(path):
        where = f"{path}:{line}"
        rid = need(record, "id", (str, int), where)
        rid = str(rid)
        if rid in seen:
            raise DataFormatError(f"{where}: duplicate id {rid!r} (first at {seen[rid]})")
        seen[rid] = where
        native = need(record, "native", dict, where)
        yield record, native, where


def _decorate(ex: Example, record: dict[str, Any], where: str) -> Example:
    meta = need(record, "meta", dict, where, optional=True) or {}
    ex.meta["family"] = meta.get("family")
    ex.meta["difficulty"] = meta.get("level")
    question = record.get("question")
    if isinstance(question, str) and question.strip():
        ex.extra["plain_question"] = question
    choices = record.get("choices")
    if isinstance(choices, list) and all(isinstance(c, str) for c in choices):
        ex.extra["plain_choices"] = choices
    return ex


def _image(record: dict[str, Any], where: str) -> str:
    return need(record, "image", str, where, optional=True) or ""


@register_benchmark("synth-dynamath")
class SynthDynaMath(DynaMath):
    def load(self, data_path: str | Path) -> list[Example]:
        root = Path(data_path)
        out = []
        for record, native, where in iter_suite(root, self.name):
            group = as_text(need(record, "group_id", (str, int), where), where, "group_id")
            variant = as_int(need(record, "variant", (int, str), where), where, "variant")
            ex = self.example_from_native(
                native, group_id=group, variant=variant, folder=root, where=where,
                image=_image(record, where), example_id=str(record["id"]),
            )  # fmt: skip
            out.append(_decorate(ex, record, where))
        return out


@register_benchmark("synth-mathverse")
class SynthMathVerse(MathVerse):
    def load(self, data_path: str | Path) -> list[Example]:
        root = Path(data_path)
        out = []
        for record, native, where in iter_suite(root, self.name):
            group = as_text(need(record, "group_id", (str, int), where), where, "group_id")
            variant = need(record, "variant", str, where)
            if native.get("problem_version") not in (None, variant):
                raise DataFormatError(f"{where}: variant {variant!r} differs from native problem_version")
            ex = self.example_from_native(
                native, folder=root, where=where, image=_image(record, where), example_id=str(record["id"]),
                group_id=group,
            )  # fmt: skip
            out.append(_decorate(ex, record, where))
        return out


@register_benchmark("synth-mathvista")
class SynthMathVista(MathVista):
    def load(self, data_path: str | Path) -> list[Example]:
        root = Path(data_path)
        out = []
        for record, native, where in iter_suite(root, self.name):
            group = record.get("group_id")
            ex = self.example_from_native(
                native, folder=root, where=where, image=_image(record, where), example_id=str(record["id"]),
                group_id=str(group) if group is not None else None,
            )  # fmt: skip
            if ex.query is None:
                ex.extra["query_source"] = "built"
            out.append(_decorate(ex, record, where))
        return out
