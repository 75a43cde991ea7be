// corpus_variants.cpp - building the sealed variant of a corpus bounce
// (corpus_variants.hpp).
//
// The carrier of the original is found by the index's orig-part with GMime,
// and its bytes are replaced in the raw file, so everything else (quirks
// such as a missing closing boundary included) stays as the MTA wrote it:
//   - a message/rfc822 or message/global part: the bytes between its header
//     block and the next delimiter; a part whose own header is the
//     original's: from that header on;
//   - a text part, a text/rfc822-headers, message/partial or other leaf:
//     its content is decoded, the original located in it (after the marker
//     line, else at the first Return-Path or Received line), replaced in the
//     same quoting, and the content encoded again as it was;
//   - a bounce whose MIME structure is broken: the same on its raw body;
//   - Amazon SES: the JSON "headers" array.
// The sealed original's form (header only, cut, quoted, ...) and the text
// side are corpus_text.cpp's.
#include "corpus_variants.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include <gmime/gmime.h>

#include "bounce_support.hpp"
#include "bounceseal/mime.hpp"
#include "corpus_text.hpp"

namespace bounceseal::testing {
namespace {

struct Place {
    GMimeObject* obj = nullptr;
    GMimeMultipart* parent = nullptr;
};

// The object at an index path ("3", "1.1", "2>3", "0").
std::optional<Place> navigate(GMimeMessage* root, const std::string& path) {
    Place p;
    if (path.empty()) return std::nullopt;
    GMimeMessage* message = root;
    std::size_t pos = 0;
    while (true) {
        std::size_t gt = path.find('>', pos);
        std::string segment = path.substr(pos, gt == std::string::npos ? std::string::npos : gt - pos);
        p.obj = g_mime_message_get_mime_part(message);
        p.parent = nullptr;
        if (segment != "0") {
            std::size_t s = 0;
            while (s <= segment.size()) {
                std::size_t dot = segment.find('.', s);
                std::string number = segment.substr(s, dot == std::string::npos ? std::string::npos : dot - s);
                if (number.empty() || number.size() > 4 || number.find_first_not_of("0123456789") != std::string::npos)
                    return std::nullopt;
                int n = std::stoi(number);
                if (p.obj == nullptr || !GMIME_IS_MULTIPART(p.obj)) return std::nullopt;
                p.parent = GMIME_MULTIPART(p.obj);
                if (n < 1 || n > g_mime_multipart_get_count(p.parent)) return std::nullopt;
                p.obj = g_mime_multipart_get_part(p.parent, n - 1);
                if (dot == std::string::npos) break;
                s = dot + 1;
            }
        }
        if (gt == std::string::npos) return p;
        if (p.obj == nullptr || !GMIME_IS_MESSAGE_PART(p.obj)) return std::nullopt;
        message = g_mime_message_part_get_message(GMIME_MESSAGE_PART(p.obj));
        if (message == nullptr) return std::nullopt;
        pos = gt + 1;
    }
}

std::size_t header_offset(GMimeObject* obj, bool last) {
    GMimeHeaderList* list = g_mime_object_get_header_list(obj);
    int n = g_mime_header_list_get_count(list);
    return static_cast<std::size_t>(g_mime_header_get_offset(g_mime_header_list_get_header_at(list, last ? n - 1 : 0)));
}

// The raw bytes of a message part's content, or of a part from its own
// header on: up to the line end before the parent's next delimiter.
std::optional<std::pair<std::size_t, std::size_t>> part_range(std::string_view raw, std::size_t base, const Place& p,
                                                              bool from_own_header) {
    std::size_t start = base + header_offset(p.obj, !from_own_header);
    if (!from_own_header) {
        // The content starts after the first empty line that follows.
        for (std::size_t k = raw.find('\n', start);; k = raw.find('\n', k + 1)) {
            if (k == std::string_view::npos) return std::nullopt;
            std::size_t after = k + 1;
            if (raw.substr(after, 1) == "\n" || raw.substr(after, 2) == "\r\n") {
                start = raw.find('\n', after) + 1;
                break;
            }
        }
    }
    if (p.parent == nullptr) return std::nullopt;
    const std::string delimiter = std::string("\n--") + g_mime_multipart_get_boundary(p.parent);
    std::size_t end = raw.find(delimiter, start > 0 ? start - 1 : 0);
    if (end == std::string_view::npos) end = raw.size();
    else if (end > 0 && raw[end - 1] == '\r') --end;
    if (end < start) start = end;
    return std::make_pair(start, end);
}

std::string replace_part(const std::string& raw, std::size_t start, std::size_t end, const CorpusEntry& e,
                         const std::string& sealed) {
    const bool crlf = raw.find("\r\n") != std::string::npos;
    std::string old = raw.substr(start, end - start);
    std::string copy = without_final_eol(with_eol(shaped(sealed, form_of(e)), crlf));
    if (old.starts_with("\n") || old.starts_with("\r\n")) copy = (crlf ? "\r\n" : "\n") + copy;
    if (start == end && start > 0 && raw[start - 1] != '\n') copy = (crlf ? "\r\n" : "\n") + copy;
    return raw.substr(0, start) + copy + raw.substr(end);
}

std::optional<std::string> replace_leaf(const std::string& raw, std::size_t base, GMimeObject* obj,
                                        const CorpusEntry& e, const std::string& sealed, std::string& note) {
    GMimeDataWrapper* content = g_mime_part_get_content(GMIME_PART(obj));
    if (content == nullptr) return std::nullopt;
    GMimeStream* stream = g_mime_data_wrapper_get_stream(content);
    const std::size_t start = base + static_cast<std::size_t>(stream->bound_start);
    const std::size_t end = base + static_cast<std::size_t>(stream->bound_end);
    if (end > raw.size() || start > end) return std::nullopt;
    auto decoded = decoded_content(obj, raw.size() * 2 + 1);
    if (!decoded) return std::nullopt;
    const bool header_part = g_mime_content_type_is_type(g_mime_object_get_content_type(obj), "text", "rfc822-headers");
    auto replaced = replace_in_text(*decoded, e, sealed, false, header_part ? &note : nullptr);
    if (!replaced) return std::nullopt;
    GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(content);
    std::string encoded = *replaced;
    if (enc == GMIME_CONTENT_ENCODING_BASE64 || enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE) {
        encoded = encode(*replaced, enc);
        if (raw.find("\r\n") != std::string::npos) encoded = to_crlf(encoded);
        if (!raw.substr(start, end - start).ends_with("\n")) encoded = without_final_eol(encoded);
    }
    return raw.substr(0, start) + encoded + raw.substr(end);
}

// Amazon SES: the original's header fields as a JSON array, perhaps inside
// a JSON string (escaped once more), its long line split by sendmail.
std::optional<std::string> replace_json(std::string raw, const std::string& sealed) {
    for (std::size_t p; (p = raw.find("!\n ")) != std::string::npos;) raw.erase(p, 3);
    const bool escaped = raw.find("\\\"headers\\\":[") != std::string::npos;
    const std::string key = escaped ? "\\\"headers\\\":[" : "\"headers\":[";
    std::size_t begin = raw.find(key);
    if (begin == std::string::npos) return std::nullopt;
    begin += key.size();
    std::size_t end = raw.find(']', begin);
    if (end == std::string::npos) return std::nullopt;
    auto json_string = [](const std::string& s) {
        std::string out = "\"";
        for (char c : s) {
            if (c == '"' || c == '\\') out += '\\';
            if (c == '\n' || c == '\t') continue;
            out += c;
        }
        return out + "\"";
    };
    std::string array;
    for (const auto& f : split_message(sealed).headers) {
        std::string value = f.value;
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        array += std::string(array.empty() ? "" : ",") + "{\"name\":" + json_string(f.name) +
                 ",\"value\":" + json_string(value) + "}";
    }
    if (escaped) array = json_string(array).substr(1, json_string(array).size() - 2);
    raw = raw.substr(0, begin) + array + raw.substr(end);
    // sendmail's line limit, as the original went through it.
    std::string out;
    std::size_t column = 0;
    for (char c : raw) {
        if (c == '\n') column = 0;
        else if (++column > 990) {
            out += "!\n ";
            column = 2;
        }
        out += c;
    }
    return out;
}

// The judgement the index row predicts for the sealed variant: none for
// what is not a bounce, pass where the whole copy came back, else
// pass-headers-only; the reason of each of these is ok.
void expect_by_rule(const CorpusEntry& e, Variant& v) {
    if (e.family == "arf" || e.family == "notbounce" || e.family == "rfc3834") v.expected = Verdict::none;
    else if (e.body == "yes" && !e.noted("not byte-faithful")) v.expected = Verdict::pass;
    else v.expected = Verdict::pass_headers_only;
    v.expected_reason = Reason::ok;
}

}  // namespace

Variant build_variant(const CorpusEntry& e, const std::string& raw, const std::string& sealed) {
    Variant v;
    expect_by_rule(e, v);
    if (e.noted("holds only the original's body")) {
        v.skip = "only the original's body came back, without any header: nothing can carry a seal";
        return v;
    }
    if (e.noted("as JSON")) {
        v.carrier = "JSON";
        v.check_path = false;
        auto text = replace_json(raw, sealed);
        if (!text) v.skip = "no JSON headers array found";
        else v.text = *text;
        return v;
    }
    const std::size_t base = raw.starts_with("From ") ? raw.find('\n') + 1 : 0;
    if (e.noted("boundary scanning") || e.noted("no boundary lines in body")) {
        // The structure GMime sees is not the index's: work on the raw body.
        v.carrier = "raw text";
        v.check_path = !e.noted("boundary scanning");
        std::size_t body = raw.find("\n\n", base);
        std::size_t body_crlf = raw.find("\r\n\r\n", base);
        body = std::min(body == std::string::npos ? raw.size() : body + 2,
                        body_crlf == std::string::npos ? raw.size() : body_crlf + 4);
        auto text = replace_in_text(std::string_view(raw).substr(body), e, sealed, true);
        if (!text) v.skip = "the original's header block was not found in the raw body";
        else v.text = raw.substr(0, body) + *text;
        return v;
    }
    GPtr<GMimeMessage> root = parse_message(raw);
    auto place = root ? navigate(root.get(), e.orig_part) : std::nullopt;
    if (!place || place->obj == nullptr) {
        v.skip = "no MIME part at orig-part " + e.orig_part;
        return v;
    }
    std::optional<std::string> text;
    if (GMIME_IS_MESSAGE_PART(place->obj) || e.noted("no MIME headers of its own")) {
        v.carrier = "message part";
        auto range = part_range(raw, base, *place, !GMIME_IS_MESSAGE_PART(place->obj));
        if (range) text = replace_part(raw, range->first, range->second, e, sealed);
    } else if (GMIME_IS_PART(place->obj)) {
        v.carrier = "text part";
        text = replace_leaf(raw, base, place->obj, e, sealed, v.exception);
    }
    if (!text) v.skip = "the original could not be located in its carrier";
    else v.text = *text;
    return v;
}

}  // namespace bounceseal::testing
