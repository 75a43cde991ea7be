// seal_shape.cpp - which messages the full mode leaves unwrapped, and the
// boundary of a wrap (see seal_shape.hpp; the reasons and their figures are
// in docs/FORMAT.md 6.1 and docs/impact/README.md).
//
// Every test here looks at the message's own top level, as a recipient's
// program does; none looks for a seal, and none changes anything.
#include "seal_shape.hpp"

#include <algorithm>
#include <cstring>
#include <regex>

#include <gmime/gmime.h>

#include "bounceseal/encoding.hpp"
#include "bounceseal/mime.hpp"
#include "bounceseal/mime_header.hpp"
#include "message_text.hpp"

namespace bounceseal::seal_shape {
namespace {

bool is_encrypted(std::string_view type) {
    for (std::string_view t : {"multipart/encrypted", "multipart/x-encrypted", "multipart/pgp-encrypted",
                               "multipart/x-pgp-encrypted", "application/pkcs7-mime", "application/x-pkcs7-mime"})
        if (type == t) return true;
    return false;
}

// One part that is neither text, nor a multipart, nor an embedded message
// (whose own text parts a filter reads).
bool is_single_attachment(std::string_view type) {
    return !type.starts_with("text/") && !type.starts_with("multipart/") && !type.starts_with("message/");
}

// A '<' right after something other than white space: "Name"<addr> or
// Name<addr>, which SpamAssassin's FROM_MISSPACED family looks for.
bool from_without_space(const std::vector<HeaderField>& headers) {
    const HeaderField* from = first_field(headers, "From");
    if (from == nullptr) return false;
    const std::string& v = from->value;
    for (std::size_t i = 1; i < v.size(); ++i)
        if (v[i] == '<' && !g_ascii_isspace(v[i - 1])) return true;
    return false;
}

// Finds, in text fed piece by piece, the two patterns SpamAssassin's body
// rules excuse only in a message that is not multipart: "</html>", optional
// white space, then a letter or digit (case ignored; CONTENT_AFTER_HTML),
// and a line that starts with "Content-Type:" and white space (T_MIME_MALF).
class TextScan {
public:
    void feed(const char* data, std::size_t len) {
        const char* p = data;
        const char* const end = data + len;
        while (p < end) {
            // Nothing under way: only a '<' or a line end can start a match.
            if (tag_ == 0 && field_ == npos) {
                p = std::find_if(p, end, [](char c) { return c == '<' || c == '\n' || c == '\r'; });
                if (p == end) break;
            }
            step(static_cast<unsigned char>(*p++));
        }
    }
    bool html_end_then_text = false;
    bool header_line = false;

private:
    static constexpr std::string_view kTag = "</html>";
    static constexpr std::string_view kField = "Content-Type:";
    void step(unsigned char c) {
        if (tag_ == kTag.size()) {  // in the white space after the tag
            if (g_ascii_isalnum(c)) html_end_then_text = true;
            else if (!g_ascii_isspace(c)) tag_ = c == '<' ? 1 : 0;
        } else if (g_ascii_tolower(static_cast<gchar>(c)) == kTag[tag_]) {
            ++tag_;
        } else {
            tag_ = c == '<' ? 1 : 0;  // '<' starts the tag and occurs in it nowhere else
        }
        if (field_ == kField.size()) {
            if (g_ascii_isspace(c)) header_line = true;
            field_ = npos;
        } else if (field_ != npos && c == static_cast<unsigned char>(kField[field_])) {
            ++field_;
        } else {
            field_ = npos;
        }
        if (c == '\n' || c == '\r') field_ = 0;
    }
    static constexpr std::size_t npos = std::string_view::npos;
    std::size_t tag_ = 0;    // bytes of kTag matched; kTag.size(): past it
    std::size_t field_ = 0;  // bytes of kField matched at a line's start; npos: not at one
};

const char* why_not_wrap_text(const std::string& type, GMimeObject* entity) {
    GPtr<GMimeStream> stream = decoded_stream(entity);
    if (!stream) return nullptr;
    TextScan scan;
    read_stream(stream.get(), [&](const char* data, std::size_t len) {
        scan.feed(data, len);
        return !(scan.html_end_then_text && scan.header_line);
    });
    if (type == "text/plain" && scan.html_end_then_text) return "html-end-in-text";
    if (scan.header_line) return "header-in-text";
    return nullptr;
}

}  // namespace

const char* why_not_wrap(const std::vector<HeaderField>& headers, GMimeObject* entity) {
    const std::string type = mime_type_of(entity);
    if (is_encrypted(type)) return "encrypted";
    if (type == "multipart/report") return "report";
    if (is_single_attachment(type)) return "single-attachment";
    if (type == "multipart/alternative" && from_without_space(headers)) return "from-without-space";
    if (type.starts_with("text/") && GMIME_IS_PART(entity)) return why_not_wrap_text(type, entity);
    return nullptr;
}

std::string wrapper_parameters(const std::vector<HeaderField>& headers) {
    const HeaderField* ct = first_field(headers, "Content-Type");
    if (ct == nullptr) return {};
    // A parameter: after a semicolon (and folding white space), its value a
    // quoted string or a token, on one line.
    static const std::regex charset(R"(;\s*(charset[ \t]*=[ \t]*("[^"\\\r\n]*"|[^;"\s()<>@,:\\/\[\]?=]+)))",
                                    std::regex::icase);
    std::smatch m;
    if (!std::regex_search(ct->value, m, charset)) return {};
    return "; " + m[1].str();
}

std::string new_boundary(const std::vector<HeaderField>& headers, std::string_view body) {
    const HeaderField* mailer = first_field(headers, "X-Mailer");
    const std::string_view program = mailer != nullptr ? std::string_view(mailer->value) : std::string_view();
    const bool the_bat = program.substr(std::min(program.find_first_not_of(" \t"), program.size())).starts_with("The Bat!");
    // "=_" cannot occur in base64 or quoted-printable text, and the random
    // part makes a clash with any other content practically impossible; the
    // check below makes it certain, for The Bat!'s form too.
    for (;;) {
        std::string b = the_bat ? "----------" : "=_bounceseal_";
        const std::size_t n = the_bat ? 24 : 18;
        for (auto byte : random_bytes(n))
            b += the_bat ? "0123456789ABCDEF"[byte % 16]
                         : "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[byte % 62];
        if (memmem(body.data(), body.size(), b.data(), b.size()) == nullptr) return b;
    }
}

}  // namespace bounceseal::seal_shape
