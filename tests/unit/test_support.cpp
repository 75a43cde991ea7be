// test_support.cpp - shared fixtures of the unit tests.
#include "test_support.hpp"

#include <fstream>
#include <sstream>
#include <variant>

#include <gtest/gtest.h>

#include "bounceseal/mime.hpp"

namespace bounceseal::testing {

PrivateKey vector_key() {
    Bytes seed(32);
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(i);
    return PrivateKey::from_seed(seed);
}

SealKey test_key(std::string selector) { return SealKey{"example.test", std::move(selector), vector_key()}; }

Keyring test_keyring() {
    Keyring ring;
    ring.add("example.test", "sel1", vector_key().public_key());
    return ring;
}

SealOptions sealing(SealMode mode) {
    SealOptions o;
    o.mode = mode;
    return o;
}

SealOptions wrapping() { return sealing(SealMode::full); }

VerifyPolicy alice_policy() {
    VerifyPolicy p;
    p.recipients = {kSender};
    return p;
}

SealPlan plan_of(SealResult planned) {
    if (const SealSkip* skip = std::get_if<SealSkip>(&planned)) {
        ADD_FAILURE() << "not sealed: " << skip_reason_name(skip->reason) << ": " << skip->detail;
        return {};
    }
    return std::move(std::get<SealPlan>(planned));
}

std::string seal_text(std::string_view message, const SealOptions& options, const SealKey& key,
                      std::string_view sender) {
    SplitMessage m = split_message(message);
    SealOptions o = options;
    if (o.now == 0) o.now = kNow;
    if (o.eol.empty()) o.eol = m.eol;
    const SealPlan plan = plan_of(plan_seal(m.headers, m.body, sender, key, o));
    return apply_seal_plan(m.headers, m.body, plan, m.eol);
}

Judgement judge_text(std::string_view message, const VerifyPolicy& policy, std::int64_t now, const Keyring& keyring) {
    auto msg = parse_message(message);
    EXPECT_TRUE(msg) << "not a message";
    if (!msg) return {};
    return judge(find_seals(msg.get()), keyring, policy, now);
}

std::string replace_once(std::string s, std::string_view from, std::string_view to) {
    auto pos = s.find(from);
    EXPECT_NE(pos, std::string::npos) << "'" << from << "' not found";
    if (pos != std::string::npos) s.replace(pos, from.size(), to);
    return s;
}

std::string read_test_data(std::string_view name) {
    std::ifstream in(std::string(BOUNCESEAL_TEST_DATA) + "/" + std::string(name), std::ios::binary);
    EXPECT_TRUE(in) << "missing test data " << name;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace bounceseal::testing
