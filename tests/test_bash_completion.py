"""The bash completion works with and without the bash-completion package.

Each case runs `_nsstls` in `bash --norc` as readline would call it
(COMP_LINE, COMP_POINT, COMP_WORDS split at COMP_WORDBREAKS, COMP_CWORD),
once with /usr/share/bash-completion/bash_completion sourced first and once
without it, where the package's helpers (_init_completion, _filedir,
_known_hosts_real) do not exist.  Both must give the same candidates and
print nothing on stderr ("_init_completion: command not found").
"""

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BASH_COMPLETION = REPO / "completions" / "bash" / "nsstls"
PACKAGE = Path("/usr/share/bash-completion/bash_completion")
BREAKS = "\"'><=;|&(:"


def comp_words(line):
    """COMP_WORDS as bash splits them: at blanks, and around each
    COMP_WORDBREAKS character."""
    words = []
    for w in line.split(" "):
        words += [p for p in re.split(r"([=:])", w) if p != ""] or [""]
    return words


def complete(line, with_package, cwd=REPO):
    words = comp_words(line)
    script = ""
    if with_package:
        script += f"source {shlex.quote(str(PACKAGE))}\n"
    script += f"""source {shlex.quote(str(BASH_COMPLETION))}
COMP_LINE={shlex.quote(line)}
COMP_POINT=${{#COMP_LINE}}
COMP_WORDS=({" ".join(shlex.quote(w) for w in words)})
COMP_CWORD={len(words) - 1}
COMP_WORDBREAKS={shlex.quote(BREAKS)}
_nsstls
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], cwd=cwd,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr
    return sorted(l for l in r.stdout.splitlines() if l)


MODES = [pytest.param(False, id="plain-bash"), pytest.param(True, id="bash-completion")]


@pytest.fixture(params=MODES)
def with_package(request):
    if request.param and not PACKAGE.is_file():
        pytest.skip("the bash-completion package is not installed")
    return request.param


def test_options(with_package):
    got = complete("nsstls --starttls", with_package)
    assert got == ["--starttls", "--starttls-name"], got


def test_option_value(with_package):
    assert complete("nsstls --starttls sm", with_package) == ["smtp"]


def test_value_after_equals(with_package):
    assert complete("nsstls --json=p", with_package) == ["pretty"]


def test_list_item(with_package):
    got = complete("nsstls --groups x25519,secp3", with_package)
    assert got == ["x25519,secp384r1"], got


def test_file_argument(with_package):
    got = complete("nsstls --ca-file tests/fixtures/roots.p", with_package)
    assert got == ["tests/fixtures/roots.pem"], got


def test_directory_argument(with_package, tmp_path):
    (tmp_path / "nssdb").mkdir()
    (tmp_path / "nssdb-file").write_text("")
    got = complete("nsstls --db nss", with_package, cwd=tmp_path)
    assert got == ["nssdb"], got


def test_pass_prefix_after_colon(with_package):
    # "env:" is one word for the user, two for readline; the candidate
    # must not repeat what precedes the colon.
    assert complete("nsstls --pass fil", with_package) == ["file:"]


def test_host_operand(with_package):
    # localhost is in /etc/hosts on every machine the suite runs on.
    got = complete("nsstls localh", with_package)
    assert "localhost" in got, got


def test_plain_bash_has_no_package_helpers():
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c",
                        "declare -F _init_completion _filedir _known_hosts_real"],
                       capture_output=True, text=True, timeout=30)
    assert r.stdout == "", r.stdout
