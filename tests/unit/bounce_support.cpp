// bounce_support.cpp - fixtures of the bounce tests (bounce_support.hpp).
#include "bounce_support.hpp"

namespace bounceseal::testing {

const char* const kOriginal =
    "From: Alice <alice@example.test>\n"
    "To: Bob <bob@remote.example>\n"
    "Subject: quarterly figures\n"
    "Date: Mon, 18 Nov 2026 10:00:00 +0000\n"
    "Message-ID: <20261118100000.4711@example.test>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "Hello Bob,\n"
    "\n"
    "here are the figures you asked for: 17 in the first quarter,\n"
    "23 in the second, 42 in the third.\n"
    "\n"
    "Alice\n";

std::string sealed_original(const SealOptions& options, const SealKey& key, std::string_view sender) {
    return seal_text(kOriginal, options, key, sender);
}

std::string test_bounce(std::string_view name, std::string_view original) {
    return fill_template(read_test_data("bounces/" + std::string(name)), original);
}

Decision decide_text(std::string_view raw, const VerifyPolicy& policy, const BounceLimits& limits,
                     std::int64_t now, const Keyring& keyring) {
    return decide(raw, keyring, policy, limits, now);
}

std::string describe(const Decision& d) {
    std::string s = std::string(kind_name(d.kind)) + ": " + verdict_name(d.judgement.verdict) + " (" +
                    reason_name(d.judgement.reason) + ") at " + d.where + "\n";
    for (const auto& step : d.steps) s += "  " + step + "\n";
    return s;
}

}  // namespace bounceseal::testing
