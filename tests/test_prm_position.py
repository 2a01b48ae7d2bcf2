"""Position baselines of step-error detection: the position-only prior and the position-matched AUROC."""

import pytest

from svemath.train.prm_position import (
    PositionPrior,
    matched_auroc,
    position_balance_weights,
    position_prior_baseline,
)


def test_position_prior_counts_per_index_and_backs_off():
    # 3-step solutions: step 0 always right, step 2 wrong 3 times of 4
    sols = [[1, 1, -1], [1, -1, -1], [1, 1, 1], [1, 1, -1]]
    prior = PositionPrior(sols, strength=0.0)
    assert prior.scores(3) == pytest.approx([1.0, 0.75, 0.25])
    smoothed = PositionPrior(sols)
    s = smoothed.scores(3)
    assert s[0] > s[1] > s[2] and 0 < s[2] < 0.5
    # an unseen step count falls back to the per-index rate, an unseen index to the overall rate
    assert smoothed.score(0, 7) > smoothed.score(2, 7)
    assert smoothed.score(9, 10) == pytest.approx(smoothed.rate)
    # neutral steps (0) are not counted
    assert PositionPrior([[1, 0, -1]], strength=0.0).by_index.get(1) is None


def test_matched_auroc_compares_only_the_same_position():
    correct = [{"labels": [1, 1, 1], "scores": [0.9, 0.8, 0.2], "error_type": None}]
    # the error step scores below the correct step at its position: found
    found = {"labels": [1, -1, -1], "scores": [0.9, 0.5, 0.1], "error_type": "misread"}
    # same score as the correct step at its position: position only
    blind = {"labels": [-1, -1, -1], "scores": [0.9, 0.8, 0.2], "error_type": "arithmetic"}
    # another step count: nothing to compare with
    other = {"labels": [1, -1], "scores": [0.9, 0.0], "error_type": "final"}
    out = matched_auroc([*correct, found, blind, other])
    assert out["misread"] == {"auroc": 1.0, "pairs": 1}
    assert out["arithmetic"] == {"auroc": 0.5, "pairs": 1}
    assert "final" not in out and out["all"] == {"auroc": 0.75, "pairs": 2}


def test_a_position_only_scorer_has_matched_auroc_one_half():
    prior = PositionPrior([[1, 1, -1], [1, -1, -1], [1, 1, 1]])
    recs = [{"labels": lab, "scores": prior.scores(3), "error_type": kind}
            for lab, kind in [([1, 1, 1], None), ([1, -1, -1], "relation"), ([1, 1, -1], "final")]]  # fmt: skip
    assert matched_auroc(recs)["all"]["auroc"] == 0.5


def test_position_prior_baseline_scores_positional_labels():
    dev = [[1, 1, -1]] * 6 + [[1, 1, 1]] * 2
    test = [[1, 1, -1]] * 5 + [[1, 1, 1]]
    out = position_prior_baseline(dev, test)
    assert out["metrics"]["n_steps"] == 18
    assert out["metrics_dev_threshold"]["macro_f1"] > 0.8  # step 2 is wrong in 5 of 6: position suffices


def test_position_balance_weights_make_both_labels_weigh_half_at_each_position():
    # 1 = '+', 0 = '-' (stage labels); step 0 of 2-step solutions: 3 right, 1 wrong
    sols = [[1, 1], [1, 0], [1, 1], [0, 0], [1, 1, 1]]
    w = position_balance_weights(sols)
    assert 3 * w[(0, 2, True)] == pytest.approx(1 * w[(0, 2, False)]) == pytest.approx(2.0)
    assert w[(1, 2, True)] == w[(1, 2, False)] == 1.0  # 2 and 2 already
    assert (0, 3, True) not in w  # one label only at that position: weight 1 (left out)
