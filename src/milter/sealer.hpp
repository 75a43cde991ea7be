// sealer.hpp - the end of a message: plan the seal, then send the changes
// to the MTA through a MessageEditor.
//
// The plan is made completely before the first change is sent, so a
// failure to plan (a MIME surprise, OpenSSL) leaves the message exactly as
// it was and the caller may pass it on (OnError=accept); so does a reason
// not to seal that planning finds (too complex, already sealed). A
// failure while sending changes leaves it half-changed: the caller must
// then never accept it. MessageEditor is the seam between this file and
// libmilter: the milter passes one that calls smfi_*, the tests a fake that
// records. This file does not decide whether to seal (policy.hpp) and does
// not log.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "bounceseal/seal.hpp"

namespace bounceseal::milter {

struct Runtime;

// The modifications libmilter allows at end of message, as the sealer uses
// them. Each returns false when the MTA did not take the change (typically
// because the connection is gone).
class MessageEditor {
public:
    virtual ~MessageEditor() = default;
    virtual bool add_header(const std::string& name, const std::string& value) = 0;
    // `value` null removes the index-th field called `name` (1-based).
    virtual bool change_header(const std::string& name, int index, const std::string* value) = 0;
    // Appends `chunk` to the new body; the first call replaces the body.
    virtual bool replace_body(std::string_view chunk) = 0;
};

// Largest piece handed to one replace_body() call: sendmail's chunk size.
inline constexpr std::size_t kBodyChunk = 65535;

// The MIME tree the milter seals at most: what a verifier with the default
// MaxDepth (32) and MaxParts (2000) can still read when the message comes
// back inside a bounce, which adds a report, its parts and the returned
// message around it. A seal on a larger tree could only ever fail as
// malformed; such a message is passed on unsealed (SealOutcome::too_complex).
inline constexpr WalkLimits kSealLimits{.max_depth = 28, .max_parts = 1984};

struct SealOutcome {
    enum class Status {
        sealed,
        too_complex,  // deeper or wider than a verifier could check: passed on
                      // unsealed whatever OnError says (a property of the
                      // message, like its size, not a transient error)
        already_sealed,  // seal parts of this signer are in the body (its
                         // Bounce-Seal field gone or broken): passed on as it is
        plan_failed,  // nothing was sent: the message is exactly as it was
        send_failed,  // a change was not taken; `changes` others may have been
    };
    Status status = Status::plan_failed;
    std::string shape;         // "wrapped", "appended", "header-only", or
                               // "header-only: WHY" (SealPlan::why_header_only)
    std::string error;         // what failed, for the log (not yet log-safe)
    std::size_t new_size = 0;  // bytes of the new body (or the old one, header mode)
    std::size_t changes = 0;   // modification calls that succeeded
    double milliseconds = 0;   // planning and sending
};

struct SealInput {
    const std::vector<HeaderField>& headers;  // values with their leading space
    std::string_view body;
    std::string_view envelope_sender;
    // True when SMFIP_HDR_LEADSPC was negotiated: header values go to the
    // MTA exactly as planned. Otherwise the MTA adds a space itself, so one
    // leading space is stripped from every value sent.
    bool leading_space = true;
};

SealOutcome seal_message(const Runtime& runtime, const SealInput& input, MessageEditor& editor);

// Builds with -DBOUNCESEAL_FAULT_INJECTION=ON only: the environment variable
// BOUNCESEAL_FAULT=plan makes planning throw, BOUNCESEAL_FAULT=apply makes
// the second modification call fail. Read once. Always "none" otherwise.
enum class Fault { none, plan, apply };
Fault injected_fault();

}  // namespace bounceseal::milter
