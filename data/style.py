"""Appearance of a rendered diagram: one :class:`Style`, sampled from a ``random.Random`` or clean.

A style holds everything that changes how a scene *looks* but not what it *means*: output size, line
width, ink/text/fill colours and a palette for series, font and font size, background paper, the small
random similarity transform (rotation, scale, shift; applied to the geometry before drawing, so the
annotations stay exact), point-marker size, anti-aliasing by supersampling, and image-only degradations
(Gaussian noise, JPEG re-encoding).

Text legibility: ``font_px`` is chosen so that capitals and digits are at least ``min_cap_frac`` of the
shorter image side tall (default 4.5%: 17 px at 384, still ~8.6 px after downscaling to 192).

    >>> import random
    >>> s = sample_style(random.Random(0))          # varied look
    >>> c = Style.clean(width=512, height=384)       # deterministic look for tests and eval sheets
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from svemath.data.drawlist import RGB
from svemath.data.fonts import FONTS, size_for_cap_height

PALETTES: dict[str, tuple[RGB, ...]] = {
    "tab": ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75)),
    "dark": ((27, 94, 32), (13, 71, 161), (183, 28, 28), (230, 81, 0), (74, 20, 140), (0, 96, 100)),
    "pastel": ((110, 160, 220), (240, 150, 90), (120, 190, 120), (230, 110, 120), (170, 140, 210)),
    "grey": ((60, 60, 60), (120, 120, 120), (170, 170, 170), (95, 95, 95), (140, 140, 140)),
    "warm": ((200, 60, 40), (230, 140, 30), (150, 90, 40), (220, 180, 40), (120, 40, 60)),
}
INKS: tuple[RGB, ...] = ((0, 0, 0), (0, 0, 0), (30, 30, 30), (20, 30, 90), (70, 30, 20), (10, 60, 30))
BACKGROUNDS: tuple[RGB, ...] = (
    (255, 255, 255),
    (255, 255, 255),
    (250, 250, 245),
    (253, 246, 227),
    (242, 246, 255),
    (246, 246, 246),
)
SHADES: tuple[RGB, ...] = (
    (215, 215, 215),
    (200, 220, 245),
    (250, 225, 190),
    (210, 240, 210),
    (235, 210, 235),
)
PAPERS = ("plain", "grid", "lines", "dots")


@dataclass(frozen=True)
class Style:
    """How a scene is drawn. Sizes are output pixels (``width`` x ``height`` image)."""

    width: int = 384
    height: int = 384
    background: RGB = (255, 255, 255)
    paper: str = "plain"  # plain | grid | lines | dots: a faint background texture (not annotated)
    paper_color: RGB = (225, 225, 225)
    paper_step: int = 24
    ink: RGB = (0, 0, 0)  # default stroke colour
    text_color: RGB = (0, 0, 0)
    palette: tuple[RGB, ...] = PALETTES["tab"]
    colored_strokes: bool = False  # geometric strokes cycle through the palette instead of ink
    shade: RGB = (215, 215, 215)  # default fill of shaded regions
    line_width: float = 2.0
    point_radius: float = 3.5
    mark_vertices: bool = True  # draw a dot at labelled points whose element leaves it unspecified
    font: str = "sans"
    font_px: int = 24
    dash_px: tuple[float, float] = (9.0, 6.0)  # dash length, gap
    dot_px: tuple[float, float] = (2.0, 5.0)  # dotted: dot length, gap
    rotation_deg: float = 0.0  # similarity transform applied to the geometry
    scale: float = 1.0
    shift: tuple[float, float] = (0.0, 0.0)
    margin: float = 6.0  # keep the geometry this far inside the image
    supersample: int = 1  # 2 = draw geometry at 2x and reduce (anti-aliasing)
    noise_sigma: float = 0.0  # Gaussian pixel noise (image only)
    jpeg_quality: int = 0  # 0 = none, else re-encode through JPEG at this quality (image only)
    seed: int = 0  # seeds the image-only noise

    @classmethod
    def clean(cls, width: int = 384, height: int = 384, min_cap_frac: float = 0.045) -> Style:
        """A fixed, plain look: white paper, black 2 px lines, DejaVu Sans, no transform or noise."""
        return cls(
            width=width,
            height=height,
            line_width=max(2.0, round(min(width, height) / 192)),
            point_radius=max(3.0, min(width, height) / 110),
            font_px=size_for_cap_height("sans", min_cap_frac * min(width, height)),
        )

    def color(self, spec: RGB | int | None, default: RGB | None = None) -> RGB:
        """Resolve an element's colour: an RGB tuple, a palette index, or None (``default`` or ink)."""
        if spec is None:
            return default if default is not None else self.ink
        if isinstance(spec, int):
            return self.palette[spec % len(self.palette)]
        return tuple(spec)  # type: ignore[return-value]

    def with_size(self, width: int, height: int) -> Style:
        return replace(self, width=width, height=height)


def sample_style(
    rng: random.Random,
    width: int = 384,
    height: int = 384,
    *,
    min_cap_frac: float = 0.045,
    max_rotation: float = 8.0,
    degrade: float = 0.2,
    supersample_p: float = 0.5,
) -> Style:
    """A varied style. ``degrade``: probability of noise and of JPEG re-encoding (each)."""
    side = min(width, height)
    font = rng.choice(list(FONTS))
    cap = min_cap_frac * side * rng.uniform(1.0, 1.3)
    ink = rng.choice(INKS)
    palette_name = rng.choice(list(PALETTES))
    background = rng.choice(BACKGROUNDS)
    paper = rng.choices(PAPERS, weights=(6, 2, 1, 1))[0]
    base_w = side / 192
    line_width = round(rng.uniform(0.8, 2.2) * base_w * 2) / 2
    return Style(
        width=width,
        height=height,
        background=background,
        paper=paper,
        paper_color=tuple(max(0, c - rng.randint(18, 40)) for c in background),  # type: ignore[arg-type]
        paper_step=rng.choice((16, 20, 24, 32)) * side // 384 or 8,
        ink=ink,
        text_color=ink if rng.random() < 0.7 else (0, 0, 0),
        palette=PALETTES[palette_name],
        colored_strokes=rng.random() < 0.2,
        shade=rng.choice(SHADES),
        line_width=max(1.0, line_width),
        point_radius=max(2.5, rng.uniform(0.7, 1.3) * side / 110),
        mark_vertices=rng.random() < 0.5,
        font=font,
        font_px=size_for_cap_height(font, cap),
        dash_px=(rng.uniform(6, 12) * base_w / 2, rng.uniform(4, 7) * base_w / 2),
        rotation_deg=rng.uniform(-max_rotation, max_rotation) if rng.random() < 0.6 else 0.0,
        scale=rng.uniform(0.85, 1.0),
        shift=(rng.uniform(-0.03, 0.03) * width, rng.uniform(-0.03, 0.03) * height),
        supersample=2 if rng.random() < supersample_p else 1,
        noise_sigma=rng.uniform(2.0, 8.0) if rng.random() < degrade else 0.0,
        jpeg_quality=rng.randint(40, 90) if rng.random() < degrade else 0,
        seed=rng.getrandbits(32),
    )
