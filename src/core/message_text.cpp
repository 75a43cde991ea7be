// message_text.cpp - a message held as text, split the way an MTA hands it
// to a milter, and a seal plan applied to it the way sendmail applies a
// milter's changes. Used by the offline signer and the tests, so that they
// exercise exactly the milter's code path; the milter itself never calls
// this. Also the line-end and mbox rules of message_text.hpp, which the
// sealer and the GMime adapter use too.
#include "message_text.hpp"

#include <algorithm>
#include <utility>

#include "bounceseal/encoding.hpp"
#include "bounceseal/seal.hpp"
#include "bounceseal/text.hpp"

namespace bounceseal {

std::string line_end_of(std::string_view text, std::string_view none) {
    const std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return std::string(none);
    return nl > 0 && text[nl - 1] == '\r' ? "\r\n" : "\n";
}

std::string with_eol(std::string_view value, std::string_view eol) {
    std::string out;
    out.reserve(value.size() + 16);
    for (char c : value) {
        if (c == '\n') out += eol;
        else out += c;
    }
    return out;
}

const HeaderField* first_field(const std::vector<HeaderField>& headers, std::string_view name) {
    const std::string lower = ascii_lower(name);
    for (const auto& h : headers)
        if (ascii_lower(h.name) == lower) return &h;
    return nullptr;
}

namespace {

// The milter protocol carries a header field's name and value as C strings:
// an MTA cannot hand a filter anything after a NUL, and GMime, reading the
// same field, stops there too. Splitting the same way keeps the offline
// signer's seals (Message-ID binding, Content-Type) the same as the milter's.
SplitMessage cut_at_nul(SplitMessage m) {
    for (auto& h : m.headers) {
        h.name.resize(std::min(h.name.size(), h.name.find('\0')));
        h.value.resize(std::min(h.value.size(), h.value.find('\0')));
    }
    return m;
}

}  // namespace

SplitMessage split_message(std::string_view message) {
    SplitMessage m;
    message.remove_prefix(mbox_from_line(message).size());
    m.eol = line_end_of(message, "\n");
    std::size_t pos = 0;
    while (pos < message.size()) {
        std::size_t nl = message.find('\n', pos);
        std::size_t end = nl == std::string_view::npos ? message.size() : nl;
        std::string_view line = message.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        std::size_t next = nl == std::string_view::npos ? message.size() : nl + 1;
        if (line.empty()) {  // the blank line: the body follows
            m.body = message.substr(next);
            return cut_at_nul(std::move(m));
        }
        if ((line[0] == ' ' || line[0] == '\t') && !m.headers.empty()) {
            m.headers.back().value += "\n";  // sendmail joins folds with a bare LF
            m.headers.back().value += line;
        } else {
            std::size_t colon = line.find(':');
            if (colon == std::string_view::npos || colon == 0) {
                // Not a header line: what follows is body, as for sendmail.
                m.body = message.substr(pos);
                return cut_at_nul(std::move(m));
            }
            std::string_view name = line.substr(0, colon);
            while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
            m.headers.push_back({std::string(name), std::string(line.substr(colon + 1))});
        }
        pos = next;
    }
    m.body = message.substr(message.size());
    return cut_at_nul(std::move(m));
}

std::string apply_seal_plan(const std::vector<HeaderField>& headers, std::string_view body, const SealPlan& plan,
                            std::string_view eol) {
    struct Field {
        std::string name;
        std::string value;
        bool removed = false;
    };
    std::vector<Field> fields;
    for (const auto& h : headers) fields.push_back({h.name, h.value});
    auto nth = [&](const std::string& name, int index) -> Field* {
        int seen = 0;
        for (auto& f : fields)
            if (ascii_lower(f.name) == ascii_lower(name) && ++seen == index) return &f;
        return nullptr;
    };
    for (const auto& c : plan.header_changes) {
        if (c.kind == HeaderChange::Kind::add) {
            fields.push_back({c.name, c.value});
        } else if (Field* f = nth(c.name, c.index)) {
            if (c.kind == HeaderChange::Kind::remove) f->removed = true;
            else f->value = c.value;
        }
    }
    std::string out;
    for (const auto& f : fields)
        if (!f.removed) out += f.name + ":" + with_eol(f.value, eol) + std::string(eol);
    out += eol;
    out += plan.body_text(body);
    return out;
}

}  // namespace bounceseal
