#!/usr/bin/env python3
"""Runs the capture checks (check_capture.py: capinfos + tshark with checksum validation, no
malformed packet, no expert error, a comment on every packet) on every golden capture in
pcaps/; prints TAP, one test point per capture (meson protocol 'tap').

    check_goldens.py PCAPS_DIR

Exit status: 0 all valid, 1 some not (or no capture at all), 77 tshark/capinfos missing.
"""
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(argv[1])
    files = sorted(root.rglob("*.pcapng"))
    if not files:
        print("1..1\nnot ok 1 - no golden captures in " + str(root))
        return 1
    check = os.environ.get("CHECK_CAPTURE", str(HERE / "check_capture.py"))
    print(f"1..{len(files)}")
    failed = 0
    for i, f in enumerate(files, 1):
        name = f.relative_to(root).as_posix()
        p = subprocess.run([sys.executable, check, str(f), "--format", "pcapng", "--require-comments"],
                           capture_output=True, text=True, timeout=300)
        if p.returncode == 77:
            print(f"ok {i} - {name} # SKIP tshark or capinfos is not installed")
            continue
        ok = p.returncode == 0
        failed += not ok
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        if not ok:
            for line in (p.stdout + p.stderr).splitlines():
                if line.startswith("not ok") or line.startswith("#") or line.strip():
                    print("# " + line.lstrip("# "))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
