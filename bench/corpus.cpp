// corpus.cpp - deterministic benchmark messages (see corpus.hpp). A small
// fixed PRNG instead of <random>: the standard distributions may differ
// between library versions, and the bytes must not. Everything is built in
// memory; writing files is benchtool's business.
#include "corpus.hpp"

#include <array>
#include <cstdint>

namespace bounceseal::bench {
namespace {

class Prng {
public:
    explicit Prng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {  // splitmix64
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

private:
    std::uint64_t state_;
};

constexpr std::array<std::string_view, 48> kWords = {
    "the",     "of",      "and",      "to",       "a",       "in",      "for",     "is",
    "on",      "that",    "by",       "this",     "with",    "you",     "it",      "not",
    "or",      "be",      "are",      "from",     "at",      "as",      "your",    "all",
    "meeting", "report",  "attached", "please",   "invoice", "quarter", "budget",  "review",
    "thanks",  "project", "schedule", "tomorrow", "draft",   "numbers", "changes", "customer",
    "server",  "delivery", "question", "update",  "Regards", "Monday",  "figures", "contract",
};

// Seeds from the name, not std::hash, whose values the standard leaves open.
std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
    return h;
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// A paragraph break every few lines, as people write.
void append_text(std::string& out, std::size_t size, Prng& rng) {
    std::size_t line_len = 0;
    std::size_t lines = 0;
    while (out.size() < size) {
        const std::string_view w = kWords[rng.below(kWords.size())];
        if (line_len != 0 && line_len + 1 + w.size() > 72) {
            out += "\r\n";
            line_len = 0;
            if (++lines % 7 == 0) out += "\r\n";
        }
        if (line_len != 0) {
            out += ' ';
            ++line_len;
        }
        out += w;
        line_len += w.size();
    }
    out += "\r\n";
}

void append_base64_lines(std::string& out, std::size_t size, Prng& rng) {
    const std::size_t end = out.size() + size;
    while (out.size() < end) {
        for (int i = 0; i < 76; ++i) out += kBase64[rng.next() & 63];
        out += "\r\n";
    }
}

std::string headers(std::string_view name, std::string_view content_fields) {
    std::string h;
    h += "Return-Path: <" + std::string(kSender) + ">\r\n";
    h += "From: Alice Example <" + std::string(kSender) + ">\r\n";
    h += "To: Bob Example <" + std::string(kRecipient) + ">\r\n";
    h += "Subject: Benchmark message " + std::string(name) + "\r\n";
    h += "Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n";
    h += "Message-ID: <" + std::string(name) + ".20261124100000@bench.test>\r\n";
    h += "MIME-Version: 1.0\r\n";
    h += content_fields;
    h += "\r\n";
    return h;
}

}  // namespace

std::string typical_text(std::size_t size) {
    Prng rng(1);
    std::string out;
    out.reserve(size + 128);
    append_text(out, size, rng);
    return out;
}

std::string base64_like_text(std::size_t size) {
    Prng rng(2);
    std::string out;
    out.reserve(size + 128);
    append_base64_lines(out, size, rng);
    return out;
}

CorpusMessage make_message(std::string_view name, std::size_t size) {
    Prng rng(fnv1a(name));
    CorpusMessage m{std::string(name), {}};
    if (size < 20 * 1024) {
        m.text = headers(name,
                         "Content-Type: text/plain; charset=utf-8; format=flowed\r\n"
                         "Content-Transfer-Encoding: 7bit\r\n");
        append_text(m.text, size, rng);
        return m;
    }
    const std::string boundary = "------------bench0123456789abcdef";
    m.text = headers(name, "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n");
    m.text += "This is a multi-part message in MIME format.\r\n";
    m.text += "--" + boundary + "\r\n";
    m.text += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n";
    append_text(m.text, m.text.size() + 1500, rng);
    m.text += "\r\n--" + boundary + "\r\n";
    m.text +=
        "Content-Type: application/octet-stream; name=\"figures.bin\"\r\n"
        "Content-Disposition: attachment; filename=\"figures.bin\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n";
    const std::size_t closing = boundary.size() + 8;
    if (m.text.size() + closing < size) append_base64_lines(m.text, size - m.text.size() - closing, rng);
    m.text += "\r\n--" + boundary + "--\r\n";
    return m;
}

std::vector<CorpusMessage> standard_corpus(bool large) {
    std::vector<CorpusMessage> out;
    out.push_back(make_message("msg-5k", 5 * 1024));
    out.push_back(make_message("msg-100k", 100 * 1024));
    out.push_back(make_message("msg-2m", 2 * 1024 * 1024));
    if (large) out.push_back(make_message("msg-20m", 20 * 1024 * 1024));
    return out;
}

std::string wrap_in_dsn(std::string_view original) {
    const std::string boundary = "dsn-bench-boundary-42";
    std::string out;
    out.reserve(original.size() + 2048);
    out += "Return-Path: <>\r\n";
    out += "Received: from localhost (localhost) by mx.example.net (8.17.1.9/8.17.1.9)\r\n"
           "\tid 5AOA0Bq0012345; Tue, 24 Nov 2026 10:00:05 +0000\r\n";
    out += "Date: Tue, 24 Nov 2026 10:00:05 +0000\r\n";
    out += "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\r\n";
    out += "Message-Id: <202611241000.5AOA0Bq0012345@mx.example.net>\r\n";
    out += "To: <" + std::string(kSender) + ">\r\n";
    out += "MIME-Version: 1.0\r\n";
    out += "Content-Type: multipart/report; report-type=delivery-status;\r\n"
           "\tboundary=\"" + boundary + "\"\r\n";
    out += "Subject: Returned mail: see transcript for details\r\n";
    out += "Auto-Submitted: auto-generated (failure)\r\n\r\n";
    out += "This is a MIME-encapsulated message\r\n\r\n";
    out += "--" + boundary + "\r\n\r\n";
    out += "The original message was received at Tue, 24 Nov 2026 10:00:04 +0000\r\n"
           "from bench.test [192.0.2.1]\r\n\r\n"
           "   ----- The following addresses had permanent fatal errors -----\r\n<" +
           std::string(kRecipient) + ">\r\n    (reason: 550 5.1.1 User unknown)\r\n\r\n";
    out += "--" + boundary + "\r\nContent-Type: message/delivery-status\r\n\r\n";
    out += "Reporting-MTA: dns; mx.example.net\r\n"
           "Arrival-Date: Tue, 24 Nov 2026 10:00:04 +0000\r\n\r\n"
           "Final-Recipient: RFC822; " + std::string(kRecipient) + "\r\n"
           "Action: failed\r\nStatus: 5.1.1\r\n"
           "Diagnostic-Code: SMTP; 550 5.1.1 User unknown\r\n"
           "Last-Attempt-Date: Tue, 24 Nov 2026 10:00:05 +0000\r\n\r\n";
    out += "--" + boundary + "\r\nContent-Type: message/rfc822\r\n\r\n";
    out += original;
    if (!original.ends_with("\n")) out += "\r\n";
    out += "\r\n--" + boundary + "--\r\n";
    return out;
}

}  // namespace bounceseal::bench
