# shellcheck shell=bash
# mailstack.sh: private mail stack harness for bounceseal's end-to-end tests
# and demo. Source it from bash (as root) and call the ms_* functions:
#
#   ms_init                    private tree under /run, loopback-only settings
#   ms_add_user bs-alice ...   test users, each with a Maildir per instance
#   ms_spawn milter CMD ...    optional: milter(s) under test, tracked by PID
#   ms_start_sendmail          private sendmail on 127.0.0.1:$MS_PORT
#   ms_send / ms_wait_* ...    drive it and wait on real conditions
#   ms_cleanup                 stop everything started, remove the tree
#
# What it does: runs a private sendmail in its own mount namespace (own
# /etc/hosts and nsswitch.conf, so it never asks a DNS server and never
# stalls on an unqualified host name), on 127.0.0.1 only, with up to two
# milters, delivering through the real procmail into Maildirs of test users
# whose recipe (the shipped conf/procmailrc.example) pipes every message to a
# verifier command. It reads the log lines where they really go: the systemd
# journal when journald owns /dev/log (a stock Debian 12), the system's mail
# log file under another syslog daemon, or, when nothing serves /dev/log (a
# container), a capture of its own.
# What it does not: touch the machine's own MTA (/etc/mail, its queue, port
# 25), send anything off the machine, or touch users other than the bs-*
# test users it creates. Parallel instances work: each has its own tree,
# port (MS_PORT=auto) and mailboxes; the test users are shared.
# Its mailboxes and SMTP traffic are in mailstack_mail.sh, its log capture
# in mailstack_log.sh; this file sources both.
#
# Settings (set before ms_init; defaults in brackets):
#   MS_PORT [2525] SMTP port, or "auto" for a free one
#   MS_SUBMIT_PORT [] optional second listener (daemon name MSA-test), or "auto"
#   MS_DOMAIN [example.test]   MS_MTA_NAME [mail.$MS_DOMAIN]
#   MS_HELO [client.example.test] name swaks greets with
#   MS_VERIFIER [] verifier command for the users' recipe, e.g.
#       "/path/bounceseal-verify --config /path/verify.conf"; the recipe
#       (conf/procmailrc.example) appends "-r <user's address>" and runs it
#       on every message. Needed before ms_add_user.
# Settings read by ms_render_cf (may change between stop and start):
#   MS_MILTER_SOCK [] first milter, e.g. unix:$MS_DIR/milter.sock; none if empty
#   MS_MILTER_FLAGS [T]  MS_MILTER_TIMEOUTS [C:10s;S:30s;R:30s;E:1m]
#   MS_MILTER_NAME [bounceseal]
#   MS_DKIM_SOCK [] second milter, applied after the first (e.g. a DKIM signer)
#   MS_DKIM_FLAGS [T]  MS_DKIM_TIMEOUTS [as above]
#   MS_MC_EXTRA_FILE [] file of extra m4 lines for the .mc (e.g. milter macros)
#   MS_LOG_LEVEL [14]  MS_QUEUE_INTERVAL [30m] (queue runs are explicit in tests)
# Other: MS_BASE [/run/bounceseal-test] parent of the trees,
#   MS_USERS_HOME [/var/lib/bounceseal-test] passwd homes of the test users,
#   KEEP=1 keeps the tree at cleanup for inspection.
# Set by the library: MS_DIR, MS_RUN_ID, MS_TAG (sendmail's syslog tag),
#   MS_LOG (the log file; "journal" when the lines are read with journalctl;
#   empty when they cannot be read), MS_LOG_MODE (devlog|journal|syslog|none),
#   MS_LAST_SEND, MS_SPAWNED_PID.
#
# Safe under set -euo pipefail; functions return non-zero instead of exiting,
# except ms__die on misuse (which ends the caller's script; its trap cleans up).
# A run whose shell dies without cleanup is reclaimed by the next ms_init:
# it stops the processes that run recorded (PID and start time) and removes
# its tree, unless the tree was kept with KEEP=1.

[ -n "${MS__LOADED:-}" ] && return 0
MS__LOADED=1

