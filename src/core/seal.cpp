// seal.cpp - plan_seal(): the body hash, the signed record, and the MIME
// surgery that carries them (docs/FORMAT.md, "Sealing").
//
// Two shapes with parts: a top-level multipart/mixed gets the two seal parts
// inserted before its close delimiter ("appended"); anything else is wrapped
// whole as the first part of a new multipart/mixed, its Content-* fields
// moved into that part ("wrapped"), unless seal_shape.cpp says a wrap would
// change what recipients' programs do with it. Either way the original bytes
// are kept as they are: the plan refers to ranges of the original body
// instead of rewriting it. Whether to seal at all (client, AUTH, sender) is
// decided by the caller.
#include "bounceseal/seal.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <map>

#include <gmime/gmime.h>

#include "bounceseal/body_in_chief.hpp"
#include "bounceseal/error.hpp"
#include "bounceseal/mime.hpp"
#include "message_text.hpp"
#include "seal_shape.hpp"

namespace bounceseal {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ascii_lower(a) == ascii_lower(b);
}

bool is_content_field(std::string_view name) { return ascii_lower(name.substr(0, 8)) == "content-"; }

const HeaderField* first_field(const std::vector<HeaderField>& headers, std::string_view name) {
    for (const auto& h : headers)
        if (iequals(h.name, name)) return &h;
    return nullptr;
}

struct TopType {
    std::string mime_type;  // lower case, "text/plain" if absent
    std::string boundary;
};

TopType top_type(const std::vector<HeaderField>& headers) {
    TopType t{"text/plain", {}};
    const HeaderField* ct = first_field(headers, "Content-Type");
    if (ct == nullptr) return t;
    mime_init();
    GPtr<GMimeContentType> parsed(g_mime_content_type_parse(nullptr, ct->value.c_str()));
    if (!parsed) return t;
    std::unique_ptr<char, decltype(&g_free)> mt(g_mime_content_type_get_mime_type(parsed.get()), g_free);
    if (mt) t.mime_type = ascii_lower(mt.get());
    if (const char* b = g_mime_content_type_get_parameter(parsed.get(), "boundary")) t.boundary = b;
    return t;
}

// Offset of the line "--boundary--" that closes the top-level multipart, or
// npos. A nested multipart cannot use the same boundary (RFC 2046 5.1.2).
std::size_t close_delimiter(std::string_view body, std::string_view boundary) {
    if (boundary.empty()) return std::string_view::npos;
    const std::string close = "--" + std::string(boundary) + "--";
    std::size_t pos = 0;
    while (pos < body.size()) {
        if (body.compare(pos, close.size(), close) == 0) {
            std::size_t after = pos + close.size();
            // Only transport padding may follow on the line, and then the
            // line's end: LF or CRLF. A CR before anything else is no line
            // end to GMime, which then reads no close delimiter here.
            while (after < body.size() && (body[after] == ' ' || body[after] == '\t')) ++after;
            if (after == body.size() || body[after] == '\n' || body.compare(after, 2, "\r\n") == 0) return pos;
        }
        std::size_t nl = body.find('\n', pos);
        if (nl == std::string_view::npos) break;
        pos = nl + 1;
    }
    return std::string_view::npos;
}

// A type of its own, not text/plain: filters read text/* parts as body
// text and would score the seal's words; "inline", because an attachment
// disposition counts as an attachment to filters scoring empty messages.
std::string seal_part(std::string_view type, std::string_view file, std::string_view description,
                      std::string_view text, std::string_view eol) {
    const std::string f(file), e(eol);
    return "Content-Type: " + std::string(type) + "; name=\"" + f + "\"" + e +
           "Content-Disposition: inline; filename=\"" + f + "\"" + e +
           "Content-Description: " + std::string(description) + e + e + std::string(text);
}

// The two seal parts, each introduced by a delimiter line, ending with the
// line end that belongs to the delimiter that follows them.
std::string seal_parts(const Record& r, const Bytes& sig, std::string_view boundary, std::string_view eol) {
    const std::string delimiter = "--" + std::string(boundary) + std::string(eol);
    return delimiter +
           seal_part(kRecordPartType, "bounceseal-record.txt", "Bounce seal record (safe to ignore)",
                     with_eol(record_text(r), eol), eol) +
           std::string(eol) + delimiter +
           seal_part(kSignaturePartType, "bounceseal-signature.txt", "Bounce seal signature (safe to ignore)",
                     signature_part_text(r, sig, eol), eol) +
           std::string(eol);
}

