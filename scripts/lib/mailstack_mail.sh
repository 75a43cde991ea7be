# shellcheck shell=bash
# mailstack_mail.sh: the mail stack harness's mailboxes and traffic (part
# of mailstack.sh, which sources it; not to be sourced alone): the test
# users' addresses, homes and Maildirs with the shipped procmail recipe,
# SMTP sends through swaks, and waits on Maildirs and the queue. It starts
# no process but swaks and a queue run, and reads its settings and MS_DIR
# from mailstack.sh.

# ms_addr USER: the test user's mail address.
ms_addr() { printf '%s@%s\n' "$1" "$MS_DOMAIN"; }

# ms_user_home USER: the user's home for this instance (HOME during delivery).
ms_user_home() { printf '%s/home/%s\n' "$MS_DIR" "$1"; }

# ms_maildir USER [FOLDER]: the user's Maildir, or a folder in it (e.g.
# .Quarantine), for this instance.
ms_maildir() { printf '%s/Maildir/%s\n' "$(ms_user_home "$1")" "${2:-}"; }

# ms_count USER [FOLDER]: number of messages in the Maildir (new and cur).
ms_count() {
  local d
  d=$(ms_maildir "$1" "${2:-}")
  { find "$d/new" "$d/cur" -maxdepth 1 -type f 2>/dev/null || true; } | wc -l
}

# ms__render_rc USER OUT: the shipped recipe, conf/procmailrc.example (its
# recipe (a)), with the harness's verifier command as VERIFY, the user's
# address as ME and a procmail log; nothing else of it changes, so the tests
# run what an administrator installs. Bash substitution: any characters in
# the verifier command are taken as they are.
ms__render_rc() {
  local t verify_line='VERIFY=/usr/bin/bounceseal-verify' me_line='ME=alice@example.org'
  t=$(<"$MS_LIBDIR/../../conf/procmailrc.example")
  [[ $t == *"$verify_line"* && $t == *"$me_line"* && $t == *$'\nSHELL=/bin/sh\n'* ]] \
    || ms__die "conf/procmailrc.example lacks its VERIFY=, ME= or SHELL= line"
  # Quoted replacements: bash 5.2 would otherwise expand "&" in them.
  t=${t/"$verify_line"/"VERIFY=\"$MS_VERIFIER\""}
  t=${t/"$me_line"/"ME=$(ms_addr "$1")"}
  t=${t/$'\nSHELL=/bin/sh\n'/$'\nSHELL=/bin/sh\nLOGFILE=$HOME/procmail.log\nLOGABSTRACT=all\n'}
  printf '%s\n' "$t" > "$2"
}

# ms_add_user NAME [--plain]: makes sure the system test user NAME exists
# (names must start with "bs-"; an existing account is used only if it is
# one of ours, i.e. its home is under MS_USERS_HOME) and gives it a Maildir
# and a recipe for this instance. --plain: inbox only, no verifier. The
# account's ~/.procmailrc is a fixed dispatcher that hands over to the
# recipe in the tree of the instance delivering (passed as procmail's $1),
# which is why parallel instances do not share mailboxes. Idempotent.
ms_add_user() {
  local name=$1 plain=${2:-} home rc tmp d grp
  ms__need_init
  [[ $name =~ ^bs-[a-z0-9][a-z0-9-]{0,28}$ ]] \
    || ms__die "ms_add_user: test user names look like bs-alice (got '$name')"
  if [ "$plain" != --plain ] && [ -z "$MS_VERIFIER" ]; then
    ms__die "ms_add_user: set MS_VERIFIER (the verifier command) first"
  fi
  install -d -m 0755 -o root -g root "$MS_USERS_HOME"
  if ! id -u "$name" >/dev/null 2>&1; then
    # A parallel instance may create it at the same moment: then useradd
    # fails and the account exists, which is all we need.
    useradd --system --user-group --no-create-home --home-dir "$MS_USERS_HOME/$name" \
      --shell /usr/sbin/nologin --comment "bounceseal mail harness test user" "$name" \
      2>/dev/null || id -u "$name" >/dev/null 2>&1 || ms__die "useradd $name failed"
  fi
  home=$(getent passwd "$name" | cut -d: -f6)
  [ "$home" = "$MS_USERS_HOME/$name" ] \
    || ms__die "ms_add_user: $name exists with home $home, not a harness test user; not touching it"
  install -d -m 0755 -o "$name" -g "$(id -gn "$name")" "$home"
  rc="$home/.procmailrc"
  tmp=$(mktemp "$home/.procmailrc.XXXXXX")
  cat > "$tmp" <<'EOF'
# ~/.procmailrc of a bounceseal mail harness test user (written by the
# harness; safe to delete together with the account). The harness's private
# sendmail passes its private tree as $1; the recipe and mailboxes for that
# instance live in <tree>/home/<user>. Mail from elsewhere takes procmail's
# default path.
SHELL=/bin/sh
MS_TREE=$1
:0
* MS_TREE ?? ^^/
{
  HOME=$MS_TREE/home/$LOGNAME
  SWITCHRC=$HOME/.procmailrc
  # Reached only if that recipe is unreadable: keep the mail queued.
  EXITCODE=75
  HOST
}
EOF
  chown "$name:$(id -gn "$name")" "$tmp"; chmod 0644 "$tmp"
  mv -f "$tmp" "$rc"          # atomic: a parallel delivery never sees half a file

  home=$(ms_user_home "$name")
  grp=$(id -gn "$name")
  install -d -m 0700 -o "$name" -g "$grp" "$home" "$home/Maildir"
  for d in "$home/Maildir" "$home/Maildir/.Quarantine"; do
    install -d -m 0700 -o "$name" -g "$grp" "$d" "$d/new" "$d/cur" "$d/tmp"
  done
  if [ "$plain" = --plain ]; then
    # shellcheck disable=SC2016  # procmail variables, written literally
    printf 'SHELL=/bin/sh\nLOGFILE=$HOME/procmail.log\nDEFAULT=$HOME/Maildir/\n' > "$home/.procmailrc"
  else
    ms__render_rc "$name" "$home/.procmailrc"
  fi
  # procmail ignores a recipe that is group/world-writable or owned by others.
  chown "$name:$grp" "$home/.procmailrc"; chmod 0644 "$home/.procmailrc"
}

