"""The SVE-Math model: loss and gradients, splicing at <image> tokens, errors, CLIP-only, cached features,
frozen towers and trainable sets."""

import pytest
import torch

from svemath.errors import ConfigError, ShapeError
from svemath.mllm.testing import diagram, tiny_test_model
from svemath.mllm.trainable import count_parameters, set_trainable

CONVS = [
    [
        {"from": "human", "value": "<image>\nHow many circles?"},
        {"from": "gpt", "value": "There are 2 circles."},
    ],
    [{"from": "human", "value": "What is 12 + 30?"}, {"from": "gpt", "value": "12 + 30 = 42"}],
    [{"from": "human", "value": "Find the tallest bar.<image>"}, {"from": "gpt", "value": "Bar C, 35."}],
]
IMAGES = [diagram(0), None, diagram(2)]


@pytest.fixture(scope="module")
def sve():
    return tiny_test_model(geoglip=True)


@pytest.fixture(scope="module")
def batch(sve):
    return sve[1](conversations=CONVS, images=IMAGES)


def test_forward_loss_and_backward(sve, batch):
    model, _ = sve
    model.train()
    try:
        out = model(**batch)
        assert torch.isfinite(out.loss) and out.logits.shape[:2] == batch["input_ids"].shape
        assert out.gates.shape == (2, 4) and out.image_hidden_states.shape[:2] == (
            2,
            model.config.num_image_tokens,
        )
        out.loss.backward()
        grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
        assert any(n.startswith("projector.") for n in grads)
        assert any(n.startswith("router.") for n in grads)
        assert any(n.startswith("language_model.") for n in grads)
        assert not any(n.startswith(("clip.", "geoglip.")) for n in grads)  # frozen towers
        assert all(torch.isfinite(g).all() for g in grads.values())
    finally:
        model.zero_grad(set_to_none=True)
        model.eval()


def test_supervised_logits_give_the_same_loss_and_gradients(sve, batch):
    """The LM head on the supervised positions only: the loss and every gradient of the full-logits
    forward, logits [B, K, V] at exactly the positions whose next token carries a label."""
    from svemath.mllm.chat import IGNORE_INDEX, supervised_positions

    model, _ = sve
    model.train()
    grads = []
    try:
        for supervised in (False, True):
            out = model(**batch, supervised_logits=supervised)
            out.loss.backward()
            grads.append({n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None})
            model.zero_grad(set_to_none=True)
            if supervised:
                loss_sub, logits_sub = out.loss, out.logits
            else:
                loss_full, logits_full = out.loss, out.logits
    finally:
        model.zero_grad(set_to_none=True)
        model.eval()
    positions, shift = supervised_positions(batch["labels"])
    labels = batch["labels"]
    assert 0 < len(positions) < labels.shape[1] - model.config.num_image_tokens
    assert logits_sub.shape[:2] == (labels.shape[0], len(positions))
    assert torch.allclose(logits_sub, logits_full[:, positions], atol=1e-5)
    assert torch.equal(shift, labels[:, positions + 1]) and (shift != IGNORE_INDEX).any(0).all()
    torch.testing.assert_close(loss_sub, loss_full, rtol=1e-5, atol=1e-6)
    assert grads[0].keys() == grads[1].keys() and any(n.startswith("router.") for n in grads[0])
    for name in grads[0]:
        torch.testing.assert_close(grads[1][name], grads[0][name], rtol=1e-4, atol=1e-6, msg=name)
    with pytest.raises(ConfigError, match="logits_to_keep"):
        model(**batch, supervised_logits=True, logits_to_keep=1)


def test_frozen_towers_stay_in_eval_mode(sve):
    model, _ = sve
    model.train()
    try:
        assert model.projector.training and model.language_model.training and model.router.training
        assert not model.clip.training and not model.geoglip.training
        assert not any(m.training for m in model.geoglip.modules())
    finally:
        model.eval()


def test_image_features_land_exactly_at_image_tokens(sve, batch):
    model, processor = sve
    seen = {}

    def grab(module, args, kwargs):
        seen["embeds"] = kwargs["inputs_embeds"].detach().clone()

    handle = model.language_model.register_forward_pre_hook(grab, with_kwargs=True)
    try:
        with torch.no_grad():
            out = model(**batch)
    finally:
        handle.remove()
    embeds, ids = seen["embeds"], batch["input_ids"]
    mask = ids == processor.image_token_id
    assert mask.sum() == 2 * model.config.num_image_tokens and mask[1].sum() == 0
    image_vectors = out.image_hidden_states.reshape(-1, embeds.shape[-1])
    assert torch.equal(embeds[mask], image_vectors)  # in order: image 0 then image 1
    table = model.get_input_embeddings().weight
    assert torch.equal(embeds[~mask], table[ids[~mask]])  # text positions untouched