BodySegment owned(std::string s) { return BodySegment{std::move(s), 0, 0, false}; }
BodySegment original(std::size_t off, std::size_t len) { return BodySegment{{}, off, len, true}; }

// Header block of the wrapped first part: the message's Content-* fields.
std::string moved_fields(const std::vector<HeaderField>& headers, std::string_view eol) {
    std::string out;
    for (const auto& h : headers)
        if (is_content_field(h.name)) out += h.name + ":" + with_eol(h.value, eol) + std::string(eol);
    return out;
}

// Parses `head`, `body` and `tail` as one MIME entity without copying body;
// the entity reads from all three, which must outlive it.
GPtr<GMimeObject> parse_head_and_body(std::string_view head, std::string_view body, std::string_view tail = {}) {
    GPtr<GMimeStream> cat(g_mime_stream_cat_new());
    for (std::string_view piece : {head, body, tail}) {
        if (piece.empty()) continue;
        GPtr<GMimeStream> source = memory_stream(piece);
        g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat.get()), source.get());  // the cat keeps a reference
    }
    GPtr<GMimeObject> entity = parse_entity(cat.get());
    if (!entity) throw Error(Errc::mime, "GMime could not parse the message body");
    return entity;
}

// Refuses a message whose top-level parts include a seal record of
// `domain`: it was sealed by this signer already, though its Bounce-Seal
// field is gone or broken (seal_precheck() only sees the header). A second
// seal of the same signer would contradict the first, and a verifier takes
// the pair for malformed (FORMAT.md 7).
void refuse_if_sealed_by(GMimeObject* entity, std::string_view domain) {
    if (!GMIME_IS_MULTIPART(entity)) return;
    GMimeMultipart* m = GMIME_MULTIPART(entity);
    for (int i = 0; i < g_mime_multipart_get_count(m); ++i) {
        GMimeObject* child = g_mime_multipart_get_part(m, i);
        if (seal_part_kind(child) != SealPartKind::record) continue;
        const std::optional<std::string> text = decoded_content(child, kMaxSealTextLen + 1);
        if (!text) continue;
        std::string lf;
        for (char c : *text)
            if (c != '\r') lf += c;
        std::string signer;
        try {
            signer = parse_record_text(lf).domain;
        } catch (const Error&) {
            continue;  // not a record: content like any other
        }
        if (iequals(signer, domain)) throw Error(Errc::sealed, "seal parts of " + signer + " are in the body already");
    }
}

// Whether a multipart inside `entity` (in a message/rfc822 part too) uses
// `boundary`, or the tree is deeper than `depth`. GMime then gives the
// outer close delimiter to the inner multipart, so parts appended before
// it would not be top-level parts, where a verifier looks for them.
bool nests_boundary(GMimeObject* entity, const std::string& boundary, std::size_t depth) {
    if (depth == 0) return true;
    auto uses_it = [&](GMimeObject* obj) {
        if (!GMIME_IS_MULTIPART(obj)) return false;
        const char* b = g_mime_multipart_get_boundary(GMIME_MULTIPART(obj));
        return b != nullptr && boundary == b;
    };
    if (GMIME_IS_MESSAGE_PART(entity)) {
        GMimeMessage* m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(entity));
        GMimeObject* inner = m != nullptr ? g_mime_message_get_mime_part(m) : nullptr;
        return inner != nullptr && (uses_it(inner) || nests_boundary(inner, boundary, depth - 1));
    }
    if (!GMIME_IS_MULTIPART(entity)) return false;
    GMimeMultipart* mp = GMIME_MULTIPART(entity);
    for (int i = 0; i < g_mime_multipart_get_count(mp); ++i) {
        GMimeObject* child = g_mime_multipart_get_part(mp, i);
        if (uses_it(child) || nests_boundary(child, boundary, depth - 1)) return true;
    }
    return false;
}

// The header block of the wrapped first part: the message's Content-*
// fields, or a Content-Type stating the default. An empty header block
// makes some filters flag the part as missing its MIME headers.
std::string first_part_fields(const std::vector<HeaderField>& headers, std::string_view eol) {
    std::string fields = moved_fields(headers, eol);
    if (fields.empty()) fields = "Content-Type: text/plain" + std::string(eol);
    return fields;
}

