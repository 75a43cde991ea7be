// bounce_inline.cpp - finding copies of a message quoted inside a text:
// qmail's "--- Below this line is a copy of the message.", Gmail's
// "----- Original message -----", Office 365's "Original message headers:",
// Exim, Lotus Notes, V5 sendmail, a forwarded bounce quoted with "> ", a
// mailing list's indented copy, and every other such text.
//
// It does not look for marker lines. A copy starts where a header block
// starts: a run of "Name: value" lines (after a quoting prefix of '>' and
// white space) that holds a Bounce-Seal field, or enough of a message's
// usual fields to be one. The block's own prefix is then stripped from it
// and from the body lines that follow, up to where the quoted region or the
// text ends (or an "End of message" line). Folded lines that lost their
// leading white space are rejoined to the field before them. The result is
// text for parse_message(); nothing here knows MIME.
#include <algorithm>
#include <array>
#include <set>

#include "bounce_internal.hpp"
#include "bounceseal/encoding.hpp"

namespace bounceseal::bounce_detail {
namespace {

// Fields that only a message's own header carries: one of them (or Date
// with From) makes a block of three fields a message header rather than a
// bounce's summary ("To:", "Subject:", "Sent:").
constexpr std::array kStrongFields = {
    "received",        "return-path",    "message-id",  "dkim-signature", "mime-version",
    "x-mailer",        "user-agent",     "delivered-to", "authentication-results",
    "x-received",      "received-spf",   "arc-seal",    "domainkey-signature", "bounce-seal",
};
constexpr std::array kMessageFields = {
    "from",     "to",         "cc",          "date",         "subject",
    "reply-to", "sender",     "in-reply-to", "references",   "content-type",
    "content-transfer-encoding",
};

bool listed(std::string_view name, const auto& list) {
    return std::find(std::begin(list), std::end(list), name) != std::end(list);
}

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

bool blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return is_wsp(c) || c == '\r'; });
}

