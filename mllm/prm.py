"""Visual process reward model (VisualPRM's formulation, reference/prm.md): the PRM input, one-pass step
scoring, response scores, best-of-N selection, continuation from an assistant prefix (for Monte-Carlo
rollouts) and the VisualProcessBench step metric.

The PRM is the policy's own architecture (no value head). Its input is a chat (ChatML, through the
processor), one user turn per step (steps from :func:`svemath.mllm.steps.split_steps`)::

    system    : PRM_SYSTEM_PROMPT
    user      : "<image>\\n### Question:\\n{question}\\n\\n### Solution Process:\\n{step_0}"
    assistant : "+"            (label slot of step 0)
    user      : "{step_1}"
    assistant : "+"            ...

The question is what the policy was asked (question + choices); the gold answer is never part of it.
Each label is ONE token, ``+`` or ``-`` (:func:`label_token_ids` asserts it). The score of step i is
``P_i = softmax([z_+, z_-])[0]`` where z are the LM-head logits at the position *before* the label slot
(the last token of ``<|im_start|>assistant\\n``). Scoring fills every slot with the placeholder ``+``
and reads all steps in ONE forward pass (``logits_to_keep`` = a boolean mask of those positions, so only
[S, V] logits are computed); by causality this equals scoring step by step with '+' in earlier turns
(:func:`score_steps_incremental`, the slow reference; a test checks they agree).

Shapes: a batch of B conversations of length T gives ``score_mask`` [B, T] (bool) with S = sum of
step counts True entries, row-major, so ``logits[S, V]`` are in (sample, step) order.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from svemath.errors import ConfigError, DataFormatError, ShapeError
from svemath.mllm.chat import IGNORE_INDEX
from svemath.mllm.steps import split_steps
from svemath.mllm.tokenizer import IM_END

# Short on purpose: every token of it is in every PRM forward pass (the tiny BPE spells English slowly).
PRM_SYSTEM_PROMPT = (
    "Check the solution step by step: reply '+' if every step so far is correct, '-' if any is wrong."
)
PLUS, MINUS = "+", "-"
AGGREGATIONS = ("mean", "min", "prod", "last")
SELECTIONS = (*AGGREGATIONS, "vote")  # vote = PRM-weighted majority vote (weights: mean step score)
ImageInput = Image.Image | str | Path | None


# === Input format ===


def label_token_ids(tokenizer) -> tuple[int, int]:
    """The ids of ``+`` and ``-``; ConfigError unless each is exactly one token and they differ."""
    ids = []
    for text in (PLUS, MINUS):
        enc = list(tokenizer(text, add_special_tokens=False).input_ids)
        if len(enc) != 1:
            raise ConfigError(
                f"PRM label {text!r} is {len(enc)} tokens {enc} in this tokenizer; it must be one"
            )
        ids.append(int(enc[0]))
    if ids[0] == ids[1]:
        raise ConfigError(f"PRM labels '+' and '-' map to the same token id {ids[0]}")
    return ids[0], ids[1]


def label_text(label: int | bool) -> str:
    """1 / True -> '+'; 0, -1, False -> '-'."""
    return PLUS if int(label) > 0 else MINUS


def prm_conversation(
    question: str, steps: Sequence[str], labels: Sequence[int] | None = None
) -> list[dict[str, str]]:
    """LLaVA turns of the PRM input; ``labels`` None puts the placeholder '+' in every assistant turn."""
    if not steps:
        raise DataFormatError("a PRM input needs at least one step")
    if labels is not None and len(labels) != len(steps):
        raise DataFormatError(f"{len(steps)} steps but {len(labels)} labels")
    q = question.replace("<image>", "").strip()
    conv: list[dict[str, str]] = []
    for i, step in enumerate(steps):
        if not isinstance(step, str) or not step.strip():
            raise DataFormatError(f"step {i} is empty or not a string")
        if "<image>" in step:
            raise DataFormatError(f"step {i} contains the image placeholder")
        text = f"### Question:\n{q}\n\n### Solution Process:\n{step.strip()}" if i == 0 else step.strip()
        conv.append({"from": "human", "value": text})
        conv.append({"from": "gpt", "value": PLUS if labels is None else label_text(labels[i])})
    return conv


def encode_prm(
    processor,
    question: str,
    steps: Sequence[str],
    image: ImageInput = None,
    *,
    labels: Sequence[int] | None = None,
    image_features: dict[str, torch.Tensor] | None = None,
    max_length: int | None = None,
) -> dict[str, Any]:
    """One PRM sample: the processor's ``input_ids``/``labels`` (LM labels on the label token and
    ``<|im_end|>``), pixels or ``image_features``, and ``score_positions``: for each step the index whose
    next token is that step's label slot. ShapeError when a slot was cut (never cut the tail)."""
    conv = prm_conversation(question, steps, labels)
    sample = processor.encode_sample(
        conv, image, image_features=image_features, max_length=max_length, system_prompt=PRM_SYSTEM_PROMPT
    )
    ids, lm = sample["input_ids"], sample["labels"]
    plus, minus = label_token_ids(processor.tokenizer)
    im_end = processor.tokenizer.convert_tokens_to_ids(IM_END)
    starts = [j for j in range(1, len(ids)) if lm[j] != IGNORE_INDEX and lm[j - 1] == IGNORE_INDEX]
    if len(starts) != len(steps):
        raise ShapeError(
            f"PRM input has {len(starts)} label slots for {len(steps)} steps ({len(ids)} tokens; "
            f"max_length {max_length or processor.max_length}): drop or shorten the sample, never cut its tail"
        )
    for k, j in enumerate(starts):
        want = plus if labels is None or int(labels[k]) > 0 else minus
        if ids[j] != want or j + 1 >= len(ids) or ids[j + 1] != im_end:
            raise ShapeError(f"label slot of step {k} at {j} is not a single '+'/'-' token before {IM_END}")
    sample["score_positions"] = [j - 1 for j in starts]
    if labels is not None:
        sample["step_labels"] = [int(x) for x in labels]
    return sample


