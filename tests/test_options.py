"""The options the program has, and the options the documentation claims.

`nsstls --help` is the truth.  Every long option it prints must appear in the
man page and in the bash, zsh and fish completions, and every option those
files mention must still exist, so an option cannot be added, renamed or
removed in one place only.  The man page's EXIT STATUS table must cover the
exit codes of the contract, and the generated roff must lint cleanly.

The binary comes from $NSSTLS, else <repo>/build/src/nsstls; the tests that
need it are skipped when it is missing.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MAN = REPO / "man" / "nsstls.1.scd"
BASH = REPO / "completions" / "bash" / "nsstls"
ZSH = REPO / "completions" / "zsh" / "_nsstls"
FISH = REPO / "completions" / "fish" / "nsstls.fish"
COMPLETIONS = {"bash": BASH, "zsh": ZSH, "fish": FISH}

EXIT_CODES = set(range(8))

# A long option in popt's --help layout, with or without a short name:
#   "  -p, --port=PORT     port ..."  /  "      --no-sni    send no SNI"
# Continuation lines of a description are indented far more, so a "--word"
# inside a description is never taken for an option.  A long option that
# popt prints with one dash (POPT_ARGFLAG_ONEDASH) is read too, so that the
# test saying so is the one that fails.
HELP_OPTION = re.compile(
    r"^  (?:-(?P<short>\S), |    )(?P<dashes>--?)"
    r"(?P<long>[A-Za-z0-9][A-Za-z0-9._-]*?)(?=[=\[ ]|$)"
)
# A popt section title: "Connection:", "TLS parameters:", "Help options:".
HELP_SECTION = re.compile(r"^(?P<title>[A-Za-z][^:]*):$")
# "--name" anywhere in a text, not as part of a longer word or a "---" rule.
MENTION = re.compile(r"(?<![\w-])--([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
# fish names long options without dashes: "complete -c nsstls -l port".
FISH_LONG = re.compile(r"(?:^|\s)(?:-l|--long-option)\s+['\"]?([A-Za-z0-9][A-Za-z0-9._-]*)")
FISH_SHORT = re.compile(r"(?:^|\s)(?:-s|--short-option)\s+['\"]?([^\s'\"])")

# popt's own options; the documentation may mention them in any case.
POPT_OWN = {"help", "usage"}
POPT_HELP_SECTION = "Help options"


def mentions(text, name):
    """Does text mention --name as a whole option name?"""
    pattern = r"(?<![\w-])--" + re.escape(name) + r"(?![\w-]|\.[\w])"
    return re.search(pattern, text) is not None


def mentions_short(text, letter):
    pattern = r"(?<![\w-])-" + re.escape(letter) + r"(?![\w.-])"
    return re.search(pattern, text) is not None


def read(path):
    return path.read_text(encoding="utf-8")


def binary():
    path = os.environ.get("NSSTLS") or str(REPO / "build" / "src" / "nsstls")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.skip(f"no nsstls binary at {path} (build it or set NSSTLS)")
    return path


def parse_help(text):
    """Return [(section, short or None, long, dashes)] from popt's --help."""
    options = []
    section = None
    for line in text.splitlines():
        m = HELP_SECTION.match(line)
        if m:
            section = m.group("title")
            continue
        m = HELP_OPTION.match(line)
        if m:
            options.append((section, m.group("short"), m.group("long"),
                            m.group("dashes")))
    return options


@pytest.fixture(scope="module")
def help_text():
    env = dict(os.environ, LC_ALL="C", LANG="C", LANGUAGE="")
    proc = subprocess.run(
        [binary(), "--help"],
        capture_output=True, text=True, timeout=30, env=env,
    )
    assert proc.returncode == 0, f"--help exited {proc.returncode}: {proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def help_options(help_text):
    options = parse_help(help_text)
    names = [long for _, _, long, _ in options]
    # If the layout ever changes, fail loudly instead of checking nothing.
    for expected in ("port", "tls-min", "ca-file", "showcerts", "help"):
        assert expected in names, f"--{expected} not found in --help:\n{help_text}"
    assert len(names) == len(set(names)), f"duplicate options in --help: {names}"
    return options


@pytest.fixture(scope="module")
def long_names(help_options):
    return {long for _, _, long, _ in help_options}


def man_sections(text):
    """Split the scdoc source into {"# TITLE": body} for top-level sections."""
    sections = {}
    current = None
    for line in text.splitlines():
        if line.startswith("# "):
            current = line[2:].strip()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    return {k: "\n".join(v) for k, v in sections.items()}


def fish_complete_lines(text):
    return [line for line in text.splitlines() if re.match(r"\s*complete\s", line)]


def fish_long(text):
    return {n for line in fish_complete_lines(text) for n in FISH_LONG.findall(line)}


def fish_short(text):
    return {s for line in fish_complete_lines(text) for s in FISH_SHORT.findall(line)}


# --- --help → documentation -------------------------------------------------

