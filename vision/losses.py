"""GeoGLIP losses (torchvision.ops focal and GIoU losses where they apply).

* boxes: sigmoid focal loss on class logits (summed, / #positives), GIoU loss on decoded boxes, smooth-L1
  on the encoded deltas (centre offset and log size in strides: GIoU alone leaves boxes of a few pixels,
  points and small labels, loose) and BCE on centerness over positives;
* junctions: CenterNet's penalty-reduced focal loss on the Gaussian heatmap, L1 on the sub-cell offset,
  BCE on direction bins and L1 on the in-bin residual of the positive bins, at junction cells;
* boundaries: per-pixel BCE + Dice;
* reading: cross-entropy over character slots (unreadable rows ignored).
Every function returns scalar tensors that stay connected to the graph even with no positives.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torchvision.ops import generalized_box_iou_loss, sigmoid_focal_loss

from svemath.vision.charset import IGNORE
from svemath.vision.targets import decode_boxes, encode_boxes


def box_losses(
    cls_logits: torch.Tensor,
    deltas: torch.Tensor,
    ctr_logits: torch.Tensor,
    labels: torch.Tensor,
    boxes: torch.Tensor,
    ctr: torch.Tensor,
    points: torch.Tensor,
    strides: torch.Tensor,
) -> dict[str, torch.Tensor]:
    """Inputs ``[B, P, K]``, ``[B, P, 4]``, ``[B, P]``; targets labels ``[B, P]`` (-1 background), boxes
    ``[B, P, 4]``, centerness ``[B, P]``; points ``[P, 2]``, strides ``[P]``."""
    pos = labels >= 0
    num_pos = max(float(pos.sum()), 1.0)
    onehot = torch.zeros_like(cls_logits, dtype=torch.float32)
    if cls_logits.shape[-1] == 1:
        onehot[..., 0] = pos.float()
    else:
        onehot[pos] = F.one_hot(labels[pos], cls_logits.shape[-1]).float()
    cls = sigmoid_focal_loss(cls_logits.float(), onehot, alpha=0.25, gamma=2.0, reduction="sum") / num_pos
    if pos.any():
        b_idx, p_idx = pos.nonzero(as_tuple=True)
        pred = decode_boxes(deltas[b_idx, p_idx].float(), points[p_idx], strides[p_idx])
        giou = generalized_box_iou_loss(pred, boxes[b_idx, p_idx], reduction="mean")
        target = encode_boxes(boxes[b_idx, p_idx], points[p_idx], strides[p_idx])
        l1 = F.smooth_l1_loss(deltas[b_idx, p_idx].float(), target, beta=0.1)
        centerness = F.binary_cross_entropy_with_logits(ctr_logits[b_idx, p_idx].float(), ctr[b_idx, p_idx])
    else:
        giou = l1 = deltas.sum() * 0.0
        centerness = ctr_logits.sum() * 0.0
    return {"cls": cls, "box": giou, "l1": l1, "ctr": centerness}


def heatmap_focal_loss(
    logits: torch.Tensor, target: torch.Tensor, alpha: float = 2.0, beta: float = 4.0
) -> torch.Tensor:
    """CenterNet focal loss: positives where target == 1, negatives down-weighted by (1 - target)^beta."""
    p = torch.sigmoid(logits.float()).clamp(1e-4, 1 - 1e-4)
    pos = target.eq(1).float()
    neg = 1.0 - pos
    pos_loss = -torch.log(p) * (1 - p) ** alpha * pos
    neg_loss = -torch.log(1 - p) * p**alpha * (1 - target) ** beta * neg
    return (pos_loss.sum() + neg_loss.sum()) / pos.sum().clamp(min=1.0)


def junction_losses(
    outputs: dict[str, torch.Tensor], targets: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """Outputs from JunctionHead; targets stacked from targets.encode_junctions (``[B, ...]``)."""
    heat = heatmap_focal_loss(outputs["junction_heatmap"], targets["heatmap"])
    center = targets["center"]  # [B, g, g]
    if center.any():
        off_pred = torch.sigmoid(outputs["junction_offset"].float()).permute(0, 2, 3, 1)[center]  # [J, 2]
        off = F.l1_loss(off_pred, targets["offset"].permute(0, 2, 3, 1)[center])
        bins_logits = outputs["junction_bins"].float().permute(0, 2, 3, 1)[center]  # [J, K]
        bins_t = targets["bins"].permute(0, 2, 3, 1)[center]
        bins = F.binary_cross_entropy_with_logits(bins_logits, bins_t)
        res_pred = torch.sigmoid(outputs["junction_residual"].float()).permute(0, 2, 3, 1)[center]
        res_t = targets["residual"].permute(0, 2, 3, 1)[center]
        on = bins_t > 0
        residual = F.l1_loss(res_pred[on], res_t[on]) if on.any() else res_pred.sum() * 0.0
    else:
        zero = outputs["junction_offset"].sum() * 0.0
        off = bins = residual = (
            zero + outputs["junction_bins"].sum() * 0.0 + outputs["junction_residual"].sum() * 0.0
        )
    return {"heatmap": heat, "offset": off, "angle": bins, "residual": residual}


def dice_loss(logits: torch.Tensor, target: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    p = torch.sigmoid(logits.float()).flatten(1)
    t = target.flatten(1)
    inter = (p * t).sum(-1)
    return (1 - (2 * inter + eps) / (p.sum(-1) + t.sum(-1) + eps)).mean()


def boundary_losses(logits: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
    """``logits [B, h, w]``, ``target [B, h, w]`` in {0, 1}."""
    bce = F.binary_cross_entropy_with_logits(logits.float(), target)
    return {"bce": bce, "dice": dice_loss(logits, target)}


def reading_loss(logits: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """``logits [R, L + 1, V]``, ``ids [R, L + 1]`` (IGNORE = masked)."""
    if logits.numel() == 0 or not (ids != IGNORE).any():
        return logits.sum() * 0.0
    return F.cross_entropy(logits.float().flatten(0, 1), ids.flatten(), ignore_index=IGNORE)


def ctc_reading_loss(logits: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """CTC over column logits ``[R, T, V]`` (blank = 0) against slot ids ``[R, L + 1]`` (characters, then END,
    then IGNORE). Mean over labels of the per-character loss (``F.ctc_loss`` ``reduction="mean"``)."""
    keep = ids[:, 0] != IGNORE
    if logits.numel() == 0 or not keep.any():
        return logits.sum() * 0.0
    logits, ids = logits[keep], ids[keep]
    chars = ids.clamp(min=0)
    lengths = (chars > 0).cumprod(-1).sum(-1)  # characters before the END token
    targets = torch.cat([row[:n] for row, n in zip(chars, lengths.tolist())])
    log_probs = logits.float().log_softmax(-1).transpose(0, 1)  # [T, R, V]
    input_lengths = torch.full((logits.shape[0],), logits.shape[1], dtype=torch.long)
    return F.ctc_loss(log_probs, targets, input_lengths, lengths, blank=0, zero_infinity=True)
