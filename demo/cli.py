"""``svemath demo [--model DIR] [--prm DIR] [--host 127.0.0.1] [--port 7860]``: serve the Gradio demo.

Without ``--model`` it serves the embedded default model (``svemath.mllm.default_model_dir``); when the
build ships none it says in one line how to make one and exits non-zero. Light at import: torch, the
model and gradio are imported only when the command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from svemath.errors import CheckpointError, ConfigError

NO_MODEL_HINT = (
    "no model to serve: this build ships no embedded default model; make one with "
    "'svemath quickstart --out DIR', then run 'svemath demo --model DIR/train/instruct/model'"
)


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "demo",
        help="serve the Gradio demo (upload a diagram, ask, see the answer and what the model sees)",
        description="Serve the Gradio demo over a trained model (default: the embedded tiny-release model).",
    )
    p.add_argument("--model", type=Path, help="model directory (default: the embedded default model)")
    p.add_argument(
        "--prm", type=Path, help="process reward model directory (scores steps, enables Best-of-N)"
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument(
        "--examples-dir", type=Path, help="where the example gallery is generated (default: a cache folder)"
    )
    p.add_argument("--no-examples", action="store_true", help="no example gallery")
    p.add_argument("--max-side", type=int, default=1024, help="downscale larger images to this side (pixels)")
    p.set_defaults(func=run)


def _model_dir(args: argparse.Namespace) -> Path:
    if args.model is not None:
        return args.model
    from svemath.mllm.presets import default_model_dir

    path = default_model_dir(required=False)
    if path is None:
        import os

        if os.environ.get("SVEMATH_DEFAULT_MODEL"):
            default_model_dir(required=True)  # raises naming the bad SVEMATH_DEFAULT_MODEL
        raise CheckpointError(NO_MODEL_HINT)
    return path


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise ConfigError(f"--port must be in 1..65535, got {args.port}")
    if args.max_side < 64:
        raise ConfigError(f"--max-side must be >= 64, got {args.max_side}")
    model_dir = _model_dir(args)
    try:
        import gradio  # noqa: F401
    except ModuleNotFoundError:
        raise ConfigError("the demo needs gradio: pip install 'svemath[demo]'") from None
    from svemath.demo.app import build_app, launch
    from svemath.demo.service import DemoLimits, DemoService

    service = DemoService.from_dirs(model_dir, args.prm, limits=DemoLimits(max_side=args.max_side))
    examples, note = [], ""
    if not args.no_examples:
        from svemath.demo.examples import example_set

        try:
            examples = example_set(args.examples_dir)
        except (OSError, ConfigError) as exc:
            note = f"Example gallery unavailable: {exc}"
            print(f"svemath demo: {note}")
    demo = build_app(service, examples=examples, examples_note=note)
    _, url, _ = launch(demo, service, host=args.host, port=args.port, prevent_thread_lock=True, quiet=True)
    exposed = "" if args.host in ("127.0.0.1", "localhost", "::1") else " (reachable from the network)"
    print(f"svemath demo: serving {model_dir} on {url}{exposed}; {service.prm_note} Ctrl+C to stop.")
    demo.block_thread()
    return 0
