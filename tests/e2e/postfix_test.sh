#!/bin/bash
# postfix_test.sh - the default SealMode with Postfix as the milter client:
# the ten message shapes of shapes_test.sh, submitted over SMTP to a real
# Postfix 3.7 that runs bounceseal-milter as its smtpd_milters. For each,
# bounded in time:
#   1. delivered to bob with both seal parts and the original content, and
#      the seal verifies (the S/MIME signature too, with openssl cms);
#   2. sent to a nonexistent user: Postfix's own bounce returns it whole and
#      bounceseal-verify judges it pass;
#   3. that bounce with the returned body changed (returned_copy.py tamper)
#      fails body-mismatch.
#
# Postfix and sendmail are both the machine's MTA to Debian and cannot be
# installed together, so Postfix runs in a throwaway Debian 12 root
# (scripts/lib/freshroot.sh: mmdebstrap from this machine's apt sources,
# chroot in its own mount, PID, UTS and IPC namespaces) on 127.0.0.1 on a
# port of its own, with every remote transport set to error: and no DNS.
# bounceseal-milter runs on this machine, on a unix socket whose directory
# is bind-mounted into the root and open only to the root's postfix group.
# The verifier reads the bounces from the root's Maildirs.
#
# Usage: postfix_test.sh BUILD_DIR. Exit 0 all passed, 1 a check failed, 77
# skipped: not root, swaks or mmdebstrap missing, or no root could be built
# (no Debian mirror reachable). ctest label "postfix" (ctest -LE postfix
# leaves it out: building the root downloads Postfix, about a minute).
set -uo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC2034  # read by e2e_lib.sh: no sendmail needed here
E2E_MAILSTACK=0
# shellcheck source=e2e_lib.sh
. "$here/e2e_lib.sh"
# shellcheck source=../../scripts/lib/freshroot.sh
. "$E2E_TOP/scripts/lib/freshroot.sh"
for tool in mmdebstrap swaks openssl; do
  command -v "$tool" > /dev/null || { echo "skipped: $tool is missing"; exit 77; }
done
shapes_dir=$E2E_SHAPES_DIR

FR_INCLUDE=postfix
FR_HOSTNAME=mail
fr_init || exit 1
work=$FR_DIR/host
install -d -m 0755 "$work" "$work/bin" "$work/keyring"
install -d -m 0700 "$work/keys"
for p in src/milter/bounceseal-milter src/verify/bounceseal-verify src/tools/bounceseal-keygen \
         src/tools/bounceseal-inspect; do
  install -m 0755 "$build/$p" "$work/bin/" || exit 1
done
if ! root=$(fr_new postfix); then
  echo "skipped: no Debian 12 root with Postfix could be built here (see above)"
  exit 77
fi

# --- the milter, on this machine ------------------------------------------------
"$work/bin/bounceseal-keygen" -d example.test -s pfx -D "$work/keys" > /dev/null || exit 1
install -m 0644 "$work/keys/pfx.pub" "$work/keyring/"
postfix_gid=$(awk -F: '$1 == "postfix" { print $4 }' "$root/etc/passwd")
[ -n "$postfix_gid" ] || { echo "FAIL - the root has no postfix user"; exit 1; }
# Only the root's postfix group may enter the socket's directory.
sockdir=$work/milter
install -d -m 0750 -o root -g "$postfix_gid" "$sockdir"
cat > "$work/milter.conf" << EOF
[milter]
Socket = unix:$sockdir/milter.sock
SocketMode = 0666
UserID = nobody
Domain = example.test
Selector = pfx
KeyFile = $work/keys/pfx.private
EOF
"$work/bin/bounceseal-milter" -f -c "$work/milter.conf" > "$work/milter.out" 2>&1 &
milter_pid=$!
trap 'kill -TERM "$milter_pid" 2> /dev/null; wait "$milter_pid" 2> /dev/null; fr_cleanup' EXIT
sock_ready() { [ -S "$sockdir/milter.sock" ]; }
ms_waitfor 20 sock_ready || { cat "$work/milter.out"; echo "FAIL - the milter did not start"; exit 1; }

# --- Postfix, in the root --------------------------------------------------------
port=$(ms_pick_port) || exit 1
FR_BINDS=("$sockdir:/run/bounceseal")
cat > "$root/root/setup.sh" << EOF
set -e
for u in alice bob; do useradd -m "\$u"; done
postconf -e 'myhostname = mail.example.test' 'mydomain = example.test' 'myorigin = \$mydomain' \\
  'mydestination = \$myhostname, example.test, localhost' 'inet_interfaces = 127.0.0.1' \\
  'inet_protocols = ipv4' 'mynetworks = 127.0.0.0/8' 'smtpd_relay_restrictions = permit_mynetworks, reject' \\
  'local_recipient_maps =' 'alias_maps =' 'alias_database =' 'home_mailbox = Maildir/' \\
  'default_transport = error:no remote delivery in this test' \\
  'relay_transport = error:no remote delivery in this test' 'smtp_dns_support_level = disabled' \\
  'smtpd_milters = unix:/run/bounceseal/milter.sock' 'non_smtpd_milters = \$smtpd_milters' \\
  'milter_default_action = tempfail' 'milter_protocol = 6' 'maillog_file = /dev/stdout'
