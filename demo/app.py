"""The Gradio demo (one Blocks app over :class:`svemath.demo.service.DemoService`).

Layout: a diagram (upload or paste; no webcam) and a question with decoding settings and PRM
Best-of-N on the left, the streamed answer, the extracted final answer and the reasoning steps (each
with its PRM score and colour) on the right; below, "what the model sees": GeoGLIP's shapes, junctions,
read labels and boundary map drawn on the image, the router's gate per level as a bar chart, and an
open-vocabulary box that grounds a typed shape name. An example gallery of held-out synthetic diagrams
fills the image and the question.

API (``gradio_client``; ``api_name`` / inputs -> outputs):

* ``/answer``: image, question, decoding ("greedy" | "sampling"), temperature, max new tokens, seed,
  Best-of-N N, aggregation -> answer text, final answer, steps table (``#``, ``Step``, ``PRM score``),
  status message (errors such as an unreadable upload are reported here; the server keeps serving);
* ``/see``: image, detection threshold, layers -> overlay image, gates table, summary;
* ``/ground``: image, shape name(s), detection threshold -> grounding image, message.

Safety: uploads are capped in bytes (Gradio's ``max_file_size`` and ``load_image``) and pixels (larger
images are refused before decoding; big ones are downscaled with ``fit_within``); every image is read by
``svemath.images.load_image``, never by Gradio's own decoder. One model event runs at a time (one
``concurrency_id``), the rest wait in a bounded queue.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from svemath.demo.render import (
    DEFAULT_LAYERS,
    LAYERS,
    counts_summary,
    draw_perception,
    gates_frame,
    steps_frame,
)
from svemath.demo.service import DemoService
from svemath.errors import SVEMathError
from svemath.mllm.perception import LEVEL_NAMES

MODEL_QUEUE = "model"  # concurrency_id shared by every event that runs the model
QUEUE_MAX_SIZE = 64
CSS = """
#svemath-answer textarea { font-family: ui-monospace, Consolas, monospace; }
#svemath-status { min-height: 1.5em; }
"""


def upload_image(**kwargs: Any) -> gr.Image:
    """A ``gr.Image`` whose preprocessing hands over the uploaded file's path without decoding it, so the
    demo reads every upload with ``svemath.images.load_image`` (caps, clear errors) rather than Gradio's
    decoder (which fails on a corrupt file before the app can say what is wrong). Gradio's own checks
    on the payload (the file must be in its upload folder) run before ``preprocess``, as for any input.

    The override is set on the instance: subclassing a Gradio component makes Gradio write a ``.pyi``
    stub next to the subclass's source file."""
    component = gr.Image(type="filepath", image_mode=None, **kwargs)
    decode = component.preprocess

    def preprocess(payload):
        if payload is None:
            return None
        if payload.path:
            return str(payload.path)
        try:  # pasted data: URL
            return decode(payload)
        except Exception as exc:
            raise gr.Error(f"not a readable image ({type(exc).__name__})") from None

    component.preprocess = preprocess  # type: ignore[method-assign]
    return component


def _warn(message: str) -> str:
    return f"⚠️ **{message}**"


def _final(text: str) -> tuple[str, str]:
    from svemath.eval.extract import final_answer

    span, method = final_answer(text)
    return span or "", method


def _empty_steps():
    return steps_frame([])


