"""Label links: which text labels a text label is about (a GeoGLIP head; not in the paper).

A value written in a diagram belongs to an element, and the element is named by other labels: a side's
length by the names of its ends, an angle's value by its vertex's name, a bar's value by its category, a
table cell by its headers, an edge weight by its nodes. The data engine writes these links exactly
(``annotations.texts[i].refers``). The language model copies a read value well when a diagram holds one
value and badly when it holds several (``train/results/copy-diagnosis.md``): telling which value belongs
to the element a sentence names is the missing step, and a distance prior gets half of the links wrong.

:class:`LinkHead` scores every ordered pair (i, j) of an image's text boxes: ``P(i refers to j) =
sigmoid(logit_ij)``, from
- each box: its B3 feature (ROI-aligned, 1 x 1), its geometry (centre, size) and its kind (name: letters
  only; value: holds a digit; other), from its string (read strings at inference), then one transformer
  encoder layer over the image's boxes (which other names lie near, in which directions);
- each pair: relative geometry and B3 sampled along the segment between the two centres (a drawn side,
  edge or table row joins them or not).
Trained with binary cross-entropy over all ordered pairs (positives up-weighted, as they are sparse);
measured as pair precision / recall / F1 and the share of linked labels whose predicted set is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.ops import roi_align

KIND_OTHER, KIND_NAME, KIND_VALUE = 0, 1, 2
LINE_POINTS = 8
POS_WEIGHT = 3.0


def label_kinds(strings: Sequence[str], device: Any = None) -> torch.Tensor:
    """``[K]`` kind of each label string: name (letters only), value (holds a digit) or other."""
    kinds = [
        KIND_NAME
        if s and all(c.isalpha() for c in s)
        else KIND_VALUE
        if any(c.isdigit() for c in s)
        else KIND_OTHER
        for s in strings
    ]
    return torch.tensor(kinds, dtype=torch.long, device=device)


class LinkHead(nn.Module):
    """Text boxes of each image -> link logits ``[K, K]`` (row i: what label i refers to; the diagonal is
    -inf). ``b3 [B, C, H, W]`` at ``stride``; boxes ``[K, 4]`` in model-input pixels of a ``size`` image."""

    def __init__(self, channels: int, hidden: int = 64) -> None:
        super().__init__()
        self.node = nn.Sequential(nn.Linear(channels + 4 + 3, hidden), nn.GELU(), nn.Linear(hidden, hidden))
        self.context = nn.TransformerEncoderLayer(hidden, 4, 2 * hidden, dropout=0.0, batch_first=True)
        self.pair = nn.Sequential(
            nn.Linear(2 * hidden + 5 + channels, hidden), nn.GELU(), nn.Linear(hidden, 1)
        )

    def forward(
        self,
        b3: torch.Tensor,
        stride: int,
        size: int,
        boxes: Sequence[torch.Tensor],
        kinds: Sequence[torch.Tensor],
    ) -> list[torch.Tensor]:
        if len(boxes) != b3.shape[0] or len(kinds) != b3.shape[0]:
            raise ValueError(f"{len(boxes)} box sets and {len(kinds)} kind sets for {b3.shape[0]} images")
        out = []
        for b, (bx, kd) in enumerate(zip(boxes, kinds)):
            k = bx.shape[0]
            if k == 0:
                out.append(b3.new_zeros(0, 0))
                continue
            bx = bx.to(b3.dtype)
            pooled = roi_align(b3[b : b + 1], [bx], 1, 1.0 / stride, aligned=True).flatten(1)  # [K, C]
            centre = (bx[:, :2] + bx[:, 2:]) / 2 / size  # [K, 2] in [0, 1]
            extent = (bx[:, 2:] - bx[:, :2]).clamp(min=1.0) / size  # [K, 2]
            node = self.node(torch.cat([pooled, centre, extent, F.one_hot(kd, 3).to(b3.dtype)], 1))  # [K, H]
            node = self.context(node[None])[0]
            delta = centre[None, :, :] - centre[:, None, :]  # [K, K, 2]: j - i
            ratio = (extent[None, :, :] / extent[:, None, :]).log()  # [K, K, 2]
            rel = torch.cat([delta, delta.norm(dim=-1, keepdim=True), ratio], -1)  # [K, K, 5]
            t = torch.linspace(0.1, 0.9, LINE_POINTS, device=b3.device, dtype=b3.dtype)
            along = centre[:, None, None, :] + t[None, None, :, None] * delta[:, :, None, :]  # [K, K, P, 2]
            grid = (along * 2 - 1).reshape(1, k * k, LINE_POINTS, 2)
            line = F.grid_sample(b3[b : b + 1], grid, align_corners=False).mean(-1)  # [1, C, K*K]
            line = line[0].transpose(0, 1).reshape(k, k, -1)
            pair = torch.cat([node[:, None].expand(k, k, -1), node[None, :].expand(k, k, -1), rel, line], -1)
            logits = self.pair(pair).squeeze(-1)
            out.append(logits.masked_fill(torch.eye(k, dtype=torch.bool, device=b3.device), float("-inf")))
        return out


def link_matrix(links: Sequence[tuple[int, int]], k: int, device: Any = None) -> torch.Tensor:
    """``[K, K]`` 0/1 target: row i has ones at the labels i refers to."""
    target = torch.zeros(k, k, device=device)
    for i, j in links:
        target[i, j] = 1.0
    return target


def link_loss(logits: Sequence[torch.Tensor], links: Sequence[Sequence[tuple[int, int]]]) -> torch.Tensor:
    """Mean over images (with two or more labels) of the up-weighted BCE over their ordered pairs."""
    losses = []
    for lg, lk in zip(logits, links):
        k = lg.shape[0]
        if k < 2:
            continue
        off = ~torch.eye(k, dtype=torch.bool, device=lg.device)
        target = link_matrix(lk, k, lg.device)
        weight = torch.tensor(POS_WEIGHT, device=lg.device)
        losses.append(F.binary_cross_entropy_with_logits(lg[off], target[off], pos_weight=weight))
    if not losses:  # no image with two labels: a zero that keeps the head in the graph (the diagonal is -inf)
        return sum((lg[lg.isfinite()].sum() for lg in logits), torch.zeros(())) * 0.0
    return torch.stack(losses).mean()


def link_metrics(
    probs: Sequence[torch.Tensor], links: Sequence[Sequence[tuple[int, int]]], threshold: float = 0.5
) -> dict[str, float]:
    """Pair precision / recall / F1 over all ordered pairs; over the labels with at least one true link,
    ``link_exact``: the share whose predicted set (P >= threshold) is exactly the true set, and
    ``link_topk``: the share whose k most probable referents (k = the number of true ones) are exactly
    them (no threshold)."""
    tp = fp = fn = exact = topk = linked = 0
    for pr, lk in zip(probs, links):
        k = pr.shape[0]
        if k == 0:
            continue
        pred = (pr >= threshold) & ~torch.eye(k, dtype=torch.bool, device=pr.device)
        true = link_matrix(lk, k, pr.device).bool()
        tp += int((pred & true).sum())
        fp += int((pred & ~true).sum())
        fn += int((~pred & true).sum())
        rows = true.any(1)
        linked += int(rows.sum())
        exact += int((pred[rows] == true[rows]).all(1).sum())
        for i in rows.nonzero().flatten().tolist():
            k_true = int(true[i].sum())
            topk += set(pr[i].topk(k_true).indices.tolist()) == set(true[i].nonzero().flatten().tolist())
    precision = tp / max(1, tp + fp)
    recall = tp / max(1, tp + fn)
    return {
        "link_precision": precision,
        "link_recall": recall,
        "link_f1": 2 * precision * recall / max(1e-9, precision + recall),
        "link_exact": exact / max(1, linked),
        "link_topk": topk / max(1, linked),
        "link_labels": float(linked),
    }
