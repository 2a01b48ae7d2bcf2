"""Each benchmark's loader on small fixtures in its published format (tests/fixtures/eval/)."""

import json
import shutil
from pathlib import Path

import pytest

from svemath.errors import DataFormatError, UnknownNameError
from svemath.eval.base import benchmark_names, get_benchmark
from svemath.eval.benchmarks.mathvista import mathvista_query
from svemath.eval.datafiles import iter_json_entries

FIX = Path(__file__).parent / "fixtures" / "eval"


def test_registry_lists_all_six():
    assert benchmark_names() == [
        "dynamath", "mathverse", "mathvista", "synth-dynamath", "synth-mathverse", "synth-mathvista",
    ]  # fmt: skip
    with pytest.raises(UnknownNameError, match="known: dynamath"):
        get_benchmark("mathvision")


def test_dynamath_trial_folders():
    exs = get_benchmark("dynamath").load(FIX / "dynamath")
    assert len(exs) == 4 * 3
    assert [e.id for e in exs[:4]] == ["1-1", "1-2", "1-3", "16-1"]  # seed-major, variants in order
    e = next(e for e in exs if e.id == "250-2")
    assert (e.group_id, e.variant, e.answer, e.answer_type) == ("250", 2, "B", "multiple choice")
    assert e.choices == ["blue", "pink", "green", "orange"]
    assert e.meta == {"subject": "graph theory", "level": "undergraduate"}
    assert e.image_path == FIX / "dynamath" / "trial2" / "image" / "image250.png" and e.image_path.is_file()
    assert e.source.endswith("trial2/dataset.json:" + str(e.source.split(":")[-1]))


def test_dynamath_single_folder_and_release_naming(tmp_path):
    single = get_benchmark("dynamath").load(FIX / "dynamath" / "trial1")
    assert {e.variant for e in single} == {1} and len(single) == 4
    released = tmp_path / "samples and result" / "10trials"
    shutil.copytree(FIX / "dynamath", released)
    exs = get_benchmark("dynamath").load(tmp_path)
    assert len(exs) == 12 and {e.variant for e in exs} == {1, 2, 3}


def test_dynamath_malformed_files_name_file_and_line(tmp_path):
    bench = get_benchmark("dynamath")
    (tmp_path / "dataset.json").write_text('{\n  "1": {"question": "q", "answer": "1",\n')
    with pytest.raises(DataFormatError, match=r"dataset.json:\d+: invalid JSON"):
        bench.load(tmp_path)
    rec = {
        "question": "q",
        "answer": "1",
        "image": "image/image1.png",
        "answer_type": "float",
        "subject": "s",
        "level": "l",
    }
    bad = dict(rec)
    del bad["level"]
    (tmp_path / "dataset.json").write_text(json.dumps({"1": rec, "2": bad}, indent=2))
    with pytest.raises(DataFormatError, match=r"dataset.json:10: missing field 'level'"):
        bench.load(tmp_path)
    (tmp_path / "dataset.json").write_text('{"1": ' + json.dumps(rec) + ',\n"1": ' + json.dumps(rec) + "}")
    with pytest.raises(DataFormatError, match=r":2: duplicate key '1' \(first at line 1\)"):
        bench.load(tmp_path)
    with pytest.raises(DataFormatError, match="not a DynaMath folder"):
        bench.load(tmp_path / "nothing")


