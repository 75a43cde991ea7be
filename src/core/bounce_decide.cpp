// bounce_decide.cpp - decide(): the verifier's whole decision on a message,
// in the order that keeps the returned copy out of every decision but its
// own judgement:
//   1. the bounded parse (bounce_guard.cpp);
//   2. the MTA's layers: whether it may be a bounce and where its returned
//      copy is (bounce_header.cpp, bounce_layers.cpp);
//   3. the one step that needs the keyring: a Bounce-Seal field in the
//      message's own header makes it sealed mail of ours only if that seal
//      passes judge();
//   4. the kind (bounce_classify.cpp), from the MTA's layers and step 3;
//   5. for a bounce or delay notice, the one returned copy
//      (bounce_copy.cpp), judged by find_seals() + judge() on its own
//      header and top-level parts. Nothing nested inside it is judged.
// A copy cut out of a text or repaired whose body does not match its seal
// is judged again by its header seal alone: the MTA, not a forger, is the
// likely cause, and a forger gains nothing that dropping the body would
// not give him. Input over the limits or unparseable fails as malformed if
// it is a bounce at all. Nothing here reads files (but the keyring may),
// the clock or the configuration.
#include <gmime/gmime.h>

#include "bounce_internal.hpp"
#include "bounceseal/error.hpp"
#include "bounceseal/mime_header.hpp"
#include "bounceseal/text.hpp"

