// bounce_layers.cpp - the MTA's layers of a bounce: its own header (the
// facts bounce_header.cpp reads), its own MIME structure with its report
// parts, its own text. Walks them in document order and stops at every
// returned message, never entering one: a message/rfc822 (global, news)
// part, a part whose own header is a message's, a header, partial or
// attached message part are places where a copy may be, and what is
// inside them is the forger's.
//
// Yields an MtaView for the classifier (report parts, recipients'
// actions, the first text up to where the copy starts) and the CopySlot
// where the one returned copy is: the first place of the strongest kind
// (CopyShape), an inline copy only when the structure returns none, the
// header fields of an Amazon SES notification last (the scanners of
// bounce_inline.cpp and bounce_json.cpp find where a copy starts in a
// text). It does not parse the copy (bounce_copy.cpp) and does not judge
// seals.
#include <algorithm>
#include <cstring>

#include <gmime/gmime.h>

#include "bounce_internal.hpp"
#include "bounceseal/error.hpp"
#include "bounceseal/mime_header.hpp"
#include "bounceseal/text.hpp"

namespace bounceseal::bounce_detail {
namespace {

constexpr std::size_t kLeadingText = 64 * 1024;  // what classification reads of the first text

// A MIME part whose own header block is a message's header (an MTA that
// pasted the original in as a part without MIME fields of its own).
bool has_message_header(GMimeObject* obj) {
    GMimeHeaderList* list = g_mime_object_get_header_list(obj);
    if (list == nullptr) return false;
    bool seal = g_mime_header_list_contains(list, "Bounce-Seal");
    bool strong = g_mime_header_list_contains(list, "Received") || g_mime_header_list_contains(list, "Message-ID") ||
                  g_mime_header_list_contains(list, "Return-Path");
    int ordinary = 0;
    for (const char* name : {"From", "To", "Date", "Subject"})
        ordinary += g_mime_header_list_contains(list, name) ? 1 : 0;
    return seal || (strong && ordinary >= 2);
}

bool is_header_type(std::string_view type) {
    return type == "text/rfc822-headers" || type == "text/rfc822-header" || type == "message/global-headers" ||
           type == "message/rfc822-headers";
}

// A text of the bounce's own that may hold an inline copy: a leaf part
// (decoded when needed) or the text around a multipart's parts.
struct Text {
    GMimeObject* part = nullptr;  // null for `around`
    std::string_view around;      // preamble or epilogue, owned by GMime
    std::string path;
    std::string type;

    std::string decoded(std::size_t max) const {
        if (part == nullptr) return std::string(around.substr(0, max));
        return decoded_content(part, max).value_or(std::string());
    }
};

class Walker {
public:
    Walker(const BounceLimits& limits, Layers& out) : limits_(limits), out_(out) {}

    void entity(GMimeObject* obj, const std::string& local, std::size_t depth, bool top) {
        if (obj == nullptr) return;
        if (depth > limits_.max_depth)
            throw Error(Errc::limit, "MIME nesting deeper than MaxDepth " + std::to_string(limits_.max_depth));
        if (++parts_ > limits_.max_parts)
            throw Error(Errc::limit, "more than MaxParts " + std::to_string(limits_.max_parts) + " MIME parts");
        const std::string path = local.empty() ? "0" : local;
        const std::string type = mime_type_of(obj);
        if (!top && has_message_header(obj)) {
            offer(CopyShape::part, obj, path, type);
        } else if (GMIME_IS_MULTIPART(obj)) {
            multipart(obj, local, path, depth);
        } else if (GMIME_IS_MESSAGE_PART(obj)) {
            offer(CopyShape::message, obj, path, type);  // the returned message: never entered
        } else if (GMIME_IS_PART(obj)) {
            leaf(obj, path, type);
        }
    }

    // No structure returns the copy: the first text that is a message (its
    // header block starts it), else the first text in which a header block
    // starts after the MTA's words. (A summary of the original in the
    // MTA's words, "Subject: ... Date: ...", is then no copy when the copy
    // follows in a part of its own.)
    void choose_inline_or_json() {
        if (out_.slot.shape != CopyShape::none) return;
        std::optional<std::size_t> fallback;
        for (std::size_t i = 0; i < texts_.size(); ++i) {
            auto text = std::make_shared<const std::string>(texts_[i].decoded(limits_.max_size + 1));
            std::optional<BlockStart> start = copy_start(*text);
            if (start && start->at_start) {
                set_slot(CopyShape::inline_text, texts_[i].part, texts_[i].path, texts_[i].type, std::move(text));
                return;
            }
            if (start && !fallback) fallback = i;
        }
        if (fallback) {
            const Text& t = texts_[*fallback];
            set_slot(CopyShape::inline_text, t.part, t.path, t.type,
                     std::make_shared<const std::string>(t.decoded(limits_.max_size + 1)));
            return;
        }
        for (const Text& t : texts_) {
            if (auto json = json_header_block(t.decoded(limits_.max_size + 1))) {
                set_slot(CopyShape::json, t.part, t.path, t.type, std::make_shared<const std::string>(std::move(*json)));
                return;
            }
        }
    }

