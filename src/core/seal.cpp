// seal.cpp - plan_seal(): where the seal goes, the body hash, the signed
// record, and the MIME surgery that carries them (docs/FORMAT.md,
// "Sealing"), in three steps: choose the shape, hash, assemble.
//
// Two shapes with parts: a top-level multipart/mixed gets the two seal parts
// inserted before its close delimiter ("appended"); anything else is wrapped
// whole as the first part of a new multipart/mixed, its Content-* fields
// moved into that part ("wrapped"), unless seal_shape.cpp says a wrap would
// change what recipients' programs do with it. Either way the original bytes
// are kept as they are: the plan refers to ranges of the original body
// instead of rewriting it. The reasons the format gives not to seal are
// answers (SealSkip), not exceptions. Whether to seal at all (client, AUTH,
// sender) is decided by the caller.
#include "bounceseal/seal.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>

#include <gmime/gmime.h>

#include "bounceseal/body_in_chief.hpp"
#include "bounceseal/error.hpp"
#include "bounceseal/mime.hpp"
#include "bounceseal/text.hpp"
#include "message_text.hpp"
#include "seal_shape.hpp"

namespace bounceseal {
namespace {

bool is_content_field(std::string_view name) { return ascii_lower(name.substr(0, 8)) == "content-"; }

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
// Also npos when a line before it starts with "--boundary" but is neither a
// delimiter nor the close delimiter ("--boundary--more", "--boundary-x"):
// MIME parsers differ on such lines (GMime may take one for the close
// delimiter), so parts appended before the later close delimiter could sit
// in what a verifier reads as the epilogue.
std::size_t close_delimiter(std::string_view body, std::string_view boundary) {
    if (boundary.empty()) return std::string_view::npos;
    const std::string delimiter = "--" + std::string(boundary);
    // Only transport padding may follow on the line, and then the line's
    // end: LF or CRLF. A CR before anything else is no line end to GMime.
    auto ends_line = [&](std::size_t after) {
        while (after < body.size() && (body[after] == ' ' || body[after] == '\t')) ++after;
        return after == body.size() || body[after] == '\n' || body.compare(after, 2, "\r\n") == 0;
    };
    std::size_t pos = 0;
    while (pos < body.size()) {
        if (body.compare(pos, delimiter.size(), delimiter) == 0) {
            const std::size_t after = pos + delimiter.size();
            if (body.compare(after, 2, "--") == 0 && ends_line(after + 2)) return pos;
            if (!ends_line(after)) return std::string_view::npos;  // a line parsers read differently
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

// A MIME entity parsed from `head`, the body and `tail` read as one
// stream, without copying the body. The entity reads from all three for as
// long as it lives: it owns the two texts (on the heap, where a move does
// not shift them); the body is the caller's.
class Parsed {
public:
    Parsed(std::string head, std::string_view body, std::string tail = {})
        : head_(std::make_unique<const std::string>(std::move(head))),
          tail_(std::make_unique<const std::string>(std::move(tail))) {
        GPtr<GMimeStream> cat(g_mime_stream_cat_new());
        for (std::string_view piece : {std::string_view(*head_), body, std::string_view(*tail_)}) {
            if (piece.empty()) continue;
            GPtr<GMimeStream> source = memory_stream(piece);
            g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat.get()), source.get());  // the cat keeps a reference
        }
        entity_ = parse_entity(cat.get());
        if (!entity_) throw Error(Errc::mime, "GMime could not parse the message body");
    }
    GMimeObject* entity() const { return entity_.get(); }

private:
    std::unique_ptr<const std::string> head_, tail_;
    GPtr<GMimeObject> entity_;  // released first, before the texts it reads
};

// A seal of `domain` among the top-level parts of `content`: it was sealed
// by this signer already, though its Bounce-Seal field is gone or broken
// (seal_precheck() only sees the header). A second seal of the same signer
// would contradict the first, and a verifier takes the pair for malformed
// (FORMAT.md 7).
std::optional<SealSkip> sealed_by(GMimeObject* content, std::string_view domain) {
    if (!GMIME_IS_MULTIPART(content)) return std::nullopt;
    GMimeMultipart* m = GMIME_MULTIPART(content);
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
        if (iequals(signer, domain))
            return SealSkip{SkipReason::already_sealed, "seal parts of " + signer + " are in the body already"};
    }
    return std::nullopt;
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

// Step 1's answer: where the seal goes, and what its body hash covers.
struct Shape {
    enum class Kind { appended, wrapped, header_only };
    Kind kind;
    Parsed parsed;                      // what `content` lives in
    GMimeObject* content;               // the message's content, as a verifier will read it
    std::vector<GMimeObject*> covered;  // the body in chief: what the body hash covers
    std::size_t close;                  // appended: where the close delimiter starts
    std::string boundary;               // appended: the message's own; wrapped: the new one
    std::string why_header_only;        // header-only in the full mode: seal_shape's reason
};

// Appended: the seal parts go before the close delimiter of the message's
// own multipart/mixed, among its top-level parts. Nothing when they would
// not be found there: each condition is a way a verifier, reading with
// GMime, would see another structure than the one appended to.
std::optional<Shape> appended_shape(const std::vector<HeaderField>& headers, std::string_view body,
                                    const std::string& eol, std::size_t max_depth) {
    // With two Content-Type fields MIME parsers disagree on the structure
    // (GMime, and so the verifier, takes the last): parts appended to what
    // the first one says would be invisible to a verifier reading the last.
    const auto type_fields = std::count_if(headers.begin(), headers.end(),
                                           [](const HeaderField& h) { return iequals(h.name, "Content-Type"); });
    const TopType top = top_type(headers);
    if (type_fields != 1 || top.mime_type != "multipart/mixed") return std::nullopt;
    const std::size_t close = close_delimiter(body, top.boundary);
    if (close == std::string_view::npos) return std::nullopt;
    Parsed mp("Content-Type:" + with_eol(first_field(headers, "Content-Type")->value, eol) + eol + eol, body);
    GMimeObject* content = mp.entity();
    if (!GMIME_IS_MULTIPART(content) || nests_boundary(content, top.boundary, max_depth)) return std::nullopt;
    std::vector<GMimeObject*> covered = body_in_chief(content).body;
    return Shape{Shape::Kind::appended, std::move(mp), content, std::move(covered), close, top.boundary, {}};
}

// Wrapped: the message's content parsed exactly as a verifier will parse
// it, as the first part of the new multipart, ended by a delimiter. Parsing
// the original alone is not the same: GMime reads an entity cut off by the
// end of input (an empty message/rfc822 part without its close delimiter,
// say) differently from one ended by a boundary.
Shape wrapped_shape(const std::vector<HeaderField>& headers, std::string_view body, const std::string& eol,
                    const std::string& boundary) {
    Parsed mp("Content-Type: multipart/mixed; boundary=\"" + boundary + "\"" + eol + eol + "--" + boundary + eol +
                  first_part_fields(headers, eol) + eol,
              body, eol + "--" + boundary + "--" + eol);
    if (!GMIME_IS_MULTIPART(mp.entity()) || g_mime_multipart_get_count(GMIME_MULTIPART(mp.entity())) < 1)
        throw Error(Errc::mime, "GMime could not parse the wrapped message");
    GMimeObject* original = g_mime_multipart_get_part(GMIME_MULTIPART(mp.entity()), 0);
    return Shape{Shape::Kind::wrapped, std::move(mp), original, {original}, std::string_view::npos, boundary, {}};
}

// Header-only: the body stays as it is; the hash covers the message's
// content as a whole.
Shape header_only_shape(const std::vector<HeaderField>& headers, std::string_view body, const std::string& eol,
                        std::string why) {
    Parsed entity(moved_fields(headers, eol) + eol, body);
    GMimeObject* content = entity.entity();
    return Shape{Shape::Kind::header_only, std::move(entity), content, {content}, std::string_view::npos, {},
                 std::move(why)};
}

// Step 1: the shape. Appended where the mode allows and the message is a
// multipart/mixed a verifier reads the same way; else, in the full mode,
// wrapped unless seal_shape::why_not_wrap() names a reason; else the header
// alone. Content that merely looks like a seal part needs no exception: a
// lone part is never a pair (FORMAT.md 4.1), so the verifier counts it as
// the body in chief like any other. Seal parts of this signer in the
// content chosen are a reason not to seal at all.
std::variant<Shape, SealSkip> choose_shape(const std::vector<HeaderField>& headers, std::string_view body,
                                           const std::string& eol, const SealOptions& options,
                                           std::string_view domain) {
    auto unless_sealed = [&](Shape shape) -> std::variant<Shape, SealSkip> {
        if (std::optional<SealSkip> skip = sealed_by(shape.content, domain)) return std::move(*skip);
        return shape;
    };
    if (options.mode != SealMode::header_only)
        if (std::optional<Shape> appended = appended_shape(headers, body, eol, options.limits.max_depth))
            return unless_sealed(std::move(*appended));
    std::string why_not_wrap;
    if (options.mode == SealMode::full) {
        const std::string boundary = options.boundary ? *options.boundary : seal_shape::new_boundary(headers, body);
        Shape wrapped = wrapped_shape(headers, body, eol, boundary);
        if (std::optional<SealSkip> skip = sealed_by(wrapped.content, domain)) return std::move(*skip);
        const char* why = seal_shape::why_not_wrap(headers, wrapped.content);
        if (why == nullptr) return wrapped;
        why_not_wrap = why;
    }
    return unless_sealed(header_only_shape(headers, body, eol, std::move(why_not_wrap)));
}

// Step 2: the body hash over the body in chief. A tree deeper or wider
// than `limits` is a reason not to seal: a verifier could never check it.
std::variant<Bytes, SealSkip> hash_body(const Shape& shape, const WalkLimits& limits) {
    try {
        return body_hash(shape.covered, limits);
    } catch (const Error& e) {
        if (e.code() != Errc::limit) throw;
        return SealSkip{SkipReason::too_complex, e.what()};
    }
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

// Step 3: the signed record, and the changes that put it on in `shape`.
SealPlan assemble(const std::vector<HeaderField>& headers, std::string_view body, const Shape& shape,
                  Bytes body_hash, std::string_view envelope_sender, const SealKey& key,
                  const SealOptions& options, const std::string& eol) {
    SealPlan plan;
    Record& r = plan.record;
    r.domain = key.domain;
    r.selector = key.selector;
    r.timestamp = options.now != 0 ? options.now : static_cast<std::int64_t>(std::time(nullptr));
    r.nonce = options.nonce ? *options.nonce : random_bytes(kNonceBytes);
    r.body_hash = std::move(body_hash);
    r.sender_hash = sender_binding(r.nonce, envelope_sender);
    if (const HeaderField* mid = first_field(headers, "Message-ID")) r.msgid_hash = msgid_binding(r.nonce, mid->value);
    plan.signature = key.key.sign(record_text(r));

    auto& ch = plan.header_changes;
    const std::string& boundary = shape.boundary;
    switch (shape.kind) {
    case Shape::Kind::appended:
        plan.shape = "appended";
        plan.replace_body = true;
        plan.body.push_back(original(0, shape.close));
        plan.body.push_back(owned(seal_parts(r, plan.signature, boundary, eol)));
        plan.body.push_back(original(shape.close, body.size() - shape.close));
        break;
    case Shape::Kind::wrapped:
        plan.shape = "wrapped";
        plan.replace_body = true;
        rewrite_content_fields(
            headers, " multipart/mixed; boundary=\"" + boundary + "\"" + seal_shape::wrapper_parameters(headers), ch);
        plan.body.push_back(owned("--" + boundary + eol + first_part_fields(headers, eol) + eol));
        plan.body.push_back(original(0, body.size()));
        plan.body.push_back(owned(eol + seal_parts(r, plan.signature, boundary, eol) + "--" + boundary + "--" + eol));
        // Only a wrapped message needs it: an appended one keeps its own
        // (missing) MIME-Version, as spam filters score that absence.
        if (first_field(headers, "MIME-Version") == nullptr)
            ch.push_back({HeaderChange::Kind::add, "MIME-Version", 0, " 1.0"});
        break;
    case Shape::Kind::header_only:
        plan.shape = "header-only";
        plan.why_header_only = shape.why_header_only;
        break;
    }
    ch.push_back({HeaderChange::Kind::add, std::string(kHeaderName), 0, header_value(r, plan.signature, true)});
    return plan;
}

}  // namespace

const char* skip_reason_name(SkipReason r) noexcept {
    switch (r) {
    case SkipReason::already_sealed: return "already-sealed";
    case SkipReason::message_partial: return "message-partial";
    case SkipReason::too_complex: return "too-complex";
    }
    return "unknown";
}

std::optional<SealSkip> seal_precheck(const std::vector<HeaderField>& headers, std::string_view domain) {
    for (const auto& h : headers) {
        if (!iequals(h.name, kHeaderName)) continue;
        try {
            const std::string signer = parse_header_value(h.value).record.domain;
            if (iequals(signer, domain)) return SealSkip{SkipReason::already_sealed, "a Bounce-Seal field of " + signer};
        } catch (const Error&) {
            // Not a seal of ours: someone else's junk does not stop sealing.
        }
    }
    if (top_type(headers).mime_type == "message/partial")
        return SealSkip{SkipReason::message_partial, "Content-Type message/partial"};
    return std::nullopt;
}

SealResult plan_seal(const std::vector<HeaderField>& headers, std::string_view body,
                     std::string_view envelope_sender, const SealKey& key, const SealOptions& options) {
    if (!valid_domain(key.domain) || !valid_selector(key.selector))
        throw Error(Errc::usage, "seal key: invalid domain or selector");
    // A header line that starts with white space and follows no field (the
    // message's first line, say) has no name: written back as ":value" it
    // would end the header block where a reader had none. Refused before
    // any change, like any message that cannot be sealed.
    for (const HeaderField& h : headers)
        if (h.name.empty()) throw Error(Errc::mime, "a header line without a field name");
    mime_init();
    const std::string eol = options.eol.empty() ? line_end_of(body, "\r\n") : options.eol;
    std::variant<Shape, SealSkip> shape = choose_shape(headers, body, eol, options, key.domain);
    if (SealSkip* skip = std::get_if<SealSkip>(&shape)) return std::move(*skip);
    std::variant<Bytes, SealSkip> hash = hash_body(std::get<Shape>(shape), options.limits);
    if (SealSkip* skip = std::get_if<SealSkip>(&hash)) return std::move(*skip);
    return assemble(headers, body, std::get<Shape>(shape), std::move(std::get<Bytes>(hash)), envelope_sender, key,
                    options, eol);
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
