"""Predictors: what turns a batch of (prompt, image) requests into responses for the runner.

* :class:`ModelPredictor` -- our model through the ``svemath.mllm`` API (imported lazily, loaded once):
  ``SVEMathForConditionalGeneration.from_pretrained(dir)``, ``SVEMathProcessor.from_pretrained(dir)`` and
  ``svemath.mllm.generation.generate(model, processor, images, prompts, ...)``, one call per batch.
  The prompt is the question text only; placing the image token is the processor's job.
* :class:`OracleProbe` (``--model oracle``) -- answers every item with its ground truth in the format the
  prompt style asks for; a self-check of extraction and scoring (robust mode should give 100%), not a model.

Anything with ``predict(batch: list[GenerationRequest]) -> list[str]`` is a predictor (tests use fakes).
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from svemath.errors import CheckpointError, ConfigError, SVEMathError
from svemath.fileio import sha256_file

if TYPE_CHECKING:
    from PIL import Image

    from svemath.eval.base import Benchmark, Example


@dataclass
class GenerationSettings:
    """Decoding settings, recorded with every prediction. Greedy by default."""

    max_new_tokens: int = 512
    do_sample: bool = False
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    batch_size: int = 8
    repeats: int = 1
    blank_images: bool = False  # the image-blanked baseline: every image replaced by a white canvas
    choice_tool: bool = False  # the letter of a multiple-choice answer follows the option text it wrote

    def validate(self) -> GenerationSettings:
        if self.max_new_tokens < 1:
            raise ConfigError(f"--max-new-tokens must be >= 1, got {self.max_new_tokens}")
        if self.batch_size < 1:
            raise ConfigError(f"--batch-size must be >= 1, got {self.batch_size}")
        if self.repeats < 1:
            raise ConfigError(f"--repeats must be >= 1, got {self.repeats}")
        if self.temperature < 0 or not 0 < self.top_p <= 1:
            raise ConfigError(
                f"need temperature >= 0 and 0 < top_p <= 1, got {self.temperature}, {self.top_p}"
            )
        if not self.do_sample and (self.temperature > 0 or self.top_p < 1):
            raise ConfigError(
                "--temperature/--top-p only apply with --do-sample (decoding is greedy by default)"
            )
        if self.do_sample and self.temperature == 0:
            self.temperature = 1.0
        if self.repeats > 1 and not self.do_sample:
            raise ConfigError("--repeats > 1 needs --do-sample (greedy decoding repeats itself exactly)")
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GenerationRequest:
    """One item to generate for: the prompt text, the decoded image (None for text-only), its repeat index."""

    example: Example
    prompt: str
    image: Image.Image | None
    repeat: int = 0
    seed: int = 0

    @property
    def id(self) -> str:
        return self.example.id


class Predictor(Protocol):
    def predict(self, batch: list[GenerationRequest]) -> list[str]: ...


# === Our model ===


def resolve_model_dir(model: str) -> Path:
    """``--model``: a checkpoint folder, or ``default`` for the shipped embedded model."""
    if model == "default":
        from svemath.mllm.presets import default_model_dir

        return default_model_dir(required=True)
    path = Path(model)
    if not path.is_dir():
        raise CheckpointError(f"--model {model}: not a checkpoint folder")
    return path


def model_card(model_dir: str | Path | None) -> dict[str, Any]:
    """A released model's ``card.json`` (``{}`` for a folder without one, e.g. a training checkpoint)."""
    from svemath.errors import DataFormatError
    from svemath.fileio import read_json

    card = Path(model_dir) / "card.json" if model_dir is not None else None
    if card is None or not card.is_file():
        return {}
    try:
        return read_json(card)
    except DataFormatError as exc:
        raise CheckpointError(f"unreadable model card: {exc}") from exc


def card_generation(model_dir: str | Path | None) -> dict[str, Any]:
    """The generation-time tools a released model's numbers were measured with: ``evaluation.generation``
    of its ``card.json`` (e.g. ``{"calculator": true, "choice_tool": true}``), so that `svemath eval run`,
    the demo and the quickstart use a released model the way its card was measured. ``{}`` for a folder
    without a card (a training run's checkpoint): the callers' own defaults apply."""
    gen = (model_card(model_dir).get("evaluation") or {}).get("generation") or {}
    if not isinstance(gen, dict):
        raise CheckpointError(f"{model_dir}/card.json: evaluation.generation must be an object")
    return {k: bool(v) for k, v in gen.items() if k in ("calculator", "choice_tool")}


