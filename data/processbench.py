"""``synth-processbench``: a step-error detection benchmark with exact step labels (VisualProcessBench's
metric on our problem families; stream "eval"), and ``prm-errors``, the same generator on the train seed
stream (exact step labels for PRM training).

Each sample is a family problem (weighted towards multi-step families, as the ``prm`` suite) drawn and
posed like a training item, with a solution that is either the family's correct chain of thought
(``error_type`` None, about 30%) or that chain with ONE controlled injected error:

* ``arithmetic``: a calculator annotation's result is wrong (``<<180-47-68=75>>``);
* ``relation``: a wrong relation or formula: a stated constant (180, 360, 90) in a reasoning step is
  changed, or an operator of a computation is swapped (``+``/``-``, ``*``/``/``) and recomputed;
* ``misread``: a value restated from the diagram (the reading step) is misread;
* ``final``: the final step concludes a wrong value / option / name (and the answer line follows it);
* ``choice`` (multiple choice only): the final step keeps the right option text but names another
  option's letter (``So the answer is 10, which is choice (D).`` where 10 is (C)): the policy's most
  frequent multiple-choice error, which checking needs the choice list of the question.

After an error the rest of the solution stays consistent with it where it can (later uses of the
changed value are substituted and their calculator annotations recomputed, so the final answer usually
changes too). Labels are exact by construction: steps before the error are correct (1), the error step
and every later step are wrong (-1) -- the label means "correct up to this step".

The response is ``"\\n".join(steps) + "\\nAnswer: X"`` split by the shared splitter
(:func:`svemath.mllm.steps.split_steps`, the answer line joins the last step). Record fields, besides the
common ones (question, answer = the TRUE answer, answer_type, choices, meta): ``prompt`` (what the
policy/PRM sees: question + choices), ``response``, ``steps``, ``step_labels`` (1 / -1),
``error_type``, ``error_step`` (index or None), ``response_answer``, ``final_correct``, ``splitter``.
``prm-errors`` records with an error also carry ``clean_steps``: the same solution without it (identical
before ``error_step``), for counterfactual pairs in the ``prm`` stage (``options.pair_weight``).
"""

from __future__ import annotations

import random
import re
from typing import Any

from svemath.calc import CALC_RE, evaluate, fmt_number
from svemath.data.families.base import FAMILIES, LETTERS, Problem, choice_step
from svemath.data.problem_suites import (
    PRM_WEIGHTS,
    PROBLEM_TRIES,
    family_names,
    human_prompt,
    make_problem,
    problem_record,
    question_text,
    render_problem,
    train_mode,
)
from svemath.data.schema import Sample, register_suite
from svemath.mllm.steps import split_steps, splitter_info

ERROR_TYPES = ("arithmetic", "relation", "misread", "final", "choice")
CORRECT_SHARE = 0.3
RELATION_CONSTANTS = {"180": ("360", "90"), "360": ("180",), "90": ("180", "45")}
_NUM = re.compile(r"(?<![\w.∠])\d+(?:\.\d+)?(?![\w]|\.\d)")
_OPS = {"+": "-", "-": "+", "*": "/", "/": "*"}
_TRIANGLE_KINDS = ("acute", "right", "obtuse")


def _decimals(literal: str) -> int:
    return len(literal.split(".")[1]) if "." in literal else 0


def perturb(literal: str, rng: random.Random, avoid: set[str] = frozenset()) -> str:
    """A plausible wrong value with the same number of decimals (never equal to ``literal``)."""
    neg = literal.startswith("-")
    dec = _decimals(literal)
    value = abs(float(literal))
    unit = 10.0**-dec if dec else 1.0
    for _ in range(50):
        delta = rng.choice((1, 2, 3, 5, 10)) * (unit if dec and rng.random() < 0.5 else 1.0)
        new = value + delta if rng.random() < 0.5 or value - delta < 0 else value - delta
        text = f"{new:.{dec}f}" if dec else str(round(new))
        text = f"-{text}" if neg and text.strip("0.") else text
        if text != literal and text not in avoid and float(text) != float(literal):
            return text
    return f"{value + 11:.{dec}f}" if dec else str(int(value) + 11)


