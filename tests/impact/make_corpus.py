#!/usr/bin/python3
"""make_corpus.py - writes a corpus of ordinary outgoing messages, N of every
MIME shape, for the recipient-impact tests (spam_score_test.sh).

The messages vary what a spam filter looks at: subject, sender, mail user
agent, language and charset, size, transfer encoding, line ends, attachments,
and plain versus spam-like wording (so that scores are not all near zero and
rules on both sides of the threshold get a chance to fire). The output is the
same for the same arguments: every message draws from its own seeded random
generator, so a failing message can be regenerated and looked at.

It does not seal or score anything, and the messages are not meant as a
spam-filter training set; "spam-like" is just enough to wake the rules up.

Usage: make_corpus.py OUTDIR [PER_SHAPE]    (default 20 per shape)
Writes OUTDIR/SHAPE-NN.eml and prints "SHAPES MESSAGES".
"""
import base64
import binascii
import datetime
import email.header
import email.utils
import os
import quopri
import random
import struct
import sys
import zlib

# --- text pools --------------------------------------------------------------

PARAGRAPHS = {
    "en": [
        "Hi all, please find the minutes of Tuesday's meeting below. The budget "
        "for the second half was approved, and the new hire starts on the 3rd.",
        "Could you have a look at the draft before Friday? I am mostly unsure "
        "about the section on delivery times and the wording of the warranty.",
        "Thanks for the quick reply. The invoice number is 2026-0412; the amount "
        "has been transferred today and should arrive within two working days.",
        "The build on the staging server failed again last night. It looks like "
        "the disk filled up with old log files, so I have rotated them by hand.",
        "We are going hiking on Sunday if the weather holds. Bring water, a hat "
        "and something to eat; we meet at the station at half past eight.",
        "Attached is the revised schedule. Changes from the last version are "
        "marked in yellow; nothing moved by more than a week.",
    ],
    "de": [
        "Hallo zusammen, anbei die Unterlagen für die Besprechung am Donnerstag. "
        "Bitte prüft die Zahlen für das dritte Quartal, vor allem die Reisekosten.",
        "Vielen Dank für Ihre schnelle Rückmeldung. Die Lieferung verzögert sich "
        "leider um zwei Wochen; wir melden uns, sobald die Ware eingetroffen ist.",
        "Grüße aus Köln! Das Wetter ist herrlich, und am Rhein ist viel los.",
    ],
    "fr": [
        "Bonjour à tous, voici le compte rendu de la réunion de mardi. Les "
        "décisions concernent le budget, l'équipe et le calendrier.",
        "Merci de répondre avant vendredi ; sans réponse de votre part, nous "
        "considérerons que la proposition est acceptée. Très cordialement.",
    ],
    "es": [
        "Hola, te envío el presupuesto revisado. Hemos añadido la partida de "
        "mantenimiento y corregido el IVA. ¿Podrías confirmarlo mañana?",
        "La reunión del jueves se traslada a la sala pequeña del segundo piso. "
        "Un saludo y buen fin de semana.",
    ],
    "nl": [
        "Beste collega's, de vergadering van volgende week wordt verplaatst naar "
        "woensdag. Graag jullie agenda's aanpassen. Met vriendelijke groet.",
    ],
    "pl": [
        "Dzień dobry, przesyłam zaktualizowany harmonogram projektu. Proszę o "
        "uwagi do końca tygodnia. Pozdrawiam serdecznie, Łukasz Żółkiewski.",
    ],
    "ru": [
        "Здравствуйте! Высылаю отчёт за прошлый месяц. Пожалуйста, проверьте "
        "таблицу расходов и сообщите, если найдёте ошибки. С уважением, Ольга.",
    ],
    "ja": [
        "お世話になっております。来週の会議の資料を添付いたします。"
        "ご確認のほど、よろしくお願いいたします。",
    ],
    "pt": [
        "Olá, segue em anexo a proposta revisada. Aguardamos o seu retorno até "
        "sexta-feira. Obrigado pela atenção e até breve.",
    ],
    "it": [
        "Ciao a tutti, ecco il verbale della riunione di ieri. Vi prego di "
        "controllare le attività assegnate e le relative scadenze. Grazie!",
    ],
}

