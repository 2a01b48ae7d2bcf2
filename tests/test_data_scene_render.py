"""Renderer tests: exact annotations (junctions, text boxes, boundary map, shape boxes), determinism,
label placement, roles, appearance variation."""

from __future__ import annotations

import dataclasses
import io
import math
import random

import numpy as np
import pytest

from svemath.data.fonts import text_mask
from svemath.data.render import render
from svemath.data.scene import Scene
from svemath.data.style import Style, sample_style


def _png(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _angles_close(got: list[float], want: list[float], tol: float = 0.5) -> bool:
    got, want = sorted(a % 360 for a in got), sorted(a % 360 for a in want)
    return len(got) == len(want) and all(
        min(abs(g - w), 360 - abs(g - w)) <= tol for g, w in zip(got, want, strict=True)
    )


def _junction_at(out, xy, tol=1.0):
    hits = [j for j in out.junctions if math.dist(j.xy, xy) <= tol]
    assert len(hits) == 1, f"expected one junction near {xy}, got {hits}"
    return hits[0]


def _triangle_scene() -> Scene:
    sc = Scene()
    a, b, c = sc.point(70, 300, "A"), sc.point(320, 300, "B"), sc.point(150, 90, "C")
    sc.polygon([a, b, c])
    sc.angle(a, b, c, "47°", label_role="condition")
    sc.side_label(a, b, "12 cm", away=c)
    sc.circle((260, 140), 50, dash="dashed")
    return sc


def test_crossing_segments_give_an_x_junction_at_the_intersection():
    sc = Scene()
    sc.segment((50, 60), (300, 310))
    sc.segment((40, 300), (320, 20))
    out = render(sc, Style.clean())
    # intersection of y = x + 10 and y = 340 - x
    j = _junction_at(out, (165.0, 175.0), tol=1e-6)
    assert _angles_close(j.angles, [45, 135, 225, 315])
    ends = [j for j in out.junctions if len(j.angles) == 1]
    assert len(ends) == 4


def test_square_corners_are_l_junctions_and_t_junction_has_three_branches():
    sc = Scene()
    sc.polygon([(100, 300), (300, 300), (300, 100), (100, 100)])
    sc.segment((200, 300), (200, 200))  # a T on the bottom side
    out = render(sc, Style.clean())
    assert [s.cls for s in out.shapes] == ["square", "segment"]
    for corner, want in (
        ((100, 300), [0, 90]),
        ((300, 300), [90, 180]),
        ((300, 100), [180, 270]),
        ((100, 100), [0, 270]),
    ):
        j = _junction_at(out, corner)
        assert _angles_close(j.angles, want)
    t = _junction_at(out, (200, 300))
    assert _angles_close(t.angles, [0, 90, 180])
    assert _angles_close(_junction_at(out, (200, 200)).angles, [270])


def test_rotation_moves_geometry_and_junction_directions_consistently():
    sc = Scene()
    sc.segment((50, 60), (300, 310))
    sc.segment((40, 300), (320, 20))
    style = dataclasses.replace(Style.clean(), rotation_deg=30.0, scale=0.9)
    out = render(sc, style)
    x = out.transform((165.0, 175.0))
    j = _junction_at(out, x, tol=1e-6)
    assert _angles_close(j.angles, [75, 165, 255, 345])  # +30 degrees counter-clockwise
    assert abs(out.transform.rotation_deg - 30.0) < 1e-9


def test_boundary_map_has_ink_on_segments_and_none_far_away():
    sc = Scene()
    sc.segment((40, 200), (340, 200))
    sc.segment((100, 40), (300, 340), dash="dashed")
    out = render(sc, Style.clean())
    edge = np.asarray(out.boundary)
    assert out.boundary.mode == "L" and out.boundary.size == out.image.size
    assert set(np.unique(edge)) <= {0, 255}
    for x in range(45, 336, 7):  # solid horizontal segment: every sampled point is inked
        assert edge[200, x] == 255
    # dashed: about half of the samples along it are inked, all within 1.5 px of the line
    ys, xs = np.nonzero(edge)
    d1 = np.abs(ys + 0.5 - 200)
    d2 = np.abs(1.5 * (xs + 0.5 - 100) - (ys + 0.5 - 40)) / math.hypot(1.5, 1)
    assert np.all(np.minimum(d1, d2) <= 1.6)
    on = sum(int(edge[int(40 + 1.5 * t), int(100 + t)]) for t in range(5, 195)) / 255
    assert 0.3 * 190 < on < 0.85 * 190
    # the image itself has dark ink where the boundary says so
    img = np.asarray(out.image).min(axis=2)
    assert img[200, 50:330].max() < 128


def test_text_boxes_are_tight_and_contain_all_text_ink():
    sc = _triangle_scene()
    style = dataclasses.replace(Style.clean(), text_color=(220, 0, 0))
    out = render(sc, style)
    assert {t.text for t in out.texts} == {"A", "B", "C", "47°", "12 cm"}
    img = np.asarray(out.image).astype(int)
    red = (img[..., 0] - img[..., 1] > 3) & (img[..., 0] - img[..., 2] > 3)  # any trace of the text colour
    inside = np.zeros_like(red)
    for t in out.texts:
        x0, y0, x1, y1 = t.box
        inside[y0:y1, x0:x1] = True
        box = red[y0:y1, x0:x1]
        # tight: ink touches all four sides of the box
        assert box[0].any() and box[-1].any() and box[:, 0].any() and box[:, -1].any(), t.text
    assert not (red & ~inside).any(), "text ink outside the text boxes"


def test_labels_never_overlap_and_stay_inside_the_image():
    from svemath.data.schema import sample_rng
    from svemath.data.suites import get_suite

    suite = get_suite("primitives")
    for i in range(25):
        s = suite.make(i, sample_rng(suite, 3, i))
        w, h = s.image.size
        boxes = [t["box"] for t in s.record["annotations"]["texts"]]
        for k, a in enumerate(boxes):
            assert 0 <= a[0] < a[2] <= w and 0 <= a[1] < a[3] <= h
            for b in boxes[k + 1 :]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def test_shape_boxes_match_geometry():
    sc = Scene()
    sc.circle((200, 180), 80)
    sc.point(60, 60, "P", marked=True)
    out = render(sc, Style.clean())
    circle = next(s for s in out.shapes if s.cls == "circle")
    hw = Style.clean().line_width / 2
    assert np.allclose(circle.box, (120 - hw, 100 - hw, 280 + hw, 260 + hw), atol=0.05)
    point = next(s for s in out.shapes if s.cls == "point")
    r = Style.clean().point_radius
    assert np.allclose(point.box, (60 - r, 60 - r, 60 + r, 60 + r))
    ys, xs = np.nonzero(np.asarray(out.boundary)[:, 100:])
    xs = xs + 100  # leave the point's dot out
    ink_box = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)  # the circle's ink (pixel edges)
    assert np.allclose(ink_box, circle.box, atol=1.5)  # PIL rasterises at integer coordinates


