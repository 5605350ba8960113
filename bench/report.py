#!/usr/bin/env python3
"""Runs synlab's benchmarks and reports medians, and ratios against a baseline run side by side.

  report.py micro BENCH [--baseline BENCH] [--reps N] [--filter REGEX]
      Google Benchmark micro-benchmarks: median real time per benchmark over N repetitions.
      With a baseline binary, both run one after the other and each row gets the ratio
      baseline time / current time (above 1: the current build is faster).

  report.py scale SCALE [--baseline SCALE] [--n N...] [--modes M...] [--reps N] [--tmp DIR]
      synlab-scale worlds: for each mode and N, N connections in one world, repeated --reps
      times (current and baseline interleaved, so machine noise hits both alike). Prints one
      markdown table of medians: wall time, handshakes/s, events/s, peak RSS, bytes per
      connection endpoint, and the speed ratio when there is a baseline. A mode "accept+pcap"
      is accept mode writing a pcap of every packet.

Timings are reported, never asserted: CI does not run this.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys


def run_json(cmd):
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(f"report.py: {' '.join(cmd)} failed ({out.returncode}):\n{out.stderr}")
        sys.exit(1)
    return json.loads(out.stdout)


def micro(args):
    def one(binary):
        cmd = [binary, f"--benchmark_repetitions={args.reps}", "--benchmark_format=json",
               "--benchmark_min_time=0.2", "--benchmark_report_aggregates_only=true"]
        if args.filter:
            cmd.append(f"--benchmark_filter={args.filter}")
        data = run_json(cmd)
        rows = {}
        for b in data["benchmarks"]:
            if b.get("aggregate_name") != "median":
                continue
            name = b["run_name"]
            rate = b.get("items_per_second")
            rows[name] = (b["real_time"], b["time_unit"], rate)
        return rows

    cur = one(args.binary)
    base = one(args.baseline) if args.baseline else None
    head = "| benchmark | median time | items/s |"
    sep = "|---|---:|---:|"
    if base is not None:
        head += " baseline time | ratio (baseline / current) |"
        sep += "---:|---:|"
    print(head)
    print(sep)
    for name, (t, unit, rate) in cur.items():
        line = f"| {name} | {t:.1f} {unit} | {rate / 1e6:.2f} M |" if rate else f"| {name} | {t:.1f} {unit} | |"
        if base is not None:
            if name in base:
                bt = base[name][0]
                line += f" {bt:.1f} {base[name][1]} | {bt / t:.2f}x |"
            else:
                line += " (not in baseline) | |"
        print(line)


def scale(args):
    tmp = args.tmp or "/tmp"
    rows = []
    raw = []
    for mode in args.modes:
        for n in args.n:
            cur, base = [], []
            for rep in range(args.reps):
                for binary, acc in ((args.binary, cur), (args.baseline, base)):
                    if not binary:
                        continue
                    cmd = [binary, "--n", str(n)]
                    pcap = None
                    if mode == "accept+pcap":
                        pcap = os.path.join(tmp, f"synlab-scale-{os.getpid()}.pcap")
                        cmd += ["--mode", "accept", "--capture", pcap]
                    else:
                        cmd += ["--mode", mode]
                    r = run_json(cmd)
                    if pcap and os.path.exists(pcap):
                        os.remove(pcap)
                    r["rep"] = rep
                    r["binary"] = "baseline" if acc is base else "current"
                    r["mode"] = mode
                    raw.append(r)
                    acc.append(r)
            rows.append((mode, n, cur, base))
    med = lambda rs, k: statistics.median(r[k] for r in rs)
    head = "| mode | N | wall s | handshakes/s | events/s | peak RSS MiB | bytes/endpoint |"
    sep = "|---|---:|---:|---:|---:|---:|---:|"
    if args.baseline:
        head += " baseline handshakes/s | speed ratio |"
        sep += "---:|---:|"
    print(head)
    print(sep)
    for mode, n, cur, base in rows:
        line = (f"| {mode} | {n:,} | {med(cur, 'wall_s'):.3f} | {med(cur, 'handshakes_per_s'):,.0f} | "
                f"{med(cur, 'events_per_s'):,.0f} | {med(cur, 'peak_rss_bytes') / 2**20:,.0f} | "
                f"{med(cur, 'bytes_per_endpoint'):,.0f} |")
        if args.baseline:
            bh = med(base, "handshakes_per_s")
            line += f" {bh:,.0f} | {med(cur, 'handshakes_per_s') / bh:.2f}x |"
        print(line)
    if args.json_out:
        with open(args.json_out, "w") as f:
            for r in raw:
                f.write(json.dumps(r, sort_keys=True) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("micro")
    m.add_argument("binary")
    m.add_argument("--baseline")
    m.add_argument("--reps", type=int, default=5)
    m.add_argument("--filter")
    s = sub.add_parser("scale")
    s.add_argument("binary")
    s.add_argument("--baseline")
    s.add_argument("--n", type=int, nargs="+", default=[1000, 10000, 100000])
    s.add_argument("--modes", nargs="+", default=["accept", "accept+pcap", "refused", "synflood"])
    s.add_argument("--reps", type=int, default=3)
    s.add_argument("--tmp")
    s.add_argument("--json-out")
    args = p.parse_args()
    micro(args) if args.cmd == "micro" else scale(args)


if __name__ == "__main__":
    main()