SPAM_PARAGRAPHS = [
    "CONGRATULATIONS!!! You have been selected as the WINNER of our international "
    "lottery. To claim your prize of $1,500,000.00 USD reply with your full name, "
    "bank account number and telephone number.",
    "Buy cheap meds online, no prescription needed! Viagra and Cialis at 80% OFF. "
    "Click here: http://cheap-meds.example.com/offer?id=4711",
    "Dear Friend, I am Mr. John Williams, manager of the audit department of a "
    "bank. I need your assistance to transfer the sum of US$15.5 million; you will "
    "receive 30% of the total for your help. Reply in strict confidence.",
    "Make money fast working from home! Earn $5000 per week GUARANTEED. 100% FREE "
    "to join. Act now, this limited time offer expires tonight!",
    "Your account has been suspended. Verify your password immediately at "
    "http://secure-login.example.com/verify or your mailbox will be closed.",
]

SUBJECTS = [
    "Minutes of Tuesday's meeting", "Re: draft for Friday", "Invoice 2026-0412",
    "staging build failed again", "Hiking on Sunday?", "Revised schedule",
    "Fwd: contract", "Quick question", "Lunch", "Re: Re: holiday plans",
    "Unterlagen für Donnerstag", "Compte rendu de la réunion", "Presupuesto revisado",
    "Отчёт за месяц", "会議資料", "Łukasz: harmonogram", "", "a" * 90,
]
SPAM_SUBJECTS = [
    "CONGRATULATIONS YOU HAVE WON!!!", "Cheap meds 80% OFF", "URGENT: verify your account",
    "Make $5000 a week from home", "Strictly confidential business proposal",
]

PEOPLE = [
    ("Alice Example", "alice@example.test"), ("Bob Builder", "bob@example.org"),
    ("Carol", "carol.smith@example.com"), ("", "dave@mail.example.test"),
    ("Jürgen Müller", "juergen@example.de"), ("François Lefèvre", "f.lefevre@example.fr"),
    ("Ольга Иванова", "olga@example.ru"), ("山田 太郎", "yamada@example.jp"),
    ("Erin O'Brien", "erin@gmail.com"), ("Sales Team", "sales@shop.example.com"),
]

AGENTS = [
    None, ("User-Agent", "Mozilla Thunderbird 115.5.0"),
    ("X-Mailer", "Microsoft Outlook 16.0"), ("X-Mailer", "Apple Mail (2.3774.200.91.1.1)"),
    ("User-Agent", "Mutt/2.2.12 (2023-09-09)"), ("User-Agent", "Roundcube Webmail/1.6.5"),
]

# Boundaries in the styles of common mail programs: the seal's own boundary
# must not be the only "ordinary" one the filter sees.
BOUNDARY_STYLES = [
    lambda r: "------------" + "".join(r.choice("0123456789ABCDEF") for _ in range(24)),
    lambda r: "----=_Part_%d_%d.%d" % (r.randrange(10**6), r.randrange(10**9), r.randrange(10**13)),
    lambda r: "0000000000" + "".join(r.choice("0123456789abcdef") for _ in range(18)),
    lambda r: "Apple-Mail=_" + "-".join("".join(r.choice("0123456789ABCDEF") for _ in range(n)) for n in (8, 4, 4, 4, 12)),
    lambda r: "=_%x" % r.getrandbits(64),
]


# --- helpers -----------------------------------------------------------------

def encode_word(text):
    """A header value as RFC 2047 encoded-words when it is not ASCII."""
    try:
        text.encode("ascii")
        return text
    except UnicodeEncodeError:
        return email.header.Header(text, "utf-8").encode()


def address(person, raw8bit=False):
    name, addr = person
    if not name:
        return addr
    if raw8bit:
        return '"%s" <%s>' % (name, addr)
    enc = encode_word(name)
    return '%s <%s>' % (enc if enc != name else '"%s"' % name, addr)


def b64(data):
    return base64.encodebytes(data).decode("ascii")


def qp(data):
    return quopri.encodestring(data).decode("ascii")


def png(r, w, h):
    """A valid PNG, so that image rules look at a real picture."""
    rows = b"".join(b"\x00" + bytes(r.randrange(256) for _ in range(w * 3)) for _ in range(h))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", binascii.crc32(kind + body) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def pdf(r, text):
    stream = "BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text.replace("(", "").replace(")", "")
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            "<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)]
    out = "%PDF-1.4\n"
    for i, o in enumerate(objs, 1):
        out += "%d 0 obj\n%s\nendobj\n" % (i, o)
    out += "trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    return out.encode("latin-1") + bytes(r.randrange(256) for _ in range(r.randrange(200, 4000)))


