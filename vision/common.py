"""Small building blocks shared by the vision modules: a freezable module that stays in eval() mode while
frozen, and a norm-layer factory (GroupNorm or BatchNorm)."""

from __future__ import annotations

from typing import Any

from torch import nn


class FreezableModule(nn.Module):
    """An nn.Module that can be frozen: no gradients and permanently in eval() mode.

    While frozen, ``train(True)`` (e.g. from a parent's ``model.train()``) keeps this module and all of its
    children in eval mode, so BatchNorm statistics, dropout and drop-path never change a frozen tower.
    """

    _frozen: bool = False

    @property
    def frozen(self) -> bool:
        return self._frozen

    def freeze(self, frozen: bool = True) -> FreezableModule:
        self._frozen = frozen
        for p in self.parameters():
            p.requires_grad_(not frozen)
        if frozen:
            nn.Module.train(self, False)
        return self

    def unfreeze(self) -> FreezableModule:
        return self.freeze(False)

    def train(self, mode: bool = True) -> FreezableModule:
        return nn.Module.train(self, mode and not self._frozen)


def norm_layer(kind: str, channels: int, groups: int = 16) -> nn.Module:
    """GroupNorm (``gn``; groups clipped to divide ``channels``) or BatchNorm2d (``bn``)."""
    if kind == "bn":
        return nn.BatchNorm2d(channels)
    if kind == "gn":
        g = min(groups, channels)
        while channels % g:
            g -= 1
        return nn.GroupNorm(g, channels)
    raise ValueError(f"unknown norm {kind!r}; known: bn, gn")


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def conv_norm_act(
    cin: int, cout: int, k: int, norm: str, groups: int, act: bool = True, **kw: Any
) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, k, padding=k // 2, bias=False, **kw),
        norm_layer(norm, cout, groups),
    ]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)
