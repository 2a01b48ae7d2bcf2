"""The one training engine: runs any declared stage with accelerate.

For a stage it freezes everything but the stage's trainable modules, builds one AdamW parameter group
per module with that module's learning rate, schedules warmup + cosine, and loops over global steps
with gradient accumulation, clipping, bf16 autocast where supported, held-out evaluation, metric gates,
a wall-clock cap, ``metrics.jsonl`` logging, atomic checkpoints and exact resume. Single process, DDP
(gloo on CPU, NCCL on GPU) and DeepSpeed ZeRO-2/3 run the same loop.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from svemath.configs import to_dict
from svemath.errors import ConfigError
from svemath.fileio import write_json
from svemath.train.config import RecipeConfig, StageConfig
from svemath.train.objectives import StageContext, get_objective, level_indices, move_to
from svemath.train.sampler import MixSampler, Source
from svemath.train.schedule import build_scheduler
from svemath.train.state import load_train_state, save_model, save_train_state

CHECKPOINT = "checkpoint"  # latest resumable state, inside the stage directory
FINAL = "model"  # the stage's final model (save_pretrained), inside the stage directory


@dataclass
class StageResult:
    name: str
    steps: int
    total_steps: int
    stopped: str  # completed | gate | wall
    gates_passed: bool | None
    metrics: dict[str, float] = field(default_factory=dict)
    wall_s: float = 0.0  # summed over invocations when resumed (the checkpoint carries the earlier part)
    samples_per_s: float = 0.0  # of this invocation
    extra: dict[str, Any] = field(default_factory=dict)
    resumed_wall_s: float = 0.0  # the part of wall_s spent by earlier (interrupted) invocations
    precision: str = ""  # bf16 | fp32, as resolved on the machine that ran it
    hardware: str = ""  # :func:`hardware_description` of that machine (wall times mean little without it)


def _progress(state: dict[str, Any]) -> tuple[int, list, float]:
    """A checkpoint's ``trainer.json`` -> (step, eval history, seconds the stage had run)."""
    return state["step"], state.get("history", []), float(state.get("wall_s") or 0.0)


def resolve_module(
    model: torch.nn.Module, name: str, *, allow_absent: bool = False
) -> torch.nn.Module | None:
    """``"router"`` or ``"geoglip.heads"`` -> the submodule; errors list the top-level children. With
    ``allow_absent`` a module the architecture declares but this model lacks (``router`` of a CLIP-only
    model) gives None."""
    node: Any = model
    for part in name.split("."):
        if allow_absent and hasattr(node, part) and getattr(node, part) is None:
            return None
        child = getattr(node, part, None)
        if not isinstance(child, torch.nn.Module):
            known = sorted(n for n, _ in model.named_children())
            raise ConfigError(f"model has no module {name!r}; top-level modules: {known}")
        node = child
    return node


def present_modules(model: torch.nn.Module, names: list[str]) -> list[str]:
    """The named modules this model has (a CLIP-only model has no router, GeoGLIP or label embedder)."""
    return [n for n in names if resolve_module(model, n, allow_absent=True) is not None]


def set_trainable(model: torch.nn.Module, names: list[str]) -> dict[str, dict[str, int]]:
    """Freeze everything, then unfreeze the named modules. Returns parameter counts per top module.

    Towers that freeze themselves (``freeze()``/``unfreeze()``, kept in eval mode while frozen) are
    unfrozen when named; :func:`restore_frozen` re-freezes them after the stage."""
    for p in model.parameters():
        p.requires_grad_(False)
    for name in names:
        module = resolve_module(model, name)
        if getattr(module, "frozen", False) and hasattr(module, "unfreeze"):
            module.unfreeze()
            module._svemath_refreeze = True
        for p in module.parameters():
            p.requires_grad_(True)
    counts: dict[str, dict[str, int]] = {}
    for child_name, child in model.named_children():
        total = sum(p.numel() for p in child.parameters())
        train = sum(p.numel() for p in child.parameters() if p.requires_grad)
        counts[child_name] = {"total": total, "trainable": train}
    return counts