def test_count_mismatch_raises_with_both_numbers(sve, batch):
    model, _ = sve
    ids = batch["input_ids"].clone()
    first = int((ids[0] == model.config.image_token_id).nonzero()[0])
    ids[0, first] = model.config.pad_token_id if hasattr(model.config, "pad_token_id") else 0
    n = model.config.num_image_tokens
    with (
        torch.no_grad(),
        pytest.raises(ShapeError, match=rf"{2 * n - 1} <image> tokens.*{2 * n} image feature"),
    ):
        model(**{**batch, "input_ids": ids})
    with torch.no_grad(), pytest.raises(ShapeError, match="no pixel_values"):
        model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    with torch.no_grad(), pytest.raises(ShapeError, match="geo_pixel_values"):
        model(
            input_ids=batch["input_ids"],
            attention_mask=batch["attention_mask"],
            pixel_values=batch["pixel_values"],
        )


def test_cached_features_give_the_same_logits(sve, batch):
    model, _ = sve
    with torch.no_grad():
        feats = model.encode_images(batch["pixel_values"], batch["geo_pixel_values"])
        levels = ["clip", "level_0", "level_1", "level_2", "level_3"]
        labels = ["label_boxes", "label_kind", "label_probs"] if model.label_slots else []
        assert sorted(feats) == sorted(levels + labels)
        grid = model.clip.grid_size
        assert all(feats[k].shape[:2] == (2, grid * grid) for k in levels)
        assert all(feats[k].shape[:2] == (2, model.label_slots) for k in labels)
        from_pixels = model(**batch)
        text_only = {k: v for k, v in batch.items() if k not in ("pixel_values", "geo_pixel_values")}
        from_cache = model(**text_only, image_features=feats)
    assert torch.equal(from_pixels.logits, from_cache.logits)
    assert torch.equal(from_pixels.gates, from_cache.gates)
    with pytest.raises(ShapeError, match="missing"):
        model(**text_only, image_features={"clip": feats["clip"]})


def test_collate_stacks_cached_per_sample_features(sve, batch):
    model, processor = sve
    with torch.no_grad():
        feats = model.encode_images(batch["pixel_values"], batch["geo_pixel_values"])
        samples = [processor.encode_sample(c, None if im is None else im) for c, im in zip(CONVS, IMAGES)]
        rows = iter(range(2))
        for s, im in zip(samples, IMAGES):  # a dataset of cached features: one feature dict per sample
            s.pop("pixel_values", None), s.pop("geo_pixel_values", None)
            if im is not None:
                r = next(rows)
                s["image_features"] = {k: v[r] for k, v in feats.items()}
        cached_batch = processor.collate(samples)
        assert torch.equal(cached_batch["input_ids"], batch["input_ids"])
        assert torch.equal(model(**cached_batch).logits, model(**batch).logits)