class DemoHandlers:
    """The event functions (plain methods, so tests can call them without a server)."""

    def __init__(self, service: DemoService) -> None:
        self.service = service

    # -- answer ----------------------------------------------------------------------------------
    def answer(
        self,
        image_path: str | None,
        question: str,
        decoding: str,
        temperature: float,
        max_new_tokens: float,
        seed: float | None,
        bon_n: float,
        agg: str,
        choice_tool: bool | None = None,
    ) -> Iterator[tuple[Any, Any, Any, Any]]:
        svc = self.service
        try:
            q = svc.check_question(question)
            loaded = svc.load(image_path) if image_path else None
            n = int(bon_n or 1)
            sampling = decoding == "sampling" or (n > 1 and svc.has_prm)
            gen = svc.gen_settings(
                sampling=sampling,
                temperature=float(temperature),
                max_new_tokens=int(max_new_tokens),
                seed=None if seed is None else int(seed),
                choice_tool=choice_tool,
            )
        except SVEMathError as exc:
            yield "", "", _empty_steps(), _warn(str(exc))
            return
        image = loaded.image if loaded else None
        notes = [loaded.note] if loaded and loaded.note else []
        if image is None:
            notes.append("no image: answering from the question alone")
        if n > 1 and not svc.has_prm:
            notes.append(f"Best-of-{n} ignored: {svc.prm_note}")
        try:
            if n > 1 and svc.has_prm:
                if decoding != "sampling":
                    notes.append(f"Best-of-{n} samples at temperature {gen['temperature']}")
                yield "", "", _empty_steps(), f"Sampling {n} candidates and scoring them with the PRM ..."
                pick = svc.best_of_n(image, q, n, agg, **gen)
                text, steps = pick.response, svc.split(pick.response)
                scores = list(pick.step_scores[pick.index]) or None
                rule = "PRM-weighted vote" if agg == "vote" else f"{agg} of step scores"
                ranked = ", ".join(f"{x:.2f}" for x in pick.scores)
                notes.insert(0, f"Best-of-{n} ({rule}): chose candidate {pick.index + 1} of [{ranked}]")
            else:
                text = ""
                yield "", "", _empty_steps(), "Generating ..."
                for piece in svc.stream(image, q, **gen):
                    text += piece
                    yield text, gr.skip(), gr.skip(), gr.skip()
                steps = svc.split(text)
                scores = svc.score(image, q, steps)
        except SVEMathError as exc:
            yield "", "", _empty_steps(), _warn(str(exc))
            return
        final, method = _final(text)
        if not text.strip():
            notes.insert(
                0, "the model generated no text" if not text else "the model generated only whitespace"
            )
        elif final:
            notes.append(f"final answer taken from the {method.replace('-', ' ')}")
        notes.append(svc.prm_note if scores is None else f"steps split by {svc.splitter_name}")
        yield text, final, steps_frame(steps, scores), " · ".join(notes)

    # -- what the model sees -------------------------------------------------------------------
    def see(self, image_path: str | None, threshold: float, layers: list[str]):
        svc = self.service
        if not image_path:
            return None, gates_frame(None), "", None
        try:
            loaded = svc.load(image_path)
            seen = svc.perceive(loaded.image, threshold=float(threshold))
        except SVEMathError as exc:
            return None, gates_frame(None), _warn(str(exc)), None
        state = {"image": loaded.image, "seen": seen, "threshold": float(threshold)}
        overlay = draw_perception(loaded.image, seen, layers=layers or [], min_score=float(threshold))
        return (
            overlay,
            gates_frame(seen.get("gates")),
            self._summary(seen, float(threshold), loaded.note),
            state,
        )

    def redraw(self, state: dict | None, layers: list[str]):
        if not state:
            return None
        return draw_perception(
            state["image"], state["seen"], layers=layers or [], min_score=state["threshold"]
        )

    @staticmethod
    def _summary(seen: dict, threshold: float, note: str) -> str:
        counts = counts_summary(seen, threshold)
        classes: dict[str, int] = {}
        for s in seen.get("shapes", []):
            if s["score"] >= threshold:
                classes[s["cls"]] = classes.get(s["cls"], 0) + 1
        read = [t["text"] for t in seen.get("texts", []) if t["score"] >= threshold][:12]
        parts = [
            f"**{counts['shapes']}** shapes"
            + (f" ({', '.join(f'{k} ×{v}' for k, v in sorted(classes.items()))})" if classes else ""),
            f"**{counts['junctions']}** junctions",
            f"**{counts['labels']}** labels read" + (f": {', '.join(repr(t) for t in read)}" if read else ""),
        ]
        text = f"Score ≥ {threshold:.2f}: " + "; ".join(parts) + "."
        return text + (f" ({note})" if note else "")

    # -- open vocabulary -----------------------------------------------------------------------
    def ground(self, image_path: str | None, names: str, threshold: float):
        svc = self.service
        if not image_path:
            return None, _warn("upload a diagram (or pick an example) first")
        try:
            loaded = svc.load(image_path)
            seen, asked = svc.ground(loaded.image, names, threshold=float(threshold))
        except SVEMathError as exc:
            return None, _warn(str(exc))
        found = [s for s in seen["shapes"] if s["score"] >= float(threshold)]
        overlay = draw_perception(loaded.image, seen, layers=["shapes"], min_score=float(threshold))
        per = {n: sum(1 for s in found if s["cls"] == n) for n in asked}
        best = {n: max((s["score"] for s in seen["shapes"] if s["cls"] == n), default=0.0) for n in asked}
        msg = "; ".join(f"**{n}**: {per[n]} box(es) (best score {best[n]:.2f})" for n in asked)
        return overlay, f"{msg} at score ≥ {float(threshold):.2f}."


