#!/usr/bin/python3
"""seal_size_test.py - measures the bytes sealing adds to a message of the
appended shape (a multipart/mixed with its close delimiter, sealed by
bounceseal-sign in the default mode) and fails if they reach LIMIT.

Mail is counted as it travels, with CRLF line ends, for a short signer
identity (example.test / sel1, as in the test vectors) and a long one (a
36-character domain, an 18-character selector). It also checks that the
Bounce-Seal field and the two seal parts are all that was added: taken out
again, the original bytes are left. It does not measure the wrapped shape,
which adds a Content-Type field and, if missing, MIME-Version on top.

Usage: seal_size_test.py SIGN KEYGEN SHAPES_DIR [LIMIT]   (LIMIT 1500 bytes)
"""
import os
import re
import subprocess
import sys
import tempfile

IDENTITIES = [("example.test", "sel1"), ("mail.lists.example-corporation.co.uk", "bounceseal-2026-11")]


def added_bytes(sign, key, domain, selector, original):
    sealed = subprocess.run([sign, "-k", key, "-d", domain, "-s", selector, "-f", "alice@example.test"],
                            input=original, stdout=subprocess.PIPE, check=True).stdout
    head_end = sealed.index(b"\r\n\r\n") + 2
    field = re.search(rb"^Bounce-Seal:.*?\r\n(?![ \t])", sealed[:head_end], re.M | re.S)
    if not field:
        raise SystemExit("FAIL: no Bounce-Seal field in the sealed message")
    rest = sealed[:field.start()] + sealed[field.end():]
    # The one block inserted into the original: longest common prefix and suffix.
    p = 0
    while p < min(len(rest), len(original)) and rest[p] == original[p]:
        p += 1
    q = 0
    while q < min(len(rest), len(original)) - p and rest[-1 - q] == original[-1 - q]:
        q += 1
    parts = rest[p:len(rest) - q]
    if rest[:p] + rest[len(rest) - q:] != original:
        raise SystemExit("FAIL: sealing changed the message in more than one place (%s/%s)" % (domain, selector))
    for intro in (b"Bounce seal record: ", b"Bounce seal signature over the record"):
        if intro not in parts:
            raise SystemExit("FAIL: the inserted block lacks %r" % intro)
    # Where exactly a block that starts like the delimiter it precedes was
    # inserted is ambiguous by a few bytes; it must touch the close delimiter.
    close = original.rindex(b"\r\n--mix-1--")
    if not close <= p <= close + len(b"\r\n--mix-1--"):
        raise SystemExit("FAIL: the seal parts were not inserted in front of the close delimiter")
    return len(field.group(0)), len(parts), len(sealed) - len(original)


def main(argv):
    if len(argv) not in (4, 5):
        sys.stderr.write(__doc__)
        return 2
    sign, keygen, shapes = argv[1:4]
    limit = int(argv[4]) if len(argv) == 5 else 1500
    with open(os.path.join(shapes, "mixed-attachments.eml"), "rb") as f:
        original = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        for domain, selector in IDENTITIES:
            subprocess.run([keygen, "-d", domain, "-s", selector, "-D", tmp], stdout=subprocess.DEVNULL, check=True)
            key = os.path.join(tmp, selector + ".private")
            field, parts, total = added_bytes(sign, key, domain, selector, original)
            if field + parts != total:
                raise SystemExit("FAIL: %d bytes added, but field and parts are %d" % (total, field + parts))
            verdict = "ok" if total < limit else "FAIL"
            status |= total >= limit
            print("%s: seal adds %d bytes (limit: under %d) for d=%s s=%s: two parts %d + Bounce-Seal field %d"
                  % (verdict, total, limit, domain, selector, parts, field))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
