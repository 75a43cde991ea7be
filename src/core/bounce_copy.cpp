// bounce_copy.cpp - the one returned copy, taken from the place
// bounce_layers.cpp chose (CopySlot):
//   - a message/rfc822 or message/global part: the message GMime parsed
//     there (one that starts with a blank line, which GMime reads as a
//     header-less message, is re-read from its first header block);
//   - a part whose own header block is the original's: that part as text;
//   - a header, partial or attached message part: its decoded text from its
//     first line on, which is the copy's header, however weak;
//   - a text holding an inline copy: the decoded text from where the copy's
//     header block starts in the MTA's words (bounce_inline.cpp);
//   - in both, everything after is the copy's body;
//   - the header fields of an Amazon SES notification.
// Every text handed to GMime here goes through the same bounded parse as
// the input. Nothing inside the copy is looked at: judging it is
// bounce_decide.cpp's business.
#include <memory>

#include <gmime/gmime.h>

#include "bounce_internal.hpp"
#include "bounceseal/error.hpp"
#include "bounceseal/text.hpp"

namespace bounceseal::bounce_detail {
namespace {

int header_count(GMimeObject* obj) {
    GMimeHeaderList* list = g_mime_object_get_header_list(obj);
    return list ? g_mime_header_list_get_count(list) : 0;
}

std::string place(const std::string& path) { return path == "0" ? "the body" : "part " + path; }

const char* shape_name(CopyShape s) {
    switch (s) {
    case CopyShape::message: return "rfc822";
    case CopyShape::part: return "part";
    case CopyShape::headers: return "headers";
    case CopyShape::partial: return "partial";
    case CopyShape::attachment: return "attachment";
    case CopyShape::inline_text: return "inline";
    case CopyShape::json: return "json";
    case CopyShape::none: break;
    }
    return "none";
}

// The copy in `text`: from its first line when the part holds the copy
// whole (`anchored`), else where it starts inside the MTA's words
// (bounce_inline.cpp).
std::optional<ReturnedCopy> from_text(std::string_view text, bool anchored, ReturnedCopy copy, bool faithful_shape,
                                      const BounceLimits& limits) {
    std::optional<InlineCopy> block = anchored ? anchored_copy(text) : inline_copy(text);
    if (!block) return std::nullopt;
    auto kept = std::make_shared<const std::string>(std::move(block->text));
    GPtr<GMimeMessage> m = parse_guarded(*kept, limits);
    if (!m) return std::nullopt;
    if (block->line > 0) copy.where += ", line " + std::to_string(block->line + 1);
    copy.faithful = faithful_shape && block->at_start && !block->repaired;
    copy.text = std::move(kept);
    copy.message = std::move(m);
    return copy;
}

std::optional<std::string> decoded(GMimeObject* part, const BounceLimits& limits) {
    return decoded_content(part, limits.max_size + 1);
}

}  // namespace

std::optional<ReturnedCopy> extract_copy(const CopySlot& slot, const BounceLimits& limits) {
    if (slot.shape == CopyShape::none) return std::nullopt;
    ReturnedCopy copy;
    copy.shape = shape_name(slot.shape);
    copy.path = slot.path;
    switch (slot.shape) {
    case CopyShape::message: {
        GMimeMessage* m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(slot.part));
        if (m == nullptr) return std::nullopt;
        if (slot.type == "message/global") copy.shape = "global";
        copy.where = place(slot.path) + " (" + slot.type + ")";
        if (header_count(GMIME_OBJECT(m)) == 0) {
            // A copy that starts with a blank line: GMime saw a header-less
            // message whose body is the copy. Read that body as a message.
            GMimeObject* body = g_mime_message_get_mime_part(m);
            auto text = body ? decoded(body, limits) : std::nullopt;
            if (!text) return std::nullopt;
            copy.where += ", after a blank line";
            return from_text(*text, true, std::move(copy), true, limits);
        }
        g_object_ref(m);
        copy.message.reset(m);
        return copy;
    }
    case CopyShape::part: {
        std::unique_ptr<char, decltype(&g_free)> text(g_mime_object_to_string(slot.part, nullptr), g_free);
        if (!text) return std::nullopt;
        auto kept = std::make_shared<const std::string>(text.get());
        GPtr<GMimeMessage> m = parse_guarded(*kept, limits);
        if (!m) return std::nullopt;
        copy.where = place(slot.path) + ", whose own header is the original's";
        copy.text = std::move(kept);
        copy.message = std::move(m);
        return copy;
    }
    case CopyShape::headers:
    case CopyShape::partial:
    case CopyShape::attachment: {
        auto text = decoded(slot.part, limits);
        if (!text) return std::nullopt;
        const char* file = g_mime_part_get_filename(GMIME_PART(slot.part));
        const bool eml = file != nullptr && ends_with_ci(file, ".eml");
        copy.where = place(slot.path) + " (" + slot.type + (eml ? ", .eml" : "") + ")";
        // A header part may have lost any part of the body.
        return from_text(*text, true, std::move(copy), slot.shape != CopyShape::headers, limits);
    }
    case CopyShape::inline_text:
        copy.where = "inline in " + (slot.part == nullptr ? "the text around the parts of " + place(slot.path)
                                                          : place(slot.path) + " (" + slot.type + ")");
        return from_text(*slot.text, false, std::move(copy), true, limits);
    case CopyShape::json: {
        GPtr<GMimeMessage> m = parse_guarded(*slot.text, limits);
        if (!m) return std::nullopt;
        copy.where = "header fields as JSON in " + place(slot.path);
        copy.faithful = false;
        copy.text = slot.text;
        copy.message = std::move(m);
        return copy;
    }
    case CopyShape::none: break;
    }
    return std::nullopt;
}

}  // namespace bounceseal::bounce_detail
