"""Generation-time tools: when the model writes ``<<expr=`` the calculator writes the result; with the
choice tool on, when it writes ``..., which is choice (`` the tool writes the letter of the option whose
text the model just wrote.

Chains of thought in our data write every computation as a calculator annotation, ``<<180-47-68=65>>``
(GSM8K style; :mod:`svemath.calc`). During generation, :class:`CalculatorLogitsProcessor` watches each
row: as soon as a row's text ends with an open call ``<<expr=``, the tokens of ``"65>>"`` are forced one
per step (all other logits set to -inf), then the model continues. Rows that write no annotation, or an
expression the safe evaluator refuses, are untouched. It works for greedy and sampled decoding, batched,
with the KV cache, because it only edits scores.

The choice tool (``choice_tool=True``, off by default): multiple-choice answers in our data end with
``So the answer is 128°, which is choice (A).``, the option's text and then its letter. The tiny model
often copies the right text and then names a wrong letter; the tool forces the letter of the one option
in the prompt (``Choices: (A) .. (B) ..``, :func:`svemath.calc.prompt_choices`) whose text equals what
the row wrote. The value is still the model's: a wrong value gets the letter of the wrong option, and a
value that matches no option (or several) leaves the letter to the model.
"""

from __future__ import annotations

import torch
from transformers import LogitsProcessor

from svemath.calc import complete_call, complete_choice, prompt_choices


class CalculatorLogitsProcessor(LogitsProcessor):
    """The calculator (always) and the choice tool (``choice_tool``) over rows whose first
    ``prompt_length`` tokens are the prompt (left-padded)."""

    def __init__(
        self, tokenizer, prompt_length: int, lookback: int = 64, *, choice_tool: bool = False
    ) -> None:
        self.tokenizer = tokenizer
        self.prompt_length = prompt_length
        self.lookback = lookback
        self.choice_tool = choice_tool
        self.queues: dict[int, list[int]] = {}
        self.choices: dict[int, dict[str, str]] = {}  # row -> the options its prompt lists
        self.calls = 0
        self.choice_calls = 0

    def _choices(self, row: int, input_ids: torch.Tensor) -> dict[str, str]:
        if row not in self.choices:
            prompt = self.tokenizer.decode(input_ids[row, : self.prompt_length], skip_special_tokens=True)
            self.choices[row] = prompt_choices(prompt)
        return self.choices[row]

    def _complete(self, row: int, text: str, input_ids: torch.Tensor) -> str | None:
        result = complete_call(text)
        if result is not None:
            self.calls += 1
            return result
        if self.choice_tool and text.endswith("("):
            letter = complete_choice(text, self._choices(row, input_ids))
            if letter is not None:
                self.choice_calls += 1
                return letter
        return None

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        for row in range(input_ids.shape[0]):
            queue = self.queues.get(row)
            if not queue:
                new = input_ids[row, self.prompt_length :][-self.lookback :]
                if new.numel() == 0:
                    continue
                text = self.tokenizer.decode(new, skip_special_tokens=False)
                result = self._complete(row, text, input_ids)
                if result is None:
                    continue
                queue = self.queues[row] = list(self.tokenizer(result, add_special_tokens=False).input_ids)
            token = queue.pop(0)
            forced = torch.full_like(scores[row], float("-inf"))
            forced[token] = 0.0
            scores[row] = forced
        return scores
