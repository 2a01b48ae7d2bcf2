"""Feature router: resampling, gate modes, gate placement (clean vs the reference's), fusion shapes."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from svemath.errors import ShapeError
from svemath.vision.config import RouterConfig
from svemath.vision.router import FeatureRouter, resample_level

B, GRID, C_CLIP, DIMS = 2, 10, 48, [32, 32, 24, 16]


@pytest.fixture(autouse=True)
def _one_thread():
    """One intra-op thread: on a shared 2-core machine two threads are 10-50x slower under load."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _inputs(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    clip = torch.randn(B, GRID * GRID, C_CLIP, generator=g)
    maps = [torch.randn(B, c, s, s, generator=g) for c, s in zip(DIMS, (2, 4, 8, 32))]
    return clip, maps


def _router(**kw) -> FeatureRouter:
    torch.manual_seed(0)
    return FeatureRouter(RouterConfig(hidden_size=24, gate_hidden=16, **kw), C_CLIP, DIMS)


def test_resample_area_down_bilinear_up_never_nearest():
    x = torch.zeros(1, 1, 32, 32)
    x[..., 7, :] = 1.0  # one thin row: nearest subsampling to 10 rows would skip it (rows 0, 3, 6, 9, ...)
    area = resample_level(x, 10).view(10, 10)
    assert area[2].min() > 0.2 and area.sum(1).nonzero().numel() == 1  # the row survives, in one place
    nearest = resample_level(x, 10, mode="nearest").view(10, 10)
    assert nearest.sum() == 0
    up = resample_level(torch.arange(4.0).view(1, 1, 2, 2), 10).view(10, 10)
    assert up.unique().numel() > 4  # interpolated, not replicated
    assert resample_level(torch.randn(3, 5, 16, 16), 10).shape == (3, 100, 5)


@pytest.mark.parametrize(
    "fusion, mode",
    [("channel", "soft"), ("channel", "softmax"), ("sequence", "top1"), ("sequence", "constant")],
)
def test_output_shapes(fusion, mode):
    router = _router(fusion=fusion, mode=mode)
    clip, maps = _inputs()
    out = router(clip, router.resample(maps, GRID))
    n = GRID * GRID if fusion == "channel" else 2 * GRID * GRID
    assert out.tokens.shape == (B, n, router.out_dim)
    assert router.out_dim == (C_CLIP + 4 * 24 if fusion == "channel" else C_CLIP)
    assert out.gates.shape == (B, 4)
    if mode == "softmax":
        torch.testing.assert_close(out.gates.sum(-1), torch.ones(B))
    if mode == "top1":
        hard = out.gates.detach()
        torch.testing.assert_close(hard, (hard > 0.5).float())
        assert ((hard > 0.5).sum(-1) == 1).all()
    if mode == "constant":
        assert (out.gates == 1).all()


def _shift_gates(router: FeatureRouter, clip, levels, scale: float):
    """Output tokens with the gates forced to `scale` times their value."""
    original = router.gates
    router.gates = lambda c, lv: original(c, lv) * scale  # type: ignore[method-assign]
    try:
        return router(clip, levels).tokens
    finally:
        router.gates = original  # type: ignore[method-assign]


def test_clean_gate_moves_the_fused_tokens_and_compat_gate_does_not():
    clip, maps = _inputs()
    clean = _router(gate_position="clean")
    levels = clean.resample(maps, GRID)
    base = clean(clip, levels).tokens
    moved = _shift_gates(clean, clip, levels, 0.3)
    assert (moved[..., C_CLIP:] - base[..., C_CLIP:]).abs().max() > 0.1
    torch.testing.assert_close(moved[..., :C_CLIP], base[..., :C_CLIP])  # CLIP part untouched

    compat = _router(gate_position="compat")
    compat.load_state_dict(clean.state_dict())
    base_c = compat(clip, levels).tokens
    moved_c = _shift_gates(compat, clip, levels, 0.3)
    # the reference's placement: LayerNorm divides the gate out (up to its epsilon)
    assert (moved_c - base_c).abs().max() < 0.02 * (moved - base).abs().max()


def test_gates_receive_gradients_only_in_clean_placement():
    clip, maps = _inputs()
    grads = {}
    for position in ("clean", "compat"):
        router = _router(gate_position=position)
        out = router(clip, router.resample(maps, GRID))
        (out.tokens[..., C_CLIP:] ** 2).mean().backward()
        grads[position] = router.gate_mlp[0].weight.grad.abs().sum().item()
    assert grads["clean"] > 100 * grads["compat"]


def test_constant_mode_uses_no_gate_parameters():
    router = _router(mode="constant")
    clip, maps = _inputs()
    router(clip, router.resample(maps, GRID)).tokens.sum().backward()
    assert router.gate_mlp[0].weight.grad is None and router.proj_context[0].weight.grad is None


def test_top1_is_straight_through():
    router = _router(mode="top1")
    clip, maps = _inputs()
    router(clip, router.resample(maps, GRID)).tokens.pow(2).mean().backward()
    assert router.gate_mlp[0].weight.grad is not None and router.gate_mlp[0].weight.grad.abs().sum() > 0


def test_gate_depends_on_the_image():
    router = _router(mode="soft")
    clip, maps = _inputs(0)
    clip2, maps2 = _inputs(1)
    g1 = router(clip, router.resample(maps, GRID)).gates
    g2 = router(clip2, router.resample(maps2, GRID)).gates
    assert not torch.allclose(g1, g2)


def test_shape_errors():
    router = _router()
    clip, maps = _inputs()
    with pytest.raises(ShapeError, match="expects 4 levels"):
        router.resample(maps[:3], GRID)
    with pytest.raises(ShapeError, match="level 3"):
        router(clip, [*router.resample(maps, GRID)[:3], torch.randn(B, 99, 16)])
    with pytest.raises(ShapeError, match="width 48"):
        router(clip[..., :10], router.resample(maps, GRID))


def test_config_round_trip():
    from svemath.configs import from_dict, to_dict

    cfg = RouterConfig(mode="top1", fusion="sequence")
    assert from_dict(RouterConfig, to_dict(cfg)) == cfg
    assert dataclasses.asdict(cfg)["gate_position"] == "clean"


def test_state_dict_safetensors_round_trip(tmp_path):
    from safetensors.torch import load_model, save_model

    router = _router(mode="softmax")
    save_model(router, str(tmp_path / "router.safetensors"))
    torch.manual_seed(99)
    other = FeatureRouter(router.cfg, C_CLIP, DIMS)
    load_model(other, str(tmp_path / "router.safetensors"))
    clip, maps = _inputs()
    a, b = router(clip, router.resample(maps, GRID)), other(clip, other.resample(maps, GRID))
    torch.testing.assert_close(a.tokens, b.tokens)
    torch.testing.assert_close(a.gates, b.gates)
