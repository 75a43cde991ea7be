// mime.cpp - GMime set-up and the few GMime operations the core needs:
// streams over borrowed memory, parsing, decoding a leaf, recognising seal
// parts. MIME rules themselves are GMime's; nothing here re-implements them.
#include "bounceseal/mime.hpp"

#include <algorithm>
#include <mutex>

#include "bounceseal/record.hpp"

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
    // An mbox "From " line is not a header: skip it rather than let GMime
    // take the message for a header-less body.
    if (data.starts_with("From ")) {
        std::size_t nl = data.find('\n');
        data = nl == std::string_view::npos ? std::string_view{} : data.substr(nl + 1);
    }
    GPtr<GMimeStream> stream = memory_stream(data);
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

SealPartKind seal_part_kind(GMimeObject* obj) {
    // By content, whatever the type says (FORMAT.md 5.3): the intro lines
    // are what no bounce generator rewrites.
    if (!GMIME_IS_PART(obj) || GMIME_IS_MESSAGE_PARTIAL(obj)) return SealPartKind::none;
    auto head = decoded_content(obj, kRecordIntro.size() + kSignatureIntro.size());
    if (!head) return SealPartKind::none;
    std::string_view h = *head;
    if (h.starts_with(kRecordIntro)) return SealPartKind::record;
    if (h.starts_with(kSignatureIntro)) return SealPartKind::signature;
    return SealPartKind::none;
}

}  // namespace bounceseal
