#!/bin/bash
# lint_shell_test.sh - every shell script of the project passes shellcheck,
# at every severity, with the settings of the top-level .shellcheckrc.
#
#   lint_shell_test.sh SOURCE_DIR
#
# A shell script is a file under scripts/, tests/, .ci/, bench/ or fuzz/
# whose name ends in .sh, whose first line runs sh, bash or dash, or that
# declares "# shellcheck shell=..." (the sourced libraries). The files are
# the ones git tracks when SOURCE_DIR is a git checkout (so a build
# directory inside it is not linted), else all such files. Each file is
# checked on its own, from its own directory, as its source= directives
# expect. Exit 0 all clean, 1 a finding (shellcheck's report is printed),
# 77 skipped: shellcheck is not installed (packages.sh group "test").
set -uo pipefail
src=$(cd "${1:?usage: lint_shell_test.sh SOURCE_DIR}" && pwd)
command -v shellcheck > /dev/null || { echo "skipped: shellcheck is not installed"; exit 77; }

list_files() {
  if git -C "$src" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
    git -C "$src" ls-files -- scripts tests .ci bench fuzz
  else
    (cd "$src" && find scripts tests .ci bench fuzz -type f | sed 's|^\./||')
  fi
}

is_shell() {
  case $1 in *.sh) return 0 ;; esac
  head -n 1 "$src/$1" | grep -qE '^#!.*[/ ](ba|da)?sh( |$)' && return 0
  head -n 5 "$src/$1" | grep -q '^# shellcheck shell='
}

checked=0 failed=0
while IFS= read -r f; do
  if [ ! -f "$src/$f" ] || ! is_shell "$f"; then continue; fi
  checked=$((checked + 1))
  if out=$(cd "$(dirname "$src/$f")" && shellcheck --external-sources "$(basename "$f")" 2>&1); then
    echo "ok - $f"
  else
    echo "FAIL - $f"; printf '%s\n' "$out" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
done < <(list_files | sort)
echo "$checked scripts checked, $failed with findings ($(shellcheck --version | sed -n 's/^version: //p'))"
# A list that came out (nearly) empty would pass without checking anything.
[ "$checked" -ge 20 ] || { echo "FAIL - expected at least 20 shell scripts, found $checked"; exit 1; }
[ "$failed" -eq 0 ]
