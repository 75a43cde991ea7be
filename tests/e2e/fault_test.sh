#!/bin/bash
# fault_test.sh - the verifier's own faults on a real sendmail and a real
# procmail: whatever kills or starves bounceseal-verify, procmail must keep
# the bounce (exit 75 to sendmail, which queues it) rather than file it as
# forged or lose it. Checks, each bounded in time:
#   1. the verifier killed by SIGKILL before it reads anything;
#   2. the verifier killed by SIGSEGV in the middle of reading the bounce;
#   3. the verifier out of memory (48 MB of address space for a 12 MB DSN);
#   4. once it works again, one queue run delivers every kept bounce into
#      the inbox, judged genuine, and the quarantine holds none of them.
# The verifier procmail runs is a stand-in that behaves as the file
# $MS_DIR/verifier-mode says and otherwise runs the real one.
# Usage: fault_test.sh BUILD_DIR. Exit 0 all passed, 1 a check failed,
# 77 skipped (not root, or the mail packages are missing).
set -uo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "skipped: needs root"; exit 77; }
# shellcheck source=../../scripts/lib/mailstack.sh
. "$top/scripts/lib/mailstack.sh"
# shellcheck source=../../scripts/lib/sealstack.sh
. "$top/scripts/lib/sealstack.sh"
if ! ms_deps --check > /dev/null; then echo "skipped: mail packages missing"; exit 77; fi
command -v prlimit > /dev/null || { echo "skipped: no prlimit"; exit 77; }

passed=0 failed=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then echo "ok - $what"; passed=$((passed + 1))
  else echo "FAIL - $what"; failed=$((failed + 1)); fi
}

MS_PORT=auto
ms_init
trap ms_cleanup EXIT
ss_start "$build" || { echo "FAIL - the stack did not start"; exit 1; }
alice=$(ms_addr bs-alice)
mode=$MS_DIR/verifier-mode
: > "$mode"
chmod 0644 "$mode"
# The recipe runs $SS_BIN/bounceseal-verify: put the stand-in there.
mv "$SS_BIN/bounceseal-verify" "$SS_BIN/bounceseal-verify.real"
cat > "$SS_BIN/bounceseal-verify" <<SH
#!/bin/sh
# Stand-in of the fault test: dies as $mode says, else the real verifier.
case \$(cat "$mode" 2>/dev/null) in
  kill) kill -KILL \$\$ ;;
  segv) head -c 300 > /dev/null; kill -SEGV \$\$ ;;
  oom) exec prlimit --as=$((48 * 1024 * 1024)) "$SS_BIN/bounceseal-verify.real" "\$@" ;;
esac
exec "$SS_BIN/bounceseal-verify.real" "\$@"
SH
chmod 0755 "$SS_BIN/bounceseal-verify"

# tempfails_at_least N: sendmail has logged N deferrals by the local mailer.
tempfails_at_least() { [ "$(ms_log_lines | grep -cE 'stat=Deferred.*EX_TEMPFAIL|local.*exited with EX_TEMPFAIL')" -ge "$1" ]; }

sent=0
kept_when() {  # kept_when MODE: a real DSN to alice, the verifier failing so, stays queued
  local before_inbox before_quarantine
  before_inbox=$(ms_count bs-alice) before_quarantine=$(ms_count bs-alice .Quarantine)
  echo "$1" > "$mode"
  sent=$((sent + 1))
  if [ "$1" = oom ]; then
    # 12 MB come back in the DSN: more than the verifier can hold in 48 MB.
    { printf 'From: %s\nTo: ghost%s@example.test\nSubject: fault oom\n\n' "$alice" "$sent"
      yes 'a line of a large message that comes back whole in its bounce' | head -c 12000000; } > "$MS_DIR/big.eml"
    ms_send "$alice" "ghost$sent@example.test" "@$MS_DIR/big.eml" > /dev/null || return 1
  else
    ms_send "$alice" "ghost$sent@example.test" "Kept despite the verifier's death ($1)." \
      --header "Subject: fault $1" > /dev/null || return 1
  fi
  ms_waitfor 30 tempfails_at_least "$sent" || { echo "    no EX_TEMPFAIL from the local mailer"; return 1; }
  [ "$(ms_queue_count)" -ge "$sent" ] || { echo "    queue holds $(ms_queue_count), want $sent"; return 1; }
  [ "$(ms_count bs-alice)" -eq "$before_inbox" ] || { echo "    delivered to the inbox"; return 1; }
  [ "$(ms_count bs-alice .Quarantine)" -eq "$before_quarantine" ] || { echo "    quarantined"; return 1; }
}
check "verifier killed by SIGKILL: procmail exits 75, sendmail keeps the DSN" kept_when kill
check "verifier killed by SIGSEGV while reading: the DSN is kept" kept_when segv
check "verifier out of memory (48 MB address space, 12 MB DSN): exit 75, the DSN is kept" kept_when oom

delivered_once_fixed() {
  local before
  before=$(ms_count bs-alice)
  : > "$mode"
  ms_queue_run 60
  ms_wait_queue_empty 30 && ms_wait_maildir bs-alice $((before + sent)) 30 &&
    [ "$(ms_count bs-alice .Quarantine)" -eq 0 ] &&
    [ "$(ms_log_lines | grep -cE 'bounceseal-verify.*verdict=pass .*kind=bounce')" -ge "$sent" ]
}
check "once the verifier works again, one queue run delivers every kept DSN as genuine" delivered_once_fixed

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
