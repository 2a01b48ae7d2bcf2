"""Package layout, registry, typed configs and the command-line dispatcher."""

import dataclasses
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from svemath.configs import from_dict, merge, parse_overrides, to_dict
from svemath.errors import ConfigError, UnknownNameError
from svemath.registry import Registry

ROOT = Path(__file__).resolve().parents[1]


def test_every_python_folder_is_packaged():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    mapping = cfg["tool"]["setuptools"]["package-dir"]
    listed = set(cfg["tool"]["setuptools"]["packages"])
    data_packages = set(cfg["tool"]["setuptools"]["package-data"])  # folders without Python, listed too
    assert listed == set(mapping) | data_packages
    for name in data_packages - set(mapping):
        parent, _, leaf = name.rpartition(".")
        folder = ROOT / mapping[parent] / leaf
        assert folder.is_dir() and not (folder / "__init__.py").exists(), name
    for top in ["svemath", "vision", "mllm", "data", "train", "eval", "demo"]:
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT).as_posix()
            assert rel in mapping.values(), f"{rel} has an __init__.py but is not in pyproject packages"


def test_namespace_imports():
    import svemath.data
    import svemath.eval
    import svemath.mllm
    import svemath.train
    import svemath.vision

    assert Path(svemath.vision.__file__).parent.name == "vision"


def test_registry_lists_known_names():
    reg: Registry = Registry("widget")
    reg.register("b", 2)

    @reg.register("a")
    def make_a():
        return 1

    assert reg.get("a") is make_a and "b" in reg and reg.names() == ["a", "b"]
    with pytest.raises(UnknownNameError, match=r"unknown widget 'c'; known: a, b"):
        reg.get("c")
    with pytest.raises(ValueError):
        reg.register("a", 3)


@dataclasses.dataclass
class _Inner:
    lr: float = 1e-3
    names: tuple[str, ...] = ("x",)


@dataclasses.dataclass
class _Outer:
    steps: int = 10
    mode: str = "soft"
    inner: _Inner = dataclasses.field(default_factory=_Inner)
    extra: dict[str, float] = dataclasses.field(default_factory=dict)
    maybe: int | None = None


def test_config_roundtrip_and_overrides():
    cfg = _Outer(inner=_Inner(lr=2e-3, names=("a", "b")), extra={"w": 0.5})
    d = to_dict(cfg)
    assert from_dict(_Outer, d) == cfg
    over = parse_overrides(["inner.lr=1e-4", "steps=5", "maybe=null", "inner.names=[p, q]"])
    new = from_dict(_Outer, merge(d, over))
    assert new.inner.lr == 1e-4 and new.steps == 5 and new.maybe is None and new.inner.names == ("p", "q")


def test_config_errors_name_the_field():
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['stepz'\]"):
        from_dict(_Outer, {"stepz": 3})
    with pytest.raises(ConfigError, match=r"_Outer\.steps"):
        from_dict(_Outer, {"steps": "many"})
    with pytest.raises(ConfigError):
        parse_overrides(["novalue"])


def test_cli_help_and_version():
    out = subprocess.run([sys.executable, "-m", "svemath.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "svemath" in out.stdout
    out = subprocess.run([sys.executable, "-m", "svemath.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for cmd in ["data", "model", "train", "eval", "quickstart", "demo", "bench"]:
        assert cmd in out.stdout
