// bounce_internal.hpp - what the bounce_*.cpp files share and bounce.hpp
// does not show. The decision runs in stages, a file each, declared here in
// the order the data flows through them; the data each stage gets is all it
// can see:
//
//   bounce_guard.cpp     bounded parse: a cheap scan that keeps GMime's
//                        work in proportion to the input, then GMime
//   bounce_header.cpp    the facts of the bounce's own header block
//   bounce_layers.cpp    the MTA's layers: walks the bounce's own structure,
//                        stops at every returned message, and yields an
//                        MtaView (for the classifier) and a CopySlot (where
//                        the returned copy is)
//   bounce_classify.cpp  the kind, from an MtaView alone: it holds no GMime
//                        object, so it cannot look into the copy
//   bounce_copy.cpp      the one returned copy, cut from its slot
//   bounce_decide.cpp    the stages in order, the one step that needs the
//                        keyring (a seal on the message's own header), and
//                        the verdict
//
// Two scanners of text serve the layers (where does a copy start?) and the
// copy (cut it out); they call no stage:
//
//   bounce_inline.cpp    the first header block of a text (inline copies)
//   bounce_json.cpp      the header fields of an Amazon SES notification
//
// Not installed; nothing outside src/core includes it.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bounceseal/bounce.hpp"
#include "bounceseal/mime_header.hpp"
#include "bounceseal/text.hpp"

namespace bounceseal::bounce_detail {

// ---- bounce_guard.cpp

// Header fields GMime may build from one text, at most (docs/VERIFY.md 7).
inline constexpr std::size_t kMaxHeaderFields = 100000;

// Counts, in one pass and without allocating per line, what GMime would
// build from `text`: Content-Type fields in every spelling GMime takes
// ("Content-Type :", any case, folded), header fields where a header block
// can start, and delimiter lines of the declared boundaries; and bounds the
// boundary comparisons its parser makes. Throws Error(Errc::limit) when
// `text` would cost more than the limits allow.
void guard_parse(std::string_view text, const BounceLimits& limits);

// guard_parse(), then parse_message(). Returns null when GMime finds no
// message; throws Error(Errc::limit) as guard_parse() does.
GPtr<GMimeMessage> parse_guarded(std::string_view text, const BounceLimits& limits);

// ---- bounce_header.cpp

// The facts of the bounce's own header block that classification uses.
struct HeaderFacts {
    std::optional<std::string> envelope;  // the mbox "From " line's sender
    std::vector<std::string> return_paths;
    std::string from;     // decoded, lower case
    std::string subject;  // decoded, lower case
    std::string report_type;
    std::string auto_submitted;    // lower case
    bool autoreply_field = false;  // X-Autoreply, X-Autorespond, Precedence: auto_reply
    bool seal_field = false;       // a Bounce-Seal field (whether it verifies is another step)
};

HeaderFacts header_facts(GMimeMessage* root, std::string_view raw);
HeaderFacts header_facts_of_text(std::string_view raw);  // from the header block as text

// ---- bounce_layers.cpp

// Where the returned copy is, by kind of carrier, strongest first: a whole
// message part beats a part whose header is the original's, which beats a
// header part, ... An inline copy is the weakest structured evidence.
enum class CopyShape { none, message, part, headers, partial, attachment, inline_text, json };

// Everything the classifier may know: the MTA's layers, nothing of the copy.
struct MtaView {
    HeaderFacts header;
    bool delivery_status = false;  // a delivery-status report part or report-type
    bool feedback = false;         // a feedback-report part of the bounce's own structure
    bool disposition = false;      // a disposition-notification part of it
    bool failed = false;           // some recipient's Action: failed
    bool delayed = false;          // some recipient's Action: delayed
    std::string leading_text;      // the bounce's own first text, decoded, lower case, cut where the copy starts
    CopyShape copy = CopyShape::none;
};

// Where the returned copy is. Holds GMime objects of the bounce's own
// structure (the returned message part itself, or the text that holds an
// inline copy); only bounce_copy.cpp reads them.
struct CopySlot {
    CopyShape shape = CopyShape::none;
    GMimeObject* part = nullptr;        // the carrier part
    std::string path;                   // its ReturnedCopy::path
    std::string type;                   // its media type, lower case
    std::shared_ptr<const std::string> text;  // inline and JSON: the decoded text holding the copy
    std::size_t offset = 0;             // inline: where in `text` the copy's header block starts
};

struct Layers {
    MtaView view;
    CopySlot slot;
};

// The header facts of `root` (header_facts()), then a walk of the bounce's
// own MIME structure (never into a returned message) within `limits`.
// Throws Error(Errc::limit).
Layers read_layers(GMimeMessage* root, std::string_view raw, const BounceLimits& limits);

// ---- bounce_classify.cpp

struct Classification {
    MessageKind kind = MessageKind::ordinary;
    std::string why;
};

// The envelope sender or a Return-Path is null ("<>", MAILER-DAEMON). Also
// bounce_decide.cpp's reason to give a seal on top of the message no weight.
bool null_sender(const HeaderFacts& f);

// `sealed_mail`: the message's own Bounce-Seal field passed judge() (one
// explicit step of bounce_decide.cpp, the only one that needs the keyring).
Classification classify(const MtaView& view, bool sealed_mail);

// For input over the limits or that GMime cannot read: by the top-level
// header block alone, so an oversized ordinary message still gets none.
Classification classify_header_only(std::string_view raw);

// ---- bounce_copy.cpp

// The returned copy in `slot`, parsed; nullopt when the slot holds nothing
// readable as a message. Throws Error(Errc::limit).
std::optional<ReturnedCopy> extract_copy(const CopySlot& slot, const BounceLimits& limits);

// ---- bounce_inline.cpp (a scanner of text)

// Field-name syntax of RFC 5322 (printable ASCII but the colon), with a
// letter or digit first: what starts a header line in a text.
std::optional<std::string_view> field_name(std::string_view line);

// Where the copy quoted in a text starts: at its first header block (after
// a quoting prefix of '>' and white space), a run of "Name: value" lines
// with a Bounce-Seal field or any field of a message's header. Everything
// after it, to the end of its quoted region, is the copy's body: header-like
// blocks further down are body text, never another copy.
struct BlockStart {
    std::size_t offset = 0;  // in the text
    bool at_start = false;   // nothing but white space (and an mbox "From " line) before it
};
std::optional<BlockStart> copy_start(std::string_view text);

// The copy that starts there, un-quoted and repaired for parse_message().
struct InlineCopy {
    std::size_t line = 0;      // its first line's index in the text
    bool at_start = false;     // nothing but an mbox "From " line before it
    bool repaired = false;     // quoting removed or lines re-joined
    std::string text;          // header block, blank line, body
};
std::optional<InlineCopy> inline_copy(std::string_view text);

// The copy that a part holds whole (a header part, a message fragment, an
// attached message, a returned message that starts with a blank line): it
// starts at the part's first line that is not blank, whatever that line is.
// Nothing is searched for further down, so a weak header of the forger's
// cannot make a block below it the copy.
std::optional<InlineCopy> anchored_copy(std::string_view text);

// ---- bounce_json.cpp (a scanner of text)

// The original's header fields as an Amazon SES notification gives them
// (JSON inside the text), rendered as a header block; nullopt if `text` is
// not such a notification.
std::optional<std::string> json_header_block(std::string_view text);

}  // namespace bounceseal::bounce_detail
