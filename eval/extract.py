"""Shared answer extraction and normalisation (numbers, units, choice letters, LaTeX, JSON responses).

Every benchmark's scorer draws on these helpers, so a fix lands once (the lesson of lmms-eval PR #1122).
Benchmark-specific *official* quirks (DynaMath's pi-prefix float parser, MathVista's Levenshtein
fallback) live with their benchmark; this module holds the careful versions used by robust mode and by
the rule-based replacements of LLM extractors.

Extraction cascade (:func:`final_answer`): the last ``Answer: X`` line (our training format) -> the last
``\\boxed{X}`` -> the last "the answer is X" -> the last non-empty line.
"""

from __future__ import annotations

import json
import re
from typing import Any

from svemath.eval.mathexpr import evaluate

# === Finding the answer span ===

_ANSWER_LINE = re.compile(r"^[\s*#>_`-]*(?:the\s+)?(?:final\s+)?answer\s*(?:is)?\s*[:：]\s*(.*?)\s*$", re.I)
_ANSWER_IS = re.compile(
    r"(?:the\s+)?(?:final\s+|correct\s+)?answer\s+(?:is|should be|would be)\s*[:：]?\s*"
    r"(.+?)(?:\n|\.\s|\.$|$)",
    re.I,
)


def _tidy(span: str) -> str:
    span = span.strip().strip("*_`").strip()
    if span.endswith("."):
        span = span[:-1].rstrip()
    return span.strip()


