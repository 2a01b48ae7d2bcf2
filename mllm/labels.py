"""Label tokens: the text labels GeoGLIP reads, handed to the language model as soft characters.

Not in the paper. GeoGLIP's label-reading head detects every text label of a diagram and reads it
character by character; reading the values written in a diagram is the first thing its math needs, and
a small LM trained on a CPU does not learn to decode characters from pooled feature maps (DESIGN.md).
So, besides the router's grid tokens, the model gets ``label_slots`` extra image tokens:

1. :func:`read_labels` (frozen GeoGLIP, cacheable like the other tower features): detect text boxes,
   order them in reading order (rows top to bottom, then left to right), read each one (per-slot
   character distributions) and pack the characters of successive labels into ``S`` slots, one slot per
   character and a separator slot after each label: ``label_probs [B, S, V]`` (the reader's
   distribution over its charset, END at 0), ``label_boxes [B, S, 4]`` (the owning label's box,
   normalised to [0, 1]) and ``label_kind [B, S]`` (0 empty, 1 character, 2 separator).
2. :class:`LabelEmbedder` turns a slot into an LM input vector: the expected *LM embedding* of its
   character (``probs @ E``, where row c of ``E`` is the LM's own input embedding of character c when
   the tokenizer has it as one token, else a learned vector), plus an embedding of the box (an MLP,
   optionally plus a linear map of sin/cos box features: ``label_box_octaves``) and of the slot kind.
   The LM thus reads "4", "7", "°" as (soft) versions of tokens it writes itself: copying a
   read value into the chain of thought is a lookup, not a decoding problem.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from svemath.errors import ConfigError

KIND_EMPTY, KIND_CHAR, KIND_SEP = 0, 1, 2
LABEL_KEYS = ("label_probs", "label_boxes", "label_kind")


def reading_order(boxes: torch.Tensor) -> list[int]:
    """Indices of ``boxes [K, 4]`` in reading order: rows (by centre y, a row spans half the median box
    height) top to bottom, left to right within a row."""
    if boxes.shape[0] == 0:
        return []
    cy = ((boxes[:, 1] + boxes[:, 3]) / 2).tolist()
    cx = ((boxes[:, 0] + boxes[:, 2]) / 2).tolist()
    row_h = max(1.0, float((boxes[:, 3] - boxes[:, 1]).median()) * 0.5)
    return sorted(range(len(cy)), key=lambda i: (round(cy[i] / row_h), cx[i]))


def labels_that_fit(lengths: Sequence[int], slots: int) -> list[int]:
    """Indices of the labels (``lengths`` in packing order) that :func:`read_labels` packs into ``slots``:
    a label takes its length plus a separator slot, empty reads are skipped, and packing stops at the
    first label that does not fit."""
    kept, pos = [], 0
    for k, n in enumerate(lengths):
        if n == 0:
            continue
        if pos + n + 1 > slots:
            break
        kept.append(k)
        pos += n + 1
    return kept


@torch.no_grad()
def read_labels(
    geoglip: nn.Module, features: Any, slots: int, score_threshold: float | None = None
) -> dict[str, torch.Tensor]:
    """Detected and read labels of every image, packed into ``slots`` character slots (see above)."""
    from svemath.vision.geoglip import STRIDES
    from svemath.vision.postprocess import decode_detections
    from svemath.vision.targets import level_points

    cfg = geoglip.cfg
    det = cfg.detector
    levels = [features.level(n) for n in det.levels]
    t_cls, t_box, t_ctr = geoglip.text_head(levels)
    points, point_strides, _ = level_points(
        [x.shape[-1] for x in levels], [STRIDES[n] for n in det.levels], device=features.b3.device
    )
    batch = features.b3.shape[0]
    size = float(features.image_size)
    vocab = geoglip.charset.num_classes
    device = features.b3.device
    probs = torch.zeros(batch, slots, vocab, device=device)
    boxes_out = torch.zeros(batch, slots, 4, device=device)
    kind = torch.zeros(batch, slots, device=device)
    thr = det.score_threshold if score_threshold is None else score_threshold
    per_image, rois = [], []
    for i in range(batch):
        boxes, _, _ = decode_detections(
            t_cls[i], t_box[i], t_ctr[i], points, point_strides, thr, det.text_nms_iou, det.max_detections
        )
        boxes = boxes[reading_order(boxes)] if boxes.shape[0] else boxes
        per_image.append(boxes)
        rois.append(torch.cat([torch.full_like(boxes[:, :1], i), boxes], 1))
    rois_all = torch.cat(rois)
    if rois_all.shape[0] == 0:
        return {"label_probs": probs, "label_boxes": boxes_out, "label_kind": kind}
    # one reading pass over every box of the batch (the reader is per box, so this equals per-image calls)
    char_probs_all = geoglip.read(features, rois_all).float().softmax(-1)  # [R, max_len + 1, V] (slots)
    lengths_all = char_probs_all.argmax(-1).eq(0).float().argmax(-1).tolist()  # first END per label
    start = 0
    for i, boxes in enumerate(per_image):
        char_probs = char_probs_all[start : start + boxes.shape[0]]
        lengths = lengths_all[start : start + boxes.shape[0]]
        start += boxes.shape[0]
        pos = 0
        for k in labels_that_fit([int(n) for n in lengths], slots):
            n = int(lengths[k])
            probs[i, pos : pos + n] = char_probs[k, :n]
            box = (boxes[k] / size).clamp(0, 1)
            boxes_out[i, pos : pos + n + 1] = box
            kind[i, pos : pos + n] = KIND_CHAR
            kind[i, pos + n] = KIND_SEP
            pos += n + 1
    return {"label_probs": probs, "label_boxes": boxes_out, "label_kind": kind}


def slot_strings(labels: dict[str, torch.Tensor], charset: Any, row: int = 0) -> list[str]:
    """The label strings packed in image ``row``'s slots (argmax characters), in slot order: the
    inverse of :func:`read_labels`' packing, for diagnostics."""
    strings, current = [], ""
    for kind, probs in zip(labels["label_kind"][row].tolist(), labels["label_probs"][row]):
        if kind == KIND_CHAR:
            current += charset.decode([int(probs.argmax())])
        elif kind == KIND_SEP:
            strings.append(current)
            current = ""
    return strings


