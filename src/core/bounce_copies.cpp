// bounce_copies.cpp - analyze_message(): parse the input, classify it, and
// for a bounce walk its MIME tree for every returned copy of the original.
//
// Where copies are found, in the order of the walk (document order):
//   - message/rfc822 and message/global parts (one that starts with a blank
//     line is re-read from its body);
//   - a part whose own header block is the original's header;
//   - every other part with text in it (text/*, message/delivery-status,
//     text/rfc822-headers, message/global-headers, message/partial, .eml and
//     application/octet-stream attachments, a multipart's preamble): header
//     blocks found in the decoded text by bounce_inline.cpp, or the header
//     fields of an Amazon SES notification;
//   - and, recursively, inside each copy found (a bounce of a forward, a
//     forwarded bounce, a double bounce), within the limits.
// Judging the copies is bounce_decide.cpp's business, not this file's.
#include <algorithm>
#include <memory>

#include <strings.h>

#include <gmime/gmime.h>

#include "bounce_internal.hpp"
#include "bounceseal/error.hpp"

namespace bounceseal {
namespace {

using namespace bounce_detail;

// Text examined in all, as a multiple of the input limit: nested inline
// copies are examined again at each level, but not without end.
constexpr std::size_t kScanFactor = 4;

bool ends_with_ci(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

std::optional<std::string> raw_header(GMimeObject* obj, const char* name) {
    GMimeHeaderList* list = g_mime_object_get_header_list(obj);
    GMimeHeader* h = list ? g_mime_header_list_get_header(list, name) : nullptr;
    const char* v = h ? g_mime_header_get_raw_value(h) : nullptr;
    if (v == nullptr) return std::nullopt;
    return std::string(v);
}

int header_count(GMimeObject* obj) {
    GMimeHeaderList* list = g_mime_object_get_header_list(obj);
    return list ? g_mime_header_list_get_count(list) : 0;
}

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

std::string path_of(const std::string& prefix, const std::string& local) {
    return prefix + (local.empty() ? "0" : local);
}

std::string place(const std::string& path) { return path == "0" ? "the body" : "part " + path; }

class CopyFinder {
public:
    CopyFinder(const BounceLimits& limits, std::vector<ReturnedCopy>& copies) : limits_(limits), copies_(copies) {}

    void walk_message(GMimeMessage* m, const std::string& prefix, std::size_t depth, bool faithful) {
        GMimeObject* body = g_mime_message_get_mime_part(m);
        if (body != nullptr) entity(body, prefix, "", depth + 1, faithful, true);
    }

private:
    void entity(GMimeObject* obj, const std::string& prefix, const std::string& local, std::size_t depth,
                bool faithful, bool top) {
        if (depth > limits_.max_depth)
            throw Error(Errc::limit, "MIME nesting deeper than MaxDepth " + std::to_string(limits_.max_depth));
        if (++parts_ > limits_.max_parts)
            throw Error(Errc::limit, "more than MaxParts " + std::to_string(limits_.max_parts) + " MIME parts");
        const std::string path = path_of(prefix, local);
        if (!top && has_message_header(obj)) {
            part_copy(obj, path, depth, faithful);
        } else if (GMIME_IS_MULTIPART(obj)) {
            GMimeMultipart* mp = GMIME_MULTIPART(obj);
            // Text outside the delimiters: a report whose boundary never
            // appears holds everything, the returned copy too, here.
            for (const char* extra : {g_mime_multipart_get_prologue(mp), g_mime_multipart_get_epilogue(mp)})
                if (extra != nullptr && *extra != '\0')
                    scan(extra, path, "inline", "inline in the text around the parts of " + place(path), depth, false);
            int n = g_mime_multipart_get_count(mp);
            for (int i = 0; i < n; ++i) {
                std::string child = (local.empty() ? "" : local + ".") + std::to_string(i + 1);
                entity(g_mime_multipart_get_part(mp, i), prefix, child, depth + 1, faithful, false);
            }
        } else if (GMIME_IS_MESSAGE_PART(obj)) {
            message_part(obj, path, depth, faithful);
        } else if (GMIME_IS_PART(obj)) {
            leaf(obj, path, depth, faithful);
        }
    }

    void message_part(GMimeObject* obj, const std::string& path, std::size_t depth, bool faithful) {
        GMimeMessage* m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
        if (m == nullptr) return;
        const std::string type = mime_type_of(obj);
        const std::string shape = type == "message/global" ? "global" : "rfc822";
        const std::string where = place(path) + " (" + type + ")";
        if (header_count(GMIME_OBJECT(m)) == 0) {
            // A copy that starts with a blank line: GMime saw a header-less
            // message whose body is the copy. Read that body as a message.
            GMimeObject* body = g_mime_message_get_mime_part(m);
            auto text = body ? decoded_content(body, limits_.max_size + 1) : std::nullopt;
            if (text) scan(*text, path, shape, where + ", after a blank line", depth, faithful);
            return;
        }
        g_object_ref(m);
        ReturnedCopy copy;
        copy.where = where;
        copy.shape = shape;
        copy.path = path;
        copy.faithful = faithful;
        copy.text = keep_;  // the text the embedded message points into, if not the input
        copy.message.reset(m);
        add(std::move(copy), depth);
    }

    void part_copy(GMimeObject* obj, const std::string& path, std::size_t depth, bool faithful) {
        std::unique_ptr<char, decltype(&g_free)> text(g_mime_object_to_string(obj, nullptr), g_free);
        if (!text) return;
        auto kept = std::make_shared<const std::string>(text.get());
        GPtr<GMimeMessage> m = parse_message(*kept);
        if (!m) return;
        ReturnedCopy copy;
        copy.where = place(path) + ", whose own header is the original's";
        copy.shape = "part";
        copy.path = path;
        copy.faithful = faithful;
        copy.text = std::move(kept);
        copy.message = std::move(m);
        add(std::move(copy), depth);
    }

    void leaf(GMimeObject* obj, const std::string& path, std::size_t depth, bool faithful) {
        const std::string type = mime_type_of(obj);
        const char* file = g_mime_part_get_filename(GMIME_PART(obj));
        const bool eml = file != nullptr && ends_with_ci(file, ".eml");
        const bool attached = file != nullptr || GMIME_IS_MESSAGE_PARTIAL(obj);
        std::string shape;
        if (type == "text/rfc822-headers" || type == "text/rfc822-header" || type == "message/global-headers" ||
            type == "message/rfc822-headers")
            shape = "headers";
        else if (type == "message/partial")
            shape = "partial";
        else if (eml || type == "application/octet-stream" || (attached && type.starts_with("text/")))
            shape = "attachment";
        else if ((type.starts_with("text/") && type != "text/html") || type.starts_with("message/"))
            shape = "inline";
        else
            return;  // images, archives, HTML: no copy a verifier could read
        auto text = decoded_content(obj, limits_.max_size + 1);
        if (!text) return;
        if (shape == "attachment" && !eml && type == "application/octet-stream" && !field_name(*text) &&
            !text->starts_with("From "))
            return;  // binary data, not a message
        const std::string where =
            (shape == "inline" ? "inline in " : "") + place(path) + " (" + type + (eml ? ", .eml" : "") + ")";
        // A text/rfc822-headers part may have lost any part of the body.
        scan(*text, path, shape, where, depth, faithful && shape != "headers");
    }

    void scan(std::string_view text, const std::string& path, const std::string& shape, const std::string& where,
              std::size_t depth, bool faithful) {
        scanned_ += text.size();
        if (text.size() > limits_.max_size || scanned_ > kScanFactor * limits_.max_size)
            throw Error(Errc::limit, "more text to examine than MaxInputSize allows");
        std::size_t room = limits_.max_copies + 1 - std::min(copies_.size(), limits_.max_copies);
        for (auto& block : find_inline_blocks(text, room)) {
            auto kept = std::make_shared<const std::string>(std::move(block.text));
            GPtr<GMimeMessage> m = parse_message(*kept);
            if (!m) continue;
            ReturnedCopy copy;
            copy.where = where + (block.line > 0 ? ", line " + std::to_string(block.line + 1) : "");
            copy.shape = shape;
            copy.path = path;
            copy.faithful = faithful && block.at_start && !block.repaired;
            copy.text = std::move(kept);
            copy.message = std::move(m);
            add(std::move(copy), depth);
        }
        if (auto json = json_header_block(text)) {
            auto kept = std::make_shared<const std::string>(std::move(*json));
            if (GPtr<GMimeMessage> m = parse_message(*kept)) {
                ReturnedCopy copy;
                copy.where = "header fields as JSON in " + place(path);
                copy.shape = "json";
                copy.path = path;
                copy.faithful = false;
                copy.text = std::move(kept);
                copy.message = std::move(m);
                add(std::move(copy), depth);
            }
        }
    }

    void add(ReturnedCopy copy, std::size_t depth) {
        if (copies_.size() >= limits_.max_copies)
            throw Error(Errc::limit, "more than " + std::to_string(limits_.max_copies) + " returned copies");
        GMimeMessage* m = copy.message.get();
        const std::string inner = copy.path + ">";
        const bool faithful = copy.faithful;
        // Copies found inside this one point into its text: they keep it too.
        std::shared_ptr<const std::string> outer = keep_;
        if (copy.text) keep_ = copy.text;
        copies_.push_back(std::move(copy));
        // The copy may be a bounce itself, or a forward of one.
        walk_message(m, inner, depth, faithful);
        keep_ = std::move(outer);
    }

    const BounceLimits& limits_;
    std::vector<ReturnedCopy>& copies_;
    std::size_t parts_ = 0;
    std::size_t scanned_ = 0;
    std::shared_ptr<const std::string> keep_;  // the text the message being walked was parsed from
};

// GMime's parser recurses once per nesting level, before any limit of ours
// can be checked, and compares every line with every open boundary. Each
// level needs a Content-Type line, so counting those lines bounds both
// cheaply: by MaxParts, and by a fixed ceiling whatever MaxParts says.
constexpr std::size_t kMaxContentTypeLines = 10000;

void guard_nesting(std::string_view raw, const BounceLimits& limits) {
    const std::size_t most = std::min(limits.max_parts, kMaxContentTypeLines);
    std::size_t count = 0;
    for (std::size_t pos = 0; pos < raw.size();) {
        if (raw.size() - pos >= 13 && strncasecmp(raw.data() + pos, "content-type:", 13) == 0 && ++count > most)
            throw Error(Errc::limit, "more than " + std::to_string(most) + " MIME parts (Content-Type lines)");
        std::size_t nl = raw.find('\n', pos);
        if (nl == std::string_view::npos) break;
        pos = nl + 1;
    }
}

}  // namespace

namespace bounce_detail {

MessageReport parse_and_classify(std::string_view raw, const BounceLimits& limits) {
    if (raw.size() > limits.max_size)
        throw Error(Errc::limit, "input larger than MaxInputSize (" + std::to_string(limits.max_size) + " bytes)");
    guard_nesting(raw, limits);
    MessageReport report;
    report.root = parse_message(raw);
    if (!report.root || header_count(GMIME_OBJECT(report.root.get())) == 0)
        throw Error(Errc::mime, "not a message: no header block");
    std::string id = raw_header(GMIME_OBJECT(report.root.get()), "Message-ID").value_or("");
    std::size_t b = id.find_first_not_of(" \t\r\n");
    std::size_t e = id.find_last_not_of(" \t\r\n");
    report.message_id = b == std::string::npos ? "" : id.substr(b, e - b + 1);
    Classification c = classify(report.root.get(), raw);
    report.kind = c.kind;
    report.why = std::move(c.why);
    return report;
}

void find_copies(MessageReport& report, const BounceLimits& limits) {
    CopyFinder(limits, report.copies).walk_message(report.root.get(), "", 0, true);
}

}  // namespace bounce_detail

MessageReport analyze_message(std::string_view raw, const BounceLimits& limits) {
    MessageReport report = parse_and_classify(raw, limits);
    if (is_judged(report.kind)) find_copies(report, limits);
    return report;
}

}  // namespace bounceseal
