// seal.hpp - sealing a message: what a milter (or the offline signer) must
// change to turn a message into a sealed one.
//
// plan_seal() takes the header fields as the MTA presents them and the body,
// computes the body hash, signs the record, and returns a SealPlan: the
// header changes (in the index convention of libmilter's smfi_chgheader) and
// the new body as segments, most of them ranges of the original body, so a
// 50 MB body is never copied. It never modifies its inputs. If it throws, no
// change has been made anywhere: the caller decides (OnError).
//
// It does not decide *whether* a message should be sealed by policy (client
// address, AUTH, sender domain): front ends do. It does answer the format
// questions: is it already sealed by this domain, is it message/partial.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
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

enum class SkipReason {
    already_sealed,   // carries a Bounce-Seal header of this signer domain
    message_partial,  // top-level Content-Type message/partial
};
const char* skip_reason_name(SkipReason r) noexcept;

// Format reasons not to seal, before any work is done.
std::optional<SkipReason> seal_precheck(const std::vector<HeaderField>& headers,
                                        std::string_view domain);

// Plans the seal. `envelope_sender` is the MAIL FROM address (without or with
// angle brackets). Throws Error (mime, limit, crypto, usage).
SealPlan plan_seal(const std::vector<HeaderField>& headers, std::string_view body,
                   std::string_view envelope_sender, const SealKey& key,
                   const SealOptions& options = {});

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
