#!/bin/bash
# dkim_order_test.sh - bounceseal and a DKIM signer in one real sendmail:
# with bounceseal-milter declared before OpenDKIM (as the README and
# conf/sendmail.mc.example say), the delivered message carries a DKIM
# signature that verifies and a seal that verifies; with the order reversed,
# the seal changes the body after signing and the DKIM signature breaks.
# The signature is checked offline with python3-dkim and the test's own
# public key (no DNS). Usage: dkim_order_test.sh BUILD_DIR. Exit 0 passed,
# 1 failed, 77 skipped (not root, or the packages are missing).
set -uo pipefail
build=$(cd "$1" && pwd)
# shellcheck disable=SC2034  # read by e2e_lib.sh
E2E_PACKAGES="opendkim opendkim-tools python3-dkim"
# shellcheck source=e2e_lib.sh
. "$(dirname "$0")/e2e_lib.sh"

MS_PORT=auto
ms_init
ss_start "$build" || { echo "FAIL - the stack did not start"; exit 1; }
alice=$(ms_addr bs-alice) bob=$(ms_addr bs-bob)

# OpenDKIM, signing for example.test with a key made here.
install -d -m 0700 "$MS_DIR/dkim"
opendkim-genkey -b 2048 -d example.test -s e2e -D "$MS_DIR/dkim" || exit 1
dkim_sock=$MS_DIR/opendkim.sock
cat > "$MS_DIR/dkim/opendkim.conf" <<EOF
Syslog yes
Mode s
Domain example.test
Selector e2e
KeyFile $MS_DIR/dkim/e2e.private
Canonicalization relaxed/simple
SignatureAlgorithm rsa-sha256
InternalHosts 127.0.0.1
Socket local:$dkim_sock
UMask 007
Background no
EOF
ms_spawn opendkim opendkim -f -x "$MS_DIR/dkim/opendkim.conf"
dkim_ready() { [ -S "$dkim_sock" ]; }
ms_waitfor 20 dkim_ready || { cat "$MS_DIR/opendkim.out"; echo "FAIL - opendkim did not start"; exit 1; }
# The TXT record opendkim-genkey wrote, as one string for the offline check.
dns_txt=$(tr -d '\n' < "$MS_DIR/dkim/e2e.txt" | sed -E 's/^[^(]*\(//; s/\).*$//; s/"[[:space:]]*"//g; s/[[:space:]]*"//g')

dkim_verifies() {  # dkim_verifies FILE: exit 0 if its DKIM-Signature verifies
  /usr/bin/python3 - "$1" "$dns_txt" <<'PY'
import sys, dkim
msg = open(sys.argv[1], "rb").read()
txt = sys.argv[2].encode()
ok = dkim.verify(msg, dnsfunc=lambda name, timeout=5: txt if name == b"e2e._domainkey.example.test." else None)
sys.exit(0 if ok else 1)
PY
}

# With an attachment: the default SealMode appends the seal parts, which
# changes the body and nothing in the header (a wrap would change the
# Content-Type as well), so the signature breaks on the body alone.
deliver() {  # deliver SUBJECT: alice -> bob; prints the delivered file
  local before
  before=$(ms_count bs-bob)
  ms_send "$alice" "$bob" "Signed twice: sealed and DKIM." --header "Subject: $1" \
    --attach-type text/csv --attach-name figures.csv --attach 'month,total' > /dev/null &&
    ms_wait_maildir bs-bob $((before + 1)) 30 && ss_newest "$(ms_maildir bs-bob)new"
}

restart_with() {  # restart_with FIRST_SOCK SECOND_SOCK: milters in this order
  ms_stop_sendmail
  MS_MILTER_SOCK=$1 MS_MILTER_NAME=first
  MS_DKIM_SOCK=$2
  ms_render_cf && ms_start_sendmail
}

sealed_then_signed() {
  local mail
  restart_with "unix:$SS_SOCK" "local:$dkim_sock" || return 1
  mail=$(deliver "bounceseal first") || return 1
  grep -q '^DKIM-Signature:' "$mail" && grep -q '^Bounce-Seal:' "$mail" &&
    grep -q 'bounceseal-record.txt' "$mail" || return 1
  dkim_verifies "$mail" || { echo "    DKIM does not verify"; return 1; }
  "$SS_BIN/bounceseal-inspect" -K "$SS_KEYRING" < "$mail" | grep -q '^  verdict: pass$'
}
check "bounceseal before OpenDKIM: the DKIM signature and the seal both verify" sealed_then_signed

signed_then_sealed() {
  local mail
  restart_with "local:$dkim_sock" "unix:$SS_SOCK" || return 1
  mail=$(deliver "DKIM first") || return 1
  grep -q '^DKIM-Signature:' "$mail" && grep -q '^Bounce-Seal:' "$mail" &&
    grep -q 'bounceseal-record.txt' "$mail" || return 1
  ! dkim_verifies "$mail"
}
check "OpenDKIM before bounceseal: the seal changes the signed body and DKIM breaks" signed_then_sealed

e2e_finish