def _sub_tokens(text: str, mapping: dict[str, str]) -> str:
    """Replace numbers equal to a changed value; a decimal shown rounded (``about 13.2`` for 13.23,
    ``5.50`` for 5.5) follows its value at its own precision."""

    def sub(m: re.Match) -> str:
        tok = m.group(0)
        if tok in mapping:
            return mapping[tok]
        dec = _decimals(tok)
        if dec:
            for old, new in mapping.items():
                try:
                    if round(abs(float(old)), dec) == float(tok) and float(new) >= 0:
                        return f"{float(new):.{dec}f}"
                except ValueError:
                    continue
        return tok

    return _NUM.sub(sub, text)


def _recompute(line: str, mapping: dict[str, str]) -> str:
    """Recompute every calculator annotation of ``line``; changed results are added to ``mapping``."""

    def fix(m: re.Match) -> str:
        expr, old = m.group(1), m.group(2)
        try:
            new = fmt_number(evaluate(expr), max(2, _decimals(old)))
        except ValueError:
            return m.group(0)
        if new != old:
            mapping.setdefault(old, new)
        return f"<<{expr}={new}>>"

    return CALC_RE.sub(fix, line)


def propagate(lines: list[str], start: int, mapping: dict[str, str]) -> list[str]:
    """Carry changed values into ``lines[start:]``: substitute them in text and in annotation
    expressions, then recompute the annotations' results (their changes join ``mapping``)."""
    out = list(lines)
    for j in range(start, len(out)):
        out[j] = _recompute(_rebuild(CALC_RE.split(out[j]), mapping), mapping)
    return out


def _rebuild(parts: list[str], mapping: dict[str, str]) -> str:
    """``CALC_RE.split`` pieces (text, expr, result, text, ...) -> line with values substituted in text
    and expressions, results kept (they are recomputed next)."""
    pieces = []
    for k, p in enumerate(parts):
        if k % 3 == 0:
            pieces.append(_sub_tokens(p, mapping))
        elif k % 3 == 1:
            pieces.append(f"<<{_sub_tokens(p, mapping)}=")
        else:
            pieces.append(f"{p}>>")
    return "".join(pieces)


# === error injectors: (lines, answer line value, rng, problem) -> (lines, answer, error index) | None ===

Injected = tuple[list[str], str, int]


def inject_arithmetic(lines: list[str], answer: str, rng: random.Random, problem: Problem) -> Injected | None:
    spots = [(i, m) for i, ln in enumerate(lines) for m in CALC_RE.finditer(ln)]
    if not spots:
        return None
    i, m = rng.choice(spots)
    old = m.group(2)
    if not re.fullmatch(r"-?\d+(?:\.\d+)?", old):
        return None
    new = perturb(old, rng)
    lines = list(lines)
    lines[i] = lines[i][: m.start()] + f"<<{m.group(1)}={new}>>" + lines[i][m.end() :]
    return _finish(lines, answer, i, {old: new})


def inject_relation(lines: list[str], answer: str, rng: random.Random, problem: Problem) -> Injected | None:
    options: list[tuple[int, str, Any]] = []
    for i, ln in enumerate(lines):
        if i > 0 and not CALC_RE.search(ln):
            options += [(i, "const", m) for m in _NUM.finditer(ln) if m.group(0) in RELATION_CONSTANTS]
        for m in CALC_RE.finditer(ln):
            ops = [
                k
                for k, ch in enumerate(m.group(1))
                if ch in _OPS and k > 0 and m.group(1)[k - 1] in "0123456789)"
            ]
            if ops:
                options.append((i, "op", (m, ops)))
    rng.shuffle(options)
    for i, kind, spot in options:
        lines2 = list(lines)
        if kind == "const":
            old = spot.group(0)
            new = rng.choice(RELATION_CONSTANTS[old])
            lines2[i] = lines[i][: spot.start()] + new + lines[i][spot.end() :]
            mapping = {old: new}
        else:
            m, ops = spot
            k = rng.choice(ops)
            expr = m.group(1)
            new_expr = expr[:k] + _OPS[expr[k]] + expr[k + 1 :]
            try:
                new = fmt_number(evaluate(new_expr), max(2, _decimals(m.group(2))))
            except ValueError:
                continue
            if new == m.group(2):
                continue
            lines2[i] = lines[i][: m.start()] + f"<<{new_expr}={new}>>" + lines[i][m.end() :]
            mapping = {m.group(2): new}
        return _finish(lines2, answer, i, mapping)
    return None


