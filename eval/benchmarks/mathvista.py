"""MathVista (ICLR 2024) testmini: 1,000 items (reference/benchmarks.md §3).

Data (``--data``): a folder with ``testmini.json`` (an object keyed by pid: question, image, choices,
unit, precision, answer, question_type, answer_type, pid, metadata) and the images it names
(``images/{pid}.jpg``); the prompt is the record's ``query`` (HF export) or ``query.json``'s entry for the
pid, or else is built by the published rules (hint line, ``Question: ...`` + `` (Unit: u)``, ``Choices:``
+ ``(A) opt`` lines). Multiple-choice answers are option *texts*. ``group_id`` = pid, no variants.

Official mode follows ``evaluation/extract_answer.py`` and ``calculate_score.py`` (MathVista 53d5258):
extraction returns "" for an empty response, the response itself when it is exactly a choice text, an
``int(...)``/``float(...)`` parse of the whole response for integer/float items, the ``The answer is
"X".`` quick pattern; the GPT-4 extractor that follows is **replaced by rules** (Answer line, \\boxed,
"the answer is", option letter, last number, last [...] list). Normalisation exactly as published:
multiple choice takes the first ``(X)`` letter, maps a letter to its option text, otherwise picks the
option with the smallest Levenshtein distance (so every MC prediction becomes some option); integers
``str(int(float(x)))`` (truncation: 3.7 -> 3); floats ``str(round(float(x), precision))`` (binary
half-to-even: 1.25 -> 1.2); lists ``str(x)``; correct iff equal to the answer string.

Robust mode: an option only by a single unambiguous letter or the option's exact text (no nearest-option
guess), integers must be integral values, floats rounded half-up on the decimal value, lists compared
element-wise as numbers, numbers read with units/commas/LaTeX.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from svemath.errors import DataFormatError
from svemath.eval.aggregate import summarize
from svemath.eval.base import Benchmark, Example, Extracted, plain_prompt, register_benchmark
from svemath.eval.datafiles import as_int, as_text, iter_json_entries, need
from svemath.eval.extract import (
    answer_line,
    choice_letter,
    close,
    final_answer,
    find_numbers,
    levenshtein,
    normalize_text,
    parse_number,
    parse_sequence,
)

QUESTION_TYPES = ("multi_choice", "free_form")
ANSWER_TYPES = ("text", "integer", "float", "list")
BREAKDOWN_KEYS = (
    "question_type",
    "answer_type",
    "language",
    "source",
    "category",
    "task",
    "context",
    "grade",
    "skills",
)
_PLACES = {1: "one decimal place", 2: "two decimal places"}
_EXAMPLES = {1: "1.2, 1.3, 1.4", 2: "1.23, 1.34, 1.45"}


def mathvista_hint(question_type: str, answer_type: str, precision: int | None) -> str:
    """The zero-shot hint line of query.json (§3.3); float precisions other than 1 and 2 are generalised."""
    if question_type == "multi_choice":
        return (
            "Hint: Please answer the question and provide the correct option letter, e.g., A, B, C, D, "
            "at the end."
        )
    if answer_type == "integer":
        return (
            "Hint: Please answer the question requiring an integer answer and provide the final value, "
            "e.g., 1, 2, 3, at the end."
        )
    if answer_type == "float":
        p = precision or 1
        places = _PLACES.get(p, f"{p} decimal places")
        examples = _EXAMPLES.get(p, ", ".join(f"{v:.{p}f}" for v in (1.234567, 1.345678, 1.456789)))
        return (
            f"Hint: Please answer the question requiring a floating-point number with {places} and provide "
            f"the final value, e.g., {examples}, at the end."
        )
    if answer_type == "list":
        return (
            "Hint: Please answer the question requiring a Python list as an answer and provide the final "
            "list, e.g., [1, 2, 3], [1.2, 1.3, 1.4], at the end."
        )
    return "Hint: Please answer the question and provide the final answer at the end."


def mathvista_query(question: str, question_type: str, answer_type: str, precision: int | None,
                    unit: str | None, choices: list[str]) -> str:  # fmt: skip
    lines = [
        mathvista_hint(question_type, answer_type, precision),
        f"Question: {question}" + (f" (Unit: {unit})" if unit else ""),
    ]
    if choices:
        lines.append("Choices:")
        lines.extend(f"({chr(ord('A') + i)}) {c}" for i, c in enumerate(choices))
    return "\n".join(lines)


# === Official normalisation (calculate_score.py, exact) ===


def official_normalize(extraction: Any, choices: list[str], question_type: str, answer_type: str,
                       precision: int | None) -> str | None:  # fmt: skip
    if question_type == "multi_choice":
        extraction = extraction.strip() if isinstance(extraction, str) else str(extraction)
        letters = re.findall(r"\(([a-zA-Z])\)", extraction)
        if letters:
            extraction = letters[0].upper()
        options = [chr(ord("A") + i) for i in range(len(choices))]
        if extraction in options:
            return choices[options.index(extraction)]
        distances = [levenshtein(extraction, c) for c in choices]
        return choices[distances.index(min(distances))]
    try:
        if answer_type == "integer":
            return str(int(float(extraction)))
        if answer_type == "float":
            return str(round(float(extraction), precision))
        if answer_type == "list":
            return str(extraction)
    except (ValueError, TypeError, OverflowError):
        return None
    return extraction


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(v)


def _round_half_up(v: float, places: int) -> Decimal:
    return Decimal(repr(v)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@register_benchmark("mathvista")
class MathVista(Benchmark):
    scorer = "mathvista-rule"
    plot_keys = ("task", "skills")
    scorer_note = (
        "official normalisation and string-equality scoring; the GPT-4 answer extractor is replaced by rules "
        "(no LLM used)"
    )

    def load(self, data_path: str | Path) -> list[Example]:
        root = Path(data_path)
        path = root if root.is_file() else root / "testmini.json"
        if not path.is_file():
            raise DataFormatError(
                f"{root}: not a MathVista folder (expected testmini.json, optionally query.json)"
            )
        queries: dict[str, str] = {}
        qpath = path.parent / "query.json"
        if qpath.is_file():
            for pid, q, line in iter_json_entries(qpath):
                if not isinstance(q, str):
                    raise DataFormatError(f"{qpath}:{line}: query for pid {pid!r} must be a string")
                queries[str(pid)] = q
        out = []
        for key, record, line in iter_json_entries(path):
            where = f"{path}:{line}"
            if not isinstance(key, str):
                raise DataFormatError(f"{where}: testmini.json must be an object keyed by pid")
            ex = self.example_from_native(record, folder=path.parent, where=where, pid=key)
            if ex.query is None and ex.group_id in queries:
                ex.query, ex.extra["query_source"] = queries[ex.group_id], "query.json"
            out.append(ex)
        return out

    def example_from_native(
        self, record: dict[str, Any], *, folder: Path, where: str, pid: str | None = None,
        image: str | None = None, example_id: str | None = None, group_id: str | None = None,
    ) -> Example:  # fmt: skip
        """Build an Example from one MathVista record (also used for synth-mathvista's ``native``)."""
        rec_pid = record.get("pid") if isinstance(record, dict) else None
        if pid is not None and rec_pid is not None and str(rec_pid) != pid:
            raise DataFormatError(f"{where}: pid {rec_pid!r} differs from its key {pid!r}")
        pid = str(pid if pid is not None else need(record, "pid", (str, int), where))
        question = need(record, "question", str, where)
        qtype = need(record, "question_type", str, where)
        atype = need(record, "answer_type", str, where)
        if qtype not in QUESTION_TYPES:
            raise DataFormatError(f"{where}: question_type must be one of {QUESTION_TYPES}, got {qtype!r}")
        if atype not in ANSWER_TYPES:
            raise DataFormatError(f"{where}: answer_type must be one of {ANSWER_TYPES}, got {atype!r}")
        answer = as_text(need(record, "answer", (str, int, float), where), where, "answer")
        choices = need(record, "choices", list, where, optional=True) or []
        if not all(isinstance(c, str) for c in choices):
            raise DataFormatError(f"{where}: choices must be a list of strings")
        if qtype == "multi_choice" and answer not in choices:
            raise DataFormatError(
                f"{where}: multi_choice answer {answer!r} is not one of the choices {choices}"
            )
        precision = as_int(record.get("precision"), where, "precision")
        unit = need(record, "unit", str, where, optional=True) or None
        image_rel = image if image is not None else need(record, "image", str, where, optional=True)
        meta_in = need(record, "metadata", dict, where, optional=True) or {}
        query = record.get("query") if isinstance(record.get("query"), str) else None
        return Example(
            id=example_id or pid,
            benchmark=self.name,
            group_id=group_id or pid,
            variant=None,
            question=question,
            answer=answer,
            answer_type=atype,
            question_type=qtype,
            image_path=folder / image_rel if image_rel else None,
            choices=list(choices),
            precision=precision,
            unit=unit,
            query=query,
            meta={k: meta_in.get(k) for k in BREAKDOWN_KEYS[2:]},
            extra={"query_source": "record" if query else "built"},
            source=where,
        )

    def build_prompt(self, example: Example, style: str = "official") -> str:
        if self.check_style(style) == "plain":
            q = example.extra.get("plain_question") or (
                example.question + (f" (Unit: {example.unit})" if example.unit else "")
            )
            return plain_prompt(q, example.choices)
        return example.query or mathvista_query(
            example.question,
            example.question_type or "",
            example.answer_type,
            example.precision,
            example.unit,
            example.choices,
        )

    # --- extraction ---

    def rule_extract(self, response: str, example: Example) -> Extracted:
        """Our replacement for the GPT-4 extractor: a short answer in the form the extractor would give."""
        span, method = final_answer(response)
        if span is None:
            return Extracted(None, "none")
        if example.question_type == "multi_choice":
            letter = choice_letter(span, len(example.choices), example.choices)
            return Extracted(letter, f"{method}-letter") if letter else Extracted(span, method)
        if example.answer_type == "list":
            lists = re.findall(r"\[[^\[\]]*\]", response)
            seq = parse_sequence(lists[-1]) if lists else parse_sequence(span)
            if seq is None:
                return Extracted(span, method)
            items = [_fmt(v) if (v := parse_number(x)) is not None else x for x in seq[2]]
            return Extracted("[" + ", ".join(items) + "]", "list")
        if example.answer_type in ("integer", "float"):
            value = parse_number(span)
            if value is None:
                numbers = find_numbers(span)
                value = parse_number(numbers[-1]) if numbers else None
            return (
                Extracted(_fmt(value), f"{method}-number") if value is not None else Extracted(span, method)
            )
        return Extracted(span, method)

    def extract(
        self, response: str, example: Example, *, mode: str = "official", style: str = "official"
    ) -> Extracted:
        self.check_mode(mode)
        if style == "plain" and (line := answer_line(response)):
            return self.rule_extract("Answer: " + line, example)
        if mode == "official":
            if response == "":
                return Extracted("", "empty")
            if example.question_type == "multi_choice" and response in example.choices:
                return Extracted(response, "exact-choice")
            try:
                if example.answer_type == "integer":
                    return Extracted(str(int(response)), "int")
                if example.answer_type == "float":
                    return Extracted(str(float(response)), "float")
            except (ValueError, OverflowError):
                pass
            m = re.search(r'The answer is "(.*)"\.', response)
            if m:
                return Extracted(m.group(1), "quick-extract")
        return self.rule_extract(response, example)

    # --- scoring ---

    def score(self, extracted: Extracted, example: Example, mode: str = "official") -> bool:
        if self.check_mode(mode) == "official":
            value = "" if extracted.value is None else extracted.value
            if example.question_type != "multi_choice" and extracted.value is None:
                return False
            pred = official_normalize(
                value, example.choices, example.question_type or "", example.answer_type, example.precision
            )
            return pred == example.answer
        value = extracted.value
        if not value or not value.strip():
            return False
        if example.question_type == "multi_choice":
            letter = choice_letter(value, len(example.choices), example.choices)
            return letter is not None and example.choices[ord(letter) - ord("A")] == example.answer
        if example.answer_type in ("integer", "float"):
            pred, gt = parse_number(value), parse_number(example.answer)
            if pred is None or gt is None:
                return False
            if example.answer_type == "integer":
                return abs(pred - round(pred)) < 1e-9 and round(pred) == round(gt)
            if example.precision is None:
                return close(pred, gt)
            try:
                return _round_half_up(pred, example.precision) == Decimal(example.answer.strip())
            except InvalidOperation:
                return False
        if example.answer_type == "list":
            sp, sg = parse_sequence(value), parse_sequence(example.answer)
            if not sp or not sg or len(sp[2]) != len(sg[2]):
                return False
            for x, y in zip(sp[2], sg[2]):
                vx, vy = parse_number(x), parse_number(y)
                if not (
                    (vx is not None and vy is not None and close(vx, vy, abs_tol=1e-9))
                    or normalize_text(x) == normalize_text(y)
                ):
                    return False
            return True
        return normalize_text(value) == normalize_text(example.answer)

    def aggregate(
        self, records: list[dict[str, Any]], *, n_boot: int = 1000, seed: int = 0
    ) -> dict[str, Any]:
        return summarize(
            records, breakdown_keys=BREAKDOWN_KEYS, multi_keys=("skills",), n_boot=n_boot, seed=seed
        )
