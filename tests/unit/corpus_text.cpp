// corpus_text.cpp - the text side of the corpus variants (corpus_text.hpp):
// giving the sealed original the form an MTA returned, finding the real
// original inside a decoded text (after the index's marker line, else at
// the first Return-Path or Received line; its quoting; lost folding white
// space; missing spaces after colons), and putting the sealed one there,
// below the trace fields the MTAs put on top of the real one.
#include "corpus_text.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include "bounce_support.hpp"

namespace bounceseal::testing {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

struct Line {
    std::size_t begin;  // offset of the first byte
    std::size_t end;    // offset after the text, before CR LF
    std::size_t next;   // offset of the next line
};

std::vector<Line> index_lines(std::string_view t) {
    std::vector<Line> lines;
    std::size_t pos = 0;
    while (pos < t.size()) {
        std::size_t nl = t.find('\n', pos);
        std::size_t next = nl == std::string_view::npos ? t.size() : nl + 1;
        std::size_t end = nl == std::string_view::npos ? t.size() : nl;
        if (end > pos && t[end - 1] == '\r') --end;
        lines.push_back({pos, end, next});
        pos = next;
    }
    return lines;
}

std::optional<std::string> field(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size() && s[i] > ' ' && s[i] < 127 && s[i] != ':') ++i;
    if (i == 0 || i >= s.size() || s[i] != ':' || !std::isalnum(static_cast<unsigned char>(s[0])))
        return std::nullopt;
    return ascii_lower(s.substr(0, i));
}

std::size_t quote_length(std::string_view line) {
    std::size_t i = 0;
    while (i < line.size() && (line[i] == '>' || is_wsp(line[i]))) ++i;
    return i;
}

std::optional<std::string_view> unquote(std::string_view line, std::string_view prefix) {
    if (line.starts_with(prefix)) return line.substr(prefix.size());
    std::string_view bare = prefix;
    while (!bare.empty() && is_wsp(bare.back())) bare.remove_suffix(1);
    bool blank = std::all_of(line.begin(), line.end(), is_wsp);
    if (blank) return std::string_view{};
    if (!bare.empty() && line.starts_with(bare)) return line.substr(bare.size());
    return std::nullopt;
}

bool end_marker(std::string_view s) {
    std::size_t deco = 0;
    while (!s.empty() && (s.front() == '-' || s.front() == '*' || s.front() == '=' || is_wsp(s.front()))) {
        deco += is_wsp(s.front()) ? 0 : 1;
        s.remove_prefix(1);
    }
    return deco >= 2 && ascii_lower(s.substr(0, 6)) == "end of";
}

}  // namespace

std::string with_eol(std::string text, bool crlf) { return crlf ? to_crlf(text) : text; }

std::string without_final_eol(std::string s) {
    if (!s.empty() && s.back() == '\n') s.pop_back();
    if (!s.empty() && s.back() == '\r') s.pop_back();
    return s;
}

std::string shaped(const std::string& sealed, const Form& f) {
    std::string head = header_block(sealed);
    std::string body = sealed.substr(std::min(sealed.size(), head.size() + 1));
    if (f.unfold) head = unfold_lines(head);
    if (f.nospace) head = no_space_after_colon(head);
    if (f.headers_only) return head;
    if (f.truncated) {
        std::size_t seal = body.find("bounceseal-record.txt");
        std::size_t delimiter = body.rfind("\n--", seal);
        return head + "\n" + body.substr(0, delimiter == std::string::npos ? 0 : delimiter + 1);
    }
    if (f.mangled) {
        std::string original(kOriginal);
        return head + "\n" + original.substr(original.find("\n\n") + 2);
    }
    return head + "\n" + body;
}

Form form_of(const CorpusEntry& e) {
    Form f;
    f.headers_only = e.body == "no";
    f.truncated = e.body == "truncated";
    f.mangled = e.noted("not byte-faithful");
    return f;
}

