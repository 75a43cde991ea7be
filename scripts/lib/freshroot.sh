# shellcheck shell=bash
# freshroot.sh: throwaway minimal Debian 12 roots, to run something on a
# machine that has nothing installed yet (the README's commands, an MTA that
# must not replace this machine's own). Source it from bash, as root:
#
#   fr_init                    per-run work directory under $FR_BASE; installs
#                              `trap fr_cleanup EXIT` unless one is set
#   fr_pristine                builds this run's pristine root once (mmdebstrap,
#                              minbase + $FR_INCLUDE) as a tarball; prints its path
#   fr_new NAME                a new root extracted from that tarball, with
#                              /etc/hostname and /etc/hosts as a fresh machine
#                              has them and a policy-rc.d that lets no
#                              package start a service; prints its path
#   fr_clone ROOT SRC COMMIT DIR   git clone of SRC into ROOT/DIR at COMMIT,
#                              checked to be exactly that commit
#   fr_run ROOT TIMEOUT CMD... CMD as root in ROOT (chroot, private mount, PID,
#                              UTS and IPC namespaces, /proc /sys /dev /run of
#                              its own), killed with all it started after TIMEOUT s
#   fr_spawn ROOT CMD...       the same in the background (a daemon in the
#                              foreground, e.g. postfix start-fg); PID in
#                              FR_SPAWNED_PID; fr_stop PID ends it
#   fr_remove ROOT             removes one root;  fr_cleanup  removes the run
#
# What it does: mmdebstrap (mode root) from the Debian repositories of this
# machine's apt configuration (apt-get indextargets: same mirror, suites and
# components; apt's HTTP proxy if one is set), never a hard-coded mirror. The
# pristine tarball lives only as long as the run: a root is always extracted
# from it afresh, never reused after something was installed into it. Every
# mount is made inside a private mount namespace whose only processes are
# the command's (a PID namespace: when its first process ends, the kernel
# ends the rest), so no mount outlives a run, even one killed with SIGKILL.
# What it does not: give the root a network of its own (it shares this
# machine's, which apt needs: hence the policy-rc.d, so that no package's
# daemon starts listening here; remove it to see what a machine without one
# does), boot an init system, or copy anything of this machine into the
# root but apt's sources, resolv.conf and what FR_BINDS names.
#
# Settings (before fr_init; defaults in brackets):
#   FR_BASE [/var/tmp/bounceseal-fresh]  parent of the run directories
#   FR_SUITE [bookworm]      Debian release of the roots
#   FR_INCLUDE [systemd]     packages added to minbase (a Debian 12 machine
#                            has systemd, though not as PID 1 here)
#   FR_HOSTNAME [fresh]      host name inside (its own UTS namespace); like
#                            a Debian installer given no domain, /etc/hosts
#                            maps it, unqualified, to 127.0.1.1
#   FR_BUILD_TIMEOUT [1200]  seconds for mmdebstrap
# Read by fr_run / fr_spawn (may change between calls):
#   FR_BINDS=()              "HOST_PATH:PATH_IN_ROOT[:ro]" bind mounts
#   FR_JOURNALD [0]          1: start systemd-journald first and let it own
#                            /dev/log, as on a stock Debian 12 (needs systemd
#                            in the root)
# Set by the library: FR_DIR (this run's directory), FR_TARBALL,
#   FR_SPAWNED_PID, FR_LOG (mmdebstrap's output).
#
# Safe under set -euo pipefail: functions return non-zero and say why on
# standard error. A run whose shell died without cleanup is removed by the
# next fr_init (after checking that nothing is mounted below it).

[ -n "${FR__LOADED:-}" ] && return 0
FR__LOADED=1
# shellcheck source=proc.sh
. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

: "${FR_BASE:=/var/tmp/bounceseal-fresh}"
: "${FR_SUITE:=bookworm}"
: "${FR_INCLUDE:=systemd}"
: "${FR_HOSTNAME:=fresh}"
: "${FR_BUILD_TIMEOUT:=1200}"
: "${FR_JOURNALD:=0}"
FR_DIR=${FR_DIR:-}
FR_TARBALL=${FR_TARBALL:-}
FR_LOG=${FR_LOG:-}
FR_SPAWNED_PID=
FR__PIDS=()
[ "${FR_BINDS+set}" = set ] || FR_BINDS=()

