"""The ``prm`` objective: train a visual process reward model on step-labelled solutions (VisualPRM).

Data: ``svemath prm label`` output folders (``mc_solutions.jsonl``; MC labels, '+' iff mc > 0) or any
step-labelled set :func:`load_step_labelled` reads (``synth-processbench`` folders, VisualProcessBench JSONL).
Each solution becomes the PRM chat of :mod:`svemath.mllm.prm` (one user turn per step, one assistant
label slot per step); the model is the policy's architecture, started from an ``instruct`` checkpoint.

Modes (``stage.options.mode``):

* ``"B"`` (default, reference/prm.md §6.4 mode B): every slot holds the placeholder ``+``; the loss is
  the binary cross-entropy of the two-way softmax over the ``+``/``-`` logits at every step's read
  position, all steps of a conversation in one forward pass (only [S, V] logits are computed):
  ``L = -1/S sum_i w_i [y_i log P_i + (1 - y_i) log(1 - P_i)]``. Training and inference see the same input.
* ``"A"`` (VisualPRM-faithful): the true labels are in the earlier turns (teacher forcing) and the loss is
  the ordinary next-token cross-entropy over the full vocabulary on the assistant tokens (label and
  ``<|im_end|>``). Inference still scores with '+' placeholders (see pitfall (a) in prm.md).

Options: ``mode`` (B), ``targets`` (``hard`` = labels, ``soft`` = the MC scores, mode B only),
``class_balance`` (false; true: weight the two classes equally, from the training labels; ``position``:
equally at every step index and step count, see :mod:`svemath.train.prm_position`), ``drop_unsolved``
(false: leave out MC-labelled questions no rollout solved, see :func:`drop_unsolved`), ``pair_weight``
(0; mode B: each ``prm-errors`` solution with an error brings its clean twin into the batch, and a
logistic ranking loss of this weight asks the clean step to outscore the error step it replaces, same
prefix: ``softplus(m_err - m_clean)``, so the PRM must read the step, not its position), ``max_length``,
``threshold`` (0.5, for held-out F1), ``eval_batch_size`` (16). ``cache_features: true`` computes the
frozen towers' features once per image. Held-out (``stage.heldout``: a ``synth-processbench`` folder
or a labelled folder): VisualProcessBench macro-F1 as ``step_f1``, per-class F1, ``step_accuracy``,
``auroc``, predicted/true positive rates, ``step_f1_<type>`` per injected error type and ``step_acc_none``
(step accuracy on the all-correct solutions), ``matched_auroc`` (error steps against correct steps at the
same position: what the PRM checks beyond a step's position, see :mod:`svemath.train.prm_position`), and
the threshold this split prefers (``dev_threshold``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from svemath.errors import ConfigError, DataFormatError
from svemath.train.objectives import Objective, register_objective
from svemath.train.prm_label import SOLUTIONS_FILE, read_solutions
from svemath.train.prm_position import matched_auroc, position_balance_weights, position_prior_baseline


@dataclass
class _ImageRef:
    image: Path


class StepLabelSource:
    """Step-labelled solutions of one dataset, with optional cached image features (by unique image)."""

    def __init__(self, items: list[Any], cache: Any | None = None, image_rows: dict[Path, int] | None = None):
        self.items = items
        self.cache = cache
        self.image_rows = image_rows or {}
        self._levels = [it.level for it in items]

    def __len__(self) -> int:
        return len(self.items)

    def levels(self) -> list[str | None]:
        return self._levels

    def get(self, index: int) -> dict[str, Any]:
        it = self.items[index]
        ex = {"question": it.question, "steps": it.steps, "labels": it.labels, "mc": it.mc, "image": it.image,
              "twin_steps": it.twin_steps}  # fmt: skip
        if self.cache is not None and it.image is not None:
            ex["image_features"] = self.cache.get(self.image_rows[it.image])
            ex["image"] = None
        return ex


@register_objective
class ProcessReward(Objective):
    name = "prm"

    def __init__(self, stage, ctx) -> None:
        super().__init__(stage, ctx)
        from svemath.mllm.prm import label_token_ids

        opts = stage.options
        self.mode = str(opts.get("mode", "B")).upper()
        self.targets = str(opts.get("targets", "hard"))
        if self.mode not in ("A", "B"):
            raise ConfigError(f"stage {stage.name!r}: options.mode must be 'A' or 'B', got {self.mode!r}")
        if self.targets not in ("hard", "soft") or (self.targets == "soft" and self.mode == "A"):
            raise ConfigError(
                f"stage {stage.name!r}: options.targets must be 'hard' or 'soft' (soft: mode B)"
            )
        self.plus_id, self.minus_id = label_token_ids(ctx.processor.tokenizer)  # single tokens, or error
        self.class_weights = (1.0, 1.0)  # (+, -)
        self.balance = opts.get("class_balance", False)
        if self.balance not in (True, False, "position"):
            raise ConfigError(
                f"stage {stage.name!r}: options.class_balance must be true, false or 'position', got {self.balance!r}"
            )
        self.position_weights: dict[tuple[int, int, bool], float] = {}  # (index, n steps, label) -> weight
        self.pair_weight = float(opts.get("pair_weight", 0.0))
        if self.pair_weight < 0 or (self.pair_weight > 0 and self.mode != "B"):
            raise ConfigError(
                f"stage {stage.name!r}: options.pair_weight must be >= 0 (and > 0 only in mode B)"
            )

    # === data ===

    def sources(self) -> dict[str, StepLabelSource]:
        if hasattr(self, "_sources"):
            return self._sources
        self._sources = {}
        solutions: list[list[int]] = []
        for entry in self.stage.data:
            path = self.ctx.dataset_paths[entry.dataset]
            items = load_step_labelled(path)
            if self.stage.options.get("drop_unsolved", False):
                items = drop_unsolved(items, f"stage {self.stage.name!r}, dataset {entry.dataset!r}")
            if not items:
                raise ConfigError(
                    f"stage {self.stage.name!r}: dataset {entry.dataset!r} ({path}) has no labelled steps"
                )
            if self.targets == "soft" and any(it.mc is None for it in items):
                raise ConfigError(f"options.targets=soft needs MC scores; {path} has none")
            solutions += [it.labels for it in items]
            if self.pair_weight > 0:  # the clean twins join the batches as all-correct solutions
                solutions += [[1] * len(it.labels) for it in items if it.twin_steps and 0 in it.labels]
            cache, rows = None, None
            if self.stage.cache_features:
                cache, rows = self._cache(items, path, entry.dataset)
            self._sources[entry.dataset] = StepLabelSource(items, cache, rows)
        if self.balance is True:
            n, n_pos = sum(len(x) for x in solutions), sum(sum(x) for x in solutions)
            if 0 < n_pos < n:
                self.class_weights = (n / (2 * n_pos), n / (2 * (n - n_pos)))
        elif self.balance == "position":
            self.position_weights = position_balance_weights(solutions)
        return self._sources

    def _cache(self, items: list[Any], path: Path, name: str) -> tuple[Any, dict[Path, int]]:
        from svemath.train.cache import FeatureCache

        model = self.ctx.model
        for tower in ("clip", "geoglip"):
            module = getattr(model, tower, None)
            if module is not None and any(p.requires_grad for p in module.parameters()):
                raise ConfigError(
                    f"stage {self.stage.name!r}: cache_features needs frozen towers ({tower} trains)"
                )
        images = sorted({it.image for it in items if it.image is not None})
        rows = {img: i for i, img in enumerate(images)}
        file = path / "mc_solutions.jsonl" if (path / "mc_solutions.jsonl").is_file() else path
        if file.is_dir():
            file = file / "data.jsonl"
        refs = [_ImageRef(img) for img in images]
        cache = FeatureCache.build(model, self.ctx.processor, refs, file, self.ctx.cache_dir, f"prm-{name}")
        return cache, rows

    def collate(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        from svemath.mllm.prm import collate_prm, encode_prm

        proc = self.ctx.processor
        pairs = None
        if self.pair_weight > 0:
            examples, pairs = with_clean_twins(examples)
        samples = [
            encode_prm(
                proc, ex["question"], ex["steps"], ex["image"], labels=ex["labels"] if self.mode == "A" else None,
                image_features=ex.get("image_features"), max_length=self.stage.options.get("max_length"),
            )
            for ex in examples
        ]  # fmt: skip
        batch = collate_prm(proc, samples)
        if self.mode == "B":
            batch.pop("labels", None)
            key = "mc" if self.targets == "soft" else "labels"
            batch["step_targets"] = torch.tensor([float(y) for ex in examples for y in ex[key]])
            if self.position_weights:
                batch["step_weights"] = torch.tensor([
                    self.position_weights.get((i, len(ex["labels"]), bool(y)), 1.0)
                    for ex in examples for i, y in enumerate(ex["labels"])
                ])  # fmt: skip
            if pairs is not None:
                batch["pair_index"] = pairs
        else:
            batch["step_targets"] = torch.tensor([float(y) for ex in examples for y in ex["labels"]])
        return batch

    # === loss ===

    def loss(self, task: torch.nn.Module, batch: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        from svemath.mllm.prm import label_logits

        targets = batch["step_targets"].float()
        hard = (targets > 0).float()  # soft targets: mc > 0 is the hard label
        if self.mode == "A":
            inputs = {k: v for k, v in batch.items() if k not in ("score_mask", "step_targets")}
            out = task(**inputs)
            loss = out.loss
            with torch.no_grad():
                pm = out.logits[batch["score_mask"]][:, [self.plus_id, self.minus_id]].float()
        else:
            pm = label_logits(task, batch, self.plus_id, self.minus_id)
            margin = pm[:, 0] - pm[:, 1]
            if "step_weights" in batch:
                weights = batch["step_weights"].to(targets)
            else:
                w_pos, w_neg = self.class_weights
                weights = torch.where(
                    hard > 0, torch.full_like(targets, w_pos), torch.full_like(targets, w_neg)
                )
            per_step = F.binary_cross_entropy_with_logits(margin, targets, reduction="none")
            loss = (weights * per_step).sum() / weights.sum()
        logs = {}
        pairs = batch.get("pair_index")  # mode B only (pair_weight > 0)
        if pairs is not None and len(pairs):
            # counterfactual pairs: the clean step must score above the error step it replaces (same prefix)
            err, clean = pairs[:, 0], pairs[:, 1]
            gap = margin[clean] - margin[err]
            loss = loss + self.pair_weight * F.softplus(-gap).mean()
            logs["pair_acc"] = float((gap > 0).float().mean())
        with torch.no_grad():
            pred = (pm[:, 0] > pm[:, 1]).float()
            logs.update({
                "step_acc": float((pred == hard).float().mean()),
                "label_pos_rate": float(hard.mean()),
                "pred_pos_rate": float(pred.mean()),
                "steps_per_batch": float(len(hard)),
            })  # fmt: skip
        return loss, logs

    # === held-out ===

    @torch.no_grad()
    def evaluate(self, model: torch.nn.Module) -> dict[str, float]:
        from svemath.mllm.prm import dev_threshold

        if not self.stage.heldout:
            return {}
        res = evaluate_steps(
            model, self.ctx.processor, self.ctx.dataset_paths[self.stage.heldout], n=self.stage.heldout_n,
            threshold=float(self.stage.options.get("threshold", 0.5)),
            batch_size=int(self.stage.options.get("eval_batch_size", 16)),
        )  # fmt: skip
        m = res["metrics"]
        out = {"step_f1": m["macro_f1"], "f1_correct": m["f1_correct"], "f1_error": m["f1_error"],
               "step_accuracy": m["accuracy"], "pred_positive_rate": m["pred_positive_rate"]}  # fmt: skip
        if m["auroc"] is not None:
            out["auroc"] = m["auroc"]
        # per injected error type (synth-processbench): macro-F1 over the steps of its solutions; the
        # all-correct solutions have no erroneous step, so their step accuracy
        for kind, km in res["by_error_type"].items():
            if kind == "none":
                out["step_acc_none"] = km["accuracy"]
            else:
                out[f"step_f1_{kind}"] = km["macro_f1"]
        # this held-out set is the stage's dev split: the threshold it prefers (reported beside 0.5)
        labels = [x for r in res["records"] for x in r["labels"]]
        scores = [x for r in res["records"] for x in r["scores"]]
        tuned = dev_threshold(labels, scores)
        out["dev_threshold"], out["step_f1_dev_threshold"] = tuned["threshold"], tuned["macro_f1"]
        if res["matched_auroc"].get("all", {}).get("auroc") is not None:
            out["matched_auroc"] = res["matched_auroc"]["all"]["auroc"]
        return out


def with_clean_twins(examples: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], torch.Tensor]:
    """Counterfactual pairs: after each example with an error and a ``twin_steps`` (its solution without
    the error, identical before the error step), insert the twin as an all-correct example. Returns the
    examples and ``[P, 2]`` flat step indices (in (sample, step) order) of each error step and the same
    step of its twin."""
    out: list[dict[str, Any]] = []
    pairs: list[tuple[int, int]] = []
    offset = 0
    for ex in examples:
        out.append(ex)
        twin, labels = ex.get("twin_steps"), ex["labels"]
        offset += len(labels)
        if twin and 0 in labels:  # same length: load_step_labelled checks it
            error_step = labels.index(0)
            out.append({**ex, "steps": twin, "labels": [1] * len(twin), "mc": None, "twin_steps": None})
            pairs.append((offset - len(labels) + error_step, offset + error_step))
            offset += len(twin)
    return out, torch.tensor(pairs, dtype=torch.long).reshape(-1, 2)


def drop_unsolved(items: list[StepLabelled], where: str = "") -> list[StepLabelled]:
    """Leave out the MC-labelled solutions of questions on which no rollout of any sample reached the
    answer (every step of every solution '-'). Such labels say "the policy cannot solve this question",
    not which step went wrong, and teach the PRM to score questions instead of steps. Solutions without
    MC scores (exact labels: synth-processbench, prm-errors) are always kept."""
    solved: dict[str, bool] = {}
    for it in items:
        if it.mc is not None and it.question_id is not None:
            solved[it.question_id] = solved.get(it.question_id, False) or any(it.labels)
    kept = [it for it in items if it.mc is None or it.question_id is None or solved[it.question_id]]
    unsolved = sum(not v for v in solved.values())
    print(f"{where}: drop_unsolved left out {len(items) - len(kept)} solutions of {unsolved} of "
          f"{len(solved)} questions (no rollout reached the answer)")  # fmt: skip
    return kept


def evaluate_steps(
    model: Any,
    processor: Any,
    path: Path,
    *,
    n: int | None = None,
    threshold: float = 0.5,
    batch_size: int = 16,
) -> dict[str, Any]:
    """Score every step of (the first ``n``) step-labelled solutions at ``path`` (a ``prm label`` folder,
    a ``synth-processbench`` folder or a VisualProcessBench JSONL file) and compute the VisualProcessBench
    metrics, overall and per error type / difficulty tag / data source (neutral steps excluded), and the
    position-matched AUROC per error type. Returns ``{"metrics", "n_solutions", "by_error_type", "by_level",
    "by_source", "matched_auroc", "records"}``."""
    from svemath.images import load_image
    from svemath.mllm.prm import process_metrics, score_steps_batch

    items = load_step_labelled(path)[:n] if n else load_step_labelled(path)
    loaded: dict[Path, Any] = {}
    batch = []
    for it in items:
        if it.image is not None and it.image not in loaded:
            loaded[it.image] = load_image(it.image)
        batch.append((loaded.get(it.image) if it.image is not None else None, it.question, it.steps))
    scores = score_steps_batch(model, processor, batch, batch_size=batch_size)
    records, groups = [], {"by_error_type": {}, "by_level": {}, "by_source": {}}
    for it, probs in zip(items, scores):
        signed = it.signed_labels()
        records.append({"id": it.id, "labels": signed, "scores": probs, "error_type": it.error_type,
                        "level": it.level, "source": it.source})  # fmt: skip
        keys = (("by_error_type", it.error_type or "none"), ("by_level", it.level), ("by_source", it.source))
        for key, value in keys:
            if value is None and key != "by_error_type":
                continue
            g = groups[key].setdefault(value, ([], []))
            g[0].extend(signed)
            g[1].extend(probs)
    flat = lambda k: [x for r in records for x in r[k]]  # noqa: E731
    out = {"metrics": process_metrics(flat("labels"), flat("scores"), threshold), "n_solutions": len(records)}
    for key, g in groups.items():
        out[key] = {v: process_metrics(lab, sc, threshold) for v, (lab, sc) in sorted(g.items())}
    out["matched_auroc"] = matched_auroc(records)
    out["records"] = records
    return out


def evaluate_steps_with_dev(
    model: Any, processor: Any, path: Path, dev: Path, *, batch_size: int = 16
) -> dict[str, Any]:
    """:func:`evaluate_steps` on ``path`` at the protocol's threshold 0.5, plus the threshold that maximises
    macro-F1 on the development split ``dev`` and the metrics on ``path`` at that threshold
    (``"dev_threshold"``, ``"metrics_dev_threshold"``), and the position-only baseline counted on ``dev``
    (``"position_prior"``)."""
    from svemath.mllm.prm import dev_threshold, process_metrics

    tune = evaluate_steps(model, processor, dev, batch_size=batch_size)["records"]
    tuned = dev_threshold([x for r in tune for x in r["labels"]], [x for r in tune for x in r["scores"]])
    res = evaluate_steps(model, processor, path, batch_size=batch_size)
    labels = [x for r in res["records"] for x in r["labels"]]
    scores = [x for r in res["records"] for x in r["scores"]]
    res["dev_threshold"] = {**tuned, "dev": str(dev), "dev_steps": sum(len(r["labels"]) for r in tune)}
    res["metrics_dev_threshold"] = process_metrics(labels, scores, tuned["threshold"])
    res["position_prior"] = position_prior_baseline(
        [r["labels"] for r in tune], [r["labels"] for r in res["records"]]
    )
    return res


# === Reading step-labelled data (MC labels or synth-processbench) ===


@dataclass
class StepLabelled:
    """One solution with step labels (1 = '+', 0 = '-'); never carries the gold answer."""

    id: str
    question: str
    steps: list[str]
    labels: list[int]
    image: Path | None = None
    mc: list[float] | None = None
    level: str | None = None
    answer_type: str | None = None
    error_type: str | None = None
    source: str | None = None
    signed: list[int] | None = None  # 1 correct / -1 wrong / 0 neutral, when the data has neutral steps
    question_id: str | None = None  # MC-labelled solutions: the question they answer (shared by its samples)
    twin_steps: list[str] | None = None  # prm-errors: the same solution without its error (all steps correct)

    def signed_labels(self) -> list[int]:
        """Labels for :func:`svemath.mllm.prm.process_metrics` (neutral steps stay 0 and are excluded)."""
        return self.signed if self.signed is not None else [1 if lab else -1 for lab in self.labels]


def load_step_labelled(path: str | Path, *, keep_empty: bool = False) -> list[StepLabelled]:
    """A ``prm label`` output folder (or its ``mc_solutions.jsonl``) or a ``synth-processbench`` dataset
    folder -> solutions with step labels. Bad lines raise DataFormatError with file:line."""
    path = Path(path)
    if (path / SOLUTIONS_FILE).is_file() or path.name == SOLUTIONS_FILE:
        file = path / SOLUTIONS_FILE if path.is_dir() else path
        out = []
        for r in read_solutions(file):
            where = f"{file}:{r['_line']}"
            steps, labels = r.get("steps"), r.get("labels")
            if not isinstance(steps, list) or not isinstance(labels, list) or len(steps) != len(labels):
                raise DataFormatError(f"{where}: needs 'steps' and 'labels' lists of the same length")
            if not steps and not keep_empty:
                continue
            images = r.get("images") or []
            image = file.parent / images[0] if images else None
            if image is not None and not image.is_file():
                raise DataFormatError(f"{where}: image {image} not found")
            out.append(StepLabelled(str(r["id"]), r["question"], steps, [int(x) for x in labels], image,
                                    r.get("mc", {}).get("score"), (r.get("meta") or {}).get("level"),
                                    r.get("answer_type"), question_id=r.get("question_id")))  # fmt: skip
        return out
    if (path / "data.jsonl").is_file():
        from svemath.data.records import load_dataset

        out = []
        for rec in load_dataset(path):
            labels = rec.get("step_labels")
            if not isinstance(labels, list) or len(labels) != len(rec.steps or []):
                raise DataFormatError(f"{rec.location}: needs 'steps' and 'step_labels' of the same length")
            twin = rec.get("clean_steps")
            if twin is not None and (not isinstance(twin, list) or len(twin) != len(labels)):
                raise DataFormatError(f"{rec.location}: 'clean_steps' must list as many steps as 'steps'")
            out.append(StepLabelled(rec.id, rec.get("prompt") or rec.question, list(rec.steps),
                                    [1 if int(x) > 0 else 0 for x in labels], rec.image, None,
                                    rec.meta.get("level"), rec.answer_type, rec.get("error_type"),
                                    twin_steps=twin))  # fmt: skip
        return out
    if path.is_file() and path.suffix in (".jsonl", ".json"):
        return load_visualprocessbench(path)
    raise DataFormatError(
        f"{path}: not a 'prm label' folder ({SOLUTIONS_FILE}), a dataset folder or a VisualProcessBench file"
    )


def load_visualprocessbench(path: Path, image_root: Path | None = None) -> list[StepLabelled]:
    """VisualProcessBench's published records (JSONL or a JSON list): ``image`` (list of paths, relative to
    ``image_root``, default the file's folder), ``question``, ``response`` {``steps``,
    ``process_correctness``: 1 / 0 (neutral) / -1}, ``data_source``. Only the first image is used."""
    from svemath.eval.datafiles import iter_jsonl

    root = image_root or path.parent
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = [(r, i + 1) for i, r in enumerate(data if isinstance(data, list) else [])]
    else:
        rows = list(iter_jsonl(path))
    out = []
    for k, (r, line) in enumerate(rows):
        where = f"{path}:{line}"
        resp = r.get("response") if isinstance(r, dict) else None
        steps = resp.get("steps") if isinstance(resp, dict) else None
        signs = resp.get("process_correctness") if isinstance(resp, dict) else None
        if (
            not isinstance(steps, list)
            or not isinstance(signs, list)
            or len(steps) != len(signs)
            or not steps
        ):
            raise DataFormatError(
                f"{where}: needs response.steps and response.process_correctness of one length"
            )
        images = r.get("image") or r.get("images") or []
        images = [images] if isinstance(images, str) else images
        image = root / images[0] if images else None
        if image is not None and not image.is_file():
            raise DataFormatError(f"{where}: image {image} not found")
        signed = [int(x) for x in signs]
        out.append(StepLabelled(str(r.get("id", k)), str(r.get("question", "")), [str(x) for x in steps],
                                [0 if x < 0 else 1 for x in signed], image, source=r.get("data_source"),
                                signed=signed))  # fmt: skip
    return out
