"""The two-phase runner with fake predictors: batching, resume, counted failures, CLI exit codes."""

import json
import shutil
from pathlib import Path

import pytest

from svemath.cli import main
from svemath.errors import ConfigError
from svemath.eval.base import get_benchmark
from svemath.eval.predictions import read_predictions
from svemath.eval.predictor import GenerationSettings, model_info
from svemath.eval.runner import generate_predictions
from svemath.eval.score import score_to_dir
from svemath.fileio import sha256_file

FIX = Path(__file__).parent / "fixtures" / "eval"


class HalfRight:
    """Answers correctly (in the official JSON format) for seeds in ``right``, garbage otherwise."""

    def __init__(self, bench, right=("1", "21")):
        self.bench, self.right, self.batches = bench, set(right), []

    def predict(self, batch):
        self.batches.append(batch)
        return [
            self.bench.oracle_response(r.example) if r.example.group_id in self.right else "I am not sure."
            for r in batch
        ]


def lines(path):
    return [json.loads(x) for x in Path(path).read_text().splitlines() if x.strip()]


def test_generate_and_score_dynamath(tmp_path):
    bench = get_benchmark("dynamath")
    examples = bench.load(FIX / "dynamath")
    fake = HalfRight(bench, right=("1", "21"))
    settings = GenerationSettings(batch_size=5, max_new_tokens=64)
    stats = generate_predictions(bench, examples, fake, tmp_path / "p.jsonl", settings=settings,
                                 model={"name": "fake"}, progress=False)  # fmt: skip
    assert stats["generated"] == 12 and stats["already_done"] == 0 and stats["samples_per_s"] > 0
    assert [len(b) for b in fake.batches] == [5, 5, 2]
    assert all(r.image is not None and r.image.mode == "RGB" for b in fake.batches for r in b)
    rows = lines(tmp_path / "p.jsonl")
    assert rows[0]["generation"]["do_sample"] is False and rows[0]["generation"]["max_new_tokens"] == 64
    assert rows[0]["prompt"].startswith("## Question\n") and rows[0]["model"] == {"name": "fake"}
    m = score_to_dir(
        bench, examples, tmp_path / "p.jsonl", tmp_path / "out", data_path=FIX / "dynamath", n_boot=50
    )
    d = m["metrics"]["official"]["dynamath"]
    assert d["avg"] == pytest.approx(0.5) and d["worst"] == pytest.approx(0.5) and d["n_groups"] == 4
    assert m["headline"]["robust"]["avg"] == pytest.approx(0.5)
    assert m["failures"]["unparsable"]["robust"] == 0  # garbage still has a last line
    assert m["scorer"] == "dynamath-rule" and m["generation"]["batch_size"] == 5
    for name in (
        "metrics.json",
        "report.md",
        "scored.jsonl",
        "accuracy_by_subject.png",
        "accuracy_by_variant.png",
        "avg_vs_worst.png",
    ):
        assert (tmp_path / "out" / name).is_file(), name
    scored = lines(tmp_path / "out" / "scored.jsonl")
    assert len(scored) == 12 and {s["official"]["correct"] for s in scored if s["group_id"] == "1"} == {True}
    assert "| avg |" in (tmp_path / "out" / "report.md").read_text()


def test_resume_after_cut_off_file(tmp_path):
    bench = get_benchmark("dynamath")
    examples = bench.load(FIX / "dynamath")
    path = tmp_path / "predictions.jsonl"
    generate_predictions(bench, examples[:5], HalfRight(bench), path, progress=False)
    text = path.read_text()
    path.write_text(text + '{"id": "16-3", "repeat": 0, "respo')  # killed mid-write
    assert read_predictions(path).truncated_tail
    fake = HalfRight(bench)
    stats = generate_predictions(
        bench, examples, fake, path, settings=GenerationSettings(batch_size=4), progress=False
    )
    assert stats["already_done"] == 5 and stats["generated"] == 7 and stats["truncated_tail_repaired"]
    assert [r.example.id for b in fake.batches for r in b] == [e.id for e in examples[5:]]
    rows = lines(path)  # every line parses: the cut-off line is gone
    assert sorted(r["id"] for r in rows) == sorted(e.id for e in examples)
    # a finished run builds no predictor at all
    calls = []
    stats = generate_predictions(bench, examples, lambda: calls.append(1), path, progress=False)
    assert stats["generated"] == 0 and calls == []


