#!/usr/bin/env python3
"""SIGINT and SIGTERM during `synlab run`: prints TAP (meson protocol 'tap').

    check_interrupt.py SYNLAB [CHECK_CAPTURE]

Writes three scenarios to a temporary folder: a-quick (passes in milliseconds) and b-long,
c-long (tens of thousands of threads blocked in poll() while datagrams cross a 5 ms link:
several seconds of real CPU time, so a run is still busy when the signal comes, and frames are
in flight when it stops). Then, for SIGINT, SIGTERM and SIGINT with --jobs 2, it starts
`synlab run --out DIR --json --junit`, waits until a-quick's PASS line is printed plus about a
second, sends the signal, and asserts:
  * the exit status is 128 + the signal (130, 143) and the last line "interrupted by SIG...";
  * report.json (and the --json copy) lists a-quick as passed and b-long as interrupted
    ("interrupted by SIGINT at T s"); c-long is not run (serial) or interrupted too (--jobs 2:
    its worker had started it); the JUnit file parses;
  * every .pcap and .pcapng in DIR is a valid capture: check_capture.py (CHECK_CAPTURE, or the
    one beside this script) with --format nsecpcap / pcapng. Its exit status 77 (capinfos or
    tshark missing) makes those points TAP skips.
Exit status: 0 all passed, 1 something failed, 2 bad arguments.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

QUICK = """title: refused
host client 10.0.0.1/24
host server 10.0.0.2/24
link client server delay 50ms
0 client: socket(AF_INET, SOCK_STREAM, 0) = 3
+0...0.200 client: connect(3, server:5001) = -1 ECONNREFUSED
0.100 client > server S 0:0(0) <...>
0.150 server > client R. 0:0(0) ack 1 win 0
"""

# 30,000 threads each blocked in poll() for 100 s: the runner looks at every pending call
# before each script event, so the run costs seconds of CPU (about 8 s on a quiet machine)
# while the captures stay small (one datagram per 10 ms, each 5 ms in flight).
LONG = """title: many threads blocked in poll() while datagrams fly
host client 10.0.0.1/24
host server 10.0.0.2/24
link client server delay 5ms
packets ignore * > *
0 client: socket(AF_INET, SOCK_DGRAM, 0) = 3
0 repeat I = 1..3000 every 10ms
  +0 client: sendto(3, 100, 0, server:9000) = 100
  repeat J = 1..10 every 1ms
    +0...+100 client.t{I}x{J}: poll([], 0, 100000) = 0
  end
