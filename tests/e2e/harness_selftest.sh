#!/bin/bash
# harness_selftest.sh: self-test of the private mail stack harness
# (scripts/lib/mailstack.sh), runnable by CI (as root) and by ctest.
#
# What it checks, with a stand-in verifier written at run time and no milter:
# plain delivery, a real sendmail DSN accepted by the verifier, a forged
# null-sender bounce quarantined, a verifier tempfail keeping the DSN queued
# until a later queue run, sendmail's milter wiring (a second instance run
# at the same time, with a milter socket configured but nobody listening and
# F=T, must tempfail SMTP), and that cleanup leaves nothing running.
# What it does not check: bounceseal itself (milter, verifier); the project's
# end-to-end tests do that on top of this harness.
#
# Prints one line per check ("ok N - ..." or "FAIL N - ..."), then a summary.
# Exit 0 all passed, 1 a check failed, 77 skipped (not root, packages missing
# or no mount namespaces; set MS_SELFTEST_INSTALL=1 to install the packages).
# Every wait has a deadline; the whole run takes a few seconds. KEEP=1 keeps
# the private trees for inspection.

# MS_* settings are read by the sourced library; the second instance's
# settings live in a subshell on purpose; ms_init's argument is optional.
# shellcheck disable=SC2034,SC2030,SC2031,SC2119
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/mailstack.sh
. "$HERE/../../scripts/lib/mailstack.sh"

