"""Character set of the label reader: strings <-> slot ids (0 is the end token, characters 1..V-1)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from svemath.errors import ConfigError

END = 0
IGNORE = -100


class Charset:
    """Maps strings to fixed-length id rows ``[max_len + 1]``: characters, then END, then IGNORE.

    A string with a character outside the set, or longer than ``max_len``, is unreadable: ``encode``
    returns None and its row is all IGNORE (masked out of the loss, counted by the target builder).
    """

    def __init__(self, chars: str, max_len: int) -> None:
        if len(set(chars)) != len(chars):
            dup = sorted({c for c in chars if chars.count(c) > 1})
            raise ConfigError(f"charset has duplicate characters: {dup}")
        self.chars = chars
        self.max_len = max_len
        self.index = {c: i + 1 for i, c in enumerate(chars)}

    @property
    def num_classes(self) -> int:
        return len(self.chars) + 1

    def readable(self, text: str) -> bool:
        return len(text) <= self.max_len and all(c in self.index for c in text)

    def encode(self, text: str) -> list[int] | None:
        if not self.readable(text):
            return None
        ids = [self.index[c] for c in text] + [END]
        return ids + [IGNORE] * (self.max_len + 1 - len(ids))

    def encode_batch(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """-> (ids ``LongTensor[T, max_len + 1]``, readable ``BoolTensor[T]``)."""
        rows, ok = [], []
        for text in texts:
            ids = self.encode(text)
            ok.append(ids is not None)
            rows.append(ids if ids is not None else [IGNORE] * (self.max_len + 1))
        ids_t = torch.tensor(rows, dtype=torch.long).view(len(rows), self.max_len + 1)
        return ids_t, torch.tensor(ok, dtype=torch.bool)

    def decode(self, ids: Sequence[int]) -> str:
        out = []
        for i in ids:
            i = int(i)
            if i == END or i == IGNORE:
                break
            out.append(self.chars[i - 1])
        return "".join(out)

    def decode_logits(self, logits: torch.Tensor) -> list[str]:
        """``[R, max_len + 1, V]`` -> R strings (greedy per slot, stopping at END)."""
        return [self.decode(row) for row in logits.argmax(-1).tolist()]

    def decode_ctc(self, logits: torch.Tensor) -> list[str]:
        """``[R, T, V]`` column logits -> R strings (greedy: collapse repeats, drop blanks = 0)."""
        out = []
        for row in logits.argmax(-1).tolist():
            chars, prev = [], 0
            for i in row:
                if i != prev and i != END:
                    chars.append(self.chars[i - 1])
                prev = i
            out.append("".join(chars))
        return out
