"""``svemath eval numbers``: each number of a reference answer gets its source, and teacher-forced
correctness is read at exactly that number's tokens."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import torch

from svemath.eval.numbers import number_sources, rival_bucket, teacher_forced_numbers
from svemath.mllm.testing import diagram, tiny_test_model

QUESTION = "BC = 16 and AC = 30. The side AB is marked x. Find x."
ANSWER = (
    "The diagram shows BC = 16 and AC = 30, and the angle is 47°.\n"
    "AB² = <<16^2+30^2=1156>>, so x = <<sqrt(1156)=34>>.\nA right angle is 90°.\nAnswer: 34"
)


def test_number_sources():
    got = [(ANSWER[s:e], src) for s, e, src in number_sources(ANSWER, QUESTION, labels=["A", "47°"])]
    assert got == [
        ("16", "text-question"), ("30", "text-question"), ("47", "text-label"),
        ("16", "calc-question"), ("2", "calc-other"), ("30", "calc-question"), ("2", "calc-other"),
        ("1156", "calc-result"), ("1156", "calc-retype"), ("34", "calc-result"), ("90", "text-other"),
        ("34", "text-retype"),
    ]  # fmt: skip
    # whole numbers only: 3 is not written in "3.5" or "13", but 3.5 is
    assert [src for *_, src in number_sources("x = 3, y = 3.5", "AB = 3.5 and CD = 13")] == [
        "text-other",
        "text-question",
    ]


class _Oracle:
    """The tiny model's towers, with logits that predict every next reference token, except ``wrong``."""

    def __init__(self, model, processor, wrong: str | None = None):
        self.model, self.wrong = (
            model,
            None if wrong is None else processor.tokenizer.convert_tokens_to_ids(wrong),
        )
        self.clip, self.geoglip, self.router = model.clip, model.geoglip, model.router
        self.label_slots = model.label_slots

    def eval(self):
        return self

    def __call__(self, input_ids, labels, **_):
        vocab = self.model.config.text_config.vocab_size
        logits = torch.zeros(*input_ids.shape, vocab)
        nxt = labels[:, 1:].clamp(min=0)
        if self.wrong is not None:
            nxt = torch.where(nxt == self.wrong, (nxt + 1) % vocab, nxt)
        logits[:, :-1].scatter_(-1, nxt[..., None], 1.0)
        return SimpleNamespace(logits=logits)


@pytest.mark.parametrize("wrong", [None, "3"])
def test_teacher_forcing_reads_each_number_at_its_tokens(wrong):
    model, processor = tiny_test_model(geoglip=True)
    conversation = [{"from": "human", "value": "<image>\n" + QUESTION}, {"from": "gpt", "value": ANSWER}]
    record = SimpleNamespace(id="r0", conversations=conversation, image=None, data={})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("svemath.images.load_image", lambda _: diagram(0))
        mp.setattr("svemath.mllm.labels.slot_strings", lambda *_: [])  # an untrained reader: no labels
        record.image = "diagram.png"
        result = teacher_forced_numbers(_Oracle(model, processor, wrong), processor, [record])
    assert result["records"] == 1 and result["skipped_truncated"] == 0
    sources = result["sources"]
    total = sum(row["n"] for row in sources.values())
    assert total == len(number_sources(ANSWER, conversation[0]["value"], []))
    correct = {s: row["correct"] for s, row in sources.items() if row["n"]}
    if wrong is None:
        assert all(row["correct"] == row["n"] for row in sources.values())
    else:  # the oracle misses every digit token '3': exactly the numbers 30, 30, 34, 34 fail
        assert correct == {"text-question": 1, "text-other": 2, "text-retype": 0,
                           "calc-question": 1, "calc-other": 2, "calc-result": 1, "calc-retype": 1}  # fmt: skip
    assert json.dumps(result)


@pytest.mark.parametrize(("labels", "bucket"), [(["A", "47°"], "1"), (["A", "47°", "16 cm", "x"], "2-3")])
def test_label_copies_split_by_rival_labels(labels, bucket):
    """The label copy (47) lands in the bucket of how many numeric strings the slots hold."""
    assert rival_bucket(labels) == bucket and rival_bucket(["1", "2", "3", "4"]) == "4+"
    model, processor = tiny_test_model(geoglip=True)
    conversation = [{"from": "human", "value": "<image>\n" + QUESTION}, {"from": "gpt", "value": ANSWER}]
    record = SimpleNamespace(id="r0", conversations=conversation, image="diagram.png", data={})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("svemath.images.load_image", lambda _: diagram(0))
        mp.setattr("svemath.mllm.labels.slot_strings", lambda *_: labels)
        result = teacher_forced_numbers(_Oracle(model, processor, "7"), processor, [record])
    assert result["sources"]["text-label"] == {"n": 1, "correct": 0, "accuracy": 0.0}  # the oracle misses '7'
    by_rivals = result["label_copies_by_rivals"]
    assert by_rivals[bucket] == {"n": 1, "correct": 0, "accuracy": 0.0}
    assert sum(row["n"] for row in by_rivals.values()) == 1


def test_numbers_command(tmp_path, capsys):
    from svemath.cli import main
    from svemath.data.generate import generate_dataset
    from svemath.mllm.presets import save_pretrained

    model, processor = tiny_test_model(geoglip=True)
    save_pretrained(model, processor, tmp_path / "model")
    generate_dataset("instruct", n=3, seed=5, out=tmp_path / "data", workers=1, progress=False)
    out = tmp_path / "numbers.json"
    assert main(["eval", "numbers", "--model", str(tmp_path / "model"), "--data", str(tmp_path / "data"),
                 "--limit", "2", "--out", str(out)]) == 0  # fmt: skip
    result = json.loads(out.read_text())
    assert result["records"] == 2 and sum(row["n"] for row in result["sources"].values()) > 0
    assert "records ->" in capsys.readouterr().out
