// verdict_output.cpp - exit status, verdict header, log line and -v text of
// a decision (verdict_output.hpp).
#include "verdict_output.hpp"

#include "bounceseal/common/log.hpp"

namespace bounceseal::verifier {
namespace {

// Seal domains and selectors passed the record's syntax checks
// ([A-Za-z0-9.-], [A-Za-z0-9._-]), so they are safe in a header line.
std::string signer(const Judgement& j) {
    std::string s;
    if (!j.domain.empty()) s += " d=" + j.domain;
    if (!j.selector.empty()) s += " s=" + j.selector;
    return s;
}

}  // namespace

int exit_status(const Decision& d) { return d.judgement.verdict == Verdict::fail ? 1 : 0; }

std::string verdict_text(const Decision& d) {
    const Judgement& j = d.judgement;
    switch (j.verdict) {
    case Verdict::none: return std::string("none (") + kind_name(d.kind) + ")";
    case Verdict::fail: return std::string("fail (") + reason_name(j.reason) + ")" + signer(j);
    case Verdict::pass:
    case Verdict::pass_headers_only: return verdict_name(j.verdict) + signer(j);
    }
    return "none";
}

std::string verdict_header_line(const Decision& d, std::string_view eol) {
    return std::string(kVerdictHeader) + ": " + verdict_text(d) + std::string(eol);
}

std::string log_line(const Decision& d) {
    const Judgement& j = d.judgement;
    auto or_dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
    return std::string("verdict=") + verdict_name(j.verdict) + " reason=" + reason_name(j.reason) +
           " kind=" + kind_name(d.kind) + " d=" + or_dash(log_safe(j.domain, 64)) +
           " s=" + or_dash(log_safe(j.selector, 64)) + " where=\"" + or_dash(log_safe(d.where, 120)) +
           "\" bounce-id=" + or_dash(log_safe(d.bounce_message_id, 120));
}

std::string steps_text(const Decision& d) {
    std::string out;
    for (const auto& step : d.steps) out += "  " + step + "\n";
    out += "verdict: " + verdict_text(d) + "\n";
    return out;
}

Decision time_limit_decision(std::int64_t seconds) {
    Decision d;
    d.kind = MessageKind::bounce;
    d.judgement.verdict = Verdict::fail;
    d.judgement.reason = Reason::malformed;
    d.steps.push_back("time limit: no decision within TimeLimit " + std::to_string(seconds) + " s");
    d.where = "time limit";
    return d;
}

}  // namespace bounceseal::verifier
