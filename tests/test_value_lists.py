"""Every list of values the program knows, the same in --help, the man page
and the three completions (issue 10.6).

The program is the truth: STARTTLS protocols come from `--help` (generated
from starttls.c's table), groups and signature schemes from --list-groups /
--list-sigalgs, versions from --help's --tls-min line, finding ids from the
sources (the ids report_add_finding is called with).  A value added, renamed
or removed in one place only makes one of these tests fail.
"""

import re
import subprocess
from pathlib import Path

import pytest

from test_options import BASH, FISH, MAN, REPO, ZSH, binary, read

SRC = REPO / "src"


def run(*args):
    return subprocess.run([binary(), *args], capture_output=True, text=True, check=True).stdout


def help_description(option):
    """The whole --help description of --option, continuation lines joined."""
    lines = run("--help").splitlines()
    out, taking = [], False
    for line in lines:
        if re.match(rf"^\s+(-\S, )?--{re.escape(option)}[=\[ ]", line):
            taking = True
            out.append(line.split(None, 1)[1] if " " in line.strip() else "")
            continue
        if taking:
            if re.match(r"^\s{20,}\S", line):
                out.append(line.strip())
            else:
                break
    assert out, f"--{option} not in --help"
    return " ".join(out)


def starttls_protocols():
    text = help_description("starttls")
    names = text.split("upgrade to TLS:", 1)[1].split(";", 1)[0]
    return [n.strip() for n in names.split(",")]


def listed(option):
    return [line.split()[0] for line in run(option).splitlines() if line.strip()]


def versions():
    text = help_description("tls-min")
    return re.findall(r"\b1\.[0-3]\b", text.split("(default", 1)[0])


def finding_ids():
    ids = set()
    for c in SRC.rglob("*.c"):
        text = c.read_text()
        ids |= set(re.findall(r'report_add_finding\(\s*\w+,\s*[^,"]+,\s*"([a-z0-9-]+)"',
                              text, re.S))
        # ids chosen in a variable first: const char *id = ... "a" : "b";
        for m in re.finditer(r"const char \*id = ([^;]+);", text):
            ids |= set(re.findall(r'"([a-z0-9-]+)"', m.group(1)))
    return ids


def man_section(start, end):
    text = read(MAN)
    return text[text.index(start):text.index(end, text.index(start))]


def completion_values(path, marker):
    """The text of a completion file from `marker` to the end of its entry:
    a bash case branch (";;"), a zsh function ("}"), or a fish line with its
    backslash continuations."""
    text = read(path)
    i = text.index(marker)
    if path == BASH:
        return text[i:text.index(";;", i)]
    if path == ZSH:
        return text[i:text.index("\n}", i)]
    j = i
    while True:
        k = text.index("\n", j)
        if not text[j:k].rstrip().endswith("\\"):
            return text[i:k]
        j = k + 1


@pytest.fixture(scope="module")
def protocols():
    p = starttls_protocols()
    assert "smtp" in p and "irc" in p, p
    return p


def test_starttls_protocols_everywhere(protocols):
    man = man_section("*--starttls*=_PROTO_", "*--starttls-name*")
    bash = completion_values(BASH, "--starttls)")
    zsh = [l for l in read(ZSH).splitlines() if "'--starttls=" in l][0]
    fish = [l for l in read(FISH).splitlines() if "-l starttls " in l][0]
    for p in protocols + ["auto"]:
        assert f"*{p}*" in man, f"man page: --starttls table lacks {p}"
        for name, text in (("bash", bash), ("zsh", zsh), ("fish", fish)):
            assert re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", text), \
                f"{name} completion: --starttls lacks {p}"


@pytest.mark.parametrize("option,man_start,bash_marker,zsh_marker,fish_marker", [
    ("--list-groups", "*--groups*=_LIST_", "--groups)", "_nsstls_groups() {", "set -l groups"),
    ("--list-sigalgs", "*--sigalgs*=_LIST_", "--sigalgs)", "_nsstls_sigalgs() {",
     "set -l sigalgs"),
])
def test_groups_and_sigalgs_everywhere(option, man_start, bash_marker, zsh_marker,
                                       fish_marker):
    values = listed(option)
    assert len(values) >= 5, values
    man = man_section(man_start, "\n\n*--")
    texts = {"man page": man, "bash": completion_values(BASH, bash_marker),
             "zsh": completion_values(ZSH, zsh_marker),
             "fish": completion_values(FISH, fish_marker)}
    for v in values:
        for name, text in texts.items():
            assert re.search(rf"(?<![\w-]){re.escape(v)}(?![\w-])", text), \
                f"{name}: {v} (from nsstls {option}) is missing"
    # And nothing the documents offer that the program does not know.
    known = set(values)
    for name in ("bash", "fish"):
        for word in re.findall(r"\b(?:ecdsa|rsa|dsa|ffdhe|secp|x25519)[a-z0-9_]*", texts[name]):
            assert word in known, f"{name}: offers {word}, which nsstls {option} does not list"


def test_versions_everywhere():
    vs = versions()
    assert vs == ["1.0", "1.1", "1.2", "1.3"], vs
    man = man_section("*--tls-min*", "\n\n*--")
    bash = completion_values(BASH, "--tls-min |")
    zsh = [l for l in read(ZSH).splitlines() if "versions=" in l][0]
    fish = [l for l in read(FISH).splitlines() if "-l tls-min " in l][0]
    for v in vs:
        for name, text in (("man page", man), ("bash", bash), ("zsh", zsh), ("fish", fish)):
            assert v in text, f"{name}: --tls-min lacks {v}"


def test_finding_ids_match_the_man_page():
    ids = finding_ids()
    assert {"missing-intermediate", "weak-key", "expired"} <= ids, ids
    man = man_section("## Findings", "\n# ")
    documented = set(re.findall(r"^\*([a-z0-9-]+)\* \(", man, re.M))
    assert ids - documented == set(), f"finding ids not in the man page: {ids - documented}"
    assert documented - ids == set(), f"man page ids no code emits: {documented - ids}"
