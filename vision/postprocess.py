"""Decoding of GeoGLIP's head outputs into ``Perception`` (model-input pixel coordinates).

* boxes: score = sqrt(sigmoid(cls) * sigmoid(centerness)), threshold, top-k, decode deltas,
  ``torchvision.ops.batched_nms`` per class;
* junctions: local maxima of the heatmap (3x3), threshold, offset, and the direction bins above a
  threshold with their in-bin residual -> angles in degrees (CCW from +x, image y down);
* boundaries: sigmoid, bilinearly upsampled to the input size;
* labels: the reader's slot argmax up to the end token.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torchvision.ops import batched_nms

from svemath.vision.targets import decode_boxes


@dataclass
class Perception:
    """What GeoGLIP saw in one image (coordinates in model-input pixels)."""

    shape_boxes: torch.Tensor  # [K, 4]
    shape_scores: torch.Tensor  # [K]
    shape_names: list[str]
    junction_xy: torch.Tensor  # [J, 2]
    junction_scores: torch.Tensor  # [J]
    junction_angles: list[list[float]]
    text_boxes: torch.Tensor  # [T, 4]
    text_scores: torch.Tensor  # [T]
    text_strings: list[str]
    boundary: torch.Tensor  # [H, W] probabilities
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, decimals: int = 1) -> dict[str, Any]:
        """JSON-friendly summary (boundary map omitted)."""

        def r(t: torch.Tensor) -> list:
            return torch.round(t.float() * 10**decimals).div(10**decimals).tolist()

        return {
            "shapes": [
                {"cls": n, "box": r(b), "score": round(float(s), 3)}
                for n, b, s in zip(self.shape_names, self.shape_boxes, self.shape_scores)
            ],
            "junctions": [
                {"xy": r(p), "angles": [round(a, decimals) for a in angs], "score": round(float(s), 3)}
                for p, angs, s in zip(self.junction_xy, self.junction_angles, self.junction_scores)
            ],
            "texts": [
                {"box": r(b), "text": t, "score": round(float(s), 3)}
                for b, t, s in zip(self.text_boxes, self.text_strings, self.text_scores)
            ],
        }


def detection_scores(cls_logits: torch.Tensor, ctr_logits: torch.Tensor) -> torch.Tensor:
    """``[P, K]`` class and ``[P]`` centredness logits -> float32 scores ``[P, K]``:
    ``sqrt(sigmoid(cls) * sigmoid(ctr))``."""
    return torch.sqrt(torch.sigmoid(cls_logits.float()) * torch.sigmoid(ctr_logits.float())[:, None])


def decode_detections(
    cls_logits: torch.Tensor,
    deltas: torch.Tensor,
    ctr_logits: torch.Tensor,
    points: torch.Tensor,
    strides: torch.Tensor,
    score_threshold: float,
    nms_iou: float,
    max_detections: int,
    pre_nms: int = 1000,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One image: ``[P, K]``, ``[P, 4]``, ``[P]`` -> (boxes ``[D, 4]``, scores ``[D]``, labels ``[D]``)."""
    scores = detection_scores(cls_logits, ctr_logits)
    keep = scores > score_threshold
    idx_p, idx_k = keep.nonzero(as_tuple=True)
    s = scores[idx_p, idx_k]
    if s.numel() > pre_nms:
        s, top = s.topk(pre_nms)
        idx_p, idx_k = idx_p[top], idx_k[top]
    boxes = decode_boxes(deltas[idx_p].float(), points[idx_p], strides[idx_p])
    kept = batched_nms(boxes, s, idx_k, nms_iou)[:max_detections]
    return boxes[kept], s[kept], idx_k[kept]


