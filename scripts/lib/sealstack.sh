# shellcheck shell=bash
# shellcheck disable=SC2034  # SS_* and MS_* are read by mailstack.sh and the callers
# sealstack.sh: bounceseal on the private mail stack of mailstack.sh, for the
# demo and the end-to-end tests. Source mailstack.sh first, then call
#
#   ss_start BUILD_DIR   key, bounceseal-milter, test users whose procmail
#                        pipes bounces to bounceseal-verify, sendmail
#
# What it does: copies the built programs into the private tree (procmail
# runs the verifier as a test user, who may not be able to enter the build
# directory), makes a throwaway key (selector "demo", domain example.test),
# starts the milter as user nobody on a Unix socket with F=T, and starts
# sendmail with it. Sets SS_BIN, SS_KEY, SS_KEYRING, SS_MILTER_PID, SS_SOCK.
# What it does not: install packages or build; stop anything (ms_cleanup
# stops all it started).

[ -n "${SS__LOADED:-}" ] && return 0
SS__LOADED=1

# ss_sock_ready: condition for ms_waitfor: the milter's socket exists.
ss_sock_ready() { [ -S "$SS_SOCK" ]; }

# ss_start_milter [ARGS...]: starts bounceseal-milter with the demo key and
# any extra ARGS (e.g. -c FILE); waits for its socket.
# shellcheck disable=SC2120  # the e2e tests pass ARGS
ss_start_milter() {
  rm -f "$SS_SOCK"
  ms_spawn milter "$SS_BIN/bounceseal-milter" -f -p "unix:$SS_SOCK" -k "$SS_KEY" -s demo -d example.test \
    -u nobody "$@"
  SS_MILTER_PID=$MS_SPAWNED_PID
  ms_waitfor 20 ss_sock_ready || { cat "$MS_DIR/milter.out" >&2; return 1; }
}

# ss_start BUILD_DIR [MILTER-ARGS...]: the whole stack; MILTER-ARGS are
# added to the milter's command line.
ss_start() {
  local build=$1 p; shift
  SS_BIN=$MS_DIR/bin
  SS_KEYRING=$MS_DIR/keyring
  SS_SOCK=$MS_DIR/milter.sock
  install -d -m 0755 "$SS_BIN" "$SS_KEYRING"
  install -d -m 0700 "$MS_DIR/keys"
  for p in src/milter/bounceseal-milter src/verify/bounceseal-verify src/tools/bounceseal-keygen \
           src/tools/bounceseal-sign src/tools/bounceseal-inspect; do
    install -m 0755 "$build/$p" "$SS_BIN/" || return 1
  done
  "$SS_BIN/bounceseal-keygen" -d example.test -s demo -D "$MS_DIR/keys" > "$MS_DIR/keygen.out" || return 1
  SS_KEY=$MS_DIR/keys/demo.private
  install -m 0644 "$MS_DIR/keys/demo.pub" "$SS_KEYRING/demo.pub"
  ss_start_milter "$@" || return 1
  MS_MILTER_SOCK=unix:$SS_SOCK
  MS_VERIFIER="$SS_BIN/bounceseal-verify -K $SS_KEYRING"
  ms_add_user bs-alice && ms_add_user bs-bob || return 1
  ms_start_sendmail
}

# ss_newest DIR: path of the newest file in DIR.
ss_newest() { find "$1" -maxdepth 1 -type f -printf '%T@ %p\n' | sort -n | tail -n 1 | cut -d' ' -f2-; }

# ss_expired_bounce FILE ADDRESS AGE_DAYS: writes a DSN to ADDRESS returning a
# message of ADDRESS sealed AGE_DAYS ago with the stack's key.
ss_expired_bounce() {
  local out=$1 addr=$2 old
  old=$(( $(date +%s) - $3 * 86400 ))
  {
    printf 'From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\nTo: %s\n' "$addr"
    printf 'Subject: Returned mail: see transcript for details\nMIME-Version: 1.0\n'
    printf 'Content-Type: multipart/report; report-type=delivery-status; boundary="old"\n\n'
    printf -- '--old\n\nThe original message was received long ago and could not be delivered.\n\n'
    printf -- '--old\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n'
    printf 'Final-Recipient: RFC822; someone@example.net\nAction: failed\nStatus: 5.1.1\n\n'
    printf -- '--old\nContent-Type: message/rfc822\n\n'
    printf 'From: %s\nTo: someone@example.net\nSubject: old news\nMessage-ID: <old-%s@example.test>\n\nSent long ago.\n' \
      "$addr" "$old" |
      "$SS_BIN/bounceseal-sign" -k "$SS_KEY" -d example.test -s demo -f "$addr" -t "$old"
    printf -- '\n--old--\n'
  } > "$out"
}