class Msg:
    """One message being made: its random source and the choices drawn from it."""

    def __init__(self, shape, index):
        self.r = random.Random("%s/%d" % (shape, index))
        self.shape, self.index = shape, index
        self.spam = index % 4 == 3
        # 7-bit shapes need ASCII text; the others get every language.
        self.lang = self.r.choice(list(PARAGRAPHS))
        # Size classes from one line to about 6 kB of text (bigger bodies come
        # from attachments: SpamAssassin needs seconds for long texts).
        self.size = [1, 2, 3, 6, 12, 30][index % 6]
        self.crlf = index % 5 != 4
        self.boundary_style = self.r.choice(BOUNDARY_STYLES)

    def boundary(self):
        return self.boundary_style(self.r)

    def text(self, ascii_only=False):
        r = self.r
        lang = "en" if ascii_only else self.lang
        pool = list(PARAGRAPHS[lang]) + (SPAM_PARAGRAPHS if self.spam else [])
        if self.size == 1:
            return r.choice(pool) + "\n"
        paras = [r.choice(pool) for _ in range(self.size)]
        if self.spam:
            paras.insert(0, r.choice(SPAM_PARAGRAPHS))
        signoff = "\n-- \n%s\n" % (r.choice(PEOPLE)[0] if not ascii_only else "Alice")
        return "\n\n".join(paras) + "\n" + signoff

    def html(self, text, images=()):
        r = self.r
        paras = "".join("<p>%s</p>\n" % p.replace("&", "&amp;").replace("<", "&lt;")
                        for p in text.split("\n\n") if p.strip())
        if self.spam:
            paras = ('<p><font color="red" size="5"><b>%s</b></font></p>\n'
                     '<p><a href="http://offer.example.com/c?u=%d">CLICK HERE</a></p>\n'
                     % (r.choice(SPAM_SUBJECTS), r.randrange(10**6))) + paras
        imgs = "".join('<img src="cid:%s" width="%d" height="%d" alt="">\n' % (cid, w, h)
                       for cid, w, h in images)
        return ('<html>\n<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>\n'
                '<body>\n%s%s</body>\n</html>\n' % (paras, imgs))

    def headers(self, raw8bit=False, extra=()):
        r = self.r
        sender = r.choice(PEOPLE)
        to = r.choice([p for p in PEOPLE if p != sender])
        subject = r.choice(SPAM_SUBJECTS if self.spam else SUBJECTS)
        if raw8bit and self.index % 2 == 0:
            subject = "Grüße – " + subject
        ts = 1795000000 + self.index * 3671 + r.randrange(86400)
        zone = datetime.timezone(datetime.timedelta(minutes=r.choice([0, 60, -300, 540, 330, -180])))
        def date(t):
            return email.utils.format_datetime(datetime.datetime.fromtimestamp(t, zone))
        h = []
        if self.index % 3 == 0:
            # What the submission server wrote before the milter saw the message.
            ip = "192.0.2.%d" % r.randrange(1, 255)
            h.append("Received: from [%s] (client.example.test [%s])\n\tby mail.example.test with ESMTPSA id %08X\n\tfor <%s>; %s"
                     % (ip, ip, r.getrandbits(32), to[1], date(ts + 2)))
        h.append("From: " + address(sender, raw8bit))
        h.append("To: " + address(to, raw8bit))
        if self.index % 7 == 2:
            h.append("Cc: " + address(r.choice(PEOPLE), raw8bit))
        h.append("Subject: " + (subject if raw8bit else encode_word(subject)))
        h.append("Date: " + date(ts))
        h.append("Message-ID: <%s.%d.%016x@%s>" % (self.shape, self.index, r.getrandbits(64),
                                                  sender[1].split("@")[1]))
        agent = r.choice(AGENTS)
        if agent:
            h.append("%s: %s" % agent)
        h.extend(extra)
        return h

    def attachment(self):
        r = self.r
        kind = r.randrange(5)
        name = r.choice(["report", "Rechnung_2026", "photo", "data", "contrat signé", "notes"])
        if kind == 0:
            data, ctype, fname = pdf(r, "Invoice %d" % r.randrange(10**5)), "application/pdf", name + ".pdf"
        elif kind == 1:
            w = r.choice([8, 32, 64])
            data, ctype, fname = png(r, w, w), "image/png", name + ".png"
        elif kind == 2:
            data, ctype, fname = bytes(r.randrange(256) for _ in range(r.randrange(300, 40000))), \
                "application/zip", name + ".zip"
        elif kind == 3:
            rows = "\n".join("%d,%s,%d.%02d" % (i, r.choice(["apples", "pears", "plums"]),
                                               r.randrange(100), r.randrange(100)) for i in range(r.randrange(3, 300)))
            return ('Content-Type: text/csv; charset=us-ascii; name="%s.csv"\n'
                    'Content-Disposition: attachment; filename="%s.csv"\n\n%s\n' % (name, name, rows))
        else:
            data = bytes(r.randrange(256) for _ in range(r.randrange(1000, 20000)))
            ctype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            fname = name + ".docx"
        fn = encode_word(fname)
        return ('Content-Type: %s; name="%s"\nContent-Disposition: attachment; filename="%s"\n'
                'Content-Transfer-Encoding: base64\n\n%s' % (ctype, fn, fn, b64(data)))

    def text_part(self, text=None, cte=None):
        text = self.text() if text is None else text
        cte = cte or self.r.choice(["8bit", "quoted-printable", "base64"])
        charset = "utf-8"
        data = text.encode("utf-8")
        if cte == "7bit" or cte == "8bit":
            body = text
        elif cte == "quoted-printable":
            body = qp(data)
        else:
            body = b64(data)
        return ("Content-Type: text/plain; charset=%s; format=flowed\nContent-Transfer-Encoding: %s\n\n%s"
                % (charset, cte, body))

    def html_part(self, html, cte=None):
        cte = cte or self.r.choice(["8bit", "quoted-printable", "base64"])
        data = html.encode("utf-8")
        body = html if cte in ("7bit", "8bit") else qp(data) if cte == "quoted-printable" else b64(data)
        return "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: %s\n\n%s" % (cte, body)


