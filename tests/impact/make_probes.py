#!/usr/bin/python3
"""make_probes.py - writes probe messages for the recipient-impact tests:
ordinary-looking outgoing mail written so that each of SpamAssassin's rules
that read the top-level Content-Type, Content-Transfer-Encoding,
Content-Disposition or MIME-Version fires on at least one of them, and so
that the scored rules built on those (FROM_MISSPACED, MIME_NO_TEXT,
FORGED_MUA_THEBAT_BOUN, ...) get the other conditions they need. Wrapping
a message in a new multipart/mixed changes exactly those fields, so these
are the messages where a seal could change a score.

Which rules must be covered is not written here: sa_rules.pl lists them
from SpamAssassin's own rule files, and spam_score_test.sh fails if one of
them fires on no probe. PROBES below says, for a reader, what each probe is
for; the scores decide.

Like make_corpus.py it seals and scores nothing. Output is the same on
every run.

Usage: make_probes.py OUTDIR       Writes OUTDIR/probe-NAME.eml, prints the count.
"""
import base64
import os
import sys

import make_corpus as mc

SPAMMY = ("Dear Friend, you will receive 30% of US$15.5 million for your assistance. "
          "Reply in strict confidence with your bank account number.\n")
HTML_DOC = ('<html><head><meta charset="utf-8"></head><body><p>The agenda for Thursday is '
            'below.</p><ul><li>budget</li><li>hiring</li></ul></body></html>\n')


def text(lines=("Hi Bob,", "", "the minutes of Tuesday are below; the budget was approved.", "",
                "Alice")):
    return "\n".join(lines) + "\n"


def head(m, sender=None, to=None, extra=(), mime=True, subject="Minutes of Tuesday's meeting"):
    """The probe's header lines as the recipient's filter sees them: the hop
    from the sender's server to the recipient's on top, a fixed From, To and
    Subject unless given, then `extra`."""
    h = [l for l in m.headers() if not l.startswith(("From:", "To:", "Cc:", "Subject:", "User-Agent:", "X-Mailer:"))]
    at = 1 if h[0].startswith("Received:") else 0
    h[at:at] = ["From: " + (sender or "Alice Example <alice@example.test>"),
                "To: " + (to or "Bob Builder <bob@example.org>"), "Subject: " + subject]
    date = [l for l in h if l.startswith("Date: ")][0][6:]
    h.insert(0, "Received: from gw.example.test (gw.example.test [192.0.2.25])\n\tby mx.example.org (Postfix) "
                "with ESMTPS id 4Q2X9Z%04X for <bob@example.org>;\n\t%s" % (m.r.getrandbits(16), date))
    return h + (["MIME-Version: 1.0"] if mime else []) + list(extra)


def alternative(m, boundary, plain=None):
    plain = plain or text()
    return mc.multipart("alternative", boundary, [m.text_part(plain, "7bit"), m.html_part(m.html(plain), "7bit")])


# Each probe: (name, what it is for, function of a mc.Msg giving header lines and body).
def p_outlook_boundary(m):
    ct, body = alternative(m, "----=_NextPart_000_0000_01C8A1B2.C3D4E5F0")
    return head(m, extra=["X-Mailer: Microsoft Office Outlook 11", "Content-Type: " + ct]), body


def p_cp1251(m):
    body = "Здравствуйте! Высылаю отчёт за прошлый месяц.\n".encode("cp1251")
    m.body_bytes = body
    return head(m, extra=['Content-Type: text/plain; charset="Windows-1251"', "Content-Transfer-Encoding: 8bit"]), None


def p_boundary(boundary, subtype="alternative", agent=None):
    def probe(m):
        ct, body = (alternative(m, boundary) if subtype == "alternative" else
                    mc.multipart(subtype, boundary, [m.html_part(m.html(text()), "7bit")], params='; type="text/html"'))
        return head(m, extra=([agent] if agent else []) + ["Content-Type: " + ct]), body
    return probe


def p_charset_default(m):
    return head(m, extra=["Content-Type: text/plain; charset=DEFAULT"]), text()


