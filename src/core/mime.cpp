// mime.cpp - GMime set-up and the few GMime operations the core needs:
// streams over borrowed memory, parsing, decoding a leaf. MIME rules
// themselves are GMime's; what is a seal part is the seal format's
// business (body_in_chief.cpp). The one shortcut, the base64
// decoder of body hashes, decodes itself only what GMime's decoder decodes
// the same way, and asks GMime for its alphabet and everything else.
#include "bounceseal/mime.hpp"

#include <algorithm>
#include <array>
#include <mutex>

#include "bounceseal/text.hpp"
#include "message_text.hpp"

namespace bounceseal {

void mime_init() {
    static std::once_flag once;
    std::call_once(once, [] { g_mime_init(); });
}

GPtr<GMimeStream> memory_stream(std::string_view data) {
    mime_init();
    // GMimeStreamMem reads through a GByteArray it does not own (owner=FALSE)
    // and never writes to it unless asked to: lend it the caller's memory
    // instead of copying a body that may be tens of megabytes. The array
    // shell is released with free_segment=FALSE, so GLib never frees the
    // borrowed bytes. Substreams made by the parser keep this stream alive.
    GByteArray* view = g_byte_array_new();
    view->data = reinterpret_cast<guint8*>(const_cast<char*>(data.data()));
    view->len = static_cast<guint>(data.size());
    GMimeStream* stream = g_mime_stream_mem_new_with_byte_array(view);
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
    g_object_set_data_full(G_OBJECT(stream), "bounceseal-view", view, [](gpointer p) {
        auto* arr = static_cast<GByteArray*>(p);
        arr->data = nullptr;
        arr->len = 0;
        g_byte_array_free(arr, FALSE);
    });
    return GPtr<GMimeStream>(stream);
}

GPtr<GMimeMessage> parse_message(std::string_view data) {
    GPtr<GMimeStream> stream = memory_stream(data.substr(mbox_from_line(data).size()));
    GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
    g_mime_parser_set_persist_stream(parser.get(), TRUE);
    return GPtr<GMimeMessage>(g_mime_parser_construct_message(parser.get(), nullptr));
}

GPtr<GMimeObject> parse_entity(GMimeStream* stream) {
    mime_init();
    GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream));
    g_mime_parser_set_persist_stream(parser.get(), TRUE);
    return GPtr<GMimeObject>(g_mime_parser_construct_part(parser.get(), nullptr));
}

GPtr<GMimeStream> decoded_stream(GMimeObject* obj) {
    if (!GMIME_IS_PART(obj)) return nullptr;
    GMimeDataWrapper* content = g_mime_part_get_content(GMIME_PART(obj));
    if (content == nullptr) return nullptr;
    GMimeStream* raw = g_mime_data_wrapper_get_stream(content);
    if (raw == nullptr) return nullptr;
    g_mime_stream_reset(raw);
    GPtr<GMimeStream> filtered(g_mime_stream_filter_new(raw));
    GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(content);
    if (enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE) {
        // RFC 2045 6.7 (3): trailing white space on an encoded line was added
        // in transport and must go before decoding, or a soft line break
        // followed by a space would survive as text.
        GPtr<GMimeFilter> strip(g_mime_filter_strip_new());
        g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered.get()), strip.get());
    }
    if (enc == GMIME_CONTENT_ENCODING_BASE64 || enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
        enc == GMIME_CONTENT_ENCODING_UUENCODE) {
        GPtr<GMimeFilter> dec(g_mime_filter_basic_new(enc, FALSE));
        g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered.get()), dec.get());
    }
    return filtered;
}

namespace {

// What GMime's base64 decoder does with each byte: its value in the
// alphabet (0 to 63), kSkipped for a byte it passes over without a change of
// state, kSpecial for any other ('=', which ends the data). Found by asking
// the decoder, so that the table cannot differ from it: a byte b has the
// value v when "bAAA" decodes to three bytes, the first v << 2.
constexpr unsigned char kSkipped = 0xfe;
constexpr unsigned char kSpecial = 0xff;

const std::array<unsigned char, 256>& base64_values() {
    static const std::array<unsigned char, 256> table = [] {
        mime_init();
        std::array<unsigned char, 256> t{};
        for (int b = 0; b < 256; ++b) {
            unsigned char out[8];
            GMimeEncoding e;
            g_mime_encoding_init_decode(&e, GMIME_CONTENT_ENCODING_BASE64);
            const char quartet[4] = {static_cast<char>(b), 'A', 'A', 'A'};
            std::size_t n = g_mime_encoding_step(&e, quartet, sizeof quartet, reinterpret_cast<char*>(out));
            if (n == 3 && e.state == 0 && e.save == 0) {
                t[static_cast<std::size_t>(b)] = static_cast<unsigned char>(out[0] >> 2);
                continue;
            }
            g_mime_encoding_init_decode(&e, GMIME_CONTENT_ENCODING_BASE64);
            n = g_mime_encoding_step(&e, quartet, 1, reinterpret_cast<char*>(out));
            t[static_cast<std::size_t>(b)] = n == 0 && e.state == 0 && e.save == 0 ? kSkipped : kSpecial;
        }
        return t;
    }();
    return table;
}

}  // namespace

