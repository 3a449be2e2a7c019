#!/usr/bin/env bash
# Builds the libFuzzer targets (cmake --preset fuzz, clang with ASan and
# UBSan, into build-fuzz/) and runs each for N seconds, one after the other.
#   tests/fuzz/run.sh --seconds N [--jobs J] [--no-build] [TARGET...]
# Prints executions, executions per second and coverage (cov: edges, ft:
# features) per target. Fails when a target crashes, leaks, runs over 1 s on
# one input or over 256 MiB resident (a single allocation may reserve up to
# 1 GiB of address space: a 256 MiB message announced by a server is
# reserved, and made resident only as it arrives); the input is left in
# build-fuzz/artifacts/.
# Inputs are at most 1 MiB. New inputs go to build-fuzz/corpus/TARGET; the
# seeds in tests/fuzz/corpus/TARGET (regression inputs among them) are only read.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=20
jobs=0
build=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    -*) echo "usage: tests/fuzz/run.sh --seconds N [--jobs J] [--no-build] [TARGET...]" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done

if [ "$build" = 1 ]; then
  scripts/install-deps --fuzz
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j "${ERPMAIL_FUZZ_BUILD_JOBS:-2}"
fi
out=build-fuzz
if [ ${#targets[@]} -eq 0 ]; then
  for bin in "$out"/fuzz/fuzz_*; do targets+=("$(basename "$bin" | sed 's/^fuzz_//')"); done
fi

dictionary() {
  case "$1" in
    imap_*) echo tests/fuzz/dict/imap.dict ;;
    pop3_*) echo tests/fuzz/dict/pop3.dict ;;
    smtp_*) echo tests/fuzz/dict/smtp.dict ;;
    mime_*|smime) echo tests/fuzz/dict/mime.dict ;;
    textblock_*) echo tests/fuzz/dict/textblock.dict ;;
    json_*) echo tests/fuzz/dict/json.dict ;;
  esac
}

# A 16 MB quarantine (ASan's default is 256 MB): what the quarantine holds,
# and the allocator's pages it leaves fragmented, stay resident, and over a
# run of millions of inputs they took textblock_template past the 256 MiB
# limit with 64 MB (28 MB of live heap at 260 MB resident). 16 MB is still
# many times what one input of the small targets frees.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=0:quarantine_size_mb=16}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(pwd)/tests/fuzz/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=()
printf '%-20s %12s %10s %8s %8s %8s  %s\n' target executions exec/s cov ft rss_mb result
root=$(pwd)
for t in "${targets[@]}"; do
  bin="$root/$out/fuzz/fuzz_$t"
  [ -x "$bin" ] || { echo "no fuzz target $t (expected $bin)" >&2; exit 2; }
  corpus="$root/$out/corpus/$t"
  artifacts="$root/$out/artifacts/$t"
  logs="$root/$out/logs/$t"
  log="$logs.log"
  rm -rf "$artifacts" "$logs"
  mkdir -p "$corpus" "$artifacts" "$logs" "tests/fuzz/corpus/$t"
  args=(-max_total_time="$seconds" -rss_limit_mb=256 -malloc_limit_mb=1024 -timeout=1 -max_len=1048576
        -print_final_stats=1 -artifact_prefix="$artifacts/")
  dict=$(dictionary "$t")
  [ -n "$dict" ] && args+=(-dict="$root/$dict")
  # With --jobs, libFuzzer's workers run in child processes, each logging to fuzz-N.log.
  [ "$jobs" -gt 0 ] && args+=(-jobs="$jobs" -workers="$jobs")
  status=0
  (cd "$logs" && "$bin" "${args[@]}" "$corpus" "$root/tests/fuzz/corpus/$t") >"$log" 2>&1 || status=$?
  # The workers' logs hold the runs (libFuzzer echoes the last one into its own output too).
  [ "$jobs" -gt 0 ] && cat "$logs"/fuzz-*.log >"$log.workers" 2>/dev/null && mv "$log.workers" "$log"
  stat() { { grep -a "stat::$1" "$log" || true; } | awk '{s += $2} END {print s + 0}'; }
  execs=$(stat number_of_executed_units)
  rate=$(stat average_exec_per_sec)
  rss=$({ grep -a "stat::peak_rss_mb" "$log" || true; } | awk '{if ($2 > m) m = $2} END {print m + 0}')
  last=$({ grep -a -E '^#[0-9]+.*cov: ' "$log" || true; } | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  result=ok
  if [ "$status" -ne 0 ] || ls "$artifacts" | grep -q .; then
    result="FAILED (status $status; see $log and $artifacts)"
    failed+=("$t")
  fi
  printf '%-20s %12s %10s %8s %8s %8s  %s\n' "$t" "$execs" "$rate" "${cov:-?}" "${ft:-?}" "$rss" "$result"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing found faults in: ${failed[*]}" >&2
  for t in "${failed[@]}"; do grep -a -m1 -E "ERROR: |runtime error|SUMMARY" "$out/logs/$t.log" >&2 || true; done
  exit 1
fi
