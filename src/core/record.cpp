// record.cpp - the seal record's canonical text, the Bounce-Seal header
// value, the signature part text, and the binding hashes (docs/FORMAT.md).
// Only syntax lives here: signatures and policy are checked in verify.cpp.
#include "bounceseal/record.hpp"

#include <charconv>
#include <set>
#include <utility>
#include <vector>

#include "bounceseal/address.hpp"
#include "bounceseal/error.hpp"
#include "bounceseal/keys.hpp"
#include "bounceseal/text.hpp"

namespace bounceseal {
namespace {

Error malformed(const std::string& what) { return Error(Errc::malformed, what); }

std::string strip_fws(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s)
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') out.push_back(c);
    return out;
}

std::int64_t parse_timestamp(std::string_view v) {
    std::int64_t t = 0;
    if (v.empty() || v.size() > 12 || (v.size() > 1 && v[0] == '0'))
        throw malformed("t=: not a timestamp");
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), t);
    if (ec != std::errc() || p != v.data() + v.size() || t < 0) throw malformed("t=: not a timestamp");
    return t;
}

Bytes decode_exact(std::string_view v, std::size_t want, const char* tag) {
    Bytes b = base64_decode(v, tag);
    if (b.size() != want)
        throw malformed(std::string(tag) + " must hold " + std::to_string(want) + " bytes");
    return b;
}

// The fields of a record in canonical order, as (tag, value) text pairs.
std::vector<std::pair<std::string_view, std::string>> record_tags(const Record& r) {
    if (!valid_domain(r.domain)) throw Error(Errc::usage, "record: invalid signer domain");
    if (!valid_selector(r.selector)) throw Error(Errc::usage, "record: invalid selector");
    if (r.nonce.size() != kNonceBytes || r.body_hash.size() != kBodyHashBytes ||
        r.sender_hash.size() != kBindingBytes ||
        !(r.msgid_hash.empty() || r.msgid_hash.size() == kBindingBytes) || r.timestamp < 0)
        throw Error(Errc::usage, "record: field of the wrong size");
    return {
        {"v", std::to_string(r.version)},
        {"a", r.algorithm},
        {"c", r.canonicalization},
        {"d", r.domain},
        {"s", r.selector},
        {"t", std::to_string(r.timestamp)},
        {"n", base64_encode(r.nonce)},
        {"bh", base64_encode(r.body_hash)},
        {"hs", base64_encode(r.sender_hash)},
        {"hm", base64_encode(r.msgid_hash)},
    };
}

// Fills one field of `r` from a tag; shared by the record and header parsers
// so both forms accept exactly the same values.
void set_field(Record& r, std::string_view tag, std::string_view value) {
    if (tag == "v") {
        if (value != "1") throw malformed("v=: unsupported version '" + std::string(value.substr(0, 8)) + "'");
        r.version = 1;
    } else if (tag == "a") {
        if (value != kAlgorithm) throw malformed("a=: unsupported algorithm");
        r.algorithm = value;
    } else if (tag == "c") {
        if (value != kCanonicalization) throw malformed("c=: unsupported canonicalization");
        r.canonicalization = value;
    } else if (tag == "d") {
        if (!valid_domain(value)) throw malformed("d=: not a domain");
        r.domain = value;
    } else if (tag == "s") {
        if (!valid_selector(value)) throw malformed("s=: not a selector");
        r.selector = value;
    } else if (tag == "t") {
        r.timestamp = parse_timestamp(value);
    } else if (tag == "n") {
        r.nonce = decode_exact(value, kNonceBytes, "n=");
    } else if (tag == "bh") {
        r.body_hash = decode_exact(value, kBodyHashBytes, "bh=");
    } else if (tag == "hs") {
        r.sender_hash = decode_exact(value, kBindingBytes, "hs=");
    } else if (tag == "hm") {
        r.msgid_hash = value.empty() ? Bytes{} : decode_exact(value, kBindingBytes, "hm=");
    } else {
        throw malformed("unknown tag '" + std::string(tag.substr(0, 16)) + "'");
    }
}

constexpr std::string_view kRecordTags[] = {"v", "a", "c", "d", "s", "t", "n", "bh", "hs", "hm"};

bool is_base64_tag(std::string_view tag) {
    return tag == "n" || tag == "bh" || tag == "hs" || tag == "hm" || tag == "b";
}

// Splits text into lines, accepting LF or CRLF ends and no final end, and
// dropping trailing white space.
std::vector<std::string_view> text_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        // CR and trailing white space are what transport adds to a line.
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
            line.remove_suffix(1);
        lines.push_back(line);
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return lines;
}

std::pair<std::string_view, std::string_view> split_tag_line(std::string_view line) {
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) throw malformed("line without '=': not a tag");
    return {line.substr(0, eq), line.substr(eq + 1)};
}

Bytes binding(std::string_view label, const Bytes& nonce, std::string_view value) {
    Sha256 h;
    h.update(label);
    h.update("\0", 1);
    h.update(nonce.data(), nonce.size());
    h.update(value);
    Bytes d = h.finish();
    d.resize(kBindingBytes);
    return d;
}

}  // namespace

bool Record::operator==(const Record& o) const noexcept {
    // No early exit between the byte fields: which one differs stays hidden.
    unsigned equal = 1;
    for (auto [a, b] : {std::pair{&nonce, &o.nonce}, {&body_hash, &o.body_hash}, {&sender_hash, &o.sender_hash},
                        {&msgid_hash, &o.msgid_hash}})
        equal &= ct_equal(*a, *b) ? 1u : 0u;
    return equal == 1 && version == o.version && algorithm == o.algorithm && canonicalization == o.canonicalization &&
           domain == o.domain && selector == o.selector && timestamp == o.timestamp;
}