T_START=$(ms__now_us)
n=0 pass=0 fail=0
T_CHECK=$T_START
ok()  { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $* (${T_NOTE:-$(( ($(ms__now_us) - T_CHECK) / 1000 )) ms})"; T_CHECK=$(ms__now_us); }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "FAIL $n - $*"; T_CHECK=$(ms__now_us); }
skip() { echo "SKIP - $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "the harness needs root"
if [ "${MS_SELFTEST_INSTALL:-0}" = 1 ]; then ms_deps --install >/dev/null; fi
if lacking=$(ms_deps --check); then :; else skip "missing packages: $(echo "$lacking" | tr '\n' ' ')"; fi
unshare -m true 2>/dev/null || skip "cannot create a mount namespace (needs CAP_SYS_ADMIN)"

# Whether /dev/log worked before we started: cleanup must leave it that way.
DEVLOG_BEFORE=0
ms__probe_devlog && DEVLOG_BEFORE=1

# Default to a free port so a second run, or another instance, never clashes.
[ "${MS_PORT:-2525}" = 2525 ] && MS_PORT=auto
ms_init
ALICE=$(ms_addr bs-alice) BOB=$(ms_addr bs-bob)
MARK="harness-$MS_RUN_ID"            # header the stand-in accepts, unique per run
CTL=$MS_DIR/verifier.tempfail        # present: the stand-in fails with 75

# The stand-in verifier, same contract as bounceseal-verify: every message
# on stdin (the shipped recipe pipes them all), "-r <recipient>", exit 0 no
# bounce or genuine / 1 forged / 75 internal error. It looks for the marker
# only inside the returned original, as the real one must.
cat > "$MS_DIR/standin-verifier" <<EOF
#!/bin/sh
# stand-in bounce verifier of the harness self-test
rcpt=
[ "\${1:-}" = -r ] && rcpt=\${2:-}
msg=\$(cat)
if [ -e "$CTL" ]; then verdict=TEMPFAIL rc=75
elif ! printf '%s\n' "\$msg" | grep -qE '^Return-Path: *<(MAILER-DAEMON)?>'; then verdict=NONE rc=0
elif printf '%s\n' "\$msg" | sed -n '/^Content-Type: message\/rfc822/,\$p' | grep -q '^X-Harness-Marker: $MARK\$'
then verdict=ACCEPT rc=0
else verdict=DISCARD rc=1
fi
echo "\$verdict -r \$rcpt" >> "\$HOME/verifier.log"
exit \$rc
EOF
chmod 0755 "$MS_DIR/standin-verifier"
MS_VERIFIER=$MS_DIR/standin-verifier
ms_add_user bs-alice
ms_add_user bs-bob
VLOG=$(ms_user_home bs-alice)/verifier.log

if ms_start_sendmail; then
  ok "private sendmail answers on 127.0.0.1:$MS_PORT (log: $MS_LOG_MODE)"
else
  bad "private sendmail did not start"; exit 1
fi
SM_PID=$(ms_sendmail_pid)

# --- milter wiring, in a second instance running alongside this one -------
# A subshell has its own copy of the harness state, and its own EXIT trap.
MILTER_OUT=$MS_DIR/milter-check.txt
(
  MS_DIR='' MS__SENDMAIL_PID='' MS__PIDS=() MS_PORT=auto MS_LOG_MODE=none MS_LOG=''
  trap ms_cleanup EXIT
  {
    ms_init
    MS_MILTER_SOCK="unix:$MS_DIR/milter.sock" MS_MILTER_FLAGS=T
    if ! ms_render_cf || ! ms_start_sendmail; then echo "FAIL second instance did not start"; exit 0; fi
    port=$MS_PORT tree=$MS_DIR pid=$(ms_sendmail_pid)
    if ms_send "$(ms_addr bs-alice)" "$(ms_addr bs-bob)" 'never delivered'; then
      echo "FAIL milter socket configured but absent, F=T: message was accepted"
    elif grep -qE '^<\*\* +4[0-9][0-9][ -]' "$MS_LAST_SEND"; then
      echo "ok milter socket configured but absent, F=T: SMTP tempfail $(grep -m1 -oE '4[0-9][0-9] [0-9.]+ .*' "$MS_LAST_SEND")"
    else
      echo "FAIL milter tempfail: no 4xx reply in: $(tr '\n' ' ' < "$MS_LAST_SEND")"
    fi
    ms_cleanup
    if ms__gone "$pid" && ! ms__accepts "$port" && [ ! -e "$tree" ] || [ "$KEEP" = 1 ]; then
      echo "ok second instance cleaned up (port $port closed)"
    else
      echo "FAIL second instance left pid $pid, port $port or $tree"
    fi
  } > "$MILTER_OUT" 2>&1
) &
MILTER_JOB=$!

# --- 1. plain delivery --------------------------------------------------------
if ms_send "$ALICE" "$BOB" 'hello bob' --header 'Subject: harness check 1' \
   && ms_wait_maildir bs-bob 1 10 \
   && grep -qx 'hello bob' "$(ms_maildir bs-bob)"/new/*; then
  ok "bs-alice -> bs-bob over SMTP lands in bob's Maildir"
else
  bad "plain delivery to bs-bob (see $MS_DIR/swaks.log)"
fi

# --- 2. real DSN, accepted by the verifier -------------------------------------
dsn_ok() {
  local f
  f=$(find "$(ms_maildir bs-alice)/new" -type f -print -quit)
  [ -n "$f" ] || return 1
  grep -q '^Return-Path: <MAILER-DAEMON>' "$f" \
    && grep -q 'report-type=delivery-status' "$f" \
    && grep -q '^Status: 5\.1\.1' "$f" \
    && grep -q '^Content-Type: message/rfc822' "$f" \
    && grep -q "^X-Harness-Marker: $MARK\$" "$f" \
    && grep -qx 'to nobody' "$f"
}
if ms_send "$ALICE" "ghost@$MS_DOMAIN" 'to nobody' --header "X-Harness-Marker: $MARK" \
   && ms_wait_maildir bs-alice 1 15 && dsn_ok \
   && grep -sqx "ACCEPT -r $ALICE" "$VLOG"; then
  ok "unknown local user: real DSN with the full original, verifier accepted it into alice's inbox"
else
  bad "DSN path (verifier log: $(tr '\n' ' ' 2>/dev/null < "$VLOG"))"
fi

# --- 3. forged bounce -> Quarantine ----------------------------------------------
cat > "$MS_DIR/forged-bounce.eml" <<EOF
From: Mail Delivery Subsystem <MAILER-DAEMON@elsewhere.test>
To: <$ALICE>
Subject: Returned mail: see transcript for details
Date: $(date -R)
Message-Id: <forged.$MS_RUN_ID@elsewhere.test>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BB"

--BB

Backscatter: alice never sent this.

--BB
Content-Type: message/delivery-status

Reporting-MTA: dns; elsewhere.test

Final-Recipient: rfc822; victim@elsewhere.test
Action: failed
Status: 5.1.1

--BB
Content-Type: message/rfc822

From: $ALICE
To: victim@elsewhere.test
Subject: spam with a forged sender

buy now

--BB--
EOF
inbox=$(ms_count bs-alice)
if ms_send '<>' "$ALICE" "@$MS_DIR/forged-bounce.eml" \
   && ms_wait_maildir bs-alice 1 15 .Quarantine \
   && [ "$(ms_count bs-alice)" -eq "$inbox" ] && grep -sqx "DISCARD -r $ALICE" "$VLOG"; then
  ok "forged null-sender bounce over SMTP lands in alice's Quarantine, inbox untouched"
else
  bad "forged bounce: quarantine $(ms_count bs-alice .Quarantine), inbox $(ms_count bs-alice)"
fi

# --- 4. verifier tempfail keeps the DSN queued; a later queue run delivers ----------
queued() { [ "$(ms_queue_count)" -ge 1 ]; }
vlog_tempfail() { grep -sqx "TEMPFAIL -r $ALICE" "$VLOG"; }
inbox=$(ms_count bs-alice)
touch "$CTL"
deferred=0
if ms_send "$ALICE" "ghost2@$MS_DOMAIN" 'to nobody' --header "X-Harness-Marker: $MARK"; then
  if [ -n "$(ms_log_file)" ]; then
    ms_wait_log "to=<$ALICE>.*stat=Deferred: local mailer \(/usr/bin/procmail\) exited with EX_TEMPFAIL" 15 \
      && ms_waitfor 5 queued && deferred=1
  else
    ms_waitfor 15 vlog_tempfail && ms_waitfor 5 queued && deferred=1
  fi
fi
if [ "$deferred" = 1 ] && [ "$(ms_count bs-alice)" -eq "$inbox" ]; then
  if [ -n "$(ms_log_file)" ]; then
    ok "verifier exit 75: sendmail logs stat=Deferred (EX_TEMPFAIL), DSN stays queued"
  else
    ok "verifier exit 75: DSN stays queued (no readable log to show stat=Deferred)"
  fi
else
  bad "tempfail path: queue $(ms_queue_count), inbox $(ms_count bs-alice)"
fi
rm -f "$CTL"
if [ "$deferred" = 1 ] && ms_queue_run 30 && ms_wait_maildir bs-alice $((inbox + 1)) 15 \
   && ms_wait_queue_empty 15 && [ "$(tail -1 "$VLOG")" = "ACCEPT -r $ALICE" ]; then
  ok "after the fault is gone a queue run delivers the queued DSN, queue empty"
else
  bad "retry: queue $(ms_queue_count), inbox $(ms_count bs-alice)"
fi

# --- 5. the second instance (milter wiring) ---------------------------------------
wait "$MILTER_JOB" || true
T_NOTE="ran alongside"
while IFS= read -r line; do
  case $line in
    ok\ *) ok "${line#ok }" ;;
    FAIL\ *) bad "${line#FAIL }" ;;
    *) echo "  | $line" ;;
  esac
done < "$MILTER_OUT"
MILTER_CHECKS=$(grep -cE '^(ok|FAIL) ' "$MILTER_OUT" || true)
[ "$MILTER_CHECKS" -ge 2 ] || bad "second instance reported $MILTER_CHECKS of 2 checks"
T_NOTE=''

# --- 6. cleanup -------------------------------------------------------------------
PORT=$MS_PORT TREE=$MS_DIR
# Zombies do not count: they hold no resources, and where PID 1 does not
# reap orphans (some containers) they stay in the table forever.
live() { awk '$2 !~ /^Z/ { n++ } END { exit n ? 0 : 1 }'; }
sess_left() { ps -o pid=,stat= --sid "$SM_PID" 2>/dev/null | live; }
user_procs() { ps -o pid=,stat= -u bs-alice,bs-bob,bs-postmaster 2>/dev/null | live; }
ms_cleanup
problems=()
ms__alive "$SM_PID" && problems+=("sendmail $SM_PID still running")
sess_left && problems+=("processes left in sendmail's session")
ms__accepts "$PORT" && problems+=("port $PORT still accepts")
user_procs && problems+=("test users still have processes")
[ "$KEEP" = 1 ] || [ ! -e "$TREE" ] || problems+=("$TREE not removed")
# Under the harness's log lock, so another instance detaching right now
# cannot make the state look half-done.
exec {lockfd}>"$MS_BASE/devlog.lock"
if flock -w 15 "$lockfd"; then
  if [ -d "$MS_BASE/devlog/taps" ] && [ -n "$(ls -A "$MS_BASE/devlog/taps")" ]; then
    echo "  | log listener still used by another running instance; not checked"
  elif [ "$DEVLOG_BEFORE" = 0 ]; then
    [ -e /dev/log ] && problems+=("/dev/log left behind")
    [ -e "$MS_BASE/devlog" ] && problems+=("log listener state left behind")
  fi
  flock -u "$lockfd"
else
  problems+=("log lock busy for 15 s")
fi
exec {lockfd}>&-
if [ "${#problems[@]}" -eq 0 ]; then
  ok "cleanup: no sendmail, child, listener, test-user process or tree left"
else
  bad "cleanup: ${problems[*]}"
fi

echo "$pass passed, $fail failed in $(( ($(ms__now_us) - T_START) / 1000 )) ms"
[ "$fail" -eq 0 ]
