"""Registration of SVE-Math with transformers' Auto classes, without making ``import svemath.mllm`` slow.

After ``import svemath.mllm``, a saved checkpoint loads with plain transformers calls and no
project-specific arguments (no ``trust_remote_code``)::

    import svemath.mllm
    from transformers import AutoModelForImageTextToText
    model = AutoModelForImageTextToText.from_pretrained("runs/tiny/instruct")

Registering needs the model class, hence torch and transformers (5-10 s to import), but the ``svemath``
command imports ``svemath.mllm.cli`` (so the package) for every sub-command and must start instantly.
So the package ``__init__`` calls :func:`install`: if transformers is already imported, the classes are
registered at once; otherwise a one-shot import hook registers them right after transformers itself
finishes importing. ``config.py`` and ``model.py`` also register at their end, so importing either
directly works too. Registration is idempotent.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import warnings

_registered = False


def _mid_import(module: str, attr: str) -> bool:
    mod = sys.modules.get(module)
    return mod is not None and not hasattr(mod, attr)


def register_auto_classes() -> bool:
    """Register ``svemath`` with AutoConfig and AutoModelForImageTextToText; True once done.

    Returns False (and does nothing) while ``svemath.mllm.config`` or ``svemath.mllm.model`` is still
    being imported: that module registers at its own end.
    """
    global _registered
    if _registered:
        return True
    if _mid_import("svemath.mllm.config", "SVEMathConfig") or _mid_import(
        "svemath.mllm.model", "SVEMathForConditionalGeneration"
    ):
        return False
    from transformers import AutoConfig, AutoModelForImageTextToText

    from svemath.mllm.config import SVEMathConfig
    from svemath.mllm.model import SVEMathForConditionalGeneration

    AutoConfig.register(SVEMathConfig.model_type, SVEMathConfig, exist_ok=True)
    AutoModelForImageTextToText.register(SVEMathConfig, SVEMathForConditionalGeneration, exist_ok=True)
    _registered = True
    return True


class _RegisterAfterTransformers(importlib.abc.MetaPathFinder):
    """Finds nothing itself; wraps transformers' loader so registration runs once it has loaded."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "transformers":
            return None
        sys.meta_path.remove(self)  # one shot; also avoids recursion in find_spec below
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_then_register(module) -> None:
            exec_module(module)
            try:
                register_auto_classes()
            except Exception as exc:  # never break `import transformers` for everyone else
                warnings.warn(f"svemath: could not register the Auto classes: {exc!r}", stacklevel=2)

        spec.loader.exec_module = exec_then_register
        return spec


def install() -> None:
    """Register now if transformers is loaded, else when it is first imported."""
    if "transformers" in sys.modules:
        register_auto_classes()
    elif not any(isinstance(f, _RegisterAfterTransformers) for f in sys.meta_path):
        sys.meta_path.insert(0, _RegisterAfterTransformers())
