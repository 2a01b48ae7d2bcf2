"""The ``captions`` suite: diagram-caption pairs in the MAVIS-Caption style, for vision-language alignment.

Each sample draws a composition (triangles, quadrilaterals, circles, lines and angles, regular polygons,
function plots, bar/line/pie charts, scatter plots, tables, graphs, solids, pictograms; see
``svemath.data.compose``) in a random style and captions it: what is drawn, its labels and the relations
between them ("AB is parallel to DC.", "Angle ABC is 47°.", "The tallest bar is C with 35."). A
sentence is only included when every label it mentions was actually drawn (the layout may drop a label
that found no free place; the composition is redrawn up to 3 times first). The conversation is
"<image>\\n<one of CAPTION_PROMPTS>" -> caption; the perception annotations come along for free.
"""

from __future__ import annotations

import random

from svemath.data.compose import composers
from svemath.data.generate import option_image_size
from svemath.data.primitives import pick_kind
from svemath.data.render import render
from svemath.data.schema import Sample, register_suite
from svemath.data.style import sample_style

DEFAULT_SIZE = 384  # image side without --image-size (the composition's logical canvas)
CAPTION_PROMPTS = (
    "Describe this diagram.",
    "Write a caption for this figure.",
    "What is shown in this image?",
    "Describe the diagram in detail, including its labels.",
    "Give a short description of the figure and the relations it shows.",
    "Explain what this math diagram depicts.",
    "Provide a detailed caption of the image.",
)


@register_suite("captions", "train", "diagram-caption pairs (MAVIS-Caption style) with annotations", "1")
def make(index: int, rng: random.Random) -> Sample:
    kind = pick_kind(rng, 2)
    size = option_image_size(DEFAULT_SIZE)
    for _ in range(4):
        comp = composers()[kind][0](rng, DEFAULT_SIZE, DEFAULT_SIZE)
        rendered = render(comp.scene, sample_style(rng, size, size))
        if not comp.missing(rendered):
            break
    record = {
        "conversations": [
            {"from": "human", "value": "<image>\n" + rng.choice(CAPTION_PROMPTS)},
            {"from": "gpt", "value": comp.caption(rendered)},
        ],
        "annotations": rendered.annotations("@edge"),
        "meta": {"family": "captions", "subject": comp.subject, "level": "read", "kind": comp.kind},
    }
    return Sample(rendered.image, record, {"edge": rendered.boundary})