def test_missing_image_is_a_counted_failure_and_retried(tmp_path):
    data = tmp_path / "dyn"
    shutil.copytree(FIX / "dynamath" / "trial1", data)
    (data / "image" / "image16.png").unlink()
    bench = get_benchmark("dynamath")
    examples = bench.load(data)
    path = tmp_path / "p.jsonl"
    stats = generate_predictions(
        bench, examples, HalfRight(bench, right=("1", "16", "21", "250")), path, progress=False
    )
    assert stats["errors"] == 1 and stats["generated"] == 3
    bad = [r for r in lines(path) if r["error"]]
    assert len(bad) == 1 and bad[0]["id"] == "16-1" and "image16.png" in bad[0]["error"]
    m = score_to_dir(bench, examples, path, tmp_path / "out", data_path=data, n_boot=0, plots=False)
    assert m["failures"]["counts"] == {"generation_error": 1}
    assert m["failures"]["examples"]["generation_error"][0].startswith("16-1: ImageLoadError")
    assert m["headline"]["official"]["avg"] == pytest.approx(0.75)
    shutil.copy(FIX / "dynamath" / "trial1" / "image" / "image16.png", data / "image" / "image16.png")
    stats = generate_predictions(bench, examples, HalfRight(bench, right=("16",)), path, progress=False)
    assert stats["generated"] == 1  # only the failed item is retried
    m = score_to_dir(bench, examples, path, tmp_path / "out", data_path=data, n_boot=0, plots=False)
    assert m["failures"]["counts"] == {} and m["headline"]["official"]["avg"] == 1.0
    assert m["failures"]["superseded_lines"] == 1


def test_score_counts_unknown_ids_empty_and_bad_lines(tmp_path):
    bench = get_benchmark("mathvista")
    examples = bench.load(FIX / "mathvista")
    preds = tmp_path / "api.jsonl"
    preds.write_text(
        "\n".join([
            json.dumps({"id": "1", "response": "The answer is 1.2"}),
            json.dumps({"id": "2", "response": ""}),
            json.dumps({"id": "5", "response": "(A) 97"}),
            json.dumps({"id": "999", "response": "3"}),
            "{broken line",
            json.dumps({"id": "6"}),
            json.dumps({"id": "8", "response": "I cannot tell"}),
        ]) + "\n"
    )  # fmt: skip
    m = score_to_dir(
        bench, examples, preds, tmp_path / "out", data_path=FIX / "mathvista", n_boot=0, plots=False
    )
    c = m["failures"]["counts"]
    assert c["unknown_id"] == 1 and c["empty_response"] == 1 and c["bad_prediction_line"] == 2
    assert c["missing_prediction"] == 2  # pid 7, and pid 6 whose only line was malformed
    assert m["failures"]["examples"]["unknown_id"] == ["999 (line 4)"]
    assert any(":5: invalid JSON" in p for p in m["failures"]["examples"]["bad_prediction_line"])
    assert m["failures"]["unparsable"]["robust"] == 0
    off = m["metrics"]["official"]
    assert off["total"] == 6 and off["correct"] == 2  # pids 1 and 5; unknown/bad lines are not items
    assert m["n_scored"] == 6


def test_text_only_items_get_no_image_and_repeats_give_rc(tmp_path):
    bench = get_benchmark("synth-mathverse")
    examples = bench.load(FIX / "synth-mathverse")

    class Flaky:
        def __init__(self):
            self.seen = []

        def predict(self, batch):
            self.seen += batch
            return ["Answer: 5" if r.repeat != 2 else "Answer: 6" for r in batch]

    fake = Flaky()
    settings = GenerationSettings(do_sample=True, temperature=0.7, repeats=3, batch_size=2)
    generate_predictions(
        bench, examples, fake, tmp_path / "p.jsonl", style="plain", settings=settings, progress=False
    )
    assert len(fake.seen) == 9 and [r.repeat for r in fake.seen][:3] == [0, 0, 0]
    assert [r.image is None for r in fake.seen[:3]] == [False, False, True]
    assert {r.seed for r in fake.seen if r.repeat == 1} == {1}
    m = score_to_dir(
        bench, examples, tmp_path / "p.jsonl", tmp_path / "o", data_path="x", n_boot=0, plots=False
    )
    assert m["headline"]["robust"]["all"] == 1.0
    assert m["metrics"]["repetition_consistency"]["rc"] == pytest.approx(0.5)


