"""The demo's model side, free of Gradio: safe image intake, streamed answers, PRM step scores and
Best-of-N, GeoGLIP perception and open-vocabulary grounding, all behind one lock.

:class:`DemoService` wraps a loaded ``(model, processor)`` (and optionally a PRM checkpoint). The model
runs on the CPU and is not written for concurrent use, so every model call holds ``self.lock``; the
Gradio queue in :mod:`svemath.demo.app` additionally runs one model event at a time and queues the rest.

Streaming uses transformers' ``TextIteratorStreamer`` with ``generate`` in a worker thread (as
``svemath.mllm.generation.stream_answer`` does) plus a stopping criterion tied to a cancel flag: when a
client goes away and the stream is closed, generation stops at the next token and the lock is released.

Steps are split by the project's one splitter (``svemath.mllm.steps.split_steps``). PRM scoring and
Best-of-N come from ``svemath.mllm.prm`` (``score_steps(model, processor, image, question, steps)``,
``best_of_n(image, question, n, policy, prm, agg, ...)``), imported lazily: without a PRM checkpoint
(or in a build without that module) steps are shown unscored and Best-of-N is off
(:attr:`DemoService.prm_note` says why).
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from svemath.errors import ConfigError, ImageLoadError

log = logging.getLogger("svemath.demo")

DEFAULT_SELECTIONS = ("mean", "min", "prod", "last")  # without the PRM module (controls disabled)


@dataclass(frozen=True)
class DemoLimits:
    """Caps on what a request may ask for (uploads, image size, generation length, Best-of-N)."""

    max_bytes: int = 20 * 1024 * 1024  # upload byte cap (also Gradio's max_file_size)
    max_pixels: int = 36_000_000  # larger images are refused before decoding
    max_side: int = 1024  # larger images are downscaled (fit_within) for the model and the overlay
    max_new_tokens: int = 512
    max_bon: int = 16
    max_question_chars: int = 2000
    max_ground_names: int = 8


@dataclass
class LoadedImage:
    image: Image.Image
    note: str = ""  # e.g. "downscaled from 4000x3000 to 1024x768"


@dataclass
class Capability:
    ok: bool
    note: str
    known: list[str] = field(default_factory=list)


def _prm_module():
    try:
        return importlib.import_module("svemath.mllm.prm")
    except ModuleNotFoundError as exc:
        if exc.name in ("svemath.mllm.prm",):
            return None
        raise


class DemoService:
    """One loaded model (+ optional PRM) serving the demo's requests; see the module docstring."""

    def __init__(
        self,
        model,
        processor,
        *,
        prm: tuple[Any, Any] | None = None,
        limits: DemoLimits | None = None,
        name: str = "model",
        choice_tool: bool = False,
    ) -> None:
        """``prm``: a loaded process reward model ``(model, processor)`` (same architecture);
        ``choice_tool``: the default of the generation-time choice tool (the calculator always runs)."""
        self.model = model.eval()
        self.choice_tool = bool(choice_tool)
        self.processor = processor
        self.limits = limits or DemoLimits()
        self.name = name
        # A plain Lock, not an RLock: a streaming generator may be resumed (and closed) from another
        # worker thread than the one that acquired it. Locked methods never call each other.
        self.lock = threading.Lock()
        self._prm = _prm_module()
        self._vocabulary: Capability | None = None
        self.prm = prm if (prm is not None and self._prm is not None) else None
        if prm is not None and self._prm is None:
            log.warning("a PRM checkpoint was given but svemath.mllm.prm is not in this build")
        if self.prm is not None:
            self.prm[0].eval()

    # ---- construction -------------------------------------------------------------------------

    @classmethod
    def from_dirs(
        cls, model_dir: str | Path, prm_dir: str | Path | None = None, *, limits: DemoLimits | None = None
    ) -> DemoService:
        """Load ``model_dir`` (and ``prm_dir``) with ``svemath.mllm.load_pretrained``; the choice tool is on
        by default when the model's card was measured with it."""
        from svemath.eval.predictor import choice_tool_default
        from svemath.mllm import load_pretrained

        model, processor = load_pretrained(model_dir)
        prm = None
        if prm_dir is not None:
            if _prm_module() is None:  # don't load a PRM nothing can score with
                log.warning("--prm %s ignored: svemath.mllm.prm is not in this build", prm_dir)
            else:
                prm = load_pretrained(prm_dir)
        choice_tool = choice_tool_default(None, model_dir)
        return cls(model, processor, prm=prm, limits=limits, name=str(model_dir), choice_tool=choice_tool)

    # ---- status -------------------------------------------------------------------------------

    @property
    def has_prm(self) -> bool:
        return self.prm is not None

    @property
    def prm_note(self) -> str:
        if self._prm is None:
            return "PRM scoring is not available in this build (no svemath.mllm.prm): steps are unscored."
        if self.prm is None:
            return "No PRM loaded (start with --prm DIR): steps are unscored and Best-of-N is off."
        return "PRM loaded: each step is scored P(+) by the process reward model."

    @property
    def splitter_name(self) -> str:
        from svemath.mllm.steps import STEP_SPLITTER_VERSION

        return f"svemath.mllm.steps.split_steps ({STEP_SPLITTER_VERSION})"

    @property
    def selections(self) -> tuple[str, ...]:
        """Best-of-N selection rules: the PRM module's (step-score aggregations and a weighted vote)."""
        return tuple(getattr(self._prm, "SELECTIONS", DEFAULT_SELECTIONS))

    # ---- inputs -------------------------------------------------------------------------------

    def load(self, source: Any) -> LoadedImage:
        """Uploaded file path / bytes / PIL image -> RGB image within the caps (ImageLoadError if not).
        Messages name an uploaded file by its file name only (not the server's upload folder)."""
        from svemath.images import fit_within, load_image

        lim = self.limits
        try:
            image = load_image(source, max_pixels=lim.max_pixels, max_bytes=lim.max_bytes)
        except ImageLoadError as exc:
            if not isinstance(source, (str, Path)):
                raise
            raise ImageLoadError(str(exc).replace(str(source), Path(source).name)) from None
        note = ""
        if max(image.size) > lim.max_side:
            w, h = image.size
            image = fit_within(image, lim.max_side)
            note = f"downscaled from {w}x{h} to {image.width}x{image.height} for the model and the overlay"
        return LoadedImage(image, note)

    def check_question(self, question: str | None) -> str:
        question = (question or "").strip()
        if not question:
            raise ConfigError("type a question about the diagram")
        if len(question) > self.limits.max_question_chars:
            raise ConfigError(
                f"the question is {len(question)} characters long; the limit is {self.limits.max_question_chars}"
            )
        return question

    def gen_settings(
        self,
        *,
        sampling: bool,
        temperature: float,
        max_new_tokens: int,
        seed: int | None,
        choice_tool: bool | None = None,
    ) -> dict[str, Any]:
        """Validated generation settings (``max_new_tokens`` clipped to the cap; ``choice_tool`` None: the
        service's default)."""
        n = int(max_new_tokens)
        if n < 1:
            raise ConfigError(f"max new tokens must be >= 1, got {n}")
        n = min(n, self.limits.max_new_tokens)
        if sampling and not temperature > 0:
            raise ConfigError(f"temperature must be > 0 when sampling, got {temperature}")
        return {
            "max_new_tokens": n,
            "do_sample": bool(sampling),
            "temperature": float(temperature) if sampling else 1.0,
            "top_p": 1.0,
            "seed": None if seed is None else int(seed),
            "choice_tool": self.choice_tool if choice_tool is None else bool(choice_tool),
        }

    # ---- answering ----------------------------------------------------------------------------

    def stream(self, image: Image.Image | None, question: str, **gen: Any) -> Iterator[str]:
        """Yield text pieces of the answer while it is generated (holds the lock until done or closed)."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        from svemath.mllm.generation import generation_kwargs, generation_tools

        seed = gen.pop("seed", None)
        choice_tool = bool(gen.pop("choice_tool", self.choice_tool))
        kwargs = generation_kwargs(self.processor, **gen)
        cancel = threading.Event()

        class _Cancelled(StoppingCriteria):
            def __call__(self, input_ids, scores, **_: Any):
                return torch.full(
                    (input_ids.shape[0],), cancel.is_set(), dtype=torch.bool, device=input_ids.device
                )

        streamer = TextIteratorStreamer(
            self.processor.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=600
        )
        failure: list[BaseException] = []
        with self.lock:
            batch = self.processor(prompts=[question], images=[image])
            inputs = {k: v.to(self.model.device) for k, v in batch.items()}
            # the generation-time calculator, as in `svemath eval run` (the model never writes a result)
            tools = generation_tools(self.processor, inputs, calculator=True, choice_tool=choice_tool)

            def work() -> None:
                try:
                    with torch.inference_mode(), torch.random.fork_rng(devices=[]):
                        if seed is not None:
                            torch.manual_seed(seed)
                        self.model.generate(
                            **inputs,
                            **kwargs,
                            **tools,
                            streamer=streamer,
                            stopping_criteria=StoppingCriteriaList([_Cancelled()]),
                        )
                except BaseException as exc:  # surface it in the consumer instead of hanging the stream
                    failure.append(exc)
                    streamer.end()

            worker = threading.Thread(target=work, name="svemath-demo-generate", daemon=True)
            worker.start()
            try:
                for piece in streamer:
                    if piece:
                        yield piece
            finally:
                cancel.set()
                worker.join()
        if failure:
            raise failure[0]

    def split(self, text: str) -> list[str]:
        """Reasoning steps of an answer (the project's one versioned splitter)."""
        from svemath.mllm.steps import split_steps

        return split_steps(text)

    def score(self, image: Image.Image | None, question: str, steps: Sequence[str]) -> list[float] | None:
        """P(+) per step from the PRM, or None without one (or without steps)."""
        if self.prm is None or not steps:
            return None
        with self.lock:
            scores = [float(s) for s in self._prm.score_steps(*self.prm, image, question, list(steps))]
        if len(scores) != len(steps):
            raise RuntimeError(f"PRM returned {len(scores)} scores for {len(steps)} steps")
        return scores

    def best_of_n(self, image: Image.Image | None, question: str, n: int, agg: str = "mean", **gen: Any):
        """Sample ``n`` answers from the model and pick one with the PRM (``svemath.mllm.prm.best_of_n``;
        ``agg`` one of :attr:`selections`) -> its ``BestOfN`` (index, response, candidates, step_scores,
        scores)."""
        if self.prm is None:
            raise ConfigError("Best-of-N needs a PRM: start the demo with --prm DIR")
        if not 1 <= n <= self.limits.max_bon:
            raise ConfigError(f"Best-of-N: N must be in 1..{self.limits.max_bon}, got {n}")
        if agg not in self.selections:
            raise ConfigError(f"unknown Best-of-N selection {agg!r}; known: {', '.join(self.selections)}")
        with self.lock:
            return self._prm.best_of_n(
                image,
                question,
                n,
                policy=(self.model, self.processor),
                prm=self.prm,
                agg=agg,
                max_new_tokens=gen["max_new_tokens"],
                temperature=gen["temperature"],
                top_p=gen["top_p"],
                seed=gen["seed"] if gen.get("seed") is not None else 0,
                batch_size=n,
                choice_tool=bool(gen.get("choice_tool", self.choice_tool)),
            )

    # ---- perception ---------------------------------------------------------------------------

    @property
    def can_perceive(self) -> bool:
        return getattr(self.model, "geoglip", None) is not None

    def perceive(
        self, image: Image.Image, *, class_names: Sequence[str] | None = None, threshold: float | None = None
    ) -> dict[str, Any]:
        """``model.perceive`` (shapes, junctions, read labels, boundary map, gates) under the lock."""
        if not self.can_perceive:
            raise ConfigError("this is a CLIP-only model (no GeoGLIP): there is nothing to show")
        with self.lock:
            return self.model.perceive(
                image,
                self.processor,
                class_names=class_names,
                score_threshold=threshold,
                text_threshold=threshold,
            )

    def default_threshold(self) -> float:
        if not self.can_perceive:
            return 0.3
        return float(self.model.geoglip.cfg.detector.score_threshold)

    def vocabulary(self) -> Capability:
        """Whether arbitrary shape names can be grounded, and why not when they can't (computed once)."""
        if self._vocabulary is None:
            self._vocabulary = self._check_vocabulary()
        return self._vocabulary

    def _check_vocabulary(self) -> Capability:
        if not self.can_perceive:
            return Capability(False, "CLIP-only model: no detector to ground names with.")
        geo = self.model.geoglip
        known = list(geo.cfg.shape_classes)
        det = geo.cfg.detector
        if det.class_embedding != "text":
            return Capability(
                False,
                "This detector learned its own class table (class_embedding='table'), not CLIP text "
                "embeddings, so only its known shape names can be grounded.",
                known,
            )
        with self.lock:
            dim = int(self.model.clip.encode_text(["circle"]).shape[-1])
        if dim != det.text_dim:
            return Capability(
                False,
                f"The detector's class-embedding size ({det.text_dim}) differs from the CLIP text tower's "
                f"({dim}), so only its known shape names can be grounded.",
                known,
            )
        return Capability(True, "Open vocabulary: any name is embedded by the CLIP text tower.", known)

    def ground(self, image: Image.Image, text: str, threshold: float | None = None) -> tuple[dict, list[str]]:
        """Ground the comma-separated shape names in ``text`` -> (perception restricted to them, names)."""
        names = [n.strip().lower() for n in (text or "").split(",") if n.strip()]
        if not names:
            raise ConfigError("type a shape name to ground, e.g. 'triangle' or 'circle, bar'")
        if len(names) > self.limits.max_ground_names:
            raise ConfigError(f"at most {self.limits.max_ground_names} names at a time, got {len(names)}")
        cap = self.vocabulary()
        if not cap.ok:
            unknown = [n for n in names if n not in cap.known]
            if unknown:
                raise ConfigError(
                    f"cannot ground {', '.join(repr(n) for n in unknown)}: {cap.note} "
                    f"Known: {', '.join(cap.known)}"
                )
        seen = self.perceive(image, class_names=names, threshold=threshold)
        return seen, names
