"""Metrics on hand-computed cases: DynaMath avg/worst/rr, MathVerse All, bootstrap CIs, RC."""

import pytest

from svemath.eval.metrics import (
    breakdown,
    dynamath_cis,
    dynamath_summary,
    grouped_accuracy_ci,
    mathverse_all_ci,
    mathverse_summary,
    repetition_consistency,
)


def rows(table):
    return [
        {"group_id": g, "variant": v + 1, "correct": bool(c)}
        for g, cs in table.items()
        for v, c in enumerate(cs)
    ]


def test_dynamath_summary_hand_computed():
    # seed 1 always right, seed 2 right in 2 of 3 variants, seed 3 never right
    s = dynamath_summary(rows({"1": [1, 1, 1], "2": [1, 0, 1], "3": [0, 0, 0]}))
    assert s["avg"] == pytest.approx(5 / 9)  # (1 + 2/3 + 0) / 3
    assert s["worst"] == pytest.approx(1 / 3)
    assert s["best"] == pytest.approx(2 / 3)
    assert s["rr"] == pytest.approx((1 / 3) / (5 / 9))  # 0.6
    assert s["n_groups"] == 3 and s["n_samples"] == 9
    assert s["per_variant"] == {
        "1": pytest.approx(2 / 3),
        "2": pytest.approx(1 / 3),
        "3": pytest.approx(2 / 3),
    }
    assert all(0 <= s[k] <= 1 for k in ("avg", "worst", "rr", "best"))


def test_dynamath_summary_edge_cases():
    none = dynamath_summary(rows({"1": [0, 0], "2": [0, 0]}))
    assert none["avg"] == 0 and none["worst"] == 0 and none["rr"] == 0.0
    assert dynamath_summary([])["n_groups"] == 0
    # unequal variant counts: the per-seed mean, not pooled accuracy
    s = dynamath_summary(rows({"1": [1], "2": [0, 0, 0]}))
    assert s["avg"] == pytest.approx(0.5) and s["pooled"] == pytest.approx(0.25)
    assert s["variants_per_group"] == {"min": 1, "max": 3}
    with pytest.raises(ValueError, match="duplicate"):
        dynamath_summary(rows({"1": [1]}) * 2)
    # mappings with extra keys and 0/1 ints work too
    assert dynamath_summary([{"group_id": 7, "variant": "a", "correct": 1, "x": 0}])["avg"] == 1.0


def test_mathverse_all_excludes_text_only():
    recs = []
    table = {
        "Text Dominant": [1, 1], "Text Lite": [1, 0], "Vision Intensive": [0, 0],
        "Vision Dominant": [1, 0], "Vision Only": [0, 0], "Text Only": [1, 1],
    }  # fmt: skip
    for version, acc in table.items():
        recs += [{"group_id": str(i), "variant": version, "correct": bool(c)} for i, c in enumerate(acc)]
    s = mathverse_summary(recs)
    assert s["all"] == pytest.approx((1 + 0.5 + 0 + 0.5 + 0) / 5)  # Text Only's 100% is not in All
    assert s["text_only"]["accuracy"] == 1.0
    assert s["per_version"]["Text Lite"] == {"accuracy": 0.5, "correct": 1, "total": 2}
    # unequal version sizes: All is the mean of version accuracies, all_pooled is correct/samples
    recs.append({"group_id": "9", "variant": "Text Dominant", "correct": True})
    s = mathverse_summary(recs)
    assert s["all"] == pytest.approx((1 + 0.5 + 0 + 0.5 + 0) / 5) and s["all_pooled"] == pytest.approx(5 / 11)
    lo, hi = mathverse_all_ci(recs, n_boot=300, seed=1)
    assert lo <= s["all"] <= hi


def test_breakdown_multi_label_skills():
    recs = [
        {"correct": True, "meta": {"skills": ["arithmetic", "statistical"]}},
        {"correct": False, "meta": {"skills": ["arithmetic"]}},
        {"correct": True, "meta": {"skills": None}},
    ]
    b = breakdown(recs, "skills", multi=True)
    assert b["arithmetic"] == {"accuracy": 0.5, "correct": 1, "total": 2}
    assert b["statistical"]["total"] == 1 and b["(none)"]["total"] == 1


def test_bootstrap_ci_contains_estimate_and_is_seeded():
    table = {str(i): [i % 3 == 0 or (i * 7 + v) % 3 != 0 for v in range(10)] for i in range(60)}
    recs = rows(table)
    s = dynamath_summary(recs)
    cis = dynamath_cis(recs, n_boot=400, seed=3)
    for key in ("avg", "worst", "rr"):
        lo, hi = cis[key]
        assert lo <= s[key] <= hi and hi - lo > 0
    assert dynamath_cis(recs, n_boot=400, seed=3) == cis  # reproducible
    assert dynamath_cis(recs, n_boot=400, seed=4)["avg"] != cis["avg"]  # and really random
    acc_ci = grouped_accuracy_ci(recs, n_boot=400, seed=3)
    assert acc_ci[0] <= s["pooled"] <= acc_ci[1]
    assert grouped_accuracy_ci([], n_boot=10) is None


def test_bootstrap_resamples_groups_not_samples():
    # 2 seeds x 50 variants, perfectly correlated within a seed: group resampling gives a wide interval
    recs = rows({"a": [1] * 50, "b": [0] * 50})
    lo, hi = grouped_accuracy_ci(recs, n_boot=500, seed=0)
    assert lo == 0.0 and hi == 1.0


def test_repetition_consistency():
    recs = [
        {"group_id": "1", "variant": 1, "repeat": 0, "answer": "a"},
        {"group_id": "1", "variant": 1, "repeat": 1, "answer": "a"},
        {"group_id": "1", "variant": 1, "repeat": 2, "answer": "b"},
        {"group_id": "2", "variant": 1, "repeat": 0, "answer": "c"},
        {"group_id": "2", "variant": 1, "repeat": 1, "answer": "c"},
        {"group_id": "2", "variant": 1, "repeat": 2, "answer": "c"},
    ]
    rc = repetition_consistency(recs)
    assert rc["rc"] == pytest.approx((0.5 + 1.0) / 2) and rc["n_items"] == 2 and rc["repeats"] == 2
    assert repetition_consistency([r for r in recs if r["repeat"] == 0]) is None