def box_fourier_features(boxes: torch.Tensor, octaves: int) -> torch.Tensor:
    """``boxes [..., 4]`` (normalised) -> ``[..., 8 * octaves]``: sin and cos of each coordinate at
    frequencies ``2^k * pi``, k < ``octaves``, in float32 whatever the input dtype (sin(2^7 pi x) needs
    the precision)."""
    freqs = math.pi * 2.0 ** torch.arange(octaves, dtype=torch.float32, device=boxes.device)
    angles = boxes.float()[..., None] * freqs  # [..., 4, octaves]
    return torch.cat([angles.sin(), angles.cos()], -1).flatten(-2)


class LabelEmbedder(nn.Module):
    """Packed label slots -> LM input vectors ``[B, S, D]`` (see the module docstring).

    ``char_token_ids[c]`` is the LM token id of reader character c (index 0 is END), or -1 when the
    tokenizer has no single token for it (those characters get a learned vector)."""

    def __init__(self, char_token_ids: list[int], hidden_size: int, box_octaves: int = 0) -> None:
        super().__init__()
        ids = torch.tensor(char_token_ids, dtype=torch.long)
        # persistent: saved with the weights, so a checkpoint loads them whatever the init path
        self.register_buffer("char_token_ids", ids.clamp(min=0))
        self.register_buffer("has_token", (ids >= 0).float()[:, None])
        self.extra = nn.Parameter(torch.randn(len(char_token_ids), hidden_size) * 0.02)
        self.box = nn.Sequential(nn.Linear(4, hidden_size), nn.GELU(), nn.Linear(hidden_size, hidden_size))
        self.kind = nn.Embedding(3, hidden_size)
        nn.init.normal_(self.kind.weight, std=0.02)
        self.box_fourier: nn.Linear | None = None
        if box_octaves:
            self.add_box_fourier(box_octaves)

    @property
    def box_octaves(self) -> int:
        """Octaves of the sin/cos box code (0: none): its layer maps ``8 * octaves`` features."""
        return 0 if self.box_fourier is None else self.box_fourier.in_features // 8

    def add_box_fourier(self, octaves: int) -> None:
        """Add ``Linear(fourier(box))`` to the box encoding: sin/cos of the 4 normalised box coordinates
        at frequencies ``2^k * pi``, k < ``octaves`` (``[.., 4 * 2 * octaves]``), mapped to the hidden size
        by a zero-initialised linear layer, so that a trained embedder's outputs are unchanged until it
        learns. Sin/cos features make "same row" / "same column" a dot product the LM's attention can
        compute; the box MLP alone gives nearly the same vector to every label (copy-diagnosis.md)."""
        if not isinstance(octaves, int) or isinstance(octaves, bool) or not 1 <= octaves <= 16:
            raise ConfigError(f"label box octaves must be an integer in 1..16, got {octaves!r}")
        hidden = self.extra.shape[1]
        linear = nn.Linear(8 * octaves, hidden, bias=False, device=self.extra.device, dtype=self.extra.dtype)
        nn.init.zeros_(linear.weight)
        self.box_fourier = linear

    def encode_boxes(self, boxes: torch.Tensor) -> torch.Tensor:
        """``boxes [B, S, 4]`` (normalised xyxy) -> ``[B, S, D]``: the box MLP, plus the Fourier term."""
        out = self.box(boxes.to(self.extra.dtype))
        if self.box_fourier is not None:
            feats = box_fourier_features(boxes, self.box_octaves)
            out = out + self.box_fourier(feats.to(self.box_fourier.weight.dtype)).to(out.dtype)
        return out

    def forward(self, features: dict[str, torch.Tensor], token_embeddings: nn.Embedding) -> torch.Tensor:
        probs = features["label_probs"].to(self.extra.dtype)
        lm_rows = F.embedding(self.char_token_ids, token_embeddings.weight).to(self.extra.dtype)
        table = self.has_token * lm_rows + (1 - self.has_token) * self.extra  # [V, D]
        kind = features["label_kind"].long()
        mask = (kind > 0).to(self.extra.dtype)[..., None]
        vec = probs @ table + self.encode_boxes(features["label_boxes"]) * mask
        return vec + self.kind(kind)


def char_token_ids(charset: str, tokenizer: Any) -> list[int]:
    """LM token id of each reader character (END first, as -1), -1 when not a single token."""
    ids = [-1]
    for ch in charset:
        tok = tokenizer(ch, add_special_tokens=False).input_ids
        ids.append(tok[0] if len(tok) == 1 else -1)
    return ids
