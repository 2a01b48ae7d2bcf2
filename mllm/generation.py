"""Batched and streamed generation over transformers' ``model.generate`` (KV cache, left padding).

:func:`generate` is what the eval runner, the PRM labeller and ``model.answer`` call: prompts are sorted
by length and cut into batches of ``batch_size`` (less padding), LEFT-padded by the processor (so every
row's last prompt token sits at the same position and the new tokens line up), generated with
``<|im_end|>`` / ``<|endoftext|>`` as stop tokens and the ``<image>`` token suppressed, and returned in
the input order as new text only. Sampling is seeded inside a forked RNG, leaving the global RNG alone.

:func:`stream_answer` yields the answer to one question piece by piece (the demo), with
``TextIteratorStreamer`` and ``generate`` in a worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from svemath.errors import ConfigError, DataFormatError

ImageInput = Image.Image | str | Path | None


def generation_kwargs(
    processor, *, max_new_tokens: int, do_sample: bool, temperature: float, top_p: float
) -> dict[str, Any]:
    """Arguments for ``model.generate``: length cap, stop tokens, pad id, sampling settings."""
    if max_new_tokens < 1:
        raise ConfigError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
    kwargs: dict[str, Any] = {
        "max_new_tokens": int(max_new_tokens),
        "do_sample": bool(do_sample),
        "eos_token_id": list(processor.stop_token_ids),
        "pad_token_id": processor.pad_token_id,
        "suppress_tokens": [processor.image_token_id],
        "use_cache": True,
    }
    if do_sample:
        if temperature <= 0:
            raise ConfigError(f"temperature must be > 0 when sampling, got {temperature}")
        if not 0 < top_p <= 1:
            raise ConfigError(f"top_p must be in (0, 1], got {top_p}")
        kwargs.update(temperature=float(temperature), top_p=float(top_p), top_k=0)
    return kwargs


@contextmanager
def _seeded(seed: int | None, device: torch.device) -> Iterator[None]:
    if seed is None:
        yield
        return
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


@contextmanager
def _eval_mode(model) -> Iterator[None]:
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def _model_inputs(batch, device: torch.device) -> dict[str, torch.Tensor]:
    return {k: v.to(device) for k, v in batch.items()}


def generate(
    model,
    processor,
    images: Sequence[ImageInput],
    prompts: Sequence[str],
    *,
    max_new_tokens: int = 256,
    do_sample: bool = False,
    temperature: float = 1.0,
    top_p: float = 1.0,
    seed: int | None = None,
    batch_size: int = 16,
    calculator: bool = True,
    choice_tool: bool = False,
) -> list[str]:
    """Answer ``prompts[i]`` about ``images[i]`` (None: text only) -> the generated texts (new text only).

    With ``calculator`` the results of ``<<expr=`` calculator annotations are written by the tool
    (:mod:`svemath.mllm.calculator`); models never trained with annotations never trigger it. With
    ``choice_tool`` (needs ``calculator``) the letter after ``..., which is choice (`` is the one of the
    option whose text the row just wrote (same module)."""
    if len(images) != len(prompts):
        raise DataFormatError(f"generate: {len(prompts)} prompts but {len(images)} images")
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    gen = generation_kwargs(
        processor, max_new_tokens=max_new_tokens, do_sample=do_sample, temperature=temperature, top_p=top_p
    )
    tokenizer = processor.tokenizer
    lengths = [
        len(tokenizer(p, add_special_tokens=False).input_ids) + (im is not None) * processor.num_image_tokens
        for p, im in zip(prompts, images)
    ]
    order = sorted(range(len(prompts)), key=lambda i: (-lengths[i], i))  # similar lengths share a batch
    results: list[str] = [""] * len(prompts)
    device = model.device
    with _eval_mode(model), torch.inference_mode(), _seeded(seed, device):
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = processor(prompts=[prompts[i] for i in rows], images=[images[i] for i in rows])
            inputs = _model_inputs(batch, device)
            out = model.generate(
                **inputs, **gen, **generation_tools(processor, inputs, calculator, choice_tool)
            )
            new_tokens = out[:, inputs["input_ids"].shape[1] :]
            for row, text in zip(rows, processor.batch_decode(new_tokens, skip_special_tokens=True)):
                results[row] = text.strip()
    return results


def generation_tools(
    processor, inputs: dict[str, torch.Tensor], calculator: bool = True, choice_tool: bool = False
) -> dict[str, Any]:
    """``model.generate`` keyword arguments that run the generation-time tools (the calculator, and the
    choice tool when asked) on the rows of ``inputs`` (:mod:`svemath.mllm.calculator`); ``{}`` for none."""
    if not calculator:
        if choice_tool:
            raise ConfigError(
                "the choice tool runs inside the calculator's processor: it needs calculator=True"
            )
        return {}
    from transformers import LogitsProcessorList

    from svemath.mllm.calculator import CalculatorLogitsProcessor

    tool = CalculatorLogitsProcessor(
        processor.tokenizer, inputs["input_ids"].shape[1], choice_tool=choice_tool
    )
    return {"logits_processor": LogitsProcessorList([tool])}


def stream_answer(
    model,
    processor,
    image: ImageInput,
    question: str,
    *,
    max_new_tokens: int = 256,
    do_sample: bool = False,
    temperature: float = 1.0,
    top_p: float = 1.0,
    seed: int | None = None,
    calculator: bool = True,
    choice_tool: bool = False,
) -> Iterator[str]:
    """Yield the answer to one question as text pieces while it is generated."""
    from transformers import TextIteratorStreamer

    gen = generation_kwargs(
        processor, max_new_tokens=max_new_tokens, do_sample=do_sample, temperature=temperature, top_p=top_p
    )
    streamer = TextIteratorStreamer(processor.tokenizer, skip_prompt=True, skip_special_tokens=True)
    inputs = _model_inputs(processor(prompts=[question], images=[image]), model.device)
    failure: list[BaseException] = []

    def work() -> None:
        try:
            with torch.inference_mode(), _seeded(seed, model.device):
                model.generate(
                    **inputs,
                    **gen,
                    streamer=streamer,
                    **generation_tools(processor, inputs, calculator, choice_tool),
                )
        except BaseException as exc:  # surface it in the consumer instead of hanging the stream
            failure.append(exc)
            streamer.end()

    with _eval_mode(model):
        worker = threading.Thread(target=work, name="svemath-generate", daemon=True)
        worker.start()
        for piece in streamer:
            if piece:
                yield piece
        worker.join()
    if failure:
        raise failure[0]
