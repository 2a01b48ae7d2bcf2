"""Teacher-forced accuracy of the numbers in reference chains of thought, by where each number comes from.

It tells *which* copy a model gets wrong. For every record with a reference answer (LLaVA
``conversations``, e.g. the ``instruct`` suite), the model sees the image and the question and is fed the
reference answer; a number counts as right when the model's argmax predicts every one of its tokens. Each
number of the reference answer gets one source (:func:`number_sources`):

- ``calc-result``: the result in ``<<expr=RESULT>>`` (at generation time the calculator writes it);
- ``calc-copy``: an operand of a calculator expression copied from the text or the diagram;
- ``calc-retype``: an operand that re-types an earlier calculator result;
- ``text-retype``: a number in the text that re-types an earlier calculator result;
- ``text-question``: a number in the text that is written in the question;
- ``text-label``: one that is among the label strings the model's own reader hands its LM (label tokens);
- ``text-other``: anything else (counted, read off a scale, a known fact such as 90°).

``svemath eval numbers --model DIR|default --data DIR [--limit N] --out FILE.json``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

NUMBER = re.compile(r"\d+(?:\.\d+)?")
CALL = re.compile(r"<<([^=<>]*)=([^<>]*)>>")
SOURCES = (
    "calc-result", "calc-copy", "calc-retype", "text-retype", "text-question", "text-label", "text-other",
)  # fmt: skip


def _written_in(value: str, texts: Iterable[str]) -> bool:
    pattern = re.compile(r"(?<![\d.])" + re.escape(value) + r"(?![\d])")
    return any(pattern.search(t) for t in texts)


def number_sources(answer: str, question: str, labels: Iterable[str] = ()) -> list[tuple[int, int, str]]:
    """``(start, end, source)`` for every number of ``answer`` (character offsets; sources above)."""
    calls = [(m.start(), m.end(), m.start(2), m.group(2)) for m in CALL.finditer(answer)]
    labels = list(labels)
    out = []
    for m in NUMBER.finditer(answer):
        start, value = m.start(), m.group()
        earlier = {result for _, end, _, result in calls if end <= start}
        call = next((c for c in calls if c[0] <= start < c[1]), None)
        if call is not None:
            source = (
                "calc-result" if start >= call[2] else ("calc-retype" if value in earlier else "calc-copy")
            )
        elif value in earlier:
            source = "text-retype"
        elif _written_in(value, [question]):
            source = "text-question"
        elif _written_in(value, labels):
            source = "text-label"
        else:
            source = "text-other"
        out.append((start, m.end(), source))
    return out


def _label_strings(model: Any, features: dict[str, Any]) -> list[str]:
    """The strings packed into one image's label slots (argmax characters), in slot order."""
    from svemath.mllm.labels import KIND_CHAR, KIND_SEP

    if "label_kind" not in features:
        return []
    strings, current = [], ""
    charset = model.geoglip.charset
    for kind, probs in zip(features["label_kind"][0].tolist(), features["label_probs"][0]):
        if kind == KIND_CHAR:
            current += charset.decode([int(probs.argmax())])
        elif kind == KIND_SEP:
            strings.append(current)
            current = ""
    return strings


def teacher_forced_numbers(model: Any, processor: Any, records: Iterable[Any]) -> dict[str, Any]:
    """Per source: ``{"n", "correct", "accuracy"}`` over the numbers of the records' answers (records with
    one question and one answer; an answer cut by the processor's ``max_length`` is skipped and counted)."""
    import torch

    from svemath.images import load_image

    tokenizer = processor.tokenizer
    counts = {s: [0, 0] for s in SOURCES}
    n_records = skipped = 0
    model.eval()
    for record in records:
        conversation = record.conversations
        answers = [t for t in conversation if t.get("from") in ("gpt", "assistant")]
        if len(answers) != 1 or conversation[-1] is not answers[0]:
            continue  # one question, one reference answer: the supervised tokens are exactly that answer
        answer = answers[0]["value"]
        image = load_image(record.image) if record.image is not None else None
        batch = processor.collate([processor.encode_sample(conversation, image)])
        with torch.inference_mode():
            features = None
            if image is not None:
                features = model.encode_images(batch["pixel_values"], batch.get("geo_pixel_values"))
            inputs = {k: v for k, v in batch.items() if "pixel" not in k}
            logits = model(**inputs, image_features=features).logits[0]
        targets = batch["labels"][0]
        positions = (targets != -100).nonzero().flatten().tolist()
        # the supervised tokens are the answer (then <|im_end|>): map each to its character span
        ids = [int(targets[p]) for p in positions]
        if not tokenizer.decode(ids).startswith(answer):  # truncated by max_length
            skipped += 1
            continue
        offsets = [len(tokenizer.decode(ids[:i])) for i in range(len(ids) + 1)]
        right = [int(logits[p - 1].argmax()) == int(targets[p]) for p in positions]
        strings = _label_strings(model, features) if features else []
        for start, end, source in number_sources(answer, conversation[0]["value"], strings):
            tokens = [i for i in range(len(ids)) if offsets[i] < end and offsets[i + 1] > start]
            counts[source][0] += all(right[i] for i in tokens)
            counts[source][1] += 1
        n_records += 1
    return {
        "records": n_records,
        "skipped_truncated": skipped,
        "sources": {
            s: {"n": n, "correct": c, "accuracy": round(c / n, 4) if n else None}
            for s, (c, n) in counts.items()
        },
    }
