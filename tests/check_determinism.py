#!/usr/bin/env python3
"""Determinism: the same scenarios with the same seed give byte-identical captures and reports.
Prints TAP (meson protocol 'tap').

    check_determinism.py SYNLAB SCENARIOS_DIR [--seeds N]

1. The suite runs with --jobs 1 and with --jobs 2: every file under --out (captures of each
   scenario, report.json, report.txt) and the printed output must be identical.
2. The sweep: for each seed 1..N (default 20), the suite runs twice with --seed; the two runs
   must be identical file for file, and every scenario must pass under every seed (the
   scenarios do not depend on the ephemeral ports or ISNs a seed picks).
"""
import filecmp
import subprocess
import sys
import tempfile
from pathlib import Path


def run(synlab, scenarios, out, *extra):
    p = subprocess.run([synlab, "run", "--color", "never", "--out", str(out), *extra, scenarios],
                       capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout


def differing(a, b):
    files = sorted({f.relative_to(o).as_posix() for o in (a, b) for f in o.rglob("*") if f.is_file()})
    bad = [f for f in files if not ((a / f).is_file() and (b / f).is_file() and
                                    filecmp.cmp(a / f, b / f, shallow=False))]
    return files, bad


def main(argv):
    args = [a for a in argv[1:]]
    seeds = 20
    if "--seeds" in args:
        i = args.index("--seeds")
        seeds = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    synlab, scenarios = args
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (rc1, out1), (rc2, out2) = run(synlab, scenarios, tmp / "j1", "--jobs", "1"), run(synlab, scenarios, tmp / "j2", "--jobs", "2")
        files, bad = differing(tmp / "j1", tmp / "j2")
        details = [f"differs: {f}" for f in bad] + (["the printed output differs"] if out1 != out2 else [])
        results.append((f"--jobs 1 and --jobs 2 give identical output and {len(files)} identical files",
                        not details and rc1 == 0 and len(files) > 1, details))
        for seed in range(1, seeds + 1):
            a, b = tmp / f"s{seed}a", tmp / f"s{seed}b"
            (rca, outa), (rcb, outb) = run(synlab, scenarios, a, "--seed", str(seed), "--jobs", "2"), \
                run(synlab, scenarios, b, "--seed", str(seed))
            files, bad = differing(a, b)
            details = [f"differs: {f}" for f in bad]
            if outa != outb:
                details.append("the printed output differs")
            if rca != 0:
                details += ["not every scenario passes under this seed:"] + \
                    [l for l in outa.splitlines() if l.startswith("FAIL")]
            results.append((f"seed {seed}: two runs give {len(files)} identical files, all scenarios pass",
                            not details, details))
            for d in (a, b):
                subprocess.run(["rm", "-rf", str(d)])
    print(f"1..{len(results)}")
    for i, (name, ok, details) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        for d in details:
            print(f"# {d}")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
