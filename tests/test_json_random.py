"""The JSON renderer on a few hundred generated report models.

fuzz/report-gen builds a report model from random bytes (fuzz/randreport.c:
any bytes but NUL in every string a certificate or a server fills, times
over the whole range an X.509 date can carry, every enum value, indices
into their arrays) and renders it with the real out_json_report.  Every
document must be strict UTF-8 JSON that validates against
schema/nsstls-report.schema.json.  The libFuzzer target fuzz/fuzz-json.c
runs the same generator for millions of inputs, checking that the output
parses."""
import json
import random
import subprocess
from pathlib import Path

import pytest

from peers import nsstls_path, validate_json

N_REPORTS = 300


def report_gen() -> Path:
    # report-gen sits in <builddir>/fuzz next to <builddir>/src/nsstls.
    exe = nsstls_path().resolve().parent.parent / "fuzz" / "report-gen"
    if not exe.is_file():
        pytest.fail(f"{exe} is missing: build the project first")
    return exe


def test_random_reports_validate(tmp_path):
    rng = random.Random(20261205)   # fixed: a failure is reproducible
    files = []
    for i in range(N_REPORTS):
        # Sizes from nearly empty (most facts absent) to rich reports.
        data = bytes(rng.getrandbits(8) for _ in range(rng.choice((8, 64, 512, 4096))))
        f = tmp_path / f"r{i:03d}"
        f.write_bytes(data)
        files.append(f)
    proc = subprocess.run([str(report_gen())] + [str(f) for f in files],
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    lines = proc.stdout.split(b"\n")
    assert lines[-1] == b""
    assert len(lines) - 1 == N_REPORTS
    modes = set()
    for f, line in zip(files, lines):
        doc = json.loads(line.decode("utf-8"))  # strict UTF-8, strict JSON
        try:
            validate_json(doc)
        except Exception as e:
            pytest.fail(f"the report from {f.name} (run report-gen on its "
                        f"bytes to see it) does not validate at "
                        f"{list(getattr(e, 'absolute_path', []))}: "
                        f"{str(e).splitlines()[0]}")
        modes.add(doc["mode"])
    # The generator reaches both shapes of the document.
    assert modes == {"connect", "print-cert"}
