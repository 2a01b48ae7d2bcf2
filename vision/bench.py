"""Parameter counts (tiny and real presets) and CPU timings of the tiny vision towers.

``python -m svemath.vision.bench [--batch 16] [--steps 3] [--threads 1 2] [--out FILE.json]`` prints and
returns a JSON-serialisable dict: parameters per module (real sizes counted on the ``meta`` device, no
weights), and seconds per step of the tiny GeoGLIP (trunk + four heads + losses, forward + backward) and
the tiny CLIP tower (tokens, forward + backward; and no-grad forward as used when frozen).
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import torch

from svemath.vision.clip import CLIPTower
from svemath.vision.common import count_parameters
from svemath.vision.config import clip_config, geoglip_config, router_config
from svemath.vision.geoglip import GeoGLIP
from svemath.vision.router import FeatureRouter
from svemath.vision.synthetic import draw_scene
from svemath.vision.transforms import preprocess


def parameter_counts(preset: str) -> dict[str, Any]:
    device = torch.device("meta") if preset != "tiny" else torch.device("cpu")
    ccfg = clip_config(preset)
    if preset != "tiny":
        import dataclasses

        ccfg = dataclasses.replace(ccfg, pretrained=None)
    with device:
        clip = CLIPTower(ccfg, device=device)
        geo = GeoGLIP(geoglip_config(preset))
        router = FeatureRouter(router_config(preset), clip.hidden_size, geo.level_dims)
    geo_parts = {name: count_parameters(m) for name, m in geo.named_children()}
    geo_parts["class_table"] = geo.class_table.numel()
    return {
        "clip_visual": count_parameters(clip.model.visual),
        "clip_text": count_parameters(clip.model) - count_parameters(clip.model.visual),
        "geoglip": count_parameters(geo),
        "geoglip_parts": geo_parts,
        "router": count_parameters(router),
        "router_out_dim": router.out_dim,
        "clip_tokens": clip.num_tokens,
    }


def _timeit(fn, steps: int) -> dict[str, float]:
    """Best wall-clock and process-CPU seconds of ``steps`` calls after a warm-up (on a shared machine
    the CPU time of a one-thread run is the steadier figure)."""
    fn()  # warm-up
    wall, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"wall_s": round(min(wall), 3), "cpu_s": round(min(cpu), 3)}


def time_tiny(batch: int = 16, steps: int = 3, threads: int | None = None) -> dict[str, Any]:
    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        torch.manual_seed(0)
        gcfg = geoglip_config("tiny")
        geo = GeoGLIP(gcfg).train()
        xs, targets = [], []
        for i in range(batch):
            img, anno, edge = draw_scene(i)
            x, scale, offset = preprocess(img, gcfg)
            xs.append(x)
            targets.append(geo.targets_from_annotations(anno, scale, offset, boundary=edge))
        gx = torch.stack(xs)
        clip = CLIPTower(clip_config("tiny")).train()
        cx = torch.randn(batch, 3, 160, 160)

        def geo_step() -> None:
            geo.zero_grad(set_to_none=True)
            geo.losses(geo.head_outputs(geo(gx)), targets)["loss"].backward()

        def geo_trunk() -> None:
            geo.zero_grad(set_to_none=True)
            sum(f.float().mean() for f in geo.mllm_levels(geo(gx))).backward()

        def clip_step() -> None:
            clip.zero_grad(set_to_none=True)
            clip(cx).float().mean().backward()

        def frozen_forward() -> None:
            with torch.no_grad():
                clip(cx)
                geo(gx)

        return {
            "threads": torch.get_num_threads(),
            "batch": batch,
            "geoglip_heads_losses_fwd_bwd": _timeit(geo_step, steps),
            "geoglip_trunk_fwd_bwd": _timeit(geo_trunk, steps),
            "clip_fwd_bwd": _timeit(clip_step, steps),
            "frozen_clip_plus_geoglip_fwd": _timeit(frozen_forward, steps),
        }
    finally:
        torch.set_num_threads(previous)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    result = {
        "parameters": {p: parameter_counts(p) for p in ("tiny", "real")},
        "timings": [time_tiny(args.batch, args.steps, t) for t in args.threads],
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        from svemath.fileio import atomic_write_text

        atomic_write_text(args.out, text + "\n")
    return result


if __name__ == "__main__":
    main()