def test_settings_validation():
    with pytest.raises(ConfigError, match="only apply with --do-sample"):
        GenerationSettings(temperature=0.7).validate()
    with pytest.raises(ConfigError, match="needs --do-sample"):
        GenerationSettings(repeats=2).validate()
    assert GenerationSettings(do_sample=True).validate().temperature == 1.0


# === command line ===


def test_cli_run_oracle_and_score(tmp_path, capsys):
    out = tmp_path / "run"
    base = ["eval", "run", "--model", "oracle", "--bench", "mathverse", "--data", str(FIX / "mathverse"),
            "--out", str(out), "--limit", "7", "--no-progress"]  # fmt: skip
    code = main([*base, "--batch-size", "3", "--n-boot", "50"])
    assert code == 0
    m = json.loads((out / "metrics.json").read_text())
    assert (
        m["n_examples"] == 7
        and m["headline"]["robust"]["all"] == 1.0
        and m["headline"]["official"]["all"] == 1.0
    )
    assert m["scorer"] == "mathverse-rule" and "no LLM" in m["judge"]
    assert "mathverse (mathverse-rule): 7 items" in capsys.readouterr().out
    # rerun: nothing left to generate
    assert main([*base, "--n-boot", "0", "--no-plots"]) == 0
    assert "generated 0 (skipped 7" in capsys.readouterr().out
    # score the same predictions standalone, against the full data: the 5 unanswered items count as failures
    code = main(["eval", "score", "--bench", "mathverse", "--data", str(FIX / "mathverse"), "--predictions",
                 str(out / "predictions.jsonl"), "--out", str(tmp_path / "s"), "--n-boot", "0"])  # fmt: skip
    assert code == 0
    m = json.loads((tmp_path / "s" / "metrics.json").read_text())
    assert m["failures"]["counts"] == {"missing_prediction": 5} and m["metrics"]["robust"]["total"] == 12


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["eval", "run", "--model", "oracle", "--bench", "nope", "--data", "x", "--out", "o"],
            "unknown benchmark 'nope'",
        ),
        (
            ["eval", "run", "--model", "oracle", "--bench", "synth-dynamath", "--out", "o"],
            "--data is required",
        ),
        (
            [
                "eval",
                "score",
                "--bench",
                "dynamath",
                "--data",
                "{fix}/mathvista",
                "--predictions",
                "p",
                "--out",
                "o",
            ],
            "not a DynaMath folder",
        ),
        (
            [
                "eval",
                "run",
                "--model",
                "{tmp}/missing",
                "--bench",
                "dynamath",
                "--data",
                "{fix}/dynamath",
                "--out",
                "o",
            ],
            "not a checkpoint folder",
        ),
        (
            [
                "eval",
                "run",
                "--model",
                "default",
                "--bench",
                "dynamath",
                "--data",
                "{fix}/dynamath",
                "--out",
                "o",
            ],
            "is not a model directory",
        ),
        (
            [
                "eval",
                "run",
                "--model",
                "oracle",
                "--bench",
                "dynamath",
                "--data",
                "{fix}/dynamath",
                "--out",
                "o",
                "--prompt",
                "cot",
            ],
            "no prompt style 'cot'",
        ),
        (
            [
                "eval",
                "run",
                "--model",
                "oracle",
                "--bench",
                "dynamath",
                "--data",
                "{fix}/dynamath",
                "--out",
                "o",
                "--temperature",
                "0.5",
            ],
            "--do-sample",
        ),
        (
            [
                "eval",
                "score",
                "--bench",
                "dynamath",
                "--data",
                "{fix}/dynamath",
                "--predictions",
                "{tmp}/none.jsonl",
                "--out",
                "o",
            ],
            "predictions file not found",
        ),
    ],
)
def test_cli_user_errors_exit_1(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SVEMATH_DEFAULT_MODEL", str(tmp_path / "no-model"))
    monkeypatch.chdir(tmp_path)
    argv = [a.replace("{fix}", str(FIX)).replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("svemath: error:") and message in err and "Traceback" not in err


def test_cli_malformed_data_names_file_and_line(tmp_path, capsys):
    (tmp_path / "testmini.json").write_text('{\n "1": {"question": "q",\n  "pid": 1,,\n}')
    assert (
        main(
            [
                "eval",
                "score",
                "--bench",
                "mathvista",
                "--data",
                str(tmp_path),
                "--predictions",
                "p",
                "--out",
                "o",
            ]
        )
        == 1
    )
    assert f"{tmp_path / 'testmini.json'}:3: invalid JSON" in capsys.readouterr().err


def test_cli_list(capsys):
    assert main(["eval", "list"]) == 0
    names = [r["name"] for r in json.loads(capsys.readouterr().out)]
    assert names == [
        "dynamath",
        "mathverse",
        "mathvista",
        "synth-dynamath",
        "synth-mathverse",
        "synth-mathvista",
    ]


def test_model_predictor_adapter_uses_the_mllm_api(tmp_path, monkeypatch):
    """The adapter loads model and processor once and makes one generate() call per batch."""
    import sys
    import types

    import svemath.mllm

    calls = {"load": 0, "generate": []}

    class FakeModel:
        @classmethod
        def from_pretrained(cls, path):
            calls["load"] += 1
            assert path == str(tmp_path)
            return cls()

        def to(self, device):
            calls["device"] = device
            return self

        def eval(self):
            return self

    class FakeProcessor:
        @classmethod
        def from_pretrained(cls, path):
            return cls()

    def generate(model, processor, images, prompts, **kw):
        calls["generate"].append((len(images), kw))
        return [f"Answer: {p[:3]}" for p in prompts]

    gen_mod = types.ModuleType("svemath.mllm.generation")
    gen_mod.generate = generate
    # setitem on the module dict: getattr would trigger svemath.mllm's lazy import of the real model (torch)
    monkeypatch.setitem(sys.modules, "svemath.mllm.generation", gen_mod)
    namespace = vars(svemath.mllm)
    monkeypatch.setitem(namespace, "generation", gen_mod)
    monkeypatch.setitem(namespace, "SVEMathForConditionalGeneration", FakeModel)
    monkeypatch.setitem(namespace, "SVEMathProcessor", FakeProcessor)
    (tmp_path / "config.json").write_text("{}")
    out = tmp_path / "out"
    code = main(["eval", "run", "--model", str(tmp_path), "--bench", "dynamath",
                 "--data", str(FIX / "dynamath"),
                 "--out", str(out), "--batch-size", "5", "--max-new-tokens", "32", "--device", "cpu",
                 "--prompt", "plain", "--no-progress", "--n-boot", "0", "--no-plots"])  # fmt: skip
    assert code == 0 and calls["load"] == 1 and calls["device"] == "cpu"
    assert [n for n, _ in calls["generate"]] == [5, 5, 2]
    expected = {
        "max_new_tokens": 32,
        "do_sample": False,
        "temperature": 0.0,
        "top_p": 1.0,
        "seed": 0,
        "batch_size": 5,
        "choice_tool": False,
    }
    assert calls["generate"][0][1] == expected
    m = json.loads((out / "metrics.json").read_text())
    assert m["model"]["config_sha256"] == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    assert m["n_prediction_lines"] == 12


def test_prompt_style_defaults_to_the_model_cards(tmp_path):
    import argparse

    from svemath.eval.cli import _prompt_style

    model = tmp_path / "m"
    model.mkdir()
    assert _prompt_style(argparse.Namespace(prompt=None, model=str(model))) == "official"  # no card
    (model / "card.json").write_text(json.dumps({"evaluation": {"prompt_style": "plain"}}))
    assert _prompt_style(argparse.Namespace(prompt=None, model=str(model))) == "plain"
    assert (
        _prompt_style(argparse.Namespace(prompt="official", model=str(model))) == "official"
    )  # explicit wins
    assert _prompt_style(argparse.Namespace(prompt=None, model="oracle")) == "official"
    assert _prompt_style(argparse.Namespace(prompt=None)) == "official"  # `eval score`: no model


def test_choice_tool_defaults_to_the_model_cards(tmp_path):
    import argparse

    from svemath.errors import CheckpointError
    from svemath.eval.cli import _choice_tool
    from svemath.eval.predictor import card_generation

    model = tmp_path / "m"
    model.mkdir()

    def resolved(flag):
        return _choice_tool(argparse.Namespace(choice_tool=flag, model=str(model)))

    assert card_generation(model) == {} and resolved(None) is False  # a training checkpoint: no card
    (model / "card.json").write_text(json.dumps({"evaluation": {"prompt_style": "plain"}}))
    assert resolved(None) is False  # a card from before the tools were recorded
    gen = {"calculator": True, "choice_tool": True, "unrelated": 3}
    (model / "card.json").write_text(json.dumps({"evaluation": {"generation": gen}}))
    assert card_generation(model) == {"calculator": True, "choice_tool": True}
    assert resolved(None) is True and resolved(False) is False  # --no-choice-tool wins
    assert _choice_tool(argparse.Namespace(choice_tool=None, model="oracle")) is False
    (model / "card.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="unreadable model card"):
        resolved(None)


def test_resuming_with_other_generation_settings_is_refused(tmp_path):
    bench = get_benchmark("dynamath")
    examples = bench.load(FIX / "dynamath")
    path = tmp_path / "predictions.jsonl"
    model = {"name": "m", "path": None, "config_sha256": "aa"}
    bon = {"n": 8, "prm": "/p", "prm_config_sha256": "cc"}
    generate_predictions(bench, examples[:4], HalfRight(bench), path, model=model, progress=False)
    for settings, style, other, what in (
        (GenerationSettings(choice_tool=True), "official", model, "choice_tool=False (now True)"),
        (GenerationSettings(max_new_tokens=64), "official", model, "max_new_tokens=512 (now 64)"),
        (GenerationSettings(), "plain", model, "prompt_style='official' (now 'plain')"),
        (GenerationSettings(), "official", {**model, "config_sha256": "bb"}, "another model"),
        (GenerationSettings(), "official", {**model, "best_of_n": bon}, "best_of_n=off (now 8 with PRM /p)"),
    ):
        with pytest.raises(ConfigError, match=r"line 1 was generated with .*resuming would mix") as err:
            generate_predictions(bench, examples, HalfRight(bench), path, settings=settings, style=style,
                                 model=other, progress=False)  # fmt: skip
        assert what in str(err.value)
    assert len(lines(path)) == 4  # nothing was added
    stats = generate_predictions(bench, examples, HalfRight(bench), path, model=model, progress=False,
                                 settings=GenerationSettings(batch_size=3))  # fmt: skip
    assert stats["already_done"] == 4 and stats["generated"] == len(examples) - 4  # batch size is free
    bon_path = tmp_path / "bon.jsonl"  # a best-of-N run resumes only with the same N and PRM
    generate_predictions(bench, examples[:2], HalfRight(bench), bon_path, model={**model, "best_of_n": bon},
                         progress=False)  # fmt: skip
    for other, what in (({**bon, "n": 4}, "best_of_n=8 with PRM /p (now 4 with PRM /p)"),
                        ({**bon, "prm": "/q"}, "(now 8 with PRM /q)"), (None, "(now off)")):  # fmt: skip
        with pytest.raises(ConfigError, match="resuming would mix") as err:
            generate_predictions(bench, examples, HalfRight(bench), bon_path,
                                 model={**model, "best_of_n": other}, progress=False)  # fmt: skip
        assert what in str(err.value)
    generate_predictions(bench, examples, HalfRight(bench), bon_path, model={**model, "best_of_n": dict(bon)},
                         progress=False)  # fmt: skip
    assert len(lines(bon_path)) == len(examples)


def test_model_info_records_best_of_n(tmp_path):
    policy, prm = tmp_path / "policy", tmp_path / "prm"
    for d in (policy, prm):
        d.mkdir()
        (d / "config.json").write_text(json.dumps({"model_type": "svemath", "dir": d.name}))
    plain = model_info(str(policy))
    assert "best_of_n" not in plain and plain["config_sha256"] == sha256_file(policy / "config.json")
    info = model_info(str(policy), bon=8, prm=prm)
    assert info["best_of_n"] == {"n": 8, "prm": str(prm.resolve()),
                                 "prm_config_sha256": sha256_file(prm / "config.json")}  # fmt: skip
