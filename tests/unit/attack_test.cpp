// attack_test.cpp - the forger's attacks (attacks.hpp) against decide():
// every one fails with its reason, with LF and with CRLF line ends; and the
// mail that is no attack still gets through (a null-sender newsletter, a
// person forwarding a bounce). The same messages go through real procmail
// and sendmail in tests/e2e/attack_test.sh. And the property of the fuzz
// target fuzz_returned on its seeds: genuine seals below the returned
// copy's own top never give pass, pass-headers-only or none.
#include <gtest/gtest.h>

#include "attacks.hpp"
#include "bounce_support.hpp"
#include "checks.hpp"

using namespace bounceseal;
using namespace bounceseal::testing;

namespace {

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
    std::vector<Attack> all = attacks(test_genuine());
    for (auto& a : recipe_attacks(test_genuine())) all.push_back(std::move(a));
    return all;
}

}  // namespace

TEST(AttackFixtures, TheGenuineMessagesPassOnTheirOwn) {
    // Otherwise an attack could fail for the wrong reason.
    const Genuine g = test_genuine();
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

TEST(ReturnedCopyProperty, GenuineSealsBelowTheCopysTopNeverPass) {
    // The seeds of fuzz_returned, checked in every build: every template,
    // every layout, every payload gives fail.
    std::size_t judged = 0;
    for (std::size_t t = 0; t < bounceseal::testing::kBounceTemplateCount; ++t) {
        for (int layout = 0; layout < 6; ++layout) {
            for (const auto& payload : forger_payloads(test_genuine())) {
                const std::string input = std::string{static_cast<char>(t), static_cast<char>(layout)} + payload;
                EXPECT_NO_THROW(fuzz::check_returned(input)) << bounceseal::testing::kBounceTemplates[t].name << " layout " << layout;
                const Decision d = decide_text(fuzz::returned_bounce(input));
                EXPECT_FALSE(d.where.empty()) << bounceseal::testing::kBounceTemplates[t].name << ": no copy found\n" << describe(d);
                ++judged;
            }
        }
    }
    EXPECT_EQ(judged, bounceseal::testing::kBounceTemplateCount * 6 * forger_payloads(test_genuine()).size());
}

TEST(Residual, TransplantedFieldIsHeadersOnlyAtBest) {
    // The replay SECURITY.md names: alice's genuine Bounce-Seal field (and
    // her Message-ID) copied into the spam's own header is the copy's own
    // seal. Its body was replaced and no seal parts came back: never a
    // full pass; pass-headers-only while HeadersOnly allows it, fail with
    // HeadersOnly deny.
    const Genuine g = test_genuine();
    std::string header = g.plain.substr(0, g.plain.find("\n\n") + 1);
    std::string field = header.substr(header.find("Bounce-Seal:"));
    field = field.substr(0, field.find("\nContent-") == std::string::npos ? field.size() : field.find("\nContent-") + 1);
    const std::string spam =
        "From: alice@example.test\nTo: victim@spam-target.example\nSubject: offer\n"
        "Message-ID: <20261118100000.4711@example.test>\n" + field + "\nCheap watches, today only.\n";
    const std::string bounce = test_bounce("sendmail-dsn.eml", spam);
    const Decision allow = decide_text(bounce);
    EXPECT_EQ(allow.judgement.verdict, Verdict::pass_headers_only) << describe(allow);
    VerifyPolicy deny = alice_policy();
    deny.allow_headers_only = false;
    const Decision denied = decide_text(bounce, deny);
    EXPECT_EQ(denied.judgement.verdict, Verdict::fail) << describe(denied);
    EXPECT_EQ(denied.judgement.reason, Reason::headers_only) << describe(denied);
}

TEST(Residual, AReplayedMessageCarriesJunkOnlyWhereTheSealDoesNotReach) {
    // SECURITY.md's replay to the same sender: alice's genuine message sent
    // again whole, within MaxAge, passes; what a forger can change without
    // breaking it is what the seal does not cover (FORMAT.md 4.4): header
    // fields but the Message-ID, and the text around the parts. A part
    // added or changed is caught.
    const Genuine g = test_genuine();
    std::string replay = replace_once(g.multipart, "Subject: figures attached", "Subject: Cheap watches, today only");
    replay = replace_once(replay, "\n\n--orig-boundary\n", "\n\nCheap watches, today only.\n--orig-boundary\n");
    Decision d = decide_text(test_bounce("sendmail-dsn.eml", replay));
    EXPECT_EQ(d.judgement.verdict, Verdict::pass) << describe(d);
    std::string changed = replace_once(g.multipart, "Hello Bob, the figures.", "Cheap watches, today only.");
    d = decide_text(test_bounce("sendmail-dsn.eml", changed));
    EXPECT_EQ(d.judgement.reason, Reason::body_mismatch) << describe(d);
}