def answer_line(text: str) -> str | None:
    """The value of the last line of the form ``Answer: X`` (also ``Final answer: X``, ``**Answer:** X``)."""
    found = None
    for line in text.splitlines():
        m = _ANSWER_LINE.match(line)
        if m and _tidy(m.group(1).replace("**", "")):
            found = _tidy(m.group(1).replace("**", ""))
    return found


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` (or ``\\fbox{...}``), braces balanced."""
    idx = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if idx < 0:
        return None
    start = text.find("{", idx)
    if start < 0:
        return None
    depth = 0
    for j in range(start, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : j].strip() or None
    return None


def answer_is(text: str) -> str | None:
    """The span after the last "the answer is" (up to the end of the line or sentence)."""
    matches = list(_ANSWER_IS.finditer(text))
    if not matches:
        return None
    span = _tidy(matches[-1].group(1))
    return span or None


def last_line(text: str) -> str | None:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else None


def final_answer(text: str) -> tuple[str | None, str]:
    """The answer span by the cascade in the module docstring -> (span or None, method name)."""
    for method, fn in (("answer-line", answer_line), ("boxed", last_boxed), ("answer-is", answer_is)):
        span = fn(text)
        if span:
            return span, method
    span = last_line(text)
    return (span, "last-line") if span else (None, "none")


def truncate_words(text: str, n: int) -> str:
    """The last ``n`` space-separated words (MathVerse's ``--trunk_response``); n <= 0 keeps everything."""
    return text if n <= 0 else " ".join(text.split(" ")[-n:])


# === JSON responses ===

_LATEX_CMDS = (
    "frac|dfrac|tfrac|sqrt|times|theta|text|mathrm|mathbf|textbf|cdot|cdots|ldots|dots|pi|circ|angle|"
    "triangle|left|right|boxed|approx|neq|ne|leq|le|geq|ge|infty|alpha|beta|gamma|delta|degree|div|pm|"
    "quad|qquad|perp|parallel|sim|cong|overline|vec|hat|in|cup|cap|sin|cos|tan|log|ln|because|therefore"
)
# an escaped pair (kept), a backslash starting a LaTeX command, or an invalid JSON escape (both doubled)
_BACKSLASH = re.compile(rf"\\\\|\\(?=(?:{_LATEX_CMDS})(?![A-Za-z]))|\\(?![\"\\\\/bfnrtu])")


def _fix_backslashes(chunk: str) -> str:
    return _BACKSLASH.sub(lambda m: m.group(0) if len(m.group(0)) == 2 else "\\\\", chunk)


def parse_json_object(text: str) -> dict[str, Any] | None:
    """The JSON object in ``text`` (from the first ``{`` to the last ``}``), tolerating LaTeX backslashes.

    Tries, in order: the slice as is; LaTeX commands and invalid escapes doubled (so ``\\frac`` stays a
    fraction instead of a form feed); all backslashes removed (DynaMath's own repair). None if no object.
    """
    i, j = text.find("{"), text.rfind("}")
    if i < 0 or j <= i:
        return None
    chunk = text[i : j + 1]
    fixed = _fix_backslashes(chunk)
    for candidate in (fixed, chunk, chunk.replace("\\", "")):
        try:
            obj = json.loads(candidate, strict=False)
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(obj, dict):
            return obj
    try:  # a valid object followed by junk braces
        obj, _ = json.JSONDecoder(strict=False).raw_decode(fixed)
        return obj if isinstance(obj, dict) else None
    except (json.JSONDecodeError, RecursionError):
        return None


def json_field(obj: dict[str, Any], *names: str) -> Any:
    """``obj[name]`` for the first of ``names`` present, keys compared ignoring case, spaces, ``_``, ``-``."""

    def norm(k: str) -> str:
        return re.sub(r"[\s_\-]", "", k.lower())

    keys = {norm(k): k for k in obj if isinstance(k, str)}
    for name in names:
        if norm(name) in keys:
            return obj[keys[norm(name)]]
    return None


# === LaTeX clean-up, units, numbers ===

_WRAPPER = re.compile(r"\\(?:text|mathrm|mathbf|textbf|mbox|operatorname|textit|mathit|boxed|fbox)\s*\{")
_DEGREE = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|\\degree|°|掳|º")


def _unwrap(s: str) -> str:
    """Replace ``\\text{...}``, ``\\mathrm{...}``, ``\\boxed{...}`` (braces balanced) by their content."""
    for _ in range(50):
        m = _WRAPPER.search(s)
        if not m:
            break
        depth = 0
        for j in range(m.end() - 1, len(s)):
            depth += {"{": 1, "}": -1}.get(s[j], 0)
            if depth == 0:
                s = s[: m.start()] + s[m.end() : j] + s[j + 1 :]
                break
        else:  # unbalanced: drop the command and its brace, keep the rest
            s = s[: m.start()] + s[m.end() :]
    return s


def clean_latex(s: str) -> str:
    """Drop math delimiters, formatting wrappers, degree marks and spacing commands; keep the maths."""
    s = s.strip()
    for a in ("\\(", "\\)", "\\[", "\\]", "$"):
        s = s.replace(a, "")
    s = _unwrap(s)
    s = _DEGREE.sub("", s)
    s = s.replace("\\%", "%").replace("~", " ").replace("\\,", "").replace("\\!", "").replace("\\;", " ")
    s = s.replace("\\displaystyle", "").replace("\\left", "").replace("\\right", "")
    return re.sub(r"\s+", " ", s).strip()


_KEEP_WORDS = {"pi", "sqrt", "inf", "e", "x", "frac"}
_UNIT_TAIL = re.compile(
    r"^(?P<num>.*?[\dπ)}])\s*(?P<unit>(?:(?:square|sq\.?|cubic)\s+)?"
    r"(?:[A-Za-z]++(?:\s*\^\s*\{?-?\d+\}?|[²³])?"
    r"(?:\s*/\s*[A-Za-z]++(?:\s*\^\s*\{?\d+\}?|[²³])?)?\s*)++)\.?$"
)
_LEAD_WORDS = re.compile(
    r"^(?:approximately|approx\.?|about|around|roughly|nearly|exactly|only|just)\s+", re.I
)
_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def strip_units(s: str) -> str:
    """Remove trailing unit words (``14 cm``, ``113.1 cm^2``, ``5 m/s``, ``6 square units``)."""
    m = _UNIT_TAIL.match(s.strip())
    if not m:
        return s.strip()
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", m.group("unit"))}
    if words & _KEEP_WORDS:
        return s.strip()
    return m.group("num").strip()


def parse_number(text: str | None) -> float | None:
    """A number from a short answer: ``"2π/3"``, ``"\\frac{3}{4}"``, ``"1,000"``, ``"x = 14 cm"``, ``"45%"``,
    ``"about 3.5"``. The value after the last ``=``/``≈`` counts. None if it is not one number."""
    if text is None or len(str(text)) > 300:
        return None
    s = clean_latex(str(text))
    parts = [p for p in re.split(r"=|≈|\\approx", s) if p.strip()]
    if not parts:
        return None
    s = _LEAD_WORDS.sub("", parts[-1].strip()).strip().rstrip(".").strip()
    s = s.rstrip("%").strip()
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    value = evaluate(s)
    if value is None:
        stripped = strip_units(s).rstrip("%").strip()
        if stripped != s:
            value = evaluate(stripped)
    return value


_NUMBER_TOKEN = re.compile(
    r"(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)?(?:\s*π)?(?![\w.]*\d)"
    r"|\\frac\{[^{}]*\}\{[^{}]*\}"
)


def find_numbers(text: str) -> list[str]:
    """Number-like substrings of ``text`` in order: integers, decimals, ``a/b``, ``2π``, ``\\frac{a}{b}``."""
    return [m.group(0) for m in _NUMBER_TOKEN.finditer(text)]


def first_number(text: str) -> float | None:
    for tok in find_numbers(text):
        v = parse_number(tok)
        if v is not None:
            return v
    return None


def last_number(text: str) -> float | None:
    for tok in reversed(find_numbers(text)):
        v = parse_number(tok)
        if v is not None:
            return v
    return None


def close(a: float, b: float, *, abs_tol: float = 1e-3, rel_tol: float = 0.0) -> bool:
    if a == b:  # also infinities
        return True
    return abs(a - b) <= max(abs_tol, rel_tol * max(abs(a), abs(b)))


def decimals(literal: str) -> int | None:
    """Digits after the point in a plain decimal literal (``"113.1"`` -> 1, ``"14"`` -> 0), else None."""
    m = re.fullmatch(r"\s*[-+]?\d+(?:\.(\d+))?\s*", literal)
    return None if not m else len(m.group(1) or "")


def parse_sequence(text: str) -> tuple[str, str, list[str]] | None:
    """``"(3, 1)"`` / ``"[2014, 2016]"`` / ``"(-inf, 3]"`` -> (open bracket, close bracket, items)."""
    s = clean_latex(text)
    m = re.fullmatch(r"\s*([(\[])(.*)([)\]])\s*", s)
    if not m or "," not in m.group(2):
        return None
    items = [p.strip().strip("'\"") for p in m.group(2).split(",")]
    return (m.group(1), m.group(3), items) if all(items) else None


def normalize_text(s: str) -> str:
    """Case-folded, whitespace-collapsed, without a trailing period or surrounding quotes/markup."""
    s = clean_latex(s).strip().strip("*_`\"'").strip()
    s = s[:-1] if s.endswith(".") else s
    return re.sub(r"\s+", " ", s).casefold().strip()


