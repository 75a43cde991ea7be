// bounce_support.hpp - fixtures of the bounce tests: the fixed original
// that every test bounce returns, sealed with the test key; the templates
// of tests/data/bounces read from there and filled (bounce_template.hpp);
// and decide() with the test keyring.
#pragma once

#include <string>
#include <string_view>

#include <gmime/gmime.h>

#include "bounce_template.hpp"
#include "bounceseal/bounce.hpp"
#include "test_support.hpp"

namespace bounceseal::testing {

// The message Alice sent: what every test bounce returns, sealed.
extern const char* const kOriginal;

// kOriginal sealed for kSender as the milter would (test key, kNow).
std::string sealed_original(const SealOptions& options = wrapping(), const SealKey& key = test_key(),
                            std::string_view sender = kSender);

// tests/data/bounces/NAME filled with `original`.
std::string test_bounce(std::string_view name, std::string_view original);

// decide() with the test keyring at kNow.
Decision decide_text(std::string_view raw, const VerifyPolicy& policy = alice_policy(),
                     const BounceLimits& limits = {}, std::int64_t now = kNow,
                     const Keyring& keyring = test_keyring());

// "pass", "fail (no-seal)": for assertion messages.
std::string describe(const Decision& d);

}  // namespace bounceseal::testing
