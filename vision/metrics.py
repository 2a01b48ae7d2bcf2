"""Perception metrics used by the GeoGLIP training stage and the tests.

* ``shape_map``: mAP at an IoU threshold (default 0.5); per class, predictions sorted by score are greedily
  matched to unmatched GT boxes of that class (IoU >= threshold), AP is the area under the all-point
  interpolated precision-recall curve (VOC 2010+ / COCO style); classes without GT are left out of the mean.
* ``junction_prf``: precision / recall / F1 of junction points matched one-to-one within a pixel radius
  (greedy by score, nearest first), optionally also requiring the angle lists to agree.
* ``boundary_fscore``: F-score of a thresholded boundary map with a pixel tolerance (a predicted pixel is
  correct when a GT pixel lies within ``tolerance``, and vice versa for recall).
* ``reading_end_to_end``: detected label boxes matched to GT boxes (IoU >= 0.5) whose strings are equal;
  ``recognition_exact_match``: strings read from the GT boxes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import box_iou


def _as_boxes(x: torch.Tensor | Sequence) -> torch.Tensor:
    return torch.as_tensor(x, dtype=torch.float32).reshape(-1, 4)


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """All-point interpolated AP from a PR curve (recall ascending)."""
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[0.0], precision, [0.0]])
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    idx = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]))


def shape_map(
    predictions: Sequence[dict], ground_truths: Sequence[dict], iou_threshold: float = 0.5
) -> dict[str, object]:
    """``predictions[i] = {"boxes": [D, 4], "scores": [D], "labels": [D] (str)}``,
    ``ground_truths[i] = {"boxes": [M, 4], "labels": [M]}`` -> ``{"map": float, "ap": {cls: AP}}``."""
    if len(predictions) != len(ground_truths):
        raise ValueError(f"{len(predictions)} predictions for {len(ground_truths)} images")
    classes = sorted({str(c) for gt in ground_truths for c in gt["labels"]})
    ap: dict[str, float] = {}
    for cls in classes:
        dets: list[tuple[float, int, torch.Tensor]] = []
        gts: dict[int, torch.Tensor] = {}
        num_gt = 0
        for i, (pred, gt) in enumerate(zip(predictions, ground_truths)):
            gb = _as_boxes(gt["boxes"])
            keep = [j for j, c in enumerate(gt["labels"]) if str(c) == cls]
            gts[i] = gb[keep]
            num_gt += len(keep)
            pb = _as_boxes(pred["boxes"])
            for j, c in enumerate(pred["labels"]):
                if str(c) == cls:
                    dets.append((float(pred["scores"][j]), i, pb[j]))
        dets.sort(key=lambda d: -d[0])
        used = {i: torch.zeros(len(b), dtype=torch.bool) for i, b in gts.items()}
        tp = np.zeros(len(dets))
        for k, (_, i, box) in enumerate(dets):
            if len(gts[i]) == 0:
                continue
            ious = box_iou(box[None], gts[i])[0]
            ious[used[i]] = -1.0
            best = int(ious.argmax())
            if ious[best] >= iou_threshold:
                used[i][best] = True
                tp[k] = 1.0
        ctp = np.cumsum(tp)
        recall = ctp / max(num_gt, 1)
        precision = ctp / np.arange(1, len(dets) + 1) if len(dets) else np.zeros(0)
        ap[cls] = average_precision(recall, precision)
    return {"map": float(np.mean(list(ap.values()))) if ap else 0.0, "ap": ap}


def _angle_sets_agree(pred: Sequence[float], gt: Sequence[float], tol: float) -> bool:
    if len(pred) != len(gt):
        return False
    left = list(pred)
    for a in gt:
        diffs = [abs((a - b + 180.0) % 360.0 - 180.0) for b in left]
        if not diffs or min(diffs) > tol:
            return False
        left.pop(int(np.argmin(diffs)))
    return True


def junction_prf(
    pred_xy: Sequence,
    gt_xy: Sequence,
    radius: float,
    *,
    pred_scores: Sequence | None = None,
    pred_angles: Sequence[Sequence[Sequence[float]]] | None = None,
    gt_angles: Sequence[Sequence[Sequence[float]]] | None = None,
    angle_tolerance: float | None = None,
) -> dict[str, float]:
    """Per-image lists of ``[J, 2]`` points -> ``{"precision", "recall", "f1", "tp", "num_pred", "num_gt"}``.

    With ``angle_tolerance`` a matched pair only counts when both angle lists have the same length and
    every GT angle has its own predicted angle within the tolerance (degrees, circular)."""
    tp = num_pred = num_gt = 0
    for i, (pp, gg) in enumerate(zip(pred_xy, gt_xy)):
        p = torch.as_tensor(pp, dtype=torch.float32).reshape(-1, 2)
        g = torch.as_tensor(gg, dtype=torch.float32).reshape(-1, 2)
        num_pred += len(p)
        num_gt += len(g)
        if not len(p) or not len(g):
            continue
        order = range(len(p))
        if pred_scores is not None:
            order = torch.as_tensor(pred_scores[i], dtype=torch.float32).argsort(descending=True).tolist()
        dist = torch.cdist(p, g)
        used = torch.zeros(len(g), dtype=torch.bool)
        for j in order:
            d = dist[j].clone()
            d[used] = float("inf")
            k = int(d.argmin())
            if d[k] > radius:
                continue
            if angle_tolerance is not None:
                if pred_angles is None or gt_angles is None:
                    raise ValueError("angle_tolerance needs pred_angles and gt_angles")
                if not _angle_sets_agree(pred_angles[i][j], gt_angles[i][k], angle_tolerance):
                    continue
            used[k] = True
            tp += 1
    precision = tp / num_pred if num_pred else 1.0 if not num_gt else 0.0
    recall = tp / num_gt if num_gt else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "tp": tp,
        "num_pred": num_pred,
        "num_gt": num_gt,
    }


def boundary_fscore(
    pred: torch.Tensor, gt: torch.Tensor, threshold: float = 0.5, tolerance: int = 1
) -> dict[str, float]:
    """``pred`` probabilities and ``gt`` {0, 1} maps ``[H, W]`` or ``[B, H, W]`` (summed over the batch)."""
    p = (torch.as_tensor(pred).float() > threshold).float().reshape(-1, 1, *pred.shape[-2:])
    g = (torch.as_tensor(gt).float() > 0.5).float().reshape(-1, 1, *gt.shape[-2:])
    if p.shape != g.shape:
        raise ValueError(f"boundary shapes differ: {tuple(pred.shape)} vs {tuple(gt.shape)}")
    k = 2 * tolerance + 1
    g_near = F.max_pool2d(g, k, stride=1, padding=tolerance)
    p_near = F.max_pool2d(p, k, stride=1, padding=tolerance)
    num_p, num_g = float(p.sum()), float(g.sum())
    precision = float((p * g_near).sum()) / num_p if num_p else 1.0 if not num_g else 0.0
    recall = float((g * p_near).sum()) / num_g if num_g else 1.0
    f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f": f}


def reading_end_to_end(
    pred_boxes: Sequence, pred_strings: Sequence[Sequence[str]], gt_boxes: Sequence, gt_strings: Sequence[Sequence[str]],
    iou_threshold: float = 0.5,
) -> dict[str, float]:  # fmt: skip
    """Per image: detected boxes ``[D, 4]`` + strings vs GT. A GT label counts as read when a detection
    matched to it (one-to-one, highest IoU first, IoU >= threshold) has the same string."""
    correct = num_pred = num_gt = 0
    for pb, ps, gb, gs in zip(pred_boxes, pred_strings, gt_boxes, gt_strings):
        p, g = _as_boxes(pb), _as_boxes(gb)
        num_pred += len(p)
        num_gt += len(g)
        if not len(p) or not len(g):
            continue
        iou = box_iou(p, g)
        while True:
            best = float(iou.max())
            if best < iou_threshold:
                break
            j, k = divmod(int(iou.argmax()), iou.shape[1])
            correct += int(ps[j] == gs[k])
            iou[j, :] = -1.0
            iou[:, k] = -1.0
    precision = correct / num_pred if num_pred else 1.0 if not num_gt else 0.0
    recall = correct / num_gt if num_gt else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"exact_match": recall, "precision": precision, "f1": f1, "correct": correct, "num_gt": num_gt}


def recognition_exact_match(pred_strings: Sequence[str], gt_strings: Sequence[str]) -> float:
    if len(pred_strings) != len(gt_strings):
        raise ValueError(f"{len(pred_strings)} predictions for {len(gt_strings)} strings")
    return sum(p == g for p, g in zip(pred_strings, gt_strings)) / len(gt_strings) if gt_strings else 1.0
