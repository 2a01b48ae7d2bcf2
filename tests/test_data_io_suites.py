"""Every registered suite: byte-identical output with 1 and 2 workers, a valid dataset, a contact sheet.

Parametrised over ``svemath.data.suites.suite_names()``, so each suite added to ``SUITE_MODULES`` is
covered without new tests. Two workers run in separate processes (their own hash seeds), so this also
catches suites whose output depends on set iteration order, global RNG state or time.
"""

from __future__ import annotations

import hashlib

import pytest

from svemath.data.generate import generate_dataset
from svemath.data.show import contact_sheet
from svemath.data.suites import suite_names
from svemath.data.validate import validate

N = 6
SUITES = suite_names()


def _digests(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


@pytest.mark.skipif(not SUITES, reason="no suites registered yet")
@pytest.mark.parametrize("name", SUITES or ["-"])
def test_suite_is_deterministic_valid_and_showable(name, tmp_path):
    one = tmp_path / "w1"
    two = tmp_path / "w2"
    manifest = generate_dataset(name, N, 3, one, workers=1, progress=False)
    generate_dataset(name, N, 3, two, workers=2, progress=False)
    assert _digests(one) == _digests(two), f"suite {name} differs between 1 and 2 workers"
    assert manifest["n"] == N
    report = validate(one)
    assert report.ok, "\n".join(report.problems[:20])
    info = contact_sheet(one, tmp_path / "sheet.png", n=N, cell=128)
    assert info["n"] == N and (tmp_path / "sheet.png").is_file()