# smtpd on the test's port, outside Postfix's chroot (the socket is in /run).
postconf -M# smtp/inet
postconf -M '127.0.0.1:$port/inet = 127.0.0.1:$port inet n - n - - smtpd'
postfix check
EOF
fr_run "$root" 120 /bin/sh /root/setup.sh > "$work/setup.out" 2>&1 ||
  { cat "$work/setup.out"; echo "FAIL - Postfix could not be set up in the root"; exit 1; }
fr_spawn "$root" /usr/sbin/postfix start-fg > "$work/postfix.out" 2>&1
listening() { (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; }
ms_waitfor 30 listening || { cat "$work/postfix.out"; echo "FAIL - Postfix did not start"; exit 1; }
echo "Postfix $(fr_run "$root" 30 postconf -h mail_version) listens on 127.0.0.1:$port"

# --- the checks --------------------------------------------------------------------
alice=alice@example.test bob=bob@example.test
maildir() { printf '%s/home/%s/Maildir/new' "$root" "$1"; }
count() { find "$(maildir "$1")" -maxdepth 1 -type f 2> /dev/null | wc -l; }
at_least() { [ "$(count "$1")" -ge "$2" ]; }
send() {  # send FROM TO FILE
  timeout 60 swaks --server 127.0.0.1 --port "$port" --helo client.example.test --from "$1" --to "$2" \
    --data "@$3" --timeout 20 >> "$work/swaks.log" 2>&1
}
verdict() {  # verdict FILE: the verifier's verdict on FILE
  "$work/bin/bounceseal-verify" -K "$work/keyring" -r "$alice" --filter < "$1" |
    sed -n 's/^Bounce-Seal-Verdict: //p' | head -n 1
}

delivered_with_parts() {  # SHAPE
  local shape=$1 before mail
  before=$(count bob)
  send "$alice" "$bob" "$shapes_dir/$shape.eml" && ms_waitfor 30 at_least bob $((before + 1)) || return 1
  mail=$(ss_newest "$(maildir bob)")
  cp "$mail" "$work/$shape.delivered"
  e2e_sealed_with_parts "$mail" "$work/bin/bounceseal-inspect" "$work/keyring" "$alice" || return 1
  if [ "$shape" = smime-signed ]; then
    e2e_smime_verifies "$work/$shape.delivered" || { echo "    the S/MIME signature does not verify"; return 1; }
  fi
}

n=0
bounce_passes() {  # SHAPE: Postfix's bounce of a message to nobody
  local shape=$1 before v
  n=$((n + 1))
  before=$(count alice)
  send "$alice" "ghost$n@example.test" "$shapes_dir/$shape.eml" && ms_waitfor 30 at_least alice $((before + 1)) ||
    return 1
  cp "$(ss_newest "$(maildir alice)")" "$work/$shape.bounce"
  grep -q '^Bounce seal record:' "$work/$shape.bounce" || { echo "    the bounce does not return the seal parts"; return 1; }
  v=$(verdict "$work/$shape.bounce")
  [ "$v" = "pass d=example.test s=pfx" ] || { echo "    verdict: $v"; return 1; }
}

tampered_bounce_fails() {  # SHAPE
  local shape=$1 v
  [ -s "$work/$shape.bounce" ] || { echo "    no bounce to change"; return 1; }
  /usr/bin/python3 "$here/returned_copy.py" tamper "$shapes_dir/$shape.eml" "$work/$shape.bounce" \
    "$work/$shape.tampered" || return 1
  v=$(verdict "$work/$shape.tampered")
  [ "$v" = "fail (body-mismatch) d=example.test s=pfx" ] || { echo "    verdict: $v"; return 1; }
}

for shape in $E2E_SHAPES; do
  check "$shape: delivered by Postfix with both seal parts, verifies" delivered_with_parts "$shape"
  check "$shape: Postfix's own bounce passes" bounce_passes "$shape"
  check "$shape: that bounce with its returned body changed fails body-mismatch" tampered_bounce_fails "$shape"
done

echo "$e2e_passed passed, $e2e_failed failed"
[ "$e2e_failed" -eq 0 ]
