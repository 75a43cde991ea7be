// body_in_chief.cpp - the top-level children of a message split into the
// well-formed seal part pairs and the body in chief (body_in_chief.hpp).
//
// A child is looked at as a seal part only when its decoded content begins
// with an intro line (seal_part_kind()); it is one only when its
// text parses strictly (record.hpp) and it has its partner next to it. The
// pairing is greedy from the left, so parts appended after the last child
// cannot change how the earlier children pair: that is what lets the
// sealer hash the body before appending its own pair.
#include "bounceseal/body_in_chief.hpp"

#include <optional>

#include <gmime/gmime.h>

#include "bounceseal/error.hpp"
#include "bounceseal/mime.hpp"

namespace bounceseal {
namespace {

bool same_domain(std::string_view a, std::string_view b) { return ascii_lower(a) == ascii_lower(b); }

// The decoded text of a part that starts like a seal part of `kind`, CR
// removed, if it fits the size a seal part may have.
std::optional<std::string> seal_text(GMimeObject* part) {
    std::optional<std::string> text = decoded_content(part, kMaxSealTextLen + 1);
    if (!text || text->size() > kMaxSealTextLen) return std::nullopt;
    std::string lf;
    lf.reserve(text->size());
    for (char c : *text)
        if (c != '\r') lf += c;
    return lf;
}

std::optional<Record> strict_record(GMimeObject* part, std::string& text, std::string& why) {
    if (seal_part_kind(part) != SealPartKind::record) return std::nullopt;
    std::optional<std::string> t = seal_text(part);
    try {
        if (!t) throw Error(Errc::malformed, "too long for a record part");
        Record r = parse_record_text(*t);
        text = std::move(*t);
        return r;
    } catch (const Error& e) {
        why = e.what();
        return std::nullopt;
    }
}

std::optional<SignaturePart> strict_signature(GMimeObject* part, std::string& why) {
    if (seal_part_kind(part) != SealPartKind::signature) return std::nullopt;
    std::optional<std::string> t = seal_text(part);
    try {
        if (!t) throw Error(Errc::malformed, "too long for a signature part");
        return parse_signature_part_text(*t);
    } catch (const Error& e) {
        why = e.what();
        return std::nullopt;
    }
}

}  // namespace

SealPartKind seal_part_kind(GMimeObject* part) {
    if (!GMIME_IS_PART(part) || GMIME_IS_MESSAGE_PARTIAL(part)) return SealPartKind::none;
    const std::optional<std::string> head = decoded_content(part, kRecordIntro.size() + kSignatureIntro.size());
    if (!head) return SealPartKind::none;
    if (head->starts_with(kRecordIntro)) return SealPartKind::record;
    if (head->starts_with(kSignatureIntro)) return SealPartKind::signature;
    return SealPartKind::none;
}

TopLevel body_in_chief(GMimeObject* top) {
    TopLevel t;
    if (top == nullptr) return t;
    if (!GMIME_IS_MULTIPART(top)) {
        t.body.push_back(top);
        return t;
    }
    GMimeMultipart* mp = GMIME_MULTIPART(top);
    const int n = g_mime_multipart_get_count(mp);
    auto lookalike = [&](int i, const std::string& what, const std::string& why) {
        t.lookalikes.push_back("part " + std::to_string(i + 1) + " starts like a seal " + what + " part but is none" +
                               (why.empty() ? "" : " (" + why + ")") + ": counted as body content");
    };
    for (int i = 0; i < n; ++i) {
        GMimeObject* child = g_mime_multipart_get_part(mp, i);
        std::string text, why;
        std::optional<Record> record = strict_record(child, text, why);
        if (record && i + 1 < n) {
            GMimeObject* next = g_mime_multipart_get_part(mp, i + 1);
            std::string sig_why;
            std::optional<SignaturePart> sig = strict_signature(next, sig_why);
            if (sig && same_domain(sig->domain, record->domain) && sig->selector == record->selector) {
                t.pairs.push_back({static_cast<std::size_t>(i), std::move(*record), std::move(text), std::move(*sig)});
                ++i;  // the signature part is taken too
                continue;
            }
        }
        t.body.push_back(child);
        if (record) lookalike(i, "record", "no signature part of the same d= and s= follows it");
        else if (seal_part_kind(child) == SealPartKind::record) lookalike(i, "record", why);
        else if (seal_part_kind(child) == SealPartKind::signature) {
            std::string sig_why;
            std::optional<SignaturePart> sig = strict_signature(child, sig_why);
            lookalike(i, "signature", sig ? "no record part before it" : sig_why);
        }
    }
    return t;
}

}  // namespace bounceseal
