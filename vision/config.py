"""Typed configs of the vision side (CLIP tower, GeoGLIP and its heads, feature router) and their presets.

Each tower config carries what a processor needs to preprocess for it (``image_size``, ``mean``, ``std``,
pad ``fill``; GeoGLIP also ``channel_order`` and ``pixel_scale`` for GLIP's BGR-255 convention). Presets:

* ``tiny``: CPU-sized, trained from scratch (a 160 px / patch-16 ViT registered with open_clip as
  ``svemath-tiny-vit`` with a byte-level text tower; a narrow timm ``resnet10t`` GeoGLIP at 256 px, FPN 64).
* ``real``: ``ViT-L-14-336`` / ``openai`` and a Swin-T GeoGLIP at 1000 px with 256-channel FPN (the paper).
* ``compat``: like ``real`` but with the reference's preprocessing (RGB data, BGR-255 statistics) and the
  router's gate placed before the LayerNorm, for loading the released checkpoints.

Convert with ``svemath.configs.to_dict`` / ``from_dict``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from svemath.registry import Registry

OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
GLIP_BGR255_MEAN = (103.53, 116.28, 123.675)  # GLIP/maskrcnn constants, BGR order, 0..255 pixels
GLIP_BGR255_STD = (57.375, 57.12, 58.395)
WHITE = (255, 255, 255)

TINY_CLIP_MODEL = "svemath-tiny-vit"

# open_clip model config of the tiny preset (registered by svemath.vision.clip under TINY_CLIP_MODEL).
TINY_CLIP_MODEL_CFG: dict[str, Any] = {
    "embed_dim": 128,
    "vision_cfg": {"image_size": 160, "layers": 4, "width": 128, "head_width": 32, "patch_size": 16},
    "text_cfg": {"context_length": 64, "vocab_size": 259, "width": 128, "heads": 4, "layers": 4},
}

# Shape classes of the data engine's annotations (svemath.data.scene.SHAPE_CLASSES, same order; a test
# checks they agree): the detector's default vocabulary. Any other name can be queried at inference
# through its text embedding.
# fmt: off
SHAPE_CLASSES: tuple[str, ...] = (
    "point", "segment", "ray", "line", "polyline", "curve",
    "triangle", "right triangle", "isosceles triangle", "equilateral triangle",
    "square", "rectangle", "parallelogram", "rhombus", "trapezoid", "kite", "quadrilateral",
    "pentagon", "hexagon", "heptagon", "octagon", "polygon",
    "circle", "ellipse", "arc", "sector", "angle mark", "right angle mark",
    "axes", "bar", "pie wedge", "table", "node", "star",
    "cube", "cuboid", "cylinder", "cone", "sphere", "prism", "pyramid",
)
# fmt: on

# Stride (in model-input pixels) of each GeoGLIP map.
FEATURE_STRIDES: dict[str, int] = {
    "c2": 4, "p2": 4, "p3": 8, "p4": 16, "p5": 32, "p6": 64, "p7": 128, "b3": 8
}  # fmt: skip

# Characters the label reader can emit (index 0 is reserved for the end token).
CHARSET: str = (
    "0123456789"
    "abcdefghijklmnopqrstuvwxyz"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    " .,:;-+=/()[]%°'\"*^_<>!?|$#&"
    "πθαβγ√∠△⊥∥≈≤≥×÷−·"
    "⁰¹²³⁴⁵⁶⁷⁸⁹ˣⁿ"
)


@dataclass
class CLIPTowerConfig:
    """open_clip image tower (+ text tower) by name; tokens from ``select_layer`` (HF hidden_states index:
    -1 last block, -2 penultimate), CLS dropped."""

    model_name: str = TINY_CLIP_MODEL
    pretrained: str | None = None  # open_clip tag (e.g. "openai") or a local weights file
    select_layer: int = -2
    image_size: int = 160
    mean: tuple[float, float, float] = OPENAI_MEAN
    std: tuple[float, float, float] = OPENAI_STD
    fill: tuple[int, int, int] = WHITE
    quick_gelu: bool = False  # OpenAI weights were trained with QuickGELU
    tokenizer: Literal["open_clip", "bytes"] = "bytes"
    model_cfg: dict[str, Any] | None = None  # open_clip model config to register under model_name


@dataclass
class DetectorConfig:
    """Anchor-free (FCOS-style) box head over P3..P5; shapes score by region-text alignment. ``levels`` may
    start with ``p2`` (stride 4: c2 + upsampled B3; needs ``fine_features``) for boxes of a few pixels."""

    levels: tuple[str, ...] = ("p3", "p4", "p5")
    # A box is assigned to the first level whose bound >= max(w, h) / 2 (model-input pixels).
    level_bounds: tuple[float, ...] = (32.0, 64.0, 1.0e8)
    center_radius: float = 1.5  # centre sampling radius in strides
    tower_convs: int = 1  # 3x3 conv+norm+ReLU layers shared across levels (per head)
    text_dim: int = 128  # dimension of class (text) embeddings
    class_embedding: Literal["table", "text"] = "table"
    prior_prob: float = 0.01
    score_threshold: float = 0.3
    nms_iou: float = 0.6
    text_nms_iou: float = 0.3  # label boxes rarely overlap
    max_detections: int = 100


@dataclass
class JunctionConfig:
    """Junction heatmap + sub-cell offset + line-direction bins (with in-bin residual) on B3."""

    num_bins: int = 24
    convs: int = 1  # 3x3 conv+norm+ReLU layers before the 1x1 outputs
    # grid stride in model-input pixels: 8 (B3) or 4 (B3 upsampled + the stride-4 backbone map, as the
    # boundary head). Measured on 128 held-out primitives at 256 px: junctions sharing or touching a
    # stride-8 cell cap recall near 0.70 (3x3 peak picking), near 0.85 at stride 4.
    stride: int = 8
    sigma: float = 1.0  # Gaussian radius of the heatmap target, in cells
    score_threshold: float = 0.3
    angle_threshold: float = 0.5
    max_junctions: int = 100


@dataclass
class BoundaryConfig:
    """Per-pixel boundary logits at ``stride`` (B3 upsampled, with a stride-4 skip when available)."""

    stride: int = 2
    threshold: float = 0.5


@dataclass
class ReaderConfig:
    """Text-label reading from ROI-aligned features of the label boxes (GT boxes in training, detected
    boxes at inference)."""

    charset: str = CHARSET
    max_len: int = 12
    # per-slot characters from an MLP over the left-aligned grid (mlp), from slot queries (slots), or CTC
    # over columns (CRNN). Measured here on 14.6k label crops (400 steps of 64): mlp 87% exact, slots
    # 53%; CTC stayed on its all-blank plateau for 300 steps of the full GeoGLIP.
    decoder: Literal["mlp", "slots", "ctc"] = "mlp"
    roi_size: tuple[int, int] = (4, 16)  # (height, width) of the pooled grid (ctc: width >= 2 max_len + 1)
    # also read pixel crops of each label (at 4 x roi_size) with a small CNN beside the pooled features
    pixel_crops: bool = True
    features: tuple[str, ...] = ("b3", "c2")  # feature maps pooled (concatenated on channels)
    box_margin: float = 2.0  # pixels added around each box before pooling
    box_jitter: float = 0.1  # training: random shift/scale of GT boxes, as a fraction of their size
    hidden: int = 128
    max_train_boxes: int = 64  # GT boxes read per batch at training time (random subset above this)


@dataclass
class LossWeights:
    shape_cls: float = 1.0
    shape_box: float = 1.0
    shape_l1: float = 0.0  # smooth-L1 on the encoded deltas beside GIoU (tight tiny boxes: points, labels)
    shape_ctr: float = 0.5
    text_cls: float = 1.0
    text_box: float = 1.0
    text_l1: float = 0.0
    text_ctr: float = 0.5
    junction_heatmap: float = 1.0
    junction_offset: float = 1.0
    junction_angle: float = 1.0
    junction_residual: float = 0.5
    boundary_bce: float = 1.0
    boundary_dice: float = 1.0
    reading: float = 1.0
    link: float = 1.0  # the link head's loss (only when GeoGLIPConfig.link_head)


@dataclass
class GeoGLIPConfig:
    """timm backbone -> FPN P3..P7 -> cross-resolution mixture -> B3, plus the four heads."""

    backbone: str = "resnet10t"
    backbone_kwargs: dict[str, Any] = field(
        default_factory=lambda: {"channels": [32, 64, 128, 192], "stem_width": 16}
    )
    backbone_weights: str | None = None  # local safetensors file of timm backbone weights
    pass_img_size: bool = False  # give timm `img_size` (transformer backbones such as Swin)
    # timm leaves fused attention (SDPA) off for Swin ("experimental"); on: same values to 1e-4, faster
    fused_attention: bool = True
    image_size: int = 256
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    channel_order: Literal["rgb", "bgr"] = "rgb"
    pixel_scale: float = 1.0  # 255.0 for GLIP's 0..255 convention (mean/std then in that scale)
    fill: tuple[int, int, int] = WHITE
    fpn_channels: int = 64
    fine_features: bool = True  # also project the stride-4 backbone map (c2) for boundaries/reading
    norm: Literal["gn", "bn"] = "gn"
    gn_groups: int = 16
    mixture_heads: int = 4
    mixture_upsample: Literal["bilinear", "nearest"] = "bilinear"
    shape_classes: tuple[str, ...] = SHAPE_CLASSES
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    junctions: JunctionConfig = field(default_factory=JunctionConfig)
    boundary: BoundaryConfig = field(default_factory=BoundaryConfig)
    reader: ReaderConfig = field(default_factory=ReaderConfig)
    loss_weights: LossWeights = field(default_factory=LossWeights)
    # which labels a label is about (svemath.vision.links): off in the paper and the shipped model
    link_head: bool = False


@dataclass
class RouterConfig:
    """Feature router + fusion of GeoGLIP levels with CLIP tokens."""

    hidden_size: int = 64  # per-level token width H after the per-level MLP
    context_dim: int | None = None  # width of the projected level context in the gate (None: hidden_size)
    gate_hidden: int = 64
    mode: Literal["soft", "softmax", "constant", "top1"] = "soft"
    softmax_temperature: float = 1.0
    gate_position: Literal["clean", "compat"] = "clean"  # compat: the reference's gate before LayerNorm
    fusion: Literal["channel", "sequence"] = "channel"
    resample: Literal["area", "nearest"] = "area"  # nearest only for the reference (compat)
    use_clip: bool = True  # False: the "GeoGLIP only" ablation (CLIP tokens zeroed before fusion)


@dataclass
class VisionPreset:
    clip: CLIPTowerConfig
    geoglip: GeoGLIPConfig
    router: RouterConfig


VISION_PRESETS: Registry[Callable[[], VisionPreset]] = Registry("vision preset")


@VISION_PRESETS.register("tiny")
def _tiny() -> VisionPreset:
    geoglip = GeoGLIPConfig(
        junctions=JunctionConfig(stride=4), loss_weights=LossWeights(shape_l1=1.0, text_l1=1.0)
    )
    return VisionPreset(CLIPTowerConfig(), geoglip, RouterConfig())


def _real_geoglip() -> GeoGLIPConfig:
    return GeoGLIPConfig(
        backbone="swin_tiny_patch4_window7_224",
        backbone_kwargs={"drop_path_rate": 0.2},
        pass_img_size=True,
        image_size=1000,
        mean=GLIP_BGR255_MEAN,
        std=GLIP_BGR255_STD,
        channel_order="bgr",  # GLIP's TO_BGR255; the reference forgot the swap (compat keeps that)
        pixel_scale=255.0,
        fpn_channels=256,
        fine_features=False,
        gn_groups=32,
        mixture_heads=8,
        detector=DetectorConfig(level_bounds=(128.0, 256.0, 1.0e8), text_dim=768, tower_convs=4),
        junctions=JunctionConfig(convs=2),
        reader=ReaderConfig(features=("b3",), roi_size=(4, 24), hidden=256),
    )


def _real_clip() -> CLIPTowerConfig:
    return CLIPTowerConfig(
        model_name="ViT-L-14-336",
        pretrained="openai",
        select_layer=-2,
        image_size=336,
        quick_gelu=True,  # OpenAI weights were trained with QuickGELU
        tokenizer="open_clip",
    )


@VISION_PRESETS.register("real")
def _real() -> VisionPreset:
    return VisionPreset(
        _real_clip(), _real_geoglip(), RouterConfig(hidden_size=1024, context_dim=256, gate_hidden=1024)
    )


@VISION_PRESETS.register("compat")
def _compat() -> VisionPreset:
    """The released SVE-Math's semantics: grey padding, RGB data with BGR-255 statistics, BatchNorm and
    nearest upsampling in the mixture, nearest resampling and the gate before the LayerNorm in the router."""
    grey = (122, 116, 104)
    geo = dataclasses.replace(
        _real_geoglip(), channel_order="rgb", fill=grey, norm="bn", mixture_upsample="nearest"
    )
    router = RouterConfig(
        hidden_size=1024, context_dim=256, gate_hidden=1024, gate_position="compat", resample="nearest"
    )
    return VisionPreset(dataclasses.replace(_real_clip(), fill=grey), geo, router)


def vision_preset(name: str) -> VisionPreset:
    """Configs of the CLIP tower, GeoGLIP and router for a preset (``tiny``, ``real``, ``compat``)."""
    return VISION_PRESETS.get(name)()


def clip_config(preset: str) -> CLIPTowerConfig:
    return vision_preset(preset).clip


def geoglip_config(preset: str) -> GeoGLIPConfig:
    return vision_preset(preset).geoglip


def router_config(preset: str) -> RouterConfig:
    return vision_preset(preset).router