// The body hash of a wrapped message, over the first part exactly as a
// verifier will parse it: inside the new multipart, ended by a delimiter.
// Parsing the original alone is not the same: GMime reads an entity cut
// off by the end of input (an empty message/rfc822 part without its
// close delimiter, say) differently from one ended by a boundary.
// Nothing, and `why_not` says why, when seal_shape::why_not_wrap() says the
// message is not to be wrapped. Content that merely looks like a seal part
// needs no exception: a lone part is never a pair (FORMAT.md 4.1), so the
// verifier counts it as the body in chief like any other.
std::optional<Bytes> wrapped_body_hash(const std::vector<HeaderField>& headers, std::string_view body,
                                       const std::string& boundary, const std::string& eol, const WalkLimits& limits,
                                       std::string_view domain, std::string& why_not) {
    const std::string head = "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"" + eol + eol + "--" +
                             boundary + eol + first_part_fields(headers, eol) + eol;
    const std::string tail = eol + "--" + boundary + "--" + eol;
    GPtr<GMimeObject> mp = parse_head_and_body(head, body, tail);
    if (!GMIME_IS_MULTIPART(mp.get()) || g_mime_multipart_get_count(GMIME_MULTIPART(mp.get())) < 1)
        throw Error(Errc::mime, "GMime could not parse the wrapped message");
    GMimeObject* original = g_mime_multipart_get_part(GMIME_MULTIPART(mp.get()), 0);
    refuse_if_sealed_by(original, domain);
    if (const char* why = seal_shape::why_not_wrap(headers, original)) why_not = why;
    if (!why_not.empty()) return std::nullopt;
    return body_hash({original}, limits);
}

// Whether the message's one Content-Transfer-Encoding field states an
// identity encoding (7bit, 8bit, binary). It then also describes the new
// multipart, which holds those bytes unchanged (RFC 2045 6.4 allows exactly
// these on a multipart), and stays at the top as well.
bool keeps_transfer_encoding(const std::vector<HeaderField>& headers) {
    const HeaderField* cte = nullptr;
    for (const auto& h : headers) {
        if (!iequals(h.name, "Content-Transfer-Encoding")) continue;
        if (cte != nullptr) return false;
        cte = &h;
    }
    if (cte == nullptr) return false;
    switch (g_mime_content_encoding_from_string(cte->value.c_str())) {
    case GMIME_CONTENT_ENCODING_7BIT:
    case GMIME_CONTENT_ENCODING_8BIT:
    case GMIME_CONTENT_ENCODING_BINARY: return true;
    default: return false;
    }
}

// Header changes that replace the message's Content-* fields with `ctype`
// (and a kept Content-Transfer-Encoding).
void rewrite_content_fields(const std::vector<HeaderField>& headers, const std::string& ctype,
                            std::vector<HeaderChange>& changes) {
    std::map<std::string, int> count;  // lower-case name -> occurrences
    std::map<std::string, std::string> spelling;
    for (const auto& h : headers)
        if (is_content_field(h.name)) {
            ++count[ascii_lower(h.name)];
            spelling.emplace(ascii_lower(h.name), h.name);
        }
    const bool keep_cte = keeps_transfer_encoding(headers);
    bool had_ctype = false;
    for (const auto& [lname, n] : count) {
        if (keep_cte && lname == "content-transfer-encoding") continue;
        // Descending indexes stay valid whether or not the MTA renumbers
        // the remaining fields after a removal.
        int keep = lname == "content-type" ? 1 : 0;
        for (int i = n; i > keep; --i) changes.push_back({HeaderChange::Kind::remove, spelling[lname], i, {}});
        if (keep == 1) {
            changes.push_back({HeaderChange::Kind::change, spelling[lname], 1, ctype});
            had_ctype = true;
        }
    }
    if (!had_ctype) changes.push_back({HeaderChange::Kind::add, "Content-Type", 0, ctype});
}

}  // namespace

const char* skip_reason_name(SkipReason r) noexcept {
    switch (r) {
    case SkipReason::already_sealed: return "already-sealed";
    case SkipReason::message_partial: return "message-partial";
    }
    return "unknown";
}

std::optional<SkipReason> seal_precheck(const std::vector<HeaderField>& headers, std::string_view domain) {
    for (const auto& h : headers) {
        if (!iequals(h.name, kHeaderName)) continue;
        try {
            if (iequals(parse_header_value(h.value).record.domain, domain)) return SkipReason::already_sealed;
        } catch (const Error&) {
            // Not a seal of ours: someone else's junk does not stop sealing.
        }
    }
    if (top_type(headers).mime_type == "message/partial") return SkipReason::message_partial;
    return std::nullopt;
}

