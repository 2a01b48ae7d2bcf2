"""The ``geoglip`` objective: GeoGLIP's four heads on the ``primitives`` suite (exact synthetic labels).

Each example is a diagram with its annotations (shape boxes and classes, junctions with line directions,
text labels with their strings, the boundary map), mapped into the model-input frame by the same
pad-to-square + resize the processor uses. The loss is GeoGLIP's weighted sum of focal + GIoU +
centerness (shapes, text boxes), junction heatmap/offset/direction, boundary BCE + Dice and the
label-reading loss. Held-out metrics: shape mAP@0.5, junction F1 within ``junction_radius`` pixels,
boundary F-score, label reading exact match (end to end and from GT boxes); with GeoGLIP's link head,
its loss joins the sum and ``link_precision`` / ``link_recall`` / ``link_f1`` / ``link_exact`` /
``link_topk`` (on GT boxes, :func:`svemath.vision.links.link_metrics`) the metrics. To train the link
head alone on a trained tower: ``trainable: [geoglip.link_head]`` with ``model_overrides:
{geoglip_link_head: true}``.

Options: ``junction_radius`` (model-input pixels, default 4), ``class_embeddings`` ("table": the
learnable class table; "clip": the CLIP text tower's embeddings of the class names, GLIP's formulation).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import torch

from svemath.errors import DataFormatError
from svemath.images import load_image
from svemath.train.objectives import Objective, register_objective


class PrimitiveSource:
    def __init__(self, records: list[Any]) -> None:
        self.records = [r for r in records if r.annotations and r.image is not None]
        if not self.records:
            raise DataFormatError("the geoglip stage needs records with annotations (the primitives suite)")

    def __len__(self) -> int:
        return len(self.records)

    def levels(self) -> list[str | None]:
        return [r.meta.get("level") for r in self.records]

    def get(self, index: int) -> Any:
        return self.records[index]


class GeoGLIPTask(torch.nn.Module):
    """GeoGLIP plus its losses as one forward (what DDP wraps in this stage)."""

    def __init__(self, geoglip: torch.nn.Module) -> None:
        super().__init__()
        self.geoglip = geoglip

    def forward(
        self, pixels: torch.Tensor, targets: list[Any], dense: dict[str, torch.Tensor] | None = None
    ) -> dict[str, torch.Tensor]:
        feats = self.geoglip(pixels)
        return self.geoglip.losses(self.geoglip.head_outputs(feats), targets, dense)


@register_objective
class GeoGLIPHeads(Objective):
    name = "geoglip"

    def sources(self) -> dict[str, PrimitiveSource]:
        if not hasattr(self, "_sources"):
            from svemath.data.dataset import load_dataset

            self._sources = {
                e.dataset: PrimitiveSource(load_dataset(self.ctx.dataset_paths[e.dataset]).records)
                for e in self.stage.data
            }
            if self.stage.options.get("class_embeddings", "table") == "clip":
                self._set_clip_class_embeddings()
        return self._sources

    def _set_clip_class_embeddings(self) -> None:
        model = self.ctx.model
        names = list(model.geoglip.cfg.shape_classes)
        with torch.no_grad():
            emb = model.clip.encode_text([f"a diagram of a {n}" for n in names])
        model.geoglip.set_class_embeddings(emb)

    def example(self, record: Any) -> tuple[torch.Tensor, Any]:
        from svemath.vision.transforms import square_resize

        proc = self.ctx.processor
        geo = self.ctx.model.geoglip
        image = load_image(record.image)
        img, scale, offset = square_resize(image, proc.geoglip.image_size, proc.pad_fill)
        boundary = load_image(record.boundary).convert("L") if record.boundary is not None else None
        targets = geo.targets_from_annotations(
            record.annotations,
            scale,
            offset,
            proc.geoglip.image_size,
            boundary=boundary,
            where=record.location,
        )
        return proc.geoglip.tensor(img), targets

    def collate(self, examples: list[Any]) -> dict[str, Any]:
        pairs = [self.example(r) for r in examples]
        pixels, targets = torch.stack([p for p, _ in pairs]), [t for _, t in pairs]
        # the per-point box assignment and junction maps are built here, in the engine's prefetch thread,
        # while the previous step trains (about 5 ms an image on the main thread otherwise)
        geo = self.ctx.model.geoglip
        dense = geo.dense_targets(targets, *geo.target_grids(pixels.shape[-1]))
        return {"pixels": pixels, "targets": targets, "dense": dense}

    def task_module(self, model: torch.nn.Module) -> torch.nn.Module:
        return GeoGLIPTask(model.geoglip)

    def loss(self, task: torch.nn.Module, batch: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        losses = task(batch["pixels"], batch["targets"], batch["dense"])
        logs = {k: float(v.detach()) for k, v in losses.items() if k != "loss"}
        return losses["loss"], logs

    @torch.no_grad()
    def evaluate(self, model: torch.nn.Module) -> dict[str, float]:
        if not self.stage.heldout:
            return {}
        from svemath.data.dataset import load_dataset
        from svemath.fileio import write_json

        records = load_dataset(self.ctx.dataset_paths[self.stage.heldout]).records[: self.stage.heldout_n]
        by_class: dict[str, dict[str, float]] = {}
        out = perception_metrics(self, model, PrimitiveSource(records).records, self.stage.options, by_class)
        # the mean AP hides which shapes fail (and rare classes make it noisy): keep the table per class
        write_json(self.ctx.out_dir / "shape_ap50_by_class.json",
                   {"n_images": len(records), "shape_map50": out["shape_map50"], "classes": by_class})  # fmt: skip
        return out


def perception_metrics(
    obj: GeoGLIPHeads,
    model: torch.nn.Module,
    records: list[Any],
    options: dict,
    by_class: dict[str, dict[str, float]] | None = None,
) -> dict[str, float]:
    """Held-out perception metrics of ``model.geoglip`` on annotated records; ``by_class``, when given, is
    filled with each shape class's AP@0.5 and ground-truth count (``{cls: {"ap50", "n_gt"}}``)."""
    from svemath.vision import metrics as M

    geo = model.geoglip
    names = list(geo.cfg.shape_classes)
    radius = float(options.get("junction_radius", 4.0))
    preds, gts, j_pred, j_gt, j_pa, j_ga, j_sc = [], [], [], [], [], [], []
    t_pb, t_ps, t_gb, t_gs, rec_pred, rec_gt = [], [], [], [], [], []
    b_pred, b_gt = [], []
    l_prob, l_gt = [], []  # link head: probabilities on the ground-truth boxes, true links
    was = geo.training
    geo.eval()
    for start in range(0, len(records), 16):
        batch = obj.collate(records[start : start + 16])
        pixels = batch["pixels"].to(obj.ctx.device)
        feats = geo(pixels)
        outs = geo.head_outputs(feats)
        perceptions = geo.perceive(pixels, features=feats)
        if geo.link_head is not None:
            targets = batch["targets"]
            boxes = [t.text_boxes.to(pixels.device) for t in targets]
            l_prob += [
                lg.sigmoid().cpu() for lg in geo.links(feats, boxes, [t.text_strings for t in targets])
            ]
            l_gt += [t.text_links for t in targets]
        for i, (p, t) in enumerate(zip(perceptions, batch["targets"])):
            preds.append({"boxes": p.shape_boxes, "scores": p.shape_scores, "labels": p.shape_names})
            gts.append({"boxes": t.shape_boxes, "labels": [names[k] for k in t.shape_labels.tolist()]})
            j_pred.append(p.junction_xy)
            j_sc.append(p.junction_scores)
            j_pa.append(p.junction_angles)
            j_gt.append(t.junction_xy)
            j_ga.append(t.junction_angles)
            t_pb.append(p.text_boxes)
            t_ps.append(p.text_strings)
            t_gb.append(t.text_boxes)
            t_gs.append(t.text_strings)
            if t.boundary is not None:
                b_pred.append(torch.sigmoid(outs["boundary"][i].float()).cpu())
                b_gt.append(t.boundary.float().cpu())
            if len(t.text_strings):
                rois = torch.cat([torch.full((len(t.text_boxes), 1), float(i)), t.text_boxes.float()], 1)
                rec_pred.extend(geo.read_strings(feats, rois.to(obj.ctx.device)))
                rec_gt.extend(t.text_strings)
    geo.train(was)
    shape_ap = M.shape_map(preds, gts)
    if by_class is not None:
        counts = Counter(str(c) for g in gts for c in g["labels"])
        by_class.update(
            {c: {"ap50": float(ap), "n_gt": counts[c]} for c, ap in sorted(shape_ap["ap"].items())}
        )
    out = {
        "shape_map50": float(shape_ap["map"]),
        "junction_f1": float(M.junction_prf(j_pred, j_gt, radius, pred_scores=j_sc)["f1"]),
        "junction_f1_angles": float(
            M.junction_prf(
                j_pred, j_gt, radius, pred_scores=j_sc, pred_angles=j_pa, gt_angles=j_ga, angle_tolerance=15.0
            )["f1"]
        ),
        "reading_e2e": float(M.reading_end_to_end(t_pb, t_ps, t_gb, t_gs)["exact_match"]),
        "reading_gt_boxes": float(M.recognition_exact_match(rec_pred, rec_gt)),
    }
    if b_pred:
        out["boundary_f"] = float(M.boundary_fscore(torch.stack(b_pred), torch.stack(b_gt))["f"])
    if l_prob:
        from svemath.vision.links import link_metrics

        out.update({k: v for k, v in link_metrics(l_prob, l_gt).items() if k != "link_labels"})
    return out
