"""Generation: determinism across worker counts, atomic folders, manifest contents, CLI exit codes."""

from __future__ import annotations

import hashlib
import json

import pytest
from test_data_io_toysuite import TOY, Suite, make_failing, registered, toy_dataset  # noqa: F401

from svemath.cli import main
from svemath.data.dataset import read_manifest
from svemath.data.generate import generate_dataset
from svemath.errors import ConfigError


def _tree_digest(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def test_same_bytes_with_any_worker_count(tmp_path):
    one = toy_dataset(tmp_path / "w1", n=23, seed=5, workers=1)
    two = toy_dataset(tmp_path / "w2", n=23, seed=5, workers=2)
    digests = _tree_digest(one)
    assert digests == _tree_digest(two)
    assert len(digests) == 1 + 2 * 23  # data.jsonl + image + boundary map per sample
    m1, m2 = read_manifest(one), read_manifest(two)
    assert (
        m1["data_sha256"]
        == m2["data_sha256"]
        == hashlib.sha256((one / "data.jsonl").read_bytes()).hexdigest()
    )
    other = toy_dataset(tmp_path / "s6", n=23, seed=6)
    assert (other / "data.jsonl").read_bytes() != (one / "data.jsonl").read_bytes()


def test_records_ids_refs_and_manifest(tmp_path):
    folder = toy_dataset(tmp_path / "d", n=4, seed=3)
    lines = (folder / "data.jsonl").read_text().splitlines()
    recs = [json.loads(x) for x in lines]
    assert [r["id"] for r in recs] == [f"toy-rects-3-{i:06d}" for i in range(4)]
    assert list(recs[0])[:2] == ["id", "image"] and recs[2]["image"] == "images/000002.png"
    assert recs[2]["annotations"]["boundary"] == "images/000002_edge.png"
    m = read_manifest(folder)
    assert m["suite"] == "toy-rects" and m["seed"] == 3 and m["n"] == 4 and m["stream"] == "train"
    assert m["generator_version"].endswith("+toy-rects-1")
    assert m["counts"]["answer_type"] == {"integer": 4} and m["counts"]["level"] == {"read": 4}
    assert m["counts"]["pngs"] == 8 and sum(m["shape_classes"].values()) == sum(
        len(r["annotations"]["shapes"]) for r in recs
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_failure_leaves_nothing_under_the_final_name(tmp_path, workers):
    bad = Suite("toy-failing", "train", make_failing)
    with pytest.raises(RuntimeError, match="toy failure") as info:
        generate_dataset(bad, 12, 0, tmp_path / "out", workers=workers, progress=False)
    assert "index 7" in " ".join(getattr(info.value, "__notes__", []))
    assert list(tmp_path.iterdir()) == []


def test_existing_output_needs_overwrite(tmp_path):
    folder = toy_dataset(tmp_path / "d", n=2)
    with pytest.raises(ConfigError, match="already exists"):
        toy_dataset(folder, n=2)
    generate_dataset(TOY, 3, 0, folder, overwrite=True, progress=False)
    assert read_manifest(folder)["n"] == 3 and sorted(p.name for p in tmp_path.iterdir()) == ["d"]


def test_bad_arguments_are_user_errors(tmp_path):
    for kwargs in ({"n": 0, "seed": 0}, {"n": 2, "seed": -1}, {"n": 2, "seed": 0, "workers": 0}):
        with pytest.raises(ConfigError):
            generate_dataset(TOY, out=tmp_path / "x", progress=False, **kwargs)
    with pytest.raises(ConfigError, match="image-size"):
        generate_dataset(TOY, 2, 0, tmp_path / "x", image_size=4, progress=False)


def test_cli_generate_list_and_errors(tmp_path, registered, capsys):  # noqa: F811
    out = tmp_path / "cli"
    assert (
        main(
            [
                "data",
                "generate",
                "--suite",
                registered,
                "--n",
                "5",
                "--seed",
                "1",
                "--out",
                str(out),
                "--workers",
                "2",
                "--image-size",
                "40",
                "--option",
                "style=plain",
                "--quiet",
            ]
        )
        == 0
    )
    m = read_manifest(out)
    assert (
        m["n"] == 5
        and m["args"]["options"] == {"style": "plain"}
        and m["counts"]["image_sizes"] == {"40x40": 5}
    )
    assert "5 samples" in capsys.readouterr().out
    assert main(["data", "list"]) == 0 and registered in capsys.readouterr().out
    assert (
        main(
            [
                "data",
                "generate",
                "--suite",
                "no-such-suite",
                "--n",
                "1",
                "--seed",
                "0",
                "--out",
                str(tmp_path / "z"),
            ]
        )
        == 1
    )
    assert "unknown suite 'no-such-suite'" in capsys.readouterr().err
    assert (
        main(["data", "generate", "--suite", registered, "--n", "1", "--seed", "0", "--out", str(out)]) == 1
    )
    assert "already exists" in capsys.readouterr().err
