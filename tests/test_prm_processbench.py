"""``synth-processbench``: injected errors change exactly one step, labels are exact, the suite validates."""

from __future__ import annotations

import json
import random

from svemath.calc import CALC_RE, evaluate, fmt_number
from svemath.data import processbench as pb
from svemath.data.problem_suites import family_names, make_problem
from svemath.mllm.steps import split_steps


def _problems():
    for name in family_names():
        for seed in range(3):
            yield make_problem(name, random.Random(seed))


def test_injected_error_is_exactly_at_the_error_step():
    applied = dict.fromkeys(pb.ERROR_TYPES, 0)
    for problem in _problems():
        for kind, inject in pb.INJECTORS.items():
            got = inject(list(problem.steps), problem.answer, random.Random(11), problem)
            if got is None:
                continue
            lines, answer, i = got
            applied[kind] += 1
            assert len(lines) == len(problem.steps)
            assert lines[:i] == problem.steps[:i], (problem.family, kind)  # steps before it untouched
            assert lines[i] != problem.steps[i], (problem.family, kind)  # the error step changed
            if kind == "arithmetic":  # some annotation of the error step now states a wrong result
                wrong = [m for m in CALC_RE.finditer(lines[i]) if fmt_number(evaluate(m.group(1)), 4) != m.group(2)
                         and abs(evaluate(m.group(1)) - float(m.group(2))) > 1e-9]  # fmt: skip
                assert wrong, (problem.family, lines[i])
            if kind in ("final", "choice"):
                assert i == len(lines) - 1 and answer != problem.answer
            if kind == "choice":  # the option text stays, the letter changes
                gold = problem.choices[pb.LETTERS.index(problem.answer)]
                assert f"answer is {gold}, which is choice ({answer})" in lines[i]
    assert min(applied.values()) >= 30, applied  # every error type applies to many families


def test_labels_follow_the_error_step():
    seen = set()
    for k, problem in enumerate(_problems()):
        sol = pb.solution_with_error(problem, random.Random(k))
        labels, idx = sol["step_labels"], sol["error_step"]
        assert sol["steps"] == split_steps(sol["response"])
        assert sol["response"].endswith(f"Answer: {sol['response_answer']}")
        if idx is None:
            assert sol["error_type"] is None and set(labels) == {1} and sol["final_correct"]
            assert sol["steps"][:-1] == problem.steps[:-1]
        else:
            assert labels == [1] * idx + [-1] * (len(labels) - idx)
            seen.add(sol["error_type"])
    assert seen == set(pb.ERROR_TYPES)


def test_perturb_keeps_precision_and_changes_value():
    rng = random.Random(0)
    for lit in ("65", "0", "13.23", "5.5", "-2", "201.06"):
        for _ in range(20):
            new = pb.perturb(lit, rng)
            assert new != lit and float(new) != float(lit)
            assert pb._decimals(new) == pb._decimals(lit)


def test_suite_generates_and_validates(tmp_path):
    from svemath.data.generate import generate_dataset
    from svemath.data.validate import validate
    from svemath.train.obj_prm import load_step_labelled

    out = tmp_path / "pb"
    generate_dataset("synth-processbench", n=24, seed=3, out=out, image_size=128, progress=False)
    report = validate(out)
    assert report.ok, report.problems[:3]
    rows = [json.loads(x) for x in (out / "data.jsonl").read_text().splitlines()]
    assert {r["error_type"] for r in rows} - {None}, "no errors injected"
    for r in rows:
        assert "conversations" not in r and "<image>" not in r["prompt"]
        assert len(r["steps"]) == len(r["step_labels"])
    items = load_step_labelled(out)
    assert len(items) == 24 and all(it.image.is_file() for it in items)
    assert [it.labels for it in items] == [[1 if x > 0 else 0 for x in r["step_labels"]] for r in rows]
    assert all(it.twin_steps is None for it in items)  # the eval suite carries no clean solution


def test_prm_errors_keep_a_clean_twin_equal_up_to_the_error(tmp_path):
    from svemath.data.generate import generate_dataset
    from svemath.train.obj_prm import load_step_labelled

    out = tmp_path / "pe"
    generate_dataset("prm-errors", n=24, seed=5, out=out, image_size=96, progress=False)
    rows = [json.loads(x) for x in (out / "data.jsonl").read_text().splitlines()]
    errors = [r for r in rows if r["error_type"] is not None]
    assert errors and all("clean_steps" not in r for r in rows if r["error_type"] is None)
    for r in errors:
        k, clean = r["error_step"], r["clean_steps"]
        assert len(clean) == len(r["steps"]) and clean[:k] == r["steps"][:k] and clean[k] != r["steps"][k]
    twins = {it.id: it.twin_steps for it in load_step_labelled(out)}
    assert all(twins[r["id"]] == r.get("clean_steps") for r in rows)


def test_an_error_propagates_to_the_answer():
    problem = make_problem("angle_around_point", random.Random(1))  # x = <<360-a-b=..>> then Answer: x
    for inject in (pb.inject_arithmetic, pb.inject_misread):
        lines, answer, _ = inject(list(problem.steps), problem.answer, random.Random(3), problem)
        assert answer != problem.answer
        assert CALC_RE.search(lines[-1]).group(2) == answer  # the last computation agrees with the answer