std::string_view rtrim(std::string_view s) {
    while (!s.empty() && (is_wsp(s.back()) || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return lines;
}

// The quoting in front of a line: '>' and white space.
std::size_t prefix_length(std::string_view line) {
    std::size_t i = 0;
    while (i < line.size() && (line[i] == '>' || is_wsp(line[i]))) ++i;
    return i;
}

// The line without the block's quoting, or nullopt where the quoted region
// has ended. A quoted blank line often keeps only the '>' of its prefix.
std::optional<std::string_view> unquote(std::string_view line, std::string_view prefix) {
    if (line.starts_with(prefix)) return line.substr(prefix.size());
    std::string_view bare = rtrim(prefix);
    if (rtrim(line) == bare) return std::string_view{};
    if (!bare.empty() && line.starts_with(bare)) return line.substr(bare.size());
    if (bare.empty() && blank(line)) return std::string_view{};
    return std::nullopt;
}

// "------ End of message ------", "*** End of forwarded message ***".
bool end_marker(std::string_view s) {
    std::size_t decoration = 0;
    while (!s.empty() && (s.front() == '-' || s.front() == '=' || s.front() == '*' || s.front() == '_' ||
                          is_wsp(s.front()))) {
        decoration += s.front() == ' ' ? 0 : 1;
        s.remove_prefix(1);
    }
    if (decoration < 2) return false;
    std::string lower = ascii_lower(s.substr(0, 24));
    return lower.starts_with("end of") || lower.starts_with("end forwarded") || lower.starts_with("end original") ||
           lower.starts_with("end included") || lower.starts_with("end returned");
}

// Lines that end a header block even without a blank line: delimiters,
// markers and sentences.
bool ends_header(std::string_view s) {
    if (s.starts_with("--") || s.starts_with("==") || s.starts_with("**") || s.starts_with("##") ||
        s.starts_with("|") || end_marker(s))
        return true;
    std::string_view t = rtrim(s);
    bool sentence = t.find(' ') != std::string_view::npos && (t.ends_with('.') || t.ends_with(':'));
    return sentence;
}

bool candidate(const std::set<std::string>& names) {
    if (names.contains("bounce-seal")) return true;
    std::size_t known = 0;
    bool strong = false;
    for (const auto& n : names) {
        if (listed(n, kStrongFields)) {
            ++known;
            strong = true;
        } else if (listed(n, kMessageFields)) {
            ++known;
        }
    }
    if (names.contains("date") && names.contains("from")) strong = true;
    return known >= 3 && strong;
}

struct HeaderRun {
    std::vector<std::string> lines;
    std::set<std::string> names;  // lower case
    std::size_t end = 0;          // index of the first line after the run
    bool repaired = false;
};

HeaderRun read_header_run(const std::vector<std::string_view>& lines, std::size_t first, std::string_view prefix) {
    HeaderRun run;
    std::size_t j = first;
    for (; j < lines.size(); ++j) {
        auto line = unquote(lines[j], prefix);
        if (!line || blank(*line)) break;
        if (auto name = field_name(*line)) {
            run.names.insert(ascii_lower(*name));
            run.lines.emplace_back(*line);
        } else if (is_wsp(line->front())) {
            run.lines.emplace_back(*line);
        } else if (!ends_header(*line)) {
            // A folded line that lost its leading white space on the way
            // (GMX, Yahoo; a Bounce-Seal value continued by "bh=..." lines).
            run.lines.push_back("\t" + std::string(*line));
            run.repaired = true;
        } else {
            break;
        }
    }
    run.end = j;
    return run;
}

bool at_text_start(const std::vector<std::string_view>& lines, std::size_t i) {
    for (std::size_t k = 0; k < i; ++k) {
        if (k == 0 && lines[0].starts_with("From ")) continue;  // an mbox "From " line
        if (!blank(lines[k])) return false;
    }
    return true;
}

}  // namespace

std::optional<std::string_view> field_name(std::string_view line) {
    constexpr std::size_t kMaxName = 76;
    std::size_t i = 0;
    while (i < line.size() && i <= kMaxName && line[i] > ' ' && line[i] < 127 && line[i] != ':') ++i;
    if (i == 0 || i > kMaxName || i >= line.size() || line[i] != ':') return std::nullopt;
    char c = line[0];
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum) return std::nullopt;
    return line.substr(0, i);
}

std::vector<InlineBlock> find_inline_blocks(std::string_view text, std::size_t max_blocks) {
    std::vector<InlineBlock> blocks;
    const std::vector<std::string_view> lines = split_lines(text);
    std::size_t i = 0;
    while (i < lines.size() && blocks.size() < max_blocks) {
        const std::size_t p = prefix_length(lines[i]);
        if (!field_name(lines[i].substr(p))) {
            ++i;
            continue;
        }
        const std::string_view prefix = lines[i].substr(0, p);
        HeaderRun run = read_header_run(lines, i, prefix);
        if (!candidate(run.names)) {
            i = std::max(run.end, i + 1);
            continue;
        }
        InlineBlock block;
        block.line = i;
        block.at_start = at_text_start(lines, i);
        block.repaired = run.repaired || !prefix.empty();
        block.has_seal_field = run.names.contains("bounce-seal");
        for (const auto& l : run.lines) {
            block.text += l;
            block.text += '\n';
        }
        block.text += '\n';
        std::size_t k = run.end;
        if (k < lines.size()) {
            auto separator = unquote(lines[k], prefix);
            if (separator && blank(*separator)) ++k;
        }
        for (; k < lines.size(); ++k) {
            auto line = unquote(lines[k], prefix);
            if (!line || end_marker(*line)) break;
            block.text += *line;
            block.text += '\n';
        }
        blocks.push_back(std::move(block));
        // The copy's own body is searched when the copy is walked.
        i = std::max(k, i + 1);
    }
    return blocks;
}

}  // namespace bounceseal::bounce_detail