def inject_misread(lines: list[str], answer: str, rng: random.Random, problem: Problem) -> Injected | None:
    for i, ln in enumerate(lines):
        if CALC_RE.search(ln):
            continue
        spots = list(_NUM.finditer(ln))
        if spots:
            m = rng.choice(spots)
            new = perturb(m.group(0), rng)
            lines = list(lines)
            lines[i] = ln[: m.start()] + new + ln[m.end() :]
            return _finish(lines, answer, i, {m.group(0): new})
    return None


def inject_final(lines: list[str], answer: str, rng: random.Random, problem: Problem) -> Injected | None:
    i, last = len(lines) - 1, lines[-1]
    if problem.answer_type == "multiple_choice" and problem.choices:
        gold = LETTERS.index(problem.answer)
        others = [k for k in range(len(problem.choices)) if k != gold]
        k = rng.choice(others)
        old_opt = choice_step(problem.answer, problem.choices[gold])
        if old_opt in last:
            new_last = last.replace(old_opt, choice_step(LETTERS[k], problem.choices[k]))
        elif problem.choices[gold] in last:
            new_last = last.replace(problem.choices[gold], problem.choices[k])
        else:
            return None
        return [*lines[:-1], new_last], LETTERS[k], i
    if problem.answer_type in ("integer", "float"):
        hits = [m for m in _NUM.finditer(last) if abs(float(m.group(0)) - abs(float(answer))) < 1e-9]
        if not hits:
            return None
        m = hits[-1]
        new = perturb(m.group(0), rng)
        new_answer = f"-{new}" if answer.startswith("-") else new
        return [*lines[:-1], last[: m.start()] + new + last[m.end() :]], new_answer, i
    alternatives = _text_alternatives(answer, lines)
    pattern = re.compile(rf"(?<!\w){re.escape(answer)}(?!\w)", re.I)
    if not alternatives or not pattern.search(last):
        return None
    new = rng.choice(alternatives)
    return [*lines[:-1], pattern.sub(new, last)], new, i


def inject_choice(lines: list[str], answer: str, rng: random.Random, problem: Problem) -> Injected | None:
    if problem.answer_type != "multiple_choice" or not problem.choices:
        return None
    i, last = len(lines) - 1, lines[-1]
    gold = LETTERS.index(problem.answer)
    old_opt = choice_step(problem.answer, problem.choices[gold])
    if old_opt not in last:
        return None
    letter = rng.choice([LETTERS[k] for k in range(len(problem.choices)) if k != gold])
    new_last = last.replace(old_opt, old_opt.replace(f"choice ({problem.answer})", f"choice ({letter})"))
    return [*lines[:-1], new_last], letter, i


def _text_alternatives(answer: str, lines: list[str]) -> list[str]:
    if answer.lower() in _TRIANGLE_KINDS:
        return [k for k in _TRIANGLE_KINDS if k != answer.lower()]
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", answer)
    if m:
        minute = (int(m.group(2)) + 5) % 60
        return [f"{m.group(1)}:{minute:02d}", f"{int(m.group(1)) % 12 + 1}:{m.group(2)}"]
    shape = (
        r"[A-Z]"
        if re.fullmatch(r"[A-Z]", answer)
        else r"[A-Z][a-z]+"
        if re.fullmatch(r"[A-Z][a-z]+", answer)
        else None
    )
    if shape is None:
        return []
    found = {w for ln in lines for w in re.findall(rf"(?<![\w-]){shape}(?![\w])", ln)}
    return sorted(w for w in found if w != answer and w not in ("The", "So", "There", "In", "We", "By"))


