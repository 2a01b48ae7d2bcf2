"""Best-of-N sweep logic on fixed pools: an oracle scorer reproduces pass@N, a constant scorer the random
pick (pass@1), majority and PRM-weighted votes on hand cases, CIs, the report files."""

from __future__ import annotations

import numpy as np
import pytest

from svemath.errors import ConfigError
from svemath.eval import bon


def make_pool(n_q: int = 60, m: int = 8, seed: int = 0, scorer: str = "oracle"):
    rng = np.random.default_rng(seed)
    pool, scores = {}, {}
    for q in range(n_q):
        p = rng.uniform(0.1, 0.7)
        correct = rng.random(m) < p
        cands = [{"response": "same length", "correct": bool(c), "steps": ["s1", "s2"],
                  "vote": "42" if c else str(rng.integers(0, 3))} for c in correct]  # fmt: skip
        pool[f"q{q}"] = {"question_id": f"q{q}", "group_id": f"g{q // 2}", "candidates": cands}
        if scorer == "oracle":
            step = [[0.9, 0.8] if c else [0.9, 0.1] for c in correct]
        else:
            step = [[0.5, 0.5] for _ in correct]
        scores[f"q{q}"] = {"question_id": f"q{q}", "step_scores": step}
    return pool, scores


def test_oracle_scorer_reproduces_pass_at_n():
    pool, scores = make_pool(scorer="oracle")
    res = bon.sweep(pool, scores, bon.SweepConfig(n_max=8, ns=(1, 2, 4, 8), trials=64, n_boot=200).validate())
    t = res["table"]
    for n in ("1", "2", "4", "8"):
        for method in ("prm-mean", "prm-min", "prm-prod", "prm-last"):
            assert t[method][n]["accuracy"] == pytest.approx(t["oracle"][n]["accuracy"], abs=0.03), (
                method,
                n,
            )
        lo, hi = t["oracle"][n]["ci"]
        assert lo <= t["oracle"][n]["accuracy"] <= hi
    assert t["oracle"]["8"]["accuracy"] > t["random"]["8"]["accuracy"]
    assert t["random"]["1"]["accuracy"] == pytest.approx(t["random"]["8"]["accuracy"])  # pass@1 for every N
    assert res["gaps"]["prm-mean - random"]["8"]["gap"] > 0.1
    rank = res["ranking"]["prm-min"]  # the oracle scorer puts every right candidate above every wrong one
    assert rank["auroc"] == pytest.approx(1.0) and rank["n_questions"] > 10 and rank["ci"][0] > 0.99


def test_constant_scorer_reproduces_the_random_pick():
    pool, scores = make_pool(scorer="constant", seed=1)
    res = bon.sweep(pool, scores, bon.SweepConfig(n_max=8, ns=(1, 4, 8), trials=256, n_boot=100).validate())
    for n in ("1", "4", "8"):
        got = res["table"]["prm-mean"][n]["accuracy"]
        assert got == pytest.approx(res["table"]["random"][n]["accuracy"], abs=0.03), n
    assert res["ranking"]["prm-mean"]["auroc"] == pytest.approx(0.5)  # all ties: chance
    # at N=1 every method is the single sampled candidate
    assert res["table"]["majority"]["1"]["accuracy"] == pytest.approx(
        res["table"]["random"]["1"]["accuracy"], abs=0.03
    )


def test_votes_and_exact_formulas_on_a_hand_case():
    cands = [{"response": "r", "correct": v == "B", "vote": v, "steps": ["s"]} for v in "AABBB"]
    row = {"candidates": cands}
    weights = [[0.9] if c["vote"] == "A" else [0.1] for c in cands]
    cfg = bon.SweepConfig(n_max=5, ns=(5,), trials=8)
    acc = bon.question_accuracy(row, weights, 5, cfg, np.random.default_rng(0))
    assert acc["majority"] == 1.0  # B has three votes
    assert acc["prm-vote"] == 0.0  # A: 1.8 vs B: 0.3
    assert acc["prm-mean"] == 0.0 and acc["random"] == pytest.approx(0.6) and acc["oracle"] == 1.0
    acc2 = bon.question_accuracy({"candidates": cands[1:]}, weights[1:], 2, cfg, np.random.default_rng(0))
    assert acc2["oracle"] == 1.0  # m=4, c=3: 1 - C(1,2)/C(4,2) = 1 - 0
    one = [{"response": "r", "correct": i == 0, "vote": str(i), "steps": ["s"]} for i in range(4)]
    acc3 = bon.question_accuracy({"candidates": one}, [[0.5]] * 4, 2, cfg, np.random.default_rng(0))
    assert acc3["oracle"] == pytest.approx(0.5)  # m=4, c=1: 1 - C(3,2)/C(4,2)


def test_report_files(tmp_path):
    pool, scores = make_pool(n_q=10)
    res = bon.sweep(pool, scores, bon.SweepConfig(n_max=8, ns=(1, 2, 4, 8), trials=8, n_boot=50).validate())
    bon.write_sweep_report(res, tmp_path, "toy")
    md = (tmp_path / "bon_sweep.md").read_text()
    assert "| prm-mean |" in md and "| majority |" in md and "N=8" in md
    assert "Within-question ranking AUROC" in md
    assert (tmp_path / "bon_sweep.png").stat().st_size > 1000


def test_ranking_auroc_counts_pairs_and_ties():
    from svemath.mllm.prm import auroc  # the within-question ranking is this AUROC over one question's pool

    assert auroc([True, False, False], [0.9, 0.1, 0.9]) == pytest.approx(0.75)
    assert auroc([True, True], [0.3, 0.2]) is None  # no wrong candidate
    reversed_scorer = auroc([True, False], [0.1, 0.9])
    assert reversed_scorer == 0.0


def test_config_and_predictor_errors(tmp_path):
    with pytest.raises(ConfigError):
        bon.SweepConfig(n_max=4, ns=(8,)).validate()
    assert bon.SweepConfig(n_max=4).validate().ns == (1, 2, 4)
    with pytest.raises(ConfigError, match="not a model directory"):
        bon.build_predictor(tmp_path, tmp_path, 4, None)
    assert bon.item_seed(0, "a") == bon.item_seed(0, "a") != bon.item_seed(0, "b")


def test_quickstart_report_states_the_ranking_beside_the_bon_table():
    from svemath.train.report import _prm_lines

    pool, scores = make_pool(n_q=10)
    res = bon.sweep(pool, scores, bon.SweepConfig(n_max=8, ns=(1, 8), trials=4, n_boot=20).validate())
    text = "\n".join(_prm_lines({"bon": res}))
    assert "| prm-min |" in text and "Within-question ranking AUROC" in text and "prm-min 1.000" in text
