"""Target encoding <-> decoding round trips, annotation mapping and errors (svemath.vision.targets)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from svemath.errors import DataFormatError
from svemath.vision.charset import IGNORE, Charset
from svemath.vision.config import CHARSET, geoglip_config
from svemath.vision.postprocess import decode_detections, decode_junctions
from svemath.vision.targets import (
    assign_boxes,
    boundary_target,
    encode_boxes,
    encode_junctions,
    level_points,
    targets_from_annotations,
)
from svemath.vision.transforms import square_resize

BIG = 30.0


def _perfect_box_logits(labels, boxes, ctr, points, strides, num_classes):
    """Logits a perfect detector would output for the given dense targets."""
    cls = torch.full((len(points), num_classes), -BIG)
    pos = labels >= 0
    cls[pos, labels[pos]] = BIG
    deltas = torch.zeros(len(points), 4)
    deltas[pos] = encode_boxes(boxes[pos], points[pos], strides[pos])
    ctr_logit = torch.logit(ctr.clamp(1e-4, 1 - 1e-4))
    ctr_logit[pos] = BIG  # any positive centerness keeps the detection
    return cls, deltas, ctr_logit


def test_box_targets_decode_back_to_ground_truth():
    gt = torch.tensor(
        [
            [10.0, 12.0, 90.0, 70.0],
            [120.0, 30.0, 150.0, 42.0],
            [20.0, 150.0, 200.0, 151.0],
            [100, 100, 240, 250],
        ]
    )
    labels = torch.tensor([0, 2, 1, 0])
    points, strides, levels = level_points([32, 16, 8], [8, 16, 32])
    cfg = geoglip_config("tiny").detector
    lab, box, ctr = assign_boxes(gt, labels, points, strides, levels, cfg.level_bounds, cfg.center_radius)
    assert set(lab[lab >= 0].tolist()) == {0, 1, 2}
    # every GT box got at least one positive point (also the 1-px-high line)
    for b in gt:
        assert ((box == b).all(-1) & (lab >= 0)).any()
    cls, deltas, ctr_logit = _perfect_box_logits(lab, box, ctr, points, strides, 3)
    boxes, _, out_labels = decode_detections(cls, deltas, ctr_logit, points, strides, 0.5, 0.6, 100)
    order = torch.argsort(boxes[:, 0] * 1000 + boxes[:, 1])
    expected = torch.argsort(gt[:, 0] * 1000 + gt[:, 1])
    assert len(boxes) == len(gt)
    torch.testing.assert_close(boxes[order], gt[expected], atol=1e-3, rtol=0)
    assert out_labels[order].tolist() == labels[expected].tolist()


def test_level_assignment_by_size_and_smallest_box_wins():
    points, strides, levels = level_points([32, 16, 8], [8, 16, 32])
    small = torch.tensor([[100.0, 100.0, 120.0, 110.0]])
    large = torch.tensor([[0.0, 0.0, 250.0, 250.0]])
    lab, _, _ = assign_boxes(
        torch.cat([large, small]), torch.tensor([0, 1]), points, strides, levels, (32, 64, 1e8), 1.5
    )
    assert set(levels[lab == 1].tolist()) == {0}  # small box on P3
    assert set(levels[lab == 0].tolist()) == {2}  # large box on P5


def test_junction_targets_decode_back():
    xy = torch.tensor([[50.3, 60.7], [130.0, 20.25], [200.9, 201.1]])
    angles = [[0.0, 90.0, 225.5], [12.3, 359.0], []]
    enc = encode_junctions(xy, angles, grid=32, stride=8, num_bins=24, sigma=1.0)
    assert enc["dropped_junctions"] == 0 and enc["dropped_angles"] == 0
    heat_logit = torch.logit(enc["heatmap"].clamp(1e-6, 1 - 1e-6))
    heat_logit[enc["center"]] = BIG
    off_logit = torch.logit(enc["offset"].clamp(1e-7, 1 - 1e-7))
    bins_logit = torch.where(enc["bins"] > 0, BIG, -BIG)
    res_logit = torch.logit(enc["residual"].clamp(1e-7, 1 - 1e-7))
    out_xy, _, out_angles = decode_junctions(heat_logit, off_logit, bins_logit, res_logit, 8, 0.5, 0.5, 100)
    order = out_xy[:, 0].argsort()
    torch.testing.assert_close(out_xy[order], xy, atol=1e-3, rtol=0)
    for j, i in enumerate(order.tolist()):
        assert np.allclose(sorted(out_angles[i]), sorted(angles[j]), atol=1e-3)


def test_junctions_in_one_cell_are_counted():
    enc = encode_junctions(torch.tensor([[10.0, 10.0], [12.0, 11.0]]), [[0.0, 1.0], [5.0]], 32, 8, 24, 1.0)
    assert enc["dropped_junctions"] == 1 and enc["dropped_angles"] == 1


def test_junction_heatmap_is_the_max_of_per_junction_gaussians():
    xy = torch.tensor([[10.0, 10.0], [12.0, 11.0], [100.5, 40.0], [250.0, 255.0], [-3.0, 7.0]])
    enc = encode_junctions(xy, [[0.0]] * 5, grid=32, stride=8, num_bins=24, sigma=1.5)
    ys, xs = torch.meshgrid(torch.arange(32), torch.arange(32), indexing="ij")
    expected = torch.zeros(32, 32)
    for cx, cy in [(1, 1), (12, 5), (31, 31), (0, 0)]:  # the second junction shares the first one's cell
        expected = torch.maximum(
            expected, torch.exp(-((xs - cx) ** 2 + (ys - cy) ** 2).float() / (2 * 1.5**2))
        )
    expected[enc["center"]] = 1.0
    assert int(enc["center"].sum()) == 4 and enc["dropped_junctions"] == 1
    torch.testing.assert_close(enc["heatmap"], expected, atol=0, rtol=0)
    empty = encode_junctions(torch.zeros(0, 2), [], grid=8, stride=8, num_bins=24, sigma=1.0)
    assert float(empty["heatmap"].abs().sum()) == 0.0


def test_string_round_trip_and_unreadable_strings():
    cs = Charset(CHARSET, max_len=12)
    words = ["47°", "AB = 12 cm", "3.5", "π/2", "√3", "x²+1"]
    ids, ok = cs.encode_batch([*words, "日本", "x" * 13])
    assert ok.tolist() == [True] * len(words) + [False, False]
    assert (ids[-2:] == IGNORE).all()
    logits = torch.full((ids.shape[0], ids.shape[1], cs.num_classes), -5.0)
    for r in range(len(words)):
        for k, i in enumerate(ids[r].tolist()):
            logits[r, k, 0 if i == IGNORE else i] = 5.0
    assert cs.decode_logits(logits[: len(words)]) == words


def test_ctc_decoding_and_loss_of_perfect_columns():
    from svemath.vision.losses import ctc_reading_loss

    cs = Charset(CHARSET, max_len=12)
    words = ["11", "47°", "AB = 12 cm"]
    ids, _ = cs.encode_batch(words)
    logits = torch.full((3, 25, cs.num_classes), -8.0)
    for r in range(3):
        chars = [i for i in ids[r].tolist() if i > 0]
        path = [c for ch in chars for c in (ch, 0)]  # every character followed by a blank
        path += [0] * (25 - len(path))
        for t, c in enumerate(path):
            logits[r, t, c] = 8.0
    assert cs.decode_ctc(logits) == words
    assert float(ctc_reading_loss(logits, ids)) < 1e-3
    assert float(ctc_reading_loss(logits.flip(1), ids)) > 1.0  # reversed columns read something else


def test_annotations_map_into_model_pixels():
    from PIL import Image

    cfg = geoglip_config("tiny")
    img = Image.new("RGB", (400, 200), "white")  # pad to 400 x 400, then 256
    _, scale, offset = square_resize(img, 256)
    assert offset == (0, 100) and scale == pytest.approx(0.64)
    anno = {
        "shapes": [{"cls": "circle", "box": [0, 0, 100, 50]}],
        "texts": [{"box": [10, 10, 30, 20], "text": "47°"}, {"box": [1, 1, 2, 2], "text": "日"}],
        "junctions": [{"xy": [200, 100], "angles": [370, -90]}],
    }
    edge = np.zeros((200, 400), np.uint8)
    edge[50, :] = 255  # one-pixel line at y = 50 -> (50 + 100) * 0.64 = 96 -> row 48 at stride 2
    t = targets_from_annotations(anno, scale, offset, 256, cfg, boundary=edge)
    torch.testing.assert_close(t.shape_boxes, torch.tensor([[0.0, 64.0, 64.0, 96.0]]))
    torch.testing.assert_close(t.junction_xy, torch.tensor([[128.0, 128.0]]))
    assert t.junction_angles == [[10.0, 270.0]]
    assert t.stats["unreadable_strings"] == 1
    assert t.boundary.shape == (128, 128) and t.boundary[48].sum() == 128 and t.boundary.sum() == 128
    with pytest.raises(DataFormatError, match="boundary map is 200x100"):
        targets_from_annotations(anno, scale, offset, 256, cfg, boundary=edge[:100, :200])


def test_boundary_target_keeps_thin_lines_when_shrinking():
    edge = np.zeros((512, 512), np.uint8)
    edge[:, 101] = 255
    out = boundary_target(edge, (0, 0), 256, 2)
    assert out.shape == (128, 128) and out[:, 25].all() and out.sum() == 128


@pytest.mark.parametrize(
    "anno, match",
    [
        ({"shapes": [{"cls": "blob", "box": [0, 0, 1, 1]}]}, "unknown shape class 'blob'"),
        ({"shapes": [{"cls": "circle", "box": [5, 0, 1, 1]}]}, r"x1 < x0"),
        ({"texts": [{"box": [0, 0, 1], "text": "a"}]}, r"texts\[0\]: box"),
        ({"junctions": [{"xy": [1]}]}, r"junctions\[0\]"),
    ],
)
def test_bad_annotations_name_the_place(anno, match):
    with pytest.raises(DataFormatError, match=match):
        targets_from_annotations(anno, 1.0, (0, 0), 256, geoglip_config("tiny"), where="data.jsonl:7")
