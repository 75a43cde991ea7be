// bounce.hpp - is a message a bounce, where inside it is the returned copy
// of the original, and what is the verdict on it.
//
// The trust boundary (docs/VERIFY.md 1): a bounce has the MTA's layers
// (its own header, its own MIME structure and report parts, its own text)
// and the returned copy, which in backscatter is the forger's own message.
// Whether a message is a bounce, and where its one returned copy is, is
// decided from the MTA's layers alone; the copy is then judged by the seal
// in its own header and its own top-level seal parts only. Nothing below
// the copy's top is ever classified or judged.
//
// analyze_message() does the first part, decide() all of it: the whole
// verifier decision on a byte string. Neither reads files (but the keyring
// may), the clock or the configuration.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
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

// True for the kinds whose returned copy is judged (bounce, delay).
bool is_judged(MessageKind k) noexcept;

struct BounceLimits {
    std::size_t max_size = 64u << 20;  // bytes of input
    std::size_t max_depth = 32;        // MIME and message nesting
    std::size_t max_parts = 2000;      // MIME parts in all
};

struct ReturnedCopy {
    std::string where;  // for people: "part 3 (message/rfc822)", "inline in part 1, line 12"
    std::string shape;  // "rfc822", "global", "part", "headers", "partial", "attachment", "inline", "json"
    // Machine-readable location: MIME part numbers counted from 1 ("3",
    // "1.1"), "0" for a body that is not multipart (or a multipart's
    // preamble). Always a part of the bounce's own structure.
    std::string path;
    // True when the copy is the bytes of a MIME part taken as they came,
    // false when it was cut out of a text, un-quoted or repaired. A body
    // that does not match its seal is decisive only in a faithful copy; in
    // any other, the MTA may have mangled it and only the header counts.
    bool faithful = true;
    // The text the copy was parsed from; null when it points into the input.
    std::shared_ptr<const std::string> text;
    GPtr<GMimeMessage> message;  // the copy (possibly headers only)
};

struct MessageReport {
    MessageKind kind = MessageKind::ordinary;
    std::string why;                  // the evidence for `kind`, for logs and -v
    std::string message_id;           // of the bounce itself, as written (trimmed), for logs
    std::optional<ReturnedCopy> copy; // for a bounce or delay notice; empty when nothing came back
    GPtr<GMimeMessage> root;          // the parsed input, which the copy may point into
};

// Classifies `raw` and, for a bounce or delay notice, finds its returned
// copy. A Bounce-Seal field in the message's own header counts only if it
// passes judge() against `keyring` (at `now`); without a keyring it never
// does. `raw` must outlive the report. Throws Error(Errc::limit) when the
// input exceeds `limits` and Error(Errc::mime) when it is not a message.
MessageReport analyze_message(std::string_view raw, const BounceLimits& limits = {},
                              const Keyring* keyring = nullptr, std::int64_t now = 0);

struct Decision {
    MessageKind kind = MessageKind::ordinary;
    Judgement judgement;             // verdict none for anything but a bounce/delay
    std::string where;               // the returned copy judged ("" if none)
    std::string path;                // its ReturnedCopy::path
    std::string bounce_message_id;
    std::vector<std::string> steps;  // classification and the copy's checks
};

// The verifier's whole decision. A bounce over the limits or that GMime
// cannot parse gives verdict fail, reason malformed (never an exception for
// hostile input); input over the limits that its header alone does not make
// a bounce gives verdict none. Only internal failures (out of memory,
// OpenSSL, an unreadable key file) throw.
Decision decide(std::string_view raw, const Keyring& keyring, const VerifyPolicy& policy,
                const BounceLimits& limits, std::int64_t now);

}  // namespace bounceseal
