// attacks.cpp - the forger's attacks (attacks.hpp). Each is one function of
// a few lines: the spam, and the bounce an MTA makes of it (a template of
// tests/data/bounces) or the bounce the forger writes himself.
#include "attacks.hpp"

#include <stdexcept>

#include "bounce_support.hpp"
#include "bounceseal/record.hpp"

namespace bounceseal::testing {
namespace {

std::string with_return_path(const std::string& sender, std::string bounce) {
    // The templates start with "Return-Path: <>": a forger writing the
    // bounce himself may use any envelope sender.
    const std::string null = "Return-Path: <>\n";
    if (!bounce.starts_with(null)) throw std::logic_error("template without a null Return-Path");
    return "Return-Path: <" + sender + ">\n" + bounce.substr(null.size());
}

// An MTA's bounce that is no DSN: a notice and the message attached, the
// way trendmicro, x1 and Exchange 2003 return it.
std::string non_dsn_bounce(const std::string& copy) {
    return "Return-Path: <>\n"
           "From: Mail Delivery System <MAILER-DAEMON@gw.remote.example>\n"
           "To: alice@example.test\n"
           "Subject: Mail delivery failed\n"
           "Date: Mon, 18 Nov 2026 10:00:21 +0000\n"
           "Message-ID: <ndr.20261118100021@gw.remote.example>\n"
           "MIME-Version: 1.0\n"
           "Content-Type: multipart/mixed; boundary=\"ndr-gw-0001\"\n\n"
           "--ndr-gw-0001\nContent-Type: text/plain; charset=us-ascii\n\n"
           "Your message could not be delivered to bob@remote.example.\n\n"
           "--ndr-gw-0001\nContent-Type: message/rfc822\n\n" +
           copy + "\n--ndr-gw-0001--\n";
}

std::string dsn(const std::string& copy) { return test_bounce("sendmail-dsn.eml", copy); }

std::string boundary_of(const std::string& message) {
    const std::string key = "boundary=\"";
    std::size_t at = message.find(key);
    if (at == std::string::npos) throw std::logic_error("genuine multipart without a quoted boundary");
    at += key.size();
    return message.substr(at, message.find('"', at) - at);
}

// `part` (a whole MIME part: header, blank line, content) inserted into
// the top-level multipart of `message`: before its seal record part, or
// before its close delimiter.
std::string insert_part(const std::string& message, const std::string& part, bool before_record) {
    const std::string b = boundary_of(message);
    std::size_t at = before_record ? message.find("--" + b + "\nContent-Type: " + std::string(kRecordPartType))
                                   : message.find("--" + b + "--");
    if (at == std::string::npos) throw std::logic_error("genuine multipart without seal parts or close delimiter");
    return message.substr(0, at) + "--" + b + "\n" + part + "\n" + message.substr(at);
}

// The top-level seal parts of a message sealed with them (record part and
// signature part, each with its delimiter line), cut out of it.
std::string seal_parts_of(const std::string& message) {
    const std::string b = boundary_of(message);
    std::size_t from = message.find("--" + b + "\nContent-Type: " + std::string(kRecordPartType));
    std::size_t to = message.find("--" + b + "--");
    if (from == std::string::npos || to == std::string::npos) throw std::logic_error("no seal parts");
    return message.substr(from, to - from);
}

std::string seal_field_of(const std::string& message) {
    std::size_t at = message.find("\nBounce-Seal:");
    if (at == std::string::npos) throw std::logic_error("no Bounce-Seal field");
    std::size_t end = at + 1;
    do end = message.find('\n', end) + 1;
    while (message[end] == ' ' || message[end] == '\t');
    return message.substr(at + 1, end - at - 1);
}

// `spam` with the Message-ID of `message`, which the seal binds (sendmail
// spells the field "Message-Id").
std::string with_message_id_of(const std::string& message, const std::string& spam) {
    auto line = [](const std::string& m) {
        const std::string lower = ascii_lower(m);
        std::size_t at = lower.find("\nmessage-id:");
        if (at == std::string::npos) throw std::logic_error("no Message-ID");
        return m.substr(at + 1, m.find('\n', at + 1) - at);
    };
    return replace_once(spam, line(spam), line(message));
}

// A Bounce-Seal field that parses but was never signed: the genuine one
// with another nonce.
std::string made_up_field(const std::string& message) {
    std::string field = seal_field_of(message);
    std::size_t n = field.find("n=");
    if (n == std::string::npos) throw std::logic_error("no n= tag");
    field[n + 2] = field[n + 2] == 'A' ? 'B' : 'A';
    return field;
}

std::string mixed(const std::string& boundary, const std::vector<std::string>& parts) {
    std::string out = "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\n\n";
    for (const auto& p : parts) out += "--" + boundary + "\n" + p + "\n";
    return out + "--" + boundary + "--\n";
}

const char* kText = "Content-Type: text/plain; charset=us-ascii\n\nCheap watches, today only.\n";

const char* const kMultipartOriginal =
    "From: Alice <alice@example.test>\n"
    "To: Bob <bob@remote.example>\n"
    "Subject: figures attached\n"
    "Date: Mon, 18 Nov 2026 10:00:00 +0000\n"
    "Message-ID: <20261118100000.4712@example.test>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"orig-boundary\"\n"
    "\n"
    "--orig-boundary\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "Hello Bob, the figures.\n"
    "--orig-boundary\n"
    "Content-Type: text/csv; name=\"figures.csv\"\n"
    "Content-Disposition: attachment; filename=\"figures.csv\"\n"
    "\n"
    "month,total\njan,17\n"
    "--orig-boundary--\n";

}  // namespace

Genuine test_genuine() {
    return Genuine{sealed_original(), seal_text(kMultipartOriginal, sealing(SealMode::append_only)), kSender};
}

std::vector<std::string> forger_payloads(const Genuine& g) {
    return {g.plain,
            g.multipart,
            "Read this:\n\n" + g.plain,
            prefix_lines(g.plain, "> "),
            test_bounce("sendmail-dsn.eml", g.plain),
            seal_parts_of(g.multipart),
            "Content-Type: message/rfc822\n\n" + g.plain,
            "Content-Type: text/plain\n\n" + seal_field_of(g.plain) + "\n" + g.multipart};
}

std::string spam_message(const std::string& sender, const std::string& subject, const std::string& body,
                         const std::string& extra_header) {
    return "From: " + sender + "\nTo: victim@spam-target.example\nSubject: " + subject +
           "\nDate: Mon, 18 Nov 2026 09:59:00 +0000\nMessage-ID: <" + std::to_string(subject.size()) +
           ".run42@spam.example>\n" + extra_header + "MIME-Version: 1.0\n" +
           (body.empty() ? std::string(kText) : body);
}

std::vector<Attack> attacks(const Genuine& g) {
    const std::string& a = g.sender;
    std::vector<Attack> out;
    auto add = [&](std::string name, std::string what, std::string spam, std::string bounce,
                   Reason reason = Reason::no_seal) {
        out.push_back({std::move(name), std::move(what), std::move(spam), std::move(bounce), reason, false});
    };
    auto backscatter = [&](std::string name, std::string what, std::string spam, Reason reason = Reason::no_seal) {
        std::string bounce = dsn(spam);
        add(std::move(name), std::move(what), std::move(spam), std::move(bounce), reason);
    };

    // 1. "Not a bounce" from inside the copy.
    backscatter("feedback_part_in_copy", "the spam holds a message/feedback-report part",
                spam_message(a, "feedback", mixed("fb1", {kText, "Content-Type: message/feedback-report\n\n"
                                                                 "Feedback-Type: abuse\nUser-Agent: x/1\nVersion: 1\n"})));
    backscatter("feedback_report_type_copy", "the spam is multipart/report; report-type=feedback-report",
                spam_message(a, "report", "Content-Type: multipart/report; report-type=feedback-report; boundary=\"fb2\"\n\n"
                                          "--fb2\n" + std::string(kText) + "\n--fb2\nContent-Type: message/feedback-report\n\n"
                                          "Feedback-Type: abuse\n\n--fb2--\n"));
    {
        std::string spam = spam_message(a, "receipt", mixed("mdn1", {kText, "Content-Type: message/disposition-notification\n\n"
                                                                            "Disposition: manual-action/MDN-sent-manually; displayed\n"}));
        add("mdn_part_in_copy", "a non-DSN bounce returns a spam holding a message/disposition-notification part",
            spam, non_dsn_bounce(spam));
    }
    backscatter("calendar_spam", "the spam is a calendar invitation, no bounce words anywhere in it",
                spam_message(a, "Invitation", "Content-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\nEND:VCALENDAR\n"));

    // 2. A genuine seal nested inside the copy.
    const std::string attached = "Content-Type: message/rfc822\nContent-Disposition: attachment\n\n" + g.plain;
    backscatter("genuine_attached", "alice's genuine sealed message attached to the spam (message/rfc822)",
                spam_message(a, "attached", mixed("att1", {kText, attached})));
    {
        std::string spam = spam_message(a, "attached deny", mixed("att2", {kText, attached}));
        out.push_back({"genuine_attached_deny", "the same, judged with HeadersOnly deny", spam, dsn(spam),
                       Reason::no_seal, true});
    }
    backscatter("genuine_pasted", "alice's genuine message pasted into the spam's text",
                spam_message(a, "pasted", "Content-Type: text/plain\n\nRead this:\n\n" + g.plain));
    backscatter("genuine_pasted_quoted", "alice's genuine message quoted with '> ' in the spam's text",
                spam_message(a, "quoted", "Content-Type: text/plain\n\nShe wrote:\n\n" + prefix_lines(g.plain, "> ")));
    backscatter("genuine_in_preamble", "alice's genuine message in the preamble of the spam's multipart",
                spam_message(a, "preamble", "Content-Type: multipart/mixed; boundary=\"pre1\"\n\n" + g.plain +
                                                "\n--pre1\n" + kText + "\n--pre1--\n"));
    backscatter("genuine_eml_attachment", "alice's genuine message as a base64 .eml attachment",
                spam_message(a, "eml", mixed("eml1", {kText, "Content-Type: application/octet-stream; name=\"a.eml\"\n"
                                                             "Content-Transfer-Encoding: base64\n"
                                                             "Content-Disposition: attachment; filename=\"a.eml\"\n\n" +
                                                                 encode(g.plain, GMIME_CONTENT_ENCODING_BASE64)})));
    backscatter("genuine_in_partial", "alice's genuine message in a message/partial part",
                spam_message(a, "partial", mixed("par1", {kText, "Content-Type: message/partial; id=\"x\"; number=1; total=1\n\n" +
                                                                     g.plain})));
    backscatter("genuine_headers_part", "alice's genuine header in a text/rfc822-headers part",
                spam_message(a, "headers", mixed("hdr1", {kText, "Content-Type: text/rfc822-headers\n\n" + header_block(g.plain)})));
    backscatter("copy_of_copy", "the spam is itself a bounce returning alice's genuine message",
                dsn(g.plain).substr(std::string("Return-Path: <>\n").size()));
    backscatter("spam_is_a_wrapper", "the spam's own body is alice's genuine message (Content-Type: message/rfc822)",
                spam_message(a, "wrapper", "Content-Type: message/rfc822\n\n" + g.plain));
    {
        std::string spam = spam_message(a, "pasted inline", "Content-Type: text/plain\n\nRead this:\n\n" + g.plain);
        add("genuine_pasted_inline_return", "qmail returns the spam inline; its text holds alice's genuine message",
            spam, test_bounce("qmail.eml", spam));
        // No From, Date or Message-ID of his own: only the relay's Received
        // lines (from the template) and a Subject start the returned copy.
        std::string weak = "Subject: hi\n\nRead this:\n\n" + g.plain;
        add("weak_header_inline_return", "an inline return of a spam whose own header is almost empty", weak,
            test_bounce("qmail.eml", weak));
        std::string headers_tmpl = replace_once(read_test_data("bounces/postfix-headers.eml"), "{{original-headers}}",
                                                "{{original}}");
        add("genuine_in_body_of_headers_part", "a text/rfc822-headers part carries the spam's body, which pastes alice's message",
            spam, fill_template(headers_tmpl, spam));
        // A header with no field of a message's header at all, returned by
        // an MTA that added no Received line: the part's first line is the
        // copy's header however weak, never the block pasted below it.
        std::string bare = "X-Campaign: 42\n\nRead this:\n\n" + g.plain;
        add("weak_header_in_headers_part", "a text/rfc822-headers part returns a spam with only an X- field above a pasted message",
            bare, fill_template(headers_tmpl, bare));
    }
    {
        std::string spam = spam_message(a, "junk seal", mixed("junk1", {kText, attached}),
                                        "Bounce-Seal: v=1; d=example.test; s=sel1; b=AAAA\n");
        add("junk_seal_field_and_genuine_nested", "a made-up Bounce-Seal field on the spam, the genuine one attached",
            spam, dsn(spam), Reason::malformed);
    }

    // 3. Parts that start like seal parts but are none.
    const std::string lookalike = "Content-Type: text/html; charset=us-ascii\n\n" + std::string(kRecordIntro) +
                                  "\n<html><body>Cheap watches, today only.</body></html>\n";
    backscatter("lookalike_part_after_pair", "alice's genuine multipart with an HTML part that starts with the record intro, after the seal parts",
                insert_part(g.multipart, lookalike, false), Reason::body_mismatch);
    backscatter("lookalike_part_before_pair", "the same part before the seal parts",
                insert_part(g.multipart, lookalike, true), Reason::body_mismatch);
    backscatter("genuine_pair_on_spam", "alice's genuine seal parts (without her header field) at the top of the spam",
                with_message_id_of(g.multipart, spam_message(a, "pair", "Content-Type: multipart/mixed; boundary=\"" + boundary_of(g.multipart) + "\"\n\n--" +
                                            boundary_of(g.multipart) + "\n" + kText + "\n" + seal_parts_of(g.multipart) + "--" +
                                            boundary_of(g.multipart) + "--\n")),
                Reason::body_mismatch);

    // 4. A Bounce-Seal field in the bounce's own header.
    const std::string forged = dsn(spam_message(a, "forged"));
    add("forged_top_seal_field", "a bounce he writes himself, with a made-up Bounce-Seal field and a non-null sender", "",
        with_return_path("bounces@mx.remote.example",
                         replace_once(forged, "Subject:", made_up_field(g.plain) + "Subject:")));
    add("genuine_top_seal_field", "the same with alice's genuine Bounce-Seal field", "",
        with_return_path("bounces@mx.remote.example",
                         replace_once(forged, "Subject:", seal_field_of(g.plain) + "Subject:")));

    // Labels of other report kinds in the bounce's own structure (what a
    // guessed MTA boundary would let the copy inject): the null sender and
    // the DSN outrank them.
    add("injected_feedback_part", "a null-sender DSN that also holds a message/feedback-report part", "",
        replace_once(forged, "Content-Type: message/delivery-status",
                     "Content-Type: message/feedback-report\n\nFeedback-Type: abuse\n\n--4AIA0a1b000123.1795000005/mx.remote.example\n"
                     "Content-Type: message/delivery-status"));
    return out;
}

std::vector<Attack> recipe_attacks(const Genuine& g) {
    const std::string spam = spam_message(g.sender, "recipe");
    const std::string bounce = test_bounce("sendmail-dsn.eml", spam);
    const std::string rest = bounce.substr(std::string("Return-Path: <>\n").size());
    const std::string encoded =
        replace_once(rest, "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.remote.example>",
                     "From: =?utf-8?B?TWFpbCBEZWxpdmVyeSBTdWJzeXN0ZW0=?= <mdaemon@mx.remote.example>");
    return {
        {"encoded_from", "From: is RFC 2047-encoded \"Mail Delivery Subsystem\", the envelope sender not null", spam,
         "Return-Path: <mdaemon@mx.remote.example>\n" + encoded},
        {"no_return_path", "no Return-Path field at all", spam, encoded},
        {"spaced_return_path", "Return-Path: < >", spam, "Return-Path: < >\n" + encoded},
    };
}

}  // namespace bounceseal::testing
