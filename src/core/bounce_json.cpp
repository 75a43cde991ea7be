// bounce_json.cpp - the original's header as an Amazon SES bounce
// notification carries it: a JSON "headers" array of {"name", "value"}
// objects, sometimes inside a JSON string of an SNS envelope, its long line
// split by sendmail ("!", line end, space).
//
// Only the strings of that one array are read; this is no JSON parser, and
// text that does not have the expected shape simply yields nothing.
#include "bounce_internal.hpp"

namespace bounceseal::bounce_detail {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void skip_space(std::string_view t, std::size_t& i) {
    while (i < t.size() && is_space(t[i])) ++i;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Reads the JSON string starting at t[i] == '"'; leaves i after it.
std::optional<std::string> read_string(std::string_view t, std::size_t& i) {
    if (i >= t.size() || t[i] != '"') return std::nullopt;
    std::string out;
    for (++i; i < t.size(); ++i) {
        char c = t[i];
        if (c == '"') {
            ++i;
            return out;
        }
        if (c != '\\') {
            out += c;
            continue;
        }
        if (++i >= t.size()) return std::nullopt;
        switch (t[i]) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': case 'f': out += ' '; break;
        case 'u': {
            int v = 0;
            for (int k = 1; k <= 4; ++k) {
                int h = i + static_cast<std::size_t>(k) < t.size() ? hex_value(t[i + static_cast<std::size_t>(k)]) : -1;
                if (h < 0) return std::nullopt;
                v = v * 16 + h;
            }
            i += 4;
            // Header names and seal values are ASCII; anything else only
            // needs to stay one harmless character.
            out += v < 0x80 ? static_cast<char>(v) : '?';
            break;
        }
        default: out += t[i];  // \" \\ \/
        }
    }
    return std::nullopt;
}

// Renders the {"name": ..., "value": ...} objects of the array at t[i] == '['.
std::optional<std::string> read_headers(std::string_view t, std::size_t i) {
    std::string block;
    ++i;
    for (;;) {
        skip_space(t, i);
        if (i < t.size() && t[i] == ']') break;
        if (i >= t.size() || t[i] != '{') return std::nullopt;
        ++i;
        std::string name;
        std::string value;
        for (;;) {
            skip_space(t, i);
            if (i < t.size() && t[i] == '}') {
                ++i;
                break;
            }
            auto key = read_string(t, i);
            skip_space(t, i);
            if (!key || i >= t.size() || t[i] != ':') return std::nullopt;
            ++i;
            skip_space(t, i);
            auto v = read_string(t, i);
            if (!v) return std::nullopt;
            if (*key == "name") name = *v;
            if (*key == "value") value = *v;
            skip_space(t, i);
            if (i < t.size() && t[i] == ',') ++i;
        }
        if (!name.empty() && field_name(name + ":")) block += name + ": " + value + "\n";
        skip_space(t, i);
        if (i < t.size() && t[i] == ',') ++i;
    }
    if (block.empty()) return std::nullopt;
    return block + "\n";
}

std::optional<std::string> headers_in(std::string_view t, int nesting) {
    std::size_t key = t.find("\"headers\"");
    if (key != std::string_view::npos) {
        std::size_t i = key + 9;
        skip_space(t, i);
        if (i < t.size() && t[i] == ':') {
            ++i;
            skip_space(t, i);
            if (i < t.size() && t[i] == '[') return read_headers(t, i);
        }
    }
    // The notification may be a JSON string inside an SNS envelope.
    std::size_t inner = t.find("\"{\\\"notificationType");
    if (inner == std::string_view::npos || nesting > 2) return std::nullopt;
    auto decoded = read_string(t, inner);
    if (!decoded) return std::nullopt;
    return headers_in(*decoded, nesting + 1);
}

}  // namespace

std::optional<std::string> json_header_block(std::string_view text) {
    if (text.find("notificationType") == std::string_view::npos) return std::nullopt;
    // sendmail splits lines longer than its limit with "!", a line end and
    // a space: join them back.
    std::string t;
    t.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '!' && text.substr(i + 1, 3) == "\r\n ") {
            i += 3;
        } else if (text[i] == '!' && text.substr(i + 1, 2) == "\n ") {
            i += 2;
        } else {
            t += text[i];
        }
    }
    return headers_in(t, 0);
}

}  // namespace bounceseal::bounce_detail
