// bounce_support.hpp - fixtures of the bounce tests: the fixed original
// that every test bounce returns, sealed with the test key; filling the
// templates of tests/data/bounces; the text transformations MTAs apply to
// returned copies (quoting, unfolding, encoding); and decide() with the
// test keyring.
#pragma once

#include <string>
#include <string_view>

#include <gmime/gmime.h>

#include "bounceseal/bounce.hpp"
#include "test_support.hpp"

namespace bounceseal::testing {

// The message Alice sent: what every test bounce returns, sealed.
extern const char* const kOriginal;

// kOriginal sealed for kSender as the milter would (test key, kNow).
std::string sealed_original(const SealOptions& options = wrapping(), const SealKey& key = test_key(),
                            std::string_view sender = kSender);

// Fills the placeholders of a template (tests/data/bounces/README.md)
// with `original`, a whole message with LF line ends.
std::string fill_template(std::string_view tmpl, std::string_view original);

// tests/data/bounces/NAME filled with `original`.
std::string test_bounce(std::string_view name, std::string_view original);

// Transformations of a message's text, as MTAs apply them.
std::string header_block(std::string_view message);  // up to the blank line, which is left out
std::string prefix_lines(std::string_view text, std::string_view prefix);  // "> " quoting, indenting
std::string unfold_lines(std::string_view headers);  // folded lines lose their leading white space
std::string no_space_after_colon(std::string_view headers);
std::string to_crlf(std::string_view text);
std::string encode(std::string_view text, GMimeContentEncoding encoding);  // QP or base64, LF lines

// decide() with the test keyring at kNow.
Decision decide_text(std::string_view raw, const VerifyPolicy& policy = alice_policy(),
                     const BounceLimits& limits = {}, std::int64_t now = kNow,
                     const Keyring& keyring = test_keyring());

// "pass", "fail (no-seal)": for assertion messages.
std::string describe(const Decision& d);

}  // namespace bounceseal::testing