namespace bounceseal {
namespace {

using namespace bounce_detail;

bool hostile_input_error(const Error& e) {
    return e.code() == Errc::limit || e.code() == Errc::mime || e.code() == Errc::malformed;
}

Judgement malformed(std::string why) {
    Judgement j;
    j.verdict = Verdict::fail;
    j.reason = Reason::malformed;
    j.steps.push_back(std::move(why));
    return j;
}

Judgement none() {
    Judgement j;
    j.verdict = Verdict::none;
    j.reason = Reason::ok;
    return j;
}

std::string verdict_text(const Judgement& j) {
    std::string s = verdict_name(j.verdict);
    if (j.verdict == Verdict::fail) s += std::string(" (") + reason_name(j.reason) + ")";
    return s;
}

WalkLimits walk_limits(const BounceLimits& limits) { return WalkLimits{limits.max_depth, limits.max_parts}; }

// Step 3. Sealed mail of ours carries a Bounce-Seal field that passes
// judge() (signature of a key vouching for its domain, fresh, body
// matching); the sender binding is not checked, since it names the
// author's envelope sender, not this mailbox. Never for a null sender.
bool sealed_mail(GMimeMessage* root, const HeaderFacts& h, const Keyring* keyring, const VerifyPolicy& policy,
                 const BounceLimits& limits, std::int64_t now, std::vector<std::string>& steps) {
    if (!h.seal_field || keyring == nullptr || null_sender(h)) return false;
    VerifyPolicy unbound = policy;
    unbound.recipients.clear();
    const Judgement j = judge(find_seals(root, walk_limits(limits)), *keyring, unbound, now);
    steps.push_back("its own Bounce-Seal field: " + verdict_text(j) +
                    (j.verdict == Verdict::pass ? "" : ": it does not make this sealed mail of ours"));
    return j.verdict == Verdict::pass;
}

// Steps 1 to 4.
struct Classified {
    MessageReport report;
    Layers layers;
};

Classified classify_input(std::string_view raw, const BounceLimits& limits, const Keyring* keyring,
                          const VerifyPolicy& policy, std::int64_t now, std::vector<std::string>& steps) {
    if (raw.size() > limits.max_size)
        throw Error(Errc::limit, "input larger than MaxInputSize (" + std::to_string(limits.max_size) + " bytes)");
    Classified c;
    c.report.root = parse_guarded(raw, limits);
    GMimeMessage* root = c.report.root.get();
    GMimeHeaderList* list = root ? g_mime_object_get_header_list(GMIME_OBJECT(root)) : nullptr;
    if (list == nullptr || g_mime_header_list_get_count(list) == 0)
        throw Error(Errc::mime, "not a message: no header block");
    const std::string id = raw_header(GMIME_OBJECT(root), "Message-ID").value_or("");
    c.report.message_id = trim(id);
    c.layers = read_layers(root, raw, limits);
    const bool sealed = sealed_mail(root, c.layers.view.header, keyring, policy, limits, now, steps);
    Classification k = classify(c.layers.view, sealed);
    c.report.kind = k.kind;
    c.report.why = std::move(k.why);
    return c;
}

// Step 5.
Judgement judge_copy(const ReturnedCopy& copy, const Keyring& keyring, const VerifyPolicy& policy,
                     const BounceLimits& limits, std::int64_t now) {
    FoundSeals seals = find_seals(copy.message.get(), walk_limits(limits));
    Judgement j = judge(seals, keyring, policy, now);
    if (copy.faithful || j.verdict != Verdict::fail || j.reason != Reason::body_mismatch || seals.headers.empty())
        return j;
    FoundSeals header_only = seals;
    header_only.parts.clear();
    header_only.body_hash.reset();
    header_only.whole_body_hash.reset();
    Judgement h = judge(header_only, keyring, policy, now);
    if (!h.better_than(j)) return j;
    std::vector<std::string> steps = j.steps;
    steps.push_back("this copy was cut out of a text or repaired: its body may be the MTA's doing, so the "
                    "Bounce-Seal field is judged alone");
    steps.insert(steps.end(), h.steps.begin(), h.steps.end());
    h.steps = std::move(steps);
    return h;
}

}  // namespace

const char* kind_name(MessageKind k) noexcept {
    switch (k) {
    case MessageKind::ordinary: return "ordinary";
    case MessageKind::bounce: return "bounce";
    case MessageKind::delay: return "delay";
    case MessageKind::auto_reply: return "auto-reply";
    case MessageKind::feedback_report: return "feedback-report";
    }
    return "unknown";
}

bool is_judged(MessageKind k) noexcept { return k == MessageKind::bounce || k == MessageKind::delay; }

MessageReport analyze_message(std::string_view raw, const BounceLimits& limits, const Keyring* keyring,
                              std::int64_t now) {
    std::vector<std::string> steps;
    Classified c = classify_input(raw, limits, keyring, VerifyPolicy{}, now, steps);
    if (is_judged(c.report.kind)) c.report.copy = extract_copy(c.layers.slot, limits);
    return std::move(c.report);
}

Decision decide(std::string_view raw, const Keyring& keyring, const VerifyPolicy& policy,
                const BounceLimits& limits, std::int64_t now) {
    Decision d;
    Classified c;
    try {
        c = classify_input(raw, limits, &keyring, policy, now, d.steps);
    } catch (const Error& e) {
        if (!hostile_input_error(e)) throw;
        d.steps.push_back(std::string(e.code() == Errc::limit ? "over the limits: " : "not readable as MIME: ") +
                          e.what());
        Classification k = classify_header_only(raw);
        d.kind = k.kind;
        d.steps.push_back(std::string("classified as ") + kind_name(d.kind) + ": " + k.why);
        d.judgement = is_judged(d.kind) ? malformed(e.what()) : none();
        return d;
    }
    d.kind = c.report.kind;
    d.bounce_message_id = c.report.message_id;
    d.steps.push_back(std::string("classified as ") + kind_name(d.kind) + ": " + c.report.why);
    if (!is_judged(d.kind)) {
        d.judgement = none();
        d.steps.push_back("not a bounce: no verdict on seals");
        return d;
    }
    std::optional<ReturnedCopy> copy;
    try {
        copy = extract_copy(c.layers.slot, limits);
    } catch (const Error& e) {
        if (!hostile_input_error(e)) throw;
        d.steps.push_back(std::string("over the limits: ") + e.what());
        d.judgement = malformed(e.what());
        return d;
    }
    if (!copy) {
        d.steps.push_back("nothing of the original came back");
        d.judgement.verdict = Verdict::fail;
        d.judgement.reason = Reason::no_seal;
        d.judgement.steps.push_back("no returned copy found");
        return d;
    }
    d.where = copy->where;
    d.path = copy->path;
    d.steps.push_back("returned copy: " + copy->where + " [" + copy->shape +
                      (copy->faithful ? "" : ", repaired or partial") + "]; only its own seals count");
    try {
        d.judgement = judge_copy(*copy, keyring, policy, limits, now);
    } catch (const Error& e) {
        if (!hostile_input_error(e)) throw;
        d.judgement = malformed(e.what());
    }
    for (const auto& s : d.judgement.steps) d.steps.push_back("copy: " + s);
    return d;
}

}  // namespace bounceseal
