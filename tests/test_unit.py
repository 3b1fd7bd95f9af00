"""Run the C unit tests (tests/unit/*.c, built by meson) under pytest, so the
whole suite ends with one pytest summary.

One place registers a unit test: tests/meson.build.  This file finds them
by their sources, and fails when a source is not registered there."""
import json
import os
import re
import pathlib
import subprocess

import pytest

from peers import nsstls_path

UNIT_DIR = pathlib.Path(__file__).resolve().parent / "unit"
UNIT_TESTS = sorted(p.stem for p in UNIT_DIR.glob("test-*.c"))


def unit_binary(name):
    # The unit binaries sit in <builddir>/tests next to <builddir>/src/nsstls.
    build = pathlib.Path(nsstls_path()).resolve().parent.parent
    return build / "tests" / name


@pytest.mark.parametrize("name", UNIT_TESTS)
def test_unit(name):
    exe = unit_binary(name)
    assert exe.exists(), f"{exe} is missing: build the project first"
    proc = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    failures = [l for l in proc.stdout.splitlines() if l.startswith("not ok")]
    assert proc.returncode == 0 and not failures, proc.stdout + proc.stderr
    assert "1.." in proc.stdout, "the unit test printed no TAP plan"


def test_every_unit_source_is_registered_in_meson():
    meson = (UNIT_DIR.parent / "meson.build").read_text()
    registered = set(re.findall(r"'(test-[a-z0-9-]+)'", meson.split("foreach")[0]))
    assert set(UNIT_TESTS) == registered, (set(UNIT_TESTS), registered)


def test_golden_json_documents_are_valid():
    """The committed golden JSON (tests/golden, compared by test-golden)
    validates against the schema, like every document nsstls prints."""
    from peers import validate_json
    golden = UNIT_DIR.parent / "golden"
    files = sorted(golden.glob("*.json"))
    assert len(files) >= 9, files
    for f in files:
        validate_json(json.loads(f.read_text()))
