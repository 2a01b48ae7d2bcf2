"""Deterministic, resumable, rank-sharded sampling over a weighted mix of datasets.

The order of training examples is a pure function of (seed, step): each global batch draws its source
datasets by weight and its indices from per-source permutations that reshuffle every pass. Resuming at
step k reproduces exactly the batches a straight run would have seen, on any number of ranks (each rank
takes its slice of every global batch), so no "data position" beyond the step counter needs saving.

Length grouping (``group > 1`` with per-source ``lengths``, e.g. characters of a conversation): the
examples of ``group`` consecutive global batches are pooled, sorted by length and cut back into
``group`` batches, which are then visited in a seeded order. Every step still sees a batch of the same
examples, only regrouped, so padding (and the compute wasted on it) drops; it remains a pure function of
(seed, step). Near a curriculum boundary a group is assembled by the phase in force at the step asked
for, so a few examples may repeat or be skipped there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class Source:
    name: str
    indices: np.ndarray  # indices into the dataset that this source may draw (after level filters)
    weight: float


class MixSampler:
    """Yields, for global step ``s``, the list of (source name, index) for this rank's micro-batches."""

    def __init__(
        self,
        sources: Sequence[Source],
        batch_size: int,
        seed: int,
        rank: int = 0,
        world: int = 1,
        lengths: dict[str, np.ndarray] | None = None,
        group: int = 1,
    ):
        if not sources:
            raise ValueError("MixSampler needs at least one source")
        for src in sources:
            if len(src.indices) == 0:
                raise ValueError(f"data source {src.name!r} has no examples")
        self.sources = list(sources)
        self.batch_size = batch_size
        self.seed = seed
        self.rank = rank
        self.world = world
        self.group = max(1, int(group)) if lengths else 1
        self.lengths = lengths or {}
        self._ranked: tuple[int, list[tuple[str, int]]] | None = (
            None  # (first step, sorted pool) of the last group
        )
        for src in self.sources if self.group > 1 else []:
            if src.name not in self.lengths:
                raise ValueError(f"length grouping needs the lengths of source {src.name!r}")
        weights = np.array([max(0.0, s.weight) for s in self.sources], dtype=np.float64)
        if weights.sum() <= 0:
            raise ValueError("data mix weights must not all be zero")
        self.probs = weights / weights.sum()
        self._perm_cache: dict[tuple[int, int], np.ndarray] = {}
        # _starts[s][i]: how many draws source i had before global step s (extended lazily)
        self._starts: list[np.ndarray] = [np.zeros(len(self.sources), dtype=np.int64)]

    def _choice(self, step: int) -> tuple[np.random.Generator, np.ndarray]:
        rng = np.random.default_rng([self.seed, 104729, step])
        return rng, rng.choice(len(self.sources), size=self.batch_size * self.world, p=self.probs)

    def _start(self, step: int) -> np.ndarray:
        while len(self._starts) <= step:
            s = len(self._starts) - 1
            counts = np.bincount(self._choice(s)[1], minlength=len(self.sources))
            self._starts.append(self._starts[-1] + counts)
        return self._starts[step]

    def _perm(self, src: int, epoch: int) -> np.ndarray:
        key = (src, epoch)
        if key not in self._perm_cache:
            if len(self._perm_cache) > 64:
                self._perm_cache.clear()
            rng = np.random.default_rng([self.seed, 7919, src, epoch])
            self._perm_cache[key] = self.sources[src].indices[rng.permutation(len(self.sources[src].indices))]
        return self._perm_cache[key]

    def global_batch(self, step: int) -> list[tuple[str, int]]:
        """All ``batch_size * world`` examples of global step ``step``."""
        rng, choice = self._choice(step)
        starts = self._start(step)
        out: list[tuple[str, int]] = []
        for src in range(len(self.sources)):
            count = int((choice == src).sum())
            if count == 0:
                continue
            size = len(self.sources[src].indices)
            for j in range(count):
                pos = int(starts[src]) + j
                out.append((self.sources[src].name, int(self._perm(src, pos // size)[pos % size])))
        order = rng.permutation(len(out))
        return [out[i] for i in order]

    def grouped_batch(self, step: int) -> list[tuple[str, int]]:
        """The global batch of ``step`` after length grouping (see the module docstring)."""
        if self.group == 1:
            return self.global_batch(step)
        first = step - step % self.group
        if self._ranked is None or self._ranked[0] != first:  # consecutive steps share their group's pool
            pool = [item for s in range(first, first + self.group) for item in self.global_batch(s)]
            keys = np.array([self.lengths[name][index] for name, index in pool])
            self._ranked = (first, [pool[i] for i in np.argsort(keys, kind="stable")])
        ranked = self._ranked[1]
        order = np.random.default_rng([self.seed, 31337, first]).permutation(self.group)
        size = self.batch_size * self.world
        chunk = int(order[step - first])
        items = ranked[chunk * size : (chunk + 1) * size]
        return [items[i] for i in np.random.default_rng([self.seed, 4241, step]).permutation(len(items))]

    def batch(self, step: int) -> list[tuple[str, int]]:
        """This rank's slice of global step ``step``."""
        items = self.grouped_batch(step)
        return items[self.rank * self.batch_size : (self.rank + 1) * self.batch_size]
