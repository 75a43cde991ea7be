// seal_roundtrip_test.cpp - a sealed message verifies; every change of its
// content breaks it; the transformations of FORMAT.md do not.
#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace bounceseal;
using namespace bounceseal::testing;

namespace {

const char* kPlain =
    "From: Alice <alice@example.test>\n"
    "To: bob@example.test\n"
    "Subject: lunch\n"
    "Message-ID: <m1@example.test>\n"
    "\n"
    "Hello Bob,\n"
    "shall we have lunch at noon?\n"
    "\n"
    "Alice\n";

}  // namespace

TEST(SealRoundTrip, PlainMessagePasses) {
    std::string sealed = seal_text(kPlain);
    Judgement j = judge_text(sealed, alice_policy());
    EXPECT_EQ(j.verdict, Verdict::pass) << reason_name(j.reason);
    EXPECT_EQ(j.selector, "sel1");
}

TEST(SealRoundTrip, OneChangedByteFails) {
    std::string sealed = seal_text(kPlain);
    Judgement j = judge_text(replace_once(sealed, "noon", "nooN"), alice_policy());
    EXPECT_EQ(j.verdict, Verdict::fail);
    EXPECT_EQ(j.reason, Reason::body_mismatch);
}

TEST(SealRoundTrip, CrlfConversionAndTrailingSpaceSurvive) {
    std::string sealed = seal_text(kPlain);
    std::string crlf;
    for (char c : sealed) {
        if (c == '\n') crlf += "\r\n";
        else crlf += c;
    }
    crlf = replace_once(crlf, "at noon?\r\n", "at noon?  \t\r\n");
    Judgement j = judge_text(crlf, alice_policy());
    EXPECT_EQ(j.verdict, Verdict::pass) << reason_name(j.reason);
}

TEST(SealRoundTrip, OtherMailboxIsBindingMismatch) {
    VerifyPolicy p;
    p.recipients = {"bob@example.test"};
    Judgement j = judge_text(seal_text(kPlain), p);
    EXPECT_EQ(j.reason, Reason::binding_mismatch);
}