MS_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${MS_BASE:=/run/bounceseal-test}"
: "${MS_USERS_HOME:=/var/lib/bounceseal-test}"
: "${MS_PORT:=2525}"
: "${MS_SUBMIT_PORT:=}"
: "${MS_DOMAIN:=example.test}"
: "${MS_MTA_NAME:=mail.$MS_DOMAIN}"
: "${MS_HELO:=client.example.test}"
: "${MS_VERIFIER:=}"
: "${MS_MILTER_SOCK:=}"
: "${MS_MILTER_FLAGS=T}"
: "${MS_MILTER_TIMEOUTS:=C:10s;S:30s;R:30s;E:1m}"
: "${MS_MILTER_NAME:=bounceseal}"
: "${MS_DKIM_SOCK:=}"
: "${MS_DKIM_FLAGS=T}"
: "${MS_DKIM_TIMEOUTS:=C:10s;S:30s;R:30s;E:1m}"
: "${MS_MC_EXTRA_FILE:=}"
: "${MS_LOG_LEVEL:=14}"
: "${MS_QUEUE_INTERVAL:=30m}"
: "${KEEP:=0}"
MS_PYTHON=/usr/bin/python3        # Debian's; a pyenv python3 on PATH may differ
MS_DIR=${MS_DIR:-}
MS_LOG=${MS_LOG:-}
MS_LOG_MODE=${MS_LOG_MODE:-none}
MS_LAST_SEND=${MS_LAST_SEND:-}
MS_SPAWNED_PID=${MS_SPAWNED_PID:-}
MS__PIDS=()            # ms_spawn / ms_track_pid, stopped at cleanup
MS__SENDMAIL_PID=
MS__LOG_OFFSET=0
MS__JOURNAL_SINCE=     # journal mode: cursor (or @time) where this instance began
# shellcheck source=packages.sh
. "$MS_LIBDIR/packages.sh"
# shellcheck source=proc.sh
. "$MS_LIBDIR/proc.sh"
# The parts of the harness in files of their own: mailboxes and traffic,
# and the log capture.
# shellcheck source=mailstack_mail.sh
. "$MS_LIBDIR/mailstack_mail.sh"
# shellcheck source=mailstack_log.sh
. "$MS_LIBDIR/mailstack_log.sh"

# ---------------------------------------------------------------- helpers --

# ms__say MSG...: diagnostics go to stderr so they never mix with output
# that callers capture (ms_pick_port, ms_maildir, ...).
ms__say() { printf 'mailstack: %s\n' "$*" >&2; }

# ms__die MSG...: misuse or a broken machine; ends the calling script.
ms__die() { ms__say "error: $*"; exit 1; }

# ms__now_us: wall clock in microseconds (EPOCHREALTIME, locale-proof).
ms__now_us() { printf '%s' "${EPOCHREALTIME//[!0-9]/}"; }

# ms__alive PID: true while PID exists and is not a zombie.
ms__alive() {
  local st
  kill -0 "$1" 2>/dev/null || return 1
  st=$(bs_proc_stat "$1" 3) || return 1
  [ "$st" != Z ]
}

# ms__gone PID: the negation, as a condition for ms_waitfor.
ms__gone() { ! ms__alive "$1"; }

# ms__accepts PORT: something accepts TCP connections on 127.0.0.1:PORT.
# A subshell, because a failed exec redirection may end a POSIX-mode shell.
ms__accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ms__greeting PORT: prints the SMTP greeting line of 127.0.0.1:PORT and
# says QUIT (so sendmail does not log a lost connection).
ms__greeting() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    IFS= read -r -t 3 line <&3 || exit 1
    printf 'QUIT\r\n' >&3
    IFS= read -r -t 3 _ <&3 || true
    printf '%s\n' "${line%$'\r'}"
  ) 2>/dev/null
}

# ms__our_greeting: our instance (not another one) answers on MS_PORT.
ms__our_greeting() {
  local g
  g=$(ms__greeting "$MS_PORT") || return 1
  [[ $g == 220*"test instance $MS_RUN_ID"* ]]
}

