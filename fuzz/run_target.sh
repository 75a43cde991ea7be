#!/bin/bash
# run_target.sh - runs one libFuzzer target for a fixed time with the limits
# every campaign of this project uses: an input that takes more than 1 s
# is a hang, more than 512 MB is an out-of-memory.
#
#   run_target.sh FUZZER WORKDIR SECONDS CORPUS_DIR...
#
# New inputs go to WORKDIR/corpus (kept between runs, so campaigns add up);
# the CORPUS_DIRs are only read. libFuzzer's 1 s limit is wall-clock time,
# so on a busy machine a quick input can overrun it. The target therefore
# runs in libFuzzer's fork mode, which keeps going after a timeout, and each
# timeout is run again on its own afterwards: only one that overruns three
# times in a row counts, a spurious one is set aside in WORKDIR/spurious.
# A crash, real hang, OOM or leak leaves its input in WORKDIR/artifacts and
# makes this exit non-zero. WORKDIR/summary gets the figures (executions,
# cov, ft, corpus, spurious timeouts); the log is WORKDIR/run.log. It does
# not build anything and does not minimise the corpus.
#
# BOUNCESEAL_FUZZ_TIMEOUT (seconds, default 1) sets the hang limit.
# libFuzzer's timeout handler is not async-signal-safe: when its alarm
# lands inside ASan's allocator it deadlocks (seen twice under heavy load),
# and the campaign stalls. Runs where a stall would cost more than a
# finding is worth (CI, a machine busy with other work) use 10.
set -uo pipefail
[ $# -ge 4 ] || { echo "usage: $0 FUZZER WORKDIR SECONDS CORPUS_DIR..." >&2; exit 2; }
fuzzer=$1 work=$2 seconds=$3
shift 3
mkdir -p "$work/corpus" "$work/artifacts" "$work/spurious"
rm -f "$work/run.log" "$work/summary"
dirs=()
for d in "$@"; do [ -d "$d" ] && dirs+=("$d"); done
# Leaks count as findings too: a leak per message would grow the milter.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
limits=(-timeout="${BOUNCESEAL_FUZZ_TIMEOUT:-1}" -rss_limit_mb=512 -malloc_limit_mb=512)

before=$(mktemp)
trap 'rm -f "$before"' EXIT
find "$work/artifacts" -type f | sort > "$before"
"$fuzzer" -fork=1 -ignore_timeouts=1 -ignore_ooms=0 -ignore_crashes=0 -max_total_time="$seconds" \
  "${limits[@]}" -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
  "$work/corpus" "${dirs[@]}" > "$work/run.log" 2>&1
status=$?

spurious=0 real=0
for artifact in $(find "$work/artifacts" -type f | sort | comm -13 "$before" -); do
  name=$(basename "$artifact")
  if [[ $name == timeout-* ]]; then
    hang=1
    for _ in 1 2 3; do
      if "$fuzzer" "${limits[@]}" "$artifact" > "$work/recheck.log" 2>&1; then hang=0; break; fi
    done
    if [ "$hang" = 0 ]; then mv "$artifact" "$work/spurious/"; spurious=$((spurious + 1)); continue; fi
  fi
  echo "finding: $artifact"
  real=$((real + 1))
done
[ "$real" -gt 0 ] && status=1
[ "$real" = 0 ] && [ "$status" != 0 ] && grep -q 'INFO: exiting: 0\|Done [0-9]* runs' "$work/run.log" && status=0

last=$(grep -E '^#[0-9]+: cov:' "$work/run.log" | tail -1)
field() { grep -o "$1 [0-9]*" <<< "$last" | grep -o '[0-9]*$' || true; }
{
  echo "executions=$(grep -o '^#[0-9]*' <<< "$last" | tr -d '#')"
  echo "cov=$(field 'cov:')"
  echo "ft=$(field 'ft:')"
  echo "corpus=$(find "$work/corpus" -type f | wc -l)"
  echo "spurious_timeouts=$spurious"
  echo "findings=$real"
  echo "status=$status"
} > "$work/summary"
grep -vE 'NEW_FUNC|^INFO: Running|^INFO: Seed' "$work/run.log" | tail -n 15
cat "$work/summary"
exit "$status"
