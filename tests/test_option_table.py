"""Options as data (issue 10.1): what the option table promises a user.

The rows of src/cli/options.c drive the values each option takes and the
modes it belongs to.  These tests read the options from `nsstls --help`
(not from the C table) and check what a user sees: an option of one mode
given in another is refused by name, numbers outside their bounds are
refused with the bounds, several --cert are only for server mode.  The
code-shape checks (no function over 80 lines, no include cycle between
modules) keep the refactoring honest.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run(nsstls, *args):
    return nsstls(*args)


def help_section(nsstls, title):
    """The long options (name, takes a value) of one --help section."""
    text = run(nsstls, "--help").stdout
    section = text.split("\n" + title + "\n", 1)[1].split("\n\n", 1)[0]
    return [(m.group(1), m.group(2) is not None) for m in
            re.finditer(r"^  (?:-\S, |    )--([a-z0-9.-]+)(=)?", section, re.M)]


def test_every_server_option_needs_listen(nsstls):
    options = [o for o in help_section(nsstls, "Server mode:") if o[0] != "listen"]
    assert len(options) >= 9
    for name, takes_value in options:
        args = ["--" + name] + (["3" if "connections" in name else "a.example"]
                                if takes_value else []) + ["example.com"]
        r = run(nsstls, *args)
        assert r.returncode == 1, (name, r.stderr)
        assert f"nsstls: --{name} is for server mode: add --listen" in r.stderr


@pytest.mark.parametrize("args,option", [
    (["--proxy", "http://127.0.0.1:1"], "--proxy"),
    (["--starttls", "smtp"], "--starttls"),
    (["--reconnect"], "--reconnect"),
    (["--showcerts"], "--showcerts"),
    (["--ech-grease"], "--ech-grease"),
    (["--scan"], "--scan"),
])
def test_connect_options_are_refused_by_name_in_server_mode(nsstls, args, option):
    r = run(nsstls, "--listen", "0", "--self-signed", "localhost", *args)
    assert r.returncode == 1, r.stderr
    assert f"nsstls: --listen: {option} is for connect mode" in r.stderr


@pytest.mark.parametrize("args,message", [
    (["--scan", "--keylog", "k"], "--scan makes its own connections: --keylog does not apply"),
    (["--scan", "--trace=hex"], "--scan makes its own connections: --trace does not apply"),
    (["--scan", "-debug"], "--scan makes its own connections: -debug does not apply"),
    (["--expect-alpn", "h2"], "--expect-alpn is a threshold of --check: add --check"),
    (["--forbid", "weak"], "--forbid is a threshold of --check: add --check"),
    (["--check", "--showcerts"], "--check prints one status line: it excludes --showcerts"),
    (["--save-chain", "f", "b.example"], "--save-chain works on one target"),
    (["--key-update", "b.example"], "--key-update works on one target"),
])
def test_mode_rules_name_the_option(nsstls, args, message):
    r = run(nsstls, *args, "a.example")
    assert r.returncode in (1, 3), r.stderr     # 3: --check's UNKNOWN
    assert message in r.stderr


@pytest.mark.parametrize("args,message", [
    (["--warn-days", "-1"], "--warn-days: '-1' is not a number of days from 0 to 1000000"),
    (["--crit-days", "1000001"], "--crit-days: '1000001' is not a number of days from 0 to 1000000"),
    (["-j", "257"], "-j: '257' is not a number from 1 to 256"),
    (["--jobs", "0"], "-j: '0' is not a number from 1 to 256"),
    (["--scan-jobs", "65"], "--scan-jobs: '65' is not a number from 1 to 64"),
    (["--renegotiate=0"], "--renegotiate: '0' is not a count from 1 to 100"),
    (["--reconnect=101"], "--reconnect: '101' is not a count from 1 to 100"),
    (["--reconnect=5x"], "--reconnect: '5x' is not a count from 1 to 100"),
    (["-keymatexport", "L", "-keymatexportlen", "0"],
     "-keymatexportlen: '0' is not a number of bytes from 1 to 1024"),
    (["--timeout", "soon"], "--timeout: 'soon' is not a duration"),
    (["--port", "65536"], "--port: '65536' is not a port from 1 to 65535"),
    (["--tls-min", "1.4"], "--tls-min: unknown TLS version '1.4'"),
    (["--attime", "yesterday"], "--attime: 'yesterday' is not a date"),
    (["--json=yaml"], "--json: 'yaml' is not 'pretty' or 'compact'"),
    (["--profile", "paranoid", "--scan"],
     "--profile: 'paranoid' is not a profile (modern, intermediate or old)"),
    (["--save-chain", ""], "--save-chain needs a file name"),
])
def test_values_outside_their_kind_are_refused(nsstls, args, message):
    r = run(nsstls, *args, "a.example")
    assert r.returncode == 1, r.stderr
    assert "nsstls: " + message in r.stderr


def test_listen_max_connections_bounds(nsstls):
    r = run(nsstls, "--listen", "0", "--self-signed", "x", "--max-connections", "0")
    assert r.returncode == 1
    assert "--max-connections: '0' is not a number from 1 to 1000000000" in r.stderr


def test_several_certificates_only_in_server_mode(nsstls, fixtures_dir):
    leaf = str(fixtures_dir / "leaf.pem") if (fixtures_dir / "leaf.pem").exists() else "a.pem"
    r = run(nsstls, "--cert", leaf, "--cert", leaf, "a.example")
    assert r.returncode == 1
    assert "--cert is given 2 times: only server mode (--listen) presents several" in r.stderr
    r = run(nsstls, "--cert", leaf, "--key", "k1", "--key", "k2", "a.example")
    assert r.returncode == 1
    assert "--key is given twice for one --cert" in r.stderr


def test_s_client_flags_with_a_fixed_value(nsstls):
    """-tls1 sets both ends of the range: with --tls1.2 it is a contradiction."""
    r = run(nsstls, "--tls1.2", "-tls1", "a.example")
    assert r.returncode == 1
    assert "--tls1.2/--tls1.3 cannot be combined with --tls-min/--tls-max" in r.stderr


def test_no_function_over_80_lines():
    r = subprocess.run([sys.executable, str(REPO / "scripts" / "funclen.py"), "80"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


def test_no_include_cycle_between_modules():
    """a.c including b.h while b.c includes a.h ties two modules together;
    cli/optable.h is cli's own internal header."""
    includes = {}
    for f in (REPO / "src").rglob("*.[ch]"):
        mod = f.stem
        for h in re.findall(r'#include "([a-z_0-9]+)\.h"', f.read_text()):
            if h != mod:
                includes.setdefault(mod, set()).add(h)
    cycles = sorted((a, b) for a in includes for b in includes[a]
                    if a < b and a in includes.get(b, ()) and
                    {a, b} != {"cli", "optable"})
    assert cycles == []