# ms__ns: the command prefix that enters a fresh private mount namespace
# with this tree's hosts and nsswitch.conf bind-mounted over the real ones.
# unshare makes the new mounts private, so nothing leaks to the machine.
ms__ns() {
  # shellcheck disable=SC2016  # expanded by that inner sh, not here
  MS__NS=(unshare -m sh -c 'mount --bind "$0/hosts" /etc/hosts &&
    mount --bind "$0/nsswitch.conf" /etc/nsswitch.conf && exec "$@"' "$MS_DIR")
}

# ms__need_init: guard for functions that work on the private tree.
ms__need_init() { if [ -z "$MS_DIR" ] || [ ! -d "$MS_DIR" ]; then ms__die "call ms_init first"; fi; }

# ms__safe_path DIR: sendmail refuses files below a directory that is not
# root-owned or is group/world-writable; check the whole chain up front so
# a bad MS_BASE fails here with a clear message instead of deep in sendmail.
ms__safe_path() {
  local d=$1 uid mode
  while :; do
    read -r uid mode < <(stat -c '%u %a' "$d") || return 1
    if [ "$uid" != 0 ] || (( 8#$mode & 8#022 )); then
      ms__say "unsafe directory for sendmail: $d (owner uid $uid, mode $mode)"
      return 1
    fi
    [ "$d" = / ] && return 0
    d=$(dirname "$d")
  done
}

# ms__starttime PID: the process's start time in clock ticks since boot;
# with the PID it names one process for good, even after PID reuse.
ms__starttime() { bs_proc_stat "$1" 22; }

# ms__record_pid PID WHAT: notes a started process in $MS_DIR/pids, so a
# later run can stop it if this run's shell dies without cleaning up.
ms__record_pid() { printf '%s %s %s\n' "$1" "$(ms__starttime "$1" || echo 0)" "$2" >> "$MS_DIR/pids"; }

# ms__same_proc PID START: PID is still the process that was recorded.
ms__same_proc() { [ "$(ms__starttime "$1" 2>/dev/null)" = "$2" ]; }

# ms__reap_stale: trees in MS_BASE whose owning shell is gone (killed by a
# test runner's timeout, say) and that were not kept on purpose: stop the
# processes they recorded (only if still the same processes) and remove them.
# Without MS_BASE (ms_init DIR on a machine where no run made it yet) there
# is nothing to reap.
ms__reap_stale() {
  local t opid ostart pid start what lockfd
  [ -d "$MS_BASE" ] || return 0
  exec {lockfd}>"$MS_BASE/reap.lock"
  if ! flock -n "$lockfd"; then exec {lockfd}>&-; return 0; fi   # another run is at it
  for t in "$MS_BASE"/run.*; do
    if [ ! -f "$t/owner" ] || [ -e "$t/KEPT" ] || [ "$t" = "$MS_DIR" ]; then continue; fi
    read -r opid ostart < "$t/owner" || continue
    ms__same_proc "$opid" "$ostart" && continue
    if [ -f "$t/pids" ]; then
      while read -r pid start what; do
        ms__same_proc "$pid" "$start" || continue
        ms__say "stopping $what (pid $pid) left by ${t##*/}"
        if [ "$what" = sendmail ]; then ms__stop_session "$pid" || true; else ms_stop_pid "$pid" 10 || true; fi
      done < "$t/pids"
    fi
    rm -rf "$t"
  done
  flock -u "$lockfd"; exec {lockfd}>&-
}

# --------------------------------------------------------------- generic --

# ms_waitfor TIMEOUT CMD [ARGS...]: runs CMD every 0.1 s until it succeeds
# (returns 0) or TIMEOUT whole seconds have passed (returns 1). CMD is run
# afresh each time, so pass a function, not an already expanded test.
ms_waitfor() {
  local timeout=$1 deadline; shift
  deadline=$(( $(ms__now_us) + timeout * 1000000 ))
  while :; do
    "$@" && return 0
    (( $(ms__now_us) >= deadline )) && return 1
    sleep 0.1
  done
}

# ms_deps [--print|--check|--install]: the Debian packages the harness needs
# (group "mail" of packages.sh). --print lists them; --check lists the
# missing ones and fails if any; --install installs the missing ones.
ms_deps() {
  local mode=${1:---print} missing
  case $mode in
    --print) bs_packages mail ;;
    --check) missing=$(bs_missing_groups mail); [ -z "$missing" ] || { echo "$missing"; return 1; } ;;
    --install) bs_install_groups mail ;;
    *) ms__die "ms_deps: unknown option $mode" ;;
  esac
}

