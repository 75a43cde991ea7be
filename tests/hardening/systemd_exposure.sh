#!/bin/bash
# systemd_exposure.sh - the sandbox of systemd/bounceseal-milter.service must
# keep systemd's exposure rating at or below 2.5 (of 10), as
# docs/RELIABILITY.md states. Uses "systemd-analyze security --offline",
# which reads the unit file alone (no running systemd needed); exit 77 where
# systemd-analyze is missing or too old for --offline. It does not start
# the service.
#   systemd_exposure.sh UNIT_FILE
set -uo pipefail
unit=$1
command -v systemd-analyze > /dev/null || { echo "skipped: no systemd-analyze"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# --offline names the unit by its file name; a copy keeps the source tree clean.
cp "$unit" "$work/"
out=$(systemd-analyze security --offline=true --threshold=25 "$work/$(basename "$unit")" 2>&1)
status=$?
if ! grep -q 'Overall exposure level' <<< "$out"; then
  echo "skipped: this systemd-analyze cannot rate a unit file offline"; echo "$out" | tail -3; exit 77
fi
grep -E '✗|Overall exposure' <<< "$out"
[ "$status" = 0 ] || { echo "FAIL: exposure above 2.5"; exit 1; }
