#!/bin/sh
# docs_check.sh - the documentation is built from the one configuration
# table and renders: every man page formats without a groff warning and
# through man(1); every configuration key of the table appears in
# bounceseal.conf(5); the shipped conf/bounceseal.conf is exactly what the
# table renders (regenerate it with: bounceseal-config-docs --example).
# Usage: docs_check.sh MAN_DIR CONFIG_DOCS_BINARY SHIPPED_EXAMPLE
set -eu
man_dir=$1 docs=$2 example=$3
fail=0
for page in "$man_dir"/*.[0-9]; do
    warnings=$(groff -man -ww -z "$page" 2>&1)
    if [ -n "$warnings" ]; then
        echo "FAIL: $page: groff warnings: $warnings"; fail=1
    elif ! MANWIDTH=80 man -l "$page" > /dev/null 2>&1; then
        echo "FAIL: man -l $page"; fail=1
    else
        echo "ok: $(basename "$page") renders"
    fi
done
rendered=$(MANWIDTH=200 man -l "$man_dir/bounceseal.conf.5" 2>/dev/null)
keys=$("$docs" --example | sed -n 's/^#\([A-Za-z]*\) =.*/\1/p')
[ -n "$keys" ] || { echo "FAIL: no keys in the rendered example"; exit 1; }
for key in $keys; do
    if ! printf '%s\n' "$rendered" | grep -q "^ *$key (" ; then
        echo "FAIL: key $key is not documented in bounceseal.conf(5)"; fail=1
    fi
done
echo "ok: all $(echo "$keys" | wc -l) configuration keys appear in bounceseal.conf(5)"
if "$docs" --example | cmp -s - "$example"; then
    echo "ok: conf/bounceseal.conf matches the configuration table"
else
    echo "FAIL: conf/bounceseal.conf differs from the table; regenerate it"; fail=1
fi
exit $fail
