#!/usr/bin/env bash
# ./dev bench: synlab's benchmarks from a release build, as medians (bench/report.py).
#
#   bench/run.sh BUILDDIR [--full] [--baseline REV] [--vs-ns3]
#
#   (default)        micro-benchmarks (median of 5) and a short scale sweep: synlab-scale at
#                    N = 1,000 / 10,000 / 100,000 in each mode, median of 3
#   --full           the whole sweep, up to N = 1,000,000, median of 5
#   --baseline REV   also builds git revision REV (a worktree in build-baseline-src/, release
#                    build in build-baseline-src/build-release/) and runs it side by side with
#                    this tree, interleaved, reporting baseline/current ratios
#   --vs-ns3         then the same accept workload in ns-3 3.37 (bench/vs_ns3.sh; installs
#                    Debian's libns3-dev), reporting synlab's speed over ns-3's
#
# Nothing here asserts a timing; docs/performance.md records what it printed.
set -euo pipefail
builddir=${1:?usage: bench/run.sh BUILDDIR [--full] [--baseline REV] [--vs-ns3]}
shift
full=0 baseline_rev="" vs_ns3=0
while [ $# -gt 0 ]; do
  case "$1" in
    --full) full=1 ;;
    --baseline) baseline_rev=${2:?--baseline needs a git revision}; shift ;;
    --vs-ns3) vs_ns3=1 ;;
    *) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

micro_reps=5 scale_reps=3 sizes=(1000 10000 100000)
if [ $full -eq 1 ]; then
  scale_reps=5 sizes=(1000 10000 100000 1000000)
fi

base_micro=() base_scale=()
if [ -n "$baseline_rev" ]; then
  src="$root/build-baseline-src"
  if [ ! -d "$src" ]; then
    git -C "$root" worktree add --detach "$src" "$baseline_rev" >/dev/null
  else
    git -C "$src" checkout -q -f --detach "$baseline_rev"
    git -C "$src" clean -fdq
  fi
  # A baseline from before the scale runner existed gets this tree's bench/scale.cc (it only
  # uses the World/Host API), so the sweep can still compare; only the throw-away worktree
  # changes.
  if [ ! -f "$src/bench/scale.cc" ]; then
    cp "$here/scale.cc" "$src/bench/scale.cc"
    cat >>"$src/meson.build" <<'MESON'
synlab_scale_exe = executable('synlab-scale', 'bench/scale.cc',
  include_directories: root_inc, implicit_include_directories: false,
  dependencies: [stack_dep, cli11_dep, dependency('nlohmann_json')])
MESON
    echo "   (the baseline has no synlab-scale: built with this tree's bench/scale.cc)"
  fi
  (cd "$src" && { [ -f build-release/build.ninja ] || meson setup build-release --buildtype=release -Db_ndebug=true >/dev/null; } &&
    ninja -C build-release >/dev/null)
  echo "== baseline: $baseline_rev ($(git -C "$src" rev-parse --short HEAD))"
  [ -x "$src/build-release/bench/micro_bench" ] && base_micro=(--baseline "$src/build-release/bench/micro_bench")
  base_scale=(--baseline "$src/build-release/synlab-scale")
fi

echo "== micro-benchmarks (median of $micro_reps repetitions, release build)"
python3 "$here/report.py" micro "$builddir/bench/micro_bench" --reps "$micro_reps" "${base_micro[@]}"

echo
echo "== scale sweep: synlab-scale, median of $scale_reps runs per row"
python3 "$here/report.py" scale "$builddir/synlab-scale" --n "${sizes[@]}" --reps "$scale_reps" \
  --json-out "$builddir/scale-sweep.jsonl" "${base_scale[@]}"
echo "(raw runs: $builddir/scale-sweep.jsonl)"

if [ $vs_ns3 -eq 1 ]; then
  echo
  echo "== synlab vs ns-3 3.37, same workload (bench/vs_ns3.sh)"
  "$here/vs_ns3.sh" "$builddir/synlab-scale" "$builddir/ns3"
fi
