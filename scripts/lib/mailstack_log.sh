# shellcheck shell=bash
# mailstack_log.sh: the mail stack harness's log capture (part of
# mailstack.sh, which sources it; not to be sourced alone): where the log
# lines of sendmail, procmail and bounceseal really go (the systemd journal,
# the system's mail log, or a capture of its own on /dev/log through
# devlog.py), and reading and waiting on them. It stops only the listener
# it started, and only when no other instance uses it.

# ms__journald_devlog: /dev/log is systemd-journald's (as on a stock Debian
# 12, where no other syslog daemon is installed) and journalctl can read it.
ms__journald_devlog() {
  [ -S /run/systemd/journal/dev-log ] && [ "$(readlink -f /dev/log)" = /run/systemd/journal/dev-log ] &&
    command -v journalctl > /dev/null
}

# ms__probe_devlog: something is serving /dev/log.
ms__probe_devlog() {
  [ -S /dev/log ] && logger --socket-errors=on -u /dev/log -t bounceseal-harness probe 2>/dev/null
}

# ------------------------------------------------------------------ logs --

# ms__log_start: log capture. If /dev/log is served by a harness listener
# (another instance), attach to it; if it is journald's, read the journal
# from its current end; if another syslog daemon serves it, use the
# system's mail log file from its current end; if nothing serves it, start
# devlog.py on /dev/log. Every harness listener writes to one file per
# instance ($MS_DIR/maillog) through a tap; the last instance to leave stops
# it and removes the socket.
ms__log_start() {
  local shared=$MS_BASE/devlog lockfd lpid f
  install -d -m 0755 "$MS_BASE"
  exec {lockfd}>"$MS_BASE/devlog.lock"
  flock -w 15 "$lockfd" || { exec {lockfd}>&-; ms__say "devlog lock busy"; return 1; }
  lpid=$(cat "$shared/pid" 2>/dev/null || true)
  if [ -n "$lpid" ] && ms__alive "$lpid" && grep -q devlog.py "/proc/$lpid/cmdline" 2>/dev/null \
     && ms__probe_devlog; then
    ms__attach_tap "$shared"
  elif ms__journald_devlog && ms__probe_devlog; then
    MS_LOG_MODE=journal MS_LOG=journal
    MS__JOURNAL_SINCE=$(journalctl -q -n 0 --show-cursor 2>/dev/null | sed -n 's/^-- cursor: //p')
    # An empty journal has no cursor yet: everything from now on, then.
    [ -n "$MS__JOURNAL_SINCE" ] || MS__JOURNAL_SINCE=@$(( $(ms__now_us) / 1000000 - 1 ))
  elif ms__probe_devlog; then
    MS_LOG_MODE=syslog MS_LOG=''
    for f in /var/log/mail.log /var/log/maillog /var/log/syslog /var/log/messages; do
      [ -r "$f" ] && { MS_LOG=$f; break; }
    done
    if [ -n "$MS_LOG" ]; then MS__LOG_OFFSET=$(stat -c %s "$MS_LOG"); else
      MS_LOG_MODE=none; ms__say "logs go to the system syslog (no readable log file found)"; fi
  else
    # A listener of ours whose socket was removed under it: replace it.
    if [ -n "$lpid" ] && grep -q devlog.py "/proc/$lpid/cmdline" 2>/dev/null; then
      ms_stop_pid "$lpid" 5 || true
    fi
    rm -rf "$shared"
    install -d -m 0755 "$shared" "$shared/taps"
    "$MS_PYTHON" "$MS_LIBDIR/devlog.py" /dev/log "$shared/taps" >>"$shared/devlog.err" 2>&1 </dev/null &
    printf '%s\n' "$!" > "$shared/pid"
    ms__attach_tap "$shared"
    ms_waitfor 5 ms__probe_devlog || ms__say "devlog.py did not come up; see $shared/devlog.err"
  fi
  flock -u "$lockfd"; exec {lockfd}>&-
}

