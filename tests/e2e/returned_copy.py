#!/usr/bin/python3
"""returned_copy.py - what the end-to-end tests do to sealed mail and its
bounces, byte for byte (no MIME library re-writes anything):

  returned_copy.py tamper ORIGINAL BOUNCE OUT
      writes BOUNCE with the returned copy's body changed the way a forger
      changes it: the first line of ORIGINAL's own text that appears
      verbatim in the returned copy gets one letter changed; an original
      without such a line (an empty body) gets a line put into the first
      part of the sealed copy. Fails if the bounce holds neither.
  returned_copy.py first-part SEALED OUT
      writes the first part of SEALED's top-level multipart exactly as it
      travelled (its header block and body, without the delimiter lines):
      for a wrapped message, the original content, e.g. an S/MIME signed
      entity that `openssl cms -verify` can check.

Exit status 0, or 1 with a message on standard error.
"""
import re
import sys


def body_of(message):
    m = re.search(rb"\r?\n\r?\n", message)
    return message[m.end():] if m else b""


def text_lines(original):
    """Lines of the original's body that are plain text: letters and spaces,
    long enough to be unique, not a MIME header or a boundary line."""
    for line in re.split(rb"\r?\n", body_of(original)):
        if len(line) >= 12 and re.fullmatch(rb"[A-Za-z][A-Za-z ,.;:'!?-]+", line) and b":" not in line[:20]:
            yield line


def tamper(original, bounce):
    start = bounce.find(b"Bounce-Seal:")  # the returned copy's header
    if start < 0:
        raise SystemExit("returned_copy: the bounce returns no sealed copy")
    for line in text_lines(original):
        at = bounce.find(line, start)
        if at >= 0:
            i = next(i for i, c in enumerate(line) if chr(c).isalpha())
            swapped = b"x" if line[i:i + 1] != b"x" else b"y"
            return bounce[:at + i] + swapped + bounce[at + i + 1:]
    # No text of its own: put a line into the first part of the wrap.
    m = re.compile(rb"\r?\n--=_bounceseal_[0-9A-Za-z]+\r?\n(?:.+\r?\n)*?\r?\n").search(bounce, start)
    if not m:
        raise SystemExit("returned_copy: no text of the original and no wrapped first part in the bounce")
    return bounce[:m.end()] + b"A line the sender never wrote.\r\n" + bounce[m.end():]


def first_part(sealed):
    head_end = re.search(rb"\r?\n\r?\n", sealed).start()
    ctype = re.search(rb"^Content-Type:[ \t]*multipart/[^;]*;.*?boundary=\"?([^\";\r\n]+)", sealed[:head_end],
                      re.M | re.I | re.S)
    if not ctype:
        raise SystemExit("returned_copy: the message is not multipart")
    delimiter = re.escape(b"--" + ctype.group(1))
    m = re.search(rb"(?:^|\n)" + delimiter + rb"[ \t]*\r?\n(.*?)\r?\n" + delimiter, sealed[head_end:], re.S)
    if not m:
        raise SystemExit("returned_copy: no first part")
    return m.group(1)


def main(argv):
    if len(argv) == 5 and argv[1] == "tamper":
        out = tamper(open(argv[2], "rb").read(), open(argv[3], "rb").read())
        dest = argv[4]
    elif len(argv) == 4 and argv[1] == "first-part":
        out = first_part(open(argv[2], "rb").read())
        dest = argv[3]
    else:
        sys.stderr.write(__doc__)
        return 2
    with open(dest, "wb") as f:
        f.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