def test_clip_only_baseline():
    model, processor = tiny_test_model(geoglip=False)
    assert model.geoglip is None and model.router is None and processor.geoglip is None
    batch = processor(conversations=CONVS, images=IMAGES)
    assert "geo_pixel_values" not in batch
    out = model(**batch)
    assert torch.isfinite(out.loss) and out.gates is None
    feats = model.encode_images(batch["pixel_values"])
    assert list(feats) == ["clip"]
    assert model.config.num_image_tokens == (model.clip.grid_size // 2) ** 2  # 2x2 merge, channel = 1 grid


def test_set_trainable_and_counts(sve):
    model, _ = sve
    try:
        counts = set_trainable(model, ["projector", "router"])
        assert counts["language_model"]["trainable"] == 0 and counts["projector"]["frozen"] == 0
        assert counts["clip"]["trainable"] == 0 and counts["router"]["trainable"] == counts["router"]["total"]
        counts = set_trainable(model, ["llm", "projector", "router", "geoglip"])
        assert counts["geoglip"]["trainable"] == counts["geoglip"]["total"] > 0
        model.train()
        assert model.geoglip.training  # unfrozen towers follow train()/eval() again
        total = sum(p.numel() for p in model.parameters())
        assert counts["all"]["total"] == total
        with pytest.raises(ConfigError, match="unknown module"):
            set_trainable(model, ["decoder"])
    finally:
        set_trainable(model, ["projector", "router", "language_model"])
        model.eval()
    assert not model.geoglip.training


def test_geoglip_features_returned_for_joint_head_training(sve, batch):
    model, _ = sve
    try:
        set_trainable(model, ["geoglip", "router", "projector"])
        model.train()
        out = model(**batch, return_geoglip_features=True)
        feats = out.geoglip_features
        assert feats.b3.shape[0] == 2  # one entry per image
        heads = model.geoglip.head_outputs(feats)
        (out.loss + heads["boundary"].float().mean()).backward()  # LM loss + a GeoGLIP head loss
        assert all(p.grad is not None for p in model.geoglip.mixture.parameters())
    finally:
        model.zero_grad(set_to_none=True)
        set_trainable(model, ["projector", "router", "language_model"])
        model.eval()
    assert model(**batch).geoglip_features is None


def test_parameter_count_keys(sve):
    counts = count_parameters(sve[0])
    expected = {"clip", "geoglip", "router", "projector", "language_model", "all"}
    assert set(counts) == expected | ({"label_embedder"} if sve[0].label_slots else set())
    assert counts["all"]["total"] == sum(c["total"] for k, c in counts.items() if k != "all")


def test_embeddings_are_never_shrunk(sve):
    model, processor = sve
    rows = model.get_input_embeddings().weight.shape[0]
    assert rows >= len(processor.tokenizer) and rows % 64 == 0
    assert model.config.text_config.vocab_size == rows


def test_label_tokens_pack_read_labels_in_reading_order():
    from svemath.mllm.labels import reading_order

    boxes = torch.tensor([[100.0, 50, 120, 60], [10, 52, 30, 62], [10, 10, 30, 20]])
    assert reading_order(boxes) == [2, 1, 0]  # top row first, then left to right


def test_label_embedder_uses_the_lm_embedding_of_read_characters():
    from svemath.mllm.labels import KIND_CHAR, LabelEmbedder

    emb = torch.nn.Embedding(10, 8)
    embedder = LabelEmbedder([-1, 3, 7, -1], 8)  # END, 'a'->3, 'b'->7, 'c'-> no token
    probs = torch.zeros(1, 2, 4)
    probs[0, 0, 1] = 1.0  # slot 0 reads 'a' for sure
    probs[0, 1, 3] = 1.0  # slot 1 reads 'c'
    feats = {"label_probs": probs, "label_boxes": torch.zeros(1, 2, 4),
             "label_kind": torch.full((1, 2), float(KIND_CHAR))}  # fmt: skip
    out = embedder(feats, emb)
    base = embedder.box(torch.zeros(4)) + embedder.kind.weight[KIND_CHAR]
    assert torch.allclose(out[0, 0], emb.weight[3] + base, atol=1e-6)
    assert torch.allclose(out[0, 1], embedder.extra[3] + base, atol=1e-6)
    out.sum().backward()
    assert emb.weight.grad[3].abs().sum() > 0 and emb.weight.grad[7].abs().sum() == 0


def test_link_head_override_adds_a_head_that_is_saved_and_loaded(tmp_path):
    from svemath.mllm.presets import load_pretrained, save_pretrained
    from svemath.train.modeling import apply_stage_overrides

    model, processor = tiny_test_model(geoglip=True)
    assert model.geoglip.link_head is None
    apply_stage_overrides(model, processor, {"geoglip_link_head": True})
    assert model.geoglip.link_head is not None and model.config.geoglip["link_head"] is True
    save_pretrained(model, processor, tmp_path)
    loaded, _ = load_pretrained(tmp_path)  # strict loading: the head's weights are in the checkpoint
    for a, b in zip(model.geoglip.link_head.parameters(), loaded.geoglip.link_head.parameters(), strict=True):
        assert torch.equal(a, b)
    with pytest.raises(ConfigError, match="must be true"):
        apply_stage_overrides(model, processor, {"geoglip_link_head": "yes"})


def test_label_box_fourier_starts_as_a_no_op_then_learns_and_is_saved(tmp_path):
    from svemath.mllm.labels import KIND_CHAR
    from svemath.mllm.presets import load_pretrained, save_pretrained
    from svemath.train.modeling import apply_stage_overrides

    model, processor = tiny_test_model(geoglip=True)
    batch = processor(conversations=CONVS, images=IMAGES)
    slots, vocab = 3, model.label_embedder.extra.shape[0]
    feats = {"label_probs": torch.full((1, slots, vocab), 1.0 / vocab), "label_boxes": torch.rand(1, slots, 4),
             "label_kind": torch.full((1, slots), float(KIND_CHAR))}  # fmt: skip
    with torch.no_grad():
        before = model(**batch).logits
        slots_before = model.label_embedder(feats, model.get_input_embeddings())
    apply_stage_overrides(model, processor, {"label_box_octaves": 0})  # the model's own value: no change
    assert model.label_embedder.box_fourier is None
    apply_stage_overrides(model, processor, {"label_box_octaves": 4})
    assert model.config.label_box_octaves == 4 and model.label_embedder.box_fourier.in_features == 32
    with torch.no_grad():  # zero-initialised: the label tokens and the model's outputs are unchanged
        assert torch.equal(model.label_embedder(feats, model.get_input_embeddings()), slots_before)
        assert torch.equal(model(**batch).logits, before)
    model.label_embedder(feats, model.get_input_embeddings()).square().sum().backward()
    grad = model.label_embedder.box_fourier.weight.grad
    assert grad is not None and grad.abs().sum() > 0  # ...and it learns from the first step
    with torch.no_grad():
        model.label_embedder.box_fourier.weight.normal_()
    # distinct boxes get distinct encodings at every scale the octaves cover
    boxes = torch.tensor([[[0.1, 0.1, 0.2, 0.2], [0.1, 0.6, 0.2, 0.7]]])
    enc = model.label_embedder.encode_boxes(boxes)
    assert not torch.allclose(enc[0, 0], enc[0, 1])
    save_pretrained(model, processor, tmp_path)
    loaded, _ = load_pretrained(tmp_path)  # strict loading: the new weights are in the checkpoint
    assert loaded.config.label_box_octaves == 4
    assert torch.equal(loaded.label_embedder.box_fourier.weight, model.label_embedder.box_fourier.weight)
    apply_stage_overrides(loaded, processor, {"label_box_octaves": 4})  # already there: a no-op (resume)
    with pytest.raises(ConfigError, match="already has a 4-octave"):
        loaded.add_label_box_fourier(6)
    with pytest.raises(ConfigError, match=r"integer in 1\.\.16"):
        tiny_test_model(geoglip=True)[0].add_label_box_fourier(0)
    with pytest.raises(ConfigError, match=r"label_box_octaves must be an integer in 0\.\.16"):
        type(model.config)(**{**model.config.to_dict(), "label_box_octaves": 17})
    clip_only, _ = tiny_test_model(geoglip=False)
    with pytest.raises(ConfigError, match="no label tokens"):
        clip_only.add_label_box_fourier(4)


def test_label_slots_can_be_resized_on_a_built_model(tmp_path):
    from svemath.mllm.presets import load_pretrained, save_pretrained
    from svemath.train.modeling import apply_stage_overrides

    model, processor = tiny_test_model(geoglip=True)  # the processor is not attached: updated all the same
    before = model.config.num_image_tokens
    apply_stage_overrides(model, processor, {"label_slots": model.label_slots + 16})
    assert model.config.num_image_tokens == processor.num_image_tokens == before + 16
    batch = processor(conversations=CONVS, images=IMAGES)
    with torch.no_grad():
        feats = model.encode_images(batch["pixel_values"], batch["geo_pixel_values"])
        loss = model(**batch).loss  # image token count and feature count agree after the resize
    assert feats["label_probs"].shape[1] == model.label_slots and torch.isfinite(loss)
    save_pretrained(model, processor, tmp_path)
    loaded, loaded_processor = load_pretrained(tmp_path)
    assert loaded.label_slots == model.label_slots and loaded_processor.num_image_tokens == before + 16
    with pytest.raises(
        ConfigError,
        match="override\\(s\\) \\['label_slot'\\]; known: \\['geoglip_link_head', 'label_box_octaves', "
        "'label_slots', 'shape_slots'\\]",
    ):
        apply_stage_overrides(model, processor, {"label_slot": 3})
    with pytest.raises(ConfigError, match="positive integer"):
        model.set_label_slots(True)
    clip_only, _ = tiny_test_model(geoglip=False)
    with pytest.raises(ConfigError, match="no label tokens"):
        clip_only.set_label_slots(8)