# ms_pick_port: prints a TCP port on 127.0.0.1 that is free right now.
ms_pick_port() {
  local p i
  for i in 1 2 3 4 5; do
    p=$("$MS_PYTHON" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || return 1
    ms__accepts "$p" || { printf '%s\n' "$p"; return 0; }
    : "$i"
  done
  return 1
}

# ------------------------------------------------------------ the tree --

# ms_init [DIR]: creates the private tree (DIR, which must be new or empty,
# else a fresh $MS_BASE/run.XXXXXX), picks ports, writes hosts, nsswitch,
# service.switch, aliases, local-host-names, sets up log capture and the
# postmaster test user, and installs `trap ms_cleanup EXIT` unless the
# caller has an EXIT trap of its own (which must then call ms_cleanup).
# First it reclaims trees of earlier runs whose shell died without cleanup.
ms_init() {
  local dir=${1:-} h me=$BASHPID
  [ "$(id -u)" = 0 ] || ms__die "the mail stack harness needs root"
  [ -z "$MS_DIR" ] || ms__die "ms_init: already initialised ($MS_DIR); call ms_cleanup first"
  if [ -n "$dir" ]; then
    [[ $dir == /* ]] || ms__die "ms_init: $dir is not an absolute path"
    if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then ms__die "ms_init: $dir is not empty"; fi
    install -d -m 0755 -o root -g root "$dir"
  else
    install -d -m 0755 -o root -g root "$MS_BASE"
    dir=$(mktemp -d "$MS_BASE/run.XXXXXX") || ms__die "mktemp failed in $MS_BASE"
    chmod 0755 "$dir"      # procmail, running as the test users, enters it
  fi
  ms__safe_path "$dir" || { rmdir "$dir" 2>/dev/null; ms__die "choose another MS_BASE or DIR"; }
  ms__reap_stale
  MS_DIR=$dir
  MS_RUN_ID=${dir##*/}
  MS_TAG="bs-mta-${MS_RUN_ID#run.}"
  # In a subshell `trap -p` still shows the parent's trap, which will not
  # run there; so a trap that is just ms_cleanup is (re)installed too.
  case $(trap -p EXIT) in
    ''|"trap -- 'ms_cleanup' EXIT")
      trap ms_cleanup EXIT
      trap 'exit 130' INT
      trap 'exit 143' TERM ;;
    *) ms__say "an EXIT trap is already set: make it call ms_cleanup" ;;
  esac
  printf '%s %s\n' "$me" "$(ms__starttime "$me")" > "$MS_DIR/owner"

  if [ "$MS_PORT" = auto ]; then MS_PORT=$(ms_pick_port) || ms__die "no free port"; fi
  if [ "$MS_SUBMIT_PORT" = auto ]; then
    MS_SUBMIT_PORT=$(ms_pick_port) || ms__die "no free port"
    [ "$MS_SUBMIT_PORT" != "$MS_PORT" ] || MS_SUBMIT_PORT=$(ms_pick_port)
  fi

  h=$(hostname)
  # The host's own name must map to an FQDN, or sendmail sleeps 60 s and
  # then asks the resolver from /etc/resolv.conf (not on loopback).
  printf '127.0.0.1 localhost\n127.0.0.1 %s %s\n::1 localhost ip6-localhost\n::1 %s %s\n' \
    "$MS_MTA_NAME" "$h" "$MS_MTA_NAME" "$h" > "$MS_DIR/hosts"
  printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' > "$MS_DIR/nsswitch.conf"
  printf 'hosts\tfiles\naliases\tfiles\n' > "$MS_DIR/service.switch"
  printf 'localhost\n%s\n%s\n' "$MS_MTA_NAME" "$MS_DOMAIN" > "$MS_DIR/local-host-names"
  # Administrative mail stays inside the instance, never reaching root's
  # real mailbox on the machine.
  printf 'postmaster: bs-postmaster\nMAILER-DAEMON: postmaster\nroot: postmaster\n' > "$MS_DIR/aliases"
  : > "$MS_DIR/trusted-users"
  : > "$MS_DIR/sendmail.st"
  install -d -m 0700 "$MS_DIR/queue"
  install -d -m 0755 "$MS_DIR/home"

  ms__log_start
  ms_add_user bs-postmaster --plain
}

# ------------------------------------------------------------- sendmail --

