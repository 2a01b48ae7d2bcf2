"""Perception metrics on hand-computed cases (svemath.vision.metrics)."""

from __future__ import annotations

import pytest
import torch

from svemath.vision.metrics import (
    boundary_fscore,
    junction_prf,
    reading_end_to_end,
    recognition_exact_match,
    shape_map,
)

GT = [
    {"boxes": [[0, 0, 10, 10], [20, 20, 40, 40]], "labels": ["circle", "square"]},
    {"boxes": [[5, 5, 15, 15]], "labels": ["circle"]},
]


def test_perfect_detections_give_map_one():
    preds = [{"boxes": g["boxes"], "scores": [0.9] * len(g["labels"]), "labels": g["labels"]} for g in GT]
    out = shape_map(preds, GT)
    assert out["map"] == pytest.approx(1.0) and out["ap"] == {"circle": 1.0, "square": 1.0}


def test_missed_box_and_false_positive_lower_ap_as_computed_by_hand():
    preds = [
        # circle: one hit (0.9), one false positive (0.8) on image 0; the circle of image 1 is missed
        {"boxes": [[0, 0, 10, 10], [50, 50, 60, 60], [20, 20, 40, 40]], "scores": [0.9, 0.8, 0.7],
         "labels": ["circle", "circle", "square"]},
        {"boxes": [], "scores": [], "labels": []},
    ]  # fmt: skip
    out = shape_map(preds, GT)
    # circle PR points: (r=0.5, p=1), (r=0.5, p=0.5) -> AP = 0.5 ; square AP = 1
    assert out["ap"]["circle"] == pytest.approx(0.5)
    assert out["map"] == pytest.approx(0.75)


def test_ranking_matters_in_ap():
    gt = [{"boxes": [[0, 0, 10, 10], [20, 0, 30, 10]], "labels": ["c", "c"]}]
    fp_first = [{"boxes": [[50, 50, 60, 60], [0, 0, 10, 10], [20, 0, 30, 10]], "scores": [0.9, 0.8, 0.7],
                 "labels": ["c", "c", "c"]}]  # fmt: skip
    # PR: (0, 0), (0.5, 1/2), (1, 2/3) -> interpolated precision 2/3 on both recall steps
    assert shape_map(fp_first, gt)["map"] == pytest.approx(2 / 3)
    loose = [{"boxes": [[0, 0, 10, 14]], "scores": [1.0], "labels": ["c"]}]  # IoU 100/140 = 0.71
    assert shape_map(loose, gt)["map"] == pytest.approx(0.5)
    assert shape_map(loose, gt, iou_threshold=0.75)["map"] == pytest.approx(0.0)


def test_junction_radius_threshold():
    gt = [[[10.0, 10.0], [50.0, 50.0]]]
    pred = [[[12.0, 10.0], [50.0, 54.0]]]  # distances 2 and 4
    assert junction_prf(pred, gt, radius=4.0)["f1"] == pytest.approx(1.0)
    out = junction_prf(pred, gt, radius=3.0)
    assert out["tp"] == 1 and out["precision"] == pytest.approx(0.5) and out["recall"] == pytest.approx(0.5)
    # one prediction cannot match two GT points
    out = junction_prf([[[30.0, 30.0]]], [[[29.0, 30.0], [31.0, 30.0]]], radius=5.0)
    assert out["tp"] == 1 and out["recall"] == pytest.approx(0.5) and out["precision"] == pytest.approx(1.0)


def test_junction_angles_must_agree_when_asked():
    gt, pred = [[[10.0, 10.0]]], [[[10.0, 10.0]]]
    kw = {"gt_angles": [[[0.0, 90.0]]], "angle_tolerance": 5.0}
    assert junction_prf(pred, gt, 2.0, pred_angles=[[[358.0, 92.0]]], **kw)["f1"] == 1.0  # wraps around 0
    assert junction_prf(pred, gt, 2.0, pred_angles=[[[0.0, 100.0]]], **kw)["f1"] == 0.0
    assert junction_prf(pred, gt, 2.0, pred_angles=[[[0.0, 90.0, 180.0]]], **kw)["f1"] == 0.0


def test_boundary_fscore_with_tolerance():
    gt = torch.zeros(20, 20)
    gt[10, :] = 1
    assert boundary_fscore(gt.clone(), gt)["f"] == pytest.approx(1.0)
    shifted = torch.zeros(20, 20)
    shifted[11, :] = 1
    assert boundary_fscore(shifted, gt, tolerance=1)["f"] == pytest.approx(1.0)
    assert boundary_fscore(shifted, gt, tolerance=0)["f"] == pytest.approx(0.0)
    half = torch.zeros(20, 20)
    half[10, :10] = 1
    out = boundary_fscore(half, gt, tolerance=0)
    assert out["precision"] == pytest.approx(1.0) and out["recall"] == pytest.approx(0.5)
    assert out["f"] == pytest.approx(2 / 3)


def test_reading_metrics():
    gt_boxes = [[[0, 0, 20, 10], [50, 50, 70, 60]]]
    gt_strings = [["47°", "A"]]
    pred_boxes = [[[1, 0, 20, 10], [50, 50, 70, 60], [100, 100, 110, 110]]]
    out = reading_end_to_end(pred_boxes, [["47°", "B", "x"]], gt_boxes, gt_strings)
    assert (
        out["correct"] == 1
        and out["exact_match"] == pytest.approx(0.5)
        and out["precision"] == pytest.approx(1 / 3)
    )
    perfect = reading_end_to_end(gt_boxes, gt_strings, gt_boxes, gt_strings)
    assert perfect["exact_match"] == 1.0 and perfect["f1"] == 1.0
    assert recognition_exact_match(["47°", "B"], ["47°", "A"]) == pytest.approx(0.5)