def multipart(subtype, boundary, parts, preamble="", epilogue="", close=True, params=""):
    """Content-Type value and body of a multipart made of ready part texts."""
    body = preamble
    for p in parts:
        body += "--%s\n%s%s" % (boundary, p, "" if p.endswith("\n") else "\n")
    if close:
        body += "--%s--\n%s" % (boundary, epilogue)
    return 'multipart/%s; boundary="%s"%s' % (subtype, boundary, params), body


# --- the shapes ----------------------------------------------------------------
# Each returns (header lines, body). MIME-Version is added by the caller unless
# the shape is about its absence.

def shape_plain_7bit(m):
    return m.headers(), m.text(ascii_only=True)


def shape_plain_8bit(m):
    charset = "iso-8859-1" if m.lang in ("de", "fr", "es", "pt", "it", "nl") and m.index % 2 else "utf-8"
    text = m.text()
    m.body_bytes = text.encode(charset, "replace")
    return m.headers(extra=["MIME-Version: 1.0", "Content-Type: text/plain; charset=%s" % charset,
                            "Content-Transfer-Encoding: 8bit"]), None


def shape_plain_qp(m):
    return m.headers(extra=["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
                            "Content-Transfer-Encoding: quoted-printable"]), qp(m.text().encode("utf-8"))


def shape_plain_base64(m):
    return m.headers(extra=["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
                            "Content-Transfer-Encoding: base64"]), b64(m.text().encode("utf-8"))


