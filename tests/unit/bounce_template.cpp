// bounce_template.cpp - filling the bounce templates, and the MTAs' text
// transformations (bounce_template.hpp).
#include "bounce_template.hpp"

#include <sstream>
#include <stdexcept>
#include <vector>

#include "bounceseal/mime.hpp"

namespace bounceseal::testing {
namespace {

std::vector<std::string> split_lines(std::string_view text) {
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        lines.emplace_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
}

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// One placeholder line: "{{original}}", "{{original-headers quote}}".
std::string expand(std::string_view line, std::string_view original) {
    std::string inner(line.substr(2, line.size() - 4));
    std::istringstream words(inner);
    std::string what;
    words >> what;
    std::string text = what == "original-headers" ? header_block(original) : std::string(original);
    if (what != "original" && what != "original-headers")
        throw std::invalid_argument("unknown placeholder " + std::string(line));
    for (std::string flag; words >> flag;) {
        if (flag == "quote") text = prefix_lines(text, "> ");
        else if (flag == "indent") text = prefix_lines(text, "   ");
        else if (flag == "unfold") text = unfold_lines(text);
        else if (flag == "nospace") text = no_space_after_colon(text);
        else throw std::invalid_argument("unknown flag " + flag);
    }
    return text;
}

}  // namespace

std::string fill_template(std::string_view tmpl, std::string_view original) {
    std::string out;
    std::string block;  // lines of an open {{qp}} / {{base64}} block
    bool in_block = false;
    GMimeContentEncoding encoding = GMIME_CONTENT_ENCODING_DEFAULT;
    for (const auto& line : split_lines(tmpl)) {
        if (line == "{{qp}}" || line == "{{base64}}") {
            in_block = true;
            encoding = line == "{{qp}}" ? GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE : GMIME_CONTENT_ENCODING_BASE64;
            continue;
        }
        if (line == "{{/qp}}" || line == "{{/base64}}") {
            if (!in_block) throw std::invalid_argument(line + " without its opening line");
            out += encode(block, encoding);
            block.clear();
            in_block = false;
            continue;
        }
        std::string piece = line.starts_with("{{original") ? expand(line, original) : line + "\n";
        (in_block ? block : out) += piece;
    }
    return out;
}

std::string header_block(std::string_view message) {
    std::size_t end = message.find("\n\n");
    return std::string(message.substr(0, end == std::string_view::npos ? message.size() : end + 1));
}

std::string prefix_lines(std::string_view text, std::string_view prefix) {
    std::vector<std::string> lines = split_lines(text);
    std::string bare(prefix);
    while (!bare.empty() && bare.back() == ' ') bare.pop_back();
    for (auto& l : lines) l = l.empty() ? (bare.empty() ? std::string(prefix) : bare) : std::string(prefix) + l;
    return join_lines(lines);
}

std::string unfold_lines(std::string_view headers) {
    std::vector<std::string> lines = split_lines(headers);
    for (auto& l : lines) {
        std::size_t i = 0;
        while (i < l.size() && is_wsp(l[i])) ++i;
        l.erase(0, i);
    }
    return join_lines(lines);
}

std::string no_space_after_colon(std::string_view headers) {
    std::vector<std::string> lines = split_lines(headers);
    for (auto& l : lines) {
        std::size_t colon = l.find(": ");
        if (!l.empty() && !is_wsp(l[0]) && colon != std::string::npos) l.erase(colon + 1, 1);
    }
    return join_lines(lines);
}

std::string to_crlf(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 16);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
        out += text[i];
    }
    return out;
}

std::string encode(std::string_view text, GMimeContentEncoding encoding) {
    mime_init();
    GPtr<GMimeStream> sink(g_mime_stream_mem_new());
    GPtr<GMimeStream> filtered(g_mime_stream_filter_new(sink.get()));
    GPtr<GMimeFilter> enc(g_mime_filter_basic_new(encoding, TRUE));
    g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered.get()), enc.get());
    g_mime_stream_write(filtered.get(), text.data(), text.size());
    g_mime_stream_flush(filtered.get());
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(sink.get()));
    std::string out(reinterpret_cast<const char*>(bytes->data), bytes->len);
    if (!out.empty() && out.back() != '\n') out += '\n';
    return out;
}

}  // namespace bounceseal::testing