# === Multiple choice ===

LETTERS = "ABCDEFGH"
_OPTION_PHRASE = re.compile(
    r"(?i:answer|option|choice)\s*(?i:is|should be|would be)?\s*[:：]?\s*[(\[]?([A-H])[)\]]?(?![A-Za-z])"
)


def parse_choices(question: str) -> list[str]:
    """Options written inside a question: ``(A) x (B) y`` inline, or lines ``A: x`` / ``A. x`` / ``(A) x``."""
    m = re.search(r"\(A\)", question)
    if m:
        parts = re.split(r"\(([A-H])\)", question[m.start() :])
        letters, texts = parts[1::2], parts[2::2]
        if letters == list(LETTERS[: len(letters)]):
            return [t.strip().rstrip(",;").strip() for t in texts]
    lines = re.findall(r"^\s*([A-H])\s*[:.)：]\s*(.*?)\s*$", question, flags=re.M)
    letters = [ln[0] for ln in lines]
    if len(letters) >= 2 and letters == list(LETTERS[: len(letters)]):
        return [ln[1] for ln in lines]
    return []


def choice_letter(
    text: str | None, n_options: int | None = None, choices: list[str] | None = None
) -> str | None:
    """The one option letter ``text`` commits to, or None when there is none or more than one.

    Accepts ``B``, ``(B)``, ``B.``, ``B) yes``, ``Answer: B``, ``option B``; a letter inside a word
    (``Because``) never counts; several different standalone letters are ambiguous (None); the exact
    text (or value) of exactly one option also selects it.
    """
    if text is None:
        return None
    valid = LETTERS[: n_options or (len(choices) if choices else 0) or 5]
    s = clean_latex(text).strip()
    if not s:
        return None
    m = re.fullmatch(r"[(\[]?\s*([A-Ha-h])\s*[)\]]?\s*[.:)]?", s)
    if m and m.group(1).upper() in valid:
        return m.group(1).upper()
    m = re.match(r"[(\[]?([A-H])[)\].:](?:\s|$)", s)
    if m and m.group(1) in valid and not re.search(r"(?<![A-Za-z])[A-H](?![A-Za-z])", s[m.end() :]):
        return m.group(1)  # "B) yes", "(C) 8/11": a leading letter and no other letter after it
    phrases = [g for g in _OPTION_PHRASE.findall(s) if g.upper() in valid]
    if phrases:
        return phrases[-1].upper()
    for pattern in (r"\(([A-H])\)", r"(?<![A-Za-z])([A-H])(?![A-Za-z])"):
        found = {g for g in re.findall(pattern, s) if g in valid}
        if len(found) == 1:
            return found.pop()
        if len(found) > 1:
            return None
    if choices:
        target = normalize_text(s)
        hits = [i for i, c in enumerate(choices) if normalize_text(c) == target]
        if len(hits) != 1:
            value = parse_number(s)
            if value is not None:
                hits = [
                    i
                    for i, c in enumerate(choices)
                    if (cv := parse_number(c)) is not None and close(cv, value, abs_tol=1e-9)
                ]
        if len(hits) == 1 and hits[0] < len(valid):
            return valid[hits[0]]
    return None


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions), as python-Levenshtein's ``distance``."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i]
        for j, cb in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
