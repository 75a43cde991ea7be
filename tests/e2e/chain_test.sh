#!/bin/bash
# chain_test.sh - bounceseal end to end on a real sendmail and real procmail:
# bounceseal-milter in sendmail's INPUT_MAIL_FILTER (F=T), procmail piping
# bounces to bounceseal-verify. Checks, each bounded in time:
#   1. mail submitted over SMTP is delivered sealed with the header field
#      and both seal parts (a plain message wrapped, a message with an
#      attachment appended to), and the seal verifies;
#   2. mail to an unknown user: sendmail's real DSN is let into the inbox;
#   3. a forged bounce (no seal) is quarantined;
#   4. a seal replayed in a bounce to another mailbox is quarantined;
#   5. a tampered bounce and 6. an expired one are quarantined;
#   7. the verifier's own fault (unreadable keyring) makes procmail exit 75:
#      sendmail keeps the DSN queued; once fixed, a queue run delivers it;
#   8. the milter killed in the middle of a transaction: with F=T sendmail
#      tempfails the message (the client keeps it), nothing is delivered
#      unsealed; restarted, the next message is sealed again.
# Usage: chain_test.sh BUILD_DIR. Exit 0 all passed, 1 a check failed,
# 77 skipped (not root, or the mail packages are missing).
set -uo pipefail
build=$(cd "$1" && pwd)
# shellcheck source=e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"


MS_PORT=auto
ms_init
ss_start "$build" || { echo "FAIL - the stack did not start"; exit 1; }
alice=$(ms_addr bs-alice) bob=$(ms_addr bs-bob)
inbox() { ms_maildir "$1"; }

# 1. sealed on the way out
sealed_and_verifies() {
  ms_send "$alice" "$bob" "Hello Bob, from the chain test." --header "Subject: chain 1" > /dev/null &&
    ms_wait_maildir bs-bob 1 30 || return 1
  local mail
  mail=$(ss_newest "$(inbox bs-bob)new")
  grep -q '^Bounce-Seal:' "$mail" && grep -q 'bounceseal-record.txt' "$mail" &&
    "$SS_BIN/bounceseal-inspect" -K "$SS_KEYRING" -r "$alice" < "$mail" | grep -q '^  verdict: pass$' || return 1
  ms_send "$alice" "$bob" "See the figures." --header "Subject: chain 1b" \
    --attach-type text/csv --attach-name figures.csv --attach 'month,total' > /dev/null &&
    ms_wait_maildir bs-bob 2 30 || return 1
  mail=$(ss_newest "$(inbox bs-bob)new")
  grep -q '^Bounce-Seal:' "$mail" && grep -q 'bounceseal-record.txt' "$mail" &&
    "$SS_BIN/bounceseal-inspect" -K "$SS_KEYRING" -r "$alice" < "$mail" | grep -q '^  verdict: pass$'
}
check "mail submitted over SMTP is delivered sealed (plain and with an attachment, both with the parts) and verifies" sealed_and_verifies

# 2. the real DSN of sendmail
real_dsn_in_inbox() {
  ms_send "$alice" "ghost@example.test" "To nowhere." --header "Subject: chain 2" \
    --attach-type text/csv --attach-name figures.csv --attach 'month,total' > /dev/null &&
    ms_wait_maildir bs-alice 1 30 &&
    ms_wait_log 'bounceseal-verify.*verdict=pass .*kind=bounce' 10 &&
    [ "$(ms_count bs-alice .Quarantine)" -eq 0 ]
}
check "a real sendmail DSN for an unknown user passes into the sender's inbox" real_dsn_in_inbox
dsn=$(ss_newest "$(inbox bs-alice)new")

quarantined_with() {  # quarantined_with USER FILE REASON: injected as a bounce, lands in quarantine
  local before
  before=$(ms_count "$1" .Quarantine)
  ms_send '<>' "$(ms_addr "$1")" "@$2" > /dev/null &&
    ms_wait_maildir "$1" $((before + 1)) 30 .Quarantine &&
    ms_wait_log "bounceseal-verify.*verdict=fail reason=$3" 10
}

# 3. forged
check "a forged bounce (no seal) is quarantined" \
  quarantined_with bs-alice "$E2E_TOP/tests/data/bounces/forged-dsn.eml" no-seal

# 4. replay into another mailbox: alice's real DSN sent to bob
grep -v '^Return-Path:' "$dsn" > "$MS_DIR/replayed.eml"
check "a real seal replayed in a bounce to another mailbox is quarantined (binding-mismatch)" \
  quarantined_with bs-bob "$MS_DIR/replayed.eml" binding-mismatch

# 5. tampered
sed 's/To nowhere\./To somewhere./' "$MS_DIR/replayed.eml" > "$MS_DIR/tampered.eml"
check "a tampered bounce is quarantined (body-mismatch)" \
  quarantined_with bs-alice "$MS_DIR/tampered.eml" body-mismatch

# 6. expired
ss_expired_bounce "$MS_DIR/expired.eml" "$alice" 30
check "an expired bounce is quarantined" quarantined_with bs-alice "$MS_DIR/expired.eml" expired

# 7. the verifier's own fault keeps the mail
verifier_fault_keeps_mail() {
  local before
  before=$(ms_count bs-alice)
  chmod 0700 "$SS_KEYRING"          # the verifier (running as bs-alice) cannot read it
  ms_send "$alice" "ghost2@example.test" "Kept despite the fault." --header "Subject: chain 7" > /dev/null &&
    ms_wait_log 'stat=Deferred.*EX_TEMPFAIL|local mailer.*exited with EX_TEMPFAIL' 30 || { chmod 0755 "$SS_KEYRING"; return 1; }
  [ "$(ms_queue_count)" -ge 1 ] && [ "$(ms_count bs-alice)" -eq "$before" ] || { chmod 0755 "$SS_KEYRING"; return 1; }
  chmod 0755 "$SS_KEYRING"
  ms_queue_run 60
  ms_wait_queue_empty 30 && ms_wait_maildir bs-alice $((before + 1)) 30
}
check "an unreadable keyring: verifier exits 75, sendmail keeps the DSN, delivers it once fixed" \
  verifier_fault_keeps_mail

# 8. milter killed mid-transaction, F=T
milter_killed_mid_transaction() {
  local before out
  before=$(ms_count bs-bob)
  out=$(/usr/bin/python3 - "$MS_PORT" "$alice" "$bob" "$SS_MILTER_PID" <<'PY'
import os, signal, smtplib, sys, time
port, sender, rcpt, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.test", timeout=30)
s.ehlo()
s.mail(sender)
s.rcpt(rcpt)
os.kill(pid, signal.SIGKILL)          # the milter dies between RCPT and DATA
deadline = time.time() + 10
while time.time() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        break
    time.sleep(0.05)
code, msg = s.data(b"Subject: chain 8\r\n\r\nsent while the milter died\r\n")
print(code)
s.quit()
PY
  )
  [ "${out:0:1}" = 4 ] || { echo "    DATA answered $out, expected 4xx"; return 1; }
  ss_start_milter || return 1
  ms_send "$alice" "$bob" "After the restart." --header "Subject: chain 8b" > /dev/null &&
    ms_wait_maildir bs-bob $((before + 1)) 30 || return 1
  [ "$(ms_count bs-bob)" -eq $((before + 1)) ] &&
    grep -q '^Bounce-Seal:' "$(ss_newest "$(inbox bs-bob)new")"
}
check "milter killed mid-transaction: sendmail tempfails (F=T), nothing unsealed is delivered; sealed again after restart" \
  milter_killed_mid_transaction

e2e_finish