fr__say() { printf 'freshroot: %s\n' "$*" >&2; }

# fr__starttime PID: start time in clock ticks since boot (PID + this names
# one process for good).
fr__starttime() { bs_proc_stat "$1" 22; }

# fr__mounted_below DIR: something in this mount namespace is mounted at or
# below DIR.
fr__mounted_below() {
  local d
  d=$(realpath -m "$1")
  awk -v d="$d" '$5 == d || index($5, d "/") == 1 { found = 1 } END { exit !found }' \
    /proc/self/mountinfo
}

# fr__rmtree DIR: removes DIR, refusing if anything is mounted below it.
fr__rmtree() {
  [ -e "$1" ] || return 0
  if fr__mounted_below "$1"; then
    fr__say "not removing $1: something is mounted below it"; return 1
  fi
  rm -rf --one-file-system -- "$1"
}

# fr__reap_stale: run directories whose owning shell is gone.
fr__reap_stale() {
  local d opid ostart
  for d in "$FR_BASE"/run.*; do
    [ -f "$d/owner" ] || continue
    read -r opid ostart < "$d/owner" || continue
    [ "$(fr__starttime "$opid" 2>/dev/null)" = "$ostart" ] && continue
    fr__say "removing ${d##*/}, left by a run that did not clean up"
    fr__rmtree "$d" || true
  done
}

# fr_init: this run's directory and the cleanup trap.
fr_init() {
  local me=$BASHPID
  [ "$(id -u)" = 0 ] || { fr__say "fresh roots need root"; return 1; }
  [ -z "$FR_DIR" ] || { fr__say "fr_init: already initialised ($FR_DIR)"; return 1; }
  install -d -m 0755 -o root -g root "$FR_BASE" || return 1
  fr__reap_stale
  FR_DIR=$(mktemp -d "$FR_BASE/run.XXXXXX") || return 1
  chmod 0755 "$FR_DIR"
  printf '%s %s\n' "$me" "$(fr__starttime "$me")" > "$FR_DIR/owner"
  FR_LOG=$FR_DIR/mmdebstrap.log
  if [ -z "$(trap -p EXIT)" ]; then
    trap fr_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
  fi
}

# fr_sources: the one-line apt sources of this machine's Debian repositories
# for FR_SUITE (the release and its -updates and -security suites), as apt
# itself resolved them from its configuration.
fr_sources() {
  # shellcheck disable=SC2016  # apt's own $(FIELD) placeholders
  apt-get indextargets --format 'deb $(REPO_URI) $(RELEASE) $(COMPONENT)' \
      'Created-By: Packages' 'Target-Of: deb' 2>/dev/null |
    awk -v s="$FR_SUITE" '$3 == s || index($3, s "-") == 1' | sort -u
}

# fr__aptopts: mmdebstrap options carrying apt's proxy settings, if any.
fr__aptopts() {
  local key value
  for key in Acquire::http::Proxy Acquire::https::Proxy; do
    value=$(apt-config dump "$key" 2>/dev/null | sed -n "s/^$key \"\(.*\)\";$/\1/p")
    [ -n "$value" ] && printf -- '--aptopt=%s "%s"\n' "$key" "$value"
  done
  return 0
}

