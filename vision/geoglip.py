"""GeoGLIP: the geometry-grounded encoder (timm backbone -> FPN P3..P7 -> cross-resolution mixture -> B3)
with its four heads (shapes, junctions, boundaries, label reading), losses and decoding.

``GeoGLIP(cfg)(pixel_values [B, 3, S, S]) -> GeoGLIPFeatures`` (p3..p7, b3 ``[B, C, S/stride, S/stride]``,
and the stride-4 ``c2`` map when ``cfg.fine_features``). ``mllm_levels`` gives ``[P7, P6, P5, B3]`` for the
router. ``head_outputs`` / ``losses`` train the heads; ``perceive`` decodes them into ``Perception``.
With ``cfg.link_head`` (or ``add_link_head()`` on a trained tower) a fifth head scores which text labels
each label is about (``links``; :mod:`svemath.vision.links`), trained on the data engine's exact links.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import timm
import torch
from PIL import Image
from torch import nn
from torch.nn import functional as F

from svemath.errors import CheckpointError, ConfigError, ShapeError
from svemath.vision import losses as L
from svemath.vision.charset import IGNORE, Charset
from svemath.vision.common import FreezableModule, conv_norm_act
from svemath.vision.config import FEATURE_STRIDES, GeoGLIPConfig
from svemath.vision.fpn import FPN, CrossResolutionMixture
from svemath.vision.heads import PIXEL_CHANNELS, BoundaryHead, BoxHead, JunctionHead, LabelReader
from svemath.vision.links import LinkHead, label_kinds, link_loss
from svemath.vision.postprocess import Perception, decode_image
from svemath.vision.targets import ImageTargets, assign_boxes, encode_junctions, level_points
from svemath.vision.targets import targets_from_annotations as _targets_from_annotations

STRIDES = FEATURE_STRIDES
JUNCTION_TARGETS = ("heatmap", "center", "offset", "bins", "residual")  # the maps of targets.encode_junctions


@dataclass
class GeoGLIPFeatures:
    """GeoGLIP's maps, each ``[B, C, h, w]`` (strides: p3 8 ... p7 128, b3 8, c2 4)."""

    p3: torch.Tensor
    p4: torch.Tensor
    p5: torch.Tensor
    p6: torch.Tensor
    p7: torch.Tensor
    b3: torch.Tensor
    c2: torch.Tensor | None = None
    image_size: int = 0
    image: torch.Tensor | None = None  # the input pixels [B, 3, S, S] (the reader's pixel crops)

    def level(self, name: str) -> torch.Tensor:
        """A map by name; ``p2`` (stride 4, for a detector level that places 3-6 px boxes) is ``c2`` plus
        B3 upsampled to its grid, FPN-style, built on demand (the MLLM never needs it)."""
        if name != "p2":
            return getattr(self, name)
        if self.c2 is None:
            raise ConfigError("the p2 level needs the stride-4 map (fine_features=True)")
        return self.c2 + F.interpolate(self.b3, size=self.c2.shape[-2:], mode="bilinear", align_corners=False)


