#!/bin/sh
# openssl_cli_check.sh - FORMAT.md section 9, run exactly as written: a seal
# checked by hand with the stock openssl command line, on a stored vector and
# on a message freshly sealed by bounceseal-sign; a tampered record must fail.
# Usage: openssl_cli_check.sh VECTOR_DIR SIGN_BINARY KEYGEN_BINARY
set -eu
vectors=$1 sign=$2 keygen=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

check() {  # check SEALED_FILE PUBLIC_KEY: the steps of FORMAT.md section 9
    sed -n '/^Bounce seal record:/,/^hm=/p' "$1" | tr -d '\r' > record.txt
    sed -n '/^Bounce seal signature/,/^b=/s/^b=//p' "$1" | tr -d '\r' | base64 -d > sig.bin
    openssl pkeyutl -verify -pubin -inkey "$2" -rawin -in record.txt -sigfile sig.bin
}

check "$vectors/v1-sealed.eml" "$vectors/public.pem" | grep -q 'Signature Verified Successfully'
echo "ok: vector 1 verifies with openssl pkeyutl"
# Not "cmp && echo": under set -e a command before && may fail silently.
if ! cmp record.txt "$vectors/v1-record.txt" >&2; then
    echo "FAIL: the record extracted from v1-sealed.eml is not the vector's v1-record.txt" >&2
    exit 1
fi
echo "ok: the extracted record is the vector's record text"

"$keygen" -d example.test -s cli -D . > /dev/null
printf 'From: a@example.test\nTo: b@example.test\nSubject: cli\n\nchecked by hand\n' |
    "$sign" -k cli.private -d example.test -s cli -f a@example.test > sealed.eml
check sealed.eml cli.pub | grep -q 'Signature Verified Successfully'
echo "ok: a freshly sealed message verifies with openssl pkeyutl"

sed 's/^t=\([0-9]*\)/t=1\1/' sealed.eml > tampered.eml
if check tampered.eml cli.pub > out.txt 2>&1; then
    echo "FAIL: a tampered record verified" >&2
    exit 1
fi
grep -q 'Signature Verification Failure' out.txt
echo "ok: a tampered record fails"