    // The first text a reader sees, cut where an inline copy starts in it.
    void leading_text() {
        for (const Text& t : texts_) {
            if (t.type == "text/html" || t.type == "message/delivery-status") continue;
            std::string text = t.decoded(kLeadingText);
            if (out_.slot.shape == CopyShape::inline_text && out_.slot.path == t.path)
                if (auto start = copy_start(text)) text.resize(start->offset);
            out_.view.leading_text = ascii_lower(text);
            return;
        }
    }

private:
    void multipart(GMimeObject* obj, const std::string& local, const std::string& path, std::size_t depth) {
        GMimeMultipart* mp = GMIME_MULTIPART(obj);
        const char* rt = g_mime_content_type_get_parameter(g_mime_object_get_content_type(obj), "report-type");
        const std::string report = rt ? ascii_lower(rt) : "";
        if (report == "delivery-status" || report == "global-delivery-status") out_.view.delivery_status = true;
        if (report == "feedback-report") out_.view.feedback = true;
        if (report == "disposition-notification") out_.view.disposition = true;
        // Text outside the delimiters: a report whose boundary never
        // appears holds everything, the returned copy too, here.
        if (const char* pro = g_mime_multipart_get_prologue(mp); pro != nullptr && std::strchr(pro, '\n') != nullptr)
            texts_.push_back({nullptr, pro, path, "text/plain"});
        const int n = g_mime_multipart_get_count(mp);
        for (int i = 0; i < n; ++i)
            entity(g_mime_multipart_get_part(mp, i), (local.empty() ? "" : local + ".") + std::to_string(i + 1),
                   depth + 1, false);
        if (const char* epi = g_mime_multipart_get_epilogue(mp); epi != nullptr && *epi != '\0')
            texts_.push_back({nullptr, epi, path, "text/plain"});
    }

    void leaf(GMimeObject* obj, const std::string& path, const std::string& type) {
        const char* file = g_mime_part_get_filename(GMIME_PART(obj));
        const bool eml = file != nullptr && ends_with_ci(file, ".eml");
        if (type == "message/delivery-status" || type == "message/global-delivery-status") {
            out_.view.delivery_status = true;
            read_actions(obj);
        } else if (type == "message/feedback-report") {
            out_.view.feedback = true;
            return;
        } else if (type == "message/disposition-notification") {
            out_.view.disposition = true;
            return;
        }
        if (is_header_type(type)) {
            offer(CopyShape::headers, obj, path, type);
        } else if (GMIME_IS_MESSAGE_PARTIAL(obj) || type == "message/partial") {
            offer(CopyShape::partial, obj, path, type);
        } else if (eml || (file != nullptr && type.starts_with("text/")) ||
                   (type == "application/octet-stream" && looks_like_message(obj))) {
            offer(CopyShape::attachment, obj, path, type);
        } else if ((type.starts_with("text/") && type != "text/html") || type.starts_with("message/")) {
            texts_.push_back({obj, {}, path, type});
        }
    }

    // Binary data is no message: an octet stream is one only if it starts
    // like one.
    static bool looks_like_message(GMimeObject* obj) {
        auto head = decoded_content(obj, 1024);
        return head && (field_name(*head) || !mbox_from_line(*head).empty());
    }

    void read_actions(GMimeObject* part) {
        auto text = decoded_content(part, kLeadingText);
        if (!text) return;
        const std::string lower = ascii_lower(*text);
        for (std::size_t pos = 0; (pos = lower.find("action:", pos)) != std::string::npos; pos += 7) {
            if (pos != 0 && lower[pos - 1] != '\n') continue;
            std::string_view rest = std::string_view(lower).substr(pos + 7, 16);
            if (rest.find("failed") != std::string_view::npos) out_.view.failed = true;
            if (rest.find("delayed") != std::string_view::npos) out_.view.delayed = true;
        }
    }

    // A place where a copy may be: kept if it is of a stronger kind than
    // the one found so far (the first of each kind in document order).
    void offer(CopyShape shape, GMimeObject* obj, const std::string& path, const std::string& type) {
        if (out_.slot.shape == CopyShape::none || shape < out_.slot.shape) set_slot(shape, obj, path, type, nullptr);
    }

    void set_slot(CopyShape shape, GMimeObject* obj, const std::string& path, const std::string& type,
                  std::shared_ptr<const std::string> text) {
        out_.slot = CopySlot{shape, obj, path, type, std::move(text)};
        out_.view.copy = shape;
    }

    const BounceLimits& limits_;
    Layers& out_;
    std::size_t parts_ = 0;
    std::vector<Text> texts_;  // in document order
};

}  // namespace

Layers read_layers(GMimeMessage* root, std::string_view raw, const BounceLimits& limits) {
    Layers layers;
    layers.view.header = header_facts(root, raw);
    Walker walker(limits, layers);
    walker.entity(g_mime_message_get_mime_part(root), "", 1, true);
    walker.choose_inline_or_json();
    walker.leading_text();
    return layers;
}

}  // namespace bounceseal::bounce_detail
