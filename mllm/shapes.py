"""Shape tokens: the shapes GeoGLIP detects, handed to the language model one token per shape.

Not in the paper (like the label tokens of :mod:`svemath.mllm.labels`). The router's grid tokens carry
GeoGLIP's feature maps at the CLIP grid (7 x 7 for the tiny preset), where ten bars, twenty squares or a
scatter of points blur together; counting them, comparing bar heights or telling colours apart is then
left to a small LM that never sees the detections GeoGLIP's shape head already makes. So, besides the
grid and label tokens, the model gets ``shape_slots`` extra image tokens:

1. :func:`read_shapes` (frozen GeoGLIP, cacheable like the other tower features): decode the shape head
   with one box per location and class-agnostic NMS (a hexagon is one shape, whatever else it scores
   as), keep the ``S`` best-scoring detections above ``config.shape_score_threshold`` (0.5; the label
   reader's 0.3 doubles the bars, pie wedges and scatter points counted), order them in reading order and record per slot
   ``shape_probs [B, S, K]`` (the detection's class scores, normalised to sum to 1), ``shape_boxes
   [B, S, 4]`` (normalised xyxy), ``shape_color [B, S, 3]`` (the mean model-input pixel of the inner half
   of the box: the fill of a filled shape, the paper around an outline) and ``shape_kind [B, S]`` (0 empty,
   1 shape).
2. :class:`ShapeEmbedder` turns a slot into an LM input vector: ``probs @ class_table`` (rows start as the
   LM's own embeddings of the class names' words when built on a trained LM), plus an MLP of the box and
   its sin/cos code (bar heights, rows, columns: the label tokens' code, :func:`box_fourier_features`),
   plus a linear map of the colour, plus a slot-kind embedding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from svemath.errors import ConfigError
from svemath.mllm.labels import box_fourier_features, reading_order

KIND_EMPTY, KIND_SHAPE = 0, 1
SHAPE_KEYS = ("shape_probs", "shape_boxes", "shape_color", "shape_kind")


def pick_shapes(
    class_scores: torch.Tensor, boxes: torch.Tensor, score_threshold: float, nms_iou: float, slots: int
) -> torch.Tensor:
    """One image: ``class_scores [P, K]`` and decoded ``boxes [P, 4]`` of every detector location ->
    indices ``[D <= slots]`` of the kept locations, in reading order: best class score above
    ``score_threshold``, class-agnostic NMS at ``nms_iou``, the ``slots`` highest scores."""
    from torchvision.ops import nms

    best = class_scores.max(-1).values
    idx = (best > score_threshold).nonzero(as_tuple=True)[0]
    if idx.numel() == 0:
        return idx
    kept = idx[nms(boxes[idx].float(), best[idx].float(), nms_iou)[:slots]]
    return kept[reading_order(boxes[kept])]


def box_colors(image: torch.Tensor, rois: torch.Tensor) -> torch.Tensor:
    """Mean pixel ``[R, C]`` of the inner half of each box (``rois [R, 5]``: image index, xyxy in pixels)
    of ``image [B, C, H, W]``."""
    from torchvision.ops import roi_align

    if rois.shape[0] == 0:
        return image.new_zeros(0, image.shape[1])
    centre = (rois[:, 1:3] + rois[:, 3:5]) / 2
    half = (rois[:, 3:5] - rois[:, 1:3]).clamp(min=1.0) / 4
    inner = torch.cat([rois[:, :1], centre - half, centre + half], 1)
    return roi_align(image.float(), inner.float(), output_size=2, aligned=True).mean((2, 3))


@torch.no_grad()
def read_shapes(
    geoglip: nn.Module, features: Any, slots: int, score_threshold: float | None = None
) -> dict[str, torch.Tensor]:
    """Detected shapes of every image, one per slot (see the module docstring)."""
    from svemath.vision.geoglip import STRIDES
    from svemath.vision.postprocess import detection_scores
    from svemath.vision.targets import decode_boxes, level_points

    det = geoglip.cfg.detector
    levels = [features.level(n) for n in det.levels]
    s_cls, s_box, s_ctr = geoglip.shape_head(levels, geoglip.class_embeddings())
    points, point_strides, _ = level_points(
        [x.shape[-1] for x in levels], [STRIDES[n] for n in det.levels], device=features.b3.device
    )
    batch, num_classes = s_cls.shape[0], s_cls.shape[-1]
    size = float(features.image_size)
    device = features.b3.device
    probs = torch.zeros(batch, slots, num_classes, device=device)
    boxes_out = torch.zeros(batch, slots, 4, device=device)
    color = torch.zeros(batch, slots, features.image.shape[1], device=device)
    kind = torch.zeros(batch, slots, device=device)
    thr = det.score_threshold if score_threshold is None else score_threshold
    rois = []
    for i in range(batch):
        scores = detection_scores(s_cls[i], s_ctr[i])  # [P, K], as decode_detections ranks them
        boxes = decode_boxes(s_box[i].float(), points, point_strides)  # [P, 4] pixels
        kept = pick_shapes(scores, boxes, thr, det.nms_iou, slots)
        n = kept.numel()
        if n == 0:
            continue
        kept_scores = scores[kept]
        probs[i, :n] = kept_scores / kept_scores.sum(-1, keepdim=True)
        boxes_out[i, :n] = (boxes[kept] / size).clamp(0, 1)
        rois.append(torch.cat([torch.full_like(boxes[kept][:, :1], i), boxes[kept]], 1))
        kind[i, :n] = KIND_SHAPE
    if rois:  # one roi_align over the kept boxes of the whole batch, in (image, slot) order
        color[kind == KIND_SHAPE] = box_colors(features.image, torch.cat(rois)).to(color.dtype)
    return {"shape_probs": probs, "shape_boxes": boxes_out, "shape_color": color, "shape_kind": kind}


class ShapeEmbedder(nn.Module):
    """Shape slots -> LM input vectors ``[B, S, D]`` (see the module docstring)."""

    def __init__(self, num_classes: int, hidden_size: int, box_octaves: int = 8, channels: int = 3) -> None:
        super().__init__()
        if not isinstance(box_octaves, int) or isinstance(box_octaves, bool) or not 1 <= box_octaves <= 16:
            raise ConfigError(f"shape box octaves must be an integer in 1..16, got {box_octaves!r}")
        self.box_octaves = box_octaves
        self.class_table = nn.Parameter(torch.randn(num_classes, hidden_size) * 0.02)
        self.box = nn.Sequential(
            nn.Linear(4 + 8 * box_octaves, hidden_size), nn.GELU(), nn.Linear(hidden_size, hidden_size)
        )
        self.color = nn.Linear(channels, hidden_size)
        self.kind = nn.Embedding(2, hidden_size)
        for layer in (self.color, self.kind):
            nn.init.normal_(layer.weight, std=0.02)
        nn.init.zeros_(self.color.bias)

    @torch.no_grad()
    def init_classes_from(
        self, class_names: Sequence[str], tokenizer: Any, token_embeddings: nn.Embedding
    ) -> None:
        """Start each class row as the mean LM input embedding of its name's tokens (" square" ...), so
        that a trained LM reads a shape token near the word it writes for it."""
        if len(class_names) != self.class_table.shape[0]:
            raise ConfigError(f"{len(class_names)} class names for {self.class_table.shape[0]} classes")
        weight = token_embeddings.weight
        for k, name in enumerate(class_names):
            ids = tokenizer(" " + name, add_special_tokens=False).input_ids
            if ids:
                rows = weight[torch.tensor(ids, device=weight.device)].float().mean(0)
                self.class_table[k] = rows.to(self.class_table.dtype)

    def forward(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        dtype = self.class_table.dtype
        boxes = features["shape_boxes"].float()
        box_in = torch.cat([boxes, box_fourier_features(boxes, self.box_octaves)], -1).to(dtype)
        kind = features["shape_kind"].long()
        mask = (kind > 0).to(dtype)[..., None]
        vec = features["shape_probs"].to(dtype) @ self.class_table + self.box(box_in)
        vec = vec + self.color(features["shape_color"].to(dtype))
        return vec * mask + self.kind(kind)