# fr_pristine: builds this run's pristine tarball (once) and prints its path.
fr_pristine() {
  local sources include=() opts=() started
  [ -n "$FR_DIR" ] || { fr__say "call fr_init first"; return 1; }
  if [ -n "$FR_TARBALL" ] && [ -s "$FR_TARBALL" ]; then printf '%s\n' "$FR_TARBALL"; return 0; fi
  command -v mmdebstrap > /dev/null || { fr__say "mmdebstrap is missing (Debian package mmdebstrap)"; return 1; }
  sources=$FR_DIR/sources.list
  fr_sources > "$sources"
  if [ ! -s "$sources" ]; then
    fr__say "this machine's apt has no repository for $FR_SUITE (apt-get update first?)"; return 1
  fi
  [ -n "$FR_INCLUDE" ] && include=("--include=${FR_INCLUDE// /,}")
  grep -q '^deb https:' "$sources" && include+=(--include=ca-certificates)
  mapfile -t opts < <(fr__aptopts)
  started=$SECONDS
  # Its own mount namespace: whatever mmdebstrap mounts cannot outlive it.
  # TMPDIR: its scratch root lives in this run's directory, removed with it.
  if ! TMPDIR=$FR_DIR timeout -k 10 "$FR_BUILD_TIMEOUT" unshare --mount --propagation private \
      mmdebstrap --mode=root --variant=minbase "${include[@]}" "${opts[@]}" \
      "$FR_SUITE" "$FR_DIR/pristine.tar" "$sources" > "$FR_LOG" 2>&1; then
    fr__say "mmdebstrap failed (or took more than $FR_BUILD_TIMEOUT s); its log:"
    tail -n 20 "$FR_LOG" >&2
    rm -f "$FR_DIR/pristine.tar"
    return 1
  fi
  FR_TARBALL=$FR_DIR/pristine.tar
  fr__say "pristine $FR_SUITE root built in $((SECONDS - started)) s ($(du -m "$FR_TARBALL" | cut -f1) MB)"
  printf '%s\n' "$FR_TARBALL"
}