def _header(service: DemoService, vocabulary_note: str | None) -> str:
    lim = service.limits
    vocab = vocabulary_note or "CLIP-only model: nothing to ground."
    return (
        "# SVE-Math: ask about a diagram\n"
        f"Model: `{service.name}` · {service.prm_note}\n\n"
        f"Uploads up to {lim.max_bytes // (1024 * 1024)} MB and {lim.max_pixels / 1e6:.0f} MP; images larger "
        f"than {lim.max_side} px are downscaled. {vocab}"
    )


def build_app(service: DemoService, *, examples: list | None = None, examples_note: str = "") -> gr.Blocks:
    """The Blocks app over ``service``; ``examples`` a list of :class:`svemath.demo.examples.Example`."""
    handlers = DemoHandlers(service)
    lim = service.limits
    vocabulary_note = service.vocabulary().note if service.can_perceive else None
    model_events = {"concurrency_limit": 1, "concurrency_id": MODEL_QUEUE}
    # delete_cache: uploads and outputs older than an hour are removed hourly (a long-running server).
    with gr.Blocks(title="SVE-Math demo", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Markdown(_header(service, vocabulary_note))
        with gr.Row(equal_height=False):
            with gr.Column(scale=1):
                image = upload_image(
                    label="Diagram",
                    sources=["upload", "clipboard"],
                    height=360,
                    elem_id="svemath-image",
                )
                question = gr.Textbox(
                    label="Question", lines=3, placeholder="e.g. How many circles are there?"
                )
                with gr.Accordion("Decoding", open=False):
                    decoding = gr.Radio(["greedy", "sampling"], value="greedy", label="Decoding")
                    temperature = gr.Slider(0.05, 2.0, value=0.8, step=0.05, label="Temperature (sampling)")
                    max_new = gr.Slider(
                        8,
                        lim.max_new_tokens,
                        value=min(256, lim.max_new_tokens),
                        step=8,
                        label="Max new tokens",
                    )
                    seed = gr.Number(value=0, precision=0, label="Seed (sampling)")
                    choice_tool = gr.Checkbox(
                        value=service.choice_tool,
                        label="Choice tool",
                        info="after '..., which is choice (' write the letter of the option whose text the "
                        "model just wrote (the calculator always runs)",
                    )
                with gr.Accordion("Best-of-N with the PRM", open=service.has_prm):
                    bon_n = gr.Slider(
                        1,
                        lim.max_bon,
                        value=1,
                        step=1,
                        label="N (candidates)",
                        interactive=service.has_prm,
                        info=service.prm_note,
                    )
                    agg = gr.Dropdown(
                        list(service.selections),
                        value="mean",
                        label="Pick by (aggregate of step scores, or PRM-weighted vote)",
                        interactive=service.has_prm,
                    )
                ask = gr.Button("Ask", variant="primary")
                if examples:
                    gr.Examples(
                        examples=[[str(e.image), e.question] for e in examples],
                        inputs=[image, question],
                        label="Held-out synthetic diagrams (click to fill the image and the question)",
                        examples_per_page=6,
                    )
                elif examples_note:
                    gr.Markdown(examples_note)
            with gr.Column(scale=1):
                answer = gr.Textbox(
                    label="Answer (streamed)", lines=8, interactive=False, elem_id="svemath-answer"
                )
                final = gr.Textbox(label="Final answer", interactive=False)
                steps = gr.Dataframe(
                    value=_empty_steps(),
                    label="Reasoning steps (PRM score)",
                    interactive=False,
                    wrap=True,
                    column_widths=["8%", "72%", "20%"],
                )
                status = gr.Markdown(label="Status", elem_id="svemath-status")
        gr.Markdown("## What the model sees")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                overlay = gr.Image(
                    label="GeoGLIP: shapes, junctions, labels read",
                    type="pil",
                    format="png",
                    interactive=False,
                    height=420,
                )
                layers = gr.CheckboxGroup(list(LAYERS), value=list(DEFAULT_LAYERS), label="Show")
                threshold = gr.Slider(
                    0.05, 0.95, value=service.default_threshold(), step=0.05, label="Detection threshold"
                )
                seen_summary = gr.Markdown(label="Seen")
            with gr.Column(scale=2):
                gates = gr.BarPlot(
                    gates_frame(None),
                    x="level",
                    y="gate",
                    y_lim=[0, 1],
                    sort=list(LEVEL_NAMES),
                    label="Router gate per level",
                    height=220,
                )
                names = gr.Textbox(
                    label="Open-vocabulary grounding: shape name(s)",
                    placeholder="triangle, circle",
                    info=vocabulary_note,
                )
                ground = gr.Button("Ground")
                grounded = gr.Image(
                    label="Grounding", type="pil", format="png", interactive=False, height=300
                )
                ground_msg = gr.Markdown(label="Grounding message")
        state = gr.State(None)

        ask.click(
            handlers.answer,
            inputs=[image, question, decoding, temperature, max_new, seed, bon_n, agg, choice_tool],
            outputs=[answer, final, steps, status],
            api_name="answer",
            **model_events,
        )
        question.submit(
            handlers.answer,
            inputs=[image, question, decoding, temperature, max_new, seed, bon_n, agg, choice_tool],
            outputs=[answer, final, steps, status],
            api_visibility="private",
            **model_events,
        )
        see_io = {"inputs": [image, threshold, layers], "outputs": [overlay, gates, seen_summary, state]}
        image.change(handlers.see, **see_io, api_name="see", trigger_mode="always_last", **model_events)
        threshold.release(
            handlers.see, **see_io, api_visibility="private", trigger_mode="always_last", **model_events
        )
        layers.change(
            handlers.redraw,
            inputs=[state, layers],
            outputs=overlay,
            api_visibility="private",
            concurrency_limit=4,
        )
        ground_io = {"inputs": [image, names, threshold], "outputs": [grounded, ground_msg]}
        ground.click(handlers.ground, **ground_io, api_name="ground", **model_events)
        names.submit(handlers.ground, **ground_io, api_visibility="private", **model_events)
    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=1)
    return demo


def launch(
    demo: gr.Blocks,
    service: DemoService,
    *,
    host: str = "127.0.0.1",
    port: int | None = 7860,
    prevent_thread_lock: bool = False,
    quiet: bool = False,
):
    """Start the server (binds ``host``, 127.0.0.1 unless told otherwise) -> (app, local URL, share URL)."""
    return demo.launch(
        server_name=host,
        server_port=port,
        prevent_thread_lock=prevent_thread_lock,
        max_file_size=service.limits.max_bytes,
        show_error=True,
        quiet=quiet,
        css=CSS,
        footer_links=["api"],
        ssr_mode=False,
        share=False,
        mcp_server=False,
    )
