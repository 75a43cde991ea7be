// record.hpp - the seal record and its three textual forms (docs/FORMAT.md).
//
// A Record holds the facts a seal states (version, algorithms, signer,
// time, nonce, body hash, bindings). It has exactly one canonical byte form,
// record_text(), which is what the Ed25519 signature covers and what the MAC
// part carries. The same facts travel a second time, compactly, in the
// Bounce-Seal header field together with the signature. The signature part
// names the key and carries the signature.
//
// This file only converts between forms and checks syntax; it does not
// check signatures, freshness or bindings (verify.hpp does).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bounceseal/encoding.hpp"
#include "bounceseal/key_id.hpp"

namespace bounceseal {

inline constexpr std::string_view kHeaderName = "Bounce-Seal";
inline constexpr std::string_view kRecordPartType = "application/x-bounceseal-record";
inline constexpr std::string_view kSignaturePartType = "application/x-bounceseal-signature";
inline constexpr std::string_view kAlgorithm = "ed25519-sha256";
inline constexpr std::string_view kCanonicalization = "mime-relaxed";
inline constexpr int kVersion = 1;
inline constexpr std::size_t kNonceBytes = 16;
inline constexpr std::size_t kBodyHashBytes = 32;
inline constexpr std::size_t kBindingBytes = 16;
inline constexpr std::size_t kSignatureBytes = 64;

// The fixed first line of the MAC part and of the record text; it is part of
// the signed bytes. Also how a verifier recognises the part.
inline constexpr std::string_view kRecordIntro =
    "Bounce seal record: lets the sender spot forged bounces. Safe to ignore.";
// The fixed first line of the signature part.
inline constexpr std::string_view kSignatureIntro =
    "Bounce seal signature over the record beside it. Safe to ignore.";

// Limits on what a parser accepts, so hostile input stays cheap.
inline constexpr std::size_t kMaxSealTextLen = 4096;

struct Record {
    int version = kVersion;
    std::string algorithm{kAlgorithm};
    std::string canonicalization{kCanonicalization};
    std::string domain;
    std::string selector;
    std::int64_t timestamp = 0;  // seconds since the epoch, UTC
    Bytes nonce;                 // kNonceBytes
    Bytes body_hash;             // kBodyHashBytes
    Bytes sender_hash;           // kBindingBytes
    Bytes msgid_hash;            // kBindingBytes, or empty: no Message-ID

    // Field by field; the nonce, hashes and bindings in constant time
    // (ct_equal), as every comparison of hashes is (FORMAT.md 7).
    bool operator==(const Record& other) const noexcept;
};

// The canonical, signed bytes: kRecordIntro and one "tag=value" line per
// field, each line ended by LF. Throws Error(Errc::usage) on a record whose
// fields do not satisfy the syntax of FORMAT.md (e.g. a domain with spaces).
std::string record_text(const Record& r);

// Parses a record text. Accepts CRLF or LF line ends, trailing white space on
// a line and a missing final line end; everything else must be exactly as record_text() writes it. Throws
// Error(Errc::malformed) saying which line or tag is wrong.
Record parse_record_text(std::string_view text);

// The value of the Bounce-Seal header field: the record's tags, then b=,
// folded with "\r\n\t" (or "\n\t" when `lf_only`) so no line exceeds 78
// characters except the one holding b=. Starts with a space.
std::string header_value(const Record& r, const Bytes& signature, bool lf_only = false);

struct HeaderSeal {
    Record record;
    Bytes signature;
};

// Parses a Bounce-Seal header value (folded or unfolded, with any white space
// around tags and values). Throws Error(Errc::malformed).
HeaderSeal parse_header_value(std::string_view value);

// The text of the signature part: kSignatureIntro, d=, s=, b= lines, each
// ended by `eol`.
std::string signature_part_text(const Record& r, const Bytes& signature, std::string_view eol = "\n");

struct SignaturePart {
    std::string domain;
    std::string selector;
    Bytes signature;
};
SignaturePart parse_signature_part_text(std::string_view text);

// Binding hashes (FORMAT.md "Bindings"): SHA-256 over a label, the nonce and
// the normalised value, cut to kBindingBytes. The envelope sender is
// normalised by normalize_address() (address.hpp), the one reading of an
// address that the milter's policy uses too.
Bytes sender_binding(const Bytes& nonce, std::string_view envelope_sender);
Bytes msgid_binding(const Bytes& nonce, std::string_view message_id);

// The Message-ID normalisation of the binding (exposed for tests).
std::string normalize_message_id(std::string_view message_id);

}  // namespace bounceseal
