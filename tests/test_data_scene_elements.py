"""Scene element tests: polygon classes, plots, charts, tables, graphs, solids, pictograms, fonts."""

from __future__ import annotations

import math
import random

import pytest

from svemath.data.charts import BarChart, LineChart, PieChart, ScatterChart, Table
from svemath.data.draw import dash_pieces
from svemath.data.fonts import FONTS, covers, text_mask
from svemath.data.graphs import Graph
from svemath.data.pictograms import pictogram
from svemath.data.plots import Axes, nice_ticks
from svemath.data.polygons import POLYGON_KINDS, classify_polygon, random_polygon, regular_polygon
from svemath.data.render import render
from svemath.data.scene import SHAPE_CLASSES, Scene, angle_between
from svemath.data.solids import Solid
from svemath.data.style import Style


@pytest.mark.parametrize("kind", POLYGON_KINDS)
def test_random_polygons_have_the_requested_class(kind):
    rng = random.Random(7)
    for _ in range(5):
        pts = random_polygon(kind, rng, (192, 192), 150)
        assert classify_polygon(pts) == kind
        assert kind in SHAPE_CLASSES


def test_classify_polygon_known_shapes():
    assert classify_polygon([(0, 0), (4, 0), (0, 3)]) == "right triangle"
    assert classify_polygon(regular_polygon((0, 0), 10, 3)) == "equilateral triangle"
    assert classify_polygon([(0, 0), (4, 0), (2, 5)]) == "isosceles triangle"
    assert classify_polygon([(0, 0), (4, 0), (5, 2), (1, 2)]) == "parallelogram"
    assert classify_polygon([(0, 0), (6, 0), (4, 2), (1, 2)]) == "trapezoid"
    assert classify_polygon(regular_polygon((0, 0), 10, 6)) == "hexagon"
    assert abs(angle_between((0, 0), (1, 0), (0, -1)) - 90) < 1e-9


def test_angle_mark_label_sits_on_the_bisector_outside_the_arc():
    sc = Scene()
    sc.segment((100, 300), (330, 300))
    sc.segment((100, 300), (250, 120))
    sc.angle((100, 300), (330, 300), (250, 120), "50°", radius=40)
    out = render(sc, Style.clean())
    x0, y0, x1, y1 = out.text_box("50°")
    cx, cy = (x0 + x1) / 2 - 100, 300 - (y0 + y1) / 2
    direction = math.degrees(math.atan2(cy, cx))
    assert abs(direction - 25.1) < 15 and math.hypot(cx, cy) > 40
    assert "angle mark" in [s.cls for s in out.shapes]


def test_axes_mapping_ticks_and_discontinuous_curve():
    ax = Axes((40, 20, 360, 340), xlim=(-4, 4), ylim=(-4, 4))
    assert ax.to_px(-4, 4) == (40, 20) and ax.to_px(0, 0) == (200, 180)
    assert nice_ticks(-4, 4) == [-4, -2, 0, 2, 4]
    assert nice_ticks(-4, 4, 8) == [-4, -3, -2, -1, 0, 1, 2, 3, 4]
    assert nice_ticks(0, 35, 5) == [0, 10, 20, 30]
    assert len(ax.curve(lambda x: 1 / x).pieces()) == 2  # split at the pole
    pieces = ax.curve(lambda x: x * x).pieces()  # clipped at y = 4: x in [-2, 2]
    xs = [p[0] for piece in pieces for p in piece]
    assert len(pieces) == 1 and abs(min(xs) - ax.x_px(-2)) < 0.5 and abs(max(xs) - ax.x_px(2)) < 0.5
    sc = Scene()
    sc.add(ax)
    sc.add(ax.curve(lambda x: x / 2 + 1, label="y = x/2 + 1"))
    out = render(sc, Style.clean())
    texts = {t.text for t in out.texts}
    assert {"-4", "-2", "2", "4", "O", "x", "y", "y = x/2 + 1"} <= texts
    assert [s.cls for s in out.shapes] == ["axes", "curve"]


def test_bar_chart_bars_values_and_labels():
    sc = Scene(rotation_limit=0)
    sc.add(BarChart((60, 50, 360, 320), ["A", "B", "C"], [12, 35, 20], value_labels=True, title="Sales"))
    out = render(sc, Style.clean())
    bars = {s.tag: s.box for s in out.shapes if s.cls == "bar"}
    assert set(bars) == {"bar:A", "bar:B", "bar:C"}
    assert bars["bar:B"][1] < bars["bar:C"][1] < bars["bar:A"][1]  # the tallest bar reaches highest
    heights = {k: b[3] - b[1] for k, b in bars.items()}
    assert abs(heights["bar:B"] / heights["bar:A"] - 35 / 12) < 0.05
    assert {"A", "B", "C", "12", "35", "20", "Sales"} <= {t.text for t in out.texts}
    assert not out.dropped


