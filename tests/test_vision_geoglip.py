"""GeoGLIP: levels and strides, frozen behaviour, heads overfitting synthetic diagrams, open-vocabulary
scoring, perception output, safetensors round trip, real-size construction."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from safetensors.torch import load_model, save_model

from svemath.errors import ConfigError, DataFormatError, ShapeError
from svemath.vision.config import ReaderConfig, geoglip_config
from svemath.vision.geoglip import GeoGLIP
from svemath.vision.synthetic import draw_scene
from svemath.vision.transforms import preprocess

SIZE = 128


@pytest.fixture(autouse=True)
def _one_thread():
    """One intra-op thread: on a shared 2-core machine two threads are 10-50x slower under load."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def small_config():
    cfg = geoglip_config("tiny")
    return dataclasses.replace(cfg, image_size=SIZE, fpn_channels=32, reader=ReaderConfig(hidden=64))


def batch(model: GeoGLIP, seeds=(0, 1)):
    xs, targets = [], []
    for seed in seeds:
        img, anno, edge = draw_scene(seed, 160, 150, font_size=11)  # non-square: exercises the mapping
        x, scale, offset = preprocess(img, model.cfg)
        xs.append(x)
        targets.append(model.targets_from_annotations(anno, scale, offset, boundary=edge))
    return torch.stack(xs), targets


@pytest.fixture(scope="module")
def model() -> GeoGLIP:
    torch.manual_seed(0)
    return GeoGLIP(small_config())


