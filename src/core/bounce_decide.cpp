// bounce_decide.cpp - decide(): the verifier's whole decision on a message.
//
// For a bounce or delay notice, every returned copy is judged by
// find_seals() + judge() and the best judgement wins (a copy of another
// signer, or one an MTA mangled, must not hide a good one). A copy that was
// cut out of a text or repaired and whose body does not match its seal is
// judged again by its header seal alone: the MTA, not a forger, is the
// likely cause, and a forger gains nothing that dropping the body would not
// give him. Input over the limits or unparseable fails as malformed if it is
// a bounce at all. Nothing here reads files, the clock or the configuration.
#include <gmime/gmime.h>

#include "bounce_internal.hpp"
#include "bounceseal/error.hpp"

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

Judgement judge_copy(const ReturnedCopy& copy, const Keyring& keyring, const VerifyPolicy& policy,
                     const BounceLimits& limits, std::int64_t now) {
    const WalkLimits walk{limits.max_depth, limits.max_parts};
    FoundSeals seals = find_seals(copy.message.get(), walk);
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

std::string verdict_text(const Judgement& j) {
    std::string s = verdict_name(j.verdict);
    if (j.verdict == Verdict::fail) s += std::string(" (") + reason_name(j.reason) + ")";
    return s;
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

Decision decide(std::string_view raw, const Keyring& keyring, const VerifyPolicy& policy,
                const BounceLimits& limits, std::int64_t now) {
    Decision d;
    MessageReport report;
    try {
        report = parse_and_classify(raw, limits);
    } catch (const Error& e) {
        if (!hostile_input_error(e)) throw;
        d.steps.push_back(std::string(e.code() == Errc::limit ? "over the limits: " : "not readable as MIME: ") +
                          e.what());
        Classification c = classify_header_only(raw);
        d.kind = c.kind;
        d.steps.push_back(std::string("classified as ") + kind_name(d.kind) + ": " + c.why);
        d.judgement = is_judged(d.kind) ? malformed(e.what()) : none();
        return d;
    }
    d.kind = report.kind;
    d.bounce_message_id = report.message_id;
    d.steps.push_back(std::string("classified as ") + kind_name(d.kind) + ": " + report.why);
    if (!is_judged(d.kind)) {
        d.judgement = none();
        d.steps.push_back(std::string("not a bounce: no verdict on seals"));
        return d;
    }
    try {
        find_copies(report, limits);
    } catch (const Error& e) {
        if (!hostile_input_error(e)) throw;
        d.steps.push_back(std::string("over the limits: ") + e.what());
        d.judgement = malformed(e.what());
        return d;
    }
    if (report.copies.empty()) {
        d.steps.push_back("nothing of the original came back");
        d.judgement.verdict = Verdict::fail;
        d.judgement.reason = Reason::no_seal;
        d.judgement.steps.push_back("no returned copy found");
        return d;
    }
    bool have_best = false;
    for (std::size_t i = 0; i < report.copies.size(); ++i) {
        const ReturnedCopy& copy = report.copies[i];
        const std::string tag = "copy " + std::to_string(i + 1);
        d.steps.push_back(tag + ": " + copy.where + " [" + copy.shape + (copy.faithful ? "" : ", repaired or partial") +
                          "]");
        Judgement j;
        try {
            j = judge_copy(copy, keyring, policy, limits, now);
        } catch (const Error& e) {
            if (!hostile_input_error(e)) throw;
            j = malformed(e.what());
        }
        for (const auto& s : j.steps) d.steps.push_back(tag + ": " + s);
        d.steps.push_back(tag + ": " + verdict_text(j));
        if (!have_best || j.better_than(d.judgement)) {
            d.judgement = std::move(j);
            d.where = copy.where;
            have_best = true;
        }
    }
    d.steps.push_back("best: " + verdict_text(d.judgement) + " from " + d.where);
    return d;
}

}  // namespace bounceseal
