"""The README's two commands, as a newcomer runs them from a clean clone.

`scripts/demo.sh` is run for real on a fresh `git clone` of this
repository (committed files only): it must build, print a report and exit
0, without reinstalling anything when every package is there.  The other
command, `scripts/test.sh`, is the whole suite and cannot run inside it;
CI runs it through .ci/run, which must hand over to it.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[1]


def test_demo_exits_0_from_a_clean_clone(tmp_path):
    if not (TOP / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout (a release tarball)")
    clone = tmp_path / "nsstls"
    subprocess.run(["git", "clone", "--quiet", str(TOP), str(clone)], check=True,
                   timeout=120)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASAN", "UBSAN"))}
    r = subprocess.run(["scripts/demo.sh"], cwd=clone, env=env, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=900)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    # Everything is installed where the suite runs: no apt-get.
    assert "Installing:" not in out, out[:2000]
    # The report of the first run, and the second run's refusal.
    assert "== nsstls against openssl s_server on 127.0.0.1:" in out
    assert "Verification: OK (chain trusted" in out, out[-3000:]
    assert "(exit status 6)" in out, out[-3000:]


def test_ci_runs_the_readme_test_command():
    run = (TOP / ".ci" / "run").read_text()
    lines = [l.strip() for l in run.splitlines() if l.strip() and not l.startswith("#")]
    assert lines[-1] == "exec scripts/test.sh", lines
    assert os.access(TOP / ".ci" / "run", os.X_OK)
    assert os.access(TOP / "scripts" / "test.sh", os.X_OK)
    assert os.access(TOP / "scripts" / "demo.sh", os.X_OK)


def test_license_and_news():
    license = (TOP / "LICENSE").read_text()
    assert license.startswith("MIT License\n"), license[:100]
    assert "Copyright (c) 2026 the nsstls authors" in license
    assert "license: 'MIT'" in (TOP / "meson.build").read_text()
    news = (TOP / "NEWS.md").read_text()
    assert news.startswith("# NEWS\n") and "## 0.1.0" in news
