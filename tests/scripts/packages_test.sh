#!/bin/bash
# packages_test.sh - scripts/lib/packages.sh against stand-in dpkg-query and
# apt-get, so that nothing is installed and the machine's own packages do
# not matter:
#   - every group lists packages, an unknown group is an error;
#   - the missing packages of several groups are those of every group (the
#     bug this guards against: only the first group's line was installed);
#   - another MTA (a package providing mail-transport-agent) is detected,
#     sendmail-bin is not another MTA;
#   - bs_install_groups refuses to install sendmail-bin next to another MTA
#     (status 3, apt-get never run), and runs no apt-get when nothing is missing.
#   packages_test.sh SOURCE_DIR
set -uo pipefail
src=$(cd "${1:?usage: packages_test.sh SOURCE_DIR}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=../support/checks.sh
. "$src/tests/support/checks.sh"

# Stand-ins: STUB_INSTALLED names the installed packages, STUB_MTA one that
# provides mail-transport-agent; apt-get only records that it was called.
mkdir "$work/bin"
cat > "$work/bin/dpkg-query" <<'STUB'
#!/bin/bash
installed=" ${STUB_INSTALLED:-} ${STUB_MTA:-} "
case "$1 $2" in
  "-W -f=\${Status}")
    [[ $installed == *" $3 "* ]] && { printf 'install ok installed'; exit 0; }
    exit 1 ;;
  "-W -f=\${db:Status-Abbrev} \${Package} \${Provides}\n")
    for p in $installed; do
      case $p in "${STUB_MTA:-}"|sendmail-bin) printf 'ii  %s mail-transport-agent\n' "$p" ;;
                 *) printf 'ii  %s \n' "$p" ;; esac
    done ;;
  "-S /usr/sbin/sendmail") echo "${STUB_MTA:-sendmail-bin}: /usr/sbin/sendmail" ;;
  *) echo "dpkg-query stand-in: unexpected $*" >&2; exit 2 ;;
esac
STUB
printf '#!/bin/sh\necho "apt-get $*" >> "%s/apt.log"\n' "$work" > "$work/bin/apt-get"
chmod +x "$work/bin/"*
: > "$work/apt.log"

# not_listed TEXT WORD...: no line of TEXT is one of the WORDs.
not_listed() {
  local text=$1 w; shift
  for w; do grep -qx -- "$w" <<< "$text" && return 1; done
  return 0
}

# run CODE: runs CODE in a shell that sourced packages.sh with the stand-ins.
run() { PATH="$work/bin:$PATH" bash -c ". '$src/scripts/lib/packages.sh'; $1"; }

for g in build test mail impact bench fuzz fresh suite; do
  check "group $g lists packages" test "$(run "bs_packages $g" | wc -l)" -gt 0
done
check "an unknown group is an error" eval '! run "bs_packages nonsense" 2> /dev/null'

both=$(run "bs_missing_groups build mail")
for p in libmilter-dev cmake sendmail-bin m4 procmail swaks; do
  check "nothing installed: bs_missing_groups build mail names $p" grep -qx "$p" <<< "$both"
done
check "and each package once" test "$(sort <<< "$both" | uniq -d | wc -l)" -eq 0
check "... exactly the packages of both groups" \
  test "$(sort -u <<< "$both")" = "$(run "bs_packages build mail" | sort -u)"
some=$(STUB_INSTALLED="cmake m4" run "bs_missing_groups build mail")
check "installed packages are not missing" not_listed "$some" cmake m4
check "the others still are" grep -qx procmail <<< "$some"

STUB_INSTALLED=sendmail-bin run bs_other_mta > /dev/null
check "sendmail-bin is not another MTA" test $? = 1
check "Postfix is another MTA" eval 'STUB_MTA=postfix run bs_other_mta | grep -q "package postfix"'

STUB_MTA=postfix run "bs_install_groups build mail" > "$work/refusal" 2>&1
status=$?
check "next to Postfix, bs_install_groups mail refuses with status 3" test "$status" = 3
check "... saying why" grep -q "Not installing sendmail-bin" "$work/refusal"
check "... without running apt-get" test ! -s "$work/apt.log"
all=$(run "bs_packages suite" | tr '\n' ' ')
STUB_INSTALLED=$all run "bs_install_groups suite" > /dev/null 2>&1
check "nothing missing: status 0" test $? = 0
check "... and no apt-get" test ! -s "$work/apt.log"

checks_finish
