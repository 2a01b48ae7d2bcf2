"""The ``clip`` objective: contrastive image-caption training of the CLIP tower (MAVIS's CLIP-Math).

Only for the ``tiny`` preset (no pretrained CLIP weights here). Batches pair each diagram with its
caption (the first gpt turn of a ``captions`` record); the loss is open_clip's ``ClipLoss`` on the
tower's normalised image and text embeddings with its learnable logit scale. Held-out metric:
image->text and text->image top-1 retrieval accuracy within batches of held-out pairs.
"""

from __future__ import annotations

from typing import Any

import torch

from svemath.errors import ConfigError
from svemath.train.objectives import Objective, register_objective


class CaptionSource:
    def __init__(self, records: list[Any]) -> None:
        self.records = [r for r in records if r.image is not None and r.response]
        if not self.records:
            raise ConfigError("the clip stage needs records with an image and a caption (gpt turn)")

    def __len__(self) -> int:
        return len(self.records)

    def levels(self) -> list[str | None]:
        return [r.meta.get("level") for r in self.records]

    def get(self, index: int) -> dict[str, Any]:
        r = self.records[index]
        return {"image": r.image, "text": r.response}


class CLIPTask(torch.nn.Module):
    """The open_clip model and open_clip's ``ClipLoss`` as one forward (what DDP wraps in this stage).
    Under DDP the loss gathers features from every rank (``gather_with_grad``), as open_clip trains."""

    def __init__(self, clip_model: torch.nn.Module) -> None:
        super().__init__()
        import torch.distributed as dist
        from open_clip.loss import ClipLoss

        self.clip = clip_model
        world = dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1
        rank = dist.get_rank() if world > 1 else 0
        self.loss = ClipLoss(gather_with_grad=world > 1, rank=rank, world_size=world)

    def forward(self, pixels: torch.Tensor, text: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        image = self.clip.encode_image(pixels, normalize=True)
        text_emb = self.clip.encode_text(text, normalize=True)
        scale = self.clip.logit_scale.exp()
        return self.loss(image, text_emb, scale), scale


@register_objective
class ContrastiveCLIP(Objective):
    name = "clip"

    def sources(self) -> dict[str, CaptionSource]:
        if not hasattr(self, "_sources"):
            from svemath.data.dataset import load_dataset

            self._sources = {
                e.dataset: CaptionSource(load_dataset(self.ctx.dataset_paths[e.dataset]).records)
                for e in self.stage.data
            }
        return self._sources

    def collate(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        proc = self.ctx.processor
        pixels = torch.stack([proc.preprocess_image(ex["image"])["pixel_values"] for ex in examples])
        tokens = self.ctx.model.clip.tokenize([ex["text"] for ex in examples])
        return {"pixel_values": pixels, "text": tokens}

    def task_module(self, model: torch.nn.Module) -> torch.nn.Module:
        return CLIPTask(model.clip.model)

    def loss(self, task: torch.nn.Module, batch: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        loss, scale = task(batch["pixel_values"], batch["text"])
        return loss, {"logit_scale": float(scale.detach())}

    @torch.no_grad()
    def evaluate(self, model: torch.nn.Module) -> dict[str, float]:
        if not self.stage.heldout:
            return {}
        from svemath.data.dataset import load_dataset

        model.eval()
        records = load_dataset(self.ctx.dataset_paths[self.stage.heldout]).records[: self.stage.heldout_n]
        source = CaptionSource(records)
        hits_i2t = hits_t2i = total = 0
        for start in range(0, len(source), 32):
            batch = self.collate([source.get(i) for i in range(start, min(start + 32, len(source)))])
            clip = model.clip.model
            image = clip.encode_image(batch["pixel_values"].to(self.ctx.device), normalize=True)
            text = clip.encode_text(batch["text"].to(self.ctx.device), normalize=True)
            sims = image @ text.T
            target = torch.arange(len(sims), device=sims.device)
            hits_i2t += int((sims.argmax(1) == target).sum())
            hits_t2i += int((sims.argmax(0) == target).sum())
            total += len(sims)
        return {"i2t_top1": hits_i2t / max(1, total), "t2i_top1": hits_t2i / max(1, total)}
