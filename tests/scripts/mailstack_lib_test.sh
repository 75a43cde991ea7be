#!/bin/bash
# mailstack_lib_test.sh - the process and log-listener helpers of
# scripts/lib/mailstack.sh (and scripts/lib/proc.sh), without a mail stack,
# root or packages:
#   1. /proc/PID/stat is read right when the command name holds a space: a
#      zombie named "x y" is not alive, and its start time is the kernel's;
#   2. ms__reap_stale before MS_BASE exists (ms_init DIR on a fresh
#      machine) returns quietly and creates nothing;
#   3. a temporary tap left by a run that crashed between writing and
#      renaming it does not keep the shared log listener (devlog.py, on a
#      socket of this test's, never /dev/log) alive: the last instance to
#      leave stops it.
# Prints "ok N - ..." or "FAIL N - ..." per check; exit 1 if any failed.
# Usage: mailstack_lib_test.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: mailstack_lib_test.sh SOURCE_DIR}
tmp=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do
    kill -KILL "$p" 2> /dev/null || true
    wait "$p" 2> /dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

MS_BASE=$tmp/base
# shellcheck source=../../scripts/lib/mailstack.sh
. "$src/scripts/lib/mailstack.sh"

n=0 failed=0
check() {  # check DESCRIPTION CMD...: CMD must succeed
  local what=$1
  shift
  n=$((n + 1))
  if "$@"; then echo "ok $n - $what"; else echo "FAIL $n - $what"; failed=1; fi
}

# The kernel's own reading, by an independent parser.
kernel_field() {
  python3 -c 'import sys; s = open(f"/proc/{sys.argv[1]}/stat").read(); print(s[s.rindex(")") + 2:].split()[int(sys.argv[2]) - 3])' "$1" "$2" 2> /dev/null
}

# --- 1. a command name with a space -------------------------------------------------

# The child names itself "x y" and exits; its parent never waits for it,
# so it stays a zombie until the parent ends.
python3 -c '
import os, time
child = os.fork()
if child == 0:
    with open("/proc/self/comm", "w") as f:
        f.write("x y")
    os._exit(0)
print(child, flush=True)
time.sleep(30)' > "$tmp/zombie" &
pids+=($!)
is_zombie() { zombie=$(cat "$tmp/zombie") && [ -n "$zombie" ] && [ "$(kernel_field "$zombie" 3)" = Z ]; }
ms_waitfor 5 is_zombie || { echo "FAIL - no zombie to test with"; exit 1; }
check "the zombie is named \"x y\"" [ "$(cat "/proc/$zombie/comm")" = "x y" ]
check "bs_proc_stat reads its state as Z" [ "$(bs_proc_stat "$zombie" 3)" = Z ]
check "ms__alive says it is not alive" ms__gone "$zombie"
check "ms__starttime is the kernel's start time" [ "$(ms__starttime "$zombie")" = "$(kernel_field "$zombie" 22)" ]
check "bs_proc_stat fails for a process that is gone" bash -c ". '$src/scripts/lib/proc.sh'; ! bs_proc_stat 0 3"

# --- 2. no MS_BASE yet ------------------------------------------------------------------

reap_without_base() { (ms__reap_stale) 2> "$tmp/reap.err" && [ ! -s "$tmp/reap.err" ] && [ ! -e "$MS_BASE" ]; }
check "ms__reap_stale without MS_BASE returns 0, says nothing, creates nothing" reap_without_base

# --- 3. a crashed run's temporary tap ---------------------------------------------------

shared=$MS_BASE/devlog
mkdir -p "$shared/taps"
"$MS_PYTHON" "$MS_LIBDIR/devlog.py" "$tmp/log.sock" "$shared/taps" 2> "$tmp/devlog.err" &
listener=$!
pids+=("$listener")
printf '%s\n' "$listener" > "$shared/pid"
ms_waitfor 5 test -S "$tmp/log.sock"
# A run that died between its tap's write and rename, and whose shell is
# gone (a child that has ended and been reaped).
sh -c 'exit 0' &
dead=$!
wait "$dead"
printf '%s\n%s\n' "$dead" "$tmp/crashed.maillog" > "$shared/taps/.run.crashed"
# This instance attaches as ms__log_start does, then leaves last.
MS_DIR=$tmp/run.live MS_RUN_ID=run.live
mkdir -p "$MS_DIR"
ms__attach_tap "$shared"
check "the listener delivers to the live tap" python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"<22>mailstack_lib_test: hello", sys.argv[1])' "$tmp/log.sock"
has_hello() { grep -q 'mailstack_lib_test: hello' "$MS_DIR/maillog"; }
ms_waitfor 5 has_hello || true
check "the line reached this instance's log" has_hello
ms__log_stop
check "the last instance out stops the listener" ms_waitfor 5 ms__gone "$listener"
check "and removes the shared directory, the crashed tap with it" [ ! -e "$shared" ]

[ "$failed" = 0 ] || { echo "FAILED ($n checks)"; exit 1; }
echo "all $n checks passed"
