#!/usr/bin/python3
"""reference_check.py - an independent implementation of docs/FORMAT.md.

Written from the text of FORMAT.md alone, in Python's standard library
(email, hashlib, base64, binascii) plus the openssl command line for Ed25519,
and sharing no code with the C++ implementation. It re-derives everything a
seal states about a sealed message: the record text from the Bounce-Seal
field and from the record part, the signature over it, the manifest and body
hash, and both bindings. If the C++ code and this script agree, FORMAT.md
says enough for another implementation to interoperate.

Usage: reference_check.py PUBLIC_KEY_PEM ENVELOPE_SENDER SEALED_FILE...
Exit status 0 if every file checks out, 1 otherwise.
"""
import base64
import binascii
import email
import email.generator
import email.policy
import io
import hashlib
import os
import re
import subprocess
import sys
import tempfile

RECORD_INTRO = b"Bounce seal record: lets the sender spot forged bounces. Safe to ignore."
SIGNATURE_INTRO = b"Bounce seal signature over the record beside it. Safe to ignore."
TAGS = ["v", "a", "c", "d", "s", "t", "n", "bh", "hs", "hm"]


def b64(data):
    return base64.b64encode(data).decode()


def decode_cte(part):
    """FORMAT.md 4.3 step 1."""
    cte = (part.get("Content-Transfer-Encoding") or "").strip().lower()
    if cte not in ("base64", "quoted-printable"):
        # 7bit, 8bit, binary: the bytes as they are (Python gives them back
        # undecoded for these encodings).
        return part.get_payload(decode=True) or b""
    raw = part.get_payload(decode=False)
    if isinstance(raw, list):
        raise ValueError("not a leaf")
    data = raw.encode("ascii", "surrogateescape")
    if cte == "base64":
        return base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", data) + b"==", validate=False)
    if cte == "quoted-printable":
        lines = re.split(rb"(\r\n|\n|\r)", data)
        stripped = b"".join(l.rstrip(b" \t") if i % 2 == 0 else l for i, l in enumerate(lines))
        return binascii.a2b_qp(stripped)
    return data


def canonical(data):
    """FORMAT.md 4.3 steps 2-5."""
    lines = re.split(rb"\r\n|\r|\n", data)
    if lines and lines[-1] == b"" and re.search(rb"(\r\n|\r|\n)$", data):
        lines.pop()  # the split leaves an empty string after a final line end
    lines = [re.sub(rb"[ \t]+", b" ", l.rstrip(b" \t")) for l in lines]
    while lines and lines[-1] == b"":
        lines.pop()
    return b"".join(l + b"\r\n" for l in lines)


B64 = r"[A-Za-z0-9+/]*={0,2}"
DOMAIN = r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}"
SELECTOR = r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,62}"
RECORD_LINE = {"v": r"1", "a": r"ed25519-sha256", "c": r"mime-relaxed", "d": DOMAIN, "s": SELECTOR,
               "t": r"0|[1-9][0-9]{0,11}", "n": B64, "bh": B64, "hs": B64, "hm": B64}
B64_BYTES = {"n": 16, "bh": 32, "hs": 16, "hm": 16}


def seal_text(part, intro):
    """FORMAT.md 5.3: the decoded content of a leaf that begins with `intro`,
    CR deleted and trailing SP/HTAB of each line deleted, trailing empty
    lines ignored; None for anything else."""
    if part.is_multipart() or part.get_content_maintype() == "message":
        return None
    text = decode_cte(part)
    if not text.startswith(intro) or len(text) > 4096:
        return None
    lines = [l.rstrip(b" \t") for l in text.replace(b"\r", b"").split(b"\n")]
    while lines and lines[-1] == b"":
        lines.pop()
    return lines


def b64_ok(value, size):
    try:
        return len(base64.b64decode(value, validate=True)) == size
    except binascii.Error:
        return False


def strict_record(part):
    """The tags of a record part that parses strictly (2.1, 2.2), or None."""
    lines = seal_text(part, RECORD_INTRO)
    if lines is None or len(lines) != 1 + len(TAGS) or lines[0] != RECORD_INTRO:
        return None
    tags = {}
    for tag, line in zip(TAGS, lines[1:]):
        t, eq, v = line.decode("ascii", "replace").partition("=")
        if t != tag or not eq or not re.fullmatch(RECORD_LINE[tag], v):
            return None
        if tag in B64_BYTES and not (tag == "hm" and v == "") and not b64_ok(v, B64_BYTES[tag]):
            return None
        tags[tag] = v
    return tags


def strict_signature(part):
    """(d, s) of a signature part that parses strictly (5.2), or None."""
    lines = seal_text(part, SIGNATURE_INTRO)
    if lines is None or len(lines) != 4 or lines[0] != SIGNATURE_INTRO:
        return None
    d, s, b = (l.decode("ascii", "replace") for l in lines[1:])
    if not (re.fullmatch("d=" + DOMAIN, d) and re.fullmatch("s=" + SELECTOR, s) and b.startswith("b=")
            and b64_ok(b[2:], 64)):
        return None
    return d[2:].lower(), s[2:]