class GeoGLIP(FreezableModule):
    """The geometry-grounded encoder and its heads (see the module docstring). Frozen (``freeze()``), it
    stays in eval mode whatever ``train()`` is called with."""

    def __init__(self, cfg: GeoGLIPConfig) -> None:
        super().__init__()
        self.cfg = cfg
        kwargs = dict(cfg.backbone_kwargs)
        if cfg.pass_img_size:
            kwargs["img_size"] = cfg.image_size
        try:
            self.backbone = timm.create_model(cfg.backbone, pretrained=False, features_only=True, **kwargs)
        except (RuntimeError, TypeError) as exc:
            raise ConfigError(f"GeoGLIP backbone {cfg.backbone!r} with {kwargs}: {exc}") from None
        self.nhwc = str(getattr(self.backbone, "output_fmt", "NCHW")).endswith("NHWC")
        for module in self.backbone.modules():  # timm attention blocks (Swin's WindowAttention)
            if hasattr(module, "fused_attn"):
                module.fused_attn = cfg.fused_attention
        reductions = self.backbone.feature_info.reduction()
        channels = self.backbone.feature_info.channels()
        wanted = (4, 8, 16, 32) if cfg.fine_features else (8, 16, 32)
        missing = [r for r in wanted if r not in reductions]
        if missing:
            raise ConfigError(
                f"backbone {cfg.backbone} has no features at stride(s) {missing} ({reductions})"
            )
        self.take = [reductions.index(r) for r in wanted]
        in_ch = [channels[i] for i in self.take]
        if cfg.backbone_weights:
            self._load_backbone(cfg.backbone_weights)
        c = cfg.fpn_channels
        self.fpn = FPN(in_ch[-3:], c)
        self.mixture = CrossResolutionMixture(
            c, cfg.mixture_heads, cfg.norm, cfg.gn_groups, cfg.mixture_upsample
        )
        self.fine = conv_norm_act(in_ch[0], c, 1, cfg.norm, cfg.gn_groups) if cfg.fine_features else None

        det = cfg.detector
        for name in det.levels:
            if name not in ("p2", "p3", "p4", "p5", "p6", "p7"):
                raise ConfigError(f"detector level {name!r} is not one of p2..p7")
            if name == "p2" and not cfg.fine_features:
                raise ConfigError("detector level p2 needs fine_features=True (the stride-4 backbone map)")
        if len(det.level_bounds) != len(det.levels):
            raise ConfigError("detector.level_bounds needs one bound per detector level")
        self.shape_head = BoxHead(
            c,
            len(det.levels),
            det.tower_convs,
            cfg.norm,
            cfg.gn_groups,
            det.prior_prob,
            text_dim=det.text_dim,
        )
        self.text_head = BoxHead(c, len(det.levels), det.tower_convs, cfg.norm, cfg.gn_groups, det.prior_prob)
        num_classes = len(cfg.shape_classes)
        if det.class_embedding == "table":
            self.class_table = nn.Parameter(torch.randn(num_classes, det.text_dim) * 0.5)
        else:
            self.register_buffer("class_table", torch.zeros(num_classes, det.text_dim))
        if cfg.junctions.stride == 4 and not cfg.fine_features:
            raise ConfigError("junctions.stride=4 needs fine_features=True (the stride-4 backbone map)")
        self.junction_head = JunctionHead(
            c, cfg.junctions.num_bins, cfg.norm, cfg.gn_groups, cfg.junctions.convs, cfg.junctions.stride
        )
        self.boundary_head = BoundaryHead(c, cfg.boundary.stride, cfg.norm, cfg.gn_groups, cfg.fine_features)
        rd = cfg.reader
        for name in rd.features:
            if name not in STRIDES or name == "p2" or (name == "c2" and not cfg.fine_features):
                raise ConfigError(f"reader feature {name!r} unavailable (fine_features={cfg.fine_features})")
        self.charset = Charset(rd.charset, rd.max_len)
        self.reader = LabelReader(
            c * len(rd.features) + (PIXEL_CHANNELS if rd.pixel_crops else 0),
            rd.hidden,
            self.charset.num_classes,
            rd.max_len,
            rd.roi_size,
            cfg.norm,
            cfg.gn_groups,
            decoder=rd.decoder,
            pixel_crops=rd.pixel_crops,
        )
        self.link_head = LinkHead(c) if cfg.link_head else None

    # ------------------------------------------------------------------------------------- trunk
    def _load_backbone(self, path: str) -> None:
        from safetensors.torch import load_file

        try:
            state = load_file(path)
        except Exception as exc:  # safetensors raises several types for bad files
            raise CheckpointError(f"cannot read backbone weights {path}: {exc}") from None
        result = self.backbone.load_state_dict(state, strict=False)
        if result.missing_keys:
            raise CheckpointError(f"{path}: missing backbone keys {result.missing_keys[:5]} ...")

    @property
    def level_dims(self) -> list[int]:
        return [self.cfg.fpn_channels] * 4

    def forward(self, pixel_values: torch.Tensor) -> GeoGLIPFeatures:
        if (
            pixel_values.dim() != 4
            or pixel_values.shape[1] != 3
            or pixel_values.shape[2] != pixel_values.shape[3]
        ):
            raise ShapeError(
                f"GeoGLIP expects square pixel_values [B, 3, S, S], got {tuple(pixel_values.shape)}"
            )
        # channels-last convolutions (mkldnn / cuDNN's preferred layout): 2x faster GeoGLIP on the CPU,
        # same values up to float reassociation; the reader still crops the original pixel tensor
        x = pixel_values if self.nhwc else pixel_values.contiguous(memory_format=torch.channels_last)
        feats = self.backbone(x)
        feats = [feats[i] for i in self.take]
        if self.nhwc:
            feats = [f.permute(0, 3, 1, 2).contiguous() for f in feats]
        p3, p4, p5, p6, p7 = self.fpn(feats[-3:])
        b3 = self.mixture(p3, p4, p6)
        c2 = self.fine(feats[0]) if self.fine is not None else None
        return GeoGLIPFeatures(
            p3, p4, p5, p6, p7, b3, c2, image_size=int(pixel_values.shape[-1]), image=pixel_values
        )

    @staticmethod
    def mllm_levels(features: GeoGLIPFeatures) -> list[torch.Tensor]:
        """The levels the MLLM uses, coarsest first: ``[P7, P6, P5, B3]``."""
        return [features.p7, features.p6, features.p5, features.b3]

    # ------------------------------------------------------------------------------------- heads
    def class_embeddings(self, class_names: Sequence[str] | None = None) -> torch.Tensor:
        """Embeddings ``[K, text_dim]`` of known classes (the learnable table or the stored text embeddings)."""
        if class_names is None:
            return self.class_table
        known = {n: i for i, n in enumerate(self.cfg.shape_classes)}
        unknown = [n for n in class_names if n not in known]
        if unknown:
            raise ConfigError(
                f"shape class(es) {unknown} have no stored embedding; pass class_embeddings from the CLIP "
                f"text tower (known: {', '.join(self.cfg.shape_classes)})"
            )
        return self.class_table[[known[n] for n in class_names]]

    @torch.no_grad()
    def set_class_embeddings(self, embeddings: torch.Tensor) -> None:
        """Store text embeddings ``[K, text_dim]`` of ``cfg.shape_classes`` (e.g. ``clip.encode_text``)."""
        if embeddings.shape != self.class_table.shape:
            raise ShapeError(
                f"class embeddings must be {tuple(self.class_table.shape)}, got {tuple(embeddings.shape)}"
            )
        self.class_table.copy_(embeddings.to(self.class_table))

    def head_outputs(
        self, features: GeoGLIPFeatures, class_embeddings: torch.Tensor | None = None
    ) -> dict[str, Any]:
        """Raw head outputs: shape/text ``cls [B, P, K]``, ``deltas [B, P, 4]``, ``ctr [B, P]`` over the
        detector levels; junction maps ``[B, *, g, g]``; ``boundary [B, S/s, S/s]`` logits; plus the
        points/strides of the detector, its levels' grid sides (``level_grids``) and the features (for the
        reader)."""
        levels = [features.level(n) for n in self.cfg.detector.levels]
        emb = self.class_embeddings() if class_embeddings is None else class_embeddings
        s_cls, s_box, s_ctr = self.shape_head(levels, emb)
        t_cls, t_box, t_ctr = self.text_head(levels)
        strides = [STRIDES[n] for n in self.cfg.detector.levels]
        grids = [x.shape[-1] for x in levels]
        points, point_strides, point_levels = level_points(grids, strides, device=features.b3.device)
        return {
            "shape_cls": s_cls,
            "shape_deltas": s_box,
            "shape_ctr": s_ctr,
            "text_cls": t_cls,
            "text_deltas": t_box,
            "text_ctr": t_ctr,
            **self.junction_head(features.b3, features.c2),
            "boundary": self.boundary_head(features.b3, features.c2),
            "points": points,
            "point_strides": point_strides,
            "point_levels": point_levels,
            "level_grids": grids,
            "features": features,
        }

    def read(self, features: GeoGLIPFeatures, rois: torch.Tensor) -> torch.Tensor:
        """Character logits for ``rois [R, 5]`` (batch index, box): ``[R, w_r, V]`` (ctc) or
        ``[R, max_len + 1, V]`` (slots)."""
        names = self.cfg.reader.features
        maps = [getattr(features, n) for n in names]
        # [IMPORTANT] keep the characters' shape: a box narrower than the pooled grid's aspect ratio is
        # extended to the right instead of stretched, so character k of any label lands near the same
        # column (a 1-character label is not smeared over the whole grid)
        h_r, w_r = self.cfg.reader.roi_size
        rois = rois.clone()
        rois[:, 3] = torch.maximum(rois[:, 3], rois[:, 1] + (rois[:, 4] - rois[:, 2]) * (w_r / h_r))
        pooled = self.reader.pool(maps, [STRIDES[n] for n in names], rois, self.cfg.reader.box_margin)
        if self.reader.pixel_cnn is not None:
            if features.image is None:
                raise ShapeError("the label reader reads pixel crops: GeoGLIPFeatures.image is missing")
            pooled = torch.cat(
                [pooled, self.reader.pool_pixels(features.image, rois, self.cfg.reader.box_margin)], 1
            )
        return self.reader(pooled)

    def add_link_head(self) -> None:
        """Give a built (or trained) GeoGLIP the link head, freshly initialised (``cfg.link_head``)."""
        if self.link_head is None:
            self.link_head = LinkHead(self.cfg.fpn_channels).to(self.fpn.p6.weight)
            self.cfg.link_head = True

    def links(
        self, features: GeoGLIPFeatures, boxes: Sequence[torch.Tensor], strings: Sequence[Sequence[str]]
    ) -> list[torch.Tensor]:
        """Link logits ``[K, K]`` per image for text ``boxes [K, 4]`` (model-input pixels) and their
        strings (:mod:`svemath.vision.links`)."""
        if self.link_head is None:
            raise ConfigError("this GeoGLIP has no link head (GeoGLIPConfig.link_head)")
        kinds = [label_kinds(s, features.b3.device) for s in strings]
        return self.link_head(features.b3, STRIDES["b3"], features.image_size, boxes, kinds)

    def read_strings(self, features: GeoGLIPFeatures, rois: torch.Tensor) -> list[str]:
        """The strings in ``rois [R, 5]`` (greedy decoding)."""
        if rois.shape[0] == 0:
            return []
        logits = self.read(features, rois)
        if self.cfg.reader.decoder == "ctc":
            return self.charset.decode_ctc(logits)
        return self.charset.decode_logits(logits)

    # ------------------------------------------------------------------------------------- training
    def targets_from_annotations(
        self,
        annotations: dict[str, Any],
        scale: float,
        offset: Sequence[float],
        size: int | None = None,
        *,
        class_names: Sequence[str] | None = None,
        boundary: Image.Image | np.ndarray | None = None,
        where: str = "annotations",
    ) -> ImageTargets:
        """See ``svemath.vision.targets.targets_from_annotations`` (size defaults to cfg.image_size)."""
        return _targets_from_annotations(
            annotations,
            scale,
            offset,
            size or self.cfg.image_size,
            self.cfg,
            class_names=class_names,
            boundary=boundary,
            where=where,
        )

    def target_grids(self, image_size: int) -> tuple[list[int], int]:
        """Sides of the detector levels' grids and of the junction grid for ``image_size`` inputs (each
        stride-2 stage rounds up, as ``head_outputs`` sees them)."""
        levels = [-(-image_size // STRIDES[n]) for n in self.cfg.detector.levels]
        return levels, -(-image_size // self.cfg.junctions.stride)

    def dense_targets(
        self, targets: Sequence[ImageTargets], level_grids: Sequence[int], junction_grid: int
    ) -> dict[str, torch.Tensor]:
        """The per-point and per-cell targets of a batch, on the CPU (the training objective builds them
        in its collate, off the training thread): ``{shape,text}_{labels [B, P], boxes [B, P, 4],
        ctr [B, P]}`` over the detector points and ``junction_{heatmap, center, offset, bins, residual}``
        over the ``junction_grid`` x ``junction_grid`` cells (see targets.encode_junctions)."""
        cfg = self.cfg
        strides = [STRIDES[n] for n in cfg.detector.levels]
        pts, point_strides, lvls = level_points(level_grids, strides)
        dense: dict[str, torch.Tensor] = {}
        for kind in ("shape", "text"):
            assigned = [
                assign_boxes(
                    getattr(t, f"{kind}_boxes").cpu(),
                    t.shape_labels.cpu()
                    if kind == "shape"
                    else torch.zeros(len(t.text_strings), dtype=torch.long),
                    pts,
                    point_strides,
                    lvls,
                    cfg.detector.level_bounds,
                    cfg.detector.center_radius,
                )
                for t in targets
            ]
            for name, parts in zip(("labels", "boxes", "ctr"), zip(*assigned)):
                dense[f"{kind}_{name}"] = torch.stack(parts)
        j = cfg.junctions
        enc = [
            encode_junctions(
                t.junction_xy.cpu(), t.junction_angles, junction_grid, j.stride, j.num_bins, j.sigma
            )
            for t in targets
        ]
        for k in JUNCTION_TARGETS:
            dense[f"junction_{k}"] = torch.stack([e[k] for e in enc])
        return dense

    def losses(
        self,
        outputs: dict[str, Any],
        targets: Sequence[ImageTargets],
        dense: dict[str, torch.Tensor] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Per-head losses and ``"loss"`` (the weighted total) for a batch of ``ImageTargets``; ``dense``:
        their ``dense_targets`` when built beforehand (else built here)."""
        w = self.cfg.loss_weights
        feats: GeoGLIPFeatures = outputs["features"]
        device = feats.b3.device
        if len(targets) != feats.b3.shape[0]:
            raise ShapeError(f"{len(targets)} targets for a batch of {feats.b3.shape[0]} images")
        pts, strides = outputs["points"], outputs["point_strides"]
        grid = outputs["junction_heatmap"].shape[-1]
        if dense is None:  # from the targets as given (on the CPU in training), before they move
            dense = self.dense_targets(targets, outputs["level_grids"], grid)
        targets = [t.to(device) for t in targets]
        if (
            dense["shape_labels"].shape != (len(targets), pts.shape[0])
            or dense["junction_heatmap"].shape[-1] != grid
        ):
            got = (tuple(dense["shape_labels"].shape), dense["junction_heatmap"].shape[-1])
            raise ShapeError(
                f"dense targets for {got[0]} points and a {got[1]}-cell junction grid; the heads have "
                f"{pts.shape[0]} points and {grid} cells (built for another image size?)"
            )
        dense = {k: v.to(device) for k, v in dense.items()}
        out: dict[str, torch.Tensor] = {}
        for kind in ("shape", "text"):
            parts = L.box_losses(
                outputs[f"{kind}_cls"],
                outputs[f"{kind}_deltas"],
                outputs[f"{kind}_ctr"],
                dense[f"{kind}_labels"],
                dense[f"{kind}_boxes"],
                dense[f"{kind}_ctr"],
                pts,
                strides,
            )
            for k, v in parts.items():
                out[f"{kind}_{k}"] = v
        stacked = {k: dense[f"junction_{k}"] for k in JUNCTION_TARGETS}
        for k, v in L.junction_losses(outputs, stacked).items():
            out[f"junction_{k}"] = v
        has_boundary = [i for i, t in enumerate(targets) if t.boundary is not None]
        if has_boundary:
            pred = outputs["boundary"][has_boundary]
            gt = torch.stack([targets[i].boundary for i in has_boundary])
            if gt.shape != pred.shape:
                raise ShapeError(
                    f"boundary targets {tuple(gt.shape)} do not match predictions {tuple(pred.shape)}"
                )
            parts = L.boundary_losses(pred, gt)
        else:
            zero = outputs["boundary"].sum() * 0.0
            parts = {"bce": zero, "dice": zero}
        out["boundary_bce"], out["boundary_dice"] = parts["bce"], parts["dice"]
        out["reading"] = self._reading_loss(feats, targets)
        if self.link_head is not None:
            boxes = [t.text_boxes for t in targets]
            logits = self.links(feats, boxes, [t.text_strings for t in targets])
            out["link"] = link_loss(logits, [t.text_links for t in targets])
        weights = {
            "shape_cls": w.shape_cls,
            "shape_box": w.shape_box,
            "shape_l1": w.shape_l1,
            "shape_ctr": w.shape_ctr,
            "text_cls": w.text_cls,
            "text_box": w.text_box,
            "text_l1": w.text_l1,
            "text_ctr": w.text_ctr,
            "junction_heatmap": w.junction_heatmap,
            "junction_offset": w.junction_offset,
            "junction_angle": w.junction_angle,
            "junction_residual": w.junction_residual,
            "boundary_bce": w.boundary_bce,
            "boundary_dice": w.boundary_dice,
            "reading": w.reading,
            "link": w.link,
        }
        out["loss"] = sum(weights[k] * out[k] for k in weights if k in out)
        return out

    def _reading_loss(self, feats: GeoGLIPFeatures, targets: Sequence[ImageTargets]) -> torch.Tensor:
        """Read the strings of the ground-truth label boxes (teacher-forced boxes)."""
        rois, ids = [], []
        for i, t in enumerate(targets):
            ok = t.text_ids[:, 0] != IGNORE
            if ok.any():
                boxes = t.text_boxes[ok]
                rois.append(torch.cat([torch.full_like(boxes[:, :1], i), boxes], -1))
                ids.append(t.text_ids[ok])
        if not rois:
            return sum(p.sum() for p in self.reader.parameters()) * 0.0
        rois_t, ids_t = torch.cat(rois), torch.cat(ids)
        limit = self.cfg.reader.max_train_boxes
        if rois_t.shape[0] > limit:
            pick = torch.randperm(rois_t.shape[0], device=rois_t.device)[:limit]
            rois_t, ids_t = rois_t[pick], ids_t[pick]
        jitter = self.cfg.reader.box_jitter
        if jitter > 0 and self.training:
            # detected boxes are never exact: read from GT boxes shifted and scaled by up to `jitter`
            wh = (rois_t[:, 3:5] - rois_t[:, 1:3]).repeat(1, 2)
            noise = (torch.rand_like(wh) * 2 - 1) * jitter * wh
            rois_t = torch.cat([rois_t[:, :1], rois_t[:, 1:] + noise], -1)
        logits = self.read(feats, rois_t)
        if self.cfg.reader.decoder == "ctc":
            return L.ctc_reading_loss(logits, ids_t)
        return L.reading_loss(logits, ids_t)

    # ------------------------------------------------------------------------------------- inference
    @torch.no_grad()
    def perceive(
        self,
        pixel_values: torch.Tensor,
        class_names: Sequence[str] | None = None,
        class_embeddings: torch.Tensor | None = None,
        *,
        features: GeoGLIPFeatures | None = None,
        score_threshold: float | None = None,
        text_threshold: float | None = None,
    ) -> list[Perception]:
        """Detect shapes (any ``class_names``; names outside ``cfg.shape_classes`` need ``class_embeddings``
        ``[K, text_dim]``), junctions, label boxes with their strings and the boundary map, per image.
        Runs in eval mode (restored afterwards); coordinates in model-input pixels."""
        names = list(class_names if class_names is not None else self.cfg.shape_classes)
        if class_embeddings is None:
            class_embeddings = self.class_embeddings(names)
        elif class_embeddings.shape[0] != len(names):
            raise ShapeError(f"{class_embeddings.shape[0]} class embeddings for {len(names)} class names")
        was_training = self.training
        self.train(False)  # BatchNorm statistics and dropout as at inference, whatever the caller's mode
        try:
            feats = features if features is not None else self(pixel_values)
            outs = self.head_outputs(feats, class_embeddings.to(feats.b3))

            def read(rois: torch.Tensor) -> list[str]:
                return self.read_strings(feats, rois)

            return [
                decode_image(outs, i, self.cfg, names, read, score_threshold, text_threshold)
                for i in range(feats.b3.shape[0])
            ]
        finally:
            self.train(was_training)