def test_json_entries_have_line_numbers(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('[\n {"a": 1},\n\n {"b": 2}\n]\n')
    assert [(k, line) for k, _, line in iter_json_entries(p)] == [(0, 2), (1, 4)]
    p.write_text('[{"a": 1}] trailing')
    with pytest.raises(DataFormatError, match="unexpected content"):
        list(iter_json_entries(p))


def test_mathverse_versions_and_text_only():
    exs = get_benchmark("mathverse").load(FIX / "mathverse")
    assert len(exs) == 12
    ids = {e.id for e in exs}
    assert {"685-TD", "685-TL", "685-VI", "685-VD", "685-VO", "685-TO", "1-TO"} <= ids
    to = next(e for e in exs if e.id == "685-TO")
    assert to.image_path is None and to.variant == "Text Only"
    vo = next(e for e in exs if e.id == "1-VO")
    assert vo.question == "" and vo.choices == ["40°", "60°", "120°", "140°"]  # from question_for_eval
    assert vo.image_path.is_file()
    td = next(e for e in exs if e.id == "685-TD")
    assert td.meta["subfield"] == "Length" and td.query.startswith("Please directly answer")
    assert get_benchmark("mathverse").build_prompt(td) == td.query


def test_mathverse_rejects_unknown_version(tmp_path):
    rec = json.loads((FIX / "mathverse" / "testmini.json").read_text())[0]
    rec["problem_version"] = "Text Heavy"
    (tmp_path / "testmini.json").write_text(json.dumps([rec], indent=1))
    with pytest.raises(DataFormatError, match=r"testmini.json:2: unknown problem_version 'Text Heavy'"):
        get_benchmark("mathverse").load(tmp_path)


def test_mathvista_query_json_and_built_queries():
    bench = get_benchmark("mathvista")
    exs = {e.id: e for e in bench.load(FIX / "mathvista")}
    assert set(exs) == {"1", "2", "5", "6", "7", "8"}
    assert exs["5"].choices == ["97", "102", "107", "122"] and exs["5"].answer == "97"
    assert exs["5"].extra["query_source"] == "query.json"
    assert exs["7"].extra["query_source"] == "built"
    assert exs["1"].precision == 1 and exs["2"].unit == "g"
    assert exs["2"].meta["skills"] == ["numeric commonsense", "arithmetic reasoning"]
    queries = json.loads((FIX / "mathvista" / "query.json").read_text())
    for pid, q in queries.items():  # the rules rebuild the published queries exactly
        e = exs[pid]
        assert (
            mathvista_query(e.question, e.question_type, e.answer_type, e.precision, e.unit, e.choices) == q
        )
        assert bench.build_prompt(e) == q
    assert bench.build_prompt(exs["7"]).startswith("Hint: Please answer the question requiring a Python list")


def test_mathvista_rejects_bad_records(tmp_path):
    data = json.loads((FIX / "mathvista" / "testmini.json").read_text())
    data["5"]["answer"] = "C"  # MC answers are option texts
    (tmp_path / "testmini.json").write_text(json.dumps(data, indent=4))
    with pytest.raises(
        DataFormatError, match=r"testmini.json:\d+: multi_choice answer 'C' is not one of the choices"
    ):
        get_benchmark("mathvista").load(tmp_path)
    data = json.loads((FIX / "mathvista" / "testmini.json").read_text())
    data["1"]["precision"] = 1.0  # parquet exports store it as a float: accepted as 1
    data["2"]["answer_type"] = "number"
    (tmp_path / "testmini.json").write_text(json.dumps(data, indent=4))
    with pytest.raises(DataFormatError, match="answer_type must be one of"):
        get_benchmark("mathvista").load(tmp_path)


def test_synthetic_suites_load_through_the_real_parsers():
    dyn = get_benchmark("synth-dynamath").load(FIX / "synth-dynamath")
    assert [(e.id, e.group_id, e.variant) for e in dyn] == [
        ("000000", "1", 1),
        ("000001", "1", 2),
        ("000002", "2", 1),
        ("000003", "2", 2),
    ]
    mc = dyn[2]
    assert mc.answer_type == "multiple choice" and mc.choices == ["A", "B", "C"]
    assert (
        mc.meta["family"] == "tallest-bar"
        and mc.meta["difficulty"] == "one-op"
        and mc.meta["subject"] == "statistics"
    )
    assert mc.image_path == FIX / "synth-dynamath" / "images" / "000002.png"
    bench = get_benchmark("synth-dynamath")
    assert bench.build_prompt(mc, "plain") == "Which bar is the tallest?\nChoices: (A) A (B) B (C) C"
    assert bench.build_prompt(mc).startswith("## Question\nWhich bar is the tallest? Choices: (A) A")
    verse = get_benchmark("synth-mathverse").load(FIX / "synth-mathverse")
    assert [e.variant for e in verse] == ["Text Dominant", "Vision Only", "Text Only"]
    assert verse[2].image_path is None and verse[0].image_path.is_file()
    vista = get_benchmark("synth-mathvista").load(FIX / "synth-mathvista")
    assert vista[1].answer == "square" and vista[1].choices == ["circle", "square", "triangle"]
    assert (
        get_benchmark("synth-mathvista")
        .build_prompt(vista[1])
        .startswith("Hint: Please answer the question and provide")
    )


def test_synthetic_suite_errors(tmp_path):
    shutil.copytree(FIX / "synth-dynamath", tmp_path / "s")
    with pytest.raises(
        DataFormatError, match="dataset is suite 'synth-dynamath', expected 'synth-mathvista'"
    ):
        get_benchmark("synth-mathvista").load(tmp_path / "s")
    lines = (tmp_path / "s" / "data.jsonl").read_text().splitlines()
    rec = json.loads(lines[1])
    del rec["native"]["answer_type"]
    lines[1] = json.dumps(rec)
    (tmp_path / "s" / "data.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=r"data.jsonl:2: missing field 'answer_type'"):
        get_benchmark("synth-dynamath").load(tmp_path / "s")
    lines[1] = "{not json"
    (tmp_path / "s" / "data.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=r"data.jsonl:2: invalid JSON"):
        get_benchmark("synth-dynamath").load(tmp_path / "s")
    with pytest.raises(DataFormatError, match=r"no data\.jsonl"):
        get_benchmark("synth-dynamath").load(tmp_path)
