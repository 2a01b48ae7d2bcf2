"""The label-slot budget: which labels read_labels packs, and how many restated labels fit (annotations)."""

from types import SimpleNamespace

from svemath.eval.label_budget import label_budget, record_budget, referenced_labels
from svemath.mllm.labels import labels_that_fit


def test_labels_that_fit_packs_in_order_skips_empty_reads_and_stops_at_the_first_overflow():
    assert labels_that_fit([2, 0, 3, 1], 7) == [0, 2]  # 3 + 4 slots; the 1-char label would need 2 more
    assert labels_that_fit([2, 0, 3, 1], 9) == [0, 2, 3]
    assert labels_that_fit([9, 1], 4) == []  # no skipping past a label that does not fit


def test_referenced_labels_are_whole_words_of_the_answer():
    answer = "x = 3. The bars show Mon = 13 and Tue = 3.5; P3 is 5 cm."
    assert referenced_labels(answer, ["3", "13", "3.5", "P3", "5 cm", "Wed", "35", ""]) == [0, 1, 2, 3, 4]


def _record(texts, answer, family):
    return SimpleNamespace(
        data={"annotations": {"texts": texts}, "meta": {"family": family}},
        conversations=[{"from": "human", "value": "<image>\nq"}, {"from": "gpt", "value": answer}],
    )


def test_label_budget_counts_restated_labels_cut_by_the_reading_order():
    # a chart: a long title on top, then ticks, then the categories on the bottom row
    chart = [
        {"text": "Books read", "box": [100, 0, 300, 20]},
        {"text": "10", "box": [0, 50, 20, 70]},
        {"text": "0", "box": [0, 150, 20, 170]},
        {"text": "Ann", "box": [60, 200, 90, 220]},
        {"text": "Bob", "box": [120, 200, 150, 220]},
    ]
    answer = "The bars show Ann = 10 and Bob = 0."
    one = record_budget(chart, answer, [16, 24])
    # reading order: title (11 slots), 10 (3), 0 (2), Ann (4), Bob (4): 16 slots hold title + ticks only
    assert one == {"referenced": 4, "fit": {16: 2, 24: 4}}
    angles = [{"text": "40°", "box": [10, 10, 40, 30]}]
    records = [_record(chart, answer, "bar"), _record(angles, "So 40° and 50°.", "angle"),
               _record(chart, "No label here.", "bar")]  # fmt: skip
    report = label_budget(records, [24, 16])
    assert report["budgets"] == [16, 24] and report["records_without_referenced_labels"] == 1
    assert report["groups"]["all"] == {"records": 2, "referenced_labels": 5,
                                       "labels": {"16": 0.6, "24": 1.0}, "records_all_fit": {"16": 0.5, "24": 1.0}}  # fmt: skip
    assert report["groups"]["bar"]["records_all_fit"] == {"16": 0.0, "24": 1.0}
    assert list(report["groups"]) == ["all", "angle", "bar"]


def test_label_budget_command_reports_a_generated_dataset(tmp_path, capsys):
    import json

    from svemath.cli import main
    from svemath.data.generate import generate_dataset

    data = tmp_path / "d"
    generate_dataset("synth-dynamath", n=6, seed=5, out=data, workers=1)
    assert (
        main(
            [
                "eval",
                "label-budget",
                "--data",
                str(data),
                "--slots",
                "8",
                "64",
                "--out",
                str(tmp_path / "r.json"),
            ]
        )
        == 0
    )
    report = json.loads((tmp_path / "r.json").read_text())
    groups = report["groups"]
    assert (
        report["budgets"] == [8, 64]
        and groups["all"]["records"] + report["records_without_referenced_labels"] == 6
    )
    assert groups["all"]["labels"]["8"] <= groups["all"]["labels"]["64"]
    assert "records whose labels all fit" in capsys.readouterr().out