# --------------------------------------------------------------- traffic --

# ms_send FROM TO [BODY|@FILE] [SWAKS-ARGS...]: one SMTP transaction to the
# instance via swaks (FROM may be '<>' for a null sender; @FILE sends FILE as
# the whole message). The transcript goes to $MS_LAST_SEND and is appended to
# $MS_DIR/swaks.log. Returns swaks's status (non-zero on any 4xx/5xx).
ms_send() {
  local from=$1 to=$2 data=${3:-} rc=0 args
  shift 2; [ $# -gt 0 ] && shift
  ms__need_init
  args=(--server 127.0.0.1 --port "$MS_PORT" --helo "$MS_HELO" --from "$from" --to "$to" --timeout 20)
  case $data in
    @*) args+=(--data "$data") ;;
    '') ;;
    *) args+=(--body "$data") ;;
  esac
  MS_LAST_SEND=$MS_DIR/last-send.txt
  timeout 60 swaks "${args[@]}" "$@" >"$MS_LAST_SEND" 2>&1 || rc=$?
  cat "$MS_LAST_SEND" >> "$MS_DIR/swaks.log"
  return "$rc"
}

# ms__has_count USER COUNT [FOLDER]: condition for ms_wait_maildir.
ms__has_count() { [ "$(ms_count "$1" "${3:-}")" -ge "$2" ]; }

# ms_wait_maildir USER COUNT TIMEOUT [FOLDER]: waits until the user's Maildir
# (or FOLDER, e.g. .Quarantine) holds at least COUNT messages.
ms_wait_maildir() { ms_waitfor "$3" ms__has_count "$1" "$2" "${4:-}"; }

# ms_queue_count: messages in this instance's queue.
ms_queue_count() { find "$MS_DIR/queue" -maxdepth 1 -name 'qf*' -type f 2>/dev/null | wc -l; }

# ms__queue_empty: condition for ms_wait_queue_empty.
ms__queue_empty() { [ "$(ms_queue_count)" -eq 0 ]; }

# ms_queue_run [TIMEOUT]: one queue run in the foreground (-qf, no forked
# workers), bounded by TIMEOUT s (default 60).
ms_queue_run() {
  ms__need_init
  ms__ns
  timeout "${1:-60}" "${MS__NS[@]}" /usr/sbin/sendmail -L"$MS_TAG" -C "$MS_DIR/sendmail.cf" -qf \
    >>"$MS_DIR/sendmail.out" 2>&1
}

# ms_wait_queue_empty TIMEOUT: waits until the queue is empty (the daemon's
# own queue runners fork, so poll rather than trust any one command).
ms_wait_queue_empty() { ms_waitfor "$1" ms__queue_empty; }
