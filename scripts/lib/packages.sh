# shellcheck shell=bash
# packages.sh: the Debian 12 packages bounceseal needs, by purpose, and one
# way to install the missing ones. Sourced by scripts/test, scripts/demo,
# scripts/bench and the mail stack harness.
#
# What it does: checks dpkg for each package and installs only what is
# missing, with apt-get (root only). sendmail-bin's postinst stalls for a
# minute and asks DNS when the host name is unqualified, so apt runs in a
# private mount namespace whose /etc/hosts gives the host a full name; a
# temporary policy-rc.d keeps the postinst from starting the machine's own
# sendmail or opendkim.
# What it does not: configure anything, or touch /etc/mail.

[ -n "${BS__PACKAGES_LOADED:-}" ] && return 0
BS__PACKAGES_LOADED=1

# bs_packages GROUP...: prints the packages of each group.
#   build   compiler, CMake and the libraries bounceseal links
#   test    what the test suite runs besides the build
#   mail    the real mail stack of the end-to-end tests and the demo
#   impact  recipient-impact tests: spam scoring, DKIM, a mail client
#   bench   benchmarks
#   fuzz    libFuzzer and sanitizer runtimes
#   suite   everything scripts/test (and so CI) needs: all of the above
bs_packages() {
  local g
  for g in "$@"; do
    case $g in
      suite) bs_packages build test mail impact bench fuzz ;;
      build) echo build-essential cmake pkg-config libmilter-dev libgmime-3.0-dev libglib2.0-dev \
                  libspdlog-dev libssl-dev libgtest-dev ;;
      test) echo openssl python3 miltertest man-db groff-base dpkg-dev file strace bc time ;;
      mail) echo sendmail-bin sendmail-cf m4 procmail swaks python3 util-linux bsdutils passwd procps ;;
      impact) echo spamassassin opendkim opendkim-tools python3-dkim mutt tmux ;;
      bench) echo libbenchmark-dev valgrind opendkim opendkim-tools procmail ;;
      fuzz) echo clang-14 libclang-rt-14-dev libfuzzer-14-dev ;;
      *) echo "bs_packages: unknown group $g" >&2; return 1 ;;
    esac
  done
}

# bs_missing_packages PKG...: prints those not installed.
bs_missing_packages() {
  local p
  for p in "$@"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || echo "$p"
  done
}

# bs_install_packages PKG...: installs the missing ones (needs root).
bs_install_packages() {
  local missing tmp made_policy=0 rc=0
  mapfile -t missing < <(bs_missing_packages "$@")
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages (run as root to install them): ${missing[*]}" >&2
    return 1
  fi
  echo "installing: ${missing[*]}"
  tmp=$(mktemp -d /run/bounceseal-apt.XXXXXX) || return 1
  chmod 0755 "$tmp"
  printf '127.0.0.1 localhost\n127.0.0.1 %s.localdomain %s\n::1 localhost ip6-localhost\n' \
    "$(hostname)" "$(hostname)" > "$tmp/hosts"
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq || rc=$?
  if [ "$rc" = 0 ]; then
    if command -v unshare > /dev/null && unshare -m true 2> /dev/null; then
      # shellcheck disable=SC2016  # expanded by the inner sh
      DEBIAN_FRONTEND=noninteractive unshare -m sh -c 'mount --bind "$0" /etc/hosts &&
        exec apt-get install -y -qq --no-install-recommends "$@"' "$tmp/hosts" "${missing[@]}" || rc=$?
    else
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" || rc=$?
    fi
  fi
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  rm -rf "$tmp"
  return "$rc"
}
