// verify.cpp - collecting the seals of one message and judging them against
// the keyring, the clock and the bindings (docs/FORMAT.md, "Verifying").
// Where the message came from (a bounce's message/rfc822 part, an inline
// copy) is bounce.cpp's business, not this file's.
#include "bounceseal/verify.hpp"

#include <algorithm>

#include <gmime/gmime.h>

#include "bounceseal/body_in_chief.hpp"
#include "bounceseal/error.hpp"
#include "bounceseal/mime.hpp"
#include "bounceseal/mime_header.hpp"
#include "bounceseal/text.hpp"

namespace bounceseal {
namespace {

int reason_rank(Reason r) {
    // Higher is more specific: it says more about what went wrong.
    switch (r) {
    case Reason::ok: return 100;
    case Reason::body_mismatch: return 9;
    case Reason::binding_mismatch: return 8;
    case Reason::expired: return 7;
    case Reason::future: return 6;
    case Reason::headers_only: return 5;
    case Reason::bad_signature: return 4;
    case Reason::unknown_key: return 3;
    case Reason::malformed: return 2;
    case Reason::no_seal: return 1;
    }
    return 0;
}

int verdict_rank(Verdict v) {
    switch (v) {
    case Verdict::pass: return 3;
    case Verdict::pass_headers_only: return 2;
    case Verdict::fail: return 1;
    case Verdict::none: return 0;
    }
    return 0;
}

std::string describe(const Record& r, const char* carrier) {
    return std::string(carrier) + " seal d=" + r.domain + " s=" + r.selector;
}

// Checks shared by both carriers: key, signature, clock, bindings. Returns
// Reason::ok or the first failure, recording each step.
Reason check_record(const Record& r, const Bytes& signature, const std::optional<std::string>& message_id,
                    const Keyring& keyring, const VerifyPolicy& policy, std::int64_t now, const std::string& who,
                    std::vector<std::string>& steps) {
    std::string why;
    const std::optional<Keyring::Match> key = keyring.find(r.domain, r.selector, why);
    if (!key) {
        steps.push_back(who + ": " + why);
        return Reason::unknown_key;
    }
    if (key->any_domain) steps.push_back(who + ": " + key->source + " has no Domain line: it vouches for any domain");
    if (!key->key.verify(record_text(r), signature)) {
        steps.push_back(who + ": signature does not verify with key " + key->key.fingerprint());
        return Reason::bad_signature;
    }
    steps.push_back(who + ": signature verifies with key " + key->key.fingerprint());
    if (now - r.timestamp > policy.max_age) {
        steps.push_back(who + ": sealed " + std::to_string(now - r.timestamp) + " s ago, more than MaxAge " +
                        std::to_string(policy.max_age) + " s");
        return Reason::expired;
    }
    if (r.timestamp - now > policy.max_future) {
        steps.push_back(who + ": sealed " + std::to_string(r.timestamp - now) + " s in the future, more than ClockSkew " +
                        std::to_string(policy.max_future) + " s");
        return Reason::future;
    }
    steps.push_back(who + ": sealed " + std::to_string(now - r.timestamp) + " s ago: fresh");
    if (policy.recipients.empty()) {
        steps.push_back(who + ": sender binding not checked (no recipient given)");
    } else {
        bool match = std::any_of(policy.recipients.begin(), policy.recipients.end(), [&](const std::string& rcpt) {
            return ct_equal(sender_binding(r.nonce, rcpt), r.sender_hash);
        });
        if (!match) {
            steps.push_back(who + ": sealed for another envelope sender than this mailbox");
            return Reason::binding_mismatch;
        }
        steps.push_back(who + ": sealed for this mailbox's address");
    }
    if (r.msgid_hash.empty()) {
        steps.push_back(who + ": no Message-ID was bound");
    } else if (!message_id) {
        // Bounces that return a few header lines often drop this one.
        steps.push_back(who + ": Message-ID binding not checked (the returned copy has none)");
    } else if (!ct_equal(msgid_binding(r.nonce, *message_id), r.msgid_hash)) {
        steps.push_back(who + ": Message-ID of the returned copy differs");
        return Reason::binding_mismatch;
    } else {
        steps.push_back(who + ": Message-ID matches");
    }
    return Reason::ok;
}

Judgement make(Verdict v, Reason why, const Record* r, std::vector<std::string> steps) {
    Judgement j;
    j.verdict = v;
    j.reason = why;
    if (r != nullptr) {
        j.domain = r->domain;
        j.selector = r->selector;
        j.timestamp = r->timestamp;
    }
    j.steps = std::move(steps);
    return j;
}

Judgement judge_parts(const PartSeal& p, const FoundSeals& seals, const Keyring& keyring,
                      const VerifyPolicy& policy, std::int64_t now) {
    const Record& r = p.record;
    const std::string who = describe(r, "part");
    std::vector<std::string> steps;
    for (const auto& h : seals.headers) {
        if (!iequals(h.record.domain, r.domain)) continue;
        if (!(h.record == r) || !ct_equal(h.signature, p.signature.signature)) {
            steps.push_back(who + ": the Bounce-Seal field of the same signer states other facts");
            return make(Verdict::fail, Reason::malformed, &r, steps);
        }
    }
    Reason why = check_record(r, p.signature.signature, seals.message_id, keyring, policy, now, who, steps);
    if (why != Reason::ok) return make(Verdict::fail, why, &r, steps);
    if (!seals.body_hash || !ct_equal(*seals.body_hash, r.body_hash)) {
        steps.push_back(who + ": body hash differs: the returned body is not the one sealed");
        return make(Verdict::fail, Reason::body_mismatch, &r, steps);
    }
    steps.push_back(who + ": body hash matches");
    return make(Verdict::pass, Reason::ok, &r, steps);
}

Judgement judge_header(const HeaderSeal& h, const FoundSeals& seals, const Keyring& keyring,
                       const VerifyPolicy& policy, std::int64_t now) {
    const Record& r = h.record;
    const std::string who = describe(r, "header");
    std::vector<std::string> steps;
    Reason why = check_record(r, h.signature, seals.message_id, keyring, policy, now, who, steps);
    if (why != Reason::ok) return make(Verdict::fail, why, &r, steps);
    if (seals.whole_body_hash && ct_equal(*seals.whole_body_hash, r.body_hash)) {
        steps.push_back(who + ": body hash matches the whole returned body");
        return make(Verdict::pass, Reason::ok, &r, steps);
    }
    steps.push_back(who + ": no seal parts came back: only the headers can be judged");
    if (!policy.allow_headers_only) {
        steps.push_back(who + ": HeadersOnly deny: a headers-only proof is not enough");
        return make(Verdict::fail, Reason::headers_only, &r, steps);
    }
    return make(Verdict::pass_headers_only, Reason::ok, &r, steps);
}

}  // namespace

const char* verdict_name(Verdict v) noexcept {
    switch (v) {
    case Verdict::pass: return "pass";
    case Verdict::pass_headers_only: return "pass-headers-only";
    case Verdict::fail: return "fail";
    case Verdict::none: return "none";
    }
    return "unknown";
}

const char* reason_name(Reason r) noexcept {
    switch (r) {
    case Reason::ok: return "ok";
    case Reason::no_seal: return "no-seal";
    case Reason::bad_signature: return "bad-signature";
    case Reason::unknown_key: return "unknown-key";
    case Reason::expired: return "expired";
    case Reason::future: return "future";
    case Reason::body_mismatch: return "body-mismatch";
    case Reason::binding_mismatch: return "binding-mismatch";
    case Reason::malformed: return "malformed";
    case Reason::headers_only: return "headers-only";
    }
    return "unknown";
}

bool Judgement::better_than(const Judgement& other) const {
    if (verdict_rank(verdict) != verdict_rank(other.verdict)) return verdict_rank(verdict) > verdict_rank(other.verdict);
    return reason_rank(reason) > reason_rank(other.reason);
}

FoundSeals find_seals(GMimeMessage* message, const WalkLimits& limits) {
    FoundSeals found;
    GMimeObject* obj = GMIME_OBJECT(message);
    found.message_id = raw_header(obj, "Message-ID");
    if (GMimeHeaderList* list = g_mime_object_get_header_list(obj)) {
        int n = g_mime_header_list_get_count(list);
        std::size_t fields = 0;
        for (int i = 0; i < n; ++i) {
            GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
            if (!iequals(g_mime_header_get_name(h), kHeaderName)) continue;
            if (++fields > kMaxSeals) {
                found.over_limit = true;
                found.problems.push_back("more than " + std::to_string(kMaxSeals) + " Bounce-Seal fields");
                break;
            }
            const char* raw = g_mime_header_get_raw_value(h);
            try {
                found.headers.push_back(parse_header_value(raw ? raw : ""));
            } catch (const Error& e) {
                ++found.malformed;
                found.problems.push_back(std::string("Bounce-Seal field: ") + e.what());
            }
        }
    }
    GMimeObject* top = g_mime_message_get_mime_part(message);
    if (top == nullptr) return found;
    TopLevel t = body_in_chief(top);
    for (auto& note : t.lookalikes) {
        ++found.malformed;
        found.problems.push_back(std::move(note));
    }
    if (t.pairs.size() > kMaxSeals) {
        found.over_limit = true;
        found.problems.push_back("more than " + std::to_string(kMaxSeals) + " seal part pairs");
        t.pairs.resize(kMaxSeals);
    }
    for (auto& p : t.pairs) found.parts.push_back({std::move(p.record), std::move(p.record_text), std::move(p.signature)});
    // A Bounce-Seal field whose signer left no seal parts here (a header-only
    // seal, maybe beside another cohort's parts) is checked against the
    // whole body (FORMAT.md 7, step 3), whatever other parts came back.
    const bool lone_header = std::any_of(found.headers.begin(), found.headers.end(), [&](const HeaderSeal& h) {
        return std::none_of(found.parts.begin(), found.parts.end(),
                            [&](const PartSeal& p) { return iequals(p.record.domain, h.record.domain); });
    });
    try {
        if (!found.parts.empty()) found.body_hash = body_hash(t.body, limits, &found.manifest);
        if (lone_header)
            found.whole_body_hash = body_hash({top}, limits, found.parts.empty() ? &found.manifest : nullptr);
    } catch (const Error& e) {
        ++found.malformed;
        found.problems.push_back(std::string("body: ") + e.what());
    }
    return found;
}

Judgement judge(const FoundSeals& seals, const Keyring& keyring, const VerifyPolicy& policy, std::int64_t now) {
    if (seals.over_limit) return make(Verdict::fail, Reason::malformed, nullptr, seals.problems);
    std::vector<Judgement> all;
    for (const auto& p : seals.parts) all.push_back(judge_parts(p, seals, keyring, policy, now));
    for (const auto& h : seals.headers) {
        // A header seal is judged alone only where no seal parts of its signer came back.
        bool paired = std::any_of(seals.parts.begin(), seals.parts.end(),
                                  [&](const PartSeal& p) { return iequals(p.record.domain, h.record.domain); });
        if (!paired) all.push_back(judge_header(h, seals, keyring, policy, now));
    }
    if (all.empty()) {
        std::vector<std::string> steps = seals.problems;
        if (seals.malformed > 0) return make(Verdict::fail, Reason::malformed, nullptr, steps);
        steps.push_back("no seal found");
        return make(Verdict::fail, Reason::no_seal, nullptr, steps);
    }
    // A seal of another signer (unknown key) must not hide ours: keep the best.
    Judgement best = all.front();
    for (const auto& j : all)
        if (j.better_than(best)) best = j;
    std::vector<std::string> steps = seals.problems;
    for (const auto& j : all) steps.insert(steps.end(), j.steps.begin(), j.steps.end());
    best.steps = steps;
    return best;
}

}  // namespace bounceseal
