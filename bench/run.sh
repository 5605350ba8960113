#!/usr/bin/env bash
# ./dev bench: runs the micro-benchmarks from a release build and prints medians of 5
# repetitions. Usage: bench/run.sh BUILDDIR [--full]
set -euo pipefail
builddir=${1:?builddir}
shift || true
reps=5
[ "${1:-}" = "--full" ] && reps=10
echo "== micro-benchmarks (median of $reps repetitions, release build)"
"$builddir/bench/micro_bench" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
  --benchmark_display_aggregates_only=true --benchmark_min_time=0.2 2>/dev/null | grep -E '^(Benchmark|-|BM_.*_median)'