# ms_render_cf: renders sendmail.mc.in into $MS_DIR/sendmail.cf with the
# current ports and milter settings.
ms_render_cf() {
  local args=()
  ms__need_init
  args=(-D "MS_DIR=$MS_DIR" -D "MS_PORT=$MS_PORT" -D "MS_MTA_NAME=$MS_MTA_NAME"
        -D "MS_DOMAIN=$MS_DOMAIN" -D "MS_RUN_ID=$MS_RUN_ID" -D "MS_LOG_LEVEL=$MS_LOG_LEVEL")
  [ -n "$MS_SUBMIT_PORT" ] && args+=(-D "MS_SUBMIT_PORT=$MS_SUBMIT_PORT")
  if [ -n "$MS_MILTER_SOCK" ]; then
    args+=(-D "MS_MILTER_SOCK=$MS_MILTER_SOCK" -D "MS_MILTER_FLAGS=$MS_MILTER_FLAGS"
           -D "MS_MILTER_TIMEOUTS=$MS_MILTER_TIMEOUTS" -D "MS_MILTER_NAME=$MS_MILTER_NAME")
  fi
  if [ -n "$MS_DKIM_SOCK" ]; then
    args+=(-D "MS_DKIM_SOCK=$MS_DKIM_SOCK" -D "MS_DKIM_FLAGS=$MS_DKIM_FLAGS"
           -D "MS_DKIM_TIMEOUTS=$MS_DKIM_TIMEOUTS")
  fi
  [ -n "$MS_MC_EXTRA_FILE" ] && args+=(-D "MS_MC_EXTRA_FILE=$MS_MC_EXTRA_FILE")
  m4 "${args[@]}" "$MS_LIBDIR/sendmail.mc.in" > "$MS_DIR/sendmail.cf.new" || return 1
  grep -q '^O DaemonPortOptions=.*Addr=127\.0\.0\.1' "$MS_DIR/sendmail.cf.new" || {
    ms__say "rendered sendmail.cf has no loopback listener"; return 1; }
  mv -f "$MS_DIR/sendmail.cf.new" "$MS_DIR/sendmail.cf"
}

# ms_nsrun CMD [ARGS...]: runs CMD in a fresh private mount namespace that
# sees this tree's /etc/hosts and /etc/nsswitch.conf (no DNS).
ms_nsrun() {
  ms__need_init
  ms__ns
  "${MS__NS[@]}" "$@"
}

# ms_start_sendmail: (re)renders the cf if missing, builds the alias
# database and starts the sendmail daemon; returns once our greeting is
# served on 127.0.0.1:MS_PORT (at most 15 s). Fails if the port is taken.
ms_start_sendmail() {
  local cf out
  ms__need_init
  cf=$MS_DIR/sendmail.cf
  [ -s "$cf" ] || ms_render_cf || return 1
  if ms__accepts "$MS_PORT"; then
    ms__say "port $MS_PORT on 127.0.0.1 is in use (set MS_PORT=auto)"; return 1
  fi
  [ -n "$MS_SUBMIT_PORT" ] && ms__accepts "$MS_SUBMIT_PORT" && {
    ms__say "port $MS_SUBMIT_PORT on 127.0.0.1 is in use"; return 1; }
  out=$MS_DIR/sendmail.out
  ms_nsrun /usr/sbin/sendmail -C "$cf" -bi >>"$out" 2>&1 || { ms__say "newaliases failed, see $out"; return 1; }
  rm -f "$MS_DIR/sendmail.pid"
  # -bd forks the daemon and returns; the daemon stays in the namespace.
  ms_nsrun /usr/sbin/sendmail -L"$MS_TAG" -bd -q"$MS_QUEUE_INTERVAL" -C "$cf" >>"$out" 2>&1 \
    || { ms__say "sendmail -bd failed, see $out"; return 1; }
  if ! ms_waitfor 15 ms__our_greeting; then
    ms__say "sendmail did not answer on 127.0.0.1:$MS_PORT within 15 s; see $out and ms_log_file"
    [ -s "$MS_DIR/sendmail.pid" ] && MS__SENDMAIL_PID=$(head -1 "$MS_DIR/sendmail.pid")
    return 1
  fi
  ms_waitfor 5 test -s "$MS_DIR/sendmail.pid" || return 1
  MS__SENDMAIL_PID=$(head -1 "$MS_DIR/sendmail.pid")
  ms__record_pid "$MS__SENDMAIL_PID" sendmail
}

