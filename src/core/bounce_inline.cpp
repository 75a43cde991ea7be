// bounce_inline.cpp - the copy of a message quoted inside a text: qmail's
// "--- Below this line is a copy of the message.", Gmail's "----- Original
// message -----", Office 365's "Original message headers:", Exim, Lotus
// Notes, V5 sendmail, a mailing list's indented copy, and every other such
// text.
//
// It does not look for marker lines. The copy starts where the first header
// block starts: a run of "Name: value" lines (after a quoting prefix of '>'
// and white space) that holds a Bounce-Seal field or any field of a
// message's own header (a trace field, From, Subject, ...; not the Content-*
// fields a MIME part's header has too). One such field is enough:
// the copy's header is the forger's, and a copy whose header went unseen
// would let a block further down, pasted by him, be taken for it. The
// block's own prefix is stripped from it and from the body lines that
// follow, up to where the quoted region or the text ends (or an "End of
// message" line). Header-like blocks further down are the copy's body,
// never another copy. Folded lines that lost their leading white space are
// rejoined to the field before them. The text is read line by line, without
// a list of its lines. The result is text for parse_message(); nothing here
// knows MIME. bounce_layers.cpp asks where a copy starts, bounce_copy.cpp
// cuts it out; this file calls neither.
#include <algorithm>
#include <array>

#include "bounce_internal.hpp"
#include "bounceseal/encoding.hpp"
#include "bounceseal/error.hpp"
#include "bounceseal/text.hpp"

namespace bounceseal::bounce_detail {
namespace {

// The fields of a message's header, those only a message's own header
// carries first.
constexpr std::array kStrongFields = {
    "received",        "return-path",    "message-id",  "dkim-signature", "mime-version",
    "x-mailer",        "user-agent",     "delivered-to", "authentication-results",
    "x-received",      "received-spf",   "arc-seal",    "domainkey-signature", "bounce-seal",
};
// (Content-* fields are not among them: a MIME part's own header, which
// the text of a bounce with broken boundaries shows, has only those.)
constexpr std::array kMessageFields = {
    "from",     "to",         "cc",          "date",         "subject",
    "reply-to", "sender",     "in-reply-to", "references",
};

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

bool blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return is_wsp(c) || c == '\r'; });
}

