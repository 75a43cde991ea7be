// bounce_guard.cpp - a bounded parse: one cheap pass over the text before
// GMime sees it, so that what GMime builds stays in proportion to the input.
//
// GMime's parser builds everything eagerly, a returned message's whole tree
// included, and only then can a limit of ours be checked. Three things it
// builds grow faster than the input:
//   - nesting: it recurses once per level, and each level needs a
//     Content-Type field (a multipart/digest child without one is a
//     message, whose own level needs one again). GMime 3.2 takes the field
//     name in any case and with space or tab before the colon, and the value
//     folded onto the next lines: every such spelling is counted here;
//   - header fields: each costs it about 500 bytes of objects, so a text of
//     short "a: b" lines grows some 70 times. Counted in every place a header
//     block can start: the top, after a delimiter line of a boundary some
//     Content-Type field declared, after the header block of a message/*
//     part, and after an empty one in a multipart/digest (whose children
//     are messages);
//   - boundary checks: it compares every line that starts with "--" with the
//     boundary of every open multipart. Bounded by lines x boundary bytes.
// Each count is an upper bound of GMime's, never an exact parse: text that
// merely looks like headers or boundaries costs an attacker a limit error,
// never us a blow-up. Nothing here interprets MIME beyond that.
#include <algorithm>
#include <cstring>
#include <unordered_map>

#include <gmime/gmime.h>

#include "bounce_internal.hpp"
#include "bounceseal/error.hpp"
#include "bounceseal/text.hpp"

namespace bounceseal::bounce_detail {
namespace {

// Fixed ceilings, whatever the configuration says (docs/VERIFY.md 7).
constexpr std::size_t kMaxContentTypeFields = 10000;
constexpr std::size_t kMaxBoundaryWork = std::size_t{1} << 28;  // bytes compared, at most

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// The field name of a line that starts a header field as GMime reads it
// (printable name, then optional SP/HTAB, then ':'), or an empty view.
std::string_view field_start(std::string_view line) {
    std::size_t i = 0;
    while (i < line.size()) {
        auto c = static_cast<unsigned char>(line[i]);
        if (c == ':' || c <= ' ' || c == 0x7f) break;
        ++i;
    }
    if (i == 0) return {};
    std::size_t j = i;
    while (j < line.size() && is_wsp(line[j])) ++j;
    if (j >= line.size() || line[j] != ':') return {};
    return line.substr(0, i);
}

class Scan {
public:
    explicit Scan(const BounceLimits& limits)
        : max_content_types_(std::min(limits.max_parts, kMaxContentTypeFields)), max_delimiters_(limits.max_parts) {}

    void line(std::string_view l) {
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        if (l.starts_with("--")) {
            end_field();
            dash_line(l);
        } else if (in_header_) {
            header_line(l);
        }
    }

    void finish() {
        end_field();
        if (dash_lines_ != 0 && boundary_bytes_ > kMaxBoundaryWork / dash_lines_)
            throw Error(Errc::limit, "too many lines starting with \"--\" against too many boundaries");
    }

private:
    void header_line(std::string_view l) {
        if (l.empty()) {
            end_field();
            // The next block is a header block too for a message/* part and,
            // in a multipart/digest, for an empty block (a message child).
            in_header_ = block_message_ || (block_fields_ == 0 && block_in_digest_);
            start_block(false);
            return;
        }
        if (is_wsp(l.front())) {
            if (in_content_type_) content_type_ += l;
            return;
        }
        end_field();
        std::string_view name = field_start(l);
        if (name.empty()) return;  // GMime skips it, or takes it as the content's start
        if (++fields_ > kMaxHeaderFields)
            throw Error(Errc::limit, "more than " + std::to_string(kMaxHeaderFields) + " header fields");
        ++block_fields_;
        if (iequals(name, "Content-Type")) {
            if (++content_types_ > max_content_types_)
                throw Error(Errc::limit, "more than " + std::to_string(max_content_types_) +
                                             " MIME parts (Content-Type fields)");
            in_content_type_ = true;
            content_type_.assign(l.substr(l.find(':') + 1));
        }
    }

    // A line starting with "--": a delimiter if it names a declared
    // boundary (a part's header block follows), else text that only costs
    // GMime its comparisons.
    void dash_line(std::string_view l) {
        ++dash_lines_;
        std::string_view token = l.substr(2);
        while (!token.empty() && is_wsp(token.back())) token.remove_suffix(1);
        auto it = boundaries_.find(std::string(token));
        if (it == boundaries_.end()) {
            if (token.ends_with("--") && boundaries_.contains(std::string(token.substr(0, token.size() - 2))))
                in_header_ = false;  // a close delimiter: the parent's content follows
            return;
        }
        if (++delimiters_ > max_delimiters_)
            throw Error(Errc::limit, "more than MaxParts " + std::to_string(max_delimiters_) + " MIME parts");
        in_header_ = true;
        start_block(it->second);
    }

    void start_block(bool in_digest) {
        block_fields_ = 0;
        block_message_ = false;
        block_in_digest_ = in_digest;
    }

    void end_field() {
        if (!in_content_type_) return;
        in_content_type_ = false;
        GPtr<GMimeContentType> ct(g_mime_content_type_parse(nullptr, content_type_.c_str()));
        content_type_.clear();
        if (!ct) return;
        const char* type = g_mime_content_type_get_media_type(ct.get());
        const char* subtype = g_mime_content_type_get_media_subtype(ct.get());
        if (type != nullptr && g_ascii_strcasecmp(type, "message") == 0) block_message_ = true;
        if (const char* b = g_mime_content_type_get_parameter(ct.get(), "boundary")) {
            boundary_bytes_ += std::strlen(b) + 2;
            const bool digest = subtype != nullptr && g_ascii_strcasecmp(subtype, "digest") == 0;
            auto [it, added] = boundaries_.emplace(b, digest);
            if (!added) it->second = it->second || digest;
        }
    }

    const std::size_t max_content_types_;
    const std::size_t max_delimiters_;
    bool in_header_ = true;
    bool in_content_type_ = false;
    bool block_message_ = false;
    bool block_in_digest_ = false;
    std::size_t block_fields_ = 0;
    std::string content_type_;
    std::unordered_map<std::string, bool> boundaries_;  // declared boundary -> of a multipart/digest
    std::size_t fields_ = 0, content_types_ = 0, delimiters_ = 0, dash_lines_ = 0, boundary_bytes_ = 0;
};

}  // namespace

void guard_parse(std::string_view text, const BounceLimits& limits) {
    mime_init();
    Scan scan(limits);
    std::size_t pos = mbox_from_line(text).size();  // an mbox "From " line is no header
    while (pos < text.size()) {
        const char* nl = static_cast<const char*>(std::memchr(text.data() + pos, '\n', text.size() - pos));
        const std::size_t end = nl == nullptr ? text.size() : static_cast<std::size_t>(nl - text.data());
        scan.line(text.substr(pos, end - pos));
        pos = end + 1;
    }
    scan.finish();
}

GPtr<GMimeMessage> parse_guarded(std::string_view text, const BounceLimits& limits) {
    guard_parse(text, limits);
    return parse_message(text);
}

}  // namespace bounceseal::bounce_detail
