"""The one step splitter, shared by PRM labelling, PRM training, PRM scoring, best-of-N and the demo.

Our chain-of-thought responses write one step per line and end with a line ``Answer: X`` (the
training target is ``"\\n".join(steps) + "\\nAnswer: X"``, see ``svemath.data.problem_suites``).
:func:`split_steps` (version :data:`STEP_SPLITTER_VERSION`):

1. splits on newlines, strips each line and drops empty lines;
2. attaches every ``Answer: ...`` line to the step before it (``"So x = 65°.\\nAnswer: 65"``): a bare
   answer line carries no reasoning of its own (VisualProcessBench would call it neutral), and this way
   the last step's label is about the conclusion *and* the answer it states. A response that is only an
   answer line is one step;
3. when more than ``max_steps`` (12, as VisualPRM) steps remain, merges them evenly: consecutive groups
   of ``ceil(n / max_steps)`` steps joined by ``"\\n"``.

Calculator annotations (``<<180-47-68=65>>``) are inline, so they stay inside their step. The splitter
is deterministic and idempotent: ``split_steps(join_steps(split_steps(t))) == split_steps(t)``.
Record :func:`splitter_info` with any data it produced; labels made with another version must not be
mixed with this one.
"""

from __future__ import annotations

import math
import re

STEP_SPLITTER_VERSION = "lines-answer-attached-v1"
MAX_STEPS = 12
STEP_SEP = "\n"
_ANSWER_LINE = re.compile(r"^[\s*#>_`-]*(?:the\s+)?(?:final\s+)?answer\s*(?:is)?\s*[:：]", re.I)


def is_answer_line(line: str) -> bool:
    """True for a line stating the final answer (``Answer: X``, ``Final answer: X``, ``**Answer:** X``)."""
    return bool(_ANSWER_LINE.match(line))


def split_steps(text: str, max_steps: int = MAX_STEPS) -> list[str]:
    """A response -> its steps (see the module docstring). An empty or blank response has no steps."""
    if max_steps < 1:
        raise ValueError(f"max_steps must be >= 1, got {max_steps}")
    lines = [ln.strip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    steps: list[str] = []
    for line in lines:
        if not line:
            continue
        if steps and is_answer_line(line):
            steps[-1] = f"{steps[-1]}{STEP_SEP}{line}"
        else:
            steps.append(line)
    if len(steps) <= max_steps:
        return steps
    size = math.ceil(len(steps) / max_steps)
    return [STEP_SEP.join(steps[i : i + size]) for i in range(0, len(steps), size)]


def join_steps(steps: list[str]) -> str:
    """Steps -> response text (the inverse of :func:`split_steps` up to whitespace)."""
    return STEP_SEP.join(steps)


def step_prefix(steps: list[str], i: int) -> str:
    """The response up to and including step ``i``, ending with the separator, so that a continuation
    starts the next step exactly as in training text (``".\\n"`` stays one token for BPE)."""
    if not 0 <= i < len(steps):
        raise IndexError(f"step {i} of {len(steps)}")
    return join_steps(steps[: i + 1]) + STEP_SEP


def states_answer(step: str) -> bool:
    """True when the step contains a final-answer line (so the response is finished after it)."""
    return any(is_answer_line(ln) for ln in step.split(STEP_SEP))


def splitter_info(max_steps: int = MAX_STEPS) -> dict[str, object]:
    """What to record next to step-split data."""
    return {
        "version": STEP_SPLITTER_VERSION,
        "sep": STEP_SEP,
        "max_steps": max_steps,
        "answer_line": "attached to the previous step",
    }
