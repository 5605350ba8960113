#!/usr/bin/env bash
# tools/fuzz.sh BUILD_DIR [TARGET|all] [SECONDS]: runs libFuzzer targets (./dev fuzz builds
# BUILD_DIR with clang, -Dfuzz=enabled, ASan + UBSan, then calls this).
#
# Each target starts from its seeds (tools/fuzz_seeds.py: the bundled scenarios, the golden
# captures and their frames, tests/bad-input/, the .pkt scripts of ../shared/conformance/
# packetdrill), its kept corpus (BUILD_DIR/fuzz-corpus/TARGET, where new inputs go) and its
# regressions (tests/fuzz-regressions/TARGET), and runs for
# SECONDS (default 60). A crash, leak, timeout (20 s per input, or $FUZZ_TIMEOUT: the limit is
# wall-clock, so raise it on a loaded machine) or sanitizer report is written
# to BUILD_DIR/crashes/TARGET-* and fails the run. Prints per target the executions, the
# coverage (libFuzzer's cov: edges and ft: features) and the corpus size; logs stay in
# BUILD_DIR/fuzz-TARGET.log. Exit status: 0 no crash, 1 a crash, 2 bad arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: tools/fuzz.sh BUILD_DIR [TARGET|all] [SECONDS]}
target=${2:-all}
secs=${3:-60}
all=(scenario_parser wire_receive capture_reader packetdrill_parser)
if [ "$target" = all ]; then
  targets=("${all[@]}")
else
  case " ${all[*]} " in
    *" $target "*) targets=("$target") ;;
    *) echo "fuzz: unknown target '$target' (${all[*]} or all)" >&2; exit 2 ;;
  esac
fi
[[ $secs =~ ^[0-9]+$ ]] || { echo "fuzz: SECONDS must be a whole number, got '$secs'" >&2; exit 2; }

python3 tools/fuzz_seeds.py "$build/fuzz-seeds" "${targets[@]}" >/dev/null
mkdir -p "$build/fuzz-corpus" "$build/crashes"
rc=0
for t in "${targets[@]}"; do
  corpus=$build/fuzz-corpus/$t
  log=$build/fuzz-$t.log
  mkdir -p "$corpus"
  status=0
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/fuzz/fuzz_$t" -max_total_time="$secs" -timeout="${FUZZ_TIMEOUT:-20}" -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$build/crashes/$t-" "$corpus" "$build/fuzz-seeds/$t" "tests/fuzz-regressions/$t" \
    >"$log" 2>&1 || status=$?
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
  files=$(find "$corpus" -type f | wc -l)
  if [ "$status" -ne 0 ]; then
    rc=1
    echo "fuzz $t: FAILED (exit $status) after ${execs:-?} executions; the input is in $build/crashes/, the log in $log"
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20 || true
  else
    echo "fuzz $t: ${execs:-0} executions in $secs s, ${cov:-cov: ?}, corpus $files files, no crash"
  fi
done
exit $rc
