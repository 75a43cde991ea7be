#!/usr/bin/python3
"""seal_size_test.py - measures the bytes sealing adds to a message, sealed
by bounceseal-sign in the default mode, and fails if they reach LIMIT:

  appended  a multipart/mixed with its close delimiter: the Bounce-Seal
            field and the two seal parts, and nothing else, are added;
  wrapped   a plain-text message and a multipart/alternative: the field,
            the parts, and the wrap (the new Content-Type, MIME-Version
            where missing, the first part's delimiter and header).

Mail is counted as it travels, with CRLF line ends, for a short signer
identity (example.test / sel1, as in the test vectors) and a long one (a
36-character domain, an 18-character selector). It also checks that the
original is still there: for the appended shape, taken out again, the
Bounce-Seal field and the two seal parts leave the original bytes; for the
wrapped shape, the original body follows the first part's header verbatim.

Usage: seal_size_test.py SIGN KEYGEN SHAPES_DIR [LIMIT]   (LIMIT 1600 bytes)
"""
import os
import re
import subprocess
import sys
import tempfile

IDENTITIES = [("example.test", "sel1"), ("mail.lists.example-corporation.co.uk", "bounceseal-2026-11")]
SHAPES = [("mixed-attachments.eml", "appended"), ("plain-7bit.eml", "wrapped"), ("alternative.eml", "wrapped")]


def split(message):
    end = message.index(b"\r\n\r\n") + 2
    return message[:end], message[end + 2:]


def field_of(head):
    field = re.search(rb"^Bounce-Seal:.*?\r\n(?![ \t])", head, re.M | re.S)
    if not field:
        raise SystemExit("FAIL: no Bounce-Seal field in the sealed message")
    return field


def check_appended(original, sealed, what):
    """Bytes of the field and of the inserted parts; the rest is the original."""
    field = field_of(split(sealed)[0])
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
        raise SystemExit("FAIL: %s: sealing changed the message in more than one place" % what)
    for intro in (b"Bounce seal record: ", b"Bounce seal signature over the record"):
        if intro not in parts:
            raise SystemExit("FAIL: %s: the inserted block lacks %r" % (what, intro))
    # Where exactly a block that starts like the delimiter it precedes was
    # inserted is ambiguous by a few bytes; it must touch the close delimiter.
    close = original.rindex(b"\r\n--mix-1--")
    if not close <= p <= close + len(b"\r\n--mix-1--"):
        raise SystemExit("FAIL: %s: the seal parts were not inserted in front of the close delimiter" % what)
    return "two parts %d + Bounce-Seal field %d" % (len(parts), len(field.group(0)))


def check_wrapped(original, sealed, what):
    head, body = split(sealed)
    field = field_of(head)
    if not re.search(rb"^Content-Type: multipart/mixed; boundary=\"=_bounceseal_", head, re.M):
        raise SystemExit("FAIL: %s: not wrapped in a new multipart/mixed" % what)
    if split(original)[1] not in body:
        raise SystemExit("FAIL: %s: the original body is not kept verbatim" % what)
    return "Bounce-Seal field %d, the rest parts and wrap" % len(field.group(0))


def main(argv):
    if len(argv) not in (4, 5):
        sys.stderr.write(__doc__)
        return 2
    sign, keygen, shapes = argv[1:4]
    limit = int(argv[4]) if len(argv) == 5 else 1600
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        for domain, selector in IDENTITIES:
            subprocess.run([keygen, "-d", domain, "-s", selector, "-D", tmp], stdout=subprocess.DEVNULL, check=True)
            key = os.path.join(tmp, selector + ".private")
            for name, shape in SHAPES:
                with open(os.path.join(shapes, name), "rb") as f:
                    original = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                sealed = subprocess.run([sign, "-k", key, "-d", domain, "-s", selector, "-f", "alice@example.test"],
                                        input=original, stdout=subprocess.PIPE, check=True).stdout
                what = "%s (%s) for d=%s s=%s" % (name, shape, domain, selector)
                detail = (check_appended if shape == "appended" else check_wrapped)(original, sealed, what)
                total = len(sealed) - len(original)
                verdict = "ok" if total < limit else "FAIL"
                status |= total >= limit
                print("%s: seal adds %d bytes (limit: under %d) to %s: %s" % (verdict, total, limit, what, detail))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