def test_help_shows_long_options_with_two_dashes(help_options):
    # An s_client alias made by setting POPT_ARGFLAG_ONEDASH on the option
    # itself turns "--alpn" into "-alpn" in --help; aliases belong in their
    # own hidden entries.
    single = sorted("-" + long for _, _, long, dashes in help_options
                    if dashes != "--")
    assert not single, f"--help shows long options with one dash: {single}"


def test_every_option_is_in_the_man_page(long_names):
    text = read(MAN)
    missing = sorted(n for n in long_names if not mentions(text, n))
    assert not missing, f"options missing from {MAN.name}: {missing}"


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_every_option_is_in_the_completion(shell, long_names):
    text = read(COMPLETIONS[shell])
    missing = sorted(n for n in long_names if not mentions(text, n))
    assert not missing, f"options missing from the {shell} completion: {missing}"


def test_every_option_is_in_the_fish_completion(long_names):
    present = fish_long(read(FISH))
    missing = sorted(long_names - present)
    assert not missing, f"options missing from the fish completion: {missing}"


def test_short_options_are_documented(help_options):
    # "-?" is popt's; it is left out because "?" is a glob character in shells.
    shorts = {s for _, s, _, _ in help_options if s and s != "?"}
    man, bash, zsh = read(MAN), read(BASH), read(ZSH)
    fish = fish_short(read(FISH))
    problems = []
    for s in sorted(shorts):
        for where, ok in (("man page", mentions_short(man, s)),
                          ("bash", mentions_short(bash, s)),
                          ("zsh", mentions_short(zsh, s)),
                          ("fish", s in fish)):
            if not ok:
                problems.append(f"-{s} missing from {where}")
    assert not problems, "\n".join(problems)


def test_man_page_groups_options_like_help(help_options):
    """Each --help section is a "## Title" in OPTIONS holding its options."""
    options = man_sections(read(MAN)).get("OPTIONS")
    assert options is not None, "no OPTIONS section in the man page"
    where = {}        # long option → subsection whose entry line names it
    subsection = None
    for line in options.splitlines():
        if line.startswith("## "):
            subsection = line[3:].strip().lower()
        elif line.startswith("*-"):
            for name in MENTION.findall(line):
                where.setdefault(name, subsection)
    problems = []
    for section, _, long, _ in help_options:
        if section is None or section == POPT_HELP_SECTION or long in POPT_OWN:
            continue
        want = section.lower()
        got = where.get(long)
        if got != want:
            problems.append(f"--{long}: --help puts it under {section!r}, "
                            f"the man page under {got!r}")
    assert not problems, "\n".join(problems)


# --- documentation → --help (stale options) ---------------------------------

@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_mentions_no_stale_option(shell, long_names):
    text = read(COMPLETIONS[shell])
    mentioned = set(MENTION.findall(text))
    if shell == "fish":
        mentioned |= fish_long(text)
    stale = sorted(mentioned - long_names - POPT_OWN)
    assert not stale, f"the {shell} completion offers options nsstls lacks: {stale}"


def test_man_page_mentions_no_stale_option(long_names):
    mentioned = set(MENTION.findall(read(MAN)))
    stale = sorted(mentioned - long_names - POPT_OWN)
    assert not stale, f"{MAN.name} documents options nsstls lacks: {stale}"


# --- the man page itself ----------------------------------------------------

def test_exit_status_table_covers_every_code():
    section = man_sections(read(MAN)).get("EXIT STATUS")
    assert section is not None, "no EXIT STATUS section in the man page"
    # scdoc table rows: "|  3" (or "|[ *3*") starts the row of exit code 3.
    rows = re.findall(r"^[|\[][\[\]\-<=> ]?\s*\**(\d+)\**\s*$", section, re.M)
    codes = {int(c) for c in rows}
    assert codes == EXIT_CODES, (
        f"EXIT STATUS lists {sorted(codes)}, the contract has {sorted(EXIT_CODES)}")


def test_man_page_builds_and_lints(tmp_path):
    scdoc = shutil.which("scdoc")
    if scdoc is None:
        pytest.skip("scdoc not installed")
    with MAN.open("rb") as src:
        proc = subprocess.run([scdoc], stdin=src, capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    roff = tmp_path / "nsstls.1"
    roff.write_bytes(proc.stdout)
    mandoc = shutil.which("mandoc")
    if mandoc is None:
        pytest.skip("mandoc not installed")
    # scdoc's output always draws style notes and warnings (empty paragraph
    # macros); errors are what matter.
    lint = subprocess.run([mandoc, "-Tlint", "-W", "error", str(roff)],
                          capture_output=True, text=True, timeout=30)
    assert lint.returncode == 0, lint.stdout + lint.stderr


# --- the completion files parse --------------------------------------------

@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_syntax(shell):
    exe = shutil.which(shell)
    if exe is None:
        pytest.skip(f"{shell} not installed")
    proc = subprocess.run([exe, "-n", str(COMPLETIONS[shell])],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stdout + proc.stderr
