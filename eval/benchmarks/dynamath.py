"""DynaMath (ICLR 2025): 501 seed questions x 10 program-generated variants (reference/benchmarks.md §1).

Data (``--data``): a folder with ``dataset.json`` (+ ``image/imageN.png``), one variant; or the released
10-variant layout, a folder of ``trial1/`` .. ``trial10/`` each with its own ``dataset.json`` and images
(also found under ``10trials/`` or ``samples and result/10trials/``). ``dataset.json`` is an object keyed by
the seed id ("1".."501"). ``group_id`` = that key, ``variant`` = the trial number (1 for a single
folder), sample id ``"{group_id}-{variant}"``.

Official mode follows ``evaluation/opensource_json_eval.py`` (DynaMath repo, 598c3c3) exactly: prompt
"## Question\\n" + question (+ "Please answer in a floating-point number." for floats) + the JSON answer
guide; extraction slices the first ``{`` to the last ``}``, deletes every backslash and parses JSON
(strict=False), falling back to the response's last line minus its last character; floats: unless
``answer.isdigit()``, the first space-separated token, a token containing π read as float(prefix) * π
(so "2π/3" becomes 2π), correct iff ``|pred - gt| <= 0.001``; multiple choice: a 1-character answer must
equal the letter, a longer one is correct iff the letter occurs in its first 3 characters; text: correct
iff the ground truth is a substring of the answer; any exception is a fail.

Robust mode fixes: JSON with LaTeX backslashes parsed properly, a fallback cascade when there is no JSON,
full numeric expressions ("2π/3", "\\frac{2\\pi}{3}", "1,000", units), exactly one option letter
(standalone, never inside a word, or the option's text), and text answers compared after normalisation
(case, spacing, clock times "8:0" = "8:00", tuples numerically) instead of by substring.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from svemath.errors import DataFormatError
from svemath.eval.aggregate import restricted, summarize
from svemath.eval.base import Benchmark, Example, Extracted, plain_prompt, register_benchmark
from svemath.eval.datafiles import as_text, iter_json_entries, need
from svemath.eval.extract import (
    answer_line,
    choice_letter,
    close,
    final_answer,
    first_number,
    json_field,
    normalize_text,
    parse_choices,
    parse_json_object,
    parse_number,
    parse_sequence,
)
from svemath.eval.metrics import dynamath_cis, dynamath_summary

# The answer guide of DynaMath's open-source evaluation script, verbatim (line breaks and typo included).
GUIDE = (
    "\n## Answer Instruction Please provide an answer to the question outlined above. Your response should "
    "adhere \nto the following JSON format, which includes two keys: 'solution' and 'short answer'. The "
    "'solution' key can contain \ndetailed steps needed to solve the question, and the 'short answer' key "
    "should provide a concise response. If the problem is a multiple choice problem, just provide the "
    "corresponing choice option, \nsuch as 'A', 'B', 'C', or 'D'. If the answer is a numerical value, format "
    "it as a three-digit floating-point number.\n\nExample of expected JSON response format:\n\n"
)
EXAMPLE_JSON = json.dumps(
    {"solution": "[Detailed step-by-step explanation]", "short answer": "[Concise Answer]"}, indent=4
)
FLOAT_HINT = "Please answer in a floating-point number."
TRIAL_DIRS = ("", "10trials", "samples and result/10trials")


# === Official extraction and scoring (faithful, quirks included) ===


def official_preprocess(response: str) -> str:
    """DynaMath's ``preprocess``: slice first ``{`` .. last ``}`` and delete backslashes; its edge cases
    (no brace, a brace as the last character, a 1-character response) reproduced. Raises IndexError
    where the original does (the caller then uses the raw response)."""
    if response == "":
        return response
    i = response.find("{")
    if i < 0:
        if len(response) >= 2:
            return response
        raise IndexError("string index out of range")
    if i > 0 and len(response) - i <= 1:
        return response
    s = response[i:]
    j = s.rfind("}")
    if j < 0:
        if len(s) >= 2:
            return response
        raise IndexError("string index out of range")
    return s[: j + 1].replace("\\", "")


def official_extract(response: str) -> Extracted:
    try:
        description = official_preprocess(response)
    except IndexError:
        description = response
    try:
        obj = json.loads(description, strict=False)
    except (json.JSONDecodeError, RecursionError):
        return Extracted(description.split("\n")[-1][:-1], "last-line-minus-one")
    if not isinstance(obj, dict):
        return Extracted(None, "json-not-an-object")  # the original's dj.get raises: a fail
    return Extracted(str(obj.get("short answer")), "json")


def official_transfer(token: str) -> float:
    if "π" in token:
        return float(token.split("π")[0]) * 3.141592653589793
    return float(token)


def official_score(answer: str | None, gt: str, answer_type: str, tolerance: float = 1e-3) -> bool:
    if answer is None:
        return False
    try:
        if answer_type == "float":
            value: Any = answer
            if not answer.isdigit():
                value = official_transfer(answer.split(" ")[0])
            return abs(float(value) - float(gt)) <= tolerance
        if answer_type == "multiple choice":
            return answer == gt if len(answer) == 1 else gt in answer[0:3]
        return gt in answer
    except (ValueError, TypeError, OverflowError):
        return False


# === Robust scoring ===


def robust_text_equal(pred: str, gt: str) -> bool:
    a, b = normalize_text(pred), normalize_text(gt)
    if a == b:
        return True
    ca, cb = re.fullmatch(r"(\d{1,2})\s*:\s*(\d{1,2})", a), re.fullmatch(r"(\d{1,2})\s*:\s*(\d{1,2})", b)
    if ca and cb:
        return (int(ca[1]), int(ca[2])) == (int(cb[1]), int(cb[2]))
    sa, sb = parse_sequence(pred), parse_sequence(gt)
    if sa and sb:
        if len(sa[2]) != len(sb[2]):
            return False
        for x, y in zip(sa[2], sb[2]):
            vx, vy = parse_number(x), parse_number(y)
            if not (
                (vx is not None and vy is not None and close(vx, vy))
                or normalize_text(x) == normalize_text(y)
            ):
                return False
        return True
    va, vb = parse_number(pred), parse_number(gt)
    if va is not None and vb is not None:
        return close(va, vb)
    head = re.split(r"[,;]\s|\.\s", a, maxsplit=1)[0].strip()
    return head == b


@register_benchmark("dynamath")
class DynaMath(Benchmark):
    scorer = "dynamath-rule"
    scorer_note = (
        "official mode = DynaMath's open-source rule scorer (tolerance 0.001); the GPT script's 'wait for "
        "check' manual fallback and VLMEvalKit's LLM re-formatting are not used"
    )

    def __init__(self, tolerance: float = 1e-3) -> None:
        self.tolerance = tolerance

    # --- loading ---

    def load(self, data_path: str | Path) -> list[Example]:
        root = Path(data_path)
        if root.is_file() and root.suffix == ".json":
            return self._sorted(self.load_file(root, 1))
        if (root / "dataset.json").is_file():
            return self._sorted(self.load_file(root / "dataset.json", 1))
        for sub in TRIAL_DIRS:
            base = root / sub if sub else root
            trials = sorted(
                (int(m[1]), p)
                for p in (base.iterdir() if base.is_dir() else [])
                if (m := re.fullmatch(r"trial(\d+)", p.name))
            )
            if trials:
                out: list[Example] = []
                for j, folder in trials:
                    if not (folder / "dataset.json").is_file():
                        raise DataFormatError(f"{folder}: trial folder without dataset.json")
                    out.extend(self.load_file(folder / "dataset.json", j))
                return self._sorted(out)
        raise DataFormatError(
            f"{root}: not a DynaMath folder (expected dataset.json, or trial1/ .. trial10/ folders each with "
            "dataset.json, optionally under 10trials/ or 'samples and result/10trials/')"
        )

    @staticmethod
    def _sorted(examples: list[Example]) -> list[Example]:
        def key(e: Example) -> tuple:
            g = e.group_id
            return (0, int(g), "", e.variant) if g.isdigit() else (1, 0, g, e.variant)

        return sorted(examples, key=key)

    def load_file(self, path: Path, variant: int) -> list[Example]:
        out = []
        for key, record, line in iter_json_entries(path):
            where = f"{path}:{line}"
            if not isinstance(key, str):
                raise DataFormatError(f"{where}: dataset.json must be an object keyed by question id")
            out.append(
                self.example_from_native(
                    record, group_id=key, variant=variant, folder=path.parent, where=where
                )
            )
        return out

    def example_from_native(
        self, record: dict[str, Any], *, group_id: str, variant: int, folder: Path, where: str,
        image: str | None = None, example_id: str | None = None,
    ) -> Example:  # fmt: skip
        """Build an Example from one DynaMath record (also used for synth-dynamath's ``native``)."""
        question = need(record, "question", str, where)
        answer = as_text(need(record, "answer", (str, int, float), where), where, "answer")
        answer_type = need(record, "answer_type", str, where)
        image_rel = image if image is not None else need(record, "image", str, where)
        subject = re.sub(r"\s+", " ", need(record, "subject", str, where)).strip()
        level = need(record, "level", str, where)
        choices = parse_choices(question) if answer_type == "multiple choice" else []
        return Example(
            id=example_id or f"{group_id}-{variant}",
            benchmark=self.name,
            group_id=str(group_id),
            variant=variant,
            question=question,
            answer=answer,
            answer_type=answer_type,
            question_type="multiple choice" if answer_type == "multiple choice" else "free form",
            image_path=folder / image_rel if image_rel else None,
            choices=choices,
            meta={"subject": subject, "level": level},
            source=where,
        )

    # --- prompting ---

    def build_prompt(self, example: Example, style: str = "official") -> str:
        if self.check_style(style) == "plain":
            return plain_prompt(
                example.extra.get("plain_question") or example.question,
                example.extra.get("plain_choices", ()),
            )
        text = "## Question\n" + example.question
        if example.answer_type == "float":
            text += FLOAT_HINT
        return text + GUIDE + EXAMPLE_JSON

    # --- extraction and scoring ---

    def extract(
        self, response: str, example: Example, *, mode: str = "official", style: str = "official"
    ) -> Extracted:
        self.check_mode(mode)
        if style == "plain" and (line := answer_line(response)):
            return Extracted(line, "answer-line")
        if mode == "official":
            return official_extract(response)
        obj = parse_json_object(response)
        if obj is not None:
            value = json_field(obj, "short answer", "short_answer", "final answer", "answer")
            if value is not None and not isinstance(value, (dict, list)) and str(value).strip():
                return Extracted(str(value).strip(), "json")
            solution = json_field(obj, "solution")
            if isinstance(solution, str) and solution.strip():
                span, method = final_answer(solution)
                return Extracted(span, f"json-solution-{method}")
        span, method = final_answer(response)
        return Extracted(span, method)

    def score(self, extracted: Extracted, example: Example, mode: str = "official") -> bool:
        if self.check_mode(mode) == "official":
            return official_score(extracted.value, example.answer, example.answer_type, self.tolerance)
        value = extracted.value
        if not value or not value.strip():
            return False
        at = example.answer_type
        if at in ("float", "int"):
            pred = parse_number(value)
            pred = first_number(value) if pred is None else pred
            gt = parse_number(example.answer)
            return pred is not None and gt is not None and close(pred, gt, abs_tol=self.tolerance)
        if at == "multiple choice":
            gt = example.answer.strip().strip("()").upper()
            return choice_letter(value, len(example.choices) or 5, example.choices) == gt
        return robust_text_equal(value, example.answer)

    def oracle_response(self, example: Example, style: str = "official") -> str:
        if style == "plain":
            return f"Answer: {example.answer}"
        return json.dumps({"solution": "(oracle)", "short answer": example.answer})

    # --- metrics ---

    def headline(self, block: dict[str, Any]) -> dict[str, Any]:
        d, ci = block["dynamath"], block["dynamath_ci"]
        return {
            "avg": d["avg"], "avg_ci": ci["avg"], "worst": d["worst"], "worst_ci": ci["worst"],
            "rr": d["rr"], "rr_ci": ci["rr"], "best": d["best"], "n_groups": d["n_groups"],
        }  # fmt: skip

    def aggregate(
        self, records: list[dict[str, Any]], *, n_boot: int = 1000, seed: int = 0
    ) -> dict[str, Any]:
        fields = ("avg", "worst", "rr", "n_groups")

        def extra(view: list[dict[str, Any]]) -> dict[str, Any]:
            return {
                "dynamath": dynamath_summary(view),
                "dynamath_ci": dynamath_cis(view, n_boot=n_boot, seed=seed),
                "by_subject": restricted(view, "subject", dynamath_summary, fields),
                "by_level": restricted(view, "level", dynamath_summary, fields),
            }

        return summarize(
            records,
            breakdown_keys=("subject", "level", "answer_type", "variant"),
            extra=extra,
            n_boot=n_boot,
            seed=seed,
        )
