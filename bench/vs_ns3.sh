#!/usr/bin/env bash
# bench/vs_ns3.sh: synlab against ns-3 on the same workload, side by side (issue 7; what
# `./dev bench --vs-ns3` runs).
# Usage: bench/vs_ns3.sh SYNLAB_SCALE_BINARY OUTDIR [N...]      (default N: 1000 10000)
#
# Workload, identical on both sides: two nodes, one point-to-point link (10 Gbit/s, 50 us one
# way, no loss), one listener on port 8080, N client sockets, socket i connecting at t = i us,
# everything accepted and kept open; a run ends when all N are established on both sides.
# Builds the ns-3 program (bench/ns3/build.sh, which installs Debian's libns3-dev when missing)
# into OUTDIR, then for each N runs `SYNLAB_SCALE_BINARY --n N --mode accept` and
# `OUTDIR/ns3-handshakes --n N` alternately, VS_NS3_REPS times each (default 3), one run at a
# time. Each run prints one JSON object; they go, tagged with "side" and "rep", to
# OUTDIR/vs-ns3.jsonl. Prints a markdown table of medians and the speed ratio (synlab
# handshakes/s divided by ns-3 handshakes/s). ns-3 is quadratic in N here: about 20 s per run
# at N=10000, hours at N=100000.
set -euo pipefail
synlab=${1:?usage: bench/vs_ns3.sh SYNLAB_SCALE_BINARY OUTDIR [N...]}
outdir=${2:?usage: bench/vs_ns3.sh SYNLAB_SCALE_BINARY OUTDIR [N...]}
shift 2
ns=("$@")
[ ${#ns[@]} -eq 0 ] && ns=(1000 10000)
reps=${VS_NS3_REPS:-3}
here=$(cd "$(dirname "$0")" && pwd)

log() { printf 'vs_ns3: %s\n' "$*" >&2; }

for n in "${ns[@]}"; do
  case $n in '' | *[!0-9]*) log "N must be a positive integer, got '$n'"; exit 2 ;; esac
done
[ -x "$synlab" ] || { log "synlab scale runner not found or not executable: $synlab"; exit 2; }

mkdir -p "$outdir"
"$here/ns3/build.sh" "$outdir"
ns3bin=$outdir/ns3-handshakes
jsonl=$outdir/vs-ns3.jsonl
: >"$jsonl"

# record SIDE N REP STATUS: reads a run's stdout on stdin, appends its JSON object to $jsonl
# tagged with side and rep, and fails when there is none or it is for another N.
record() {
  python3 -c '
import json, sys
side, n, rep, status, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
obj = None
for line in sys.stdin.read().splitlines():
    line = line.strip()
    if line.startswith("{"):
        try:
            obj = json.loads(line)
        except ValueError:
            pass
if not isinstance(obj, dict):
    sys.exit(f"vs_ns3: {side} N={n} rep {rep}: no JSON object on stdout (exit status {status})")
got = obj.get("n")
if got != n:
    sys.exit(f"vs_ns3: {side} N={n} rep {rep}: JSON reports n={got}")
done = obj.get("completed", n)
if done != n or status != 0:
    print(f"vs_ns3: warning: {side} N={n} rep {rep}: completed={done}, exit status {status}",
          file=sys.stderr)
obj = {"side": side, "rep": rep, **obj}
with open(path, "a") as f:
    f.write(json.dumps(obj, separators=(",", ":")) + "\n")
' "$@" "$jsonl"
}

for n in "${ns[@]}"; do
  for rep in $(seq 1 "$reps"); do
    log "N=$n rep $rep/$reps: synlab"
    status=0
    out=$("$synlab" --n "$n" --mode accept) || status=$?
    record synlab "$n" "$rep" "$status" <<<"$out"
    log "N=$n rep $rep/$reps: ns-3"
    status=0
    out=$("$ns3bin" --n "$n") || status=$?
    record ns-3 "$n" "$rep" "$status" <<<"$out"
  done
done

python3 - "$jsonl" <<'EOF'
import json, statistics, sys

runs = {}
order = []
with open(sys.argv[1]) as f:
    for line in f:
        r = json.loads(line)
        if r["n"] not in order:
            order.append(r["n"])
        runs.setdefault((r["n"], r["side"]), []).append(r)

def med(n, side, key):
    vals = [r[key] for r in runs.get((n, side), []) if isinstance(r.get(key), (int, float))]
    return statistics.median(vals) if vals else None

def fmt(v, digits=0):
    return "n/a" if v is None else f"{v:,.{digits}f}"

def fmt_s(v):
    if v is None:
        return "n/a"
    return f"{v:.3g}" if v < 1 else f"{v:.3f}" if v < 10 else f"{v:.1f}"

ns3_name = next((r.get("simulator") for (n, side), rs in runs.items() if side == "ns-3"
                 for r in rs), "ns-3")
reps = max(len(rs) for rs in runs.values())
print(f"synlab vs {ns3_name}: N connections accepted over one point-to-point link "
      f"(median of {reps} run{'s' if reps != 1 else ''} each; wall time of the simulation run only)")
print()
print("| N | synlab wall s | synlab handshakes/s | ns-3 wall s | ns-3 handshakes/s "
      "| speed ratio | synlab bytes/conn | ns-3 bytes/conn |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|")
for n in order:
    s_hps, n_hps = med(n, "synlab", "handshakes_per_s"), med(n, "ns-3", "handshakes_per_s")
    r = s_hps / n_hps if s_hps and n_hps else None
    ratio = "n/a" if r is None else f"{r:,.0f}x" if r >= 100 else f"{r:.3g}x"
    print(f"| {n:,} | {fmt_s(med(n, 'synlab', 'wall_s'))} | {fmt(s_hps)} "
          f"| {fmt_s(med(n, 'ns-3', 'wall_s'))} | {fmt(n_hps)} | {ratio} "
          f"| {fmt(med(n, 'synlab', 'bytes_per_connection'))} "
          f"| {fmt(med(n, 'ns-3', 'bytes_per_connection'))} |")
EOF
