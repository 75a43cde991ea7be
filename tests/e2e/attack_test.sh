#!/bin/bash
# attack_test.sh - the forger's attacks of tests/unit/attacks.hpp on a real
# procmail with the shipped recipe (conf/procmailrc.example, recipe (a)),
# the central ones through a real sendmail too. The forger is bob: alice's
# mail to him is sealed by the real milter here, and he builds his attacks
# from the two messages he received (make_attacks), one sealed in its
# header, one with seal parts.
#
# For every attack: the verifier, run as the recipe runs it, says fail with
# the attack's reason (exit 1); procmail, run as sendmail runs it for alice
# (procmail -d), files the bounce in the quarantine folder, not the inbox;
# and the verifier's log line of that delivery says fail with that reason.
# Then through sendmail, with the milter no longer sealing loopback mail (so
# the spam leaves unsealed, as from a spammer's host):
#   - the spam of the backscatter attacks, sent as alice to an unknown user:
#     sendmail's own DSN returns it to alice and lands in quarantine;
#   - bounces the forger writes himself, injected over SMTP: quarantine;
#   - and what is no attack still reaches the inbox: alice's sealed mail to
#     bob, a null-sender newsletter, a real DSN of alice's genuine message.
# Usage: attack_test.sh BUILD_DIR. Exit 0 all passed, 1 a check failed,
# 77 skipped (not root, or the mail packages are missing).
set -uo pipefail
build=$(cd "$1" && pwd)
# shellcheck source=e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"

# give_up WHAT: a step the checks depend on failed; counts as a failure.
give_up() { echo "FAIL - $1"; e2e_failed=$((e2e_failed + 1)); e2e_finish; }

MS_PORT=auto
ms_init
ss_start "$build" || give_up "the stack did not start"
alice=$(ms_addr bs-alice) bob=$(ms_addr bs-bob)
work=$MS_DIR/attacks
verify=("$SS_BIN/bounceseal-verify" -K "$SS_KEYRING" -r "$alice")

# 1. What the forger holds: two genuine messages of alice's, as bob got them.
ms_send "$alice" "$bob" "The figures, as promised." --header "Subject: genuine 1" > /dev/null &&
  ms_wait_maildir bs-bob 1 30 || give_up "alice's first message did not reach bob"
plain=$(ss_newest "$(ms_maildir bs-bob)new")
ms_send "$alice" "$bob" "See the attachment." --header "Subject: genuine 2" \
  --attach-type text/csv --attach-name figures.csv --attach 'month,total' > /dev/null &&
  ms_wait_maildir bs-bob 2 30 || give_up "alice's second message did not reach bob"
multipart=$(ss_newest "$(ms_maildir bs-bob)new")
grep -q '^Bounce-Seal:' "$plain" && grep -q 'bounceseal-record.txt' "$multipart" ||
  give_up "the genuine messages are not sealed as expected"
"$build/tests/unit/make_attacks" "$plain" "$multipart" "$alice" "$work" || give_up "make_attacks"

printf '[verify]\nHeadersOnly = deny\n' > "$MS_DIR/deny.conf"

# The verifier's verdict line for FILE, run as alice's recipe runs it.
verdict_of() {  # verdict_of FILE deny|allow
  local args=("${verify[@]}" -v)
  [ "$2" = deny ] && args=("$SS_BIN/bounceseal-verify" -c "$MS_DIR/deny.conf" -K "$SS_KEYRING" -r "$alice" -v)
  "${args[@]}" < "$1" 2>&1 >/dev/null | grep '^verdict: '
  return "${PIPESTATUS[0]}"
}

# Other instances share the log listener: lines of this run are found by
# what only this run writes (a bounce's Message-ID made unique below).
verifier_lines() { ms_log_lines 2>/dev/null | grep -cE "bounceseal-verify\[[0-9]+\]: verdict=$1" || true; }
verifier_line_count_above() { [ "$(verifier_lines "$1")" -gt "$2" ]; }

# unique_id FILE ID: the bounce with its own Message-ID replaced by <ID>, so
# that the verifier's log line of its delivery can be told from others'.
unique_id() {
  awk -v id="$2" 'BEGIN { hdr = 1 }
    hdr && /^$/ { hdr = 0 }
    hdr && tolower($0) ~ /^message-id:/ { skip = 1; next }
    hdr && skip && /^[ \t]/ { next }
    { skip = 0; print }
    NR == 1 { print "Message-ID: <" id ">" }' "$1"
}

# procmail as sendmail's local mailer runs it for alice (the harness passes
# its tree with -a), with SENDER as the envelope sender.
deliver() {  # deliver SENDER FILE
  /usr/bin/procmail -Y -f "$1" -a "$MS_DIR" -d bs-alice < "$2"
}

sender_of() {  # the envelope sender the bounce's Return-Path names ("" for <>)
  local rp
  rp=$(sed -n '1s/^Return-Path: *<\(.*\)>.*/\1/p' "$1")
  [ -n "$rp" ] || head -1 "$1" | grep -q '^Return-Path:' || rp=mdaemon@mx.remote.example
  printf '%s' "${rp// /}"
}

