"""``SVEMathForConditionalGeneration``: CLIP tower + optional GeoGLIP + feature router + projector + any
causal LM, as one transformers ``PreTrainedModel`` with ``GenerationMixin``.

Data flow (shapes for one batch of B texts holding M images)::

    pixel_values [M,3,S,S] --CLIP--> "clip" [M,N,C]            \\
    geo_pixel_values [M,3,G,G] --GeoGLIP--> [P7,P6,P5,B3]      -- encode_images (frozen: cacheable)
        --router.resample--> "level_i" [M,N,C_i]               /
    --router (gates [M,L])--> fused [M,k*N,C_f] --projector--> [M,T,D]     (T = num_image_tokens)
    input_ids [B,L] --embed--> [B,L,D]; masked_scatter of the M*T vectors at the <image> tokens
    --language_model--> logits [B,L,V] (+ loss when labels are given)

With ``supervised_logits=True`` and labels, the LM head and the loss run only at the K positions whose next
token is supervised in some row (``chat.supervised_positions``): logits ``[B,K,V]``, the same loss, and
none of the image/prompt positions' vocabulary projections (the training objective's default).

The LLM is built with ``AutoModelForCausalLM.from_config(config.text_config)`` (or injected already
loaded from a hub id / local directory by the presets): there is no model file per LLM family. The
processor writes ``num_image_tokens`` real ``<image>`` tokens per image; a count mismatch raises
:class:`~svemath.errors.ShapeError` with both numbers. The embeddings are never shrunk.

Weights save/load with ``save_pretrained`` / ``from_pretrained`` (safetensors); after
``import svemath.mllm`` the checkpoint also loads through ``AutoModelForImageTextToText``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from torch import nn
from transformers import AutoModelForCausalLM, GenerationMixin, PreTrainedModel
from transformers import initialization as hf_init
from transformers.modeling_outputs import CausalLMOutputWithPast

from svemath.errors import CheckpointError, ConfigError, ShapeError
from svemath.mllm import towers
from svemath.mllm.chat import supervised_positions
from svemath.mllm.config import SVEMathConfig
from svemath.mllm.projector import Projector, ProjectorConfig

VISION_MODULES = ("clip", "geoglip", "router")


@dataclass
class SVEMathCausalLMOutputWithPast(CausalLMOutputWithPast):
    """``CausalLMOutputWithPast`` plus the router ``gates`` [M, L] (None for CLIP-only or text-only), the
    projected image tokens ``image_hidden_states`` [M, T, D] and, when asked for with
    ``return_geoglip_features=True``, GeoGLIP's full ``GeoGLIPFeatures`` (to train its heads on the same
    forward pass)."""

    gates: torch.FloatTensor | None = None
    image_hidden_states: torch.FloatTensor | None = None
    geoglip_features: Any = None


class SVEMathForConditionalGeneration(PreTrainedModel, GenerationMixin):
    config: SVEMathConfig
    config_class = SVEMathConfig
    base_model_prefix = ""
    main_input_name = "input_ids"
    input_modalities = ("image", "text")
    supports_gradient_checkpointing = True
    _supports_flash_attn = True
    _supports_sdpa = True
    _supports_flex_attn = True
    _supports_attention_backend = True

    def __init__(self, config: SVEMathConfig, language_model: PreTrainedModel | None = None) -> None:
        super().__init__(config)
        self.clip, geoglip, router = towers.build_towers(config)
        self.clip.freeze(config.freeze_clip)
        if geoglip is not None:
            geoglip.freeze(config.freeze_geoglip)
            self.geoglip, self.router = geoglip, router
        else:
            self.geoglip = self.router = None
        self.num_levels = 0 if geoglip is None else len(geoglip.level_dims)
        # The weights now live in this model: a saved config must not fetch them again.
        config.clip["pretrained"] = None
        if config.geoglip is not None:
            config.geoglip["backbone_weights"] = None
        config.pad_fill = towers.resolve_pad_fill(config)

        if language_model is None:
            language_model = AutoModelForCausalLM.from_config(config.text_config)
        self.language_model = language_model
        config.text_config = language_model.config  # one object: resizes and saves stay consistent

        grid = self.clip.grid_size
        self.projector = Projector(
            ProjectorConfig(**config.projector),
            in_dim=towers.fused_width(self.clip, self.router),
            out_dim=config.text_config.hidden_size,
            grid=grid,
        )
        self.label_slots = config.label_slots
        if self.label_slots:
            from svemath.mllm.labels import LabelEmbedder

            if self.geoglip.cfg.reader.decoder == "ctc":
                raise ConfigError(
                    "label tokens need a per-slot label reader (decoder 'mlp' or 'slots'), not CTC"
                )
            ids = config.label_char_token_ids
            if ids is None or len(ids) != self.geoglip.charset.num_classes:
                raise ConfigError(
                    f"label_slots needs label_char_token_ids for the {self.geoglip.charset.num_classes} reader "
                    "classes (build_model sets them from the tokenizer)"
                )
            self.label_embedder = LabelEmbedder(
                ids, config.text_config.hidden_size, box_octaves=config.label_box_octaves
            )
        else:
            self.label_embedder = None
        self.shape_slots = config.shape_slots
        self.shape_embedder = self._build_shape_embedder() if self.shape_slots else None
        num_image_tokens = towers.grids_per_image(self.router, config) * self.projector.tokens_per_grid()
        num_image_tokens += self.label_slots + self.shape_slots
        if config.num_image_tokens is None:
            config.num_image_tokens = num_image_tokens
        elif config.num_image_tokens != num_image_tokens:
            raise ConfigError(
                f"config.num_image_tokens={config.num_image_tokens} but the towers and projector give "
                f"{num_image_tokens} tokens per image"
            )
        vocab = config.text_config.vocab_size
        if config.image_token_id is None or not 0 <= config.image_token_id < vocab:
            raise ConfigError(
                f"image_token_id={config.image_token_id} must be a token of the LLM vocabulary (0..{vocab - 1}); "
                "build_model sets it from the tokenizer"
            )
        # The vision modules initialise themselves (and may hold pretrained weights): keep transformers'
        # generic _init_weights away from them.
        for name in VISION_MODULES:
            module = getattr(self, name)
            if module is not None:
                for sub in module.modules():
                    sub._is_hf_initialized = True
        self.processor = None  # attached by svemath.mllm.presets.load_pretrained / build_model
        self.post_init()

    # ---- embeddings ---------------------------------------------------------------------------

    def get_input_embeddings(self) -> nn.Module:
        return self.language_model.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.language_model.set_input_embeddings(value)

    def get_output_embeddings(self) -> nn.Module:
        return self.language_model.get_output_embeddings()

    def set_output_embeddings(self, value: nn.Module) -> None:
        self.language_model.set_output_embeddings(value)

    def get_decoder(self) -> nn.Module:
        return self.language_model.get_decoder()

    # ---- images -------------------------------------------------------------------------------

    def set_label_slots(self, slots: int) -> None:
        """Change how many label character slots enter the LM (``config.label_slots``; the image token
        count follows). The label embedder has no per-slot weights, so a trained model can be widened
        (or narrowed) and then fine-tuned; an attached processor is updated too."""
        if self.label_embedder is None:
            raise ConfigError("this model has no label tokens (label_slots=0): nothing to resize")
        if not isinstance(slots, int) or isinstance(slots, bool) or slots < 1:
            raise ConfigError(f"label_slots must be a positive integer, got {slots!r}")
        self.config.num_image_tokens += slots - self.label_slots
        self.config.label_slots = self.label_slots = slots
        if self.processor is not None:
            self.processor.num_image_tokens = self.config.num_image_tokens

    def add_label_box_fourier(self, octaves: int) -> None:
        """Give the label embedder a sin/cos box encoding of ``octaves`` octaves, zero-initialised (the
        model's outputs do not change until it trains), and record it in ``config.label_box_octaves``."""
        if self.label_embedder is None:
            raise ConfigError("this model has no label tokens (label_slots=0): no label boxes to encode")
        if self.label_embedder.box_octaves:
            raise ConfigError(
                f"the label embedder already has a {self.label_embedder.box_octaves}-octave box encoding"
            )
        self.label_embedder.add_box_fourier(octaves)
        self.config.label_box_octaves = octaves

    def _build_shape_embedder(self) -> nn.Module:
        from svemath.mllm.shapes import ShapeEmbedder

        return ShapeEmbedder(len(self.geoglip.cfg.shape_classes), self.config.text_config.hidden_size)

    def add_shape_slots(self, slots: int, tokenizer: Any = None) -> None:
        """Give a model without shape tokens ``slots`` of them (:mod:`svemath.mllm.shapes`): a fresh shape
        embedder (class rows from the LM's embeddings of the class names when ``tokenizer`` is given),
        recorded in ``config.shape_slots``; the image token count follows, an attached processor too."""
        if self.geoglip is None:
            raise ConfigError("shape tokens need GeoGLIP's shape head; this is a CLIP-only model")
        if self.shape_embedder is not None:
            raise ConfigError(f"this model already has {self.shape_slots} shape slots")
        if not isinstance(slots, int) or isinstance(slots, bool) or slots < 1:
            raise ConfigError(f"shape_slots must be a positive integer, got {slots!r}")
        param = next(self.projector.parameters())
        embedder = self._build_shape_embedder().to(param.device, param.dtype)
        if tokenizer is not None:
            embedder.init_classes_from(self.geoglip.cfg.shape_classes, tokenizer, self.get_input_embeddings())
        self.shape_embedder = embedder
        self.config.num_image_tokens += slots
        self.config.shape_slots = self.shape_slots = slots
        if self.processor is not None:
            self.processor.num_image_tokens = self.config.num_image_tokens

    def add_link_head(self) -> None:
        """Give GeoGLIP its label-link head (:mod:`svemath.vision.links`), freshly initialised, and record
        it in ``config.geoglip`` so that the checkpoint builds and loads it."""
        if self.geoglip is None:
            raise ConfigError("the link head needs GeoGLIP; this is a CLIP-only model")
        self.geoglip.add_link_head()
        self.config.geoglip = {**self.config.geoglip, "link_head": True}

    def encode_images(
        self, pixel_values: torch.Tensor, geo_pixel_values: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """Tower outputs for caching: ``{"clip": [M,N,C], "level_0".."level_3": [M,N,C_i]}`` (levels
        [P7, P6, P5, B3] already resampled to the CLIP grid; absent for CLIP-only). No autograd runs
        through frozen towers."""
        return towers.encode(
            self.clip, self.geoglip, self.router, pixel_values, geo_pixel_values,
            label_slots=self.label_slots, shape_slots=self.shape_slots,
            shape_threshold=self.config.shape_score_threshold,
        )  # fmt: skip

    def get_image_features(
        self,
        pixel_values: torch.Tensor | None = None,
        geo_pixel_values: torch.Tensor | None = None,
        image_features: dict[str, torch.Tensor] | None = None,
        raw: dict[str, Any] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Pixels or cached features -> (projected image tokens [M, T, D], gates [M, L] | None)."""
        if image_features is None:
            if pixel_values is None:
                raise ShapeError("pass pixel_values or image_features")
            image_features = towers.encode(
                self.clip, self.geoglip, self.router, pixel_values, geo_pixel_values, raw, self.label_slots,
                self.shape_slots, self.config.shape_score_threshold,
            )  # fmt: skip
        self._check_token_features(image_features)
        tokens, gates = towers.fuse(self.router, image_features, self.num_levels)
        embeds = self.projector(tokens)
        if self.label_embedder is not None:
            labels = self.label_embedder(image_features, self.get_input_embeddings())
            embeds = torch.cat([embeds, labels.to(embeds.dtype)], 1)
        if self.shape_embedder is not None:
            embeds = torch.cat([embeds, self.shape_embedder(image_features).to(embeds.dtype)], 1)
        return embeds, gates

    def _check_token_features(self, features: dict[str, torch.Tensor]) -> None:
        """Cached features must carry the label and shape slots this model has (a cache built before
        they were added does not)."""
        from svemath.mllm.labels import LABEL_KEYS
        from svemath.mllm.shapes import SHAPE_KEYS

        for keys, slots in ((LABEL_KEYS, self.label_slots), (SHAPE_KEYS, self.shape_slots)):
            if not slots:
                continue
            missing = [k for k in keys if k not in features]
            if missing:
                raise ShapeError(
                    f"image_features is missing {missing}: encode them with this model's encode_images"
                )
            if features[keys[0]].shape[1] != slots:
                raise ShapeError(
                    f"image_features has {features[keys[0]].shape[1]} {keys[0]} slots, this model {slots}"
                )

    def scatter_image_features(
        self, input_ids: torch.Tensor, inputs_embeds: torch.Tensor, image_embeds: torch.Tensor
    ) -> torch.Tensor:
        """Write the M*T image vectors, in order, at the ``<image>`` tokens of ``input_ids``."""
        mask = input_ids == self.config.image_token_id
        n_tokens = int(mask.sum())
        n_vectors = image_embeds.shape[0] * image_embeds.shape[1]
        if n_tokens != n_vectors:
            raise ShapeError(
                f"image tokens and image features do not match: {n_tokens} <image> tokens in input_ids, "
                f"{n_vectors} image feature vectors ({image_embeds.shape[0]} images x {image_embeds.shape[1]})"
            )
        mask = mask.unsqueeze(-1).expand_as(inputs_embeds).to(inputs_embeds.device)
        return inputs_embeds.masked_scatter(mask, image_embeds.to(inputs_embeds.device, inputs_embeds.dtype))

    # ---- forward ------------------------------------------------------------------------------

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        pixel_values: torch.Tensor | None = None,
        geo_pixel_values: torch.Tensor | None = None,
        image_features: dict[str, torch.Tensor] | None = None,
        labels: torch.LongTensor | None = None,
        position_ids: torch.LongTensor | None = None,
        cache: Any = None,
        inputs_embeds: torch.Tensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int | torch.Tensor = 0,
        past_key_values: Any = None,
        return_geoglip_features: bool = False,
        supervised_logits: bool = False,
        **kwargs: Any,
    ) -> SVEMathCausalLMOutputWithPast:
        """Causal-LM forward with images spliced in at the ``<image>`` tokens; see the module docstring."""
        cache = cache if cache is not None else past_key_values
        kwargs.pop("return_dict", None)
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("pass exactly one of input_ids or inputs_embeds")
        if pixel_values is not None and image_features is not None:
            raise ConfigError("pass pixel_values or image_features, not both")
        has_images = pixel_values is not None or image_features is not None
        image_embeds = gates = None
        raw: dict[str, Any] | None = {} if return_geoglip_features else None
        if inputs_embeds is None:
            inputs_embeds = self.get_input_embeddings()(input_ids)
            if has_images:
                image_embeds, gates = self.get_image_features(
                    pixel_values, geo_pixel_values, image_features, raw
                )
                inputs_embeds = self.scatter_image_features(input_ids, inputs_embeds, image_embeds)
            elif cache is None or cache.get_seq_length() == 0:
                n = int((input_ids == self.config.image_token_id).sum())
                if n:
                    raise ShapeError(
                        f"input_ids hold {n} <image> tokens but no pixel_values/image_features were given"
                    )
        elif has_images:
            raise ConfigError("image inputs need input_ids (the <image> tokens mark where they go)")
        if supervised_logits and labels is not None:
            if not isinstance(logits_to_keep, int) or logits_to_keep:
                raise ConfigError("supervised_logits chooses the logit positions itself: drop logits_to_keep")
            logits_to_keep, kwargs["shift_labels"] = supervised_positions(labels)
        out = self.language_model(
            inputs_embeds=inputs_embeds,
            attention_mask=attention_mask,
            position_ids=position_ids,
            cache=cache,
            labels=labels,
            use_cache=use_cache,
            logits_to_keep=logits_to_keep,
            **kwargs,
        )
        return SVEMathCausalLMOutputWithPast(
            loss=out.loss,
            logits=out.logits,
            cache=out.cache,
            hidden_states=out.hidden_states,
            attentions=out.attentions,
            gates=gates,
            image_hidden_states=image_embeds,
            geoglip_features=None if raw is None else raw.get("geoglip"),
        )

    def prepare_inputs_for_generation(
        self,
        input_ids: torch.LongTensor,
        next_sequence_length: int | None = None,
        cache: Any = None,
        attention_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        is_first_iteration: bool | None = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """As GenerationMixin's, but image inputs only enter the prefill step (the KV cache holds them after)."""
        image_inputs = {k: kwargs.pop(k, None) for k in ("geo_pixel_values", "image_features")}
        model_inputs = super().prepare_inputs_for_generation(
            input_ids,
            next_sequence_length=next_sequence_length,
            cache=cache,
            attention_mask=attention_mask,
            inputs_embeds=inputs_embeds,
            is_first_iteration=is_first_iteration,
            **kwargs,
        )
        if is_first_iteration or not kwargs.get("use_cache", True):
            model_inputs.update({k: v for k, v in image_inputs.items() if v is not None})
        return model_inputs

    # ---- loading ------------------------------------------------------------------------------

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | Path, *args: Any, **kwargs: Any):
        """transformers' loader, strict: a checkpoint whose weights do not match the model its config
        builds (missing, unexpected or mismatched keys, which transformers only logs while it initialises
        the missing ones at random) raises CheckpointError, unless the caller asks for
        ``output_loading_info`` and checks it. Then two fixes for the vision modules: frozen towers are
        frozen again (loading installs new parameters with requires_grad=True) and non-persistent buffers
        are recomputed (they are derived from the config, not saved; transformers leaves them uninitialised)."""
        wants_info = kwargs.pop("output_loading_info", False)
        ignore_sizes = kwargs.pop("ignore_mismatched_sizes", False)  # the caller's choice: then not an error
        model, info = super().from_pretrained(
            pretrained_model_name_or_path,
            *args,
            output_loading_info=True,
            ignore_mismatched_sizes=True,
            **kwargs,
        )
        checked = ("missing_keys", "unexpected_keys") + (() if ignore_sizes else ("mismatched_keys",))
        bad = {k: sorted(str(x) for x in info.get(k) or []) for k in checked}
        if any(bad.values()) and not wants_info:
            detail = "; ".join(f"{k.replace('_', ' ')}: {v[:4]}" for k, v in bad.items() if v)
            raise CheckpointError(
                f"{pretrained_model_name_or_path}: the weights do not match the model of its config ({detail})"
            )
        for tower in (model.clip, model.geoglip):
            if tower is not None:
                tower.freeze(tower.frozen)
        model._restore_vision_buffers()
        return (model, info) if wants_info else model

    def _restore_vision_buffers(self) -> None:
        loaded = {n: getattr(self, n) for n in VISION_MODULES if getattr(self, n) is not None}
        wanted = {n: list(_non_persistent_buffers(m)) for n, m in loaded.items()}
        if not any(wanted.values()):
            return
        with torch.device("cpu"), hf_init.no_init_weights():  # weights stay uninitialised: fast
            template = dict(zip(VISION_MODULES, towers.build_towers(self.config), strict=True))
        for name, keys in wanted.items():
            for key in keys:
                target = loaded[name].get_buffer(key)
                with torch.no_grad():
                    target.copy_(template[name].get_buffer(key))

    # ---- convenience (demo, eval) -------------------------------------------------------------

    def _processor(self, processor):
        processor = processor or self.processor
        if processor is None:
            path = Path(str(self.name_or_path or ""))
            from svemath.mllm.processor import PROCESSOR_FILE, SVEMathProcessor

            if not (path / PROCESSOR_FILE).is_file():
                raise ConfigError(
                    "no processor: pass processor= or load the model with svemath.mllm.load_pretrained"
                )
            processor = self.processor = SVEMathProcessor.from_pretrained(path)
        return processor

    def answer(
        self, image: Image.Image | str | Path | None, question: str, processor=None, **gen: Any
    ) -> str:
        """Answer one question about one image (greedy by default); ``gen`` as in generation.generate."""
        from svemath.mllm.generation import generate

        return generate(self, self._processor(processor), [image], [question], **gen)[0]

    def perceive(self, image: Image.Image | str | Path, processor=None, **kwargs: Any) -> dict[str, Any]:
        """GeoGLIP's view of one image for the demo (shapes, junctions, read labels, boundary map, gates);
        coordinates in the original image's pixels."""
        from svemath.mllm.perception import perceive

        return perceive(self, self._processor(processor), image, **kwargs)


def _non_persistent_buffers(module: nn.Module):
    for prefix, sub in module.named_modules():
        for name in sub._non_persistent_buffers_set:
            if getattr(sub, name, None) is not None:
                yield f"{prefix}.{name}" if prefix else name


from svemath.mllm.auto import register_auto_classes  # noqa: E402  (both classes exist now)

register_auto_classes()