def p_reply_type(charset):
    def probe(m):
        ct = 'text/plain; format=flowed; charset="%s"; reply-type=original' % charset
        return head(m, extra=["X-Mailer: Microsoft Windows Live Mail 16.4.3528.331", "Content-Type: " + ct,
                              "Content-Transfer-Encoding: 7bit"]), text() + "\n" + mc.SPAM_PARAGRAPHS[1] + "\n"
    return probe


def p_bat_alternative(m):
    ct, body = alternative(m, "----------1A2B3C4D5E6F")
    return head(m, extra=["X-Mailer: The Bat! (v9.1.18) Professional", "Content-Type: " + ct]), body


def p_bat_plain(m):
    return head(m, extra=["X-Mailer: The Bat! (v9.1.18) Professional",
                          "Content-Type: text/plain; charset=us-ascii", "Content-Transfer-Encoding: 7bit"]), text()


def p_mime_version(value):
    def probe(m):
        return head(m, mime=False, extra=["MIME-Version: " + value, "Content-Type: text/plain; charset=utf-8"]), text()
    return probe


def p_report(report_type, second):
    def probe(m):
        parts = [m.text_part("This is a report about a message you sent.\n", "7bit"), second]
        ct, body = mc.multipart("report", m.boundary(), parts, params="; report-type=" + report_type)
        return head(m, extra=["Content-Type: " + ct]), body
    return probe


def p_challenge(m):
    ct, body = alternative(m, "mUlTiPaRtBoUnDaRy_MailInBlack_4711",
                           "To protect me from spam, please confirm that you are a person. Your message "
                           "\"compensation for phar4macy pills\" waits until you do.\n")
    return head(m, extra=["Content-Type: " + ct], subject="Please confirm: compensation for phar4macy pills"), body


def p_html_naked_to(m):
    return head(m, to="bob@example.org", extra=['Content-Type: text/html; charset="utf-8"',
                                               "Content-Transfer-Encoding: 7bit"]), m.html(text())


def p_html_apple(m):
    return (head(m, mime=False, extra=["X-Mailer: Apple Mail (2.3774.200.91.1.1)",
                                       "Mime-Version: 1.0 (Apple Message framework v1283)",
                                       "Content-Type: text/html; charset=us-ascii"]), m.html(text()))


def p_misspaced_alternative(m):
    ct, body = alternative(m, m.boundary(), text() + "\n" + mc.SPAM_PARAGRAPHS[3] + "\n")
    return head(m, sender='"Alice Example"<alice@example.test>', to="bob@example.org",
                extra=["Reply-To: alice@example.test", "Content-Type: " + ct]), body


def p_misspaced_plain(m):
    return head(m, sender='"Alice Example"<alice@example.test>', to="bob@example.org",
                extra=["Content-Type: text/plain; charset=us-ascii"]), text()


def p_html_after_end(cte):
    def probe(m):
        body = HTML_DOC + "sent from my phone\n"
        return head(m, extra=["Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: " + cte]), body
    return probe


def p_plain_quoting_html(m):
    body = text() + "\nThe page ends like this:\n\n" + HTML_DOC + "and then nothing else.\n"
    return head(m, extra=["Content-Type: text/plain; charset=us-ascii"]), body


