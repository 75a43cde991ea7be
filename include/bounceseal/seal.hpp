// seal.hpp - sealing a message: what a milter (or the offline signer) must
// change to turn a message into a sealed one.
//
// plan_seal() takes the header fields as the MTA presents them and the body,
// chooses where the seal goes, computes the body hash, signs the record, and
// returns a SealPlan: the header changes (in the index convention of
// libmilter's smfi_chgheader) and the new body as segments, most of them
// ranges of the original body, so a 50 MB body is never copied. It never
// modifies its inputs. A message the format says not to seal (sealed by
// this signer already, message/partial, too complex for a verifier) is an
// answer, a SealSkip, not an error. If it throws, something failed (MIME,
// OpenSSL, the caller's arguments) and no change has been made anywhere:
// the caller decides (OnError).
//
// It does not decide *whether* a message should be sealed by policy (client
// address, AUTH, sender domain): front ends do.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bounceseal/canon.hpp"
#include "bounceseal/keys.hpp"
#include "bounceseal/record.hpp"
#include "bounceseal/seal_mode.hpp"

namespace bounceseal {

// One header field as the MTA hands it over: the name, and the value exactly
// as it follows the colon, leading white space kept and folding line breaks
// as bare LF (the form sendmail gives a milter with SMFIP_HDR_LEADSPC).
struct HeaderField {
    std::string name;
    std::string value;
};

struct HeaderChange {
    enum class Kind {
        add,     // smfi_addheader(name, value)
        change,  // smfi_chgheader(name, index, value)
        remove,  // smfi_chgheader(name, index, NULL)
    };
    Kind kind;
    std::string name;
    int index = 0;  // 1-based occurrence of `name`, for change/remove
    // As HeaderField::value: starts with a space, folds are "\n\t".
    std::string value;
};

// A piece of the new body: either bytes owned by the plan, or a range of the
// original body.
struct BodySegment {
    std::string owned;
    std::size_t offset = 0;
    std::size_t length = 0;
    bool from_original = false;
};

// What signs a record text (FORMAT.md 2.2): a private key in this process
// (bounceseal-sign, tests), or a function that has another process sign it
// (bounceseal-milter's signer, which holds the only copy of the key), with
// the public key that checks its signatures. plan_seal() only ever sees the
// signature.
class RecordSigner {
public:
    using Function = std::function<Bytes(std::string_view record_text)>;

    RecordSigner(PrivateKey key)  // NOLINT(google-explicit-constructor): a key is a signer
        : public_key_(key.public_key()), sign_([k = std::move(key)](std::string_view text) { return k.sign(text); }) {}
    RecordSigner(PublicKey public_key, Function sign) : public_key_(std::move(public_key)), sign_(std::move(sign)) {}

    Bytes sign(std::string_view record_text) const { return sign_(record_text); }
    const PublicKey& public_key() const { return public_key_; }

private:
    PublicKey public_key_;
    Function sign_;
};

struct SealKey {
    std::string domain;
    std::string selector;
    RecordSigner key;  // signs for `domain` and `selector`
};

struct SealOptions {
    SealMode mode = SealMode::full;  // where the seal goes (seal_mode.hpp)
    std::int64_t now = 0;           // timestamp to state; 0 means the current time
    std::optional<Bytes> nonce;     // fixed nonce, for test vectors only
    std::optional<std::string> boundary;  // fixed boundary, for test vectors only
    std::string eol;  // line end for new lines: "\r\n" or "\n"; empty: as the body uses
    WalkLimits limits;
};

struct SealPlan {
    Record record;
    Bytes signature;
    std::vector<HeaderChange> header_changes;
    bool replace_body = false;  // false in header-only mode
    std::vector<BodySegment> body;
    std::string shape;          // "wrapped" / "appended" / "header-only", for logs
    // Why a message the full mode would wrap was sealed in the header only
    // (FORMAT.md 6.1: "encrypted", "report", ...);
    // empty otherwise.
    std::string why_header_only;

    // The new body as one string (tests and the offline tool).
    std::string body_text(std::string_view original_body) const;
};

// Why a message is not sealed: a property of the message, not an error,
// so the milter passes it on as it is whatever OnError says.
enum class SkipReason {
    already_sealed,   // sealed by this signer domain: a Bounce-Seal field of
                      // it (seal_precheck), or, that field gone or broken,
                      // its seal parts among the top-level parts (plan_seal)
    message_partial,  // top-level Content-Type message/partial
    too_complex,      // a MIME tree deeper or wider than SealOptions::limits
};
const char* skip_reason_name(SkipReason r) noexcept;  // "already-sealed", ...

struct SealSkip {
    SkipReason reason;
    std::string detail;  // the fact, for a log: "more than 1984 MIME parts"
};

// The reasons not to seal that the header fields alone show, before the
// body is read: already_sealed and message_partial. plan_seal() does not
// ask them again; a front end asks them first.
std::optional<SealSkip> seal_precheck(const std::vector<HeaderField>& headers, std::string_view domain);

// What plan_seal() answers: the plan, or why there is none.
using SealResult = std::variant<SealPlan, SealSkip>;

// Plans the seal in three steps: chooses the shape (appended, wrapped or
// header-only, FORMAT.md 6.1), hashes what a verifier will read as the body
// in chief, and assembles the signed record and the changes. The reasons
// found on the way are already_sealed (seal parts of key.domain) and
// too_complex. `envelope_sender` is the MAIL FROM address (without or with
// angle brackets). Throws Error (mime, crypto, usage).
SealResult plan_seal(const std::vector<HeaderField>& headers, std::string_view body,
                     std::string_view envelope_sender, const SealKey& key, const SealOptions& options = {});

// Applies a plan to a message held as text (header block + body), for the
// offline signer and tests: the same changes a milter makes, done in memory.
// Header changes follow sendmail's placement: added fields go to the end.
std::string apply_seal_plan(const std::vector<HeaderField>& headers, std::string_view body,
                            const SealPlan& plan, std::string_view eol);

// Splits a message held as text into header fields and body, the way an MTA
// would present them to a milter (an mbox "From " line is dropped). The body
// view points into `message`.
struct SplitMessage {
    std::vector<HeaderField> headers;
    std::string_view body;
    std::string eol;  // "\r\n" or "\n": the line end the message uses
};
SplitMessage split_message(std::string_view message);

}  // namespace bounceseal