def test_hidden_condition_label_and_element_roles():
    sc = _triangle_scene()
    shown = render(sc, Style.clean())
    hidden = render(sc, Style.clean(), hide_roles={"condition"})
    assert shown.text_box("47°") is not None and hidden.text_box("47°") is None
    assert [s.cls for s in shown.shapes] == [s.cls for s in hidden.shapes]  # the arc stays
    sc.segment((70, 300), (150, 90), role="aux")
    assert len(render(sc, Style.clean(), hide_roles={"aux"}).shapes) == len(shown.shapes)


def test_render_is_deterministic_and_styles_vary():
    sc = _triangle_scene()
    for seed in (1, 2):
        a, b = render(sc, sample_style(random.Random(seed))), render(sc, sample_style(random.Random(seed)))
        assert _png(a.image) == _png(b.image) and _png(a.boundary) == _png(b.boundary)
        assert a.annotations() == b.annotations()
    styles = [sample_style(random.Random(s)) for s in range(30)]
    assert len({s.font for s in styles}) >= 5
    assert len({s.ink for s in styles}) >= 3 and len({s.background for s in styles}) >= 3
    assert len({s.line_width for s in styles}) >= 4 and len({s.font_px for s in styles}) >= 3
    assert (
        any(s.rotation_deg for s in styles)
        and any(s.noise_sigma for s in styles)
        and any(s.jpeg_quality for s in styles)
    )
    images = {_png(render(sc, s).image) for s in styles[:6]}
    assert len(images) == 6


