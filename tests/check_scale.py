#!/usr/bin/env python3
"""The scale runner works (never how fast): prints TAP (meson protocol 'tap').

    check_scale.py SYNLAB_SCALE

For each mode it runs `synlab-scale --n N` with a small N and asserts the JSON has every
field issue 7 names, that every connection completed (accept: N handshakes accepted; refused:
N connect() calls refused; synflood: N SYN-ACKs back to the flooder), and that the counts are
what the workload implies (events, virtual time). With --capture it checks, with tshark when
present, that the pcap holds exactly the frames the workload sends (3 per accepted connection,
2 per refusal or flooded SYN) with the right TCP flags, that a .pcapng capture has a comment on
every frame, and that two runs write byte-identical captures and identical counts. One run
crosses the 64,512-ports-per-address boundary, so the second client address is used too.
Exit status: 0 all passed, 1 something failed, 2 bad arguments.
"""
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FIELDS = ["n", "mode", "wall_s", "handshakes_per_s", "events", "events_per_s", "peak_rss_bytes",
          "bytes_per_connection", "capture_bytes"]

results = []


def point(ok, name, detail=""):
    results.append((ok, name, detail))


def run(binary, *args):
    p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"exit {p.returncode}: {p.stderr.strip()} {p.stdout.strip()}")
    return json.loads(p.stdout)


def tshark_fields(path, field):
    p = subprocess.run(["tshark", "-r", str(path), "-T", "fields", "-e", field],
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(p.stderr)
    return p.stdout.splitlines()


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = sys.argv[1]
    have_tshark = shutil.which("tshark") is not None
    n = 3000
    per_conn = {"accept": 3, "refused": 2, "synflood": 2}
    flags = {"accept": {"0x0002", "0x0012", "0x0010"}, "refused": {"0x0002", "0x0014"},
             "synflood": {"0x0002", "0x0012"}}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("accept", "refused", "synflood"):
            try:
                r = run(binary, "--n", str(n), "--mode", mode)
                missing = [f for f in FIELDS if f not in r]
                point(not missing, f"{mode}: the JSON has every field", f"missing {missing}")
                point(r["mode"] == mode and r["n"] == n and r["completed"] == n,
                      f"{mode}: all {n} completed", json.dumps(r))
                point(r["events"] > 2 * n and r["peak_rss_bytes"] > 0 and r["capture_bytes"] == 0,
                      f"{mode}: events, RSS and capture size are plausible", json.dumps(r))
                # Starts are 1 us apart and the link is 50 us one way: everything is over within
                # a few round trips of the last start.
                point(r["virtual_s"] < n * 1e-6 + 0.01, f"{mode}: no retransmission slowed the run",
                      f"virtual_s {r['virtual_s']}")
            except Exception as e:  # noqa: BLE001 - reported as a failed point
                point(False, f"{mode}: runs", str(e))

            pcap = Path(tmp) / f"{mode}.pcap"
            try:
                a = run(binary, "--n", str(n), "--mode", mode, "--capture", str(pcap))
                first = pcap.read_bytes()
                b = run(binary, "--n", str(n), "--mode", mode, "--capture", str(pcap))
                point(first == pcap.read_bytes() and a["events"] == b["events"] and a["capture_bytes"] == len(first),
                      f"{mode}: two runs write byte-identical captures", "")
                if have_tshark:
                    fl = tshark_fields(pcap, "tcp.flags")
                    point(len(fl) == per_conn[mode] * n, f"{mode}: the pcap has {per_conn[mode]} frames per connection",
                          f"{len(fl)} frames")
                    point(set(fl) == flags[mode], f"{mode}: the frames carry the workload's TCP flags", str(sorted(set(fl))))
                else:
                    point(None, f"{mode}: pcap contents", "tshark not installed")
            except Exception as e:  # noqa: BLE001
                point(False, f"{mode}: runs with --capture", str(e))

        # pcapng: the annotated format, a comment on every frame.
        ng = Path(tmp) / "accept.pcapng"
        try:
            run(binary, "--n", "200", "--capture", str(ng))
            if have_tshark:
                comments = tshark_fields(ng, "frame.comment")
                point(len(comments) == 600 and all(c.strip() for c in comments),
                      "accept: every frame of the pcapng has a comment", f"{len(comments)} frames")
            else:
                point(None, "accept: pcapng comments", "tshark not installed")
        except Exception as e:  # noqa: BLE001
            point(False, "accept: runs with a pcapng capture", str(e))

        # Past one client address's 64,512 ports.
        try:
            r = run(binary, "--n", "70000", "--mode", "refused")
            point(r["completed"] == 70000, "70000 connections use a second client address", json.dumps(r))
        except Exception as e:  # noqa: BLE001
            point(False, "70000 connections use a second client address", str(e))

        # Bad arguments: exit 2 (CLI11) with a message, no JSON.
        p = subprocess.run([binary, "--n", "10", "--mode", "bogus"], capture_output=True, text=True)
        point(p.returncode != 0 and p.stdout.strip() == "" and "mode" in p.stderr, "a bad --mode is refused", p.stderr)

    print("TAP version 13")
    print(f"1..{len(results)}")
    failed = 0
    for i, (ok, name, detail) in enumerate(results, 1):
        if ok is None:
            print(f"ok {i} - {name} # SKIP {detail}")
        elif ok:
            print(f"ok {i} - {name}")
        else:
            failed += 1
            print(f"not ok {i} - {name}")
            for line in str(detail).splitlines()[:20]:
                print(f"  # {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
