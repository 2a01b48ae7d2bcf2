"""``SVEMathProcessor``: images + conversations/prompts -> model inputs, identical at train and test time.

Images: pad to square with the model's fill colour and resize, once per tower
(``svemath.vision.transforms.square_resize``), then normalise with that tower's mean/std
(``to_tensor``): ``pixel_values`` [3, S, S] for CLIP and ``geo_pixel_values`` [3, G, G] for GeoGLIP.
The same code path runs in training, evaluation and the demo, so the fill never differs (a reference
defect).

Text: ChatML through the tokenizer's chat template (``svemath.mllm.chat``): labels on assistant
content and ``<|im_end|>`` only, ``<image>`` at the start of the first user turn expanded to
``num_image_tokens`` image tokens, truncation that counts image tokens and never cuts them.
Batches are RIGHT-padded for training (:meth:`collate`) and LEFT-padded for generation.

Saved next to the model: the tokenizer files plus ``svemath_processor.json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from svemath.configs import to_dict
from svemath.errors import CheckpointError, ConfigError, DataFormatError
from svemath.mllm.chat import (
    IGNORE_INDEX,
    encode_conversation,
    encode_prompt,
    normalize_conversation,
    truncate,
)
from svemath.mllm.tokenizer import DEFAULT_SYSTEM_PROMPT, end_of_turn_ids

PROCESSOR_FILE = "svemath_processor.json"


@dataclass
class ImageSpec:
    """How one tower wants its pixels: square side, per-channel mean/std (in ``pixel_scale`` units, in
    ``channel_order``), as ``svemath.vision.transforms.to_tensor`` takes them."""

    image_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    channel_order: str = "rgb"
    pixel_scale: float = 1.0

    def __post_init__(self) -> None:
        self.image_size = int(self.image_size)
        self.mean = tuple(float(v) for v in self.mean)
        self.std = tuple(float(v) for v in self.std)
        if len(self.mean) != 3 or len(self.std) != 3:
            raise ConfigError(f"image mean/std need 3 values, got {self.mean} / {self.std}")

    def tensor(self, img: Image.Image) -> torch.Tensor:
        from svemath.vision.transforms import to_tensor

        return to_tensor(
            img, self.mean, self.std, channel_order=self.channel_order, pixel_scale=self.pixel_scale
        )


class SVEMathProcessor:
    """Tokenizer + per-tower image preprocessing + chat formatting for :class:`SVEMathForConditionalGeneration`."""

    def __init__(
        self,
        tokenizer,
        *,
        clip: ImageSpec,
        geoglip: ImageSpec | None,
        num_image_tokens: int,
        pad_fill: Sequence[int] = (255, 255, 255),
        image_token: str = "<image>",
        system_prompt: str | None = DEFAULT_SYSTEM_PROMPT,
        max_length: int = 2048,
    ) -> None:
        self.tokenizer = tokenizer
        self.clip = clip
        self.geoglip = geoglip
        self.num_image_tokens = int(num_image_tokens)
        self.pad_fill = tuple(int(v) for v in pad_fill)
        self.image_token = image_token
        self.system_prompt = system_prompt
        self.max_length = int(max_length)
        vocab = tokenizer.get_vocab()
        if image_token not in vocab:
            raise ConfigError(
                f"tokenizer has no {image_token!r} token; run svemath.mllm.tokenizer.prepare_tokenizer"
            )
        self.image_token_id = int(vocab[image_token])
        if tokenizer.pad_token_id is None:
            raise ConfigError("tokenizer has no pad token")
        self.pad_token_id = int(tokenizer.pad_token_id)
        self.stop_token_ids = end_of_turn_ids(tokenizer)

    # ---- construction -------------------------------------------------------------------------

    @classmethod
    def from_model_config(cls, config, tokenizer, **kwargs: Any) -> SVEMathProcessor:
        """Build from an ``SVEMathConfig`` (tower sizes and normalisation, fill, image token count)."""
        from svemath.mllm.towers import image_specs

        clip, geo = image_specs(config)
        if config.num_image_tokens is None:
            raise ConfigError(
                "config.num_image_tokens is unset; build the model first (it derives the count)"
            )
        return cls(
            tokenizer,
            clip=clip,
            geoglip=geo,
            num_image_tokens=config.num_image_tokens,
            pad_fill=config.pad_fill,
            image_token=config.image_token,
            **kwargs,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "processor_class": type(self).__name__,
            "clip": to_dict(self.clip),
            "geoglip": None if self.geoglip is None else to_dict(self.geoglip),
            "num_image_tokens": self.num_image_tokens,
            "pad_fill": list(self.pad_fill),
            "image_token": self.image_token,
            "system_prompt": self.system_prompt,
            "max_length": self.max_length,
        }

    def save_pretrained(self, save_directory: str | Path) -> None:
        from svemath.fileio import write_json

        path = Path(save_directory)
        path.mkdir(parents=True, exist_ok=True)
        self.tokenizer.save_pretrained(path)
        write_json(path / PROCESSOR_FILE, self.to_dict())

    @classmethod
    def from_pretrained(cls, directory: str | Path, **overrides: Any) -> SVEMathProcessor:
        from transformers import AutoTokenizer

        path = Path(directory)
        cfg_file = path / PROCESSOR_FILE
        if not cfg_file.is_file():
            raise CheckpointError(f"{path}: no {PROCESSOR_FILE} (not an SVE-Math processor directory)")
        try:
            data = json.loads(cfg_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise CheckpointError(f"{cfg_file}: invalid JSON ({exc})") from None
        data.pop("processor_class", None)
        data.update(overrides)
        tokenizer = AutoTokenizer.from_pretrained(path)
        clip = ImageSpec(**data.pop("clip"))
        geo = data.pop("geoglip")
        return cls(tokenizer, clip=clip, geoglip=None if geo is None else ImageSpec(**geo), **data)

    # ---- images -------------------------------------------------------------------------------

    def preprocess_image(self, image: Image.Image | str | Path) -> dict[str, Any]:
        """One image -> ``pixel_values`` [3,S,S], ``geo_pixel_values`` [3,G,G] (if GeoGLIP) and the
        geometry (``scale``, ``offset``) mapping original pixels to each tower's input: x' = (x+dx)*s."""
        from svemath.vision.transforms import square_resize

        if not isinstance(image, Image.Image):
            from svemath.images import load_image

            image = load_image(image)
        image = image.convert("RGB")
        out: dict[str, Any] = {}
        img, scale, offset = square_resize(image, self.clip.image_size, self.pad_fill)
        out["pixel_values"] = self.clip.tensor(img)
        out["clip_geometry"] = {"scale": scale, "offset": tuple(offset), "size": self.clip.image_size}
        if self.geoglip is not None:
            img, scale, offset = square_resize(image, self.geoglip.image_size, self.pad_fill)
            out["geo_pixel_values"] = self.geoglip.tensor(img)
            out["geo_geometry"] = {"scale": scale, "offset": tuple(offset), "size": self.geoglip.image_size}
        return out

    # ---- text ---------------------------------------------------------------------------------

    def _messages(self, conversation: Sequence[dict[str, Any]], has_image: bool, system_prompt) -> list:
        system = self.system_prompt if system_prompt is None else system_prompt
        return normalize_conversation(
            conversation, has_image=has_image, image_token=self.image_token, system_prompt=system
        )

    def encode_sample(
        self,
        conversation: Sequence[dict[str, Any]],
        image: Image.Image | str | Path | None = None,
        *,
        image_features: dict[str, Any] | None = None,
        max_length: int | None = None,
        system_prompt: str | None = None,
    ) -> dict[str, Any]:
        """A training sample -> ``input_ids``, ``labels`` (lists) and pixel tensors when there is an image;
        with ``image_features`` (one image's cached tower outputs) the sample carries those instead."""
        if image is not None and image_features is not None:
            raise ConfigError("pass image or image_features, not both")
        messages = self._messages(
            conversation, image is not None or image_features is not None, system_prompt
        )
        ids, labels = encode_conversation(
            self.tokenizer,
            messages,
            image_token=self.image_token,
            image_token_id=self.image_token_id,
            num_image_tokens=self.num_image_tokens,
        )
        ids, labels = truncate(ids, labels, max_length or self.max_length, self.image_token_id)
        sample: dict[str, Any] = {"input_ids": ids, "labels": labels}
        if image is not None:
            sample.update(self.preprocess_image(image))
        elif image_features is not None:
            sample["image_features"] = image_features
        return sample

    def encode_generation_prompt(
        self,
        prompt: str | Sequence[dict[str, Any]],
        image: Image.Image | str | Path | None = None,
        *,
        max_length: int | None = None,
        system_prompt: str | None = None,
    ) -> dict[str, Any]:
        """A question (string) or a conversation ending with a user turn -> prompt ``input_ids``."""
        conversation = [{"from": "human", "value": prompt}] if isinstance(prompt, str) else list(prompt)
        messages = self._messages(conversation, image is not None, system_prompt)
        if messages[-1]["role"] != "user":
            raise DataFormatError("a generation prompt must end with a user turn")
        ids = encode_prompt(
            self.tokenizer,
            messages,
            image_token=self.image_token,
            image_token_id=self.image_token_id,
            num_image_tokens=self.num_image_tokens,
        )
        limit = max_length or self.max_length
        if len(ids) > limit:  # keep the end (the question and the assistant header), never cut the image
            raise DataFormatError(f"prompt is {len(ids)} tokens, longer than max_length={limit}")
        sample: dict[str, Any] = {"input_ids": ids}
        if image is not None:
            sample.update(self.preprocess_image(image))
        return sample

    # ---- batching -----------------------------------------------------------------------------

    def collate(self, samples: Sequence[dict[str, Any]], padding_side: str = "right"):
        """Pad a list of encoded samples into a batch (``BatchFeature``).

        ``input_ids`` [B, T] (pad id), ``attention_mask`` [B, T], ``labels`` [B, T] (-100 on padding) when
        the samples have labels, and ``pixel_values`` [M, 3, S, S] / ``geo_pixel_values`` stacked over the
        M samples that have an image, in batch order (their image tokens appear in the same order).
        Samples may carry cached ``image_features`` (one image's ``encode_images`` output without the
        batch axis) instead of pixels: they are stacked into ``image_features`` {key: [M, N, C]}.
        """
        from transformers import BatchFeature

        if padding_side not in ("left", "right"):
            raise ConfigError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
        if not samples:
            raise DataFormatError("cannot collate an empty batch")
        width = max(len(s["input_ids"]) for s in samples)
        has_labels = all("labels" in s for s in samples)
        ids = torch.full((len(samples), width), self.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(samples), width), dtype=torch.long)
        labels = torch.full((len(samples), width), IGNORE_INDEX, dtype=torch.long)
        for row, s in enumerate(samples):
            n = len(s["input_ids"])
            cols = slice(width - n, width) if padding_side == "left" else slice(0, n)
            ids[row, cols] = torch.tensor(s["input_ids"], dtype=torch.long)
            mask[row, cols] = 1
            if has_labels:
                labels[row, cols] = torch.tensor(s["labels"], dtype=torch.long)
        batch: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if has_labels:
            batch["labels"] = labels
        for key in ("pixel_values", "geo_pixel_values"):
            tensors = [s[key] for s in samples if key in s]
            if tensors:
                batch[key] = torch.stack(tensors)
        cached = [s["image_features"] for s in samples if s.get("image_features") is not None]
        if cached:  # per-sample cached tower features ({"clip": [N, C], "level_i": [N, C_i]})
            if any("pixel_values" in s for s in samples):
                raise DataFormatError("a batch mixes cached image_features and pixel_values")
            batch["image_features"] = {k: torch.stack([c[k] for c in cached]) for k in cached[0]}
        return BatchFeature(batch)

    def __call__(
        self,
        conversations: Sequence[Sequence[dict[str, Any]]] | None = None,
        images: Sequence[Image.Image | str | Path | None] | None = None,
        *,
        prompts: Sequence[str | Sequence[dict[str, Any]]] | None = None,
        padding_side: str | None = None,
        max_length: int | None = None,
    ):
        """Training batch from ``conversations`` (right-padded, with labels) or generation batch from
        ``prompts`` (left-padded); ``images`` aligned with them (None entries for text-only samples)."""
        if (conversations is None) == (prompts is None):
            raise ConfigError("pass exactly one of conversations= or prompts=")
        items = list(conversations if conversations is not None else prompts)
        images = [None] * len(items) if images is None else list(images)
        if len(images) != len(items):
            raise DataFormatError(f"{len(items)} texts but {len(images)} images")
        if conversations is not None:
            samples = [self.encode_sample(c, im, max_length=max_length) for c, im in zip(items, images)]
            return self.collate(samples, padding_side or "right")
        samples = [
            self.encode_generation_prompt(p, im, max_length=max_length) for p, im in zip(items, images)
        ]
        return self.collate(samples, padding_side or "left")

    def batch_decode(self, sequences, skip_special_tokens: bool = True) -> list[str]:
        return self.tokenizer.batch_decode(sequences, skip_special_tokens=skip_special_tokens)

    def decode(self, ids, skip_special_tokens: bool = True) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=skip_special_tokens)
