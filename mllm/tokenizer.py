"""Tokenizers: the tiny byte-level BPE trained on our own corpus, and ChatML set-up for any tokenizer.

The ``tiny`` preset cannot download Qwen's tokenizer, so it trains a byte-level BPE with the
``tokenizers`` library on a corpus the caller supplies (the data engine's synthetic text). It copies
what matters from Qwen2.5's tokenizer:

- Qwen2's pre-tokenizer regex, which splits every digit into its own token (``\\p{N}``), so numbers are
  spelled digit by digit (important for arithmetic) and never merged into multi-digit tokens;
- byte-level fallback (any text round-trips, no unknown token);
- ChatML special tokens ``<|endoftext|>`` (pad), ``<|im_start|>``, ``<|im_end|>`` (end of turn and eos)
  and the image placeholder ``<image>``, all special (never split, never merged);
- a ChatML ``chat_template`` equal to Qwen2.5's for plain conversations (default system prompt
  "You are a helpful assistant."), saved with the tokenizer.

``prepare_tokenizer`` applies the same conventions to a real Qwen tokenizer loaded from a hub id or a
local directory: it adds ``<image>`` as a special token when missing (the vocabulary only ever grows).
"""

from __future__ import annotations

from collections.abc import Iterable

from svemath.errors import ConfigError

PAD_TOKEN = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
IMAGE_TOKEN = "<image>"
SPECIAL_TOKENS = (PAD_TOKEN, IM_START, IM_END, IMAGE_TOKEN)
DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant."

# Qwen2's pre-tokenizer pattern: contractions, letter runs, ONE digit at a time, punctuation runs,
# newlines and spaces.
QWEN2_PRETOKENIZE_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

# ChatML exactly as Qwen2.5 renders a conversation without tools.
CHATML_TEMPLATE = (
    "{%- if not messages or messages[0]['role'] != 'system' %}"
    "{{- '<|im_start|>system\\n" + DEFAULT_SYSTEM_PROMPT + "<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def train_tokenizer(
    corpus: Iterable[str],
    vocab_size: int = 1536,
    *,
    min_frequency: int = 2,
    model_max_length: int = 4096,
):
    """Train the tiny byte-level BPE on ``corpus`` (an iterable of strings) -> PreTrainedTokenizerFast.

    The result has the ChatML special tokens and ``<image>``, the ChatML chat template, eos
    ``<|im_end|>`` and pad ``<|endoftext|>``. ``vocab_size`` counts the 256 byte symbols and the special
    tokens; a small corpus may yield fewer merges than asked for.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    min_size = 256 + len(SPECIAL_TOKENS)
    if vocab_size <= min_size:
        raise ConfigError(
            f"tokenizer vocab_size must exceed {min_size} (bytes + special tokens), got {vocab_size}"
        )
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [
            # calculator annotations "<<expr=result>>": "=", "<" and ">" stand alone, so no merge crosses
            # them and the tool's forced result tokenizes exactly as in the training text
            pre_tokenizers.Split(Regex(r"[=<>]"), behavior="isolated"),
            pre_tokenizers.Split(Regex(QWEN2_PRETOKENIZE_REGEX), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    seen = 0

    def counted(texts: Iterable[str]) -> Iterable[str]:
        nonlocal seen
        for text in texts:
            if not isinstance(text, str):
                raise ConfigError(f"tokenizer corpus item {seen} is {type(text).__name__}, not str")
            seen += 1
            yield text

    backend.train_from_iterator(counted(corpus), trainer)
    if seen == 0:
        raise ConfigError("tokenizer corpus is empty")
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token=IM_END,
        pad_token=PAD_TOKEN,
        additional_special_tokens=[IM_START, IMAGE_TOKEN],
        model_max_length=model_max_length,
        clean_up_tokenization_spaces=False,
    )
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


def prepare_tokenizer(tokenizer, image_token: str = IMAGE_TOKEN) -> int:
    """Make ``tokenizer`` ready for SVE-Math in place; returns the image token id.

    Checks ChatML (``<|im_start|>`` / ``<|im_end|>`` must exist), sets the ChatML template when the
    tokenizer has none, sets pad to ``<|endoftext|>`` when unset, and adds ``image_token`` as a special
    token when missing (this only grows the vocabulary; the caller grows the embeddings if needed).
    """
    vocab = tokenizer.get_vocab()
    for tok in (IM_START, IM_END):
        if tok not in vocab:
            raise ConfigError(
                f"tokenizer {tokenizer.name_or_path!r} has no {tok}: ChatML tokens are required"
            )
    if not tokenizer.chat_template:
        tokenizer.chat_template = CHATML_TEMPLATE
    if tokenizer.pad_token is None:
        tokenizer.pad_token = PAD_TOKEN if PAD_TOKEN in vocab else IM_END
    if image_token not in vocab:
        tokenizer.add_special_tokens(
            {"additional_special_tokens": [image_token]}, replace_extra_special_tokens=False
        )
    image_id = tokenizer.convert_tokens_to_ids(image_token)
    ids = tokenizer(image_token * 2, add_special_tokens=False).input_ids
    if ids != [image_id, image_id]:
        raise ConfigError(f"{image_token!r} does not tokenize to one special token (got {ids})")
    return int(image_id)


def end_of_turn_ids(tokenizer) -> list[int]:
    """Token ids that end an assistant turn: ``<|im_end|>`` first, then ``<|endoftext|>`` if present."""
    vocab = tokenizer.get_vocab()
    return [vocab[t] for t in (IM_END, PAD_TOKEN) if t in vocab]
