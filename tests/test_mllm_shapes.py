"""Shape tokens (svemath.mllm.shapes): picking detections, their colour, the embedder, and adding shape
slots to a built model (cached features, save/load, stage override, feature-cache hash)."""

import pytest
import torch

from svemath.errors import ConfigError, ShapeError
from svemath.mllm.shapes import KIND_SHAPE, ShapeEmbedder, box_colors, pick_shapes
from svemath.mllm.testing import diagram, small_tokenizer, tiny_test_model

CONVS = [
    [{"from": "human", "value": "<image>\nHow many circles?"}, {"from": "gpt", "value": "There are 2."}],
    [{"from": "human", "value": "Which bar is tallest?<image>"}, {"from": "gpt", "value": "Bar C."}],
]
IMAGES = [diagram(0), diagram(2)]


def test_pick_shapes_keeps_one_box_per_shape_the_best_scores_in_reading_order():
    boxes = torch.tensor(
        [
            [50.0, 10.0, 70.0, 30.0],  # top right
            [51.0, 10.0, 71.0, 30.0],  # the same shape again (another class scored it): suppressed
            [10.0, 12.0, 30.0, 32.0],  # top left
            [10.0, 60.0, 30.0, 80.0],  # bottom left
            [50.0, 60.0, 70.0, 80.0],  # below the threshold
        ]
    )
    scores = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.1, 0.7], [0.6, 0.1], [0.2, 0.1]])
    assert pick_shapes(scores, boxes, 0.3, 0.6, slots=8).tolist() == [2, 0, 3]  # rows, then left to right
    assert pick_shapes(scores, boxes, 0.3, 0.6, slots=2).tolist() == [2, 0]  # the two best, in order
    assert pick_shapes(scores, boxes, 0.95, 0.6, slots=8).numel() == 0


def test_box_colors_read_the_fill_inside_the_outline():
    image = torch.zeros(1, 3, 40, 40)
    image[0, :, 8:32, 8:32] = torch.tensor([0.0, 0.0, 1.0])[:, None, None]  # a blue square with a red outline
    image[0, 0, 8:32, 8:10] = image[0, 0, 8:32, 30:32] = 1.0
    rois = torch.tensor([[0.0, 8.0, 8.0, 32.0, 32.0], [0.0, 0.0, 0.0, 6.0, 6.0]])
    colors = box_colors(image, rois)
    assert torch.allclose(colors[0], torch.tensor([0.0, 0.0, 1.0]), atol=1e-5)
    assert torch.allclose(colors[1], torch.zeros(3))
    assert box_colors(image, torch.zeros(0, 5)).shape == (0, 3)