def choice_tool_default(flag: bool | None, model_dir: str | Path | None) -> bool:
    """``--choice-tool`` / ``--no-choice-tool`` as given (``flag``), else as the model's card was measured,
    else off."""
    if flag is not None:
        return bool(flag)
    return card_generation(model_dir).get("choice_tool", False)


def model_info(model: str, *, bon: int | None = None, prm: str | Path | None = None) -> dict[str, Any]:
    """Name, resolved path and sha256 of ``config.json`` (the model's config hash) when there is one; with
    ``bon`` (PRM-guided best-of-N) also ``"best_of_n": {"n", "prm", "prm_config_sha256"}``, so that the
    resume guard tells a best-of-N run from a plain one."""
    if model == "oracle":
        info: dict[str, Any] = {"name": "oracle", "path": None, "config_sha256": None}
    else:
        path = resolve_model_dir(model)
        info = {"name": model, "path": str(path), "config_sha256": _config_sha256(path)}
    if bon is not None:
        info["best_of_n"] = {
            "n": int(bon),
            "prm": None if prm is None else str(Path(prm).resolve()),
            "prm_config_sha256": None if prm is None else _config_sha256(Path(prm)),
        }
    return info


def _config_sha256(model_dir: Path) -> str | None:
    cfg = model_dir / "config.json"
    return sha256_file(cfg) if cfg.is_file() else None


class ModelPredictor:
    """Loads the model and processor once; each :meth:`predict` is one batched ``generate`` call."""

    def __init__(self, model_dir: str | Path, settings: GenerationSettings, *, device: str = "auto") -> None:
        try:
            mllm = importlib.import_module("svemath.mllm")
            generation = importlib.import_module("svemath.mllm.generation")
            model_cls = mllm.SVEMathForConditionalGeneration
            processor_cls = mllm.SVEMathProcessor
            self._generate = generation.generate
        except (ImportError, AttributeError) as exc:
            raise SVEMathError(
                f"the model API (svemath.mllm) is not available in this build: {exc}"
            ) from None
        self.settings = settings
        self.model = model_cls.from_pretrained(str(model_dir))
        self.processor = processor_cls.from_pretrained(str(model_dir))
        if device == "auto":
            import torch

            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model.to(device)
        self.model.eval()

    def predict(self, batch: list[GenerationRequest]) -> list[str]:
        s = self.settings
        return list(
            self._generate(
                self.model,
                self.processor,
                [r.image for r in batch],
                [r.prompt for r in batch],
                max_new_tokens=s.max_new_tokens,
                do_sample=s.do_sample,
                temperature=s.temperature,
                top_p=s.top_p,
                seed=batch[0].seed if batch else s.seed,
                batch_size=len(batch),
                choice_tool=s.choice_tool,
            )
        )


class OracleProbe:
    """Answers with the ground truth (see module docstring). Needs no images."""

    needs_images = False

    def __init__(self, bench: Benchmark, style: str) -> None:
        self.bench, self.style = bench, style

    def predict(self, batch: list[GenerationRequest]) -> list[str]:
        return [self.bench.oracle_response(r.example, self.style) for r in batch]


def build_predictor(
    model: str, settings: GenerationSettings, *, bench: Benchmark, style: str, device: str = "auto",
    bon: int | None = None, prm: str | None = None,
) -> Predictor:  # fmt: skip
    """The predictor for ``--model`` (a folder, ``default`` or ``oracle``), or the PRM best-of-N one."""
    if bon is not None:
        if prm is None:
            raise ConfigError("--bon N needs --prm DIR")
        try:
            bon_mod = importlib.import_module("svemath.eval.bon")
        except ImportError:
            raise SVEMathError(
                "--bon/--prm: PRM-guided best-of-N is not available in this build (svemath.eval.bon missing)"
            ) from None
        return bon_mod.build_predictor(resolve_model_dir(model), Path(prm), bon, settings)
    if model == "oracle":
        return OracleProbe(bench, style)
    return ModelPredictor(resolve_model_dir(model), settings, device=device)
