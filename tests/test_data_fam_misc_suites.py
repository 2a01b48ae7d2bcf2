"""The family-based suites: instruct, prm, synth-dynamath, synth-mathverse, synth-mathvista.

Each generates a few samples with the real generator into tmp_path, passes ``svemath data validate``,
and has the structure its benchmark needs; generation is deterministic."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from PIL import Image

from svemath.data import benchmark_suites as bs
from svemath.data.families.base import DYNAMATH_TOPICS, LETTERS
from svemath.data.generate import GenerationOptions, generate_dataset, generation_options
from svemath.data.validate import validate


def gen(tmp_path: Path, suite: str, n: int, *, seed: int = 0, tag: str = "", **kw) -> tuple[Path, list[dict]]:
    out = tmp_path / f"{suite}{tag}"
    generate_dataset(suite, n, seed, out, progress=False, **kw)
    report = validate(out)
    assert report.ok, report.problems[:5]
    return out, [json.loads(line) for line in (out / "data.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("suite", ["instruct", "prm"])
def test_train_suites_records(tmp_path, suite):
    _, recs = gen(tmp_path, suite, 24)
    for r in recs:
        for key in ("question", "answer", "answer_type", "steps", "meta", "conversations", "annotations"):
            assert key in r, key
        assert {"family", "subject", "level"} <= set(r["meta"])
        human, gpt = (t["value"] for t in r["conversations"])
        assert human.startswith("<image>\n") and r["question"] in human
        if r["answer_type"] == "multiple_choice":
            assert "\nChoices: (A) " in human and r["answer"] in LETTERS[: len(r["choices"])]
        assert gpt.endswith(f"\nAnswer: {r['answer']}") and gpt.startswith(r["steps"][0])
        assert set(r["annotations"]) == {"shapes", "texts"}
    assert len({r["meta"]["family"] for r in recs}) >= 10
    assert len({r["answer_type"] for r in recs}) >= 3


def test_instruct_options_size_and_annotation_levels(tmp_path):
    out, recs = gen(tmp_path, "instruct", 3, image_size=256, options={"annotations": "full"})
    assert all(Image.open(out / r["image"]).size == (256, 256) for r in recs)
    assert all(r["annotations"]["boundary"].endswith("_edge.png") and r["annotations"]["junctions"] is not None
               for r in recs)  # fmt: skip
    _, recs = gen(tmp_path, "instruct", 3, tag="-none", options={"annotations": "none"})
    assert all("annotations" not in r for r in recs)


def test_instruct_family_weights_steer_the_draw():
    from svemath.data.problem_suites import family_names, make_instruct
    from svemath.errors import ConfigError

    names = family_names()
    only = {n: 0 for n in names}
    only.update(angle_vertical=1, bar_value=3)

    def families(options: dict, n: int = 16) -> list[str]:
        with generation_options(GenerationOptions(extra=options)):
            return [make_instruct(i, random.Random(i)).record["meta"]["family"] for i in range(n)]

    drawn = families({"family_weights": only})
    assert set(drawn) == {"angle_vertical", "bar_value"} and drawn.count("bar_value") > drawn.count(
        "angle_vertical"
    )
    assert len(set(families({}))) > 5  # no option: uniform over every family
    assert len(set(families({"family_weights": {"bar_value": 2}}))) > 5  # unlisted families weigh 1
    for bad, match in (({"no_such_family": 1}, "unknown families"), ({"bar_value": -1}, ">= 0"),
                       (dict.fromkeys(names, 0), "weight 0"), ([1, 2], "mapping")):  # fmt: skip
        with pytest.raises(ConfigError, match=match):
            families({"family_weights": bad}, n=1)


def test_instruct_moves_conditions_between_text_and_diagram(tmp_path):
    _, recs = gen(tmp_path, "instruct", 60)
    versions = {r["meta"]["version"] for r in recs}
    assert {"Vision Dominant", "Text Dominant"} <= versions and ({"Full", "Full Lite"} & versions)


def test_generation_is_deterministic(tmp_path):
    a, _ = gen(tmp_path, "instruct", 6, tag="-a")
    b, _ = gen(tmp_path, "instruct", 6, tag="-b")
    assert (a / "data.jsonl").read_bytes() == (b / "data.jsonl").read_bytes()
    assert all((a / "images" / f.name).read_bytes() == f.read_bytes() for f in (b / "images").iterdir())
    c, _ = gen(tmp_path, "instruct", 6, tag="-c", seed=1)
    assert (a / "data.jsonl").read_bytes() != (c / "data.jsonl").read_bytes()


# === synth-dynamath ===


def test_dynamath_groups_of_ten_variants(tmp_path):
    out, recs = gen(tmp_path, "synth-dynamath", 20)
    for g in ("0", "1"):
        group = [r for r in recs if r["group_id"] == g]
        assert [r["variant"] for r in group] == list(range(1, 11))
        assert len({r["meta"]["family"] for r in group}) == 1
        assert len({r["meta"].get("template", r["meta"]["family"]) for r in group}) == 1
        assert len({r["answer_type"] for r in group}) == 1
        assert len({(r["question"], r["answer"]) for r in group}) >= 4  # values re-drawn
        assert len({(out / r["image"]).read_bytes() for r in group}) == 10  # every variant drawn anew
    for r in recs:
        nat = r["native"]
        assert nat["answer_type"] in ("float", "multiple choice", "text")
        assert nat["subject"] in DYNAMATH_TOPICS
        assert nat["level"] in ("elementary school", "high school", "undergraduate")
        if nat["answer_type"] == "float":
            assert (
                abs(float(nat["answer"]) - float(r["answer"])) < 1e-9
                and len(nat["answer"].split(".")[-1]) <= 4
            )
        if nat["answer_type"] == "multiple choice":
            assert " Choices: (A) " in nat["question"] and nat["answer"] == r["answer"]


def test_dynamath_same_with_two_workers(tmp_path):
    a, _ = gen(tmp_path, "synth-dynamath", 20, tag="-w1")
    b, _ = gen(tmp_path, "synth-dynamath", 20, tag="-w2", workers=2)
    assert (a / "data.jsonl").read_bytes() == (b / "data.jsonl").read_bytes()


def test_group_rng_depends_on_the_run_seed():
    with generation_options(GenerationOptions(seed=0)):
        a = [bs.group_rng("synth-dynamath", g).random() for g in range(3)]
    with generation_options(GenerationOptions(seed=1)):
        b = [bs.group_rng("synth-dynamath", g).random() for g in range(3)]
    assert a != b and len(set(a)) == 3


# === synth-mathverse ===


def test_mathverse_six_versions(tmp_path):
    out, recs = gen(tmp_path, "synth-mathverse", 12)
    for k, r in enumerate(recs):
        version = bs.MATHVERSE_VERSIONS[k % 6]
        nat = r["native"]
        assert r["variant"] == nat["problem_version"] == version and r["group_id"] == str(k // 6)
        assert nat["question_type"] in ("multi-choice", "free-form")
        assert nat["metadata"]["subject"] in ("Plane Geometry", "Solid Geometry", "Functions")
        assert nat["query_cot"].startswith("Please first conduct reasoning") or version == "Vision Only"
        if version == "Text Only":
            assert "image" not in r and nat["image"] == "" and "<image>" not in r["conversations"][0]["value"]
        else:
            assert nat["image"] == r["image"] and (out / r["image"]).is_file()
        if version == "Vision Only":
            assert nat["question"] == "" and nat["query_wo"].startswith("According to the question shown")
        if nat["question_type"] == "multi-choice" and version not in ("Vision Dominant", "Vision Only"):
            assert "\nChoices:\nA:" in nat["question"]
    for p in (0, 6):
        assert len({recs[p + i]["answer"] for i in range(6)}) == 1
        td, vi = recs[p], recs[p + 3]
        assert (out / td["image"]).read_bytes() == (out / vi["image"]).read_bytes()  # same diagram


def test_mathverse_moves_conditions_into_the_diagram(tmp_path, monkeypatch):
    monkeypatch.setattr(bs, "family_names", lambda **kw: ["function_zeros", "lines_intersection"])
    _, recs = gen(tmp_path, "synth-mathverse", 24)
    for p in range(0, 24, 6):
        td, _, to, _, vd, vo = recs[p : p + 6]
        exprs = re.findall(r"y = .*?(?=\. |\.$| and y =)", td["question"])  # the stated expressions
        assert exprs
        td_texts = {t["text"] for t in td["annotations"]["texts"]}
        vd_texts = {t["text"] for t in vd["annotations"]["texts"]}
        for e in exprs:
            assert e in vd_texts and e not in td_texts  # drawn in Vision Dominant, hidden in Text Dominant
            assert e not in vd["question"] and e in to["question"]
        vo_words = " ".join(t["text"] for t in vo["annotations"]["texts"])
        assert (
            vo["question"] == bs.VISION_ONLY_QUESTION
            and td["native"]["question"].split("?")[0][-20:] in vo_words
        )


# === synth-mathvista ===


def test_mathvista_natives(tmp_path):
    out, recs = gen(tmp_path, "synth-mathvista", 30)
    tasks = set()
    for r in recs:
        nat = r["native"]
        meta = nat["metadata"]
        tasks.add(meta["task"])
        assert nat["answer_type"] in ("integer", "float", "text", "list")
        assert (nat["question_type"] == "multi_choice") == (nat["answer_type"] == "text")
        if nat["question_type"] == "multi_choice":
            assert (
                nat["answer"] in nat["choices"]
                and nat["choices"][LETTERS.index(r["answer"])] == nat["answer"]
            )
        if nat["answer_type"] == "float":
            assert nat["precision"] in (1, 2) and nat["answer"] == str(
                round(float(nat["answer"]), nat["precision"])
            )
        if nat["answer_type"] == "integer":
            assert re.fullmatch(r"-?\d+", nat["answer"])
        assert nat["query"].startswith("Hint: ") and f"Question: {nat['question']}" in nat["query"]
        assert (meta["img_width"], meta["img_height"]) == Image.open(out / r["image"]).size
        assert (
            meta["language"] == "english"
            and meta["source"] == "svemath-synth"
            and meta["split"] == "testmini"
        )
        assert meta["category"] in ("math-targeted-vqa", "general-vqa") and meta["skills"] and meta["grade"]
    assert len(tasks) >= 3


def test_eval_suites_load_with_the_benchmark_parsers(tmp_path):
    pytest.importorskip("svemath.eval.benchmarks.synthetic")
    from svemath.eval.base import get_benchmark

    for suite in ("synth-dynamath", "synth-mathverse", "synth-mathvista"):
        out, recs = gen(tmp_path, suite, 12, tag="-load")
        examples = get_benchmark(suite).load(out)
        assert len(examples) == len(recs)


def test_text_panel_wraps_inside_the_image():
    from svemath.data.families import load_families
    from svemath.data.style import Style
    from svemath.data.textpanel import compose_with_text

    p = load_families().get("bar_value").make(random.Random(0))
    img, ann = compose_with_text(p.scene, Style.clean(), "word " * 60, ["Choices:", "A:1", "B:2"])
    assert img.size == (384, 384)
    lines = [t for t in ann["texts"] if t["text"].startswith("word")]
    assert len(lines) >= 3 and all(0 <= t["box"][0] < t["box"][2] <= 384 for t in ann["texts"])


def test_open_label_words_leave_the_fixed_vocabulary():
    from svemath.data import compose_misc as cm
    from svemath.errors import ConfigError

    fixed = {w for cats in cm.CATEGORY_SETS for w in cats} | set(cm.PEOPLE)

    def categories(options: dict) -> list[list[str]]:
        with generation_options(GenerationOptions(extra=options)):
            return [cm._categories(random.Random(i), 4) for i in range(40)]

    assert categories({}) == categories({"label_words": "fixed"})  # the default draws as before
    drawn = categories({"label_words": "open"})
    made_up = [c for c in drawn if not set(c) <= fixed]
    assert 10 <= len(made_up) <= 30 and all(len(set(c)) == 4 for c in drawn)  # about half, distinct
    assert all(w.isalpha() and 2 <= len(w) <= 7 for c in made_up for w in c)
    with pytest.raises(ConfigError, match="label_words"):
        categories({"label_words": "random"})
