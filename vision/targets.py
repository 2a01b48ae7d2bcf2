"""Annotations -> GeoGLIP training targets, and the dense encodings the losses and decoders share.

``targets_from_annotations`` maps a record's ``annotations`` (saved-image pixels, INTERFACES.md) into
model-input pixels (``x' = (x + dx) * scale``) and returns ``ImageTargets``. Dense encodings:

* boxes (shape and text detectors): points at the centres of the detector levels' cells (P3..P5, or
  P2..P5); each GT box goes to one level by its half-size (``DetectorConfig.level_bounds``); positives are
  the points within ``min(radius * stride, max(half extent, stride / 2))`` of the box centre on each axis
  (so thin boxes such as line segments still get a point), ties to the smallest box. Box deltas:
  ``(dx, dy)`` = centre offset in strides, ``(log w, log h)`` in strides (boxes narrower than 1 px are
  widened to 1 px).
* junctions on the B3 grid: Gaussian heatmap (1 at the junction's cell), sub-cell offset in [0, 1),
  direction bins of ``360 / num_bins`` degrees with the in-bin residual in [0, 1).
* boundaries: the boundary map padded like the image and max-pooled to ``size / stride`` (thin lines
  survive the downsampling).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from svemath.data.schema import valid_refers
from svemath.errors import DataFormatError
from svemath.vision.charset import Charset
from svemath.vision.config import GeoGLIPConfig

MIN_BOX_SIZE = 1.0


@dataclass
class ImageTargets:
    """Targets of one image in model-input pixels (``size`` x ``size``)."""

    size: int
    shape_boxes: torch.Tensor  # [M, 4] x0, y0, x1, y1
    shape_labels: torch.Tensor  # [M] index into the class list
    text_boxes: torch.Tensor  # [T, 4]
    text_strings: list[str]
    text_ids: torch.Tensor  # [T, max_len + 1] slot ids (IGNORE rows for unreadable strings)
    junction_xy: torch.Tensor  # [J, 2]
    junction_angles: list[list[float]]
    boundary: torch.Tensor | None = None  # [size / stride, size / stride] in {0, 1}
    stats: dict[str, int] = field(default_factory=dict)  # unreadable strings, collisions, ...
    text_links: list[tuple[int, int]] = field(default_factory=list)  # (i, j): text i refers to text j

    def to(self, device: torch.device | str) -> ImageTargets:
        kw = {f.name: getattr(self, f.name) for f in fields(self)}
        for k, v in kw.items():
            if isinstance(v, torch.Tensor):
                kw[k] = v.to(device)
        return ImageTargets(**kw)


# ---------------------------------------------------------------------------------------------- parsing
def _box(value: Any, where: str) -> list[float]:
    if not (isinstance(value, (list, tuple)) and len(value) == 4):
        raise DataFormatError(f"{where}: box must be [x0, y0, x1, y1], got {value!r}")
    try:
        x0, y0, x1, y1 = (float(v) for v in value)
    except (TypeError, ValueError):
        raise DataFormatError(f"{where}: box values must be numbers, got {value!r}") from None
    if x1 < x0 or y1 < y0 or not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        raise DataFormatError(f"{where}: box {value!r} has x1 < x0 or y1 < y0 or a non-finite value")
    return [x0, y0, x1, y1]


def _map_boxes(boxes: list[list[float]], scale: float, offset: Sequence[float]) -> torch.Tensor:
    t = torch.tensor(boxes, dtype=torch.float32).view(-1, 4)
    shift = torch.tensor([offset[0], offset[1], offset[0], offset[1]], dtype=torch.float32)
    return (t + shift) * scale


def boundary_target(
    boundary: Image.Image | np.ndarray, offset: Sequence[int], size: int, stride: int
) -> torch.Tensor:
    """Boundary map of the saved image -> ``[size / stride, size / stride]`` {0, 1} (pad like the image,
    then adaptive max pooling so one-pixel strokes survive)."""
    arr = np.asarray(boundary.convert("L") if isinstance(boundary, Image.Image) else boundary)
    if arr.ndim != 2:
        raise DataFormatError(f"boundary map must be a single-channel image, got shape {arr.shape}")
    h, w = arr.shape
    side = max(h, w)
    canvas = torch.zeros(side, side)
    canvas[offset[1] : offset[1] + h, offset[0] : offset[0] + w] = torch.from_numpy(
        (arr > 127).astype(np.float32)
    )
    out = size // stride
    return F.adaptive_max_pool2d(canvas[None, None], (out, out))[0, 0]


def targets_from_annotations(
    annotations: dict[str, Any],
    scale: float,
    offset: Sequence[float],
    size: int,
    cfg: GeoGLIPConfig,
    *,
    class_names: Sequence[str] | None = None,
    boundary: Image.Image | np.ndarray | None = None,
    where: str = "annotations",
) -> ImageTargets:
    """Build ``ImageTargets`` from one record's annotations (saved-image pixels).

    ``class_names`` defaults to ``cfg.shape_classes``; an unknown class raises DataFormatError.
    ``boundary`` is the loaded boundary map (the record's ``annotations["boundary"]`` file, mode "L").
    """
    if not isinstance(annotations, dict):
        raise DataFormatError(f"{where}: annotations must be a mapping, got {type(annotations).__name__}")
    names = list(class_names if class_names is not None else cfg.shape_classes)
    index = {n: i for i, n in enumerate(names)}
    boxes, labels = [], []
    for i, shape in enumerate(annotations.get("shapes", []) or []):
        w = f"{where}.shapes[{i}]"
        if not isinstance(shape, dict) or "cls" not in shape or "box" not in shape:
            raise DataFormatError(f"{w}: expected {{'cls': str, 'box': [x0,y0,x1,y1]}}, got {shape!r}")
        if shape["cls"] not in index:
            raise DataFormatError(f"{w}: unknown shape class {shape['cls']!r}; known: {', '.join(names)}")
        boxes.append(_box(shape["box"], w))
        labels.append(index[shape["cls"]])
    texts, strings, links = [], [], []
    items = annotations.get("texts", []) or []
    for i, item in enumerate(items):
        w = f"{where}.texts[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or "box" not in item:
            raise DataFormatError(f"{w}: expected {{'box': [x0,y0,x1,y1], 'text': str}}, got {item!r}")
        texts.append(_box(item["box"], w))
        strings.append(item["text"])
        refers = item.get("refers", [])
        if not valid_refers(refers, i, len(items)):
            raise DataFormatError(f"{w}: 'refers' must list indices of other texts, got {refers!r}")
        links += [(i, j) for j in refers]
    xy, angles = [], []
    for i, junction in enumerate(annotations.get("junctions", []) or []):
        w = f"{where}.junctions[{i}]"
        if not isinstance(junction, dict) or "xy" not in junction:
            raise DataFormatError(f"{w}: expected {{'xy': [x, y], 'angles': [deg, ...]}}, got {junction!r}")
        p = junction["xy"]
        a = junction.get("angles", []) or []
        if not (isinstance(p, (list, tuple)) and len(p) == 2) or not isinstance(a, (list, tuple)):
            raise DataFormatError(f"{w}: bad junction {junction!r}")
        try:
            xy.append([(float(p[0]) + offset[0]) * scale, (float(p[1]) + offset[1]) * scale])
            angles.append([float(v) % 360.0 for v in a])
        except (TypeError, ValueError):
            raise DataFormatError(f"{w}: junction values must be numbers, got {junction!r}") from None
    charset = Charset(cfg.reader.charset, cfg.reader.max_len)
    ids, readable = charset.encode_batch(strings)
    bmap = None
    if boundary is not None:
        bw, bh = boundary.size if isinstance(boundary, Image.Image) else boundary.shape[::-1][:2]
        if abs(max(bw, bh) * scale - size) > 1.0:
            raise DataFormatError(
                f"{where}: boundary map is {bw}x{bh}, which does not match the image (scale {scale:.4f}, size {size})"
            )
        bmap = boundary_target(boundary, [int(o) for o in offset], size, cfg.boundary.stride)
    return ImageTargets(
        size=size,
        shape_boxes=_map_boxes(boxes, scale, offset),
        shape_labels=torch.tensor(labels, dtype=torch.long),
        text_boxes=_map_boxes(texts, scale, offset),
        text_strings=strings,
        text_ids=ids,
        junction_xy=torch.tensor(xy, dtype=torch.float32).view(-1, 2),
        junction_angles=angles,
        boundary=bmap,
        stats={"unreadable_strings": int((~readable).sum())},
        text_links=links,
    )


# --------------------------------------------------------------------------------------- box encoding
def level_points(
    grids: Sequence[int], strides: Sequence[int], device: torch.device | str | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Cell centres of square levels of side ``grids[l]`` and stride ``strides[l]``, concatenated:
    points ``[P, 2]``, stride ``[P]``, level index ``[P]``."""
    pts, strd, lvl = [], [], []
    for li, (n, s) in enumerate(zip(grids, strides)):
        c = (torch.arange(n, dtype=torch.float32) + 0.5) * s
        yy, xx = torch.meshgrid(c, c, indexing="ij")
        pts.append(torch.stack([xx.flatten(), yy.flatten()], -1))
        strd.append(torch.full((n * n,), float(s)))
        lvl.append(torch.full((n * n,), li, dtype=torch.long))
    return torch.cat(pts).to(device), torch.cat(strd).to(device), torch.cat(lvl).to(device)


def clamp_boxes(boxes: torch.Tensor) -> torch.Tensor:
    """Widen boxes narrower/shorter than MIN_BOX_SIZE around their centre."""
    c = (boxes[:, :2] + boxes[:, 2:]) / 2
    wh = (boxes[:, 2:] - boxes[:, :2]).clamp(min=MIN_BOX_SIZE)
    return torch.cat([c - wh / 2, c + wh / 2], -1)


def encode_boxes(boxes: torch.Tensor, points: torch.Tensor, strides: torch.Tensor) -> torch.Tensor:
    """Boxes ``[P, 4]`` at points ``[P, 2]`` -> deltas ``[P, 4]`` (dx, dy, log w, log h) in strides."""
    boxes = clamp_boxes(boxes)
    s = strides[:, None]
    c = (boxes[:, :2] + boxes[:, 2:]) / 2
    wh = boxes[:, 2:] - boxes[:, :2]
    return torch.cat([(c - points) / s, torch.log(wh / s)], -1)


def decode_boxes(deltas: torch.Tensor, points: torch.Tensor, strides: torch.Tensor) -> torch.Tensor:
    """Inverse of ``encode_boxes``; works on ``[..., P, 4]``."""
    s = strides[..., None]
    c = points + deltas[..., :2] * s
    wh = torch.exp(deltas[..., 2:].clamp(max=10.0)) * s
    return torch.cat([c - wh / 2, c + wh / 2], -1)


def assign_boxes(
    boxes: torch.Tensor,
    labels: torch.Tensor,
    points: torch.Tensor,
    strides: torch.Tensor,
    levels: torch.Tensor,
    level_bounds: Sequence[float],
    radius: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Assign GT boxes to points. Returns (label ``[P]`` (-1 background), box ``[P, 4]``, centerness ``[P]``)."""
    num_points = points.shape[0]
    out_labels = torch.full((num_points,), -1, dtype=torch.long)
    out_boxes = torch.zeros(num_points, 4)
    out_ctr = torch.zeros(num_points)
    if boxes.numel() == 0:
        return out_labels, out_boxes, out_ctr
    boxes = clamp_boxes(boxes.float())
    wh = boxes[:, 2:] - boxes[:, :2]  # [M, 2]
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    bounds = torch.tensor(level_bounds, dtype=torch.float32)
    half = wh.max(-1).values / 2
    gt_level = (half[:, None] > bounds[None, :]).sum(-1).clamp(max=len(level_bounds) - 1)  # [M]
    s = strides[:, None, None]  # [P, 1, 1]
    reach = torch.minimum(radius * s, torch.maximum(wh[None] / 2, s / 2))  # [P, M, 2]
    near = ((points[:, None, :] - centre[None]).abs() <= reach).all(-1)  # [P, M]
    cand = near & (levels[:, None] == gt_level[None, :])
    area = (wh[:, 0] * wh[:, 1])[None].expand(num_points, -1)
    area = torch.where(cand, area, torch.full_like(area, float("inf")))
    best_area, best = area.min(-1)
    pos = torch.isfinite(best_area)
    out_labels[pos] = labels[best[pos]]
    out_boxes[pos] = boxes[best[pos]]
    p, b = points[pos], out_boxes[pos]
    half_s = strides[pos, None] / 2
    lr = torch.stack([p[:, 0] - b[:, 0], b[:, 2] - p[:, 0]], -1).clamp(min=half_s)
    tb = torch.stack([p[:, 1] - b[:, 1], b[:, 3] - p[:, 1]], -1).clamp(min=half_s)
    ctr = (lr.min(-1).values / lr.max(-1).values) * (tb.min(-1).values / tb.max(-1).values)
    out_ctr[pos] = ctr.sqrt()
    return out_labels, out_boxes, out_ctr


# ---------------------------------------------------------------------------------- junction encoding
def encode_junctions(
    xy: torch.Tensor, angles: Sequence[Sequence[float]], grid: int, stride: int, num_bins: int, sigma: float
) -> dict[str, torch.Tensor | int]:
    """Dense junction targets on a ``grid x grid`` map of ``stride``.

    Returns heatmap ``[g, g]``, center ``[g, g]`` (bool), offset ``[2, g, g]``, bins ``[K, g, g]``,
    residual ``[K, g, g]`` and the counts of dropped junctions/angles (same cell / same bin).
    """
    heat = torch.zeros(grid, grid)
    center = torch.zeros(grid, grid, dtype=torch.bool)
    offset = torch.zeros(2, grid, grid)
    bins = torch.zeros(num_bins, grid, grid)
    residual = torch.zeros(num_bins, grid, grid)
    dropped_junctions = dropped_angles = 0
    bin_width = 360.0 / num_bins
    # the loop only decides which junction owns a cell and which angle a bin (first come, first kept) in plain
    # Python; the maps are written once at the end (per-element tensor indexing was most of the cost)
    cells: dict[tuple[int, int], tuple[float, float]] = {}  # (cx, cy) -> sub-cell offset
    hits: dict[tuple[int, int, int], float] = {}  # (bin, cy, cx) -> in-bin residual
    for (x, y), angs in zip(xy.tolist(), angles):
        u, v = x / stride, y / stride
        cx, cy = min(max(math.floor(u), 0), grid - 1), min(max(math.floor(v), 0), grid - 1)
        if (cx, cy) in cells:
            dropped_junctions += 1
            continue
        cells[(cx, cy)] = (u - cx, v - cy)
        for a in angs:
            q = (a % 360.0) / bin_width
            k = min(math.floor(q), num_bins - 1)
            if (k, cy, cx) in hits:
                dropped_angles += 1
                continue
            hits[(k, cy, cx)] = q - k
    if cells:
        c = torch.tensor(list(cells))  # [J, 2] (cx, cy)
        center[c[:, 1], c[:, 0]] = True
        offset[:, c[:, 1], c[:, 0]] = torch.tensor(list(cells.values())).T
        # the max of the junctions' Gaussians is the Gaussian of the nearest junction: one exp over the grid
        ys, xs = torch.meshgrid(torch.arange(grid), torch.arange(grid), indexing="ij")
        d2 = ((xs - c[:, 0, None, None]) ** 2 + (ys - c[:, 1, None, None]) ** 2).amin(0)  # [g, g]
        heat = torch.exp(-d2.float() / (2 * sigma**2))
    if hits:
        h = torch.tensor(list(hits))  # [A, 3] (bin, cy, cx)
        bins[h[:, 0], h[:, 1], h[:, 2]] = 1.0
        residual[h[:, 0], h[:, 1], h[:, 2]] = torch.tensor(list(hits.values()))
    heat[center] = 1.0
    return {
        "heatmap": heat,
        "center": center,
        "offset": offset,
        "bins": bins,
        "residual": residual,
        "dropped_junctions": dropped_junctions,
        "dropped_angles": dropped_angles,
    }
