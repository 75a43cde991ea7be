# shellcheck shell=bash
# bench/lib.sh - helpers of scripts/bench: a results file and its statistics,
# and starting and stopping the daemons a run measures.
#
# Results are lines "KEY<TAB>ROUND<TAB>VALUE" in $BENCH_RESULTS; a ratio is
# taken round by round (the two figures of one round were measured side by
# side) and then summarised like any other figure: median, min, max.
# Daemons are started in the background and remembered by PID; they are
# stopped by PID with a deadline, never by name. Nothing here measures
# anything or knows what the figures mean.

[ -n "${BS__BENCH_LIB_LOADED:-}" ] && return 0
BS__BENCH_LIB_LOADED=1
# shellcheck source=../scripts/lib/proc.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/proc.sh"

bench_log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
bench_die() { bench_log "error: $*"; exit 1; }

# bench_record KEY ROUND VALUE
bench_record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$BENCH_RESULTS"; }

# bench_ratio NEW NUM DEN: NEW = NUM / DEN for every round that has both.
bench_ratio() {
  awk -F'\t' -v new="$1" -v num="$2" -v den="$3" '
    $1 == num { n[$2] = $3 }
    $1 == den { d[$2] = $3 }
    END { for (r in n) if ((r in d) && d[r] != 0) printf "%s\t%s\t%.6f\n", new, r, n[r] / d[r] }
  ' "$BENCH_RESULTS" > "$BENCH_RESULTS.tmp"
  cat "$BENCH_RESULTS.tmp" >> "$BENCH_RESULTS"
  rm -f "$BENCH_RESULTS.tmp"
}

# bench_stat KEY: prints "MEDIAN MIN MAX COUNT", or nothing without data.
bench_stat() {
  awk -F'\t' -v key="$1" '$1 == key { print $3 }' "$BENCH_RESULTS" | sort -g | awk '
    { v[NR] = $1 }
    END {
      if (NR == 0) exit
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.6g %.6g %.6g %d\n", m, v[1], v[NR], NR
    }'
}

# bench_fmt KEY FORMAT: "median [min–max]" with printf FORMAT for each
# number (just the median when there is one round), "–" without data.
bench_fmt() {
  local s
  s=$(bench_stat "$1")
  if [ -z "$s" ]; then printf '–'; return; fi
  # shellcheck disable=SC2086  # word splitting wanted
  set -- "$2" $s
  # shellcheck disable=SC2059  # the format is the caller's, on purpose
  if [ "$5" -le 1 ]; then
    printf "$1" "$2"
  else
    printf "$1 [$1–$1]" "$2" "$3" "$4"
  fi
}

# bench_median KEY: the median alone, empty without data.
bench_median() { bench_stat "$1" | awk '{ print $1 }'; }

# bench_verdict KEY OP LIMIT: "met" / "missed" by the median, "–" without data.
bench_verdict() {
  local m
  m=$(bench_median "$1")
  [ -n "$m" ] || { printf '–'; return; }
  awk -v m="$m" -v op="$2" -v lim="$3" 'BEGIN {
    ok = (op == ">=") ? (m >= lim) : (m <= lim)
    printf "%s", ok ? "**met**" : "**missed**"
  }'
}

# --- daemons -----------------------------------------------------------------

BENCH_PIDS=()

# bench_remember PID: stop it at the end (bench_stop_all).
bench_remember() { BENCH_PIDS+=("$1"); }

# bench_wait_socket PATH PID [SECONDS]: until PATH accepts connections.
bench_wait_socket() {
  "$BENCH_TOOL" wait-socket "$1" "${3:-15}" "$2" || bench_die "no socket $1 from process $2"
}

# bench_stop PID...: SIGTERM to all, then wait for each to exit, all
# within one deadline; whatever is left then gets SIGKILL. libmilter's
# listener notices a stop only at its next 5-second poll, so the deadline
# is above that.
bench_stop() {
  local pid deadline left=()
  [ $# -gt 0 ] || return 0
  for pid in "$@"; do kill -TERM "$pid" 2> /dev/null || true; done
  deadline=$((SECONDS + 12))
  for pid in "$@"; do
    # tail --pid returns when the process is gone (bash reaps its own
    # children as they end, so none lingers as a zombie).
    timeout "$((deadline > SECONDS ? deadline - SECONDS : 1))" \
      tail --pid="$pid" -s 0.05 -f /dev/null 2> /dev/null || true
    kill -0 "$pid" 2> /dev/null && left+=("$pid")
  done
  if [ ${#left[@]} -gt 0 ]; then
    bench_log "still running after SIGTERM, killing: ${left[*]}"
    kill -KILL "${left[@]}" 2> /dev/null || true
  fi
  for pid in "$@"; do wait "$pid" 2> /dev/null || true; done
}

# bench_stop_all: every remembered daemon.
bench_stop_all() {
  [ ${#BENCH_PIDS[@]} -gt 0 ] || return 0
  bench_stop "${BENCH_PIDS[@]}"
  BENCH_PIDS=()
}

# bench_rss_kb PID FIELD: VmRSS or VmHWM of a process, in kB.
bench_rss_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# bench_children PID: the process ids of PID's children (bounceseal-milter's
# signer process), one a line; nothing for a process without any.
bench_children() { cat /proc/"$1"/task/*/children 2> /dev/null | tr ' ' '\n' | sed '/^$/d'; }

# bench_cpu_ticks PID: user + system time of a process and its children
# (a filter's whole work: bounceseal-milter signs in its signer process), in
# clock ticks.
bench_cpu_ticks() {
  local p total=0 utime stime
  for p in "$1" $(bench_children "$1"); do
    { read -r utime && read -r stime; } < <(bs_proc_stat "$p" 14 15) || continue
    total=$((total + utime + stime))
  done
  echo "$total"
}
