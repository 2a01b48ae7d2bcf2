"""``SVEMathConfig``: the transformers config of the whole SVE-Math model (saved as config.json).

It nests plain dicts for the vision parts, so a checkpoint's config.json is readable and the vision
dataclasses stay the single source of truth (``svemath.vision.config``, rebuilt with
``svemath.configs.from_dict`` when the model is built):

- ``clip``: a ``CLIPTowerConfig`` as a dict;
- ``geoglip``: a ``GeoGLIPConfig`` as a dict, or ``None`` for the CLIP-only (LLaVA-style) baseline;
- ``router``: a ``RouterConfig`` as a dict (unused when ``geoglip`` is None);
- ``projector``: a :class:`~svemath.mllm.projector.ProjectorConfig` as a dict
  (``type``: ``mlp2x_gelu`` | ``linear``; ``token_merge``: 1 | 2);
- ``text_config``: the LLM's transformers config (Qwen2 for every preset), a sub-config resolved
  through ``AutoConfig`` exactly as ``LlavaConfig`` does, so any causal LM family works.

Also the image placeholder (``image_token`` and its id in the tokenizer), ``num_image_tokens`` (how many
``<image>`` tokens the processor writes per image; derived from the CLIP grid, the fusion mode and the
token merge, plus ``label_slots`` and ``shape_slots``; checked by the model), the pad-to-square fill used
at training AND inference, the freeze flags of the two towers, the label tokens (``label_slots``,
``label_char_token_ids``; :mod:`svemath.mllm.labels`) and the shape tokens (``shape_slots``;
:mod:`svemath.mllm.shapes`). ``pad_fill`` must equal the towers' own ``fill`` (one fill everywhere);
left None it is taken from the CLIP config when the model is built.
"""

from __future__ import annotations

from typing import Any, ClassVar

from transformers import AutoConfig, PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec

from svemath.configs import from_dict, to_dict
from svemath.errors import ConfigError
from svemath.mllm.projector import ProjectorConfig


class SVEMathConfig(PreTrainedConfig):
    r"""Configuration of :class:`~svemath.mllm.model.SVEMathForConditionalGeneration`.

    Example::

        cfg = SVEMathConfig(clip=to_dict(CLIPTowerConfig(...)), geoglip=None,
                            text_config={"model_type": "qwen2", "hidden_size": 256, ...})
    """

    model_type = "svemath"
    sub_configs_defaults: ClassVar[dict[str, SubConfigSpec]] = {
        "text_config": SubConfigSpec(config_class=AutoConfig, model_type="qwen2")
    }

    clip: dict | None = None
    geoglip: dict | None = None
    router: dict | None = None
    projector: dict | None = None
    text_config: dict | PreTrainedConfig | None = None
    image_token: str = "<image>"
    image_token_id: int | None = None
    num_image_tokens: int | None = None
    pad_fill: list[int] | tuple[int, ...] | None = None
    freeze_clip: bool = True
    freeze_geoglip: bool = True
    # label tokens (svemath.mllm.labels): character slots for the labels GeoGLIP reads (0: off, as the
    # paper); label_char_token_ids maps the reader's charset to LM token ids (set by build_model)
    label_slots: int = 0
    label_char_token_ids: list[int] | None = None
    # octaves of the sin/cos box encoding added to the label embedder's box MLP (0: off; LabelEmbedder)
    label_box_octaves: int = 0
    # shape tokens (svemath.mllm.shapes): one slot per shape GeoGLIP detects (0: off, as the paper), kept
    # above this detection score (0.5: the lowest count error of the shipped GeoGLIP on dev seed 1004)
    shape_slots: int = 0
    shape_score_threshold: float = 0.5

    def __post_init__(self, **kwargs: Any) -> None:
        self.clip = _as_dict(self.clip, "clip")
        self.geoglip = None if self.geoglip is None else _as_dict(self.geoglip, "geoglip")
        self.router = _as_dict(self.router, "router")
        self.projector = to_dict(
            from_dict(ProjectorConfig, _as_dict(self.projector, "projector"), "projector")
        )
        if self.pad_fill is not None:  # None: the CLIP tower's fill (resolved when the model is built)
            fill = self.pad_fill
            if len(fill) != 3 or not all(isinstance(v, int) and 0 <= v <= 255 for v in fill):
                raise ConfigError(f"pad_fill must be three integers in 0..255, got {fill!r}")
            self.pad_fill = [int(v) for v in fill]
        if not isinstance(self.image_token, str) or not self.image_token:
            raise ConfigError(f"image_token must be a non-empty string, got {self.image_token!r}")
        if not isinstance(self.label_slots, int) or self.label_slots < 0:
            raise ConfigError(f"label_slots must be a non-negative integer, got {self.label_slots!r}")
        octaves = self.label_box_octaves
        if not isinstance(octaves, int) or isinstance(octaves, bool) or not 0 <= octaves <= 16:
            raise ConfigError(f"label_box_octaves must be an integer in 0..16, got {octaves!r}")
        if self.label_slots and self.geoglip is None:
            raise ConfigError("label_slots needs GeoGLIP (its label reader); the CLIP-only model has none")
        if (
            not isinstance(self.shape_slots, int)
            or isinstance(self.shape_slots, bool)
            or self.shape_slots < 0
        ):
            raise ConfigError(f"shape_slots must be a non-negative integer, got {self.shape_slots!r}")
        thr = self.shape_score_threshold
        if isinstance(thr, bool) or not isinstance(thr, (int, float)) or not 0 <= thr < 1:
            raise ConfigError(f"shape_score_threshold must be a number in [0, 1), got {thr!r}")
        if self.shape_slots and self.geoglip is None:
            raise ConfigError("shape_slots needs GeoGLIP (its shape head); the CLIP-only model has none")
        for name in ("image_token_id", "num_image_tokens"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ConfigError(f"{name} must be a non-negative integer, got {value!r}")
        super().__post_init__(**kwargs)

    @property
    def use_geoglip(self) -> bool:
        return self.geoglip is not None


def _as_dict(value: Any, name: str) -> dict:
    if value is None:
        return {}
    if hasattr(value, "__dataclass_fields__"):
        return to_dict(value)
    if not isinstance(value, dict):
        raise ConfigError(f"SVEMathConfig.{name} must be a dict (or dataclass), got {type(value).__name__}")
    return dict(value)


from svemath.mllm.auto import register_auto_classes  # noqa: E402  (registers once both classes exist)

register_auto_classes()
