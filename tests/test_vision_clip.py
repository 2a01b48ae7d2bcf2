"""CLIP tower over open_clip: tokens, layer selection, frozen behaviour, text embeddings, weights files."""

from __future__ import annotations

import dataclasses

import open_clip
import pytest
import torch
from safetensors.torch import save_file

from svemath.errors import ConfigError, ShapeError
from svemath.vision.clip import ByteTokenizer, CLIPTower
from svemath.vision.config import TINY_CLIP_MODEL, clip_config


@pytest.fixture(autouse=True)
def _one_thread():
    """One intra-op thread: on a shared 2-core machine two threads are 10-50x slower under load."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def tower() -> CLIPTower:
    torch.manual_seed(0)
    return CLIPTower(clip_config("tiny"))


def test_tokens_shape_and_cls_dropped(tower):
    x = torch.randn(2, 3, 160, 160)
    tokens = tower(x)
    assert tower.grid_size == 10 and tower.num_tokens == 100 and tower.hidden_size == 128
    assert tokens.shape == (2, 100, 128)
    # reference computation: run the blocks by hand, drop the CLS token of the penultimate block's output
    visual = tower.model.visual
    with torch.no_grad():
        h = visual._embeds(x)
        for blk in visual.transformer.resblocks[: tower.num_layers - 1]:
            h = blk(h)
    torch.testing.assert_close(tokens.detach(), h[:, 1:])


def test_layer_selection(tower):
    x = torch.randn(1, 3, 160, 160)
    last = dataclasses.replace(tower.cfg, select_layer=-1)
    tower_last = CLIPTower(last)
    tower_last.load_state_dict(tower.state_dict())
    assert tower.block_index == tower.num_layers - 2 and tower_last.block_index == tower.num_layers - 1
    assert not torch.allclose(tower(x), tower_last(x))
    with pytest.raises(ConfigError, match="out of range"):
        CLIPTower(dataclasses.replace(tower.cfg, select_layer=-9))


def test_frozen_tower_stays_in_eval_and_has_no_grads():
    t = CLIPTower(clip_config("tiny")).freeze()
    parent = torch.nn.Sequential(t, torch.nn.Linear(2, 2))
    parent.train()
    assert parent.training and parent[1].training
    assert not t.training and not any(m.training for m in t.modules())
    assert not any(p.requires_grad for p in t.parameters())
    out = t(torch.randn(1, 3, 160, 160))
    assert not out.requires_grad
    t.unfreeze()
    parent.train()
    assert t.training and all(p.requires_grad for p in t.parameters())


def test_text_embeddings(tower):
    emb = tower.encode_text(["circle", "right triangle", "47°"])
    assert emb.shape == (3, tower.embed_dim)
    torch.testing.assert_close(emb.norm(dim=-1), torch.ones(3))
    assert not torch.allclose(emb[0], emb[1])


def test_byte_tokenizer():
    tok = ByteTokenizer(context_length=8)
    ids = tok(["ab", "°", "x" * 20])
    assert ids.shape == (3, 8)
    assert ids[0].tolist() == [257, 98, 99, 258, 0, 0, 0, 0]
    assert ids[2, -1] == 258 and int(ids.argmax(-1)[2]) == 7  # truncated, still ends with EOT
    assert tok.decode(ids[1].tolist()) == "°"


def test_registered_with_open_clip_and_contrastive_loss(tower):
    model = open_clip.create_model(TINY_CLIP_MODEL)
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in tower.model.parameters())
    img = tower.encode_image(torch.randn(4, 3, 160, 160))
    txt = tower.encode_text(["a", "b", "c", "d"])
    loss = open_clip.ClipLoss()(img, txt, tower.model.logit_scale.exp())
    assert loss.ndim == 0 and torch.isfinite(loss)


def test_local_weights_file_round_trip(tmp_path, tower):
    path = tmp_path / "tiny_clip.safetensors"
    save_file({k: v.contiguous() for k, v in tower.model.state_dict().items()}, str(path))
    loaded = CLIPTower(dataclasses.replace(tower.cfg, pretrained=str(path)))
    x = torch.randn(1, 3, 160, 160)
    torch.testing.assert_close(loaded(x), tower(x))


def test_bad_names_and_shapes(tower):
    with pytest.raises(ConfigError, match="unknown open_clip model"):
        CLIPTower(dataclasses.replace(tower.cfg, model_name="no-such-model"))
    with pytest.raises(ConfigError, match="not-a-tag"):
        CLIPTower(dataclasses.replace(tower.cfg, pretrained="not-a-tag"))
    with pytest.raises(ConfigError, match="image_size"):
        CLIPTower(dataclasses.replace(tower.cfg, image_size=224))
    with pytest.raises(ShapeError, match="160"):
        tower(torch.randn(1, 3, 128, 128))


def test_real_config_is_constructible_on_meta_device():
    cfg = clip_config("real")
    assert cfg.model_name == "ViT-L-14-336" and cfg.pretrained == "openai" and cfg.quick_gelu
    with torch.device("meta"):
        t = CLIPTower(dataclasses.replace(cfg, pretrained=None), device="meta")
    assert t.hidden_size == 1024 and t.grid_size == 24 and t.num_tokens == 576 and t.block_index == 22
    n = sum(p.numel() for p in t.model.visual.parameters())
    assert 300e6 < n < 310e6