@contextlib.contextmanager
def full_parameters(acc: Any, model: torch.nn.Module):
    """Within the block every parameter of ``model`` is whole, also under DeepSpeed ZeRO-3 (collective:
    all ranks must enter it)."""
    plugin = getattr(acc.state, "deepspeed_plugin", None)
    if plugin is None or plugin.zero_stage != 3:
        yield
        return
    import deepspeed

    with deepspeed.zero.GatheredParameters(list(model.parameters()), modifier_rank=None):
        yield


def restore_frozen(model: torch.nn.Module) -> None:
    """Re-freeze towers that :func:`set_trainable` unfroze for a stage."""
    for module in model.modules():
        if getattr(module, "_svemath_refreeze", False):
            module.freeze()
            del module._svemath_refreeze


def param_groups(
    model: torch.nn.Module, stage: StageConfig, names: list[str] | None = None
) -> list[dict[str, Any]]:
    groups, seen = [], set()
    for name in stage.trainable if names is None else names:
        if name not in stage.lr:
            raise ConfigError(f"stage {stage.name!r}: no learning rate for trainable module {name!r}")
        params = [
            p for p in resolve_module(model, name).parameters() if p.requires_grad and id(p) not in seen
        ]
        seen.update(id(p) for p in params)
        if params:
            groups.append({"params": params, "lr": stage.lr[name], "name": name})
    if not groups:
        raise ConfigError(f"stage {stage.name!r} has nothing to train (trainable={stage.trainable})")
    return groups


def make_accelerator(recipe: RecipeConfig, stage: StageConfig, precision: str):
    from accelerate import Accelerator, DeepSpeedPlugin
    from accelerate.state import AcceleratorState
    from accelerate.utils import DistributedDataParallelKwargs, InitProcessGroupKwargs

    if recipe.distributed != "deepspeed":
        # a new stage may change mixed precision or accumulation: forget the previous stage's settings
        # (the process group itself, PartialState, is kept)
        AcceleratorState._reset_state(reset_partial_state=False)

    # stages train parts of the model (frozen towers, heads without targets in a batch): let DDP skip
    # parameters that get no gradient in a step
    handlers: list[Any] = [DistributedDataParallelKwargs(find_unused_parameters=True)]
    kwargs: dict[str, Any] = {"gradient_accumulation_steps": stage.grad_accum, "kwargs_handlers": handlers}
    if not torch.cuda.is_available():
        if recipe.distributed != "deepspeed":  # DeepSpeed on CPU runs through DS_ACCELERATOR=cpu instead
            kwargs["cpu"] = True
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # launched with 2+ CPU ranks: gloo
            handlers.append(InitProcessGroupKwargs(backend="gloo"))
    kwargs["mixed_precision"] = "bf16" if precision == "bf16" else "no"
    if recipe.distributed == "deepspeed":
        from svemath.train.distributed import deepspeed_config

        ds = deepspeed_config(stage.deepspeed_config or recipe.deepspeed_config, stage, precision)
        kwargs["deepspeed_plugin"] = DeepSpeedPlugin(hf_ds_config=ds)
    return Accelerator(**kwargs)


def resolve_precision(recipe: RecipeConfig) -> str:
    if recipe.precision != "auto":
        return recipe.precision
    if torch.cuda.is_available():
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if cpu_has_fast_bf16() else "fp32"