# ms_sendmail_pid: PID of the running daemon (empty if none).
ms_sendmail_pid() { printf '%s\n' "$MS__SENDMAIL_PID"; }

# ms__stop_session PID: stops PID, then whatever is left in its session.
# sendmail's daemon calls setsid(), so its session holds exactly what it
# forked (deliveries, procmail, the verifier); bounded waits, PIDs checked.
ms__stop_session() {
  local pid=$1 kids p
  kids=$(ps -o pid= --sid "$pid" 2>/dev/null | tr -d ' ' | grep -vx "$pid" || true)
  ms_stop_pid "$pid" 10 || true
  for p in $kids; do
    # Only if it is still in that session: the PID may have been reused.
    [ "$(ps -o sid= -p "$p" 2>/dev/null | tr -d ' ')" = "$pid" ] || continue
    ms_stop_pid "$p" 5 || true
  done
  ! ms__alive "$pid"
}

# ms_stop_sendmail: stops the daemon by PID, and then its children.
ms_stop_sendmail() {
  local pid=$MS__SENDMAIL_PID
  [ -z "$pid" ] && [ -n "$MS_DIR" ] && [ -s "$MS_DIR/sendmail.pid" ] && pid=$(head -1 "$MS_DIR/sendmail.pid")
  [ -n "$pid" ] || return 0
  MS__SENDMAIL_PID=
  ms__stop_session "$pid"
}

# ------------------------------------------------------ other processes --

# ms_spawn NAME CMD [ARGS...]: starts CMD in the background inside a private
# namespace (so it never uses DNS either), output to $MS_DIR/NAME.out, and
# tracks its PID (also left in MS_SPAWNED_PID) for ms_cleanup. CMD must stay
# in the foreground; for a daemon that forks, use ms_track_pid on its PID.
ms_spawn() {
  local name=$1; shift
  ms__need_init
  ms__ns
  "${MS__NS[@]}" "$@" >>"$MS_DIR/$name.out" 2>&1 </dev/null &
  MS_SPAWNED_PID=$!
  MS__PIDS+=("$MS_SPAWNED_PID")
  ms__record_pid "$MS_SPAWNED_PID" "$name"
}

# ms_track_pid PID: have ms_cleanup stop PID too.
ms_track_pid() { MS__PIDS+=("$1"); ms__record_pid "$1" tracked; }

# ms_stop_pid PID [TIMEOUT]: SIGTERM, wait up to TIMEOUT s (default 10:
# libmilter programs take about 5 s to exit), then SIGKILL.
ms_stop_pid() {
  local pid=$1 t=${2:-10}
  ms__alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  ms_waitfor "$t" ms__gone "$pid" && return 0
  ms__say "pid $pid ignored SIGTERM for $t s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  ms_waitfor 2 ms__gone "$pid"
}

# --------------------------------------------------------------- cleanup --

# ms_cleanup: stops everything this instance started, by PID and bounded:
# sendmail and its children first (so no new milter connections), then the
# tracked processes (all signalled at once, so libmilter's ~5 s exits
# overlap), then the log listener if no other instance uses it; removes the
# tree unless KEEP=1. Always returns 0, so as an EXIT trap it leaves the
# script's exit status alone even under set -e. Safe to call twice.
ms_cleanup() {
  local p
  [ -n "$MS_DIR" ] || return 0
  ms_stop_sendmail || ms__say "sendmail did not stop"
  for p in "${MS__PIDS[@]}"; do
    if ms__alive "$p"; then kill -TERM "$p" 2>/dev/null || true; fi
  done
  for p in "${MS__PIDS[@]}"; do ms_stop_pid "$p" 10 || ms__say "pid $p did not stop"; done
  MS__PIDS=()
  ms__log_stop || ms__say "could not detach from the log listener"
  if [ "$KEEP" = 1 ]; then
    : > "$MS_DIR/KEPT" || true      # not reclaimed by later runs
    ms__say "kept $MS_DIR"
  else
    rm -rf "$MS_DIR" || ms__say "could not remove $MS_DIR"
  fi
  MS_DIR='' MS_LOG='' MS_RUN_ID='' MS_TAG=''
  return 0
}