def test_text_is_legible_size_and_non_square_canvas():
    style = Style.clean(width=512, height=320)
    sc = Scene(512, 320)
    sc.segment((40, 160), (470, 160), "17.5 m")
    out = render(sc, style)
    assert out.image.size == (512, 320) == out.boundary.size
    assert text_mask(style.font, style.font_px, "H0").height >= 0.045 * 320
    _, y0, _, y1 = out.text_box("17.5 m")
    assert y1 - y0 >= 0.045 * 320 and y1 <= 160  # above the segment


@pytest.mark.parametrize("kind", ["line", "ray"])
def test_lines_and_rays_are_clipped_to_the_image(kind):
    sc = Scene()
    (sc.line if kind == "line" else sc.ray)((100, 100), (200, 150))
    out = render(sc, Style.clean())
    (shape,) = out.shapes
    assert shape.cls == kind
    x0, y0, x1, y1 = shape.box
    assert 0 <= x0 and x1 <= 384 and 0 <= y0 and y1 <= 384
    assert x1 > 370  # reaches the right border
    assert (x0 < 10) == (kind == "line")


def _refers(scene) -> dict[str, list[str]]:
    """text -> the texts it refers to (annotations' "refers" indices resolved)."""
    texts = render(scene).annotations(parts=("texts",))["texts"]
    return {t["text"]: [texts[j]["text"] for j in t.get("refers", [])] for t in texts}


def test_value_labels_refer_to_the_names_they_are_about():
    from svemath.data.charts import BarChart, PieChart, Table
    from svemath.data.graphs import Graph
    from svemath.data.validate import annotation_problems

    sc = Scene()
    a, b, c = sc.point(60, 300, "A"), sc.point(320, 300, "B"), sc.point(150, 80, "C")
    sc.polygon([a.xy, b.xy, c.xy], side_labels=["12 cm", "", ""])
    sc.segment(a.xy, c.xy, label="9")
    sc.angle(c.xy, a.xy, b.xy, "40°")
    sc.point(200, 200)  # unnamed: nothing to refer to
    sc.side_label((200, 200), (250, 250), "7")
    refers = _refers(sc)
    assert refers["12 cm"] == ["A", "B"] and refers["9"] == ["A", "C"] and refers["40°"] == ["C"]
    assert refers["7"] == [] and refers["A"] == []

    sc = Scene()
    sc.add(BarChart((60, 50, 360, 320), ["Mar", "Apr"], [12, 35], value_labels=True))
    assert _refers(sc)["12"] == ["Mar"] and _refers(sc)["35"] == ["Apr"]
    sc = Scene()
    sc.add(Table((192, 192), [["Name", "Score", "Age"], ["Ann", "12", "30"], ["Bob", "15", "31"]]))
    refers = _refers(sc)
    assert (
        refers["12"] == ["Score", "Ann"]
        and refers["31"] == ["Age", "Bob"]
        and refers["Bob"] == ["Name"]
        and refers["Name"] == []
    )
    sc = Scene()
    sc.add(Graph({"P": (80, 300), "Q": (300, 300), "R": (190, 90)}, [("P", "Q", 7), ("Q", "R", 4)]))
    assert _refers(sc)["7"] == ["P", "Q"] and _refers(sc)["4"] == ["Q", "R"]
    sc = Scene()
    sc.add(PieChart((192, 192), 100, ["Tea", "Milk"], [30, 70], show="legend"))
    assert _refers(sc)["30%"] == ["Tea"] and _refers(sc)["70%"] == ["Milk"]
    ann = render(sc).annotations(parts=("texts",))
    assert annotation_problems(ann, (384, 384)) == []
    ann["texts"][0]["refers"] = [0]  # itself
    ann["texts"][1]["refers"] = [99]
    problems = annotation_problems(ann, (384, 384))
    assert len(problems) == 2 and all("'refers' must list indices of other texts" in p for p in problems)
