# shellcheck shell=bash
# packages.sh: the Debian 12 packages bounceseal needs, by purpose, and the
# one way to install them. Sourced by scripts/test, scripts/demo,
# scripts/bench, .ci/run and the mail stack harness.
#
#   bs_install_groups GROUP...   installs what the groups need and is missing
#   bs_missing_groups GROUP...   prints the missing packages of the groups
#   bs_missing_packages PKG...   prints those of PKG that are not installed
#   bs_packages GROUP...         prints the packages of the groups, one a line
#   bs_other_mta                 prints why this machine has an MTA that
#                                installing sendmail would replace
#
# What it does: checks dpkg for each package and installs only what is
# missing, with apt-get (root only). sendmail-bin's postinst stalls for a
# minute and asks DNS when the host name is unqualified, so apt runs in a
# private mount namespace whose /etc/hosts gives the host a full name and
# whose policy-rc.d denies every start, so that no postinst starts a service
# (whatever the machine's own policy-rc.d says). It refuses to install sendmail-bin on a machine
# whose MTA is another one (Debian would remove that MTA to make room), and
# when it does install sendmail-bin it disables the system's sendmail
# service, which the package enables: the project runs its own private
# sendmail and needs none at boot.
# What it does not: configure anything, or touch /etc/mail. Installing
# sendmail-bin leaves what its package makes: /etc/mail, /etc/cron.d/sendmail,
# a "sendmail: all" line in /etc/hosts.allow, the users smmta and smmsp
# (README.md says so; `apt-get purge sendmail-base` removes all but the
# hosts.allow line).

[ -n "${BS__PACKAGES_LOADED:-}" ] && return 0
BS__PACKAGES_LOADED=1

# bs_packages GROUP...: prints the packages of each group, one a line.
#   build   compiler, CMake and the libraries bounceseal links; file, which
#           cpack needs to make the .deb (README.md's install section)
#   test    what the test suite runs besides the build (shellcheck, the
#           fresh-root test's mmdebstrap and git, systemd-analyze, ...)
#   mail    the real mail stack of the end-to-end tests and the demo
#   impact  recipient-impact tests: spam scoring, DKIM, a mail client
#   bench   benchmarks
#   fuzz    libFuzzer and sanitizer runtimes
#   fresh   what scripts/demo --throwaway-root needs to make a root
#   suite   everything scripts/test (and so CI) needs: all of the above
bs_packages() {
  local g list
  for g in "$@"; do
    case $g in
      suite) bs_packages build test mail impact bench fuzz fresh; continue ;;
      build) list=(build-essential cmake pkg-config libmilter-dev libgmime-3.0-dev libglib2.0-dev
                   libspdlog-dev libssl-dev libgtest-dev file) ;;
      test) list=(openssl python3 miltertest man-db groff-base dpkg-dev file strace bc time shellcheck
                  mmdebstrap git systemd) ;;
      mail) list=(sendmail-bin sendmail-cf m4 procmail swaks python3 util-linux bsdutils passwd procps) ;;
      impact) list=(spamassassin opendkim opendkim-tools python3-dkim mutt tmux) ;;
      bench) list=(libbenchmark-dev valgrind opendkim opendkim-tools procmail) ;;
      fuzz) list=(clang-14 libclang-rt-14-dev libfuzzer-14-dev) ;;
      fresh) list=(mmdebstrap git) ;;
      *) echo "bs_packages: unknown group $g" >&2; return 1 ;;
    esac
    printf '%s\n' "${list[@]}"
  done
}

# bs_missing_packages PKG...: prints those not installed, one a line.
bs_missing_packages() {
  local p
  for p in "$@"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || echo "$p"
  done
}

# bs_missing_groups GROUP...: prints the missing packages of the groups,
# each once; fails on an unknown group.
bs_missing_groups() {
  local wanted
  wanted=$(bs_packages "$@") || return 1
  # shellcheck disable=SC2046  # package names have no white space
  bs_missing_packages $(printf '%s\n' "$wanted" | awk '!seen[$0]++')
}

