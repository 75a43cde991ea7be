#!/bin/bash
# fresh_root_test.sh - the README's commands on fresh Debian 12 machines: the
# proof that the project installs itself from nothing.
#
#   fresh_root_test.sh SOURCE_DIR LOG_DIR
#
# 1. Builds a minimal Debian 12 root with mmdebstrap from this machine's apt
#    sources (scripts/lib/freshroot.sh), once for this run; every root below
#    is a new copy of it.
# 2. Clones the commit under test (HEAD of SOURCE_DIR, as committed) into the
#    first root and fails unless the clone is exactly that commit.
# 3. Runs the README's main command there, as root, from nothing:
#    `scripts/demo`, with systemd-journald owning /dev/log as on a stock
#    Debian 12. Passes only if it exits 0 and every step behaved: each of
#    its "ok:" lines, no "FAILED:", and step 4 shows the programs' log
#    lines (read from the journal) and the milter's counters. Then checks
#    that no system sendmail is left enabled, and runs the demo a second
#    time with nothing serving /dev/log (its own capture) on the same root.
# 4. Runs the README's install section there (release build, cpack), then
#    copies the .deb into a second fresh root and installs it with the
#    README's apt command; makes a key, configures and checks the milter
#    with the README's commands (`bounceseal-milter -n`, which must not warn
#    about the key), and `systemd-analyze verify`s the installed unit.
# 5. In a third fresh root whose MTA is Postfix, `scripts/demo` must stop
#    before installing anything, say why, and leave Postfix installed.
# Every step is bounded in time; the roots, and every mount made for them
# (all inside private namespaces), are gone when it ends, failed or not.
# The commands it runs are taken from README.md, so the README cannot drift
# from what is tested. Logs of every step go to LOG_DIR (replaced each run).
# Needs root, mmdebstrap and git (packages.sh group "test") and the network
# to Debian's repositories. Exit 0 all passed, 1 a check failed, 77 not root.
# Time limits: each step's is about five times its longest run measured on
# two shared cores (docs/TESTING.md), and at least half a minute:
# mmdebstrap 600 s (measured 19-116 s), the demo from nothing 1200 s
# (194-401 s), again 180 s (6-21 s), the release build 1200 s (147-217 s),
# apt install of the .deb 600 s (32-40 s), of Postfix 300 s (18 s); the
# downloads are in the first, the second and the last two. Their sum, about
# 4800 s, stays below the ctest timeout. FRESH_TIMEOUT_SCALE multiplies them
# all (default 1) for a slower machine or mirror.
set -uo pipefail
# One compound command: bash reads it whole before running it, so editing
# this file while a run is under way cannot derail that run.
{
src=$(cd "${1:?usage: fresh_root_test.sh SOURCE_DIR LOG_DIR}" && pwd)
logs=${2:?usage: fresh_root_test.sh SOURCE_DIR LOG_DIR}
[ "$(id -u)" = 0 ] || { echo "skipped: needs root"; exit 77; }
scale=${FRESH_TIMEOUT_SCALE:-1}

t0=$SECONDS
# shellcheck source=../support/checks.sh
. "$src/tests/support/checks.sh"
finish() { checks_finish "$((SECONDS - t0)) s in all"; }
# fatal WHAT: a step that the rest depends on failed.
fatal() { check "$*" false; finish; }
# limit SECONDS: a step's time limit, scaled.
limit() { echo $(( $1 * scale )); }
# step NAME LIMIT ROOT CMD...: runs CMD in ROOT with its output in
# LOG_DIR/NAME.log; prints how long it took; returns CMD's status.
step() {
  local name=$1 lim=$2 root=$3 started=$SECONDS rc=0; shift 3
  fr_run "$root" "$lim" "$@" > "$logs/$name.log" 2>&1 < /dev/null || rc=$?
  echo "# $name: $((SECONDS - started)) s (limit $lim s), exit $rc"
  [ "$rc" = 124 ] && echo "# $name ran out of time"
  return "$rc"
}
# show NAME: the end of a step's log, after a failure.
show() { tail -n "${2:-40}" "$logs/$1.log" | sed 's/^/    /'; return 0; }

for tool in mmdebstrap git unshare; do
  command -v "$tool" > /dev/null || fatal "$tool is missing (scripts/lib/packages.sh group test)"
done
rm -rf "$logs"; mkdir -p "$logs"

# The commit under test. What is not committed is not tested: say so.
commit=$(git -C "$src" rev-parse --verify 'HEAD^{commit}' 2>/dev/null) ||
  fatal "$src is not a git checkout: the commit under test is unknown"
echo "# commit under test: $commit ($(git -C "$src" log -1 --format=%s "$commit"))"
if [ -n "$(git -C "$src" status --porcelain --untracked-files=no)" ]; then
  echo "# note: $src has changes that are not committed; they are not in the roots"
fi

# README.md's commands, as written there.
# readme_command PREFIX: the one command line of README.md's sh blocks that
# starts with PREFIX, continuation lines joined, trailing comment dropped.
readme_command() {
  awk -v p="$1" '
    /^```sh$/ { inblock = 1; next }
    /^```$/ { inblock = 0; next }
    !inblock { next }
    { line = (cont ? cont " " : "") $0; cont = "" }
    line ~ /\\$/ { sub(/[ \t]*\\$/, "", line); cont = line; next }
    { sub(/[ \t]+#.*$/, "", line); gsub(/[ \t]+/, " ", line); if (index(line, p) == 1) print line }
  ' "$src/README.md"
}
readme() {
  local c
  c=$(readme_command "$1")
  [ "$(printf '%s\n' "$c" | grep -c .)" = 1 ] || fatal "README.md: no single command starting with '$1'"
  printf '%s\n' "$c"
}
demo=$(readme "scripts/demo")
configure=$(readme "cmake -S . -B build-release")
build=$(readme "cmake --build build-release")
package=$(readme "(cd build-release && cpack -G DEB)")
apt_install=$(readme "apt-get update && apt install ./build-release/bounceseal_")
keygen=$(readme "bounceseal-keygen -d")
check_milter=$(readme "bounceseal-milter -n")

# shellcheck source=../../scripts/lib/freshroot.sh
. "$src/scripts/lib/freshroot.sh"
FR_BUILD_TIMEOUT=$(limit 600)
fr_init || fatal "fr_init"
started=$SECONDS
fr_pristine > /dev/null 2> "$logs/pristine.log" || { cat "$logs/pristine.log"; fatal "building the pristine root"; }
cp "$FR_LOG" "$logs/mmdebstrap.log"
echo "# pristine root: $((SECONDS - started)) s"

# --- the main command, from nothing -----------------------------------------
root=$(fr_new demo) || fatal "extracting the first root"
fr_clone "$root" "$src" "$commit" /root/bounceseal || fatal "cloning $commit into the root"
check "the clone in the root is commit $commit" \
  test "$(git -C "$root/root/bounceseal" rev-parse HEAD)" = "$commit"
# A fresh machine has no policy-rc.d: the demo must keep services from
# starting by itself while it installs.
rm -f "$root/usr/sbin/policy-rc.d"
footprint='dpkg-query -W | wc -l; du -sm /var/cache/apt/archives | cut -f1'
step footprint-before 30 "$root" sh -c "$footprint"
read -r -d '' packages_before mb_before < "$logs/footprint-before.log"

FR_JOURNALD=1 step demo "$(limit 1200)" "$root" sh -c "cd /root/bounceseal && $demo"
status=$?
check "'$demo' exits 0 on a fresh root (journald owning /dev/log)" test "$status" = 0
out=$logs/demo.log
has() { grep -qE -- "$1" "$out"; }
lacks() { ! grep -qE -- "$1" "$2"; }
for ok in 'bounceseal-milter runs as PID [0-9]+ on unix:' \
          'its signer process [0-9]+ alone reads the key' \
          'sendmail listens on 127\.0\.0\.1:[0-9]+' \
          'delivered to bs-bob@example\.test with the Bounce-Seal header and the two seal parts, all verifying' \
          'the bounce of a message alice really sent reached her inbox' \
          'a forged bounce .* went to quarantine' \
          'a tampered bounce went to quarantine' \
          'an expired bounce went to quarantine' \
          'bounceseal-milter logged each message' \
          'bounceseal-verify logged each verdict' \
          'bounceseal-milter logged its counters on SIGUSR2'; do
  check "demo step line: ok: $ok" has "^  ok: $ok"
done
check "the demo says 'ok:' exactly 11 times" test "$(grep -c '^  ok: ' "$out")" = 11
check "no step of the demo FAILED" lacks FAILED "$out"
check "the demo ends with 'All steps behaved'" has '^All steps behaved'
# Step 4 must show the lines themselves, read from the journal.
sed -n '/^== 4\. /,/^== Stopping/p' "$out" > "$logs/demo-step4.txt"
step4() { grep -qE -- "$1" "$logs/demo-step4.txt"; }
check "step 4 reads the log from the systemd journal" step4 'read from the systemd journal'
check "step 4 shows the milter's sealing lines" step4 'bounceseal-milter\[[0-9]+\]: .*sealed'
check "step 4 shows the verifier's verdict lines" step4 'bounceseal-verify\[[0-9]+\]: .*verdict='
check "step 4 shows the milter's counters" step4 'bounceseal-milter\[[0-9]+\]: .*stats'
check "the demo lists what stays on the machine" has 'Debian packages this run installed: .*sendmail-bin'
[ "$CHECKS_FAILED" = 0 ] || show demo 80

step footprint-after 30 "$root" sh -c "$footprint"
read -r -d '' packages_after mb_after < "$logs/footprint-after.log"
echo "# the demo installed $((packages_after - packages_before)) packages, $((mb_after - mb_before)) MiB of them downloaded"

# What the packages left: no system sendmail enabled, what the demo says.
step sendmail-state 30 "$root" sh -c \
  'ls /etc/rc[2-5].d/S*sendmail 2>/dev/null; systemctl is-enabled sendmail 2>/dev/null; exit 0'
check "the system's sendmail is not enabled (no S links, systemctl: disabled)" \
  test "$(cat "$logs/sendmail-state.log")" = disabled
step leftovers 30 "$root" sh -c 'test -d /etc/mail && test -f /etc/cron.d/sendmail &&
  grep -qx "sendmail: all" /etc/hosts.allow && getent passwd smmta smmsp > /dev/null &&
  test -f /etc/network/if-up.d/sendmail && test -f /etc/ppp/ip-up.d/sendmail &&
  test -f /etc/resolvconf/update-libc.d/sendmail && getent passwd bs-alice bs-bob bs-postmaster'
check "what the demo says stays is what stays (/etc/mail, cron, hooks, hosts.allow, users)" \
  test $? = 0 || show leftovers

FR_JOURNALD=0 step demo-again "$(limit 180)" "$root" sh -c "cd /root/bounceseal && $demo"
status=$?
again=$logs/demo-again.log
check "'$demo' again on that root, nothing serving /dev/log: exits 0" test "$status" = 0 || show demo-again
check "... and all steps behaved" grep -q '^All steps behaved' "$again"
check "... step 4 shows the lines of the demo's own capture" grep -q "own listener captured them" "$again"
check "... the milter's counters among them" grep -qE 'bounceseal-milter\[[0-9]+\]: .*stats' "$again"

# --- the install section ---------------------------------------------------------
step release-build "$(limit 1200)" "$root" sh -c "cd /root/bounceseal && $configure && $build"
check "README: the release build ($configure)" test $? = 0 || { show release-build; finish; }
step package "$(limit 120)" "$root" sh -c "cd /root/bounceseal && $package"
check "README: $package" test $? = 0 || { show package; finish; }
debs=("$root"/root/bounceseal/build-release/bounceseal_*.deb)
check "it made one bounceseal_*.deb" test "${#debs[@]}" = 1 -a -f "${debs[0]}" || finish
echo "# package: ${debs[0]##*/}, $(stat -c %s "${debs[0]}") bytes"

# A second fresh machine that gets only the package.
root2=$(fr_new install) || fatal "extracting the second root"
install -d "$root2/root/bounceseal/build-release"
cp "${debs[0]}" "$root2/root/bounceseal/build-release/"
fr_remove "$root" || true          # its 1.5 GB are not needed any more
# apt asks before it installs the dependencies: answer as a person would.
step apt-install "$(limit 600)" "$root2" sh -c "cd /root/bounceseal && yes | sh -c '$apt_install'"
check "README, on a second fresh root: $apt_install" test $? = 0 || { show apt-install; finish; }

conf=/etc/bounceseal/bounceseal.conf
# The README's "edit bounceseal.conf: Domain, Selector, KeyFile" step.
configure_milter="sed -i -e 's|^#Domain =.*|Domain = example.org|' -e 's|^#Selector =.*|Selector = mx1-2026a|' \
  -e 's|^#KeyFile =.*|KeyFile = /etc/bounceseal/keys/mx1-2026a.private|' $conf"
step milter-check 60 "$root2" sh -c "set -e; $keygen; $configure_milter; $check_milter"
status=$?
check "README: $keygen; edit $conf; $check_milter" \
  test "$status:$(grep -c '^configuration OK$' "$logs/milter-check.log")" = 0:1 || show milter-check
# The key stays root's, for the signer process alone (docs/ADMIN.md 3.1):
# -n warns of a key that the mail-parsing user could read.
check "... and no warning about who can read the key" lacks 'can be read by' "$logs/milter-check.log"

# systemd-analyze checks the unit's Documentation= with man(1): the pages
# are the package's, man-db is only the test's tool, installed after.
step man-db "$(limit 180)" "$root2" apt-get install -y -q --no-install-recommends man-db
check "man-db installed to check the unit's Documentation=" test $? = 0 || show man-db
step unit-verify 60 "$root2" systemd-analyze verify bounceseal-milter.service
status=$?
check "systemd-analyze verify of the installed unit: exit 0, no complaint" \
  test "$status:$(wc -c < "$logs/unit-verify.log")" = 0:0 || show unit-verify

programs="bounceseal-milter bounceseal-verify bounceseal-keygen bounceseal-sign bounceseal-inspect"
step package-state 30 "$root2" sh -c "getent passwd bounceseal; systemctl is-enabled bounceseal-milter.service;
  for p in $programs; do \$p --version; done"
state=$logs/package-state.log
check "the package made the user bounceseal" grep -q '^bounceseal:' "$state"
check "... enabled the unit (not started: no systemd runs here)" grep -qx enabled "$state"
check "... and its five programs run (--version)" test "$(grep -c '^bounceseal-[a-z]* [0-9]' "$state")" = 5 ||
  show package-state

# --- a mail server whose MTA is Postfix -------------------------------------------
# Debian would remove Postfix to install sendmail-bin: the demo must stop
# before installing anything, say why, and leave Postfix where it is.
fr_remove "$root2" || true
root3=$(fr_new mta) || fatal "extracting the third root"
step postfix "$(limit 300)" "$root3" sh -c \
  'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postfix'
check "a third fresh root gets Postfix as its MTA" test $? = 0 || show postfix
fr_clone "$root3" "$src" "$commit" /root/bounceseal || fatal "cloning $commit into the third root"
mta_state='dpkg-query -W | wc -l; dpkg-query -s postfix | grep "^Status:"'
step mta-before 30 "$root3" sh -c "$mta_state"
step demo-mta "$(limit 120)" "$root3" sh -c "cd /root/bounceseal && $demo"
status=$?
step mta-after 30 "$root3" sh -c "$mta_state"
check "next to Postfix, '$demo' stops with a non-zero status" test "$status" != 0 || show demo-mta
check "... saying why (the package postfix is the MTA)" grep -q "package postfix is this machine's mail" "$logs/demo-mta.log"
check "... and naming --throwaway-root" grep -q -- "--throwaway-root" "$logs/demo-mta.log"
check "... having installed nothing: the same packages, Postfix still installed" \
  cmp -s "$logs/mta-before.log" "$logs/mta-after.log"
check "... (the state compared: Postfix installed)" grep -qx "Status: install ok installed" "$logs/mta-after.log"
finish
}
