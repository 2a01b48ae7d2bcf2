"""Teacher-forced accuracy of the numbers in reference chains of thought, by where each number comes from.

It tells *which* copy a model gets wrong. For every record with one question and one reference answer
(LLaVA ``conversations``, e.g. the ``instruct`` suite), the model sees the image and the question and is
fed the reference answer; a number counts as right when the model's argmax predicts every one of its
tokens. Each number of the answer gets a source ``PLACE-ORIGIN`` (:func:`number_sources`):

- place ``text`` (in the prose) or ``calc`` (an operand of a calculator call ``<<expr=``); the result of
  a call is ``calc-result`` (at generation time the calculator writes it, the model does not);
- origin, first match wins: ``retype`` (equals an earlier calculator result), ``question`` (written in
  the question), ``label`` (among the label strings the model's own reader hands its LM as label tokens;
  a label the reader got wrong does not match), ``other`` (counted, read off a scale, a known fact such
  as 90°, or misread).

Digits inside names (``P1``, ``∠1``) and exponents (``16^2``) count as numbers too. For records with
annotated text labels, ``label_values`` follows the numbers of the answer that are written in the
diagram: how many the reader reads at all (any number of slots) and how many fit in the model's slots.
``label_copies_by_rivals`` splits the ``label`` copies by how many numeric label strings the slots hold
(``1``, ``2-3``, ``4+``): with one, copying needs no association of a label with a diagram element;
with several, the model must pick the one that belongs to the element the sentence names.

``svemath eval numbers --model DIR|default --data DIR [--limit N] --out FILE.json``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

NUMBER = re.compile(r"\d+(?:\.\d+)?")
CALL = re.compile(r"<<([^=<>]*)=([^<>]*)>>")
ORIGINS = ("retype", "question", "label", "other")
SOURCES = ("calc-result", *(f"{place}-{o}" for place in ("text", "calc") for o in ORIGINS))
RIVAL_BUCKETS = ("1", "2-3", "4+")
ALL_SLOTS = 512  # "read at all": the reader's labels packed without a slot limit


def written_in(value: str, texts: Iterable[str]) -> bool:
    """``value`` appears as a whole number in one of ``texts`` (not as part of 13 or of 3.5)."""
    pattern = re.compile(r"(?<![\d.])" + re.escape(value) + r"(?!\d|\.\d)")
    return any(pattern.search(t) for t in texts)


def number_sources(answer: str, question: str, labels: Iterable[str] = ()) -> list[tuple[int, int, str]]:
    """``(start, end, source)`` for every number of ``answer`` (character offsets; sources above)."""
    calls = [(m.start(), m.end(), m.start(2), m.group(2)) for m in CALL.finditer(answer)]
    labels = list(labels)
    out = []
    for m in NUMBER.finditer(answer):
        start, value = m.start(), m.group()
        call = next((c for c in calls if c[0] <= start < c[1]), None)
        if call is not None and start >= call[2]:
            out.append((start, m.end(), "calc-result"))
            continue
        if value in {result for _, end, _, result in calls if end <= start}:
            origin = "retype"
        elif written_in(value, [question]):
            origin = "question"
        elif written_in(value, labels):
            origin = "label"
        else:
            origin = "other"
        out.append((start, m.end(), f"{'calc' if call is not None else 'text'}-{origin}"))
    return out


def rival_bucket(labels: Iterable[str]) -> str:
    """How many of ``labels`` hold a number, as a bucket of :data:`RIVAL_BUCKETS`."""
    k = sum(1 for text in labels if NUMBER.search(text))
    return "1" if k <= 1 else ("2-3" if k <= 3 else "4+")


def _rate(correct: int, n: int) -> dict[str, Any]:
    return {"n": n, "correct": correct, "accuracy": round(correct / n, 4) if n else None}


def teacher_forced_numbers(model: Any, processor: Any, records: Iterable[Any]) -> dict[str, Any]:
    """Per source ``{"n", "correct", "accuracy"}`` over the numbers of the records' answers, plus
    ``label_values`` (see the module docstring). Records whose answer the processor cuts (``max_length``)
    are skipped and counted."""
    import torch

    from svemath.images import load_image
    from svemath.mllm import towers
    from svemath.mllm.labels import read_labels, slot_strings

    tokenizer = processor.tokenizer
    counts = {s: [0, 0] for s in SOURCES}
    by_rivals = {b: [0, 0] for b in RIVAL_BUCKETS}
    written = {"in_diagram": 0, "read": 0, "in_slots": 0}
    n_records = truncated = 0
    model.eval()
    for record in records:
        conversation = record.conversations
        answers = [t for t in conversation if t.get("from") in ("gpt", "assistant")]
        if len(answers) != 1 or conversation[-1] is not answers[0]:
            continue  # one question, one reference answer: the supervised tokens are exactly that answer
        answer = answers[0]["value"]
        question = "\n".join(t["value"] for t in conversation[:-1])
        image = load_image(record.image) if record.image is not None else None
        batch = processor.collate([processor.encode_sample(conversation, image)])
        targets = batch["labels"][0]
        positions = (targets != -100).nonzero().flatten().tolist()
        ids = [int(targets[p]) for p in positions]  # the answer's tokens, then <|im_end|>
        if not tokenizer.decode(ids).startswith(answer):
            truncated += 1
            continue
        in_slots, read_all = [], []
        with torch.inference_mode():
            features, raw = None, {}
            if image is not None:  # one tower pass; GeoGLIP's output is kept to re-read without a slot limit
                features = towers.encode(model.clip, model.geoglip, model.router, batch["pixel_values"],
                                         batch.get("geo_pixel_values"), raw, model.label_slots)  # fmt: skip
            inputs = {k: v for k, v in batch.items() if "pixel" not in k}
            logits = model(**inputs, image_features=features).logits[0]
            if features is not None and "label_kind" in features:
                charset = model.geoglip.charset
                in_slots = slot_strings(features, charset)
                read_all = slot_strings(read_labels(model.geoglip, raw["geoglip"], ALL_SLOTS), charset)
        offsets = [len(tokenizer.decode(ids[:i])) for i in range(len(ids) + 1)]
        right = [int(logits[p - 1].argmax()) == int(targets[p]) for p in positions]
        diagram_texts = [t.get("text", "") for t in (record.data.get("annotations") or {}).get("texts", [])]
        rivals = by_rivals[rival_bucket(in_slots)]  # this record's bucket for its label copies
        for start, end, source in number_sources(answer, question, in_slots):
            tokens = [i for i in range(len(ids)) if offsets[i] < end and offsets[i + 1] > start]
            if not tokens:
                raise AssertionError(f"{record.id}: number at {start}:{end} maps to no answer token")
            ok = all(right[i] for i in tokens)
            counts[source][0] += ok
            counts[source][1] += 1
            if source.endswith("-label"):
                rivals[0] += ok
                rivals[1] += 1
            value = answer[start:end]
            if (
                source != "calc-result"
                and not source.endswith("-retype")
                and written_in(value, diagram_texts)
            ):
                written["in_diagram"] += 1
                written["read"] += written_in(value, read_all)
                written["in_slots"] += written_in(value, in_slots)
        n_records += 1
    return {
        "records": n_records,
        "skipped_truncated": truncated,
        "sources": {s: _rate(c, n) for s, (c, n) in counts.items()},
        "label_values": written,
        "label_copies_by_rivals": {b: _rate(c, n) for b, (c, n) in by_rivals.items()},
    }