def _finish(lines: list[str], answer: str, i: int, mapping: dict[str, str]) -> Injected:
    out = propagate(lines, i + 1, mapping)
    return out, _sub_tokens(answer, mapping) if answer.lstrip("-").replace(".", "").isdigit() else answer, i


INJECTORS = {"arithmetic": inject_arithmetic, "relation": inject_relation, "misread": inject_misread,
             "final": inject_final, "choice": inject_choice}  # fmt: skip


def solution_with_error(problem: Problem, rng: random.Random) -> dict[str, Any]:
    """The problem's chain of thought, correct or with one injected error, and its exact step labels."""
    lines, answer, kind, index = list(problem.steps), problem.answer, None, None
    if rng.random() >= CORRECT_SHARE:
        kinds = list(ERROR_TYPES)
        rng.shuffle(kinds)
        for k in kinds:
            got = INJECTORS[k](lines, answer, rng, problem)
            if got is not None:
                lines, answer, index = got
                kind = k
                break
    response = "\n".join([*lines, f"Answer: {answer}"])
    steps = split_steps(response)
    if len(steps) != len(lines):
        raise ValueError(f"family {problem.family!r}: {len(lines)} lines split into {len(steps)} steps")
    labels = [1 if index is None or s < index else -1 for s in range(len(steps))]
    return {"response": response, "steps": steps, "step_labels": labels, "error_type": kind,
            "error_step": index, "response_answer": answer,
            "final_correct": _same_answer(answer, problem.answer)}  # fmt: skip


def _same_answer(a: str, b: str) -> bool:
    try:
        return abs(float(a) - float(b)) < 1e-9
    except ValueError:
        return a.strip().casefold() == b.strip().casefold()


@register_suite(
    "synth-processbench", "eval", "step-error detection: family solutions with injected errors, exact labels", "3"
)  # fmt: skip
def make_processbench(index: int, rng: random.Random) -> Sample:
    return processbench_sample(rng)


@register_suite(
    "prm-errors", "train", "PRM training data: family solutions with injected errors and exact step labels", "4"
)  # fmt: skip
def make_prm_errors(index: int, rng: random.Random) -> Sample:
    """The ``synth-processbench`` generator on the train seed stream: exact step labels to mix with (or
    compare against) Monte-Carlo labels in the ``prm`` stage; erroneous solutions keep their clean twin."""
    return processbench_sample(rng, clean_twin=True)


def processbench_sample(rng: random.Random, clean_twin: bool = False) -> Sample:
    """One family problem, drawn like a training item, with a correct or erroneous solution (and, with
    ``clean_twin``, the erroneous solution's correct version as ``clean_steps``)."""
    names = family_names()
    weights = [PRM_WEIGHTS[FAMILIES.get(n).difficulty] for n in names]
    name = rng.choices(names, weights=weights)[0]
    for _ in range(PROBLEM_TRIES):
        problem = make_problem(name, random.Random(rng.getrandbits(64)))
        mode = train_mode(problem, rng)
        rendered = render_problem(problem, rng, show_conditions=mode.show_conditions)
        if not rendered.dropped:
            break
    question = question_text(problem, mode)
    record = problem_record(problem, question, version=mode.name)
    record.pop("conversations")  # the gold solution is not part of a step-error item
    record["prompt"] = human_prompt(question, problem.choices, image=False)
    record.update(solution_with_error(problem, rng))
    if clean_twin and record["error_type"] is not None:
        record["clean_steps"] = split_steps("\n".join([*problem.steps, f"Answer: {problem.answer}"]))
    record["splitter"] = splitter_info()
    return Sample(rendered.image, record)
