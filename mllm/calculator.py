"""The generation-time calculator: when the model writes ``<<expr=`` the tool writes the result.

Chains of thought in our data write every computation as a calculator annotation, ``<<180-47-68=65>>``
(GSM8K style; :mod:`svemath.calc`). During generation, :class:`CalculatorLogitsProcessor` watches each
row: as soon as a row's text ends with an open call ``<<expr=``, the tokens of ``"65>>"`` are forced one
per step (all other logits set to -inf), then the model continues. Rows that write no annotation, or an
expression the safe evaluator refuses, are untouched. It works for greedy and sampled decoding, batched,
with the KV cache, because it only edits scores.
"""

from __future__ import annotations

import torch
from transformers import LogitsProcessor

from svemath.calc import complete_call


class CalculatorLogitsProcessor(LogitsProcessor):
    def __init__(self, tokenizer, prompt_length: int, lookback: int = 64) -> None:
        self.tokenizer = tokenizer
        self.prompt_length = prompt_length
        self.lookback = lookback
        self.queues: dict[int, list[int]] = {}
        self.calls = 0

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        for row in range(input_ids.shape[0]):
            queue = self.queues.get(row)
            if not queue:
                new = input_ids[row, self.prompt_length :][-self.lookback :]
                if new.numel() == 0:
                    continue
                text = self.tokenizer.decode(new, skip_special_tokens=False)
                result = complete_call(text)
                if result is None:
                    continue
                queue = self.queues[row] = list(self.tokenizer(result, add_special_tokens=False).input_ids)
                self.calls += 1
            token = queue.pop(0)
            forced = torch.full_like(scores[row], float("-inf"))
            forced[token] = 0.0
            scores[row] = forced
        return scores
