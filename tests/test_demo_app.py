"""End to end: the Gradio demo served in-process over a tiny saved model, driven with gradio_client
(answers and steps, a corrupt upload, 8 concurrent clients, perception and grounding), the PRM path with
a stand-in scorer, and the page rendered by headless Chromium."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

gradio = pytest.importorskip("gradio")
gradio_client = pytest.importorskip("gradio_client")

from gradio_client import Client, handle_file  # noqa: E402

from svemath.demo.app import DemoHandlers, build_app, launch  # noqa: E402
from svemath.demo.examples import example_set  # noqa: E402
from svemath.demo.service import DemoService  # noqa: E402
from svemath.mllm import save_pretrained  # noqa: E402
from svemath.mllm.testing import diagram, tiny_test_model  # noqa: E402

QUESTION = "How many circles are there?"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1600",
    "--virtual-time-budget=10000",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    model, processor = tiny_test_model()
    save_pretrained(model, processor, root / "model")
    service = DemoService.from_dirs(root / "model")
    examples = example_set(root / "examples", n=20, limit=2)
    demo = build_app(service, examples=examples)
    _, url, _ = launch(demo, service, port=_free_port(), prevent_thread_lock=True, quiet=True)
    image = root / "diagram.png"
    diagram(1).save(image)
    try:
        yield {"url": url, "service": service, "root": root, "image": image, "demo": demo}
    finally:
        demo.close()


def _ask(client: Client, image: Path, seed: int = 7, max_new: int = 24, decoding: str = "sampling"):
    return client.predict(
        handle_file(str(image)), QUESTION, decoding, 0.8, max_new, seed, 1, "mean", False, api_name="/answer"
    )


def test_binds_localhost_and_answers_with_steps(served):
    from svemath.mllm.generation import generate

    assert served["demo"].server_name == "127.0.0.1"
    client = Client(served["url"], verbose=False)
    job = client.submit(
        handle_file(str(served["image"])), QUESTION, "sampling", 0.8, 24, 7, 1, "mean", api_name="/answer"
    )
    text, final, steps, status = job.result(timeout=120)
    partial = {out[0] for out in job.outputs() if out[0]}
    assert text.strip() and not status.startswith("⚠")
    assert len(partial) > 2  # the answer arrived in pieces
    svc = served["service"]
    reference = generate(
        svc.model,
        svc.processor,
        [diagram(1)],
        [QUESTION],
        max_new_tokens=24,
        do_sample=True,
        temperature=0.8,
        seed=7,
    )[0]
    assert text.strip() == reference  # streamed == batched generation with the same seed
    assert steps["headers"] == ["#", "Step", "PRM score"]
    assert [row[1] for row in steps["data"]] == svc.split(text)
    assert all(row[2] == "" for row in steps["data"]) and "No PRM loaded" in status
    assert final and final in text


def test_corrupt_and_oversized_uploads_get_messages_and_server_keeps_serving(served, tmp_path):
    client = Client(served["url"], verbose=False)
    bad = tmp_path / "broken.png"
    bad.write_bytes(Image.new("RGB", (40, 40)).tobytes()[:500])  # raw bytes, no image header
    text, _, steps, status = _ask(client, bad)
    assert "not a readable image: broken.png" in status and text == "" and steps["data"] == []
    assert "/tmp/gradio" not in status  # no server paths in messages
    huge = tmp_path / "huge.png"
    Image.new("1", (7000, 6000)).save(huge)  # 42 MP > 36 MP cap; a few kB on disk
    overlay, _, summary = client.predict(handle_file(str(huge)), 0.3, ["shapes"], api_name="/see")
    assert overlay is None and "too large" in summary
    text, *_rest, status = _ask(client, served["image"])
    assert text.strip() and not status.startswith("⚠")


def test_what_the_model_sees_and_grounding(served, tmp_path):
    client = Client(served["url"], verbose=False)
    wide = tmp_path / "wide.png"
    diagram(2, size=(2400, 900)).save(wide)  # downscaled to 1024 px for the model and the overlay
    overlay, gates, summary = client.predict(
        handle_file(str(wide)), 0.05, ["shapes", "junctions", "labels", "boundary map"], api_name="/see"
    )
    assert Image.open(overlay).size == (1024, 384)
    assert "downscaled from 2400x900" in summary and "shapes" in summary
    levels = [row[0] for row in gates["data"]]
    assert levels == ["P7", "P6", "P5", "B3"] and all(0.0 <= row[1] <= 1.0 for row in gates["data"])
    svc = served["service"]
    direct = svc.perceive(svc.load(str(wide)).image, threshold=0.05)["gates"]
    assert [row[1] for row in gates["data"]] == pytest.approx([direct[k] for k in levels])

    image, message = client.predict(
        handle_file(str(served["image"])), "circle, bar", 0.05, api_name="/ground"
    )
    assert Image.open(image).size == Image.open(served["image"]).size
    assert "**circle**" in message and "**bar**" in message
    image, message = client.predict(handle_file(str(served["image"])), "blob", 0.3, api_name="/ground")
    assert image is None and "cannot ground 'blob'" in message and "Known:" in message


def test_eight_concurrent_clients_all_get_answers(served):
    svc = served["service"]
    active, peak, lock = [0], [0], threading.Lock()
    original = svc.stream

    def counted(*args, **kwargs):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            yield from original(*args, **kwargs)
        finally:
            with lock:
                active[0] -= 1

    svc.stream = counted
    results: dict[int, tuple] = {}
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            results[i] = _ask(Client(served["url"], verbose=False), served["image"], seed=i, max_new=16)
        except BaseException as exc:  # collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    start = time.perf_counter()
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
    finally:
        svc.stream = original
    wall = time.perf_counter() - start
    print(f"\n8 concurrent /answer requests (16 new tokens, tiny model): {wall:.1f} s wall")
    assert not errors, errors
    assert sorted(results) == list(range(8))
    assert all(not r[3].startswith("⚠") for r in results.values())
    assert peak[0] == 1  # the queue runs one generation at a time


def test_prm_scores_steps_and_best_of_n_matches_the_prm_module(served):
    from svemath.mllm import prm as prm_api
    from svemath.mllm.steps import split_steps

    base = served["service"]
    model, processor = base.model, base.processor
    svc = DemoService(model, processor, prm=(model, processor))  # the tiny policy doubles as a PRM
    assert svc.has_prm and "vote" in svc.selections and "Best-of-N is off" not in svc.prm_note
    handlers = DemoHandlers(svc)
    image = str(served["image"])

    text, _, table, status = list(handlers.answer(image, QUESTION, "sampling", 0.8, 24, 7, 1, "mean"))[-1]
    steps = split_steps(text)
    assert steps and table.data["Step"].tolist() == steps
    expected = prm_api.score_steps(model, processor, diagram(1), QUESTION, steps)
    assert table.data["PRM score"].tolist() == pytest.approx(expected, abs=1e-4)
    assert "background-color" in table.to_html() and "lines-answer-attached" in status

    text, _, table, status = list(handlers.answer(image, QUESTION, "greedy", 0.9, 16, 3, 4, "min"))[-1]
    pick = prm_api.best_of_n(
        diagram(1), QUESTION, 4, policy=(model, processor), prm=(model, processor), agg="min",
        max_new_tokens=16, temperature=0.9, top_p=1.0, seed=3, batch_size=4,
    )  # fmt: skip
    assert text == pick.response and f"chose candidate {pick.index + 1} of" in status
    assert "Best-of-4 (min of step scores)" in status
    assert table.data["PRM score"].tolist() == pytest.approx(pick.step_scores[pick.index], abs=1e-4)


@pytest.fixture(scope="module")
def chromium():
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium; apt-get install -y chromium)")
    return path


def test_page_renders_in_headless_chromium(served, chromium, tmp_path):
    shot = tmp_path / "demo.png"
    common = [chromium, *CHROMIUM_FLAGS]
    dom = subprocess.run(
        [*common, f"--user-data-dir={tmp_path / 'profile-dom'}", "--dump-dom", served["url"]],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    ).stdout
    for needle in (
        'type="file"',
        "Drop Image Here",
        "Diagram",
        "Answer (streamed)",
        "Final answer",
        "Reasoning steps (PRM score)",
        "What the model sees",
        "Router gate per level",
        "Ask",
    ):
        assert needle in dom, needle
    subprocess.run(
        [*common, f"--user-data-dir={tmp_path / 'profile-shot'}", f"--screenshot={shot}", served["url"]],
        capture_output=True,
        timeout=90,
        check=True,
    )
    pixels = np.asarray(Image.open(shot).convert("RGB"), dtype=np.float32)
    assert pixels.shape == (1600, 1280, 3)
    assert pixels.std() > 10  # a rendered page, not a blank one
    inked = (np.abs(pixels - pixels[5, 5]).sum(axis=-1) > 30).mean()
    assert inked > 0.02  # text, borders and the primary button were drawn (a blank page: 0)


def test_open_vocabulary_with_a_text_embedding_detector(monkeypatch):
    from svemath.mllm.presets import build_model
    from svemath.mllm.testing import TEST_TEXT, small_tokenizer

    model, processor = build_model(
        "tiny", tokenizer=small_tokenizer(), text=TEST_TEXT, geoglip={"detector": {"class_embedding": "text"}}
    )
    svc = DemoService(model.eval(), processor)
    assert svc.vocabulary().ok
    image, message = DemoHandlers(svc).ground(None, "blob", 0.3)
    assert image is None and "upload a diagram" in message
    seen, names = svc.ground(diagram(1), "Blob, circle", threshold=0.05)
    assert names == ["blob", "circle"] and {s["cls"] for s in seen["shapes"]} <= {"blob", "circle"}
    assert seen["shapes"]  # a random detector still scores some boxes above 0.05
    monkeypatch.setattr(model.geoglip.cfg.detector, "text_dim", 64)
    cap = DemoService(model, processor).vocabulary()
    assert not cap.ok and "(64) differs from the CLIP text tower's (128)" in cap.note


def test_streamed_answer_runs_the_generation_time_tools(served, monkeypatch):
    """The demo decodes as `svemath eval run` does: the calculator writes the results of ``<<expr=``
    (and the choice tool, when asked, the option letter); greedy text equals ``generate``'s."""
    from svemath.mllm import calculator
    from svemath.mllm.generation import generate

    made = []

    class Recording(calculator.CalculatorLogitsProcessor):
        def __init__(self, tokenizer, prompt_length, **kw):
            super().__init__(tokenizer, prompt_length, **kw)
            made.append(kw.get("choice_tool"))

    monkeypatch.setattr(calculator, "CalculatorLogitsProcessor", Recording)
    svc = served["service"]
    gen = {"max_new_tokens": 12, "do_sample": False, "temperature": 1.0, "top_p": 1.0}
    text = "".join(svc.stream(diagram(1), QUESTION, **gen))
    assert made == [False]
    "".join(svc.stream(diagram(1), QUESTION, choice_tool=True, **gen))
    assert made == [False, True]
    expected = generate(svc.model, svc.processor, [diagram(1)], [QUESTION], max_new_tokens=12)[0]
    assert text.strip() == expected
    on = DemoService(svc.model, svc.processor, choice_tool=True)  # e.g. a card measured with the tool
    "".join(on.stream(diagram(1), QUESTION, **gen))
    assert made == [False, True, False, True]  # generate() above made the third
    settings = {"sampling": False, "temperature": 0.0, "max_new_tokens": 8, "seed": None}
    assert on.gen_settings(**settings)["choice_tool"] is True
    assert on.gen_settings(**settings, choice_tool=False)["choice_tool"] is False
    assert svc.gen_settings(**settings)["choice_tool"] is False
