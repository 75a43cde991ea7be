# shellcheck shell=bash
# checks.sh - one line per check for the project's shell tests: source it,
# then
#   check WHAT CMD...   runs CMD; prints "ok - WHAT" or "FAIL - WHAT" and
#                       returns CMD's verdict (so "check ... || show_log")
#   checks_finish       prints "N passed, M failed" and exits 0 only if
#                       every check passed
# It counts in CHECKS_PASSED and CHECKS_FAILED and does nothing else.

CHECKS_PASSED=0 CHECKS_FAILED=0

check() {
  local what=$1; shift
  if "$@"; then echo "ok - $what"; CHECKS_PASSED=$((CHECKS_PASSED + 1)); return 0; fi
  echo "FAIL - $what"; CHECKS_FAILED=$((CHECKS_FAILED + 1)); return 1
}

checks_finish() {
  echo "$CHECKS_PASSED passed, $CHECKS_FAILED failed${1:+, $1}"
  [ "$CHECKS_FAILED" -eq 0 ]
  exit
}