end
"""

CASES = [("SIGINT", signal.SIGINT, 1), ("SIGTERM", signal.SIGTERM, 1), ("SIGINT", signal.SIGINT, 2)]


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def point(self, ok, text, diag=""):
        self.n += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {text}")
        if not ok:
            self.failed += 1
            for line in str(diag).splitlines():
                print(f"# {line}")
        sys.stdout.flush()
        return ok

    def skip(self, text, why):
        self.n += 1
        print(f"ok {self.n} - {text} # SKIP {why}")
        sys.stdout.flush()


def run_interrupted(synlab, suite, out, sig, jobs):
    """Starts the run, signals it once a-quick passed (+1 s); returns (status, stdout, note)."""
    cmd = [synlab, "run", str(suite), "--out", str(out / "captures"), "--json", str(out / "r.json"),
           "--junit", str(out / "r.xml"), "--color", "never"]
    if jobs > 1:
        cmd += ["--jobs", str(jobs)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    quick_done = threading.Event()

    def reader():
        for line in p.stdout:
            lines.append(line)
            if line.startswith("PASS a-quick"):
                quick_done.set()
        quick_done.set()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    quick_done.wait(timeout=60)
    time.sleep(1.0)
    note = ""
    if p.poll() is not None:
        note = "the run ended before the signal was sent"
    else:
        p.send_signal(sig)
    try:
        status = p.wait(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        status = p.wait()
        note = "still running 120 s after the signal: killed"
    t.join(timeout=10)
    err = p.stderr.read()
    return status, "".join(lines), err, note


def check_case(tap, synlab, check_capture, root, name, sig, jobs):
    label = f"{name}{' --jobs ' + str(jobs) if jobs > 1 else ''}"
    out = root / f"out-{name}-{jobs}"
    out.mkdir()
    status, stdout, stderr, note = run_interrupted(synlab, root / "suite", out, sig, jobs)
    want = 128 + int(sig)
    tap.point(status == want and not note, f"{label}: exit status {want}",
              f"{note}\nstatus {status}\nstdout:\n{stdout}\nstderr:\n{stderr}")
    last = stdout.rstrip("\n").rsplit("\n", 1)[-1]
    tap.point(last.startswith(f"interrupted by {name}: 1 passed, "), f"{label}: last line says interrupted",
              f"last line: {last!r}")

    captures = out / "captures"
    try:
        report = json.loads((captures / "report.json").read_text())
        copy = json.loads((out / "r.json").read_text())
    except (OSError, ValueError) as e:
        tap.point(False, f"{label}: report.json parses", e)
        return
    tap.point(report == copy, f"{label}: report.json parses and --json has the same")
    by_name = {s["name"]: s for s in report.get("scenarios", [])}
    quick = by_name.get("a-quick", {})
    tap.point(quick.get("passed") is True and "interrupted" not in quick, f"{label}: a-quick finished and passed",
              json.dumps(quick, indent=1))
    long = by_name.get("b-long", {})
    message = long.get("failure", {}).get("message", "")
    tap.point(long.get("passed") is False and long.get("interrupted") == name and
              message.startswith(f"interrupted by {name} at ") and message.endswith(" s"),
              f"{label}: b-long is marked interrupted", json.dumps(long, indent=1))
    c = by_name.get("c-long")
    not_run = report.get("not_run_scenarios")
    if jobs == 1:
        ok = c is None and not_run == ["c-long"] and report.get("not_run") == 1
    else:
        ok = (c is None and not_run == ["c-long"]) or (c is not None and c.get("interrupted") == name and not_run == [])
    tap.point(ok and report.get("interrupted") == name and report.get("passed") == 1,
              f"{label}: c-long not run (or interrupted by --jobs), totals right",
              json.dumps({k: v for k, v in report.items() if k != "scenarios"}, indent=1))
    try:
        suites = ET.parse(out / "r.xml").getroot()
        tap.point(suites.get("failures") == str(len(by_name) - 1), f"{label}: the JUnit file parses",
                  ET.tostring(suites, encoding="unicode")[:400])
    except (OSError, ET.ParseError) as e:
        tap.point(False, f"{label}: the JUnit file parses", e)

    files = sorted(captures.glob("*.pcap")) + sorted(captures.glob("*.pcapng"))
    listed = sorted(c for s in report.get("scenarios", []) for c in s.get("captures", []))
    tap.point(sorted(f.name for f in files) == listed and any(f.stem == "b-long" for f in files),
              f"{label}: the captures on disk are those the report lists", f"disk {files}\nreport {listed}")
    for f in files:
        fmt = "pcapng" if f.suffix == ".pcapng" else "nsecpcap"
        r = subprocess.run([sys.executable, check_capture, str(f), "--format", fmt],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        text = f"{label}: {f.name} is a valid {fmt} capture"
        if r.returncode == 77:
            tap.skip(text, "capinfos or tshark is not installed")
        else:
            tap.point(r.returncode == 0, text, r.stdout)


def main(argv):
    if len(argv) < 2 or len(argv) > 3:
        print(__doc__, file=sys.stderr)
        return 2
    synlab = argv[1]
    check_capture = argv[2] if len(argv) > 2 else os.environ.get(
        "CHECK_CAPTURE", str(Path(__file__).resolve().parent / "check_capture.py"))
    tap = Tap()
    with tempfile.TemporaryDirectory(prefix="synlab-interrupt-") as tmp:
        root = Path(tmp)
        suite = root / "suite"
        suite.mkdir()
        (suite / "a-quick.scn").write_text(QUICK)
        (suite / "b-long.scn").write_text(LONG)
        (suite / "c-long.scn").write_text(LONG)
        for name, sig, jobs in CASES:
            check_case(tap, synlab, check_capture, root, name, sig, jobs)
    print(f"1..{tap.n}")
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
