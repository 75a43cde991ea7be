// bounce_internal.hpp - what the bounce_*.cpp files share and bounce.hpp
// does not show: the classifier, the inline-copy scanner, and small text
// helpers. Not installed; nothing outside src/core includes it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bounceseal/bounce.hpp"

namespace bounceseal::bounce_detail {

struct Classification {
    MessageKind kind = MessageKind::ordinary;
    std::string why;
};

// Classifies a parsed message by its header, its MIME structure and the
// first text it shows a reader. `raw` is the input (for an mbox "From " line).
Classification classify(GMimeMessage* message, std::string_view raw);

// Classifies by the top-level header block alone: for input that is over
// the limits or that GMime cannot parse, so that an oversized ordinary
// message still gets verdict none and an oversized bounce fails.
Classification classify_header_only(std::string_view raw);

// analyze_message() in its two steps, so that decide() can tell a bounce
// over the limits from input that is not even known to be a bounce:
// parse_and_classify() throws Error(limit / mime) for input over the size
// limit or not a message; find_copies() throws Error(limit).
MessageReport parse_and_classify(std::string_view raw, const BounceLimits& limits);
void find_copies(MessageReport& report, const BounceLimits& limits);

// A header block found in a text, with the body lines that follow it,
// un-quoted and repaired so that parse_message() reads it as a message.
struct InlineBlock {
    std::string text;           // header block, blank line, body
    std::size_t line = 0;       // index of its first header line in the text
    bool at_start = false;      // the block is the first thing in the text
    bool repaired = false;      // quoting removed or lines re-joined
    bool has_seal_field = false;
};

// Finds every header block in `text` that holds a Bounce-Seal field or
// looks like the header of a message (see bounce_inline.cpp), at most
// `max_blocks`. A block's body runs to the end of its quoted region.
std::vector<InlineBlock> find_inline_blocks(std::string_view text, std::size_t max_blocks);

// The original's header fields as an Amazon SES notification gives them
// (JSON inside the text), rendered as a header block; nullopt if `text` is
// not such a notification.
std::optional<std::string> json_header_block(std::string_view text);

// Field-name syntax of RFC 5322 (printable ASCII but the colon).
std::optional<std::string_view> field_name(std::string_view line);

bool iequals(std::string_view a, std::string_view b);

// The lower-case MIME type of an entity ("text/plain" when it has none).
std::string mime_type_of(GMimeObject* obj);

}  // namespace bounceseal::bounce_detail
