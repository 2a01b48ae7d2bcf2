"""Chat formatting, label masks, image placeholder handling, truncation, padding and image preprocessing."""

import pytest
import torch

from svemath.errors import DataFormatError, ShapeError
from svemath.mllm.chat import IGNORE_INDEX
from svemath.mllm.processor import SVEMathProcessor
from svemath.mllm.testing import diagram, tiny_test_model

CONV = [
    {"from": "human", "value": "How many circles are there?\n<image>"},
    {"from": "gpt", "value": "I count 3 circles. Answer: 3"},
    {"from": "human", "value": "And 3 + 4?"},
    {"from": "gpt", "value": "3 + 4 = 7"},
]


@pytest.fixture(scope="module")
def processor():
    return tiny_test_model()[1]


def _supervised_spans(labels):
    spans, current = [], []
    for t in labels:
        if t != IGNORE_INDEX:
            current.append(t)
        elif current:
            spans.append(current)
            current = []
    if current:
        spans.append(current)
    return spans


def test_labels_only_on_assistant_content_and_im_end(processor):
    sample = processor.encode_sample(CONV, diagram(0))
    ids, labels = sample["input_ids"], sample["labels"]
    assert len(ids) == len(labels)
    tok = processor.tokenizer
    spans = [tok.decode(s, skip_special_tokens=False) for s in _supervised_spans(labels)]
    assert spans == ["I count 3 circles. Answer: 3<|im_end|>", "3 + 4 = 7<|im_end|>"]
    for t, lab in zip(ids, labels):
        assert lab in (IGNORE_INDEX, t)
    # the whole sequence is exactly the ChatML rendering with the placeholder expanded
    n = processor.num_image_tokens
    expected = (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
        + "<image>" * n
        + "\nHow many circles are there?<|im_end|>\n<|im_start|>assistant\nI count 3 circles. Answer: 3<|im_end|>\n"
        "<|im_start|>user\nAnd 3 + 4?<|im_end|>\n<|im_start|>assistant\n3 + 4 = 7<|im_end|>\n"
    )
    assert tok.decode(ids, skip_special_tokens=False) == expected


def test_image_placeholder_moved_to_first_user_turn_and_expanded(processor):
    n = processor.num_image_tokens
    sample = processor.encode_sample(CONV, diagram(1))
    ids = sample["input_ids"]
    positions = [i for i, t in enumerate(ids) if t == processor.image_token_id]
    assert len(positions) == n and positions == list(range(positions[0], positions[0] + n))
    header = processor.tokenizer.decode(ids[: positions[0]], skip_special_tokens=False)
    assert header.endswith("<|im_start|>user\n") and header.count("<|im_start|>user") == 1
    assert all(sample["labels"][p] == IGNORE_INDEX for p in positions)
    # no placeholder but an image: inserted at the start of the first user turn
    no_tag = [{"from": "human", "value": "Count the circles."}, {"from": "gpt", "value": "2"}]
    ids2 = processor.encode_sample(no_tag, diagram(0))["input_ids"]
    assert ids2.count(processor.image_token_id) == n


def test_placeholder_errors(processor):
    with pytest.raises(DataFormatError, match="no image"):
        processor.encode_sample(CONV, None)
    two = [{"from": "human", "value": "<image> and <image>"}, {"from": "gpt", "value": "x"}]
    with pytest.raises(DataFormatError, match="2 <image>"):
        processor.encode_sample(two, diagram(0))
    with pytest.raises(DataFormatError, match="unknown role"):
        processor.encode_sample([{"from": "robot", "value": "hi"}], None)
    with pytest.raises(DataFormatError, match="no assistant"):
        processor.encode_sample([{"from": "human", "value": "hi"}], None)


def test_text_only_sample_and_custom_system_prompt(processor):
    conv = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"},
            {"role": "assistant", "content": "4"}]  # fmt: skip
    sample = processor.encode_sample(conv)
    text = processor.tokenizer.decode(sample["input_ids"], skip_special_tokens=False)
    assert text.startswith("<|im_start|>system\nBe brief.<|im_end|>")
    assert "pixel_values" not in sample and processor.image_token_id not in sample["input_ids"]


def test_truncation_counts_image_tokens_and_never_cuts_them(processor):
    full = processor.encode_sample(CONV, diagram(0))
    n_before_text = full["input_ids"].index(processor.image_token_id) + processor.num_image_tokens
    limit = n_before_text + 5
    cut = processor.encode_sample(CONV, diagram(0), max_length=limit)
    assert len(cut["input_ids"]) == limit == len(cut["labels"])
    assert cut["input_ids"] == full["input_ids"][:limit]
    assert cut["input_ids"].count(processor.image_token_id) == processor.num_image_tokens
    with pytest.raises(ShapeError, match="cut image tokens"):
        processor.encode_sample(CONV, diagram(0), max_length=n_before_text - 3)


def test_right_padding_for_training_left_for_generation(processor):
    convs = [CONV[:2], [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello there, 12"}]]
    batch = processor(conversations=convs, images=[diagram(0), None])
    assert batch["pixel_values"].shape[0] == 1 and batch["geo_pixel_values"].shape[0] == 1
    short = int(batch["attention_mask"][1].sum())
    assert batch["attention_mask"][1, :short].all() and not batch["attention_mask"][1, short:].any()
    assert (batch["labels"][1, short:] == IGNORE_INDEX).all()
    assert (batch["input_ids"][1, short:] == processor.pad_token_id).all()

    gen = processor(
        prompts=["How many circles?", "What is 2+3? Explain in detail please."], images=[diagram(0), None]
    )
    mask = gen["attention_mask"]
    assert mask[:, -1].all()  # every row ends with its last prompt token
    assert "labels" not in gen
    for row in range(2):
        n = int(mask[row].sum())
        assert not mask[row, : mask.shape[1] - n].any()
        text = processor.tokenizer.decode(gen["input_ids"][row, -n:], skip_special_tokens=False)
        assert text.startswith("<|im_start|>system") and text.endswith("<|im_start|>assistant\n")


def test_same_pixels_for_training_and_inference(processor):
    img = diagram(2, size=(150, 60))
    train = processor(conversations=[CONV[:2]], images=[img])
    infer = processor(prompts=["How many circles are there?"], images=[img])
    assert torch.equal(train["pixel_values"], infer["pixel_values"])
    assert torch.equal(train["geo_pixel_values"], infer["geo_pixel_values"])
    enc = processor.preprocess_image(img)
    assert enc["pixel_values"].shape == (3, processor.clip.image_size, processor.clip.image_size)
    assert enc["geo_geometry"]["offset"] == (0, 45)  # 150x60 centred on a 150x150 square
    # the pad area is the fill colour (white) normalised with the tower's statistics
    white = (1.0 - torch.tensor(processor.clip.mean)) / torch.tensor(processor.clip.std)
    assert torch.allclose(enc["pixel_values"][:, 0, 0], white, atol=1e-5)


def test_processor_save_and_load(processor, tmp_path):
    processor.save_pretrained(tmp_path)
    loaded = SVEMathProcessor.from_pretrained(tmp_path)
    assert loaded.to_dict() == processor.to_dict()
    a = processor(conversations=[CONV], images=[diagram(0)])
    b = loaded(conversations=[CONV], images=[diagram(0)])
    for key in a:
        assert torch.equal(a[key], b[key])
