"""Monte-Carlo step labels for PRM training (``svemath prm label``), as VisualPRM / Math-Shepherd do.

For each question of a ``prm`` suite dataset (question, answer, answer_type, choices, image):

1. sample ``samples`` solutions from the policy (temperature ``temperature``, seeded per question);
2. split each with the shared splitter (:func:`svemath.mllm.steps.split_steps`);
3. for every step prefix, continue the policy's answer ``rollouts`` times from that prefix (the prompt is
   the question, the assistant turn starts with the prefix; batched, image encoded once, identical
   prefixes within a question share their rollouts), and check each completed text against the true
   answer with the evaluation package's robust synth-dynamath scorer (the one parser used for accuracy);
   the last step of a solution that states its answer needs no rollout: its rollouts are the solution
   itself (mc = 1 if that answer is right, else 0);
4. ``mc_i`` = correct rollouts / rollouts; label ``+`` iff ``mc_i > 0`` (``label_rule="mc>0"``, the
   reference's hard estimation, every step rolled out, no early stop); ``"mc>0,monotone"`` also makes
   every step after a '-' step '-' (the label means "correct up to here").

The true answer is used only to check rollouts; it is stored in ``mc_solutions.jsonl`` (for audits) but
never in ``prm_train.jsonl`` nor in any PRM input.

Output folder ``OUT``:
``mc_solutions.jsonl`` (one line per sampled solution, reference/prm.md §6.3 (a), plus ``meta``),
``prm_train.jsonl`` (§6.3 (b): VisualPRM chat conversations with the true labels, and ``mc_scores``),
``images/`` (copies of the question images, so the folder is self-contained), ``label_config.json``
and ``label_summary.json`` (counts, positive rates per answer type, wall time per question/solution).

Resumable: the solutions of one question are appended together and flushed; a rerun truncates a
cut-off last line, drops a question with fewer than ``samples`` lines, and skips finished questions
(seeds are per question, so the redone question gets the same samples).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from svemath.errors import ConfigError, DataFormatError
from svemath.fileio import atomic_write_text, read_json, write_json
from svemath.mllm.steps import MAX_STEPS, split_steps, splitter_info, states_answer, step_prefix

SOLUTIONS_FILE = "mc_solutions.jsonl"
TRAIN_FILE = "prm_train.jsonl"
LABEL_RULES = ("mc>0", "mc>0,monotone")
# our answer types -> DynaMath's, whose robust scorer checks rollouts exactly as evaluation scores answers
_DYNAMATH_TYPES = {"integer": "float", "float": "float", "multiple_choice": "multiple choice", "text": "text",
                   "list": "text"}  # fmt: skip


@dataclass
class LabelConfig:
    samples: int = 4
    rollouts: int = 8
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 256
    max_steps: int = MAX_STEPS
    seed: int = 0
    batch_size: int = 32  # rows per generate call
    label_rule: str = "mc>0"

    def validate(self) -> LabelConfig:
        if self.samples < 1 or self.rollouts < 1 or self.max_new_tokens < 1 or self.batch_size < 1:
            raise ConfigError("--samples, --rollouts, --max-new-tokens and --batch-size must be >= 1")
        if self.temperature <= 0 or not 0 < self.top_p <= 1:
            raise ConfigError(
                f"need temperature > 0 and 0 < top_p <= 1, got {self.temperature}, {self.top_p}"
            )
        if self.label_rule not in LABEL_RULES:
            raise ConfigError(f"unknown label rule {self.label_rule!r}; known: {', '.join(LABEL_RULES)}")
        return self


class Sampler(Protocol):
    """What labelling needs from a policy: continuations of the answer to ``prompt`` from each prefix
    (``""`` = whole solutions), ``n`` per prefix, seeded."""

    name: str

    def continue_from(
        self, image: Any, prompt: str, prefixes: Sequence[str], n: int, seed: int
    ) -> list[list[str]]: ...


class PolicySampler:
    """Our model as a :class:`Sampler` (``svemath.mllm.prm.continue_from_prefixes``)."""

    def __init__(self, model: Any, processor: Any, cfg: LabelConfig, name: str = "policy") -> None:
        self.model, self.processor, self.cfg, self.name = model, processor, cfg, name

    def continue_from(self, image, prompt, prefixes, n, seed):
        from svemath.mllm.prm import continue_from_prefixes

        c = self.cfg
        return continue_from_prefixes(
            self.model, self.processor, image, prompt, prefixes, n=n, max_new_tokens=c.max_new_tokens,
            do_sample=True, temperature=c.temperature, top_p=c.top_p, seed=seed, batch_size=c.batch_size,
        )  # fmt: skip


@dataclass
class Question:
    """One question to label (from a ``prm`` suite record)."""

    id: str
    prompt: str  # what the policy is asked (question + choices), without <image>
    answer: str
    answer_type: str
    choices: list[str] = field(default_factory=list)
    image: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def question_from_record(record: Any) -> Question:
    """A data-engine record (``svemath.data.records.Record``) -> :class:`Question`; DataFormatError if a
    field labelling needs is missing."""
    where = record.location
    answer, atype = record.answer, record.answer_type
    if answer is None or atype not in _DYNAMATH_TYPES:
        raise DataFormatError(f"{where}: a PRM question needs 'answer' and 'answer_type' (got {atype!r})")
    human = next((t["value"] for t in record.conversations if t.get("from") == "human"), None)
    if human is None:
        from svemath.data.problem_suites import human_prompt

        if not record.question:
            raise DataFormatError(f"{where}: no question and no human turn")
        human = human_prompt(record.question, record.choices, image=False)
    prompt = human.replace("<image>", "").strip()
    return Question(str(record.id), prompt, str(answer), atype, list(record.choices or []), record.image,
                    dict(record.meta))  # fmt: skip


def answer_judge(q: Question) -> Callable[[str], tuple[bool, str | None]]:
    """``judge(text) -> (correct, extracted)`` with the evaluation package's robust synth-dynamath rules
    (``Answer:`` line first, numeric tolerance 1e-3, option letter or option text for multiple choice)."""
    from svemath.eval.base import Example, get_benchmark

    bench = get_benchmark("synth-dynamath")
    ex = Example(id=q.id, benchmark=bench.name, group_id=q.id, variant=None, question=q.prompt, answer=q.answer,
                 answer_type=_DYNAMATH_TYPES[q.answer_type], image_path=None, choices=list(q.choices))  # fmt: skip

    def judge(text: str) -> tuple[bool, str | None]:
        verdict = bench.judge(text, ex, style="plain")["robust"]
        return bool(verdict["correct"]), verdict["extracted"]

    return judge


def derived_seed(seed: int, qid: str, purpose: str) -> int:
    digest = hashlib.sha256(f"svemath-prm:{seed}:{qid}:{purpose}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def labels_from_mc(scores: Sequence[float], rule: str) -> list[int]:
    labels = [int(s > 0) for s in scores]
    if rule.endswith("monotone"):
        for i in range(1, len(labels)):
            labels[i] = min(labels[i], labels[i - 1])
    return labels


def label_question(
    sampler: Sampler, q: Question, cfg: LabelConfig, image: Any = None
) -> list[dict[str, Any]]:
    """Sample, split, roll out and label one question -> its solution records (schema (a), without
    ``images``). ``image`` is the decoded image (None: text only)."""
    judge = answer_judge(q)
    sample_seed, rollout_seed = (
        derived_seed(cfg.seed, q.id, "sample"),
        derived_seed(cfg.seed, q.id, "rollout"),
    )
    responses = sampler.continue_from(image, q.prompt, [""], cfg.samples, sample_seed)[0]
    if len(responses) != cfg.samples:
        raise DataFormatError(f"sampler returned {len(responses)} solutions, expected {cfg.samples}")
    split = [split_steps(r, cfg.max_steps) for r in responses]
    finals = [judge(r) for r in responses]
    prefixes: dict[str, int] = {}
    for steps in split:
        for i in range(len(steps)):
            if not (i == len(steps) - 1 and states_answer(steps[i])):
                prefixes.setdefault(step_prefix(steps, i), len(prefixes))
    texts = list(prefixes)
    rollouts = sampler.continue_from(image, q.prompt, texts, cfg.rollouts, rollout_seed) if texts else []
    wins = [sum(judge(p + c)[0] for c in rs) for p, rs in zip(texts, rollouts)]
    out = []
    for si, (response, steps) in enumerate(zip(responses, split)):
        num_correct = []
        for i in range(len(steps)):
            if i == len(steps) - 1 and states_answer(steps[i]):
                num_correct.append(cfg.rollouts if finals[si][0] else 0)
            else:
                num_correct.append(wins[prefixes[step_prefix(steps, i)]])
        scores = [c / cfg.rollouts for c in num_correct]
        out.append({
            "id": f"{q.id}#s{si}", "question_id": q.id, "question": q.prompt, "policy_prompt": f"<image>\n{q.prompt}",
            "answer": q.answer, "answer_type": q.answer_type, "choices": q.choices,
            "source": q.meta.get("family"), "split": "train", "meta": q.meta, "policy_model": sampler.name,
            "gen": {"temperature": cfg.temperature, "top_p": cfg.top_p, "seed": sample_seed, "sample_index": si,
                    "max_new_tokens": cfg.max_new_tokens},
            "response": response, "splitter": splitter_info(cfg.max_steps), "steps": steps,
            "mc": {"k": cfg.rollouts, "num_correct": num_correct, "score": scores, "seed": rollout_seed,
                   "unique_prefixes": len(texts)},
            "labels": labels_from_mc(scores, cfg.label_rule), "label_rule": cfg.label_rule,
            "final_correct": finals[si][0], "pred": finals[si][1],
        })  # fmt: skip
    return out


def train_record(sol: dict[str, Any]) -> dict[str, Any]:
    """Schema (b): the VisualPRM training conversation of one labelled solution (no answer in it)."""
    from svemath.mllm.prm import PRM_SYSTEM_PROMPT, prm_conversation

    conv = prm_conversation(sol["question"], sol["steps"], sol["labels"])
    conv[0] = {**conv[0], "value": conv[0]["value"].replace("### Question:\n", "### Question:\n<image>\n", 1)}
    return {"id": sol["id"], "images": sol["images"], "mc_scores": sol["mc"]["score"],
            "conversations": [{"from": "system", "value": PRM_SYSTEM_PROMPT}, *conv]}  # fmt: skip


# === JSONL with resume ===


def read_solutions(path: Path, *, repair: bool = False) -> list[dict[str, Any]]:
    """Lines of ``mc_solutions.jsonl``; a cut-off last line is ignored (and cut off with ``repair``);
    a malformed line elsewhere raises DataFormatError with file:line."""
    if not path.is_file():
        return []
    data = path.read_bytes()
    lines = data.split(b"\n")
    out, offset, cut = [], 0, None
    for n, raw in enumerate(lines, start=1):
        start, offset = offset, offset + len(raw) + 1
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
            if not isinstance(obj, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            if n == len(lines):  # no newline after it: cut off mid-write
                cut = start
                break
            raise DataFormatError(f"{path}:{n}: invalid JSON line ({exc})") from None
        obj["_line"] = n
        out.append(obj)
    if repair and cut is not None:
        with open(path, "r+b") as fh:
            fh.truncate(cut)
    return out


def _complete(lines: list[dict[str, Any]], samples: int) -> tuple[list[dict[str, Any]], set[str]]:
    counts: dict[str, int] = {}
    for r in lines:
        counts[r["question_id"]] = counts.get(r["question_id"], 0) + 1
    done = {q for q, c in counts.items() if c == samples}
    return [r for r in lines if r["question_id"] in done], done


def _copy_image(src: Path, out_dir: Path) -> str:
    rel = f"images/{src.name}"
    dst = out_dir / rel
    if not dst.exists():
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)
    return rel


def label_dataset(
    sampler: Sampler,
    data: str | Path,
    out: str | Path,
    cfg: LabelConfig,
    *,
    limit: int | None = None,
    identity: dict[str, Any] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Label (the first ``limit``) questions of dataset ``data`` into ``out``; resumes; returns the summary.
    ``identity`` (policy path and hash, ...) is stored in ``label_config.json``: a rerun into the same
    folder must use the same identity and settings."""
    from svemath.data.records import load_dataset
    from svemath.fileio import sha256_file
    from svemath.images import load_image

    cfg.validate()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    dataset = load_dataset(data)
    records = dataset.records[:limit] if limit is not None else dataset.records
    config = {"label": asdict(cfg), "data": str(Path(data).resolve()), "identity": identity or {},
              "data_sha256": sha256_file(Path(dataset.records[0].file)) if dataset.records else None}  # fmt: skip
    cfg_path = out / "label_config.json"
    if cfg_path.is_file():
        old = read_json(cfg_path)
        keep = ("batch_size",)
        strip = lambda c: {**c, "label": {k: v for k, v in c["label"].items() if k not in keep}}  # noqa: E731
        if strip(old) != strip(config):
            raise ConfigError(f"{out} holds labels made with other settings ({cfg_path}); use a new --out")
    write_json(cfg_path, config)
    sol_path = out / SOLUTIONS_FILE
    lines = read_solutions(sol_path, repair=True)
    kept, done = _complete(lines, cfg.samples)
    if len(kept) != len(lines) or (sol_path.is_file() and not sol_path.read_bytes().endswith(b"\n")):
        atomic_write_text(sol_path, "".join(json.dumps(_public(r), ensure_ascii=False) + "\n" for r in kept))
    todo = [r for r in records if str(r.id) not in done]
    t0, n_new = time.perf_counter(), 0
    from tqdm.auto import tqdm

    with open(sol_path, "a", encoding="utf-8") as fh:
        for record in tqdm(todo, desc="prm label", unit="question", disable=not progress):
            q = question_from_record(record)
            image = load_image(q.image) if q.image is not None else None
            sols = label_question(sampler, q, cfg, image)
            images = [_copy_image(q.image, out)] if q.image is not None else []
            fh.write("".join(json.dumps({**s, "images": images}, ensure_ascii=False) + "\n" for s in sols))
            fh.flush()
            os.fsync(fh.fileno())
            n_new += 1
    seconds = time.perf_counter() - t0
    solutions = [_public(r) for r in read_solutions(sol_path)]
    atomic_write_text(
        out / TRAIN_FILE,
        "".join(json.dumps(train_record(s), ensure_ascii=False) + "\n" for s in solutions if s["steps"]),
    )
    summary = summarize(solutions, cfg)
    summary["run"] = {"questions_labelled_now": n_new, "already_done": len(records) - len(todo),
                      "seconds": round(seconds, 2),
                      "seconds_per_question": round(seconds / n_new, 3) if n_new else None,
                      "seconds_per_solution": round(seconds / (n_new * cfg.samples), 3) if n_new else None}  # fmt: skip
    write_json(out / "label_summary.json", summary)
    return summary


