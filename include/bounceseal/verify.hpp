// verify.hpp - finding seals in a message and judging them.
//
// find_seals() looks at one message (a sealed message, or the copy of one
// that a bounce returned) and collects both carriers, from that message's
// own top only: the Bounce-Seal fields of its own header and the
// well-formed seal part pairs among its top-level parts (body_in_chief.hpp),
// plus the body hash recomputed over the body in chief when a pair came
// back. Seals of messages nested inside it are never looked at. judge()
// then checks one such message against the keyring and the policy and
// gives one verdict with one reason. Neither knows what a bounce is:
// bounce.hpp finds the returned copy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bounceseal/canon.hpp"
#include "bounceseal/keys.hpp"
#include "bounceseal/record.hpp"

typedef struct _GMimeMessage GMimeMessage;

namespace bounceseal {

struct PartSeal {
    Record record;
    std::string record_text;  // the record part's text, CRLF turned to LF
    SignaturePart signature;
};

// Seal fields, and seal part pairs, looked at in one message; a message
// with more is malformed (a cohort chain has a few, one per signer).
inline constexpr std::size_t kMaxSeals = 16;

struct FoundSeals {
    std::vector<HeaderSeal> headers;
    std::vector<PartSeal> parts;
    std::size_t malformed = 0;             // seal fields or parts that did not parse
    std::vector<std::string> problems;     // why, for -v and inspect
    std::optional<Bytes> body_hash;        // over the body in chief, when seal parts were found
    std::optional<Bytes> whole_body_hash;  // over the whole body, for header seals without parts of their signer
    std::string manifest;                  // body hash manifest, when computed
    std::optional<std::string> message_id; // of the copy, raw
    bool over_limit = false;               // more than kMaxSeals fields or pairs: malformed
    bool empty() const { return headers.empty() && parts.empty() && malformed == 0 && !over_limit; }
};

// Collects the seals of `message`. Body hashing obeys `limits`; a tree over
// the limits counts as malformed.
FoundSeals find_seals(GMimeMessage* message, const WalkLimits& limits = {});

struct VerifyPolicy {
    std::int64_t max_age = 10 * 86400;  // seconds; covers a 5-day queue lifetime twice
    std::int64_t max_future = 300;      // seconds of clock skew tolerated
    bool allow_headers_only = true;
    // Addresses the bounce was delivered to; a seal binds one envelope
    // sender. Empty: the sender binding is not checked (and said so).
    std::vector<std::string> recipients;
};

enum class Verdict { pass, pass_headers_only, fail, none };
enum class Reason {
    ok,
    no_seal,
    bad_signature,
    unknown_key,
    expired,
    future,
    body_mismatch,
    binding_mismatch,
    malformed,
    headers_only,  // only headers came back and policy does not allow that
};
const char* verdict_name(Verdict v) noexcept;  // "pass", "pass-headers-only", ...
const char* reason_name(Reason r) noexcept;    // "no-seal", ...

struct Judgement {
    Verdict verdict = Verdict::fail;
    Reason reason = Reason::no_seal;
    std::string domain;    // of the seal judged, if any
    std::string selector;
    std::int64_t timestamp = 0;
    std::vector<std::string> steps;  // one line per check, for -v and inspect

    // Orders judgements of several copies: a pass beats a pass with headers
    // only, which beats any fail; among fails the more specific reason wins.
    bool better_than(const Judgement& other) const;
};

// Judges the seals found in one copy.
Judgement judge(const FoundSeals& seals, const Keyring& keyring, const VerifyPolicy& policy,
                std::int64_t now);

}  // namespace bounceseal