def test_shape_embedder_starts_classes_at_the_lm_words_and_masks_empty_slots():
    tokenizer = small_tokenizer()
    emb = torch.nn.Embedding(len(tokenizer) + 8, 16)
    names = ["circle", "bar"]
    embedder = ShapeEmbedder(len(names), 16, box_octaves=2)
    embedder.init_classes_from(names, tokenizer, emb)
    ids = tokenizer(" bar", add_special_tokens=False).input_ids
    assert torch.allclose(embedder.class_table[1], emb.weight[ids].mean(0))
    feats = {
        "shape_probs": torch.tensor([[[0.0, 1.0], [0.0, 0.0]]]),
        "shape_boxes": torch.tensor([[[0.1, 0.2, 0.3, 0.9], [0.0, 0.0, 0.0, 0.0]]]),
        "shape_color": torch.tensor([[[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]]),
        "shape_kind": torch.tensor([[float(KIND_SHAPE), 0.0]]),
    }
    out = embedder(feats)
    assert out.shape == (1, 2, 16)
    assert torch.equal(out[0, 1], embedder.kind.weight[0])  # an empty slot is its kind vector only
    moved = dict(feats, shape_boxes=torch.tensor([[[0.1, 0.5, 0.3, 0.9], [0.0, 0.0, 0.0, 0.0]]]))
    assert not torch.allclose(embedder(moved)[0, 0], out[0, 0])  # the box is encoded
    with pytest.raises(ConfigError, match="2 class names for 3 classes"):
        ShapeEmbedder(3, 16).init_classes_from(names, tokenizer, emb)
    with pytest.raises(ConfigError, match=r"integer in 1\.\.16"):
        ShapeEmbedder(2, 16, box_octaves=0)


def test_shape_slots_added_to_a_built_model_run_cached_and_load(tmp_path):
    from svemath.mllm.presets import load_pretrained, save_pretrained
    from svemath.train.cache import towers_hash
    from svemath.train.modeling import apply_stage_overrides

    model, processor = tiny_test_model(geoglip=True)
    before, hash_before = model.config.num_image_tokens, towers_hash(model, processor)
    apply_stage_overrides(model, processor, {"shape_slots": 6})
    assert model.config.num_image_tokens == processor.num_image_tokens == before + 6
    assert towers_hash(model, processor) != hash_before  # cached features now carry shape slots
    batch = processor(conversations=CONVS, images=IMAGES)
    with torch.no_grad():
        feats = model.encode_images(batch["pixel_values"], batch["geo_pixel_values"])
        fresh = model(**batch).logits
        cached = model(**{k: v for k, v in batch.items() if "pixel" not in k}, image_features=feats).logits
    assert torch.equal(fresh, cached)
    text = {k: v for k, v in batch.items() if "pixel" not in k}
    with pytest.raises(ShapeError, match=r"missing \['shape_probs'"):
        model(**text, image_features={k: v for k, v in feats.items() if not k.startswith("shape")})
    with pytest.raises(ShapeError, match="has 3 shape_probs slots, this model 6"):
        model(**text, image_features={k: v[:, :3] if k.startswith("shape") else v for k, v in feats.items()})
    assert feats["shape_probs"].shape == (2, 6, len(model.geoglip.cfg.shape_classes))
    assert feats["shape_color"].shape == (2, 6, 3) and feats["shape_kind"].shape == (2, 6)
    # the config's threshold decides; at 0 every slot fills, each slot's class scores sum to 1, boxes in [0, 1]
    model.config.shape_score_threshold = 0.0
    with torch.no_grad():
        low = model.encode_images(batch["pixel_values"], batch["geo_pixel_values"])
        second = model.encode_images(batch["pixel_values"][1:], batch["geo_pixel_values"][1:])
    model.config.shape_score_threshold = 0.5
    # the batch's colours (one roi_align over all images) are each image's own
    assert torch.allclose(low["shape_color"][1:], second["shape_color"], atol=1e-5)
    assert not torch.allclose(low["shape_color"][0], low["shape_color"][1])
    assert low["shape_kind"].sum().item() == 12
    assert torch.allclose(low["shape_probs"].sum(-1), torch.ones(2, 6), atol=1e-5)
    assert low["shape_boxes"].min() >= 0 and low["shape_boxes"].max() <= 1
    model.train()
    model(**batch).loss.backward()
    assert model.shape_embedder.class_table.grad is not None  # the tokens reach the loss
    model.zero_grad(set_to_none=True)
    model.eval()
    save_pretrained(model, processor, tmp_path)
    loaded, loaded_processor = load_pretrained(tmp_path)
    assert loaded.shape_slots == 6 and loaded_processor.num_image_tokens == before + 6
    assert torch.equal(loaded.shape_embedder.class_table, model.shape_embedder.class_table)
    apply_stage_overrides(loaded, loaded_processor, {"shape_slots": 6})  # already so: a no-op (resume)
    with pytest.raises(ConfigError, match="already has 6 shape slots"):
        loaded.add_shape_slots(8)
    with pytest.raises(ConfigError, match="positive integer"):
        tiny_test_model(geoglip=True)[0].add_shape_slots(True)
    clip_only, _ = tiny_test_model(geoglip=False)
    with pytest.raises(ConfigError, match="CLIP-only"):
        clip_only.add_shape_slots(4)
    with pytest.raises(ConfigError, match="shape_slots must be a non-negative integer"):
        type(model.config)(**{**model.config.to_dict(), "shape_slots": -1})
    with pytest.raises(ConfigError, match=r"shape_score_threshold must be a number in \[0, 1\)"):
        type(model.config)(**{**model.config.to_dict(), "shape_score_threshold": 1.0})


def test_build_model_with_shape_slots():
    model, processor = tiny_test_model(geoglip=True, shape_slots=4)
    plain, _ = tiny_test_model(geoglip=True)
    assert model.config.num_image_tokens == plain.config.num_image_tokens + 4
    batch = processor(conversations=CONVS, images=IMAGES)
    with torch.no_grad():
        assert torch.isfinite(model(**batch).loss)
    assert tiny_test_model(geoglip=False, shape_slots=4)[0].shape_embedder is None  # CLIP-only: none
