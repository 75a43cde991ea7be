// mime_header.cpp - the media type and raw field values of a MIME entity's
// own header, through GMime (see mime_header.hpp).
#include "bounceseal/mime_header.hpp"

#include <memory>

#include "bounceseal/encoding.hpp"

namespace bounceseal {

std::string mime_type_of(GMimeObject* obj) {
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    if (ct == nullptr) return "text/plain";
    std::unique_ptr<char, decltype(&g_free)> t(g_mime_content_type_get_mime_type(ct), g_free);
    return t ? ascii_lower(t.get()) : std::string("text/plain");
}

std::optional<std::string> raw_header(GMimeObject* obj, const char* name) {
    GMimeHeaderList* list = g_mime_object_get_header_list(obj);
    GMimeHeader* h = list ? g_mime_header_list_get_header(list, name) : nullptr;
    const char* v = h ? g_mime_header_get_raw_value(h) : nullptr;
    if (v == nullptr) return std::nullopt;
    return std::string(v);
}

}  // namespace bounceseal