std::string record_text(const Record& r) {
    std::string out(kRecordIntro);
    out += '\n';
    for (auto& [tag, value] : record_tags(r)) {
        out += tag;
        out += '=';
        out += value;
        out += '\n';
    }
    return out;
}

Record parse_record_text(std::string_view text) {
    if (text.size() > kMaxSealTextLen) throw malformed("record is too long");
    auto lines = text_lines(text);
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
    if (lines.empty() || lines[0] != kRecordIntro) throw malformed("record: first line is not the record intro");
    if (lines.size() != 1 + std::size(kRecordTags))
        throw malformed("record: expected " + std::to_string(std::size(kRecordTags)) + " tag lines");
    Record r;
    for (std::size_t i = 0; i < std::size(kRecordTags); ++i) {
        auto [tag, value] = split_tag_line(lines[i + 1]);
        if (tag != kRecordTags[i])
            throw malformed("record line " + std::to_string(i + 2) + ": expected tag '" +
                            std::string(kRecordTags[i]) + "'");
        set_field(r, tag, value);
    }
    return r;
}

std::string header_value(const Record& r, const Bytes& signature, bool lf_only) {
    const std::string fold = lf_only ? "\n\t" : "\r\n\t";
    std::vector<std::string> items;
    for (auto& [tag, value] : record_tags(r)) items.push_back(std::string(tag) + "=" + value + ";");
    items.push_back("b=" + base64_encode(signature));
    // "Bounce-Seal:" precedes the value on the first line.
    std::string out;
    std::size_t col = kHeaderName.size() + 1;
    for (const auto& item : items) {
        if (col + 1 + item.size() > 78 && col > 1) {
            out += fold;
            col = 1;
            out += item;
        } else {
            out += ' ';
            out += item;
            ++col;
        }
        col += item.size();
    }
    return out;
}

HeaderSeal parse_header_value(std::string_view value) {
    if (value.size() > kMaxSealTextLen) throw malformed("Bounce-Seal field is too long");
    HeaderSeal hs;
    std::set<std::string, std::less<>> seen;
    while (!value.empty()) {
        std::size_t semi = value.find(';');
        std::string_view item = trim(value.substr(0, semi));
        value = semi == std::string_view::npos ? std::string_view{} : value.substr(semi + 1);
        if (item.empty()) {
            if (value.empty()) break;  // a trailing ';' is allowed
            throw malformed("Bounce-Seal: empty tag");
        }
        std::size_t eq = item.find('=');
        if (eq == std::string_view::npos) throw malformed("Bounce-Seal: item without '='");
        std::string_view tag = trim(item.substr(0, eq));
        std::string_view raw = trim(item.substr(eq + 1));
        if (!seen.insert(std::string(tag)).second)
            throw malformed("Bounce-Seal: tag '" + std::string(tag.substr(0, 16)) + "' repeated");
        std::string v = is_base64_tag(tag) ? strip_fws(raw) : std::string(raw);
        if (tag == "b")
            hs.signature = decode_exact(v, kSignatureBytes, "b=");
        else
            set_field(hs.record, tag, v);
    }
    for (auto tag : kRecordTags)
        if (!seen.contains(tag)) throw malformed("Bounce-Seal: tag '" + std::string(tag) + "' missing");
    if (!seen.contains("b")) throw malformed("Bounce-Seal: tag 'b' missing");
    return hs;
}

std::string signature_part_text(const Record& r, const Bytes& signature, std::string_view eol) {
    if (!valid_domain(r.domain) || !valid_selector(r.selector) || signature.size() != kSignatureBytes)
        throw Error(Errc::usage, "signature part: invalid key name or signature");
    std::string out(kSignatureIntro);
    out += eol;
    out += "d=" + r.domain;
    out += eol;
    out += "s=" + r.selector;
    out += eol;
    out += "b=" + base64_encode(signature);
    out += eol;
    return out;
}

SignaturePart parse_signature_part_text(std::string_view text) {
    if (text.size() > kMaxSealTextLen) throw malformed("signature part is too long");
    auto lines = text_lines(text);
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
    if (lines.size() != 4 || lines[0] != kSignatureIntro)
        throw malformed("signature part: expected the intro line and d=, s=, b= lines");
    SignaturePart sp;
    auto [dt, dv] = split_tag_line(lines[1]);
    auto [st, sv] = split_tag_line(lines[2]);
    auto [bt, bv] = split_tag_line(lines[3]);
    if (dt != "d" || st != "s" || bt != "b") throw malformed("signature part: expected d=, s=, b= in order");
    if (!valid_domain(dv)) throw malformed("signature part d=: not a domain");
    if (!valid_selector(sv)) throw malformed("signature part s=: not a selector");
    sp.domain = dv;
    sp.selector = sv;
    sp.signature = decode_exact(bv, kSignatureBytes, "b=");
    return sp;
}

std::string normalize_message_id(std::string_view message_id) {
    std::string s = strip_fws(message_id);
    std::string_view v = s;
    if (v.size() >= 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
    return ascii_lower(v);
}

Bytes sender_binding(const Bytes& nonce, std::string_view envelope_sender) {
    return binding("bounceseal-sender", nonce, normalize_address(envelope_sender));
}

Bytes msgid_binding(const Bytes& nonce, std::string_view message_id) {
    return binding("bounceseal-message-id", nonce, normalize_message_id(message_id));
}

}  // namespace bounceseal