namespace {

// Where in a text the original is, and how it is quoted.
struct Found {
    std::size_t begin = 0;  // offset of its first header line
    std::size_t end = 0;    // offset after its last line (with that line's end)
    std::string prefix;
    bool unfolded = false;
    bool nospace = false;
    bool crlf = false;
};

std::optional<Found> locate(std::string_view text, const CorpusEntry& e, bool raw_mode) {
    std::vector<Line> lines = index_lines(text);
    auto line_text = [&](std::size_t k) { return text.substr(lines[k].begin, lines[k].end - lines[k].begin); };
    std::size_t i = 0;
    if (!e.marker.empty()) {
        while (i < lines.size() && line_text(i).find(e.marker) == std::string_view::npos) ++i;
        if (i == lines.size()) return std::nullopt;
        ++i;
    }
    std::optional<std::size_t> start;
    for (int pass = 0; pass < 2 && !start; ++pass) {
        for (std::size_t k = i; k < lines.size() && !start; ++k) {
            auto name = field(line_text(k).substr(quote_length(line_text(k))));
            if (!name) continue;
            bool first_field = *name == "return-path" || *name == "received";
            if (!e.marker.empty() || first_field || pass == 1) start = k;
        }
    }
    if (!start) return std::nullopt;
    Found f;
    f.prefix = std::string(line_text(*start).substr(0, quote_length(line_text(*start))));
    // The trace fields on top (Return-Path, Received) are the MTAs' that
    // carried the original, not the original's own: they stay, and the
    // sealed original goes below them, as it would have come back.
    for (std::size_t t = *start; t < lines.size(); ++t) {
        auto l = unquote(line_text(t), f.prefix);
        if (!l || l->empty()) break;
        auto name = field(*l);
        if (name ? (*name != "return-path" && *name != "received") : !is_wsp(l->front())) break;
        start = t + 1;
    }
    f.begin = lines[*start].begin;
    f.crlf = text.find("\r\n") != std::string_view::npos;
    std::size_t headers = 0, tight = 0;
    std::size_t k = *start;
    for (; k < lines.size(); ++k) {
        auto l = unquote(line_text(k), f.prefix);
        if (!l || l->empty()) break;
        if (auto name = field(*l)) {
            ++headers;
            std::size_t colon = l->find(':');
            if (colon + 1 < l->size() && !is_wsp((*l)[colon + 1])) ++tight;
        } else if (!is_wsp(l->front())) {
            if (l->starts_with("--")) break;
            f.unfolded = true;
        }
    }
    f.nospace = tight * 2 > headers;
    std::size_t last = k;  // one past the last line of the original
    if (e.body != "no") {
        std::vector<std::string> delimiters;  // for raw text: the bounce's own boundaries
        for (std::size_t d = 0; d < *start; ++d)
            if (line_text(d).starts_with("--") && line_text(d).size() > 10) delimiters.emplace_back(line_text(d));
        for (; last < lines.size(); ++last) {
            auto l = unquote(line_text(last), f.prefix);
            if (!l || end_marker(*l)) break;
            std::string_view bare = line_text(last);
            if (raw_mode && std::any_of(delimiters.begin(), delimiters.end(),
                                        [&](const std::string& d) { return bare.starts_with(d); }))
                break;
        }
        while (last > k && std::all_of(line_text(last - 1).begin(), line_text(last - 1).end(), [](char c) {
                   return is_wsp(c) || c == '>';
               }))
            --last;
    }
    f.end = last == 0 ? 0 : lines[last - 1].next;
    return f;
}

}  // namespace

std::optional<std::string> replace_in_text(std::string_view text, const CorpusEntry& e, const std::string& sealed,
                                           bool raw_mode, std::string* whole_part_note) {
    auto found = locate(text, e, raw_mode);
    if (!found && whole_part_note != nullptr) {
        *whole_part_note = "no header in the part: the whole part stands for the original";
        // The collector replaced the original by a word ("xxxx"): the
        // whole part stands for it.
        found = Found{0, text.size(), "", false, false, text.find("\r\n") != std::string_view::npos};
    }
    if (!found) return std::nullopt;
    Form form = form_of(e);
    form.unfold = found->unfolded;
    form.nospace = found->nospace;
    std::string copy = with_eol(prefix_lines(shaped(sealed, form), found->prefix), found->crlf);
    bool ended = found->end > 0 && text[found->end - 1] == '\n';
    if (!ended) copy = without_final_eol(copy);
    return std::string(text.substr(0, found->begin)) + copy + std::string(text.substr(found->end));
}

}  // namespace bounceseal::testing