def _public(r: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in r.items() if k != "_line"}


def summarize(solutions: list[dict[str, Any]], cfg: LabelConfig) -> dict[str, Any]:
    """Counts, positive rates (overall and per answer type), pass@1 of the samples, mean steps."""
    steps = [lab for s in solutions for lab in s["labels"]]
    by_type: dict[str, list[int]] = {}
    for s in solutions:
        by_type.setdefault(s["answer_type"], []).extend(s["labels"])
    n = len(solutions)
    return {
        "n_questions": len({s["question_id"] for s in solutions}),
        "n_solutions": n,
        "n_steps": len(steps),
        "empty_solutions": sum(1 for s in solutions if not s["steps"]),
        "mean_steps": len(steps) / n if n else 0.0,
        "positive_rate": sum(steps) / len(steps) if steps else None,
        "positive_rate_by_answer_type": {k: sum(v) / len(v) for k, v in sorted(by_type.items()) if v},
        "sample_accuracy": sum(s["final_correct"] for s in solutions) / n if n else None,
        "rollouts_generated": cfg.rollouts
        * sum({s["question_id"]: s["mc"]["unique_prefixes"] for s in solutions}.values()),
        "splitter": splitter_info(cfg.max_steps),
        "label_rule": cfg.label_rule,
    }