SealPlan plan_seal(const std::vector<HeaderField>& headers, std::string_view body,
                   std::string_view envelope_sender, const SealKey& key, const SealOptions& options) {
    if (!valid_domain(key.domain) || !valid_selector(key.selector))
        throw Error(Errc::usage, "seal key: invalid domain or selector");
    mime_init();
    const std::string eol = options.eol.empty() ? line_end_of(body, "\r\n") : options.eol;
    SealPlan plan;
    const TopType top = top_type(headers);
    // With two Content-Type fields MIME parsers disagree on the structure
    // (GMime, and so the verifier, takes the last): parts appended to what
    // the first one says would be invisible to a verifier reading the last.
    const auto type_fields = std::count_if(headers.begin(), headers.end(),
                                           [](const HeaderField& h) { return iequals(h.name, "Content-Type"); });
    const std::size_t close = type_fields == 1 && top.mime_type == "multipart/mixed"
                                  ? close_delimiter(body, top.boundary)
                                  : std::string_view::npos;
    bool append = options.mode != SealMode::header_only && close != std::string_view::npos;
    GPtr<GMimeObject> mp;  // the message's own multipart, when appending to it
    if (append) {
        const std::string head =
            "Content-Type:" + with_eol(first_field(headers, "Content-Type")->value, eol) + eol + eol;
        mp = parse_head_and_body(head, body);
        append = GMIME_IS_MULTIPART(mp.get()) && !nests_boundary(mp.get(), top.boundary, options.limits.max_depth);
    }
    bool wrap = !append && options.mode == SealMode::full;

    const std::string boundary = !wrap                ? std::string()
                                 : options.boundary ? *options.boundary
                                                    : seal_shape::new_boundary(headers, body);
    // The body in chief, hashed exactly as a verifier will see it.
    Bytes bh;
    if (append) {
        refuse_if_sealed_by(mp.get(), key.domain);
        bh = body_hash(body_in_chief(mp.get()).body, options.limits);
    } else if (const std::optional<Bytes> wrapped =
                   wrap ? wrapped_body_hash(headers, body, boundary, eol, options.limits, key.domain,
                                            plan.why_header_only)
                        : std::nullopt) {
        bh = *wrapped;
    } else {
        wrap = false;  // not to be wrapped (why_header_only says why): the header alone seals
        const std::string head = moved_fields(headers, eol) + eol;
        GPtr<GMimeObject> entity = parse_head_and_body(head, body);
        refuse_if_sealed_by(entity.get(), key.domain);
        bh = body_hash({entity.get()}, options.limits);
    }

    Record& r = plan.record;
    r.domain = key.domain;
    r.selector = key.selector;
    r.timestamp = options.now != 0 ? options.now : static_cast<std::int64_t>(std::time(nullptr));
    r.nonce = options.nonce ? *options.nonce : random_bytes(kNonceBytes);
    r.body_hash = std::move(bh);
    r.sender_hash = sender_binding(r.nonce, envelope_sender);
    if (const HeaderField* mid = first_field(headers, "Message-ID")) r.msgid_hash = msgid_binding(r.nonce, mid->value);
    plan.signature = key.key.sign(record_text(r));

    auto& ch = plan.header_changes;
    if (append) {
        plan.shape = "appended";
        plan.replace_body = true;
        plan.body.push_back(original(0, close));
        plan.body.push_back(owned(seal_parts(r, plan.signature, top.boundary, eol)));
        plan.body.push_back(original(close, body.size() - close));
    } else if (wrap) {
        plan.shape = "wrapped";
        plan.replace_body = true;
        rewrite_content_fields(
            headers, " multipart/mixed; boundary=\"" + boundary + "\"" + seal_shape::wrapper_parameters(headers), ch);
        plan.body.push_back(owned("--" + boundary + eol + first_part_fields(headers, eol) + eol));
        plan.body.push_back(original(0, body.size()));
        plan.body.push_back(owned(eol + seal_parts(r, plan.signature, boundary, eol) + "--" + boundary + "--" + eol));
    } else {
        plan.shape = "header-only";
    }
    // Only a wrapped message needs it: an appended one keeps its own
    // (missing) MIME-Version, as spam filters score that absence.
    if (wrap && first_field(headers, "MIME-Version") == nullptr)
        ch.push_back({HeaderChange::Kind::add, "MIME-Version", 0, " 1.0"});
    ch.push_back({HeaderChange::Kind::add, std::string(kHeaderName), 0, header_value(r, plan.signature, true)});
    return plan;
}

std::string SealPlan::body_text(std::string_view original_body) const {
    if (!replace_body) return std::string(original_body);
    std::string out;
    for (const auto& s : body) {
        if (s.from_original) out.append(original_body.substr(s.offset, s.length));
        else out += s.owned;
    }
    return out;
}

}  // namespace bounceseal