def cpu_has_fast_bf16() -> bool:
    """True when oneDNN has native bf16 kernels on this CPU (AVX512-BF16 / AMX, or AVX512 core). Without
    them (e.g. AVX2-only machines) bf16 matmuls are emulated: measured here on an AVX2 EPYC, a 512 x 512
    bf16 matmul took 203 ms against 5.4 ms in fp32, so ``precision: auto`` trains in fp32 there."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def hardware_description(processes: int = 1) -> str:
    """What a stage ran on, for results and model cards: ``"2 x NVIDIA H100 (cuda)"`` or
    ``"x86_64 CPU, 2 cores, native bf16: no"``."""
    if torch.cuda.is_available():
        return f"{processes} x {torch.cuda.get_device_name(0)} (cuda)"
    ranks = f", {processes} processes" if processes > 1 else ""
    bf16 = "yes" if cpu_has_fast_bf16() else "no"
    return f"{platform.machine()} CPU, {os.cpu_count()} cores{ranks}, native bf16: {bf16}"


def stages_hardware(stages: dict[str, dict[str, Any]]) -> str:
    """The machines and precisions a run's stages (``summary.json``'s "stages") trained on, for model
    cards and reports; results written before stages recorded them say so."""
    seen = {(r.get("hardware"), r.get("precision")) for r in stages.values() if r.get("hardware")}
    if not seen:
        return f"{platform.machine()} CPU x{os.cpu_count()} (machine and precision not recorded)"
    return "; ".join(f"{hw}, {prec or 'precision not recorded'}" for hw, prec in sorted(seen))


def total_steps(stage: StageConfig, n_examples: int, world: int) -> int:
    if stage.steps is not None:
        return stage.steps
    per_step = stage.batch_size * stage.grad_accum * world
    return max(1, math.ceil((stage.epochs or 0.0) * n_examples / per_step))


class StageRunner:
    """Runs one stage of a recipe on a model (in place) and writes its directory."""

    def __init__(self, recipe: RecipeConfig, stage: StageConfig, out_dir: Path, *, accelerator=None) -> None:
        self.recipe = recipe
        self.stage = stage
        self.out_dir = Path(out_dir)
        self.precision = resolve_precision(recipe)
        self.accelerator = accelerator or make_accelerator(recipe, stage, self.precision)

    # === data ===
    def _samplers(
        self, sources: dict[str, Any], world: int, rank: int
    ) -> tuple[list[tuple[float, MixSampler]], int]:
        phases = self.stage.curriculum or []
        starts = [p.start for p in phases] if phases else [0.0]
        if phases and phases[0].start > 0:
            starts = [0.0, *starts]
        samplers, n_examples = [], 0
        lengths = self._lengths(sources) if self.stage.group_by_length > 1 else None
        for k, start in enumerate(starts):
            phase_levels = None
            if phases:
                matching = [p for p in phases if p.start <= start]
                phase_levels = matching[-1].levels if matching else None
            mix = []
            for entry in self.stage.data:
                levels = entry.levels
                if phase_levels is not None:
                    levels = [lv for lv in (levels or phase_levels) if lv in phase_levels]
                idx = level_indices(sources[entry.dataset], levels)
                if len(idx):
                    mix.append(Source(entry.dataset, idx, entry.weight))
                if k == 0:
                    n_examples += len(level_indices(sources[entry.dataset], entry.levels))
            if not mix:
                raise ConfigError(
                    f"stage {self.stage.name!r}: curriculum phase at {start} selects no examples"
                )
            sampler = MixSampler(
                mix,
                self.stage.batch_size,
                self.recipe.seed + 17,
                rank,
                world,
                lengths,
                self.stage.group_by_length,
            )
            samplers.append((start, sampler))
        return samplers, n_examples

    def _lengths(self, sources: dict[str, Any]) -> dict[str, np.ndarray]:
        """Per-example lengths of every source the stage draws from (once per stage, for all phases)."""
        out = {}
        for name in dict.fromkeys(entry.dataset for entry in self.stage.data):
            if not hasattr(sources[name], "lengths"):
                raise ConfigError(
                    f"stage {self.stage.name!r}: group_by_length needs example lengths, which the "
                    f"{self.stage.objective!r} objective's sources do not give"
                )
            out[name] = np.asarray(sources[name].lengths())
        return out

    @staticmethod
    def _pick(samplers: list[tuple[float, MixSampler]], frac: float) -> MixSampler:
        chosen = samplers[0][1]
        for start, sampler in samplers:
            if frac >= start:
                chosen = sampler
        return chosen

    # === main loop ===
    def run(
        self, model: torch.nn.Module, processor: Any, dataset_paths: dict[str, Path], resume: bool
    ) -> StageResult:
        acc, stage = self.accelerator, self.stage
        self.out_dir.mkdir(parents=True, exist_ok=True)
        ctx = StageContext(
            self.recipe, self.out_dir, dataset_paths, model, processor, acc.device, self.recipe.seed
        )
        objective = get_objective(stage.objective)(stage, ctx)
        trainable = present_modules(model, stage.trainable)
        counts = set_trainable(model, trainable)
        if stage.gradient_checkpointing and hasattr(model, "gradient_checkpointing_enable"):
            model.gradient_checkpointing_enable()
        groups = param_groups(model, stage, trainable)
        optimizer = torch.optim.AdamW(
            groups, betas=tuple(stage.optim.betas), weight_decay=stage.optim.weight_decay
        )
        with acc.main_process_first():  # rank 0 builds feature caches; the others then read them
            sources = objective.sources()
        samplers, n_examples = self._samplers(sources, acc.num_processes, acc.process_index)
        steps_total = total_steps(stage, n_examples, acc.num_processes)
        scheduler = build_scheduler(
            optimizer, steps_total, stage.optim.warmup_ratio, stage.optim.min_lr_ratio
        )
        if acc.is_main_process:
            write_json(
                self.out_dir / "stage_config.json", {"recipe": to_dict(self.recipe), "stage": to_dict(stage)}
            )
            write_json(self.out_dir / "trainable.json", counts)

        step, history, prior_wall = 0, [], 0.0
        ckpt = self.out_dir / CHECKPOINT
        if resume and ckpt.exists() and self.recipe.distributed != "deepspeed":
            state = load_train_state(ckpt, model=model, optimizer=optimizer, scheduler=scheduler)
            step, history, prior_wall = _progress(state)
        # the module DDP/DeepSpeed wrap: the model itself, or an objective's task module (e.g. GeoGLIP
        # and its losses) whose forward computes the loss, so gradient sync sees a real forward call
        task, optimizer = acc.prepare(objective.task_module(model), optimizer)
        if resume and ckpt.exists() and self.recipe.distributed == "deepspeed":
            acc.load_state(str(ckpt / "deepspeed"))
            step, history, prior_wall = _progress(json.loads((ckpt / "trainer.json").read_text()))
            for _ in range(step):
                scheduler.step()

        metrics_path = self.out_dir / "metrics.jsonl"
        if step == 0 and metrics_path.exists() and acc.is_main_process:
            metrics_path.unlink()
        t0, samples, stopped, gates_ok, last_eval = time.time(), 0, "completed", None, {}
        wall_cap = stage.wall_minutes * 60 if stage.wall_minutes else None

        def stage_wall() -> float:  # this stage's seconds, earlier (interrupted) invocations included
            return prior_wall + time.time() - t0

        bar = tqdm(
            total=steps_total, initial=step, desc=f"stage {stage.name}", disable=not acc.is_local_main_process
        )
        model.train()

        def make_batch(micro_index: int) -> tuple[Any, int]:
            sampler = self._pick(samplers, (micro_index // stage.grad_accum) / steps_total)
            examples = [sources[name].get(i) for name, i in sampler.batch(micro_index)]
            return objective.collate(examples), len(examples)

        # [IMPORTANT] the next micro-batch is collated (images decoded, targets built) in a worker thread
        # while this one computes; collation must not draw from torch's RNG (resume stays exact)
        prefetch = ThreadPoolExecutor(max_workers=1)
        pending = prefetch.submit(make_batch, step * stage.grad_accum)
        while step < steps_total:
            logs_acc: dict[str, float] = {}
            for micro in range(stage.grad_accum):
                index = step * stage.grad_accum + micro
                collated, n_examples = pending.result()
                if index + 1 < steps_total * stage.grad_accum:
                    pending = prefetch.submit(make_batch, index + 1)
                batch = move_to(collated, acc.device)
                with acc.accumulate(task):
                    with acc.autocast():
                        loss, logs = objective.loss(task, batch)
                    acc.backward(loss)
                    if acc.sync_gradients and stage.optim.max_grad_norm > 0:
                        acc.clip_grad_norm_(task.parameters(), stage.optim.max_grad_norm)
                    optimizer.step()
                    optimizer.zero_grad(set_to_none=True)
                logs = {"loss": float(loss.detach()), **logs}
                for k, v in logs.items():
                    logs_acc[k] = logs_acc.get(k, 0.0) + v / stage.grad_accum
                samples += n_examples
            scheduler.step()
            step += 1
            bar.update(1)
            if step % stage.log_every == 0 or step == steps_total:
                record = {"step": step, **logs_acc, "elapsed_s": round(stage_wall(), 2)}
                record.update({f"lr/{g['name']}": g["lr"] for g in optimizer.param_groups})
                self._log(metrics_path, record)
                bar.set_postfix(loss=f"{logs_acc['loss']:.4f}")
            if stage.heldout and (step % stage.eval_every == 0 or step == steps_total):
                with full_parameters(acc, model):
                    last_eval = objective.evaluate(model)
                model.train()
                self._log(metrics_path, {"step": step, **{f"eval/{k}": v for k, v in last_eval.items()}})
                history.append({"step": step, **last_eval})
                if stage.gates:
                    gates_ok = all(g.passed(last_eval) for g in stage.gates)
                    if gates_ok and step < steps_total:
                        stopped = "gate"
            out_of_time = wall_cap is not None and time.time() - t0 > wall_cap
            if out_of_time and step < steps_total:
                stopped = "wall"
            if step % stage.save_every == 0 or stopped != "completed" or step == steps_total:
                self._save(ckpt, model, task, optimizer, scheduler, step, history, stage_wall())
            if stopped != "completed":
                break
        bar.close()
        prefetch.shutdown(wait=False, cancel_futures=True)
        if stage.heldout and stage.gates and gates_ok is None:
            gates_ok = False
        wall = time.time() - t0
        extra = objective.on_stage_end(model)
        restore_frozen(model)
        result = StageResult(
            stage.name,
            step,
            steps_total,
            stopped,
            gates_ok,
            last_eval,
            round(prior_wall + wall, 2),
            round(samples * acc.num_processes / max(wall, 1e-9), 3),
            extra,
            round(prior_wall, 2),
            self.precision,
            hardware_description(acc.num_processes),
        )
        self._save_final(model, task, processor)
        if acc.is_main_process:
            write_json(self.out_dir / "result.json", asdict(result))
            from svemath.train.plots import plot_stage_metrics

            plot_stage_metrics(metrics_path, self.out_dir / "curves.png", title=stage.name)
        acc.wait_for_everyone()
        return result

    def _log(self, path: Path, record: dict[str, Any]) -> None:
        if self.accelerator.is_main_process:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
        if self.accelerator.trackers:
            self.accelerator.log({k: v for k, v in record.items() if k != "step"}, step=record["step"])

    def _save(
        self, ckpt: Path, model, task, optimizer, scheduler, step: int, history: list, wall_s: float
    ) -> None:
        acc = self.accelerator
        trainer = {"step": step, "stage": self.stage.name, "history": history, "wall_s": round(wall_s, 2)}
        if self.recipe.distributed == "deepspeed":
            # DeepSpeed shards optimizer state across ranks: use its own (collective) checkpoint format.
            tmp = ckpt.parent / f"{ckpt.name}.tmp"
            (tmp / "deepspeed").mkdir(parents=True, exist_ok=True)
            acc.wait_for_everyone()
            acc.save_state(str(tmp / "deepspeed"))
            acc.wait_for_everyone()  # every rank has written its shard before the rename
            if acc.is_main_process:
                write_json(tmp / "trainer.json", trainer)
                import shutil

                if ckpt.exists():
                    shutil.rmtree(ckpt)
                tmp.rename(ckpt)
            acc.wait_for_everyone()
            return
        if acc.is_main_process:
            save_train_state(ckpt, model=model, optimizer=optimizer, scheduler=scheduler, trainer=trainer)
        acc.wait_for_everyone()

    def _save_final(self, model, task, processor) -> None:
        acc = self.accelerator
        with full_parameters(acc, model):  # ZeRO-3 partitions parameters: gather them (on every rank)
            state_dict = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        if acc.is_main_process:
            from svemath.fileio import atomic_dir

            unwrapped = model
            with atomic_dir(self.out_dir / FINAL) as tmp:
                if hasattr(unwrapped, "save_pretrained"):
                    unwrapped.save_pretrained(tmp, state_dict=state_dict, safe_serialization=True)
                else:
                    save_model(unwrapped, tmp)
                if processor is not None and hasattr(processor, "save_pretrained"):
                    processor.save_pretrained(tmp)
        acc.wait_for_everyone()