# bs__smtp_listeners: prints "NAME (pid N)" for each process of this system
# that listens on TCP port 25 (/proc/net/tcp{,6}: local port 0019 in state
# 0A, then the process holding that socket). A listener whose process is
# not visible here (another container sharing the network, the host of a
# chroot) is not an MTA that apt could remove, and is not printed.
bs__smtp_listeners() {
  local inode fd pid
  while read -r inode; do
    fd=$(find /proc/[0-9]*/fd -lname "socket:\[$inode\]" -print -quit 2>/dev/null) || true
    [ -n "$fd" ] || continue
    pid=${fd#/proc/}; pid=${pid%%/*}
    printf '%s (pid %s)\n' "$(cat "/proc/$pid/comm" 2>/dev/null)" "$pid"
  done < <(awk 'FNR > 1 && $4 == "0A" && $2 ~ /:0019$/ { print $10 }' \
             /proc/net/tcp /proc/net/tcp6 2>/dev/null)
}

# bs_other_mta: if this machine has an MTA other than sendmail, prints what
# shows it (one line each) and succeeds; fails if there is none. Installing
# sendmail-bin would make Debian remove that MTA.
bs_other_mta() {
  local found=1 owner pkg
  while read -r pkg; do
    echo "the package $pkg is this machine's mail transport agent"; found=0
  done < <(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' 2>/dev/null |
           awk '$1 ~ /^[ih]i/ && $2 != "sendmail-bin" && / mail-transport-agent(,| |$)/ { print $2 }')
  if [ -e /usr/sbin/sendmail ] && [ "$(bs_missing_packages sendmail-bin)" = sendmail-bin ]; then
    owner=$(dpkg-query -S /usr/sbin/sendmail 2>/dev/null | cut -d: -f1)
    if [ -z "$owner" ]; then
      echo "/usr/sbin/sendmail belongs to no package (an MTA installed by hand)"; found=0
    fi
  fi
  if [ "$(bs_missing_packages sendmail-bin)" = sendmail-bin ]; then
    while read -r pkg; do
      echo "$pkg listens on the SMTP port 25 (and is not Debian's sendmail)"; found=0
    done < <(bs__smtp_listeners)
  fi
  return "$found"
}

# bs__disable_system_sendmail: the sendmail-bin package enables the system's
# sendmail (SysV links and the systemd unit); undo that, without starting or
# stopping anything.
bs__disable_system_sendmail() {
  if [ -e /etc/init.d/sendmail ] && command -v update-rc.d > /dev/null; then
    update-rc.d sendmail disable > /dev/null 2>&1 || true
  fi
  if command -v deb-systemd-helper > /dev/null; then
    deb-systemd-helper disable sendmail.service > /dev/null 2>&1 || true
  fi
  echo "sendmail-bin installed; the system's sendmail service is disabled (not started, not enabled at boot)"
}

# bs_install_groups GROUP...: installs the missing packages of the groups
# (needs root). Status 0 when all are installed, 3 when it refused because
# another MTA would be replaced (nothing changed), 1 on any other failure.
bs_install_groups() {
  local absent tmp made_policy=0 rc=0 new_sendmail=0 why started
  absent=$(bs_missing_groups "$@") || return 1
  mapfile -t absent < <(printf '%s' "$absent" | sed '/^$/d')
  [ "${#absent[@]}" -eq 0 ] && return 0
  if printf '%s\n' "${absent[@]}" | grep -qx sendmail-bin; then
    if why=$(bs_other_mta); then
      {
        echo "Not installing sendmail-bin: this machine has another mail transport agent,"
        echo "and Debian would remove it to install sendmail:"
        printf '%s\n' "$why" | sed 's/^/  /'
        echo "Nothing was installed or changed."
      } >&2
      return 3
    fi
    new_sendmail=1
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages (run as root to install them): ${absent[*]}" >&2
    return 1
  fi
  echo "installing: ${absent[*]} (apt's output is kept back unless it fails)"
  tmp=$(mktemp -d /run/bounceseal-apt.XXXXXX) || return 1
  chmod 0755 "$tmp"
  printf '127.0.0.1 localhost\n127.0.0.1 %s.localdomain %s\n::1 localhost ip6-localhost\n' \
    "$(hostname)" "$(hostname)" > "$tmp/hosts"
  # "exit 101": no maintainer script may start a service. A policy-rc.d the
  # machine has already is covered by this one inside apt's namespace.
  printf '#!/bin/sh\nexit 101\n' > "$tmp/policy-rc.d"
  chmod 0755 "$tmp/policy-rc.d"
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    cp "$tmp/policy-rc.d" /usr/sbin/policy-rc.d
    made_policy=1
  fi
  started=$SECONDS
  # apt's and dpkg's hundreds of lines go to a log, shown if they fail.
  DEBIAN_FRONTEND=noninteractive apt-get update -qq > "$tmp/apt.log" 2>&1 || rc=$?
  if [ "$rc" = 0 ]; then
    if command -v unshare > /dev/null && unshare -m true 2> /dev/null; then
      # shellcheck disable=SC2016  # expanded by the inner sh
      DEBIAN_FRONTEND=noninteractive unshare -m sh -c 'mount --bind "$0/hosts" /etc/hosts &&
        mount --bind "$0/policy-rc.d" /usr/sbin/policy-rc.d &&
        exec apt-get install -y -q --no-install-recommends "$@"' "$tmp" "${absent[@]}" \
        >> "$tmp/apt.log" 2>&1 || rc=$?
    else
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${absent[@]}" \
        >> "$tmp/apt.log" 2>&1 || rc=$?
    fi
  fi
  if [ "$rc" = 0 ]; then
    echo "installed in $((SECONDS - started)) s: $(grep -Eo '^[0-9]+ upgraded, [0-9]+ newly installed' "$tmp/apt.log" |
      tail -n 1), $(grep -Eo '^Need to get [^ ]+ [kMG]?B' "$tmp/apt.log" | tail -n 1 | sed 's/^Need to get //') downloaded"
  else
    echo "apt-get failed (status $rc); the end of its output:" >&2
    tail -n 30 "$tmp/apt.log" >&2
  fi
  if [ "$new_sendmail" = 1 ] && [ -z "$(bs_missing_packages sendmail-bin)" ]; then
    bs__disable_system_sendmail
  fi
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  rm -rf "$tmp"
  return "$rc"
}