def p_plain_money(m):
    return head(m, extra=["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]), \
        text() + "\n" + SPAMMY


def p_plain_8bit_mislabelled(m):
    m.body_bytes = (text() + "Grüße aus Köln\n").encode("utf-8")
    return head(m, extra=["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 7bit"]), None


def p_php_script(m):
    return head(m, extra=["X-PHP-Script: www.example.test/contact.php for 192.0.2.7",
                          "Content-Type: text/plain; charset=us-ascii", "Content-Transfer-Encoding: 7bit"]), \
        "A visitor sent this through the contact form:\n\nPlease call me back about the offer.\n"


def p_smime_enveloped(m):
    data = base64.encodebytes(bytes(m.r.randrange(256) for _ in range(1500))).decode()
    return head(m, extra=['Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"',
                          "Content-Transfer-Encoding: base64",
                          'Content-Disposition: attachment; filename="smime.p7m"']), data


def p_tbird(boundary):
    def probe(m):
        jpeg = base64.encodebytes(b"\xff\xd8\xff\xe0" + bytes(m.r.randrange(256) for _ in range(600)) + b"\xff\xd9")
        parts = [m.html_part(m.html(text()), "7bit"),
                 'Content-Type: image/jpeg; name="photo.jpg"\nContent-ID: <part1.photo@example.test>\n'
                 'Content-Disposition: inline; filename="photo.jpg"\nContent-Transfer-Encoding: base64\n\n'
                 + jpeg.decode()]
        ct, body = mc.multipart("related", boundary, parts, params='; type="text/html"')
        return head(m, extra=["User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.5.0",
                              "Content-Type: " + ct]), body
    return probe


def p_disposition_inline(m):
    return head(m, extra=["Content-Type: text/plain; charset=us-ascii", "Content-Disposition: inline",
                          "User-Agent: Mutt/2.2.12 (2023-09-09)"]), text()


def p_html_no_mime_version(m):
    return head(m, mime=False, extra=["Content-Type: text/html; charset=utf-8"]), m.html(text())


def p_single_binary(ctype, name, php=False):
    def probe(m):
        data = mc.png(m.r, 16, 16) if ctype == "image/png" else bytes(m.r.randrange(256) for _ in range(900))
        extra = ["X-Mailer: PHP/8.2.7"] if php else []
        return head(m, extra=extra + ['Content-Type: %s; name="%s"' % (ctype, name),
                                      "Content-Transfer-Encoding: base64",
                                      'Content-Disposition: attachment; filename="%s"' % name]), mc.b64(data)
    return probe


def p_ctype_in_body(m):
    body = text() + "\nThe server answered with these lines:\n\nContent-Type: text/html\nContent-Length: 0\n"
    return head(m, extra=["Content-Type: text/plain; charset=us-ascii"]), body


def p_two_ctypes(m):
    return head(m, extra=["Content-Type: text/plain; charset=us-ascii", "Content-Type: text/plain; charset=utf-8"]), text()


def p_mixed(m):
    ct, body = mc.multipart("mixed", m.boundary(), [m.text_part(text(), "7bit"), m.attachment()])
    return head(m, extra=["Content-Type: " + ct]), body


def p_rfc822_alone(m):
    inner = "\n".join(head(mc.Msg("probe-inner", 1), extra=["Content-Type: text/plain; charset=us-ascii"])) + \
        "\n\n" + text()
    return head(m, extra=["Content-Type: message/rfc822", 'Content-Disposition: inline']), inner


def p_partial(m):
    return head(m, extra=['Content-Type: message/partial; id="part.4711@example.test"; number=1; total=2']), \
        "From: alice@example.test\nSubject: big\n\nfirst half\n"


PROBES = [
    ("outlook-boundary", "CTYPE_001C_B: Outlook's boundary on an alternative", p_outlook_boundary),
    ("cp1251", "FSL_CTYPE_WIN1251: charset=\"Windows-1251\"", p_cp1251),
    ("boundary-dd-digits", "MIME_BOUND_DD_DIGITS", p_boundary("--1234567890")),
    ("boundary-digits-15", "MIME_BOUND_DIGITS_15, on a multipart/related", p_boundary("1234567890123456", "related")),
    ("boundary-eudora", "MIME_BOUND_EQ_REL: Eudora's boundary", p_boundary("=====================_12345678==.REL")),
    ("boundary-guid", "MIME_BOUND_MANY_HEX: a GUID boundary", p_boundary("0a1b2c3d-4e5f-6789-abcd-ef0123456789")),
    ("boundary-qzsoft", "TVD_RATWARE_CB", p_boundary("qzsoft_directmail_seperator_4711")),
    ("boundary-mra", "TVD_RATWARE_CB_2", p_boundary("----4711==.MRA")),
    ("charset-default", "NONEXISTENT_CHARSET", p_charset_default),
    ("reply-type", "STOX_REPLY_TYPE, STOX_REPLY_TYPE_WITHOUT_QUOTES", p_reply_type("iso-8859-1")),
    ("reply-type-1252", "TVD_FINGER_02", p_reply_type("Windows-1252")),
    ("bat-alternative", "__BAT_BOUNDARY: The Bat!'s own boundary", p_bat_alternative),
    ("bat-plain", "FORGED_MUA_THEBAT_BOUN: a single part from The Bat! has no boundary", p_bat_plain),
    ("mime-version-2", "__BOGUS_MIME_VER_02, BOGUS_MIME_VERSION", p_mime_version("2.0")),
    ("mime-version-malformed", "__MALF_MIME_VER, BOGUS_MIME_VERSION", p_mime_version("1.0;")),
    ("report-feedback", "__BOUNCE_CTYPE: an abuse report (ARF), sent with a sender",
     p_report("feedback-report", "Content-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: ARF/1\n"
                                 "Version: 1\n")),
    ("report-receipt", "__NONBOUNCE_READ_RECEIPT_CTYPE: a read receipt (MDN)",
     p_report("disposition-notification", "Content-Type: message/disposition-notification\n\n"
                                          "Final-Recipient: rfc822; bob@example.org\n"
                                          "Disposition: manual-action/MDN-sent-manually; displayed\n")),
    ("challenge", "__CRBOUNCE_MIB: a MailInBlack challenge", p_challenge),
    ("html-naked-to", "__CTYPE_CHARSET_QUOTED, __CTYPE_HTML, TO_NO_BRKTS_HTML_ONLY", p_html_naked_to),
    ("html-apple", "__MIME_VERSION_APPLEMAIL, __USER_AGENT_APPLEMAIL", p_html_apple),
    ("misspaced-alternative", "__CTYPE_MULTIPART_ALT: FROM_MISSPACED, FROM_MISSP_REPLYTO, TO_NO_BRKTS_FROM_MSSP",
     p_misspaced_alternative),
    ("misspaced-plain", "FROM_MISSPACED on a single part (fires sealed or not)", p_misspaced_plain),
    ("html-after-end-8bit", "__L_CTE_8BIT, CONTENT_AFTER_HTML", p_html_after_end("8bit")),
    ("html-after-end-qp", "CONTENT_AFTER_HTML_WEAK", p_html_after_end("quoted-printable")),
    ("plain-quoting-html", "__CT_TEXT_PLAIN, CONTENT_AFTER_HTML_WEAK", p_plain_quoting_html),
    ("plain-money", "MONEY_NOHTML", p_plain_money),
    ("plain-8bit-as-7bit", "CTE_8BIT_MISMATCH", p_plain_8bit_mislabelled),
    ("php-script", "__L_CTE_7BIT, PHP_SCRIPT", p_php_script),
    ("smime-enveloped", "__SMIME_MESSAGE, __CT_ENCRYPTED, ENCRYPTED_MESSAGE", p_smime_enveloped),
    ("tbird-0d0d", "__MIME_BDRY_0D0D, T_FORGED_TBIRD_IMG_SIZE",
     p_tbird("------------010203040506070809010203")),
    ("tbird-no-z", "__TB_MIME_BDRY_NO_Z, TBIRD_SUSP_MIME_BDRY", p_tbird("--------1234567891234567")),
    ("disposition-inline", "__CD", p_disposition_inline),
    ("html-no-mime-version", "MIME_HEADER_CTYPE_ONLY", p_html_no_mime_version),
    ("single-image", "MIME_NO_TEXT: a single image, no text", p_single_binary("image/png", "scan.png")),
    ("single-image-php", "MIME_PHP_NO_TEXT", p_single_binary("image/png", "chart.png", php=True)),
    ("single-zip", "MIME_NO_TEXT: a single archive", p_single_binary("application/zip", "files.zip")),
    ("ctype-in-body", "T_MIME_MALF", p_ctype_in_body),
    ("two-ctypes", "HEADER_COUNT_CTYPE", p_two_ctypes),
    ("mixed", "__CTYPE_MULTIPART_MIXED (the seal parts are appended)", p_mixed),
    ("rfc822-alone", "a forwarded message and nothing else: wrapped, its text still counts", p_rfc822_alone),
    ("partial", "FRAGMENTED_MESSAGE (message/partial is never sealed)", p_partial),
]


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    for i, (name, _, probe) in enumerate(PROBES):
        m = mc.Msg("probe-" + name, i)
        m.spam = False
        m.body_bytes = None
        headers, body = probe(m)
        data = "\n".join(headers).encode("utf-8") + b"\n\n" + (m.body_bytes if m.body_bytes is not None
                                                              else body.encode("utf-8"))
        with open(os.path.join(outdir, "probe-%s.eml" % name), "wb") as f:
            f.write(data.replace(b"\n", b"\r\n"))
    print(len(PROBES))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