std::string_view rtrim(std::string_view s) {
    while (!s.empty() && (is_wsp(s.back()) || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// The lines of a text, one at a time, without copying them.
class Lines {
public:
    explicit Lines(std::string_view text) : text_(text) {}
    bool done() const { return pos_ >= text_.size(); }
    std::size_t offset() const { return pos_; }
    std::size_t index() const { return index_; }
    std::string_view peek() const {
        std::size_t nl = text_.find('\n', pos_);
        std::string_view l = text_.substr(pos_, nl == std::string_view::npos ? std::string_view::npos : nl - pos_);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        return l;
    }
    void next() {
        std::size_t nl = text_.find('\n', pos_);
        pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
        ++index_;
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t index_ = 0;
};

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
    return t.find(' ') != std::string_view::npos && (t.ends_with('.') || t.ends_with(':'));
}

// Which known fields a run of header lines holds: one bit per field of
// the two lists, so that a run of a million made-up names costs nothing.
struct Names {
    std::uint32_t strong = 0;
    std::uint32_t message = 0;

    void add(std::string_view name) {
        const std::string lower = ascii_lower(name.substr(0, 32));
        for (std::size_t i = 0; i < kStrongFields.size(); ++i)
            if (lower == kStrongFields[i]) strong |= 1u << i;
        for (std::size_t i = 0; i < kMessageFields.size(); ++i)
            if (lower == kMessageFields[i]) message |= 1u << i;
    }
    bool has(std::string_view field) const {
        for (std::size_t i = 0; i < kStrongFields.size(); ++i)
            if (field == kStrongFields[i]) return (strong >> i) & 1u;
        for (std::size_t i = 0; i < kMessageFields.size(); ++i)
            if (field == kMessageFields[i]) return (message >> i) & 1u;
        return false;
    }
    bool candidate() const { return strong != 0 || message != 0; }
};

// Reads the header run that starts at the cursor's line with `prefix`,
// appending it (unquoted, repaired) to `out` when `out` is given. Leaves the
// cursor on the first line after the run.
Names read_header_run(Lines& lines, std::string_view prefix, std::string* out, bool& repaired) {
    Names names;
    std::size_t fields = 0;
    for (; !lines.done(); lines.next()) {
        auto line = unquote(lines.peek(), prefix);
        if (!line || blank(*line)) break;
        if (auto name = field_name(*line)) {
            if (++fields > kMaxHeaderFields)
                throw Error(Errc::limit, "a quoted header block of more than " + std::to_string(kMaxHeaderFields) +
                                             " fields");
            names.add(*name);
            if (out) out->append(*line).push_back('\n');
        } else if (is_wsp(line->front())) {
            if (out) out->append(*line).push_back('\n');
        } else if (!ends_header(*line)) {
            // A folded line that lost its leading white space on the way
            // (GMX, Yahoo; a Bounce-Seal value continued by "bh=..." lines).
            if (out) out->append("\t").append(*line).push_back('\n');
            repaired = true;
        } else {
            break;
        }
    }
    return names;
}

// Moves the cursor to the first line of the copy's header block: the first
// header block that is not quoted, else the first one at all; false if the
// text has none. (An MTA that quotes or indents a summary of the original
// in its own words, "  Subject: ...", and returns the copy unquoted below
// it, is read right; a quoted copy leaves every line of the forger's
// quoted, so he cannot put an unquoted block after it.) `prefix_len` gets
// the length of the block's quoting.
bool seek_copy_start(Lines& lines, std::size_t& prefix_len) {
    std::optional<Lines> quoted;  // the first quoted block
    std::size_t quoted_prefix = 0;
    while (!lines.done()) {
        const std::string_view line = lines.peek();
        const std::size_t p = prefix_length(line);
        if (!field_name(line.substr(p))) {
            lines.next();
            continue;
        }
        Lines probe = lines;
        bool repaired = false;
        if (read_header_run(probe, line.substr(0, p), nullptr, repaired).candidate()) {
            if (p == 0) {
                prefix_len = 0;
                return true;
            }
            if (!quoted) {
                quoted = lines;
                quoted_prefix = p;
            }
        }
        if (probe.index() > lines.index()) lines = probe;
        else lines.next();
    }
    if (!quoted) return false;
    lines = *quoted;
    prefix_len = quoted_prefix;
    return true;
}

// Nothing but white space, and an mbox "From " line, before `offset`.
bool at_text_start(std::string_view text, std::size_t offset) {
    std::string_view before = text.substr(0, offset);
    before.remove_prefix(mbox_from_line(before).size());
    return std::all_of(before.begin(), before.end(), [](char c) { return is_wsp(c) || c == '\r' || c == '\n'; });
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

std::optional<BlockStart> copy_start(std::string_view text) {
    Lines lines(text);
    std::size_t prefix_len = 0;
    if (!seek_copy_start(lines, prefix_len)) return std::nullopt;
    return BlockStart{lines.offset(), at_text_start(text, lines.offset())};
}

std::optional<InlineCopy> inline_copy(std::string_view text) {
    Lines lines(text);
    std::size_t prefix_len = 0;
    if (!seek_copy_start(lines, prefix_len)) return std::nullopt;
    const std::string prefix(lines.peek().substr(0, prefix_len));
    InlineCopy copy;
    copy.line = lines.index();
    copy.at_start = at_text_start(text, lines.offset());
    copy.text.reserve(text.size() - lines.offset() + 2);  // un-quoting only shortens it
    copy.repaired = !prefix.empty();
    read_header_run(lines, prefix, &copy.text, copy.repaired);
    copy.text += '\n';
    if (!lines.done()) {
        auto separator = unquote(lines.peek(), prefix);
        if (separator && blank(*separator)) lines.next();
    }
    for (; !lines.done(); lines.next()) {
        auto line = unquote(lines.peek(), prefix);
        if (!line || end_marker(*line)) break;
        copy.text.append(*line).push_back('\n');
    }
    return copy;
}

std::optional<InlineCopy> anchored_copy(std::string_view text) {
    Lines lines(text);
    if (!mbox_from_line(text).empty()) lines.next();
    while (!lines.done() && blank(lines.peek())) lines.next();
    if (lines.done()) return std::nullopt;
    InlineCopy copy;
    copy.line = lines.index();
    copy.at_start = true;
    copy.text.assign(text.substr(lines.offset()));
    return copy;
}

}  // namespace bounceseal::bounce_detail