def body_in_chief(children):
    """FORMAT.md 4.1: the top-level entities except well-formed pairs (a
    record part that parses strictly, immediately followed by a signature
    part that parses strictly with the same d and s); returns (entities,
    records)."""
    entities, records, i = [], [], 0
    while i < len(children):
        tags = strict_record(children[i])
        sig = strict_signature(children[i + 1]) if tags and i + 1 < len(children) else None
        if tags and sig == (tags["d"].lower(), tags["s"]):
            records.append(tags)
            i += 2
            continue
        entities.append(children[i])
        i += 1
    return entities, records


def leaf_content(part):
    """The decoded content of a leaf. Python parses every message/* part into
    header blocks (message/delivery-status, message/disposition-notification),
    but FORMAT.md 4.2 makes those leaves: their content is the part's body as
    written, which Python's generator writes back."""
    if not part.is_multipart():
        return decode_cte(part)
    out = io.BytesIO()
    email.generator.BytesGenerator(out, mangle_from_=False, maxheaderlen=0).flatten(part)
    return out.getvalue().split(b"\n\n", 1)[1]


def manifest(entity, out):
    """FORMAT.md 4.2."""
    ctype = entity.get_content_type().lower()
    if ctype.startswith("multipart/") and entity.is_multipart():
        out.append("begin " + ctype)
        for child in entity.get_payload():
            manifest(child, out)
        out.append("end")
    elif ctype in ("message/rfc822", "message/global", "message/news"):
        out.append("begin " + ctype)
        inner = entity.get_payload()
        if isinstance(inner, list) and inner:
            manifest(inner[0], out)
        out.append("end")
    else:
        digest = hashlib.sha256(canonical(leaf_content(entity))).digest()
        out.append("leaf %s %s" % (ctype, b64(digest)))


def binding(label, nonce, value):
    return hashlib.sha256(label + b"\0" + nonce + value).digest()[:16]


def normalize_address(a):
    """FORMAT.md 3: white space, one pair of <>, white space, a source route;
    A-Z to a-z (bytes.lower() maps US-ASCII only)."""
    space = " \t\r\n"
    a = a.strip(space)
    if len(a) >= 2 and a.startswith("<") and a.endswith(">"):
        a = a[1:-1].strip(space)
    if a.startswith("@") and ":" in a:
        a = a.split(":", 1)[1]
    return a.encode("utf-8", "surrogateescape").lower()


def normalize_msgid(m):
    m = re.sub(r"[ \t\r\n]", "", m)
    if m.startswith("<") and m.endswith(">"):
        m = m[1:-1]
    return m.lower().encode()


def header_tags(value):
    tags = {}
    for item in value.split(";"):
        item = item.strip()
        if not item:
            continue
        tag, _, val = item.partition("=")
        tags[tag.strip()] = re.sub(r"\s", "", val)
    return tags


def record_text(tags):
    return RECORD_INTRO + b"\n" + b"".join(("%s=%s\n" % (t, tags[t])).encode() for t in TAGS)


def openssl_verify(pub, data, sig):
    with tempfile.TemporaryDirectory() as d:
        rec, sg = os.path.join(d, "r"), os.path.join(d, "s")
        open(rec, "wb").write(data)
        open(sg, "wb").write(sig)
        r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin",
                            "-in", rec, "-sigfile", sg], capture_output=True)
        return r.returncode == 0


def check(path, pub, sender):
    msg = email.message_from_bytes(open(path, "rb").read(), policy=email.policy.compat32)
    problems = []
    raw = msg.get("Bounce-Seal")
    if raw is None:
        return ["no Bounce-Seal field"]
    tags = header_tags(re.sub(r"\r?\n", "", raw))
    rec = record_text(tags)
    sig = base64.b64decode(tags["b"])
    if not openssl_verify(pub, rec, sig):
        problems.append("signature over the record rebuilt from the header does not verify")
    nonce = base64.b64decode(tags["n"])
    if b64(binding(b"bounceseal-sender", nonce, normalize_address(sender))) != tags["hs"]:
        problems.append("hs does not match the envelope sender")
    mid = msg.get("Message-ID")
    want_hm = b64(binding(b"bounceseal-message-id", nonce, normalize_msgid(mid))) if mid else ""
    if want_hm != tags["hm"]:
        problems.append("hm does not match the Message-ID")
    children = msg.get_payload() if msg.is_multipart() else []
    entities, records = body_in_chief(children)
    ours = [r for r in records if r["d"].lower() == tags["d"].lower()]
    if ours:  # FORMAT.md 4.1: the top-level parts other than the well-formed pairs
        if record_text(ours[0]) != rec:
            problems.append("record part differs from the record rebuilt from the header")
    else:  # header-only mode: the message's one top-level entity
        entities = [msg]
    lines = []
    for e in entities:
        manifest(e, lines)
    bh = b64(hashlib.sha256("".join(l + "\n" for l in lines).encode()).digest())
    if bh != tags["bh"]:
        problems.append("body hash differs: manifest was\n  " + "\n  ".join(lines))
    return problems


def main():
    if len(sys.argv) < 4:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    pub, sender, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    failed = 0
    for f in files:
        problems = check(f, pub, sender)
        print(("ok   " if not problems else "FAIL ") + os.path.basename(f))
        for p in problems:
            print("     " + p)
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
