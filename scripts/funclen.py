#!/usr/bin/env python3
"""Print every C function in src/ longer than a limit (default 80 lines).

A function starts at a line that opens at column 0 with '{' after its
declarator and ends at the next '}' at column 0; the count is from the
declarator's first line to that brace.  Exit status 1 when any is over.
"""
import pathlib
import re
import sys

LIMIT = int(sys.argv[1]) if len(sys.argv) > 1 else 80
root = pathlib.Path(__file__).resolve().parent.parent / "src"
over = 0
for path in sorted(root.rglob("*.c")):
    lines = path.read_text(errors="replace").split("\n")
    for i, line in enumerate(lines):
        if line != "{":
            continue
        start = i - 1
        while start > 0 and lines[start - 1].strip() and not lines[start - 1].startswith(("}", "/*", " *", "#", "static const", "const")) and not lines[start - 1].endswith(";"):
            start -= 1
        end = i
        while end < len(lines) and lines[end] != "}":
            end += 1
        length = end - start + 1
        if length > LIMIT:
            m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(", lines[i - 1])
            name = m.group(1) if m else lines[i - 1].strip()
            print(f"{path.relative_to(root.parent)}:{start + 1}: {name}: {length} lines")
            over += 1
sys.exit(1 if over else 0)
