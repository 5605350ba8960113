#!/usr/bin/env python3
"""Tests `synlab golden` on a copy of the goldens; prints TAP (meson protocol 'tap').

    check_golden_command.py SYNLAB SCENARIOS_DIR PCAPS_DIR

A changed golden fails with the first differing frame decoded from both files; a missing
golden, a stale golden and a stale index fail; --update restores the copy so that it matches
again, removing the stale file.
"""
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def golden(synlab, scenarios, pcaps, *extra):
    p = subprocess.run([synlab, "golden", scenarios, "--pcaps", str(pcaps), *extra],
                       capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout + p.stderr


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    synlab, scenarios, pcaps = argv[1], argv[2], Path(argv[3])
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "pcaps"
        shutil.copytree(pcaps, copy)
        rc, out = golden(synlab, scenarios, copy)
        results.append(("an unchanged copy matches", rc == 0, out))

        # Swap two goldens: both differ, and the report decodes the first differing frame.
        a, b = copy / "refused/blocking.pcapng", copy / "refused/nonblocking.pcapng"
        a_bytes = a.read_bytes()
        a.write_bytes(b.read_bytes())
        rc, out = golden(synlab, scenarios, copy)
        ok = (rc == 1 and "FAIL  refused/blocking" in out and "first differing packet, frame" in out
              and "golden:  " in out and "now:     " in out and " > " in out)
        results.append(("a changed golden fails with both packets decoded", ok, out))
        a.write_bytes(a_bytes)

        b.unlink()
        (copy / "refused/extra.pcapng").write_bytes(a_bytes)
        (copy / "README.md").write_text("stale\n")
        rc, out = golden(synlab, scenarios, copy)
        ok = (rc == 1 and "no golden capture" in out and "stale refused/extra.pcapng" in out
              and "README.md does not list" in out)
        results.append(("missing and stale goldens and a stale index fail", ok, out))

        rc, out = golden(synlab, scenarios, copy, "--update")
        rc2, out2 = golden(synlab, scenarios, copy)
        ok = (rc == 0 and rc2 == 0 and not (copy / "refused/extra.pcapng").exists()
              and b.read_bytes() == (pcaps / "refused/nonblocking.pcapng").read_bytes()
              and (copy / "README.md").read_bytes() == (pcaps / "README.md").read_bytes())
        results.append(("--update restores the goldens and the index, removing the stale one", ok, out + out2))
    print(f"1..{len(results)}")
    for i, (name, ok, out) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        if not ok:
            for line in out.splitlines()[-40:]:
                print("# " + line)
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