def test_line_pie_scatter_table_graph_solids_pictograms_render():
    cases = [
        (
            LineChart((60, 40, 360, 320), ["1", "2", "3"], {"A": [3, 5, 4], "B": [1, 6, 2]}),
            {"polyline", "point", "axes"},
        ),
        (PieChart((192, 200), 100, ["a", "b", "c"], [50, 30, 20], show="percent"), {"pie wedge"}),
        (ScatterChart((60, 30, 360, 320), [(1, 2), (2, 3), (3, 5)]), {"point", "axes"}),
        (Table((192, 192), [["Name", "Score"], ["Ann", "12"]]), {"table"}),
        (
            Graph({"A": (80, 300), "B": (300, 300), "C": (190, 90)}, [("A", "B", 7), ("B", "C")]),
            {"node", "segment"},
        ),
        (Solid("cuboid", (170, 290), a=150, b=100, c=120, labels={"a": "8 cm"}), {"cuboid"}),
        (Solid("cone", (192, 300), r=90, c=200, labels={"r": "3"}), {"cone"}),
        (Solid("cylinder", (192, 300), r=80, c=180), {"cylinder"}),
        (Solid("sphere", (192, 320), r=120), {"sphere"}),
        (Solid("prism", (170, 290), a=150, b=120, c=130), {"prism"}),
        (Solid("pyramid", (180, 300), a=160, b=160, c=200), {"pyramid"}),
    ]
    for element, classes in cases:
        sc = Scene(rotation_limit=0)
        sc.add(element)
        out = render(sc, Style.clean())
        assert classes <= {s.cls for s in out.shapes}, type(element).__name__
        assert not out.dropped
        assert out.junctions or classes == {"sphere"}  # a sphere's curves only touch tangentially
    pie = render(Scene(elements=[cases[1][0]]), Style.clean())
    assert {"50%", "30%", "20%"} <= {t.text for t in pie.texts}
    table = render(Scene(elements=[cases[3][0]]), Style.clean())
    assert {"Name", "Score", "Ann", "12"} == {t.text for t in table.texts}
    kinds = sorted(len(j.angles) for j in table.junctions)
    assert kinds == [2, 2, 2, 2, 3, 3, 3, 3, 4]  # 4 corners, 4 T where the inner lines meet the border, 1 X


def test_cube_has_three_hidden_dashed_edges_meeting_at_one_vertex():
    dl = Scene(elements=[Solid("cube", (170, 290), a=150)]).compile(Style.clean())
    dashed = [s for s in dl.strokes if s.dash == "dashed"]
    assert len(dl.strokes) == 12 and len(dashed) == 3
    ends = [tuple(round(v, 6) for v in p) for s in dashed for p in s.points]
    assert max(ends.count(e) for e in ends) == 3


def test_pictogram_counts_and_no_overlap():
    icons = pictogram({"star": 4, "circle": 3, "triangle": 2}, (20, 20, 364, 364), random.Random(1), size=34)
    assert [i.kind for i in icons].count("star") == 4 and len(icons) == 9
    for a in icons:
        for b in icons:
            if a is not b:
                assert math.dist(a.center, b.center) >= 34 * 1.25 - 1e-6
    out = render(Scene(elements=list(icons)), Style.clean())
    assert sorted(s.cls for s in out.shapes).count("star") == 4


def test_fonts_come_from_matplotlib_and_cover_math_symbols():
    import matplotlib

    for key in FONTS:
        m = text_mask(key, 24, "47°")
        assert m.mask.getbbox() == (0, 0, m.width, m.height)  # cropped to the ink
    from svemath.data.fonts import font_path

    assert str(font_path("sans")).startswith(str(__import__("pathlib").Path(matplotlib.__file__).parent))
    assert covers("sans", "∠ABC = 47° π √2 α β θ")
    assert text_mask("stix", 24, "∠△").font in FONTS
    with pytest.raises(ValueError):
        text_mask("sans", 24, "  ")


def test_dash_pieces_cover_about_the_on_fraction():
    pts = [(0.0, 0.0), (100.0, 0.0), (100.0, 50.0)]
    pieces = dash_pieces(pts, False, 6.0, 4.0)
    drawn = sum(math.dist(p[i], p[i + 1]) for p in pieces for i in range(len(p) - 1))
    assert abs(drawn - 150 * 0.6) < 6.5
    assert all(len(p) >= 2 for p in pieces)


@pytest.mark.parametrize("module", ["scene", "plots", "charts", "graphs", "solids", "pictograms"])
def test_module_docstring_examples_run(module):
    """The worked examples in the module docstrings (what family authors copy) really work."""
    import importlib
    import re
    import textwrap

    mod = importlib.import_module(f"svemath.data.{module}")
    blocks = re.findall(r"::\n\n((?:    .*\n|\n)+)", mod.__doc__)
    assert blocks, f"{module} has no example"
    namespace = dict(vars(mod))
    namespace.update(random=random, Scene=Scene, render=render, Style=Style)
    for block in blocks:
        exec(compile(textwrap.dedent(block), f"<{module} docstring>", "exec"), namespace)
        for value in list(namespace.values()):
            if isinstance(value, Scene):
                out = render(value, Style.clean())
                assert out.shapes and not out.dropped
