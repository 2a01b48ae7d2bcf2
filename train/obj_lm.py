"""The ``lm`` objective: next-token loss on assistant turns (caption alignment, CoT instruction tuning).

Examples are LLaVA-style conversations from recipe datasets (our suites or external Geo170K/MathV360K
files). With ``cache_features`` the frozen towers' outputs come from a :class:`FeatureCache` built once
per dataset, so the step costs only router + projector + LLM. Held-out metrics: greedy answer accuracy
(robust scoring) on the stage's held-out eval suite, overall and per difficulty tag.

Options (``stage.options``): ``max_length`` (tokens, default the processor's), ``eval_max_new_tokens``
(160), ``system_prompt``, ``blank_images`` (train on blank canvases: the blind baseline; its held-out
accuracy is then also measured on blanked images), ``full_logits`` (false: the LM head and the loss run on
the supervised positions only, same loss; true: on every position).
"""

from __future__ import annotations

from typing import Any

import torch

from svemath.errors import ConfigError
from svemath.train.objectives import Objective, register_objective


class ConversationSource:
    """One dataset's conversations, with optional cached image features (``blank``: one feature dict
    used for every image, the image-blanked baseline)."""

    def __init__(self, dataset: Any, cache: Any | None = None, blank: dict | None = None) -> None:
        self.records = dataset.records
        self.cache = cache
        self.blank = blank
        self._levels = [r.meta.get("level") for r in self.records]

    def __len__(self) -> int:
        return len(self.records)

    def levels(self) -> list[str | None]:
        return self._levels

    def lengths(self) -> list[int]:
        """Characters of each conversation: a cheap stand-in for its token count (length grouping)."""
        return [sum(len(turn.get("value", "")) for turn in r.conversations or []) for r in self.records]

    def get(self, index: int) -> dict[str, Any]:
        record = self.records[index]
        item: dict[str, Any] = {"conversation": record.conversations, "image": record.image, "index": index}
        if self.blank is not None and record.image is not None:
            item["image_features"], item["image"] = self.blank, None
        elif self.cache is not None and index in self.cache:
            item["image_features"] = self.cache.get(index)
            item["image"] = None
        return item


@register_objective
class LanguageModeling(Objective):
    name = "lm"

    def sources(self) -> dict[str, ConversationSource]:
        if hasattr(self, "_sources"):
            return self._sources
        from svemath.data.dataset import load_dataset

        ctx, stage = self.ctx, self.stage
        self._sources = {}
        for entry in stage.data:
            spec = ctx.recipe.datasets[entry.dataset]
            path = ctx.dataset_paths[entry.dataset]
            dataset = load_dataset(path, image_root=spec.image_root, skip_bad=spec.skip_bad)
            if dataset.bad:
                print(
                    f"dataset {entry.dataset}: skipped {len(dataset.bad)} bad records (first: {dataset.bad[0]})"
                )
            cache = blank = None
            if stage.options.get("blank_images"):
                blank = self._blank_features()
            elif stage.cache_features:
                cache = self._cache(dataset, path, entry.dataset)
            self._sources[entry.dataset] = ConversationSource(dataset, cache, blank)
        return self._sources

    @torch.no_grad()
    def _blank_features(self) -> dict[str, torch.Tensor]:
        """Tower features of a white canvas (what every image becomes after pad-to-square when blanked)."""
        from PIL import Image

        model, proc = self.ctx.model, self.ctx.processor
        pre = proc.preprocess_image(Image.new("RGB", (64, 64), (255, 255, 255)))
        geo = pre["geo_pixel_values"][None] if "geo_pixel_values" in pre else None
        was = model.training
        model.eval()
        feats = model.encode_images(pre["pixel_values"][None], geo)
        model.train(was)
        return {k: v[0].detach() for k, v in feats.items()}

    def _cache(self, dataset: Any, path: Any, name: str) -> Any:
        from svemath.train.cache import FeatureCache

        model = self.ctx.model
        for tower in ("clip", "geoglip"):
            module = getattr(model, tower, None)
            if module is not None and any(p.requires_grad for p in module.parameters()):
                raise ConfigError(
                    f"stage {self.stage.name!r}: cache_features needs frozen towers, but {tower} is trainable"
                )
        cache_dir = self.ctx.cache_dir
        return FeatureCache.build(model, self.ctx.processor, dataset.records, path, cache_dir, name)

    def collate(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        proc = self.ctx.processor
        opts = self.stage.options
        samples = [
            proc.encode_sample(
                ex["conversation"], ex["image"], image_features=ex.get("image_features"),
                max_length=opts.get("max_length"), system_prompt=opts.get("system_prompt"),
            )
            for ex in examples
        ]  # fmt: skip
        return dict(proc.collate(samples, "right"))

    def loss(self, task: torch.nn.Module, batch: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        out = task(**batch, supervised_logits=not self.stage.options.get("full_logits", False))
        logs: dict[str, float] = {}
        gates = getattr(out, "gates", None)
        if gates is not None:
            for i, g in enumerate(gates.detach().float().mean(0).tolist()):
                logs[f"gate/{i}"] = g
        return out.loss, logs

    @torch.no_grad()
    def evaluate(self, model: torch.nn.Module) -> dict[str, float]:
        from svemath.train.heldout import heldout_accuracy

        if not self.stage.heldout:
            return {}
        res = heldout_accuracy(
            model, self.ctx.processor, self.ctx.dataset_paths[self.stage.heldout], n=self.stage.heldout_n,
            max_new_tokens=int(self.stage.options.get("eval_max_new_tokens", 160)),
            blind=bool(self.stage.options.get("blank_images")),
        )  # fmt: skip
        out = {"accuracy": res["accuracy"]}
        out.update({f"accuracy/{k}": v for k, v in res["by_level"].items()})
        return out
