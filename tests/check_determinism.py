#!/usr/bin/env python3
"""Runs the bundled suite twice (once in one process, once with --jobs 2) and checks that the
captures and reports are byte-identical; prints TAP, one test point per file.

    check_determinism.py SYNLAB SCENARIOS_DIR
"""
import filecmp
import subprocess
import sys
import tempfile
from pathlib import Path


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    synlab, scenarios = argv[1], argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        outs = [Path(tmp) / "a", Path(tmp) / "b"]
        stdouts = []
        for out, jobs in zip(outs, ["1", "2"]):
            p = subprocess.run([synlab, "run", "--color", "never", "--jobs", jobs, "--out", str(out), scenarios],
                               capture_output=True, text=True, timeout=600)
            stdouts.append(p.stdout)
        files = sorted({f.relative_to(o).as_posix() for o in outs for f in o.rglob("*") if f.is_file()})
        results = [("stdout", stdouts[0] == stdouts[1])]
        for f in files:
            a, b = outs[0] / f, outs[1] / f
            results.append((f, a.is_file() and b.is_file() and filecmp.cmp(a, b, shallow=False)))
    print(f"1..{len(results)}")
    for i, (name, ok) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name} identical in both runs")
    return 0 if all(ok for _, ok in results) and len(results) > 1 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
