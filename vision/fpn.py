"""GeoGLIP trunk pieces: the FPN (C3..C5 -> P3..P7) and the cross-resolution mixture (P4 attends to P6,
fused into P3, then a Fourier-unit spectral transform -> B3).

Follows the reference (sve_math.md 1.3) with its defects fixed: separate norms for queries and keys,
GroupNorm by default (BatchNorm as an option; it stays in eval while the tower is frozen), bilinear
upsampling in the mixture (nearest kept for compat), FFT always in float32.
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import nn

from svemath.vision.common import conv_norm_act, norm_layer


class FPN(nn.Module):
    """Feature pyramid: lateral 1x1 + output 3x3 convs on C3..C5, top-down nearest x2 upsampling,
    P6 = Conv3x3/s2(P5), P7 = Conv3x3/s2(ReLU(P6)). Inputs ``[B, C_i, H/s, W/s]`` for s = 8, 16, 32;
    outputs five ``[B, C, h, w]`` maps at strides 8..128."""

    def __init__(self, in_channels: list[int], out_channels: int) -> None:
        super().__init__()
        self.laterals = nn.ModuleList(nn.Conv2d(c, out_channels, 1) for c in in_channels)
        self.outputs = nn.ModuleList(nn.Conv2d(out_channels, out_channels, 3, padding=1) for _ in in_channels)
        self.p6 = nn.Conv2d(out_channels, out_channels, 3, stride=2, padding=1)
        self.p7 = nn.Conv2d(out_channels, out_channels, 3, stride=2, padding=1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                nn.init.zeros_(m.bias)

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        laterals = [conv(f) for conv, f in zip(self.laterals, feats)]
        for i in range(len(laterals) - 1, 0, -1):
            up = F.interpolate(laterals[i], size=laterals[i - 1].shape[-2:], mode="nearest")
            laterals[i - 1] = laterals[i - 1] + up
        outs = [conv(x) for conv, x in zip(self.outputs, laterals)]
        p6 = self.p6(outs[-1])
        p7 = self.p7(F.relu(p6))
        return [*outs, p6, p7]


class FourierUnit(nn.Module):
    """rFFT2 (ortho, float32) -> 1x1 conv over [re, im] channels (interleaved per channel) -> norm ->
    ReLU -> irFFT2. ``[B, C, H, W] -> [B, C, H, W]``."""

    def __init__(self, channels: int, norm: str, groups: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2 * channels, 2 * channels, 1, bias=False)
        self.norm = norm_layer(norm, 2 * channels, groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        dtype = x.dtype
        no_autocast = (
            torch.autocast(device_type=x.device.type, enabled=False)
            if x.device.type in ("cpu", "cuda", "xpu", "mps")
            else contextlib.nullcontext()
        )
        with no_autocast:
            freq = torch.fft.rfft2(x.float(), norm="ortho")  # [B, C, H, W//2+1] complex
            y = torch.stack((freq.real, freq.imag), dim=2).reshape(b, 2 * c, h, -1)  # [c0.re, c0.im, ...]
            y = y.to(self.conv.weight.dtype)  # bf16 weights: the convolution runs in their dtype
            y = F.relu(self.norm(self.conv(y))).float()
            y = y.reshape(b, c, 2, h, -1)
            freq = torch.complex(y[:, :, 0], y[:, :, 1])
            out = torch.fft.irfft2(freq, s=(h, w), norm="ortho")
        return out.to(dtype)


class SpectralTransform(nn.Module):
    """FFC spectral transform: x1 = ReLU(N(Conv1x1 x)); out = N(Conv1x1(x1 + FU(x1))) (no final ReLU)."""

    def __init__(self, channels: int, norm: str, groups: int) -> None:
        super().__init__()
        self.inp = conv_norm_act(channels, channels, 1, norm, groups)
        self.fu = FourierUnit(channels, norm, groups)
        self.out = conv_norm_act(channels, channels, 1, norm, groups, act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.inp(x)
        return self.out(x1 + self.fu(x1))


class CrossResolutionMixture(nn.Module):
    """P4 queries attend to P6 keys/values (multi-head attention), residual on the raw P4, conv + norm,
    upsample towards P3, fuse into P3, spectral transform -> B3 ``[B, C, H/8, W/8]``."""

    def __init__(self, channels: int, heads: int, norm: str, groups: int, upsample: str = "bilinear") -> None:
        super().__init__()
        self.norm_q = norm_layer(norm, channels, groups)
        self.norm_kv = norm_layer(norm, channels, groups)  # the reference shared one BN for both
        self.attn = nn.MultiheadAttention(channels, heads, batch_first=True)
        self.merge = conv_norm_act(channels, channels, 3, norm, groups)
        self.up = conv_norm_act(channels, channels, 3, norm, groups)
        self.upsample = upsample
        self.spectral = SpectralTransform(channels, norm, groups)

    def _resize(self, x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        if self.upsample == "nearest":
            return F.interpolate(x.float(), size=size, mode="nearest").to(x.dtype)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)

    def forward(self, p3: torch.Tensor, p4: torch.Tensor, p6: torch.Tensor) -> torch.Tensor:
        b, c, h4, w4 = p4.shape
        q = F.relu(self.norm_q(p4)).flatten(2).transpose(1, 2)  # [B, h4*w4, C]
        kv = F.relu(self.norm_kv(p6)).flatten(2).transpose(1, 2)  # [B, h6*w6, C]
        t, _ = self.attn(q, kv, kv, need_weights=False)
        t = t.transpose(1, 2).reshape(b, c, h4, w4)
        y = self.merge(p4 + t)
        y = self.up(self._resize(y, (2 * h4, 2 * w4)))
        if y.shape[-2:] != p3.shape[-2:]:
            y = self._resize(y, tuple(p3.shape[-2:]))
        return self.spectral(p3 + y)
