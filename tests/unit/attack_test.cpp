// attack_test.cpp - the forger's attacks (attacks.hpp) against decide():
// every one fails with its reason, with LF and with CRLF line ends; and the
// mail that is no attack still gets through (a null-sender newsletter, a
// person forwarding a bounce). The same messages go through real procmail
// and sendmail in tests/e2e/attack_test.sh.
#include <gtest/gtest.h>

#include "attacks.hpp"
#include "bounce_support.hpp"

using namespace bounceseal;
using namespace bounceseal::testing;

namespace {

const char* const kMultipartOriginal =
    "From: Alice <alice@example.test>\n"
    "To: Bob <bob@remote.example>\n"
    "Subject: figures attached\n"
    "Date: Mon, 18 Nov 2026 10:00:00 +0000\n"
    "Message-ID: <20261118100000.4712@example.test>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"orig-boundary\"\n"
    "\n"
    "--orig-boundary\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "Hello Bob, the figures.\n"
    "--orig-boundary\n"
    "Content-Type: text/csv; name=\"figures.csv\"\n"
    "Content-Disposition: attachment; filename=\"figures.csv\"\n"
    "\n"
    "month,total\njan,17\n"
    "--orig-boundary--\n";

Genuine genuine() {
    return Genuine{sealed_original(), seal_text(kMultipartOriginal, sealing(SealMode::both)), kSender};
}

VerifyPolicy policy_for(const Attack& a) {
    VerifyPolicy p = alice_policy();
    p.allow_headers_only = !a.deny_headers_only;
    return p;
}

class Attacks : public ::testing::TestWithParam<std::tuple<Attack, bool>> {};

std::string attack_name(const ::testing::TestParamInfo<std::tuple<Attack, bool>>& info) {
    return std::get<0>(info.param).name + (std::get<1>(info.param) ? "_crlf" : "_lf");
}

std::vector<Attack> every_attack() {
    std::vector<Attack> all = attacks(genuine());
    for (auto& a : recipe_attacks(genuine())) all.push_back(std::move(a));
    return all;
}

}  // namespace

TEST(AttackFixtures, TheGenuineMessagesPassOnTheirOwn) {
    // Otherwise an attack could fail for the wrong reason.
    const Genuine g = genuine();
    EXPECT_EQ(decide_text(test_bounce("sendmail-dsn.eml", g.plain)).judgement.verdict, Verdict::pass);
    EXPECT_EQ(decide_text(test_bounce("sendmail-dsn.eml", g.multipart)).judgement.verdict, Verdict::pass);
    EXPECT_NE(g.multipart.find("bounceseal-record.txt"), std::string::npos) << "not sealed with appended parts";
}

TEST_P(Attacks, IsQuarantined) {
    const auto& [attack, crlf] = GetParam();
    const std::string raw = crlf ? to_crlf(attack.bounce) : attack.bounce;
    const Decision d = decide_text(raw, policy_for(attack));
    EXPECT_TRUE(is_judged(d.kind)) << attack.what << "\n" << describe(d);
    EXPECT_EQ(d.judgement.verdict, Verdict::fail) << attack.what << "\n" << describe(d);
    EXPECT_EQ(d.judgement.reason, attack.reason) << attack.what << "\n" << describe(d);
}

INSTANTIATE_TEST_SUITE_P(Forger, Attacks, ::testing::Combine(::testing::ValuesIn(every_attack()), ::testing::Bool()),
                         attack_name);
