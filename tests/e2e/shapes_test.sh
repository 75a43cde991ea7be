#!/bin/bash
# shapes_test.sh - the default SealMode on ten message shapes, through a
# real sendmail with bounceseal-milter (F=T) and real procmail piping
# bounces to bounceseal-verify: plain 7bit, 8bit UTF-8, 8bit Latin-1,
# quoted-printable UTF-8, no MIME fields at all, an empty body,
# multipart/alternative, multipart/mixed with an attachment, a forwarded
# message/rfc822 and an S/MIME signed message. For each, bounded in time:
#   1. delivered to bob with both seal parts and the original content,
#      and the seal verifies (for the S/MIME message, its signature too:
#      openssl cms -verify on the first part, and a changed copy must fail);
#   2. sent to a nonexistent user: sendmail's real DSN returns it whole, and
#      the verifier lets it into alice's inbox;
#   3. that DSN with the returned body changed (returned_copy.py tamper) is
#      quarantined as body-mismatch.
# The Postfix test (postfix_test.sh) runs the same shapes through Postfix.
# Usage: shapes_test.sh BUILD_DIR. Exit 0 all passed, 1 a check failed,
# 77 skipped (not root, or the mail packages are missing).
set -uo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=e2e_lib.sh
. "$here/e2e_lib.sh"
shapes_dir=$E2E_SHAPES_DIR

MS_PORT=auto
ms_init
ss_start "$build" || { echo "FAIL - the stack did not start"; exit 1; }
alice=$(ms_addr bs-alice) bob=$(ms_addr bs-bob)

delivered_with_parts() {  # SHAPE: to bob, sealed with both parts, verifies
  local shape=$1 before mail
  before=$(ms_count bs-bob)
  ms_send "$alice" "$bob" "@$shapes_dir/$shape.eml" > /dev/null && ms_wait_maildir bs-bob $((before + 1)) 30 || return 1
  mail=$(ss_newest "$(ms_maildir bs-bob)new")
  cp "$mail" "$MS_DIR/$shape.delivered"
  e2e_sealed_with_parts "$mail" "$SS_BIN/bounceseal-inspect" "$SS_KEYRING" "$alice" || return 1
  if [ "$shape" = smime-signed ]; then
    e2e_smime_verifies "$MS_DIR/$shape.delivered" || { echo "    the S/MIME signature does not verify"; return 1; }
    sed 's/contract is attached/contract is detached/' "$MS_DIR/$shape.delivered" > "$MS_DIR/smime-changed"
    ! e2e_smime_verifies "$MS_DIR/smime-changed" > /dev/null || { echo "    a changed S/MIME copy verified"; return 1; }
  fi
}

n=0
real_bounce_passes() {  # SHAPE: the DSN of a message to nobody is let in
  local shape=$1 before quarantined
  n=$((n + 1))
  before=$(ms_count bs-alice) quarantined=$(ms_count bs-alice .Quarantine)
  ms_send "$alice" "ghost$n@example.test" "@$shapes_dir/$shape.eml" > /dev/null &&
    ms_wait_maildir bs-alice $((before + 1)) 30 || return 1
  [ "$(ms_count bs-alice .Quarantine)" -eq "$quarantined" ] || { echo "    quarantined"; return 1; }
  grep -v '^Return-Path:' "$(ss_newest "$(ms_maildir bs-alice)new")" > "$MS_DIR/$shape.dsn"
  grep -q "^Bounce seal record:" "$MS_DIR/$shape.dsn" || { echo "    the DSN does not return the seal parts"; return 1; }
}

# mismatches: how many body-mismatch verdicts the verifier has logged.
mismatches() { ms_log_lines | grep -cE 'bounceseal-verify.*verdict=fail reason=body-mismatch'; }
mismatches_at_least() { [ "$(mismatches)" -ge "$1" ]; }
tampered_bounce_quarantined() {  # SHAPE: the same DSN, its returned body changed
  local shape=$1 before logged
  [ -s "$MS_DIR/$shape.dsn" ] || { echo "    no DSN to change"; return 1; }
  /usr/bin/python3 "$here/returned_copy.py" tamper "$shapes_dir/$shape.eml" "$MS_DIR/$shape.dsn" \
    "$MS_DIR/$shape.tampered" || return 1
  before=$(ms_count bs-alice .Quarantine) logged=$(mismatches)
  ms_send '<>' "$alice" "@$MS_DIR/$shape.tampered" > /dev/null &&
    ms_wait_maildir bs-alice $((before + 1)) 30 .Quarantine &&
    ms_waitfor 10 mismatches_at_least $((logged + 1))
}

for shape in $E2E_SHAPES; do
  check "$shape: delivered with both seal parts, verifies" delivered_with_parts "$shape"
  check "$shape: sendmail's real DSN passes into the inbox" real_bounce_passes "$shape"
  check "$shape: the DSN with its returned body changed is quarantined (body-mismatch)" \
    tampered_bounce_quarantined "$shape"
done

e2e_finish
