# shellcheck shell=bash
# e2e_lib.sh - what the end-to-end tests share: the start (root, the mail
# stack libraries, the packages a test needs, or exit 77 = skipped), one
# line per check, and the end (cleanup and a summary; the exit status says
# whether every check passed). Source it from a test script after setting
# E2E_PACKAGES to any packages it needs beyond the mail stack, and
# E2E_MAILSTACK=0 if it needs no sendmail at all.
# It does not start anything itself: tests call ms_init/ss_start.

E2E_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "skipped: needs root"; exit 77; }
# shellcheck source=../../scripts/lib/mailstack.sh
. "$E2E_TOP/scripts/lib/mailstack.sh"
# shellcheck source=../../scripts/lib/sealstack.sh
. "$E2E_TOP/scripts/lib/sealstack.sh"
# shellcheck disable=SC2086  # a list of package names
if { [ "${E2E_MAILSTACK:-1}" = 1 ] && ! ms_deps --check > /dev/null; } ||
   [ -n "$(bs_missing_packages ${E2E_PACKAGES:-})" ]; then
  echo "skipped: packages missing"; exit 77
fi

e2e_passed=0 e2e_failed=0
# check DESCRIPTION COMMAND...: runs one check and reports it.
check() {
  local what=$1; shift
  if "$@"; then echo "ok - $what"; e2e_passed=$((e2e_passed + 1))
  else echo "FAIL - $what"; e2e_failed=$((e2e_failed + 1)); fi
}

# The message shapes of shapes_test.sh and postfix_test.sh (tests/data/shapes).
# shellcheck disable=SC2034  # read by the tests that source this file
E2E_SHAPES_DIR=$E2E_TOP/tests/data/shapes
# shellcheck disable=SC2034
E2E_SHAPES="plain-7bit plain-8bit plain-latin1 plain-qp no-mime-version empty-body alternative
            mixed-attachments rfc822-inside smime-signed"

# e2e_sealed_with_parts FILE INSPECT KEYRING SENDER: FILE carries the
# Bounce-Seal field and both seal parts, and INSPECT (bounceseal-inspect)
# judges its seal pass for SENDER with KEYRING.
e2e_sealed_with_parts() {
  grep -q '^Bounce-Seal:' "$1" && grep -q '^Bounce seal record:' "$1" &&
    grep -q '^Bounce seal signature over the record' "$1" || { echo "    not sealed with both parts"; return 1; }
  "$2" -K "$3" -r "$4" < "$1" | grep -q '^  verdict: pass$' || { echo "    the seal does not verify"; return 1; }
}

# e2e_smime_verifies FILE: the S/MIME signature of FILE's first part
# verifies (the certificate travels in the signature; -noverify: it is
# self-signed); openssl's complaint is shown when it does not.
e2e_smime_verifies() {
  /usr/bin/python3 "$E2E_TOP/tests/e2e/returned_copy.py" first-part "$1" "$1.signed" &&
    openssl cms -verify -noverify -in "$1.signed" -out /dev/null 2> "$1.verify" ||
    { sed 's/^/    /' "$1.verify"; return 1; }
}

# e2e_finish: stops everything, prints the summary, exits 0 only if all passed.
e2e_finish() {
  ms_cleanup
  echo "$e2e_passed passed, $e2e_failed failed"
  [ "$e2e_failed" -eq 0 ]
  exit
}
