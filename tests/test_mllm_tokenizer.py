"""The tiny BPE tokenizer: digits one by one, byte-level round trip, ChatML special tokens and template."""

import pytest
from transformers import AutoTokenizer

from svemath.errors import ConfigError
from svemath.mllm.testing import small_tokenizer
from svemath.mllm.tokenizer import (
    IM_END,
    IM_START,
    IMAGE_TOKEN,
    PAD_TOKEN,
    prepare_tokenizer,
    train_tokenizer,
)


@pytest.fixture(scope="module")
def tok():
    return small_tokenizer()


def test_digits_are_split_individually(tok):
    for text in ("12345", "angle 180 - 47 = 133", "x=2024.75"):
        pieces = tok.convert_ids_to_tokens(tok(text, add_special_tokens=False).input_ids)
        digit_pieces = [p for p in pieces if any(ch.isdigit() for ch in p)]
        assert all(len(p) == 1 for p in digit_pieces), pieces
        assert "".join(digit_pieces) == "".join(ch for ch in text if ch.isdigit())


def test_round_trip_any_text(tok):
    for text in ("In triangle ABC, ∠A = 47°.", "naïve 中文 ✓ tabs\tand\nnewlines", "  spaced  out  "):
        ids = tok(text, add_special_tokens=False).input_ids
        assert tok.decode(ids) == text


def test_special_tokens_are_single_ids(tok):
    for special in (PAD_TOKEN, IM_START, IM_END, IMAGE_TOKEN):
        ids = tok(special * 3, add_special_tokens=False).input_ids
        assert len(ids) == 3 and len(set(ids)) == 1
    assert tok.eos_token == IM_END and tok.pad_token == PAD_TOKEN


def test_chatml_template_matches_qwen(tok, tmp_path):
    messages = [{"role": "user", "content": "What is 2+3?"}, {"role": "assistant", "content": "5"}]
    text = tok.apply_chat_template(messages, tokenize=False)
    assert text == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n5<|im_end|>\n"
    )
    prompt = tok.apply_chat_template(messages[:1], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<|im_start|>assistant\n")
    tok.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    assert loaded.apply_chat_template(messages, tokenize=False) == text
    assert loaded("12 <image>").input_ids == tok("12 <image>").input_ids


def test_vocab_size_is_respected():
    corpus = [f"sample {i} with words like triangle circle square {i * 7}" for i in range(300)]
    tok = train_tokenizer(corpus, vocab_size=300)
    assert len(tok) <= 300
    with pytest.raises(ConfigError):
        train_tokenizer(corpus, vocab_size=100)
    with pytest.raises(ConfigError, match="empty"):
        train_tokenizer([], vocab_size=400)


def _plain_tokenizer(specials):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=specials,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    backend.train_from_iterator([f"hello world {i}" for i in range(50)], trainer)
    return PreTrainedTokenizerFast(tokenizer_object=backend, eos_token=specials[-1])


def test_prepare_tokenizer_adds_image_token_growing_the_vocabulary():
    plain = _plain_tokenizer([PAD_TOKEN, IM_START, IM_END])
    before = len(plain)
    assert IMAGE_TOKEN not in plain.get_vocab() and not plain.chat_template
    image_id = prepare_tokenizer(plain)
    assert len(plain) == before + 1 and image_id == before
    assert plain(IMAGE_TOKEN * 4, add_special_tokens=False).input_ids == [image_id] * 4
    assert plain.chat_template and plain.pad_token == PAD_TOKEN
    assert prepare_tokenizer(plain) == image_id and len(plain) == before + 1  # idempotent


def test_prepare_tokenizer_requires_chatml():
    with pytest.raises(ConfigError, match="ChatML"):
        prepare_tokenizer(_plain_tokenizer(["<s>", "</s>"]))
