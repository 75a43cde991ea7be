// bounce.hpp - is a message a bounce, where inside it are the copies of the
// original it returns, and what is the verdict on it.
//
// analyze_message() classifies a message (bounce, delay notice, auto-reply,
// feedback report, ordinary mail) and digs out every returned copy of the
// original in whatever shape the remote MTA used: message/rfc822 and
// message/global parts, text/rfc822-headers and message/global-headers
// parts, inline copies in text parts (quoted, indented, encoded), attached
// .eml files, message/partial, bounces of forwards and bounces wrapped in
// other messages. decide() runs the seal checks of verify.hpp on each copy
// and keeps the best judgement: the whole verifier decision on a byte string.
// Neither reads files, the clock or the configuration.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bounceseal/mime.hpp"
#include "bounceseal/verify.hpp"

namespace bounceseal {

enum class MessageKind {
    ordinary,         // not an automatic notification: not our business
    bounce,           // a non-delivery report (DSN, NDR, qmail/Exchange/... text)
    delay,            // a delay notice ("will keep trying"): judged like a bounce
    auto_reply,       // RFC 3834 auto-reply, vacation message, read receipt
    feedback_report,  // RFC 5965 abuse/feedback report
};
const char* kind_name(MessageKind k) noexcept;  // "bounce", "auto-reply", ...

// True for the kinds whose returned copies are judged (bounce, delay).
bool is_judged(MessageKind k) noexcept;

struct BounceLimits {
    std::size_t max_size = 64u << 20;  // bytes of input
    std::size_t max_depth = 32;        // MIME and message nesting
    std::size_t max_parts = 2000;      // MIME parts in all
    std::size_t max_copies = 64;       // returned copies examined
};

struct ReturnedCopy {
    std::string where;  // for people: "part 3 (message/rfc822)", "inline in part 1"
    std::string shape;  // "rfc822", "global", "headers", "inline", "attachment", "partial", "part", "json"
    // Machine-readable location: MIME part numbers counted from 1 ("3",
    // "1.1"), "0" for a body that is not multipart (or a multipart's
    // preamble), and ">" to step into a returned message ("2>3" is part 3
    // of the message returned in part 2).
    std::string path;
    // True when the copy is the bytes of a MIME part taken as they came,
    // false when it was cut out of a text, un-quoted or repaired. A body
    // that does not match its seal is decisive only in a faithful copy; in
    // any other, the MTA may have mangled it and only the header counts.
    bool faithful = true;
    // The text the copy was parsed from (or, for a copy inside such a copy,
    // points into); null when it points into the input.
    std::shared_ptr<const std::string> text;
    GPtr<GMimeMessage> message;               // the copy (possibly headers only)
};

struct MessageReport {
    MessageKind kind = MessageKind::ordinary;
    std::string why;                  // the evidence for `kind`, for logs and -v
    std::string message_id;           // of the bounce itself, as written (trimmed), for logs
    std::vector<ReturnedCopy> copies; // empty when nothing of the original came back
    GPtr<GMimeMessage> root;          // the parsed input, which the copies may point into
};

// Classifies `raw` and, for a bounce or delay notice, finds the returned
// copies (other kinds are not searched). `raw` must outlive the report.
// Throws Error(Errc::limit) when the input exceeds `limits` and
// Error(Errc::mime) when it is not a message at all.
MessageReport analyze_message(std::string_view raw, const BounceLimits& limits = {});

struct Decision {
    MessageKind kind = MessageKind::ordinary;
    Judgement judgement;             // verdict none for anything but a bounce/delay
    std::string where;               // the copy the judgement came from
    std::string bounce_message_id;
    std::vector<std::string> steps;  // classification and every copy's checks
};

// The verifier's whole decision. A bounce over the limits or that GMime
// cannot parse gives verdict fail, reason malformed (never an exception for
// hostile input); input over the limits that its header alone does not make
// a bounce gives verdict none. Only internal failures (out of memory,
// OpenSSL) throw.
Decision decide(std::string_view raw, const Keyring& keyring, const VerifyPolicy& policy,
                const BounceLimits& limits, std::int64_t now);

}  // namespace bounceseal
