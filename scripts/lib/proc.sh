# shellcheck shell=bash
# proc.sh: fields of a process's /proc/PID/stat, read the one safe way.
# The second field is the command name in parentheses, and that name may
# hold spaces and parentheses of its own ("(sd-pam)", a program called
# "a b"), so counting words from the start of the line is wrong: the fields
# after it are counted from the last ") " instead.
# What it does not: read any other /proc file, or keep anything between
# calls (a process's state changes; read it again when it matters).

[ -n "${BS__PROC_LOADED:-}" ] && return 0
BS__PROC_LOADED=1

# bs_proc_stat PID FIELD...: prints the fields, numbered as in proc(5)
# (3 state, 14 utime, 15 stime, 22 starttime, ...; 3 and above only), one
# a line. Fails if the process is gone.
bs_proc_stat() {
  local st f
  st=$(cat "/proc/$1/stat" 2> /dev/null) || return 1
  [ -n "$st" ] || return 1
  st=${st##*) }
  read -r -a st <<< "$st"
  shift
  for f in "$@"; do printf '%s\n' "${st[f - 3]}"; done
}