def shape_no_mime_version(m):
    if m.index % 4 == 3:
        ctype, body = multipart("alternative", m.boundary(), [m.text_part(), m.html_part(m.html(m.text()))])
        return m.headers(extra=["Content-Type: " + ctype]), body
    return m.headers(extra=["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]), m.text()


def shape_mixed_attachments(m):
    parts = [m.text_part()] + [m.attachment() for _ in range(1 + m.index % 3)]
    ctype, body = multipart("mixed", m.boundary(), parts)
    return m.headers(extra=["MIME-Version: 1.0", "Content-Type: " + ctype]), body


def shape_alternative(m):
    text = m.text()
    ctype, body = multipart("alternative", m.boundary(), [m.text_part(text), m.html_part(m.html(text))])
    return m.headers(extra=["MIME-Version: 1.0", "Content-Type: " + ctype]), body


def shape_related(m):
    r = m.r
    images = [("img%d.%x@example.test" % (i, r.getrandbits(32)), r.choice([16, 48, 120]), r.choice([16, 48, 90]))
              for i in range(1 + m.index % 2)]
    parts = [m.html_part(m.html(m.text(), images))]
    for cid, w, h in images:
        parts.append('Content-Type: image/png; name="%s.png"\nContent-ID: <%s>\nContent-Disposition: inline\n'
                     'Content-Transfer-Encoding: base64\n\n%s' % (cid.split("@")[0], cid, b64(png(r, w % 40 + 4, h % 40 + 4))))
    ctype, body = multipart("related", m.boundary(), parts, params='; type="text/html"')
    return m.headers(extra=["MIME-Version: 1.0", "Content-Type: " + ctype]), body


def shape_signed(m):
    r = m.r
    b = m.boundary()
    inner = m.text_part(cte=r.choice(["7bit", "quoted-printable"]) if m.lang == "en" else "quoted-printable")
    if m.index % 2:
        sig = ('Content-Type: application/pgp-signature; name="signature.asc"\n'
               'Content-Description: OpenPGP digital signature\nContent-Disposition: attachment; filename="signature.asc"\n\n'
               '-----BEGIN PGP SIGNATURE-----\n\n%s=%s\n-----END PGP SIGNATURE-----\n'
               % (b64(bytes(r.randrange(256) for _ in range(119))), base64.b64encode(bytes(r.randrange(256) for _ in range(3))).decode()))
        params = '; micalg=pgp-sha256;\n protocol="application/pgp-signature"'
        pre = "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\n"
    else:
        sig = ('Content-Type: application/pkcs7-signature; name="smime.p7s"\nContent-Transfer-Encoding: base64\n'
               'Content-Disposition: attachment; filename="smime.p7s"\nContent-Description: S/MIME Cryptographic Signature\n\n%s'
               % b64(bytes(r.randrange(256) for _ in range(r.randrange(2000, 5000)))))
        params = '; protocol="application/pkcs7-signature";\n micalg=sha-256'
        pre = "This is a cryptographically signed message in MIME format.\n\n"
    ctype, body = multipart("signed", b, [inner, sig], preamble=pre, params=params)
    return m.headers(extra=["MIME-Version: 1.0", "Content-Type: " + ctype]), body


def shape_encrypted(m):
    r = m.r
    armored = "-----BEGIN PGP MESSAGE-----\n\n%s=%s\n-----END PGP MESSAGE-----\n" % (
        b64(bytes(r.randrange(256) for _ in range(r.randrange(300, 6000)))),
        base64.b64encode(bytes(r.randrange(256) for _ in range(3))).decode())
    ctype, body = multipart("encrypted", m.boundary(), [
        "Content-Type: application/pgp-encrypted\nContent-Description: PGP/MIME version identification\n\nVersion: 1\n",
        'Content-Type: application/octet-stream; name="encrypted.asc"\nContent-Description: OpenPGP encrypted message\n'
        'Content-Disposition: inline; filename="encrypted.asc"\n\n' + armored],
        preamble="This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n",
        params='; protocol="application/pgp-encrypted"')
    return m.headers(extra=["MIME-Version: 1.0", "Content-Type: " + ctype]), body


def shape_rfc822_inside(m):
    inner = Msg(m.shape + "-inner", m.index)
    inner.spam = m.spam
    ih = inner.headers()
    if m.index % 2:
        ctype, ibody = multipart("alternative", inner.boundary(), [inner.text_part(), inner.html_part(inner.html(inner.text()))])
        ih += ["MIME-Version: 1.0", "Content-Type: " + ctype]
    else:
        ibody = inner.text(ascii_only=True)
    disp = "Content-Disposition: attachment; filename=\"forwarded.eml\"\n" if m.index % 3 else "Content-Disposition: inline\n"
    part = "Content-Type: message/rfc822\n%s\n%s\n\n%s" % (disp, "\n".join(ih), ibody)
    ctype, body = multipart("mixed", m.boundary(), [m.text_part("Forwarding this one, see below.\n"), part])
    return m.headers(extra=["MIME-Version: 1.0", "Content-Type: " + ctype]), body


def shape_preamble_epilogue(m):
    ctype, body = multipart("mixed", m.boundary(), [m.text_part(), m.attachment()],
                            preamble="This is a multi-part message in MIME format.\n",
                            epilogue="\nThis epilogue is ignored by MIME readers.\n" if m.index % 2 else "\n")
    return m.headers(extra=["MIME-Version: 1.0", "Content-Type: " + ctype]), body


def shape_empty_body(m):
    kind = m.index % 4
    if kind == 0:
        return m.headers(), ""
    if kind == 1:
        return m.headers(), "\n\n"
    if kind == 2:
        return m.headers(extra=["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]), ""
    return m.headers(extra=["MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii",
                            "Content-Transfer-Encoding: 7bit"]), "\n"


def shape_8bit_headers(m):
    extra = [] if m.index % 2 else ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
                                    "Content-Transfer-Encoding: 8bit"]
    return m.headers(raw8bit=True, extra=extra), m.text()


def shape_html_only(m):
    cte = ["7bit", "quoted-printable", "base64", "8bit"][m.index % 4]
    html = m.html(m.text(ascii_only=cte == "7bit"))
    data = html.encode("utf-8")
    body = html if cte in ("7bit", "8bit") else qp(data) if cte == "quoted-printable" else b64(data)
    return m.headers(extra=["MIME-Version: 1.0", "Content-Type: text/html; charset=utf-8",
                            "Content-Transfer-Encoding: " + cte]), body


def shape_mixed_alternative(m):
    text = m.text()
    alt_type, alt = multipart("alternative", "alt-" + m.boundary(), [m.text_part(text), m.html_part(m.html(text))])
    altpart = "Content-Type: %s\n\n%s" % (alt_type, alt)
    ctype, body = multipart("mixed", m.boundary(), [altpart] + [m.attachment() for _ in range(1 + m.index % 2)])
    return m.headers(extra=["MIME-Version: 1.0", "Content-Type: " + ctype]), body


def shape_attachment_only(m):
    ctype, body = multipart("mixed", m.boundary(), [m.attachment() for _ in range(1 + m.index % 2)])
    return m.headers(extra=["MIME-Version: 1.0", "Content-Type: " + ctype]), body


def shape_mixed_no_close(m):
    # A multipart/mixed cut short (no close delimiter): sealed by wrapping.
    ctype, body = multipart("mixed", m.boundary(), [m.text_part(), m.attachment()], close=False)
    return m.headers(extra=["MIME-Version: 1.0", "Content-Type: " + ctype]), body


SHAPES = {
    "plain-7bit": shape_plain_7bit,
    "plain-8bit": shape_plain_8bit,
    "plain-qp": shape_plain_qp,
    "plain-base64": shape_plain_base64,
    "no-mime-version": shape_no_mime_version,
    "empty-body": shape_empty_body,
    "8bit-headers": shape_8bit_headers,
    "html-only": shape_html_only,
    "mixed-attachments": shape_mixed_attachments,
    "mixed-alternative": shape_mixed_alternative,
    "attachment-only": shape_attachment_only,
    "preamble-epilogue": shape_preamble_epilogue,
    "rfc822-inside": shape_rfc822_inside,
    "mixed-no-close": shape_mixed_no_close,
    "alternative": shape_alternative,
    "related": shape_related,
    "signed": shape_signed,
    "encrypted": shape_encrypted,
}


def render(shape, index):
    m = Msg(shape, index)
    m.body_bytes = None
    headers, body = SHAPES[shape](m)
    head = "\n".join(headers).encode("utf-8") + b"\n\n"
    data = head + (m.body_bytes if m.body_bytes is not None else body.encode("utf-8"))
    if m.crlf:
        data = data.replace(b"\n", b"\r\n")
    return data


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    outdir, per_shape = argv[1], int(argv[2]) if len(argv) == 3 else 20
    os.makedirs(outdir, exist_ok=True)
    for shape in SHAPES:
        for i in range(per_shape):
            with open(os.path.join(outdir, "%s-%02d.eml" % (shape, i)), "wb") as f:
                f.write(render(shape, i))
    print(len(SHAPES), per_shape * len(SHAPES))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