# 2. Every attack, on real procmail with the shipped recipe.
quarantined_by_procmail() {  # NAME REASON POLICY
  local file=$work/$1.bounce line status inbox quarantine id=$1.$MS_RUN_ID@attack.test
  line=$(verdict_of "$file" "$3"); status=$?
  [ "$status" = 1 ] && [[ $line == "verdict: fail ($2)"* ]] || { echo "    verifier: exit $status, $line"; return 1; }
  unique_id "$file" "$id" > "$work/$1.delivered"
  inbox=$(ms_count bs-alice) quarantine=$(ms_count bs-alice .Quarantine)
  deliver "$(sender_of "$file")" "$work/$1.delivered" || { echo "    procmail exited $?"; return 1; }
  [ "$(ms_count bs-alice .Quarantine)" -eq $((quarantine + 1)) ] && [ "$(ms_count bs-alice)" -eq "$inbox" ] ||
    { echo "    not quarantined: inbox $(ms_count bs-alice), quarantine $(ms_count bs-alice .Quarantine)"; return 1; }
  [ -z "$(ms_log_file)" ] && return 0  # no readable log: the folder has to do
  ms_wait_log "bounceseal-verify\[[0-9]+\]: verdict=fail reason=$2 .*bounce-id=<${id//./\\.}>" 10 ||
    { echo "    the verifier's log line of the delivery does not say fail $2"; return 1; }
}

while IFS=$'\t' read -r name reason policy what; do
  check "$name ($what): fail $reason, quarantined by procmail" quarantined_by_procmail "$name" "$reason" "$policy"
done < "$work/attacks.tsv"

# 3. Through sendmail. The milter stops sealing loopback mail: the spam
# leaves the way a spammer's own host would send it, unsealed.
printf '[milter]\nInternalHosts = 192.0.2.0/24\n' > "$MS_DIR/external.conf"
ms_stop_pid "$SS_MILTER_PID" 15 && ss_start_milter -c "$MS_DIR/external.conf" || give_up "the milter did not restart"

backscatter_quarantined() {  # NAME REASON: sendmail bounces the spam to alice
  local before lines pattern="fail reason=$2 kind=bounce .*where=\"part 3 \\(message/rfc822\\)\""
  before=$(ms_count bs-alice .Quarantine) lines=$(verifier_lines "$pattern")
  ms_send "$alice" "ghost-$1@$MS_DOMAIN" "@$work/$1.spam" > /dev/null &&
    ms_wait_maildir bs-alice $((before + 1)) 30 .Quarantine || return 1
  [ -z "$(ms_log_file)" ] && return 0
  # sendmail names the DSN itself: a new line of this kind is ours (another
  # instance's can only make this check weaker, never fail it).
  ms_waitfor 10 verifier_line_count_above "$pattern" "$lines"
}
for a in genuine_attached genuine_pasted genuine_pasted_quoted copy_of_copy feedback_part_in_copy \
         feedback_report_type_copy calendar_spam lookalike_part_after_pair; do
  reason=$(awk -F'\t' -v n="$a" '$1 == n { print $2 }' "$work/attacks.tsv")
  check "through sendmail: a real DSN of the $a spam is quarantined ($reason)" backscatter_quarantined "$a" "$reason"
done

injected_quarantined() {  # NAME: the forger's own bounce, over SMTP
  local before sender
  before=$(ms_count bs-alice .Quarantine) sender=$(sender_of "$work/$1.bounce")
  sed 1d "$work/$1.bounce" > "$work/$1.smtp"   # sendmail writes its own Return-Path
  ms_send "${sender:-<>}" "$alice" "@$work/$1.smtp" > /dev/null &&
    ms_wait_maildir bs-alice $((before + 1)) 30 .Quarantine
}
for a in forged_top_seal_field genuine_top_seal_field injected_feedback_part encoded_from spaced_return_path; do
  check "through sendmail: the forger's own $a bounce is quarantined" injected_quarantined "$a"
done

# 4. What is no attack reaches the inbox.
newsletter_in_inbox() {
  local before
  before=$(ms_count bs-alice)
  printf 'From: News <news@shop.example>\nTo: %s\nSubject: offers of the week\n\nNew offers.\n' "$alice" \
    > "$MS_DIR/newsletter.eml"
  ms_send '<>' "$alice" "@$MS_DIR/newsletter.eml" > /dev/null && ms_wait_maildir bs-alice $((before + 1)) 30
}
check "a null-sender newsletter (no report, no bounce words, nothing returned) reaches the inbox" newsletter_in_inbox

sealed_mail_in_inbox() {
  local before
  before=$(ms_count bs-alice)
  ms_send '<>' "$alice" "@$plain" > /dev/null || return 1
  ms_send "$bob" "$alice" "@$multipart" > /dev/null && ms_wait_maildir bs-alice $((before + 2)) 30
}
check "alice's own sealed mail, even with a null sender, reaches the inbox (no bounce: none)" sealed_mail_in_inbox

real_dsn_in_inbox() {
  local before
  before=$(ms_count bs-alice)
  ms_stop_pid "$SS_MILTER_PID" 15 && ss_start_milter || return 1   # alice's mail is sealed again
  ms_send "$alice" "ghost@$MS_DOMAIN" "To nowhere." --header "Subject: genuine 3" > /dev/null &&
    ms_wait_maildir bs-alice $((before + 1)) 30 &&
    ms_wait_log 'bounceseal-verify.*verdict=pass .*kind=bounce' 10
}
check "a real DSN of alice's genuine message still reaches her inbox" real_dsn_in_inbox

e2e_finish