Base64Decoder::Base64Decoder() {
    mime_init();
    g_mime_encoding_init_decode(&state_, GMIME_CONTENT_ENCODING_BASE64);
}

void Base64Decoder::step(const char* data, std::size_t len, std::string& out) {
    const auto& value = base64_values();
    const auto* p = reinterpret_cast<const unsigned char*>(data);
    const auto* const end = p + len;
    const std::size_t start = out.size();
    out.resize(start + len / 4 * 3 + 3);  // at most three bytes for every four, and a quartet's worth
    char* o = out.data() + start;
    while (p < end) {
        if (state_.state == -1) break;  // past the '=' that ends the data: GMime decodes nothing more
        // Between quartets (state 0, nothing saved) GMime's decoder passes
        // over skipped bytes and turns four of the alphabet into three.
        if (state_.state == 0 && state_.save == 0) {
            while (p < end && value[*p] == kSkipped) ++p;
            while (end - p >= 4) {
                const unsigned v0 = value[p[0]], v1 = value[p[1]], v2 = value[p[2]], v3 = value[p[3]];
                if (((v0 | v1 | v2 | v3) & 0xc0) != 0) break;  // one of them is not of the alphabet
                o[0] = static_cast<char>(v0 << 2 | v1 >> 4);
                o[1] = static_cast<char>((v1 & 0x0f) << 4 | v2 >> 2);
                o[2] = static_cast<char>((v2 & 0x03) << 6 | v3);
                o += 3;
                p += 4;
            }
            if (p == end) break;
        }
        // Anything else, one byte at a time, to GMime's decoder, until it is
        // between quartets again.
        o += g_mime_encoding_step(&state_, reinterpret_cast<const char*>(p), 1, o);
        ++p;
    }
    out.resize(static_cast<std::size_t>(o - out.data()));
}

bool read_decoded(GMimeObject* obj, const std::function<bool(const char*, std::size_t)>& sink) {
    GMimeDataWrapper* content = GMIME_IS_PART(obj) ? g_mime_part_get_content(GMIME_PART(obj)) : nullptr;
    if (content == nullptr || g_mime_data_wrapper_get_encoding(content) != GMIME_CONTENT_ENCODING_BASE64) {
        GPtr<GMimeStream> stream = decoded_stream(obj);
        return !stream || read_stream(stream.get(), sink);
    }
    GMimeStream* raw = g_mime_data_wrapper_get_stream(content);
    if (raw == nullptr) return true;
    g_mime_stream_reset(raw);
    Base64Decoder decoder;
    std::string out;
    // GMime's flush of a base64 decoder decodes nothing more (a quartet left
    // incomplete at the end is dropped), so there is nothing to finish.
    return read_stream(raw, [&](const char* data, std::size_t len) {
        out.clear();
        decoder.step(data, len, out);
        return out.empty() || sink(out.data(), out.size());
    });
}

std::optional<std::string> decoded_content(GMimeObject* obj, std::size_t max_len) {
    if (!GMIME_IS_PART(obj)) return std::nullopt;
    GPtr<GMimeStream> stream = decoded_stream(obj);
    std::string out;
    if (!stream) return out;
    // The encoded length bounds the decoded one (base64 and QP only
    // shrink): one allocation instead of a doubling string's copies.
    GMimeDataWrapper* content = g_mime_part_get_content(GMIME_PART(obj));
    const gint64 encoded = g_mime_stream_length(g_mime_data_wrapper_get_stream(content));
    if (encoded > 0) out.reserve(std::min(max_len, static_cast<std::size_t>(encoded)));
    bool ok = read_stream(stream.get(), [&](const char* p, std::size_t n) {
        out.append(p, std::min(n, max_len - out.size()));
        return out.size() < max_len;
    });
    if (!ok) return std::nullopt;
    return out;
}

}  // namespace bounceseal
