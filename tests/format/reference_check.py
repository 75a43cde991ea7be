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


def seal_kind(part):
    """FORMAT.md 5.3: by the decoded content's first line, whatever the type."""
    if part.is_multipart() or part.get_content_maintype() == "message":
        return None
    text = decode_cte(part)
    if text.startswith(RECORD_INTRO):
        return "record"
    if text.startswith(SIGNATURE_INTRO):
        return "signature"
    return None


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
    a = a.strip()
    if a.startswith("<") and a.endswith(">"):
        a = a[1:-1].strip()
    return a.lower().encode()


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
    kinds = [seal_kind(c) for c in children]
    records = [decode_cte(c).replace(b"\r", b"") for c, k in zip(children, kinds) if k == "record"]
    if records:  # FORMAT.md 4.1: the top-level parts other than the seal parts
        entities = [c for c, k in zip(children, kinds) if k is None]
        if records[0].rstrip(b"\n") + b"\n" != rec:
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
