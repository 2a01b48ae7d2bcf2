"""The sample and suite types shared by every generator and by dataset IO.

A *suite* (``primitives``, ``captions``, ``instruct``, ``prm``, ``synth-dynamath``, ...) is a registered
:class:`Suite`: a pure function ``make(index, rng) -> Sample``. The dataset writer
(``svemath.data.dataset``) turns samples into a dataset folder (DESIGN.md, Data formats): it assigns
``id`` and ``image`` (``images/{index:06d}.png``), saves ``extra_images`` as
``images/{index:06d}_{key}.png`` and replaces each ``"@key"`` string found in the record (for example
``annotations.boundary == "@edge"``) with that relative path.

Determinism: the generator gives sample ``index`` of suite ``name`` with seed ``seed`` the RNG
``random.Random(sample_seed(stream, name, seed, index))``; the train and eval streams differ, so train
and eval data never share a seed even with the same ``--seed``.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from PIL import Image

from svemath.registry import Registry

ANSWER_TYPES = ("integer", "float", "multiple_choice", "text", "list")
LEVELS = ("read", "one-op", "multi-step")  # difficulty tags: single read-out, one operation, multi-step


def valid_refers(refers: Any, index: int, n_texts: int) -> bool:
    """Whether ``annotations.texts[index]["refers"]`` lists indices of other texts (0 .. n_texts - 1)."""
    return isinstance(refers, list) and all(
        isinstance(j, int) and 0 <= j < n_texts and j != index for j in refers
    )


@dataclass
class Sample:
    """One generated item. ``record`` is the JSON line without ``id`` and ``image``."""

    image: Image.Image | None
    record: dict[str, Any]
    extra_images: dict[str, Image.Image] = field(default_factory=dict)


@dataclass(frozen=True)
class Suite:
    name: str
    stream: Literal["train", "eval"]
    make: Callable[[int, random.Random], Sample]
    description: str = ""
    version: str = "1"


SUITES: Registry[Suite] = Registry("suite")


def register_suite(
    name: str, stream: Literal["train", "eval"], description: str = "", version: str = "1"
) -> Callable[[Callable[[int, random.Random], Sample]], Callable[[int, random.Random], Sample]]:
    """Decorator: register ``make(index, rng) -> Sample`` as suite ``name``."""

    def deco(fn: Callable[[int, random.Random], Sample]) -> Callable[[int, random.Random], Sample]:
        SUITES.register(name, Suite(name, stream, fn, description or (fn.__doc__ or "").strip(), version))
        return fn

    return deco


def sample_seed(stream: str, suite: str, seed: int, index: int) -> int:
    """A stable 64-bit seed for one sample (independent of Python's hash randomisation)."""
    digest = hashlib.sha256(f"svemath:{stream}:{suite}:{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def sample_rng(suite: Suite, seed: int, index: int) -> random.Random:
    return random.Random(sample_seed(suite.stream, suite.name, seed, index))
