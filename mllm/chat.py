"""Chat formatting and label masking, in one place, through the tokenizer's ChatML chat template.

- :func:`normalize_conversation` turns a LLaVA-style conversation (``[{"from": "human"|"gpt"|"system",
  "value": ...}]``, or ``{"role", "content"}`` messages) into chat messages: a system turn (default
  "You are a helpful assistant.") is added when missing, and the ``<image>`` placeholder is moved to the
  start of the first user turn (``"<image>\\n" + text``), as the reference does.
- :func:`encode_conversation` renders the messages with ``tokenizer.apply_chat_template`` and returns
  ``(input_ids, labels)`` with labels ONLY on assistant content tokens plus the closing ``<|im_end|>``;
  everything else (system, user turns, the ``<|im_start|>assistant\\n`` header, the newline after
  ``<|im_end|>``, image tokens) is -100. Each assistant answer is tokenized on its own, exactly as the
  model generates it after the generation prompt, so training and inference see the same tokens.
- :func:`encode_prompt` renders the generation prompt (``... <|im_start|>assistant\\n``).
- :func:`truncate` cuts a sequence to ``max_length`` (image tokens counted) and never cuts image tokens.

The single ``<image>`` placeholder is expanded to ``num_image_tokens`` copies of the image token before
tokenization, so the model can ``masked_scatter`` image features at exactly those positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from svemath.errors import DataFormatError, ShapeError
from svemath.mllm.tokenizer import DEFAULT_SYSTEM_PROMPT, IM_END

IGNORE_INDEX = -100
ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}


def normalize_conversation(
    conversation: Sequence[dict[str, Any]],
    *,
    has_image: bool,
    image_token: str = "<image>",
    system_prompt: str | None = DEFAULT_SYSTEM_PROMPT,
) -> list[dict[str, str]]:
    """LLaVA turns -> ``[{"role", "content"}]`` with a system turn and the image placeholder placed.

    Raises DataFormatError for unknown roles, non-string content, more than one placeholder, a
    placeholder without an image, or no user turn to attach an image to.
    """
    messages: list[dict[str, str]] = []
    placeholders = 0
    for i, turn in enumerate(conversation):
        if not isinstance(turn, dict):
            raise DataFormatError(f"conversation turn {i} is {type(turn).__name__}, not a mapping")
        role = turn.get("from", turn.get("role"))
        content = turn.get("value", turn.get("content"))
        if role not in ROLES:
            raise DataFormatError(f"conversation turn {i}: unknown role {role!r}; known: {sorted(ROLES)}")
        if not isinstance(content, str):
            raise DataFormatError(
                f"conversation turn {i}: content must be a string, got {type(content).__name__}"
            )
        placeholders += content.count(image_token)
        messages.append({"role": ROLES[role], "content": content})
    if placeholders > 1:
        raise DataFormatError(
            f"conversation has {placeholders} {image_token} placeholders; one image is supported"
        )
    if placeholders and not has_image:
        raise DataFormatError(f"conversation has an {image_token} placeholder but no image was given")
    if has_image:
        for m in messages:
            if image_token in m["content"]:
                m["content"] = m["content"].replace(image_token, "").strip()
        first_user = next((m for m in messages if m["role"] == "user"), None)
        if first_user is None:
            raise DataFormatError("conversation has an image but no user turn to attach it to")
        first_user["content"] = f"{image_token}\n{first_user['content']}"
    if system_prompt is not None and (not messages or messages[0]["role"] != "system"):
        messages.insert(0, {"role": "system", "content": system_prompt})
    return messages


def _render(tokenizer, messages: list[dict[str, str]], add_generation_prompt: bool) -> str:
    return tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=add_generation_prompt
    )


def _expand(text: str, image_token: str, num_image_tokens: int) -> str:
    return text.replace(image_token, image_token * num_image_tokens, 1)


def _tokenize(tokenizer, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False).input_ids) if text else []


def _check_image_count(ids: list[int], image_token_id: int | None, expected: int) -> None:
    if image_token_id is None:
        return
    found = sum(1 for t in ids if t == image_token_id)
    if found != expected:
        raise ShapeError(f"tokenized prompt has {found} image tokens, expected {expected}")


def encode_conversation(
    tokenizer,
    messages: list[dict[str, str]],
    *,
    image_token: str = "<image>",
    image_token_id: int | None = None,
    num_image_tokens: int = 0,
) -> tuple[list[int], list[int]]:
    """Messages (already normalized) -> ``(input_ids, labels)``; labels = assistant content + <|im_end|>."""
    if not any(m["role"] == "assistant" for m in messages):
        raise DataFormatError("conversation has no assistant turn to supervise")
    has_image = any(image_token in m["content"] for m in messages)
    ids: list[int] = []
    labels: list[int] = []
    done = ""  # rendered text already tokenized

    def add(text: str, supervised: bool) -> None:
        if has_image and image_token in text:
            text = _expand(text, image_token, num_image_tokens)
        piece = _tokenize(tokenizer, text)
        ids.extend(piece)
        labels.extend(piece if supervised else [IGNORE_INDEX] * len(piece))

    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prefix = _render(tokenizer, messages[:i], add_generation_prompt=True)
        full = _render(tokenizer, messages[: i + 1], add_generation_prompt=False)
        if not prefix.startswith(done) or not full.startswith(prefix):
            raise DataFormatError("the tokenizer's chat template is not prefix-stable; cannot mask labels")
        tail = full[len(prefix) :]
        end = tail.rfind(IM_END)
        if end < 0:
            raise DataFormatError(f"the chat template does not close assistant turns with {IM_END}")
        answer = tail[: end + len(IM_END)]
        add(prefix[len(done) :], supervised=False)
        add(answer, supervised=True)
        done = prefix + answer
    full = _render(tokenizer, messages, add_generation_prompt=False)
    add(full[len(done) :], supervised=False)
    _check_image_count(ids, image_token_id, num_image_tokens if has_image else 0)
    return ids, labels


def encode_prompt(
    tokenizer,
    messages: list[dict[str, str]],
    *,
    image_token: str = "<image>",
    image_token_id: int | None = None,
    num_image_tokens: int = 0,
) -> list[int]:
    """Messages ending with a user turn -> prompt ids ending in ``<|im_start|>assistant\\n``."""
    text = _render(tokenizer, messages, add_generation_prompt=True)
    has_image = image_token in text
    if has_image:
        text = _expand(text, image_token, num_image_tokens)
    ids = _tokenize(tokenizer, text)
    _check_image_count(ids, image_token_id, num_image_tokens if has_image else 0)
    return ids


def truncate(
    input_ids: list[int], labels: list[int] | None, max_length: int, image_token_id: int | None
) -> tuple[list[int], list[int] | None]:
    """Keep the first ``max_length`` tokens; ShapeError if that would cut an image token."""
    if len(input_ids) <= max_length:
        return input_ids, labels
    if image_token_id is not None and image_token_id in input_ids[max_length:]:
        last = len(input_ids) - 1 - input_ids[::-1].index(image_token_id)
        raise ShapeError(
            f"max_length={max_length} would cut image tokens (the last one is at position {last}); "
            f"raise max_length above {last + 1}"
        )
    return input_ids[:max_length], None if labels is None else labels[:max_length]


def supervised_positions(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The positions whose next token carries a label in some row of ``labels [B, L]``, and those
    labels: ``(positions [K], shift_labels [B, K])`` (``IGNORE_INDEX`` where a row has none there). The LM
    head and the loss then run on K positions instead of L (image and prompt tokens are never scored)."""
    shift = torch.nn.functional.pad(labels, (0, 1), value=IGNORE_INDEX)[:, 1:]
    positions = (shift != IGNORE_INDEX).any(0).nonzero().squeeze(1)
    return positions, shift[:, positions].contiguous()
