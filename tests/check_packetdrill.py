#!/usr/bin/env python3
"""The packetdrill conformance suite; prints TAP (meson 'tap').

    check_packetdrill.py SYNLAB [--corpus DIR] [--table FILE] [--readme FILE] [--captures DIR]

Runs every .pkt script of the public corpus (default: ROOT/../shared/conformance/packetdrill,
read from there, never copied) with `synlab drill`, in each IP mode the script allows: the
one it names with an embedded --ip_version, else ipv4, ipv4-mapped-ipv6 and ipv6. Each mode
gets the options packetdrill's own run_all.py passes (addresses aside): -D TFO_COOKIE and
-D CODE=host_unreachable in the IPv4 modes, --mtu=1520 in ipv6.

The table (default: tests/packetdrill/expectations.txt) has two kinds of lines:

    xfail MODES SCRIPT REASON      this run is expected to fail, for REASON
    define MODES SCRIPT NAME=VALUE  an extra -D for this run (the reason in a comment above)

MODES is a comma-separated list of ipv4, ipv4-mapped-ipv6, ipv6, or `all`. Every run is a TAP
point: a pass; an expected failure (`# TODO` with its reason and first error line); a failure
not in the table (not ok); or an expected failure that passes (not ok: remove it from the
table, which only shrinks). A self-test with a `// Failure:` comment passes when it fails with
that message (synlab drill judges it).

Each run writes its capture (.pcap and .pcapng) to --captures (default: a temporary folder);
every one is checked to be a capture, and the first of each mode is opened with tshark when it
is installed. The README line "packetdrill conformance: ipv4 N/M, ipv4-mapped-ipv6 N/M, ipv6
N/M" must match the counts (--readme, default ROOT/README.md), so the README stays true.

Prints per mode the pass count and the wall time of the whole corpus. Exit 0 when every point
is ok or an expected failure, 1 otherwise, 2 on bad arguments or a missing corpus.
"""
import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

MODES = ["ipv4", "ipv4-mapped-ipv6", "ipv6"]
MODE_ARGS = {
    "ipv4": ["--ip_version=ipv4", "-D", "TFO_COOKIE=3021b9d889017eeb", "-D", "CODE=host_unreachable"],
    "ipv4-mapped-ipv6": ["--ip_version=ipv4-mapped-ipv6", "-D", "TFO_COOKIE=3021b9d889017eeb", "-D",
                         "CODE=host_unreachable"],
    "ipv6": ["--ip_version=ipv6", "--mtu=1520", "-D", "TFO_COOKIE=c1d1e9742a47a9bc"],
}


def parse_table(path):
    xfail, defines = {}, {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 3)
        if len(parts) < 4 or parts[0] not in ("xfail", "define"):
            raise SystemExit(f"{path}:{n}: expected 'xfail MODES SCRIPT REASON' or 'define MODES SCRIPT NAME=VALUE'")
        kind, modes, script, rest = parts
        modes = MODES if modes == "all" else modes.split(",")
        for m in modes:
            if m not in MODES:
                raise SystemExit(f"{path}:{n}: unknown mode '{m}'")
            if kind == "xfail":
                xfail[(m, script)] = rest
            else:
                defines.setdefault((m, script), []).append(rest)
    return xfail, defines


def script_modes(text):
    m = re.search(r'^\s*--ip_version="?([a-z0-9-]+)"?', text, re.M)
    return [m.group(1)] if m else MODES


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser()
    ap.add_argument("synlab")
    ap.add_argument("--corpus", default=str(root.parent / "shared" / "conformance" / "packetdrill"))
    ap.add_argument("--table", default=str(root / "tests" / "packetdrill" / "expectations.txt"))
    ap.add_argument("--readme", default=str(root / "README.md"))
    ap.add_argument("--captures")
    args = ap.parse_args()
    corpus = pathlib.Path(args.corpus)
    if not corpus.is_dir():
        print(f"Bail out! the packetdrill corpus is not at {corpus} (the suite reads it from there)")
        return 2
    xfail, defines = parse_table(pathlib.Path(args.table))
    scripts = sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*.pkt"))
    known = {s for (_, s) in list(xfail) + list(defines)}
    cap_dir = pathlib.Path(args.captures) if args.captures else pathlib.Path(tempfile.mkdtemp(prefix="synlab-drill-"))
    cap_dir.mkdir(parents=True, exist_ok=True)

    points = []  # (ok, name, details)
    counts = {m: [0, 0] for m in MODES}  # passed, runs
    wall = {m: 0.0 for m in MODES}
    tshark = shutil.which("tshark")
    opened = set()
    for stale in sorted(known - set(scripts)):
        points.append((False, f"table names {stale}", ["no such script in the corpus: remove its lines"]))
    for mode in MODES:
        for s in scripts:
            text = (corpus / s).read_text(errors="replace")
            if mode not in script_modes(text):
                continue
            out_dir = cap_dir / mode / pathlib.Path(s).parent
            cmd = [args.synlab, "drill", str(corpus / s), "--out", str(out_dir)] + MODE_ARGS[mode]
            for d in defines.get((mode, s), []):
                cmd += ["-D", d]
            t0 = time.monotonic()
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
            wall[mode] += time.monotonic() - t0
            counts[mode][1] += 1
            name = f"{mode} {s}"
            passed = p.returncode == 0
            lines = (p.stdout + p.stderr).splitlines()
            first_error = next((l for l in lines if ": error" in l), lines[0] if lines else "")
            reason = xfail.get((mode, s))
            details = []
            if passed:
                counts[mode][0] += 1
                stem = pathlib.Path(s).stem + "-" + mode
                caps = [out_dir / (stem + ".pcap"), out_dir / (stem + ".pcapng")]
                for c in caps:
                    if not c.is_file() or c.stat().st_size < 24:
                        passed = False
                        details.append(f"no capture at {c}")
                if passed and tshark and mode not in opened:
                    opened.add(mode)
                    t = subprocess.run([tshark, "-r", str(caps[1])], capture_output=True, text=True)
                    if t.returncode != 0 or not t.stdout.strip():
                        passed = False
                        details.append(f"tshark cannot read {caps[1]}: {t.stderr.strip()}")
            if reason is None:
                points.append((passed, name, details if passed else [first_error] + lines[1:4] + details))
            elif passed:
                points.append((False, name, [f"expected to fail ({reason}) but it passes: remove it from {args.table}"]))
            else:
                points.append((None, f"{name} # TODO expected failure: {reason}", [first_error]))

    summary = ", ".join(f"{m} {counts[m][0]}/{counts[m][1]}" for m in MODES)
    readme = pathlib.Path(args.readme)
    want = f"packetdrill conformance: {summary}"
    if readme.is_file():
        points.append((want in readme.read_text(), "README.md states the pass counts", [f"README.md must say: {want}"]))
    print(f"1..{len(points)}")
    ok_all = True
    for i, (ok, name, details) in enumerate(points, 1):
        # An expected failure is TAP's `not ok ... # TODO`; `ok` marks a pass.
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        for d in details if not ok else []:
            print(f"# {d}")
        ok_all &= ok is not False
    for m in MODES:
        print(f"# {m}: {counts[m][0]} of {counts[m][1]} runs pass; the corpus took {wall[m]:.2f} s "
              f"(wall, one script after another; the real packetdrill on Linux: about 48 s)")
    if not args.captures:
        shutil.rmtree(cap_dir, ignore_errors=True)
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
