"""Demo pieces that need no server or model: overlays, step colours and table, aggregation, image intake
caps, the example gallery and the command line's no-model message."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from svemath.demo.render import (
    class_colour,
    counts_summary,
    draw_perception,
    gates_frame,
    score_colour,
    steps_frame,
)
from svemath.demo.service import DemoLimits, DemoService
from svemath.errors import ConfigError, ImageLoadError


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def _seen(**kw):
    base = {"shapes": [], "junctions": [], "texts": [], "boundary": None, "gates": {}}
    return {**base, **kw}


def test_overlay_draws_boxes_above_threshold_only():
    img = Image.new("RGB", (200, 160), "white")
    seen = _seen(
        shapes=[
            {"cls": "triangle", "box": [20, 40, 120, 140], "score": 0.9},
            {"cls": "circle", "box": [130, 40, 190, 100], "score": 0.2},
        ]
    )
    out = np.asarray(draw_perception(img, seen, min_score=0.5))
    assert tuple(out[100, 20]) == _rgb(class_colour("triangle"))  # left edge of the kept box
    assert tuple(out[70, 130]) == (255, 255, 255)  # the low-score circle is not drawn
    assert np.asarray(img).min() == 255  # the input image is left untouched
    assert counts_summary(seen, 0.5) == {"shapes": 1, "junctions": 0, "labels": 0}


def test_junction_ticks_follow_the_angle_convention():
    img = Image.new("RGB", (200, 200), "white")
    seen = _seen(junctions=[{"xy": [100, 100], "angles": [90.0, 0.0], "score": 0.9}])
    out = np.asarray(draw_perception(img, seen, layers=["junctions"]))
    junction = np.array([228, 0, 124])
    assert np.abs(out[95, 100].astype(int) - junction).sum() < 60  # 90 degrees is "up" on screen
    assert tuple(out[105, 100]) == (255, 255, 255)  # nothing below
    assert np.abs(out[100, 105].astype(int) - junction).sum() < 60  # 0 degrees points right
    assert tuple(out[100, 95]) == (255, 255, 255)


def test_boundary_layer_tints_only_boundary_pixels_and_labels_show_strings():
    img = Image.new("RGB", (120, 80), "white")
    boundary = np.zeros((80, 120), dtype=np.float32)
    boundary[40, :] = 1.0
    seen = _seen(boundary=boundary, texts=[{"box": [10, 5, 40, 20], "text": "47°", "score": 0.8}])
    plain = np.asarray(draw_perception(img, seen, layers=["labels"]))
    tinted = np.asarray(draw_perception(img, seen, layers=["labels", "boundary map"]))
    assert tuple(plain[40, 100]) == (255, 255, 255)
    r, g, b = tinted[40, 100]
    assert g < 100 and r > 180 and b > 120  # magenta on the boundary row
    assert tuple(tinted[60, 100]) == (255, 255, 255)
    assert (plain != 255).any(axis=-1)[5:40, 8:60].sum() > 50  # the label box and its string
    with pytest.raises(ValueError, match="unknown overlay layer"):
        draw_perception(img, seen, layers=["edges"])


def test_score_colours_run_red_amber_green():
    assert score_colour(0.0) == "#f44336"
    assert score_colour(0.5) == "#ffc107"
    assert score_colour(1.0) == "#4caf50"
    assert score_colour(None) == score_colour(float("nan")) == "#e0e0e0"
    greens = [_rgb(score_colour(s / 10))[1] for s in range(6)]
    assert greens == sorted(greens)


def test_steps_table_with_and_without_scores():
    plain = steps_frame(["a", "b"])
    assert list(plain.columns) == ["#", "Step", "PRM score"]
    assert plain["PRM score"].tolist() == ["", ""]
    styled = steps_frame(["read 3", "3 + 4 = 8"], [0.9, 0.1])
    html = styled.to_html()
    assert score_colour(0.9) in html and score_colour(0.1) in html
    assert styled.data["PRM score"].tolist() == [0.9, 0.1]
    with pytest.raises(ValueError):
        steps_frame(["a"], [0.1, 0.2])
    gates = gates_frame({"P7": 0.2, "B3": 0.9})
    assert gates.to_dict("list") == {"level": ["P7", "B3"], "gate": [0.2, 0.9]}


class _StubModel:
    def eval(self):
        return self


def test_image_intake_caps_and_messages(tmp_path):
    svc = DemoService(_StubModel(), None, limits=DemoLimits(max_pixels=4_000_000, max_side=512))
    big = tmp_path / "big.png"
    Image.new("1", (3000, 2000)).save(big)  # 6 MP: refused before decoding
    with pytest.raises(ImageLoadError, match="too large") as err:
        svc.load(str(big))
    assert str(tmp_path) not in str(err.value) and "big.png" in str(err.value)
    ok = tmp_path / "wide.png"
    Image.new("RGB", (1600, 400), "white").save(ok)
    loaded = svc.load(str(ok))
    assert loaded.image.size == (512, 128) and "downscaled from 1600x400" in loaded.note
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"%PDF-1.4 definitely not a png")
    with pytest.raises(ImageLoadError, match=r"not a readable image: notes\.png"):
        svc.load(str(bad))
    with pytest.raises(ConfigError, match="type a question"):
        svc.check_question("   ")
    settings = svc.gen_settings(sampling=False, temperature=0.0, max_new_tokens=10_000, seed=None)
    assert settings["max_new_tokens"] == svc.limits.max_new_tokens and settings["do_sample"] is False


def test_example_gallery_one_per_group_and_cached(tmp_path):
    from svemath.demo.examples import example_set

    folder = tmp_path / "examples"
    first = example_set(folder, n=20, limit=5)
    assert len(first) == 2  # synth-dynamath: groups of 10 variants
    assert len({e.family for e in first}) == 2
    for e in first:
        assert e.image.is_file() and e.question and "<image>" not in e.question
    stamp = (folder / "data.jsonl").stat().st_mtime_ns
    again = example_set(folder, n=20, limit=5)
    assert again == first and (folder / "data.jsonl").stat().st_mtime_ns == stamp


def test_cli_without_a_shipped_model_prints_one_line(monkeypatch, capsys):
    import svemath.mllm.presets as presets
    from svemath.cli import build_parser, main

    monkeypatch.delenv("SVEMATH_DEFAULT_MODEL", raising=False)
    monkeypatch.setattr(presets, "default_model_dir", lambda required=True: None)
    assert main(["demo"]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "svemath quickstart --out DIR" in err and "svemath demo --model DIR/train/instruct/model" in err
    args = build_parser().parse_args(["demo", "--model", "m"])
    assert args.host == "127.0.0.1" and args.port == 7860


def test_gate_table_keeps_a_nominal_level_axis_when_empty():
    gr = pytest.importorskip("gradio")
    plot = gr.BarPlot(None, x="level", y="gate")
    assert plot.postprocess(gates_frame(None)).datatypes == {"level": "nominal", "gate": "quantitative"}
