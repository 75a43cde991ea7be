// test_support.hpp - shared fixtures of the unit tests: a fixed test key,
// sealing a message held as text, and judging a sealed message.
#pragma once

#include <string>
#include <string_view>

#include "bounceseal/keys.hpp"
#include "bounceseal/seal.hpp"
#include "bounceseal/verify.hpp"

namespace bounceseal::testing {

inline constexpr std::int64_t kNow = 1795000000;  // a fixed "now" for every test
inline constexpr const char* kSender = "alice@example.test";

// The test-vector key of docs/FORMAT.md (seed bytes 0x00..0x1f).
PrivateKey vector_key();
SealKey test_key(std::string selector = "sel1");
Keyring test_keyring();

// Options that put the seal parts on every shape the default mode (full)
// gives them to, named so that tests of the parts say they want them.
SealOptions wrapping();
SealOptions sealing(SealMode mode);

// What the verifier checks bounces to kSender's mailbox with.
VerifyPolicy alice_policy();

// The plan in plan_seal()'s answer; a test failure, and an empty plan,
// when it answers a SealSkip instead.
SealPlan plan_of(SealResult planned);

// Seals a whole message (header block and body) as the milter would.
std::string seal_text(std::string_view message, const SealOptions& options = wrapping(), const SealKey& key = test_key(),
                      std::string_view sender = kSender);

// Parses `message` and judges its own seals (no bounce around it).
Judgement judge_text(std::string_view message, const VerifyPolicy& policy = {}, std::int64_t now = kNow,
                     const Keyring& keyring = test_keyring());

// Replaces the first occurrence of `from` by `to`; fails the test if absent.
std::string replace_once(std::string s, std::string_view from, std::string_view to);

// Reads a file of tests/data.
std::string read_test_data(std::string_view name);

}  // namespace bounceseal::testing
