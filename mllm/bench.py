"""``svemath bench generate --out FILE.json``: generation and forward-pass speed of the model.

Measured in one run, on randomly initialised models of one preset (``--preset``, default ``tiny``; real
presets are built with their real shapes but random weights and a small tokenizer: nothing is
downloaded), or with ``--model DIR`` (``default``: the shipped model) on a trained SVE model against a
CLIP-only model of the same shapes. Random GeoGLIP weights detect almost no text labels, so they leave
out the label reader's cost; a trained model pays it (about 10 labels a diagram):

- tokens/s of batched generation (``--batch-size`` prompts at once, KV cache, left padding) against a
  one-by-one loop over the same prompts (target >= 5x); every prompt generates exactly ``--new-tokens``
  tokens (``min_new_tokens``; default 64, about the length of the shipped model's answers), so both sides
  produce the same number of tokens;
- forward time of the SVE model against the CLIP-only model (``geoglip=None``, same LLM, same batch;
  target <= 1.3x), from pixels and from cached tower features (``encode_images``);
- ``--share-llm``: the CLIP-only model runs the SVE model's LLM object (one copy in memory), so both
  models of qwen2.5-math-1.5b fit on a 24 GB machine;
- one training step (forward + backward, LLM/router/projector trainable, towers frozen; the LM head and
  loss on the supervised positions, as the training objective runs them);
- peak memory: process RSS (``resource``) and ``torch.cuda.max_memory_allocated`` on a GPU;
- parameter counts of every preset (meta device).

Each timing is the median of ``--repeats`` runs after one warm-up.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset", default="tiny", help="model preset to time (random weights; default: tiny)"
    )
    parser.add_argument(
        "--model", default=None, help="a trained SVE model directory, or 'default' for the shipped model"
    )
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument(
        "--new-tokens", type=int, default=64,
        help="tokens generated per prompt (default 64: the shipped model's answers on held-out "
             "synth-dynamath run 64-83 tokens at the median; shorter runs weigh the image encoding more)",
    )  # fmt: skip
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default=None, help="cpu | cuda (default: cuda if available)")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    parser.add_argument("--skip-generation", action="store_true", help="only time forward passes")
    parser.add_argument("--no-presets", action="store_true", help="skip the per-preset parameter counts")
    parser.add_argument(
        "--share-llm", action="store_true",
        help="the CLIP-only model runs the SVE model's LLM object (same weights, one copy in memory: "
             "real presets from qwen2.5-math-1.5b up on a 24 GB machine)",
    )  # fmt: skip


def _median_time(fn, repeats: int, sync) -> float:
    fn()  # warm-up
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


def _models(preset: str, dtype, model_dir: str | None = None, share_llm: bool = False):
    """SVE and CLIP-only models of ``preset`` with random weights (same seed, same tokenizer); with
    ``model_dir`` the SVE model is that trained checkpoint and the CLIP-only one has its shapes. With
    ``share_llm`` the CLIP-only model is built with a 1-layer LLM that is then replaced by the SVE model's."""
    import torch

    from svemath.mllm.presets import PRESETS, build_model

    if model_dir is not None:
        if share_llm:
            from svemath.errors import ConfigError

            raise ConfigError("--share-llm is for random-weight presets, not --model")
        from svemath.mllm import load_pretrained
        from svemath.mllm.presets import default_model_dir

        sve, processor = load_pretrained(default_model_dir() if model_dir == "default" else model_dir)
        sve = sve.to(dtype)
        torch.manual_seed(0)
        clip_only, clip_processor = build_model(
            preset, geoglip=None, dtype=dtype, tokenizer=processor.tokenizer,
            clip=dict(sve.config.clip), text={k: getattr(sve.config.text_config, k) for k in ("hidden_size",
            "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads")},
        )  # fmt: skip
        return sve, processor, clip_only, clip_processor

    random_llm: dict[str, Any] = {"text": {"initializer_range": 0.2}}
    if PRESETS.get(preset).llm is not None:  # real shapes, random weights, no download
        from svemath.mllm.testing import small_tokenizer

        random_llm = {"llm": None, "clip": {"pretrained": None}, "tokenizer": small_tokenizer()}
    torch.manual_seed(0)
    sve, processor = build_model(preset, dtype=dtype, **random_llm)
    random_llm["tokenizer"] = processor.tokenizer
    torch.manual_seed(0)
    if share_llm:
        random_llm["text"] = {**random_llm.get("text", {}), "num_hidden_layers": 1}
    clip_only, clip_processor = build_model(preset, geoglip=None, dtype=dtype, **random_llm)
    if share_llm:
        clip_only.language_model = sve.language_model
    return sve, processor, clip_only, clip_processor


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    from tqdm import tqdm

    from svemath.mllm.generation import generation_kwargs
    from svemath.mllm.presets import build_meta_model, preset_names
    from svemath.mllm.testing import diagram
    from svemath.mllm.trainable import count_parameters, set_trainable

    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    dtype = torch.bfloat16 if args.dtype == "bfloat16" else torch.float32

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    def to_device(batch) -> dict[str, torch.Tensor]:
        return {k: v.to(device) for k, v in batch.items()}

    progress = tqdm(total=5, desc="bench generate", unit="step")
    share = args.share_llm
    sve, processor, clip_only, clip_processor = _models(args.preset, dtype, args.model, share_llm=share)
    sve, clip_only = sve.to(device).eval(), clip_only.to(device).eval()
    progress.update()

    n = args.batch_size
    images = [diagram(k) for k in range(n)]
    prompts = [f"Figure {k}: how many circles are there, and what is {k} + {2 * k}?" for k in range(n)]
    generation: dict[str, Any] = {}
    if not args.skip_generation:
        gen = generation_kwargs(
            processor, max_new_tokens=args.new_tokens, do_sample=False, temperature=1.0, top_p=1.0
        )
        gen["min_new_tokens"] = args.new_tokens
        batch_all = to_device(processor(prompts=prompts, images=images))
        singles = [to_device(processor(prompts=[p], images=[im])) for p, im in zip(prompts, images)]

        @torch.inference_mode()
        def gen_batched() -> None:
            sve.generate(**batch_all, **gen)

        @torch.inference_mode()
        def gen_loop() -> None:
            for one in singles:
                sve.generate(**one, **gen)

        tokens = n * args.new_tokens
        t_batched = _median_time(gen_batched, args.repeats, sync)
        progress.update()
        t_loop = _median_time(gen_loop, args.repeats, sync)
        generation = {
            "prompt_tokens": int(batch_all["input_ids"].shape[1]),
            "batched_s": round(t_batched, 4),
            "loop_s": round(t_loop, 4),
            "batched_tokens_per_s": round(tokens / t_batched, 1),
            "loop_tokens_per_s": round(tokens / t_loop, 1),
            "speedup": round(t_loop / t_batched, 2),
            "target_speedup": 5.0,
        }
    progress.update(2 - (not args.skip_generation))

    convs = [
        [{"from": "human", "value": p}, {"from": "gpt", "value": f"There are {k % 4 + 1} circles."}]
        for k, p in enumerate(prompts)
    ]
    train_sve = to_device(processor(conversations=convs, images=images))
    train_clip = to_device(clip_processor(conversations=convs, images=images))
    with torch.inference_mode():
        cached = sve.encode_images(train_sve["pixel_values"], train_sve["geo_pixel_values"])
    text_only = {k: v for k, v in train_sve.items() if "pixel" not in k}

    def forward(model, batch, **extra):
        @torch.inference_mode()
        def step() -> None:
            model(**batch, **extra)

        return step

    t_sve = _median_time(forward(sve, train_sve), args.repeats, sync)
    t_clip = _median_time(forward(clip_only, train_clip), args.repeats, sync)
    t_cached = _median_time(forward(sve, text_only, image_features=cached), args.repeats, sync)

    set_trainable(sve, ["language_model", "router", "projector"])
    sve.train()

    def train_step() -> None:
        sve(**train_sve, supervised_logits=True).loss.backward()
        sve.zero_grad(set_to_none=True)

    t_train = _median_time(train_step, args.repeats, sync)
    sve.eval()
    progress.update()

    presets = {}
    if not args.no_presets:
        for name in preset_names():
            presets[name] = {k: v["total"] for k, v in count_parameters(build_meta_model(name)).items()}
    progress.update()
    progress.close()

    memory = {"peak_rss_mb": round(_peak_rss_mb(), 1)}
    if device.type == "cuda":
        memory["cuda_max_allocated_mb"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
    result = {
        "device": str(device),
        "dtype": args.dtype,
        "threads": torch.get_num_threads(),
        "preset": args.preset,
        "model": args.model or "random weights",
        "shared_llm": share,
        "batch_size": n,
        "new_tokens": args.new_tokens,
        "repeats": args.repeats,
        "num_image_tokens": sve.config.num_image_tokens,
        "generation": generation,
        "forward": {
            "sequence_length": int(train_sve["input_ids"].shape[1]),
            "sve_s": round(t_sve, 4),
            "clip_only_s": round(t_clip, 4),
            "sve_cached_features_s": round(t_cached, 4),
            "sve_over_clip_only": round(t_sve / t_clip, 3),
            "cached_over_clip_only": round(t_cached / t_clip, 3),
            "target_ratio": 1.3,
            "train_step_s": round(t_train, 4),
        },
        "memory": memory,
        "parameters": {
            "sve": count_parameters(sve),
            "clip_only": count_parameters(clip_only),
            "presets": presets,
        },
    }
    result["summary"] = {
        "preset": args.preset,
        "device": str(device),
        "batched_tokens_per_s": generation.get("batched_tokens_per_s"),
        "loop_tokens_per_s": generation.get("loop_tokens_per_s"),
        "generation_speedup": generation.get("speedup"),
        "sve_over_clip_only_forward": result["forward"]["sve_over_clip_only"],
        "cached_over_clip_only_forward": result["forward"]["cached_over_clip_only"],
        "train_step_s": result["forward"]["train_step_s"],
        "peak_rss_mb": memory["peak_rss_mb"],
    }
    return result
