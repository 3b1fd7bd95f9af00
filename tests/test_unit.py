"""Run the C unit tests (tests/unit/*.c, built by meson) under pytest, so the
whole suite ends with one pytest summary."""
import os
import pathlib
import subprocess

import pytest

from peers import nsstls_path

UNIT_TESTS = ["test-util", "test-names", "test-cli", "test-der", "test-ech",
              "test-proxy", "test-trace"]


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