def decode_junctions(
    heatmap: torch.Tensor,
    offset: torch.Tensor,
    bins: torch.Tensor,
    residual: torch.Tensor,
    stride: int,
    score_threshold: float,
    angle_threshold: float,
    max_junctions: int,
) -> tuple[torch.Tensor, torch.Tensor, list[list[float]]]:
    """One image: heatmap ``[g, g]``, offset ``[2, g, g]``, bins/residual ``[K, g, g]`` (logits)
    -> (xy ``[J, 2]``, scores ``[J]``, angles per junction)."""
    prob = torch.sigmoid(heatmap.float())
    peaks = prob == F.max_pool2d(prob[None, None], 3, stride=1, padding=1)[0, 0]
    mask = peaks & (prob > score_threshold)
    ys, xs = mask.nonzero(as_tuple=True)
    scores = prob[ys, xs]
    order = scores.argsort(descending=True)[:max_junctions]
    ys, xs, scores = ys[order], xs[order], scores[order]
    off = torch.sigmoid(offset.float())[:, ys, xs]  # [2, J]
    xy = torch.stack([(xs.float() + off[0]) * stride, (ys.float() + off[1]) * stride], -1)
    num_bins = bins.shape[0]
    width = 360.0 / num_bins
    on = torch.sigmoid(bins.float())[:, ys, xs] > angle_threshold  # [K, J]
    res = torch.sigmoid(residual.float())[:, ys, xs]
    angles = []
    for j in range(xy.shape[0]):
        ks = on[:, j].nonzero().flatten().tolist()
        angles.append([float((k + res[k, j]) * width) % 360.0 for k in ks])
    return xy, scores, angles


def boundary_probabilities(logits: torch.Tensor, size: int) -> torch.Tensor:
    """``[h, w]`` logits -> ``[size, size]`` probabilities."""
    prob = torch.sigmoid(logits.float())[None, None]
    if prob.shape[-1] != size:
        prob = F.interpolate(prob, size=(size, size), mode="bilinear", align_corners=False)
    return prob[0, 0]


def decode_image(
    outs: dict[str, Any],
    i: int,
    cfg: Any,
    names: Sequence[str],
    read: Callable[[torch.Tensor], list[str]],
    score_threshold: float | None = None,
    text_threshold: float | None = None,
) -> Perception:
    """Decode image ``i`` of ``GeoGLIP.head_outputs``; ``read(rois [R, 5]) -> strings`` reads label boxes."""
    det, jc = cfg.detector, cfg.junctions
    points, strides = outs["points"], outs["point_strides"]
    sb, ss, sl = decode_detections(
        outs["shape_cls"][i], outs["shape_deltas"][i], outs["shape_ctr"][i], points, strides,
        det.score_threshold if score_threshold is None else score_threshold, det.nms_iou, det.max_detections,
    )  # fmt: skip
    tb, ts, _ = decode_detections(
        outs["text_cls"][i], outs["text_deltas"][i], outs["text_ctr"][i], points, strides,
        det.score_threshold if text_threshold is None else text_threshold, det.text_nms_iou, det.max_detections,
    )  # fmt: skip
    strings = read(torch.cat([torch.full_like(tb[:, :1], i), tb], -1)) if tb.shape[0] else []
    b3_stride = outs["features"].image_size // outs["junction_heatmap"].shape[-1]
    xy, js, angles = decode_junctions(
        outs["junction_heatmap"][i], outs["junction_offset"][i], outs["junction_bins"][i],
        outs["junction_residual"][i], b3_stride, jc.score_threshold, jc.angle_threshold, jc.max_junctions,
    )  # fmt: skip
    return Perception(
        shape_boxes=sb.cpu(),
        shape_scores=ss.cpu(),
        shape_names=[names[k] for k in sl.tolist()],
        junction_xy=xy.cpu(),
        junction_scores=js.cpu(),
        junction_angles=angles,
        text_boxes=tb.cpu(),
        text_scores=ts.cpu(),
        text_strings=strings,
        boundary=boundary_probabilities(outs["boundary"][i], outs["features"].image_size).cpu(),
    )
