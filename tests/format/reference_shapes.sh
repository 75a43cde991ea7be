#!/bin/sh
# reference_shapes.sh - seals every message of tests/data/shapes with
# bounceseal-sign (all three modes; the default, full, with LF and with CRLF
# input) and has the independent implementation of FORMAT.md
# (reference_check.py) check each result.
# Usage: reference_shapes.sh SHAPES_DIR SIGN_BINARY KEYGEN_BINARY CHECKER
set -eu
shapes=$1 sign=$2 keygen=$3 checker=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$keygen" -d example.test -s ref -D "$work" > /dev/null
for f in "$shapes"/*.eml; do
    name=$(basename "$f" .eml)
    "$sign" -k "$work/ref.private" -d example.test -s ref -f alice@example.test < "$f" > "$work/$name-lf.eml"
    sed 's/$/\r/' "$f" | "$sign" -k "$work/ref.private" -d example.test -s ref -f alice@example.test > "$work/$name-crlf.eml"
    "$sign" -m header -k "$work/ref.private" -d example.test -s ref -f alice@example.test < "$f" > "$work/$name-header.eml"
    "$sign" -m append-only -k "$work/ref.private" -d example.test -s ref -f alice@example.test < "$f" > "$work/$name-append.eml"
done
/usr/bin/python3 "$checker" "$work/ref.pub" alice@example.test "$work"/*.eml