# ms__attach_tap SHARED: registers $MS_DIR/maillog with the shared listener;
# the owner PID in the tap lets a later instance drop taps of crashed runs.
# The tap is written under a dot name and renamed, so the listener never
# reads half of one; both steps run under the devlog lock.
ms__attach_tap() {
  : > "$MS_DIR/maillog"
  printf '%s\n%s\n' "$BASHPID" "$MS_DIR/maillog" > "$1/taps/.$MS_RUN_ID"
  mv -f "$1/taps/.$MS_RUN_ID" "$1/taps/$MS_RUN_ID"
  MS_LOG_MODE=devlog MS_LOG=$MS_DIR/maillog MS__LOG_OFFSET=0
}

# ms__log_stop: detaches from the shared listener, dropping the taps of
# crashed runs; the last one out stops it by PID and removes the /dev/log
# socket it created.
ms__log_stop() {
  local shared=$MS_BASE/devlog lockfd lpid t owner
  [ "$MS_LOG_MODE" = devlog ] || return 0
  exec {lockfd}>"$MS_BASE/devlog.lock"
  flock -w 15 "$lockfd" || { exec {lockfd}>&-; return 1; }
  rm -f "$shared/taps/$MS_RUN_ID"
  for t in "$shared"/taps/* "$shared"/taps/.[!.]*; do
    [ -f "$t" ] || continue
    # A dot name is a tap between write and rename; with the lock held here
    # no live run is writing one, so it is a crashed run's.
    case ${t##*/} in .*) rm -f "$t"; continue ;; esac
    owner=$(head -1 "$t")
    ms__alive "$owner" || rm -f "$t"
  done
  if [ -z "$(ls -A "$shared/taps" 2>/dev/null)" ]; then
    lpid=$(cat "$shared/pid" 2>/dev/null || true)
    if [ -n "$lpid" ] && grep -q devlog.py "/proc/$lpid/cmdline" 2>/dev/null; then
      ms_stop_pid "$lpid" 5 || true
    fi
    # devlog.py removes its socket on SIGTERM; this covers a SIGKILL.
    if [ -S /dev/log ] && ! ms__probe_devlog; then rm -f /dev/log; fi
    rm -rf "$shared"
  fi
  flock -u "$lockfd"; exec {lockfd}>&-
  MS_LOG_MODE=none
}

# ms_log_file: prints the file holding this instance's syslog lines
# ("journal" if they are in the systemd journal; empty if logs go to a
# system syslog whose file cannot be read).
ms_log_file() { printf '%s\n' "$MS_LOG"; }

# ms_log_lines: prints the syslog lines of this instance's lifetime, each
# as a syslog file has it ("Mon DD HH:MM:SS host tag[pid]: message").
ms_log_lines() {
  [ -n "$MS_LOG" ] || return 1
  if [ "$MS_LOG_MODE" = journal ]; then
    case $MS__JOURNAL_SINCE in
      @*) journalctl -q --no-pager -o short --since "$MS__JOURNAL_SINCE" ;;
      *) journalctl -q --no-pager -o short --after-cursor "$MS__JOURNAL_SINCE" ;;
    esac
    return
  fi
  tail -c +"$((MS__LOG_OFFSET + 1))" "$MS_LOG"
}

# ms__log_has ERE: condition for ms_wait_log.
ms__log_has() { [ -n "$MS_LOG" ] && grep -qE -- "$1" < <(ms_log_lines); }

# ms_wait_log ERE TIMEOUT: waits for a log line matching ERE. Returns 2 at
# once if no log is readable. Instances running at the same time share what
# the listener hears, so match something of this run (queue id, address,
# $MS_TAG) when that matters.
ms_wait_log() {
  [ -n "$MS_LOG" ] || { ms__say "no readable log (mode $MS_LOG_MODE)"; return 2; }
  ms_waitfor "$2" ms__log_has "$1"
}
