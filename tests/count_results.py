#!/usr/bin/env python3
"""Counts individual test cases across every framework after `meson test`.

meson's own summary counts executables. Its JUnit log (meson-logs/testlog.junit.xml) expands
GoogleTest cases (protocol 'gtest') and TAP subtests (protocol 'tap', which our Boost.Test and
shell checks speak), so counting its <testcase> elements counts real cases. The top-level
totals in that file are wrong in meson 1.0, so they are not used.

Usage: count_results.py BUILDDIR [BUILDDIR...]   prints "N passed, N failed[, N skipped][, N expected failures]"
and exits 1 when any case failed or a log is missing.
"""
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def count(builddir: Path):
    # `meson test --setup NAME` writes testlog-NAME.junit.xml: take the newest log.
    logs = sorted((builddir / "meson-logs").glob("testlog*.junit.xml"), key=lambda p: p.stat().st_mtime)
    if not logs:
        print(f"count_results: no JUnit log in {builddir / 'meson-logs'}", file=sys.stderr)
        return None
    log = logs[-1]
    passed = failed = skipped = xfail = 0
    for case in ET.parse(log).getroot().iter("testcase"):
        tags = {child.tag for child in case}
        out = case.findtext("system-out") or ""
        if "failure" in tags or "error" in tags:
            failed += 1
        elif "skipped" in tags:
            skipped += 1
        elif out.startswith("expected failure:"):
            # A TAP `not ok ... # TODO expected failure: REASON` (meson's EXPECTEDFAIL): the
            # packetdrill conformance table's entries.
            xfail += 1
        else:
            passed += 1
    return passed, failed, skipped, xfail


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    totals = [0, 0, 0, 0]
    ok = True
    for d in argv[1:]:
        r = count(Path(d))
        if r is None:
            ok = False
            continue
        totals = [a + b for a, b in zip(totals, r)]
    line = f"{totals[0]} passed, {totals[1]} failed"
    if totals[2]:
        line += f", {totals[2]} skipped"
    if totals[3]:
        line += f", {totals[3]} expected failures"
    print(line)
    return 0 if ok and totals[1] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
