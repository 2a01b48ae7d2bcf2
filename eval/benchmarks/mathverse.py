"""MathVerse (ECCV 2024) testmini: 788 problems in six versions (reference/benchmarks.md §2).

Data (``--data``): a folder with ``testmini.json`` (a JSON array: Text Dominant, Text Lite, Vision
Intensive, Vision Dominant, Vision Only) and optionally ``testmini_text_only.json`` (Text Only, no image),
plus the image folders the records name (``images_version_1-4/``, ``images_version_5/``,
``images_version_6/``). ``group_id`` = ``problem_index``, ``variant`` = ``problem_version``, sample id
``"{problem_index}-{TD|TL|TO|VI|VD|VO}"`` (``sample_index`` restarts at 1 in the text-only file).

Prompt: the record's ``query_wo`` (the leaderboard's "w/o" setting), or ``query_cot`` with style "cot";
both rebuilt from the published templates when a record lacks them.

Scoring is **"mathverse-rule"**: the official protocol extracts with gpt-3.5 and judges with an LLM; no
LLM is used here. Both modes approximate the judge's demonstrated semantics with rules: multiple choice
by option letter (or the exact content of the correct option), free-form by normalised LaTeX/number
equality (units, degree marks, ``\\frac``/``\\sqrt`` evaluated, values after ``=``), intervals/tuples
element-wise with bracket types kept. Official mode first truncates the response to its last 30 words
(the README's ``--trunk_response 30``) and compares numbers rounded to 2 decimals (the rule-based
grader in SVE-Math's eval_mathverse); robust mode reads the whole response and also accepts the model's
value rounded to the ground truth's own decimals (when it has some) and equal one-variable expressions
(checked at three points).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from svemath.errors import DataFormatError
from svemath.eval.aggregate import summarize
from svemath.eval.base import Benchmark, Example, Extracted, plain_prompt, register_benchmark
from svemath.eval.datafiles import as_text, iter_json_entries, need
from svemath.eval.extract import (
    answer_line,
    choice_letter,
    clean_latex,
    close,
    decimals,
    final_answer,
    find_numbers,
    normalize_text,
    parse_choices,
    parse_number,
    parse_sequence,
    strip_units,
    truncate_words,
)
from svemath.eval.mathexpr import evaluate, has_variable
from svemath.eval.metrics import mathverse_all_ci, mathverse_summary

VERSIONS = {
    "Text Dominant": "TD",
    "Text Lite": "TL",
    "Text Only": "TO",
    "Vision Intensive": "VI",
    "Vision Dominant": "VD",
    "Vision Only": "VO",
}
QUESTION_TYPES = ("multi-choice", "free-form")
TRUNK_WORDS = 30
FILES = ("testmini.json", "testmini_text_only.json", "testmini_text-only.json")


def mathverse_query(question: str, question_type: str, version: str, *, cot: bool = False) -> str:
    """The published ``query_wo`` / ``query_cot`` templates."""
    tail = (
        "provide the correct option letter, e.g., A, B, C, D"
        if question_type == "multi-choice"
        else "provide the final value, e.g., 1, 2.5, 300"
    )
    how = (
        "first conduct reasoning, and then answer the question and"
        if cot
        else "directly answer the question and"
    )
    end = ", at the end." if cot else "."
    if version == "Vision Only":
        return f"According to the question shown in the image, please {how} {tail}{end}"
    return f"Please {how} {tail}{end}\nQuestion: {question}"


def latex_normalize(s: str) -> str:
    """Lower-cased, the value after the last ``=``/``≈``, without units, degree marks, ``$`` or spaces."""
    s = clean_latex(s).lower()
    parts = [p for p in re.split(r"=|≈|\\approx", s) if p.strip()]
    s = parts[-1] if parts else s
    s = strip_units(s.strip().rstrip("."))
    return re.sub(r"\s+", "", s)


def free_form_equal(pred: str, gt: str, mode: str) -> bool:
    a, b = latex_normalize(pred), latex_normalize(gt)
    if a == b and a:
        return True
    sa, sb = parse_sequence(a), parse_sequence(b)
    if sa and sb:
        if (sa[0], sa[1]) != (sb[0], sb[1]) or len(sa[2]) != len(sb[2]):
            return False
        return all(free_form_equal(x, y, mode) for x, y in zip(sa[2], sb[2]))
    va, vb = parse_number(a), parse_number(b)
    if va is not None and vb is not None:
        if round(va, 2) == round(vb, 2):
            return True
        if mode == "robust":
            d = decimals(clean_latex(gt).split("=")[-1].strip())
            return (d is not None and d >= 1 and round(va, d) == round(vb, d)) or close(
                va, vb, abs_tol=1e-9, rel_tol=1e-4
            )
        return False
    if mode == "robust" and has_variable(a) and has_variable(b):
        points = (0.5, 1.7, 2.9)
        values = [(evaluate(a, x=p), evaluate(b, x=p)) for p in points]
        return all(
            u is not None and v is not None and close(u, v, abs_tol=1e-6, rel_tol=1e-6) for u, v in values
        )
    return False


def _is_value(span: str) -> bool:
    norm = latex_normalize(span)
    return parse_number(norm) is not None or parse_sequence(norm) is not None or has_variable(norm)


@register_benchmark("mathverse")
class MathVerse(Benchmark):
    scorer = "mathverse-rule"
    scorer_note = (
        "rule-based approximation of MathVerse's GPT extractor + LLM judge (no LLM used); numbers are "
        "not comparable one-to-one with the official leaderboard"
    )
    prompt_styles = ("official", "plain", "cot")

    def load(self, data_path: str | Path) -> list[Example]:
        root = Path(data_path)
        files = [root] if root.is_file() else [root / f for f in FILES if (root / f).is_file()]
        if not files:
            raise DataFormatError(
                f"{root}: not a MathVerse folder (expected testmini.json and/or testmini_text_only.json)"
            )
        out: list[Example] = []
        seen: dict[str, str] = {}
        for path in files:
            for index, record, line in iter_json_entries(path):
                where = f"{path}:{line}"
                if not isinstance(index, int):
                    raise DataFormatError(f"{where}: a MathVerse file is a JSON array of records")
                ex = self.example_from_native(record, folder=path.parent, where=where)
                if ex.id in seen:
                    raise DataFormatError(f"{where}: duplicate sample {ex.id!r} (first at {seen[ex.id]})")
                seen[ex.id] = where
                out.append(ex)
        return out

    def example_from_native(
        self, record: dict[str, Any], *, folder: Path, where: str, image: str | None = None,
        example_id: str | None = None, group_id: str | None = None,
    ) -> Example:  # fmt: skip
        """Build an Example from one MathVerse record (also used for synth-mathverse's ``native``)."""
        problem = as_text(need(record, "problem_index", (str, int), where), where, "problem_index")
        version = need(record, "problem_version", str, where)
        if version not in VERSIONS:
            raise DataFormatError(
                f"{where}: unknown problem_version {version!r}; known: {', '.join(VERSIONS)}"
            )
        qtype = need(record, "question_type", str, where)
        if qtype not in QUESTION_TYPES:
            raise DataFormatError(f"{where}: question_type must be one of {QUESTION_TYPES}, got {qtype!r}")
        question = need(record, "question", str, where)
        answer = as_text(need(record, "answer", (str, int, float), where), where, "answer")
        native_image = need(record, "image", str, where, optional=True) or ""
        image_rel = native_image if image is None else image
        meta_in = need(record, "metadata", dict, where, optional=True) or {}
        q_eval = record.get("question_for_eval") if isinstance(record.get("question_for_eval"), str) else None
        choices = parse_choices(q_eval or question) if qtype == "multi-choice" else []
        return Example(
            id=example_id or f"{problem}-{VERSIONS[version]}",
            benchmark=self.name,
            group_id=group_id or problem,
            variant=version,
            question=question,
            answer=answer,
            answer_type=qtype,
            question_type=qtype,
            image_path=(folder / image_rel) if image_rel and version != "Text Only" else None,
            choices=choices,
            query=record.get("query_wo") if isinstance(record.get("query_wo"), str) else None,
            meta={
                "subject": meta_in.get("subject"),
                "subfield": meta_in.get("subfield"),
                "source": meta_in.get("source"),
                "version": VERSIONS[version],
            },
            extra={
                "query_cot": record.get("query_cot"),
                "question_for_eval": q_eval,
                "sample_index": record.get("sample_index"),
            },
            source=where,
        )

    def build_prompt(self, example: Example, style: str = "official") -> str:
        style = self.check_style(style)
        version = str(example.variant)
        if style == "plain":
            text = plain_prompt(
                example.extra.get("plain_question") or example.question,
                example.extra.get("plain_choices", ()),
            )
            return text or "Answer the question shown in the image."
        if style == "cot":
            cot = example.extra.get("query_cot")
            return (
                cot
                if isinstance(cot, str)
                else mathverse_query(example.question, example.answer_type, version, cot=True)
            )
        return example.query or mathverse_query(example.question, example.answer_type, version)

    def extract(
        self, response: str, example: Example, *, mode: str = "official", style: str = "official"
    ) -> Extracted:
        self.check_mode(mode)
        if style == "plain" and (line := answer_line(response)):
            span, method = line, "answer-line"
        else:
            text = truncate_words(response, TRUNK_WORDS) if mode == "official" else response
            span, method = final_answer(text)
            if span is None:
                return Extracted(None, "none")
            if example.answer_type == "free-form" and method == "last-line" and not _is_value(span):
                numbers = find_numbers(span)
                span, method = (numbers[-1], "last-number") if numbers else (span, method)
        if example.answer_type == "multi-choice":
            n = len(example.choices) or 6
            letter = choice_letter(span, n, example.choices)
            if letter is None and method == "last-line":
                letter = choice_letter(response if mode == "robust" else span, n, example.choices)
            if letter is not None:
                return Extracted(letter, f"{method}-letter")
        return Extracted(span, method)

    def score(self, extracted: Extracted, example: Example, mode: str = "official") -> bool:
        self.check_mode(mode)
        value = extracted.value
        if not value or not value.strip():
            return False
        if example.answer_type == "multi-choice":
            m = re.fullmatch(r"\(?([A-F])\)?\.?", example.answer.strip())
            if not m:  # odd ground truths ("False", "C\nD"): plain normalised equality
                return normalize_text(value) == normalize_text(example.answer)
            letter = choice_letter(value, len(example.choices) or 6, example.choices)
            if letter is not None:
                return letter == m[1]
            idx = ord(m[1]) - ord("A")
            return idx < len(example.choices) and free_form_equal(value, example.choices[idx], mode)
        return free_form_equal(value, example.answer, mode)

    def headline(self, block: dict[str, Any]) -> dict[str, Any]:
        mv = block["mathverse"]
        out: dict[str, Any] = {"all": mv["all"], "all_ci": block["mathverse_all_ci"]}
        for version, abbr in VERSIONS.items():
            if version in mv["per_version"]:
                out[abbr] = mv["per_version"][version]["accuracy"]
        return out

    def aggregate(
        self, records: list[dict[str, Any]], *, n_boot: int = 1000, seed: int = 0
    ) -> dict[str, Any]:
        def extra(view: list[dict[str, Any]]) -> dict[str, Any]:
            return {
                "mathverse": mathverse_summary(view),
                "mathverse_all_ci": mathverse_all_ci(view, n_boot=n_boot, seed=seed),
            }

        return summarize(
            records,
            breakdown_keys=("variant", "subject", "subfield", "question_type", "source"),
            extra=extra,
            n_boot=n_boot,
            seed=seed,
        )