def collate_prm(processor, samples: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Right-padded batch (processor.collate) plus ``score_mask`` [B, T] (bool) at the read positions."""
    batch = dict(processor.collate(samples, "right"))
    mask = torch.zeros(batch["input_ids"].shape, dtype=torch.bool)
    for row, s in enumerate(samples):
        mask[row, s["score_positions"]] = True
    batch["score_mask"] = mask
    return batch


# batch keys that are not model inputs: the read positions and the training targets, weights and pairs
_NOT_MODEL_INPUTS = ("score_mask", "labels", "step_targets", "step_weights", "pair_index")


def label_logits(model, batch: dict[str, Any], plus_id: int, minus_id: int) -> torch.Tensor:
    """``[S, 2]`` logits (z_+, z_-) at every masked position of the batch, in (sample, step) order.
    ``batch`` holds model inputs and ``score_mask``; LM ``labels`` are ignored."""
    inputs = {k: v for k, v in batch.items() if k not in _NOT_MODEL_INPUTS}
    out = model(**inputs, logits_to_keep=batch["score_mask"])
    logits = out.logits
    if logits.dim() != 2:
        raise ShapeError(f"expected [S, V] logits from a boolean logits_to_keep, got {tuple(logits.shape)}")
    return logits[:, [plus_id, minus_id]].float()


def plus_probability(pm_logits: torch.Tensor) -> torch.Tensor:
    """[S, 2] -> [S]: P(+) of the two-way softmax = sigmoid(z_+ - z_-)."""
    return torch.sigmoid(pm_logits[:, 0] - pm_logits[:, 1])


# === Scoring ===


@contextmanager
def _inference(model) -> Iterator[None]:
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            yield
    finally:
        model.train(was_training)


def image_features_for(model, processor, image: ImageInput) -> dict[str, torch.Tensor] | None:
    """One image's tower outputs (no batch axis), to share across the candidates of one question."""
    if image is None:
        return None
    pre = processor.preprocess_image(image)
    device = model.device
    geo = pre.get("geo_pixel_values")
    feats = model.encode_images(
        pre["pixel_values"][None].to(device), None if geo is None else geo[None].to(device)
    )
    return {k: v[0] for k, v in feats.items()}


def _to(batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
    out = {}
    for k, v in batch.items():
        if isinstance(v, torch.Tensor):
            out[k] = v.to(device)
        elif isinstance(v, dict):
            out[k] = {kk: vv.to(device) for kk, vv in v.items()}
        else:
            out[k] = v
    return out


def score_steps_batch(
    model,
    processor,
    items: Sequence[tuple[ImageInput, str, Sequence[str]]],
    *,
    batch_size: int = 8,
    max_length: int | None = None,
) -> list[list[float]]:
    """P(+) per step for each ``(image, question, steps)``, one forward pass per batch of items. Items
    sharing an image object (or path) share one tower encoding. Items with no steps give []."""
    plus, minus = label_token_ids(processor.tokenizer)
    results: list[list[float]] = [[] for _ in items]
    features: dict[Any, dict[str, torch.Tensor] | None] = {}
    todo = [i for i, (_, _, steps) in enumerate(items) if steps]
    with _inference(model):
        for start in range(0, len(todo), batch_size):
            rows = todo[start : start + batch_size]
            samples = []
            for i in rows:
                image, question, steps = items[i]
                key = id(image) if isinstance(image, Image.Image) else image
                if key not in features:
                    features[key] = image_features_for(model, processor, image)
                samples.append(
                    encode_prm(
                        processor, question, steps, image_features=features[key], max_length=max_length
                    )
                )
            batch = _to(collate_prm(processor, samples), model.device)
            probs = plus_probability(label_logits(model, batch, plus, minus)).cpu().tolist()
            k = 0
            for i in rows:
                n = len(items[i][2])
                results[i] = probs[k : k + n]
                k += n
    return results


def score_steps(model, processor, image: ImageInput, question: str, steps: Sequence[str]) -> list[float]:
    """P(+) of each step of one solution, in one forward pass."""
    return score_steps_batch(model, processor, [(image, question, steps)])[0]


def score_steps_incremental(
    model, processor, image: ImageInput, question: str, steps: Sequence[str]
) -> list[float]:
    """The slow reference (reference/prm.md §1.4 method 1): one forward pass per step, '+' in earlier turns,
    the next-token logits after an open assistant turn. Used to test :func:`score_steps`."""
    plus, minus = label_token_ids(processor.tokenizer)
    out: list[float] = []
    with _inference(model):
        for i in range(len(steps)):
            conv = prm_conversation(question, steps[: i + 1])[:-1]
            enc = processor.encode_generation_prompt(conv, image, system_prompt=PRM_SYSTEM_PROMPT)
            batch = _to(dict(processor.collate([enc], "right")), model.device)
            logits = model(**batch).logits[0, -1, [plus, minus]].float()
            out.append(float(plus_probability(logits[None])[0]))
    return out


def aggregate(scores: Sequence[float], agg: str = "mean") -> float:
    """Response score from step scores: mean | min | prod (in log space) | last. No steps -> 0.0."""
    if agg not in AGGREGATIONS:
        raise ConfigError(f"unknown aggregation {agg!r}; known: {', '.join(AGGREGATIONS)}")
    if not scores:
        return 0.0
    if agg == "mean":
        return float(sum(scores) / len(scores))
    if agg == "min":
        return float(min(scores))
    if agg == "last":
        return float(scores[-1])
    return float(math.exp(sum(math.log(max(float(p), 1e-12)) for p in scores)))


def score_response(
    model, processor, image: ImageInput, question: str, response: str, agg: str = "mean"
) -> float:
    """Split ``response`` with the shared splitter, score its steps, aggregate."""
    steps = split_steps(response)
    return aggregate(score_steps(model, processor, image, question, steps), agg) if steps else 0.0


# === Best-of-N selection (pure functions on scores) ===


def select_best(
    step_scores: Sequence[Sequence[float]], agg: str = "mean", responses: Sequence[str] | None = None
) -> int:
    """Index of the candidate with the highest aggregated score; ties -> higher mean, then the shorter
    response, then the earlier candidate."""
    if not step_scores:
        raise ValueError("no candidates")

    def key(i: int) -> tuple[float, float, int, int]:
        length = len(responses[i]) if responses is not None else 0
        return aggregate(step_scores[i], agg), aggregate(step_scores[i], "mean"), -length, -i

    return max(range(len(step_scores)), key=key)


def majority_vote(answers: Sequence[str | None]) -> int:
    """Index of the first candidate whose answer is the most frequent (None = no answer, never voted;
    ties -> the answer seen first). All None -> 0."""
    counts: dict[str, int] = {}
    for a in answers:
        if a is not None:
            counts[a] = counts.get(a, 0) + 1
    if not counts:
        return 0
    best = max(counts.values())
    winner = next(a for a in answers if a is not None and counts[a] == best)
    return answers.index(winner)


def weighted_vote(answers: Sequence[str | None], weights: Sequence[float]) -> int:
    """PRM-weighted majority vote: the answer with the largest summed weight wins (ties -> seen first);
    returns its highest-weighted candidate. All None -> the highest weight overall."""
    if len(answers) != len(weights):
        raise ValueError(f"{len(answers)} answers but {len(weights)} weights")
    totals: dict[str, float] = {}
    for a, w in zip(answers, weights):
        if a is not None:
            totals[a] = totals.get(a, 0.0) + float(w)
    if not totals:
        return max(range(len(weights)), key=lambda i: (weights[i], -i))
    best = max(totals.values())
    winner = next(a for a in answers if a is not None and totals[a] == best)
    members = [i for i, a in enumerate(answers) if a == winner]
    return max(members, key=lambda i: (weights[i], -i))


def choose(
    step_scores: Sequence[Sequence[float]],
    agg: str,
    answers: Sequence[str | None] | None = None,
    responses: Sequence[str] | None = None,
) -> int:
    """Best-of-N pick by ``agg`` in :data:`SELECTIONS` (``vote`` needs ``answers``)."""
    if agg == "vote":
        if answers is None:
            raise ConfigError("agg='vote' needs the candidates' answers")
        return weighted_vote(answers, [aggregate(s, "mean") for s in step_scores])
    return select_best(step_scores, agg, responses)


def answer_key(text: str) -> str | None:
    """A light voting key: the last ``Answer: X`` line, case-folded, numbers rounded to 4 decimals.
    (eval passes the benchmark's own extractor instead.)"""
    from svemath.mllm.steps import is_answer_line

    found = None
    for line in text.splitlines():
        if is_answer_line(line):
            found = line.split(":", 1)[-1] if ":" in line else line.split("：", 1)[-1]
    if found is None:
        return None
    value = found.strip().strip("*`. ").casefold()
    try:
        return f"{round(float(value.replace(',', '')), 4):g}"
    except ValueError:
        return value or None


@dataclass
class BestOfN:
    """A best-of-N decision: the chosen ``index``/``response`` and everything it was chosen from."""

    index: int
    response: str
    candidates: list[str]
    step_scores: list[list[float]]
    scores: list[float]  # aggregated by ``agg`` (mean for vote)
    answers: list[str | None] = field(default_factory=list)
    agg: str = "mean"


def best_of_n(
    image: ImageInput,
    question: str,
    n: int = 8,
    policy: tuple[Any, Any] | None = None,
    prm: tuple[Any, Any] | None = None,
    agg: str = "mean",
    *,
    candidates: Sequence[str] | None = None,
    answer_fn: Callable[[str], str | None] = answer_key,
    max_new_tokens: int = 256,
    temperature: float = 0.7,
    top_p: float = 1.0,
    seed: int = 0,
    batch_size: int = 16,
    choice_tool: bool = False,
) -> BestOfN:
    """Sample ``n`` solutions from ``policy`` = (model, processor) (or take ``candidates``), score every
    step with ``prm`` = (model, processor) and pick one by ``agg`` (mean | min | prod | last | vote).
    The policy samples with the calculator, and with ``choice_tool`` also the choice tool."""
    if agg not in SELECTIONS:
        raise ConfigError(f"unknown selection {agg!r}; known: {', '.join(SELECTIONS)}")
    if prm is None:
        raise ConfigError("best_of_n needs prm=(model, processor)")
    if candidates is None:
        if policy is None:
            raise ConfigError("best_of_n needs policy=(model, processor) or candidates=")
        candidates = continue_from_prefixes(
            *policy, image, question, [""], n=n, max_new_tokens=max_new_tokens, temperature=temperature,
            top_p=top_p, seed=seed, batch_size=batch_size, choice_tool=choice_tool,
        )[0]  # fmt: skip
    candidates = list(candidates)
    if not candidates:
        raise ConfigError("best_of_n: no candidates")
    step_scores = score_steps_batch(*prm, [(image, question, split_steps(c)) for c in candidates])
    answers = [answer_fn(c) for c in candidates]
    idx = choose(step_scores, agg, answers, candidates)
    scores = [aggregate(s, "mean" if agg == "vote" else agg) for s in step_scores]
    return BestOfN(idx, candidates[idx], candidates, step_scores, scores, answers, agg)


# === Continuing from an assistant prefix (Monte-Carlo rollouts, solution sampling) ===


def continue_from_prefixes(
    model,
    processor,
    image: ImageInput,
    prompt: str,
    prefixes: Sequence[str],
    *,
    n: int = 1,
    max_new_tokens: int = 256,
    do_sample: bool = True,
    temperature: float = 1.0,
    top_p: float = 1.0,
    seed: int | None = None,
    batch_size: int = 32,
    calculator: bool = True,
    choice_tool: bool = False,
) -> list[list[str]]:
    """For each prefix, ``n`` continuations of the assistant answer to ``prompt`` about ``image`` that
    already starts with that prefix (``""`` = sample whole solutions). Returns new text only
    ([len(prefixes)][n]).

    The input is the generation prompt (``... <|im_start|>assistant\\n``) followed by the prefix tokenized
    on its own, exactly as training tokenizes the assistant turn; the image is encoded once and its
    features are shared by every row; rows are left-padded and batched (``batch_size``), sampled inside
    a forked RNG seeded with ``seed``. With ``calculator`` the results of ``<<expr=`` annotations are
    written by the tool, as in :func:`svemath.mllm.generation.generate` (what the policy does at test time),
    and with ``choice_tool`` also the option letter of a multiple-choice answer.
    """
    from svemath.mllm.generation import generation_kwargs, generation_tools

    if n < 1 or batch_size < 1:
        raise ConfigError(f"n and batch_size must be >= 1, got {n}, {batch_size}")
    gen = generation_kwargs(
        processor, max_new_tokens=max_new_tokens, do_sample=do_sample, temperature=temperature, top_p=top_p
    )
    tok = processor.tokenizer
    rows = [(p, k) for p in range(len(prefixes)) for k in range(n)]
    out: list[list[str]] = [[] for _ in prefixes]
    device = model.device
    devices = [device] if device.type == "cuda" else []
    with _inference(model), torch.random.fork_rng(devices=devices):
        if seed is not None:
            torch.manual_seed(seed)
        enc = processor.encode_generation_prompt(prompt, image)
        feats = None
        if image is not None:
            geo = enc.get("geo_pixel_values")
            encoded = model.encode_images(
                enc["pixel_values"][None].to(device), None if geo is None else geo[None].to(device)
            )
            feats = {k: v[0] for k, v in encoded.items()}
        prefix_ids = [list(tok(p, add_special_tokens=False).input_ids) if p else [] for p in prefixes]
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            samples: list[dict[str, Any]] = [
                {"input_ids": enc["input_ids"] + prefix_ids[p]} for p, _ in chunk
            ]
            if feats is not None:
                for s in samples:
                    s["image_features"] = feats
            batch = _to(dict(processor.collate(samples, "left")), device)
            tools = generation_tools(processor, batch, calculator, choice_tool)
            generated = model.generate(**batch, **gen, **tools)
            new = generated[:, batch["input_ids"].shape[1] :]
            for (p, _), text in zip(chunk, processor.batch_decode(new, skip_special_tokens=True)):
                out[p].append(text.strip())
    return out


# === Step-level metric (VisualProcessBench) ===


def auroc(positive: Sequence[bool], scores: Sequence[float]) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties averaged); None when a class is missing."""
    pairs = sorted(zip(scores, positive), key=lambda x: x[0])
    n_pos = sum(1 for _, p in pairs if p)
    n_neg = len(pairs) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    rank_sum, i = 0.0, 0
    while i < len(pairs):
        j = i
        while j + 1 < len(pairs) and pairs[j + 1][0] == pairs[i][0]:
            j += 1
        avg_rank = (i + j) / 2 + 1
        rank_sum += avg_rank * sum(1 for k in range(i, j + 1) if pairs[k][1])
        i = j + 1
    return float((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def process_metrics(labels: Sequence[int], probs: Sequence[float], threshold: float = 0.5) -> dict[str, Any]:
    """VisualProcessBench's step metric. ``labels``: 1 correct, -1 erroneous, 0 neutral (excluded; MC
    labels 0/1 must be mapped to -1/1 first); a step is predicted correct iff P(+) >= ``threshold``.
    ``macro_f1`` = (F1 on correct steps + F1 on erroneous steps) / 2; also accuracy, AUROC, the predicted
    and true positive rates (positivity bias shows there)."""
    if len(labels) != len(probs):
        raise ValueError(f"{len(labels)} labels but {len(probs)} scores")
    kept = [(int(lab) > 0, float(p)) for lab, p in zip(labels, probs) if int(lab) != 0]
    pred = [p >= threshold for _, p in kept]
    truth = [t for t, _ in kept]
    tp = sum(1 for t, q in zip(truth, pred) if t and q)
    tn = sum(1 for t, q in zip(truth, pred) if not t and not q)
    fp = sum(1 for t, q in zip(truth, pred) if not t and q)
    fn = sum(1 for t, q in zip(truth, pred) if t and not q)
    f1_pos, f1_neg = _f1(tp, fp, fn), _f1(tn, fn, fp)
    n = len(kept)
    return {
        "macro_f1": (f1_pos + f1_neg) / 2,
        "f1_correct": f1_pos,
        "f1_error": f1_neg,
        "accuracy": (tp + tn) / n if n else 0.0,
        "auroc": auroc(truth, [p for _, p in kept]),
        "pred_positive_rate": sum(pred) / n if n else 0.0,
        "label_positive_rate": sum(truth) / n if n else 0.0,
        "n_steps": n,
        "n_neutral": len(labels) - n,
        "threshold": threshold,
    }


def dev_threshold(labels: Sequence[int], probs: Sequence[float]) -> dict[str, float]:
    """The step threshold that maximises macro-F1 on a development split (``labels`` as in
    :func:`process_metrics`): ``{"threshold", "macro_f1"}``. reference/prm.md (g): the protocol's 0.5 may
    be miscalibrated (an MC-labelled PRM of a weak policy sees mostly '-' steps); tune a threshold only on
    a dev split and report the protocol's 0.5 beside it. Candidates: 0.5 and the midpoints between
    successive distinct scores; ties go to the candidate nearest 0.5."""
    kept = [(float(p), int(lab) > 0) for lab, p in zip(labels, probs) if int(lab) != 0]
    if not kept:
        return {"threshold": 0.5, "macro_f1": 0.0}
    distinct = sorted({p for p, _ in kept})
    candidates = sorted({0.5, *[(a + b) / 2 for a, b in itertools.pairwise(distinct)]})
    n_pos = sum(t for _, t in kept)
    n_neg = len(kept) - n_pos
    ordered = sorted(kept)
    best: tuple[float, float, float] | None = None
    below_pos = below_neg = k = 0  # steps scored under the candidate: predicted erroneous
    for t in candidates:
        while k < len(ordered) and ordered[k][0] < t:
            below_pos += ordered[k][1]
            below_neg += not ordered[k][1]
            k += 1
        tp, fp = n_pos - below_pos, n_neg - below_neg  # predicted correct: score >= t
        f1 = (_f1(tp, fp, below_pos) + _f1(below_neg, below_pos, fp)) / 2
        key = (f1, -abs(t - 0.5), t)
        if best is None or key[:2] > best[:2]:
            best = key
    return {"threshold": best[2], "macro_f1": best[0]}