# fr_new NAME: extracts a new root ($FR_DIR/NAME) from the pristine tarball
# and prints its path. It must not exist yet: roots are never reused.
fr_new() {
  local root
  [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || { fr__say "fr_new: bad name '$1'"; return 1; }
  fr_pristine > /dev/null || return 1
  root=$FR_DIR/$1
  [ ! -e "$root" ] || { fr__say "fr_new: $root exists; a root is never reused"; return 1; }
  install -d -m 0755 "$root"
  timeout 600 tar -C "$root" --numeric-owner -xpf "$FR_TARBALL" || { fr__say "extracting $FR_TARBALL failed"; return 1; }
  printf '%s\n' "$FR_HOSTNAME" > "$root/etc/hostname"
  printf '#!/bin/sh\n# freshroot.sh: this root shares its host'"'"'s network; no service starts.\nexit 101\n' \
    > "$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  # What a first boot does: journald and dbus need a machine ID.
  [ -s "$root/etc/machine-id" ] ||
    printf '%s\n' "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" > "$root/etc/machine-id"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n' \
    "$FR_HOSTNAME" > "$root/etc/hosts"
  printf '%s\n' "$root"
}

# fr_clone ROOT SRC COMMIT DIR: clones the git repository SRC into ROOT/DIR
# (DIR absolute inside the root) and checks out COMMIT, detached; fails
# unless the clone's HEAD is then exactly COMMIT with a clean tree.
fr_clone() {
  local root=$1 src=$2 commit=$3 dir=$4 dest head
  dest=$root$dir
  [ ! -e "$dest" ] || { fr__say "fr_clone: $dest exists"; return 1; }
  timeout 600 git clone -q --no-hardlinks "$src" "$dest" || { fr__say "git clone $src failed"; return 1; }
  git -C "$dest" -c advice.detachedHead=false checkout -q --detach "$commit" ||
    { fr__say "commit $commit is not in the clone of $src"; return 1; }
  head=$(git -C "$dest" rev-parse HEAD)
  if [ "$head" != "$(git -C "$src" rev-parse --verify "$commit^{commit}")" ]; then
    fr__say "the clone is at $head, not at $commit"; return 1
  fi
  if [ -n "$(git -C "$dest" status --porcelain --untracked-files=all)" ]; then
    fr__say "the clone at $head is not clean"; return 1
  fi
  chown -R 0:0 "$dest"
}

# The script run by the namespace's first process: mounts, then CMD in the
# chroot. Arguments: ROOT HOSTNAME JOURNALD BIND... -- CMD...
# shellcheck disable=SC2016  # expanded by that sh, not here
FR__INNER='set -e
root=$1 host=$2 journald=$3; shift 3
# The root a mount point of its own, as / is on a machine: else "unshare -m"
# inside (the mail stack runs sendmail that way) cannot make / private.
mount --bind "$root" "$root"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
# systemd programs (journald) want to find their control group.
mount -t cgroup2 -o ro,nosuid,nodev,noexec cgroup2 "$root/sys/fs/cgroup" 2> /dev/null || true
mount -t tmpfs -o mode=0755,nosuid,size=64m tmpfs "$root/dev"
for n in null zero full random urandom tty; do
  : > "$root/dev/$n"; mount --bind "/dev/$n" "$root/dev/$n"
done
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mkdir -m 0755 "$root/dev/pts"; mkdir -m 1777 "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"
mount -t tmpfs -o mode=0755,nosuid,nodev,size=256m tmpfs "$root/run"
mkdir -m 1777 "$root/run/lock"
while [ "$1" != -- ]; do
  src=${1%%:*} rest=${1#*:}; dst=${rest%%:*} opt=${rest#"$dst"}
  mkdir -p "$root$dst"
  mount --bind "$src" "$root$dst"
  [ "$opt" = :ro ] && mount -o remount,bind,ro "$root$dst"
  shift
done
shift
hostname "$host"
env="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=${TERM:-dumb}"
if [ "$journald" = 1 ]; then
  mkdir -p "$root/run/systemd/journal"
  env -i $env chroot "$root" /lib/systemd/systemd-journald > /dev/null 2>&1 &
  i=0
  while [ ! -S "$root/run/systemd/journal/dev-log" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  [ -S "$root/run/systemd/journal/dev-log" ] || { echo "freshroot: systemd-journald did not start" >&2; exit 1; }
  ln -sf /run/systemd/journal/dev-log "$root/dev/log"
fi
cd "$root"
env -i $env chroot "$root" /bin/sh -c "cd /root && exec \"\$@\"" sh "$@"'

# fr__cmd ROOT CMD...: sets FR__CMD to the command line that runs CMD in ROOT.
fr__cmd() {
  local root=$1 b; shift
  if [ ! -d "$root/etc" ] || [ ! -x "$root/bin/sh" ]; then fr__say "$root is not a root"; return 1; fi
  FR__CMD=(unshare --mount --pid --uts --ipc --fork --kill-child --propagation private
           /bin/sh -c "$FR__INNER" fr-inner "$root" "$FR_HOSTNAME" "$FR_JOURNALD")
  for b in "${FR_BINDS[@]}"; do FR__CMD+=("$b"); done
  FR__CMD+=(-- "$@")
}

# fr_run ROOT TIMEOUT CMD...: runs CMD in ROOT, standard streams as given;
# returns its status, or 124 if it ran out of time (then everything it
# started is killed with it).
fr_run() {
  local root=$1 limit=$2; shift 2
  fr__cmd "$root" "$@" || return 1
  timeout -k 10 "$limit" "${FR__CMD[@]}"
}

# fr_spawn ROOT CMD...: starts CMD in ROOT in the background; its PID (the
# namespace's keeper) in FR_SPAWNED_PID. fr_cleanup stops it.
fr_spawn() {
  local root=$1; shift
  fr__cmd "$root" "$@" || return 1
  "${FR__CMD[@]}" &
  FR_SPAWNED_PID=$!
  FR__PIDS+=("$FR_SPAWNED_PID")
}

# fr_stop PID [TIMEOUT]: SIGTERM to a spawned root command, SIGKILL after
# TIMEOUT s (default 10); either way the kernel then ends the rest of its
# PID namespace.
fr_stop() {
  local pid=$1 t=${2:-10} i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < t * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# fr_remove ROOT: removes a root of this run.
fr_remove() {
  case $1 in "$FR_DIR"/?*) ;; *) fr__say "fr_remove: $1 is not a root of this run"; return 1 ;; esac
  fr__rmtree "$1"
}

# fr_cleanup: stops what fr_spawn started and removes this run's directory
# (roots and pristine tarball). Always returns 0; safe to call twice.
fr_cleanup() {
  local p
  for p in "${FR__PIDS[@]}"; do fr_stop "$p" 10; done
  FR__PIDS=()
  if [ -n "$FR_DIR" ]; then
    if [ "${KEEP:-0}" = 1 ]; then fr__say "kept $FR_DIR"
    else fr__rmtree "$FR_DIR" || fr__say "could not remove $FR_DIR"; fi
  fi
  FR_DIR='' FR_TARBALL=''
  return 0
}
