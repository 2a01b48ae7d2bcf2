"""MixSampler: length grouping keeps the examples, cuts padding, stays a pure function of (seed, step)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from svemath.train.sampler import MixSampler, Source

LENGTHS = {
    "a": np.random.default_rng(0).integers(20, 400, 500),
    "b": np.random.default_rng(1).integers(5, 50, 80),
}


def _sources():
    return [Source("a", np.arange(500), 3.0), Source("b", np.arange(80), 1.0)]


def _pad_cost(sampler, steps):
    return sum(len(b) * max(LENGTHS[n][i] for n, i in b) for b in (sampler.batch(s) for s in range(steps)))


def test_grouping_regroups_the_same_examples_and_cuts_padding():
    plain = MixSampler(_sources(), 8, seed=3)
    grouped = MixSampler(_sources(), 8, seed=3, lengths=LENGTHS, group=8)
    for first in (0, 8, 16):
        steps = range(first, first + 8)
        assert Counter(x for s in steps for x in plain.batch(s)) == Counter(
            x for s in steps for x in grouped.batch(s)
        )
        assert all(len(grouped.batch(s)) == 8 for s in steps)
    assert _pad_cost(grouped, 64) < 0.75 * _pad_cost(plain, 64)


def test_grouped_batches_are_a_pure_function_of_step_and_ranks_split_them():
    straight = MixSampler(_sources(), 4, seed=5, world=2, lengths=LENGTHS, group=4)
    wanted = [straight.global_batch(s) for s in range(12)]
    resumed = MixSampler(_sources(), 4, seed=5, world=2, lengths=LENGTHS, group=4)
    assert [resumed.grouped_batch(s) for s in (9, 3, 11)] == [straight.grouped_batch(s) for s in (9, 3, 11)]
    ranks = [MixSampler(_sources(), 4, seed=5, rank=r, world=2, lengths=LENGTHS, group=4) for r in (0, 1)]
    for s in range(12):
        assert ranks[0].batch(s) + ranks[1].batch(s) == straight.grouped_batch(s)
    assert wanted == [straight.global_batch(s) for s in range(12)]  # grouping never changes the draws


def test_grouping_without_lengths_is_an_error():
    with pytest.raises(ValueError, match="lengths of source 'b'"):
        MixSampler(_sources(), 4, seed=0, lengths={"a": LENGTHS["a"]}, group=4)
