"""svemath: the SVE-Math suite (GeoGLIP + CLIP + feature router + Qwen2.5) for visual math.

The import namespace maps the repository's top-level folders (vision/, mllm/, data/, train/, eval/,
demo/) to ``svemath.vision``, ``svemath.mllm`` and so on. Importing ``svemath`` itself is cheap: heavy
modules (torch, transformers) load only when a subsystem is used.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