def test_levels_strides_and_mllm_order(model):
    feats = model(torch.randn(2, 3, SIZE, SIZE))
    for name, stride in [("p3", 8), ("p4", 16), ("p5", 32), ("p6", 64), ("p7", 128), ("b3", 8), ("c2", 4)]:
        t = getattr(feats, name)
        assert t.shape == (2, 32, SIZE // stride, SIZE // stride), name
    levels = model.mllm_levels(feats)
    assert [lv.shape[-1] for lv in levels] == [1, 2, 4, 16]
    assert levels[0] is feats.p7 and levels[-1] is feats.b3
    assert model.level_dims == [32] * 4


def test_head_output_shapes(model):
    feats = model(torch.randn(2, 3, SIZE, SIZE))
    out = model.head_outputs(feats)
    p = 16 * 16 + 8 * 8 + 4 * 4
    k = len(model.cfg.shape_classes)
    assert out["shape_cls"].shape == (2, p, k) and out["shape_deltas"].shape == (2, p, 4)
    assert out["text_cls"].shape == (2, p, 1) and out["text_ctr"].shape == (2, p)
    g = SIZE // model.cfg.junctions.stride  # the tiny preset's junction grid is stride 4
    assert out["junction_heatmap"].shape == (2, g, g) and out["junction_bins"].shape == (2, 24, g, g)
    assert out["boundary"].shape == (2, SIZE // 2, SIZE // 2)
    rois = torch.tensor([[0, 10.0, 10.0, 40.0, 22.0], [1, 0.0, 0.0, 20.0, 20.0]])
    assert model.read(feats, rois).shape == (2, 13, model.charset.num_classes)  # max_len + 1 slots
    assert len(model.read_strings(feats, rois)) == 2 and model.read_strings(feats, rois[:0]) == []


def test_dense_targets_built_beforehand_give_the_same_losses(model):
    x, targets = batch(model)
    model.eval()  # no reader box jitter: the two calls must see the same randomness-free loss
    with torch.no_grad():
        out = model.head_outputs(model(x))
        inline = model.losses(out, targets)
        dense = model.dense_targets(targets, *model.target_grids(SIZE))
        prebuilt = model.losses(out, targets, dense)
    assert dense["shape_labels"].shape == (2, out["points"].shape[0]) and (dense["shape_labels"] >= 0).any()
    assert dense["junction_heatmap"].shape == out["junction_heatmap"].shape
    for k, v in inline.items():
        assert torch.equal(v, prebuilt[k]), k
    with pytest.raises(ShapeError, match="other image size"):
        model.losses(out, targets, model.dense_targets(targets, *model.target_grids(2 * SIZE)))


def test_target_grids_match_the_heads_at_sizes_the_strides_do_not_divide(model):
    size = 200  # 200 / 16, / 32 and / 128 round up in every stride-2 stage
    out = model.head_outputs(model(torch.randn(1, 3, size, size)))
    levels, junction = model.target_grids(size)
    assert sum(g * g for g in levels) == out["points"].shape[0]
    assert out["junction_heatmap"].shape[-1] == junction


def test_stride4_p2_detector_level():
    """p2 = c2 + upsampled B3: a stride-4 detector level whose points reach 3-6 px boxes; small boxes are
    assigned there, the losses train it, and it needs the stride-4 map."""
    cfg = small_config()
    det = dataclasses.replace(
        cfg.detector, levels=("p2", "p3", "p4", "p5"), level_bounds=(8.0, 32.0, 64.0, 1e8)
    )
    torch.manual_seed(0)
    model = GeoGLIP(dataclasses.replace(cfg, detector=det))
    x, targets = batch(model)
    feats = model(x)
    assert feats.level("p2").shape == feats.c2.shape and feats.level("p3") is feats.p3
    out = model.head_outputs(feats)
    grids = [SIZE // 4, SIZE // 8, SIZE // 16, SIZE // 32]
    assert out["shape_cls"].shape[1] == sum(g * g for g in grids) == out["points"].shape[0]
    assert model.target_grids(SIZE)[0] == grids
    dense = model.dense_targets(targets, *model.target_grids(SIZE))
    on_p2 = out["point_levels"] == 0
    small = [(b[:, 2:] - b[:, :2]).max(-1).values <= 16 for b in (t.text_boxes for t in targets)]
    assert any(m.any() for m in small) and (dense["text_labels"][:, on_p2] >= 0).any()
    losses = model.losses(out, targets, dense)
    sum(losses.values()).backward()
    assert model.text_head.level_scale.grad.shape == (4,) and model.text_head.level_scale.grad[0] != 0
    no_fine = dataclasses.replace(
        cfg, detector=det, fine_features=False, junctions=geoglip_config("real").junctions
    )
    with pytest.raises(ConfigError, match="p2 needs fine_features"):
        GeoGLIP(no_fine)


def test_ctc_reader_variant():
    cfg = small_config()
    m = GeoGLIP(dataclasses.replace(cfg, reader=ReaderConfig(hidden=64, decoder="ctc", roi_size=(4, 32))))
    x, targets = batch(m, seeds=(0,))
    feats = m(x)
    out = m.losses(m.head_outputs(feats), targets)
    assert torch.isfinite(out["reading"]) and out["reading"] > 0
    rois = torch.tensor([[0, 10.0, 10.0, 40.0, 22.0]])
    assert m.read(feats, rois).shape == (1, 32, m.charset.num_classes)  # CTC columns
    assert isinstance(m.read_strings(feats, rois)[0], str)
    with pytest.raises(ConfigError, match="CTC needs roi width"):
        GeoGLIP(dataclasses.replace(cfg, reader=ReaderConfig(decoder="ctc", roi_size=(4, 12))))


def test_frozen_geoglip_stays_in_eval_and_keeps_bn_statistics():
    torch.manual_seed(0)
    m = GeoGLIP(small_config()).freeze()
    bn = next(mod for mod in m.backbone.modules() if isinstance(mod, torch.nn.BatchNorm2d))
    before = bn.running_mean.clone()
    parent = torch.nn.ModuleDict({"geo": m, "head": torch.nn.Linear(2, 2)})
    parent.train()
    assert parent["head"].training and not any(mod.training for mod in m.modules())
    assert not any(p.requires_grad for p in m.parameters())
    feats = m(torch.randn(2, 3, SIZE, SIZE) * 3 + 1)
    assert torch.equal(bn.running_mean, before) and not feats.b3.requires_grad


def test_each_head_loss_decreases_when_overfitting():
    torch.manual_seed(0)
    m = GeoGLIP(small_config())
    x, targets = batch(m)
    assert all(len(t.text_strings) == 3 and t.boundary is not None for t in targets)
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3, weight_decay=0.0)
    m.train()
    history = []
    for _ in range(14):
        out = m.losses(m.head_outputs(m(x)), targets)
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        history.append({k: float(v.detach()) for k, v in out.items()})
    first, last = history[0], history[-1]
    for key in first:
        assert last[key] < first[key], (key, first[key], last[key])
    for key in ("shape_cls", "text_cls", "junction_heatmap", "boundary_dice", "reading", "loss"):
        assert last[key] < 0.7 * first[key], (key, first[key], last[key])


def test_bf16_autocast_forward_and_losses(model):
    x, targets = batch(model)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model.losses(model.head_outputs(model(x)), targets)
    assert all(torch.isfinite(v) for v in out.values())


def test_public_api_is_importable_lazily():
    import svemath.vision as vision

    assert vision.GeoGLIP is GeoGLIP and callable(vision.square_resize) and "FeatureRouter" in vision.__all__


def test_open_vocabulary_scoring_and_perception(model):
    x = torch.randn(2, 3, SIZE, SIZE)
    new_names = ["heart", "crescent"]  # not in the training vocabulary
    with pytest.raises(ConfigError, match="no stored embedding"):
        model.perceive(x, class_names=new_names)
    emb = torch.nn.functional.normalize(torch.randn(2, model.cfg.detector.text_dim), dim=-1)
    model.train()
    out = model.perceive(
        x, class_names=new_names, class_embeddings=emb, score_threshold=0.0, text_threshold=0.0
    )
    assert model.training  # perceive ran in eval mode and restored the caller's mode
    assert len(out) == 2
    p = out[0]
    assert set(p.shape_names) <= set(new_names) and len(p.shape_names) == p.shape_boxes.shape[0] > 0
    assert len(p.text_strings) == p.text_boxes.shape[0] > 0
    assert p.boundary.shape == (SIZE, SIZE) and 0 <= float(p.boundary.min()) <= float(p.boundary.max()) <= 1
    assert set(p.to_dict()) == {"shapes", "junctions", "texts"}
    with pytest.raises(ShapeError):
        model.perceive(x, class_names=["heart"], class_embeddings=emb)


def test_text_embedding_mode_and_set_class_embeddings():
    cfg = small_config()
    cfg = dataclasses.replace(
        cfg, detector=dataclasses.replace(cfg.detector, class_embedding="text", text_dim=16)
    )
    m = GeoGLIP(cfg)
    assert "class_table" in dict(m.named_buffers())
    emb = torch.nn.functional.normalize(torch.randn(len(cfg.shape_classes), 16), dim=-1)
    m.set_class_embeddings(emb)
    torch.testing.assert_close(m.class_embeddings(["circle"]), emb[cfg.shape_classes.index("circle")][None])
    with pytest.raises(ShapeError):
        m.set_class_embeddings(emb[:3])


def test_safetensors_round_trip(tmp_path, model):
    path = tmp_path / "geoglip.safetensors"
    save_model(model, str(path))
    torch.manual_seed(123)
    other = GeoGLIP(small_config())
    load_model(other, str(path))
    model.eval()
    other.eval()
    x = torch.randn(1, 3, SIZE, SIZE)
    a, b = model(x), other(x)
    torch.testing.assert_close(a.b3, b.b3)
    torch.testing.assert_close(model.head_outputs(a)["boundary"], other.head_outputs(b)["boundary"])


def test_bad_inputs(model):
    with pytest.raises(ShapeError):
        model(torch.randn(1, 3, 64, 96))
    with pytest.raises(ConfigError, match="backbone"):
        GeoGLIP(dataclasses.replace(small_config(), backbone="no_such_net"))
    with pytest.raises(ConfigError, match=r"junctions\.stride=4 needs fine_features"):
        GeoGLIP(dataclasses.replace(small_config(), fine_features=False))
    coarse = dataclasses.replace(small_config().junctions, stride=8)
    with pytest.raises(ConfigError, match="reader feature"):
        GeoGLIP(dataclasses.replace(small_config(), fine_features=False, junctions=coarse))
    with pytest.raises(ConfigError, match="junction stride must be 4 or 8"):
        GeoGLIP(dataclasses.replace(small_config(), junctions=dataclasses.replace(coarse, stride=2)))


def test_junction_head_strides_and_l1_box_loss(model):
    """The stride-8 head (B3) and the tiny preset's stride-4 head (B3 + c2 skip) train on the same targets;
    the smooth-L1 delta loss is zero for exact deltas and counts in the total only through its weight."""
    coarse = GeoGLIP(
        dataclasses.replace(small_config(), junctions=dataclasses.replace(small_config().junctions, stride=8))
    )
    x = torch.randn(1, 3, SIZE, SIZE)
    t = model.targets_from_annotations(
        {"shapes": [{"cls": "point", "box": [10, 10, 15, 15]}],
         "junctions": [{"xy": [17.0, 30.0], "angles": [0.0, 90.0]}, {"xy": [22.0, 30.0], "angles": [45.0]}]},
        1.0, (0, 0), SIZE,
    )  # fmt: skip
    for m, grid in ((coarse, SIZE // 8), (model, SIZE // 4)):
        out = m.head_outputs(m(x))
        assert out["junction_heatmap"].shape[-1] == grid
        losses = m.losses(out, [t])
        assert torch.isfinite(losses["loss"]) and losses["shape_l1"] > 0
    # two junctions 5 px apart share a stride-8 cell (one dropped) but not a stride-4 one
    from svemath.vision.targets import encode_junctions

    assert encode_junctions(t.junction_xy, t.junction_angles, SIZE // 8, 8, 24, 1.0)["dropped_junctions"] == 1
    assert encode_junctions(t.junction_xy, t.junction_angles, SIZE // 4, 4, 24, 1.0)["dropped_junctions"] == 0


def test_real_config_on_meta_device():
    cfg = geoglip_config("real")
    with torch.device("meta"):
        m = GeoGLIP(cfg)
    swin = sum(p.numel() for p in m.backbone.parameters())
    assert 27e6 < swin < 29e6 and m.nhwc
    feats = m(torch.empty(1, 3, 1000, 1000, device="meta"))
    assert [f.shape[-1] for f in m.mllm_levels(feats)] == [8, 16, 32, 125]


@pytest.mark.slow
def test_overfit_then_perceive_end_to_end():
    """100 steps on two 256 px diagrams: decoding + metrics see every shape, junction, stroke and label."""
    from svemath.vision import metrics as M

    torch.manual_seed(0)
    cfg = geoglip_config("tiny")
    m = GeoGLIP(cfg)
    xs, targets = [], []
    for seed in (0, 1):
        img, anno, edge = draw_scene(seed)
        x, scale, offset = preprocess(img, cfg)
        xs.append(x)
        targets.append(m.targets_from_annotations(anno, scale, offset, boundary=edge))
    x = torch.stack(xs)
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3, weight_decay=0.0)
    m.train()
    for _ in range(100):
        loss = m.losses(m.head_outputs(m(x)), targets)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    m.eval()
    ps = m.perceive(x)
    names = cfg.shape_classes
    shapes = M.shape_map(
        [{"boxes": p.shape_boxes, "scores": p.shape_scores, "labels": p.shape_names} for p in ps],
        [{"boxes": t.shape_boxes, "labels": [names[i] for i in t.shape_labels]} for t in targets],
    )
    junctions = M.junction_prf(
        [p.junction_xy for p in ps], [t.junction_xy for t in targets], 4.0,
        pred_scores=[p.junction_scores for p in ps], pred_angles=[p.junction_angles for p in ps],
        gt_angles=[t.junction_angles for t in targets], angle_tolerance=10.0,
    )  # fmt: skip
    pred_boundary = torch.stack([torch.nn.functional.avg_pool2d(p.boundary[None], 2)[0] for p in ps])
    boundary = M.boundary_fscore(pred_boundary, torch.stack([t.boundary for t in targets]))
    reading = M.reading_end_to_end(
        [p.text_boxes for p in ps], [p.text_strings for p in ps],
        [t.text_boxes for t in targets], [t.text_strings for t in targets],
    )  # fmt: skip
    assert shapes["map"] == pytest.approx(1.0)
    assert junctions["f1"] >= 0.9
    assert boundary["f"] >= 0.95
    assert reading["exact_match"] >= 0.8, [p.text_strings for p in ps]


def test_swin_fused_attention_matches_eager():
    """The Swin backbone's window attention through SDPA (``fused_attention``) equals timm's eager path."""
    cfg = dataclasses.replace(
        geoglip_config("real"),
        backbone_kwargs={"embed_dim": 24, "depths": (2, 2, 1, 1), "num_heads": (1, 2, 2, 2)},
        image_size=224, fpn_channels=32, gn_groups=8, mixture_heads=2,
    )  # fmt: skip
    torch.manual_seed(0)
    fused = GeoGLIP(cfg).eval()
    eager = GeoGLIP(dataclasses.replace(cfg, fused_attention=False)).eval()
    eager.load_state_dict(fused.state_dict())
    flags = {m.fused_attn for m in fused.backbone.modules() if hasattr(m, "fused_attn")}
    assert flags == {True} and {
        m.fused_attn for m in eager.backbone.modules() if hasattr(m, "fused_attn")
    } == {False}
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        a, b = fused(x), eager(x)
    for u, v in zip(fused.mllm_levels(a), eager.mllm_levels(b)):
        torch.testing.assert_close(u, v, atol=1e-4, rtol=1e-4)


def _linked_scene():
    """A rendered triangle with named vertices, a side length and an angle value (exact links)."""
    from svemath.data.render import render
    from svemath.data.scene import Scene

    sc = Scene()
    a, b, c = sc.point(60, 300, "A"), sc.point(320, 300, "B"), sc.point(150, 80, "C")
    sc.polygon([a.xy, b.xy, c.xy], side_labels=["12", "", ""])
    sc.angle(c.xy, a.xy, b.xy, "40°")
    out = render(sc)
    return out.image, out.annotations(parts=("shapes", "texts"))


def test_link_head_learns_which_label_a_value_belongs_to():
    from svemath.vision.links import label_kinds, link_metrics

    assert label_kinds(["AB", "12", "40°", "x", "+"]).tolist() == [1, 2, 2, 1, 0]
    torch.manual_seed(0)
    m = GeoGLIP(dataclasses.replace(small_config(), link_head=True))
    img, anno = _linked_scene()
    x, scale, offset = preprocess(img, m.cfg)
    target = m.targets_from_annotations(anno, scale, offset)
    strings = target.text_strings
    want = {(strings.index("12"), strings.index("A")), (strings.index("12"), strings.index("B")),
            (strings.index("40°"), strings.index("C"))}  # fmt: skip
    assert set(target.text_links) == want
    m.requires_grad_(False)
    m.link_head.requires_grad_(True)  # the rest stays as it is: only the head learns
    opt = torch.optim.AdamW(m.link_head.parameters(), lr=1e-2)
    feats = m(x[None])
    losses = []
    for _ in range(60):
        loss = m.losses(m.head_outputs(feats), [target])
        opt.zero_grad()
        loss["link"].backward()
        opt.step()
        losses.append(float(loss["link"].detach()))
    assert losses[-1] < 0.2 * losses[0]
    probs = [lg.sigmoid() for lg in m.links(feats, [target.text_boxes], [strings])]
    assert probs[0].shape == (len(strings), len(strings)) and probs[0].diagonal().eq(0).all()
    metrics = link_metrics(probs, [target.text_links])
    assert metrics["link_f1"] == 1.0 and metrics["link_exact"] == 1.0 and metrics["link_labels"] == 2
    assert metrics["link_topk"] == 1.0
    swapped = probs[0].clone()
    i12, i40 = strings.index("12"), strings.index("40°")
    swapped[i40] = swapped[i12]  # "40°" now ranks A and B first: its top-1 is not C
    assert link_metrics([swapped], [target.text_links])["link_topk"] == 0.5
    bad = dict(anno, texts=[dict(anno["texts"][0], refers=[0]), *anno["texts"][1:]])
    with pytest.raises(DataFormatError, match="'refers' must list indices of other texts"):
        m.targets_from_annotations(bad, scale, offset)
    with pytest.raises(ConfigError, match="no link head"):
        GeoGLIP(small_config()).links(feats, [target.text_boxes], [strings])


def test_link_loss_is_a_finite_zero_without_label_pairs():
    from svemath.vision.links import LinkHead, link_loss

    head = LinkHead(8, hidden=8)
    b3 = torch.randn(2, 8, 16, 16)
    logits = head(b3, 8, 128, [torch.tensor([[10.0, 10, 30, 20]]), torch.zeros(0, 4)],
                  [torch.tensor([1]), torch.zeros(0, dtype=torch.long)])  # fmt: skip
    loss = link_loss(logits, [[], []])  # one label, no labels: nothing to link
    assert torch.isfinite(loss) and float(loss) == 0.0
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in head.pair.parameters())
