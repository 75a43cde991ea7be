// bounce_header.cpp - the facts of a bounce's own header block that the
// classifier uses (HeaderFacts): the mbox envelope sender, Return-Path,
// From and Subject (decoded), Auto-Submitted and the auto-reply fields, the
// report-type of its Content-Type, and whether it has a Bounce-Seal field.
//
// Read from GMime's parse of the message, or, for input GMime is not given
// (over the limits, unreadable), from the text of its header block. Only
// the message's own top-level header: nothing of its parts, nothing of the
// returned copy. Nothing is judged here: whether the sender is null or a
// mailer daemon is bounce_classify.cpp's question, whether the seal field
// verifies bounce_decide.cpp's.
#include <algorithm>
#include <memory>

#include <gmime/gmime.h>

#include "bounce_internal.hpp"
#include "bounceseal/encoding.hpp"
#include "bounceseal/mime_header.hpp"
#include "bounceseal/record.hpp"
#include "bounceseal/seal.hpp"
#include "bounceseal/text.hpp"

namespace bounceseal::bounce_detail {
namespace {

// A field longer than a line may be is no header a classifier needs to read.
constexpr std::size_t kFieldWindow = 998;

std::string decode_header_text(std::string_view raw) {
    const std::string text(raw);
    std::unique_ptr<char, decltype(&g_free)> d(g_mime_utils_header_decode_text(nullptr, text.c_str()), g_free);
    return d ? std::string(d.get()) : text;
}

void add_field(HeaderFacts& f, std::string_view name, const std::string& value) {
    if (iequals(name, "Return-Path")) {
        f.return_paths.emplace_back(trim(value));
    } else if (iequals(name, "From")) {
        f.from = ascii_lower(decode_header_text(trim(value.substr(0, kFieldWindow))));
    } else if (iequals(name, "Subject")) {
        f.subject = ascii_lower(decode_header_text(trim(value.substr(0, kFieldWindow))));
    } else if (iequals(name, "Auto-Submitted")) {
        f.auto_submitted = ascii_lower(trim(value.substr(0, kFieldWindow)));
    } else if (iequals(name, "X-Autoreply") || iequals(name, "X-Autorespond") || iequals(name, "X-Autoresponder")) {
        f.autoreply_field = true;
    } else if (iequals(name, "Precedence")) {
        if (iequals(trim(value), "auto_reply")) f.autoreply_field = true;
    } else if (iequals(name, "Content-Type")) {
        GPtr<GMimeContentType> ct(g_mime_content_type_parse(nullptr, value.c_str()));
        const char* rt = ct ? g_mime_content_type_get_parameter(ct.get(), "report-type") : nullptr;
        if (rt != nullptr) f.report_type = ascii_lower(rt);
    } else if (iequals(name, kHeaderName)) {
        f.seal_field = true;  // proves nothing until it verifies (bounce_decide.cpp)
    }
}

void read_envelope(HeaderFacts& f, std::string_view raw) {
    const std::string_view line = mbox_from_line(raw);
    if (line.empty()) return;
    const std::string_view rest = line.substr(5);  // after "From "
    f.envelope = std::string(rest.substr(0, rest.find_first_of(" \t\r\n")));
}

}  // namespace

HeaderFacts header_facts(GMimeMessage* root, std::string_view raw) {
    HeaderFacts f;
    read_envelope(f, raw);
    GMimeHeaderList* list = g_mime_object_get_header_list(GMIME_OBJECT(root));
    int n = list ? g_mime_header_list_get_count(list) : 0;
    for (int i = 0; i < n; ++i) {
        GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
        const char* v = g_mime_header_get_raw_value(h);
        add_field(f, g_mime_header_get_name(h), v ? v : "");
    }
    // GMime keeps the message's own Content-Type with its top-level part.
    if (GMimeObject* top = g_mime_message_get_mime_part(root))
        if (auto ct = raw_header(top, "Content-Type")) add_field(f, "Content-Type", *ct);
    return f;
}

HeaderFacts header_facts_of_text(std::string_view raw) {
    constexpr std::size_t kHeaderWindow = 256 * 1024;  // a header block is far smaller
    HeaderFacts h;
    read_envelope(h, raw);
    mime_init();
    SplitMessage m = split_message(raw.substr(0, std::min(raw.size(), kHeaderWindow)));
    for (const auto& f : m.headers) add_field(h, f.name, f.value);
    return h;
}

}  // namespace bounceseal::bounce_detail
