// seal_findings_test.cpp - the sealing faults the fuzzers found
// (docs/RELIABILITY.md), each as the smallest message that shows it and the
// behaviour the fix promises: what the sealer hashes is what a verifier
// will read. The fuzzers' own reproducers are replayed by
// regressions_test.cpp.
#include <variant>

#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace bounceseal;
using namespace bounceseal::testing;

namespace {

const char* kHead =
    "From: Alice <alice@example.test>\n"
    "To: Bob <bob@example.org>\n"
    "Subject: a finding\n"
    "Message-ID: <finding@example.test>\n"
    "MIME-Version: 1.0\n";

// Sealed in every SealMode, `m` must verify: what the sealer hashed is
// what the verifier reads.
void expect_every_mode_passes(const std::string& m) {
    for (SealMode sm : {SealMode::append_only, SealMode::full, SealMode::header_only}) {
        const Judgement j = judge_text(seal_text(m, sealing(sm)), alice_policy());
        EXPECT_EQ(j.verdict, Verdict::pass) << "mode " << static_cast<int>(sm) << ": " << reason_name(j.reason);
    }
}

TEST(SealFindings, WrappedMessageEndingInAnEmptyReturnedMessage) {
    // A forwarded bounce whose message/rfc822 part is empty and has no
    // close delimiter: GMime read it differently alone (no message) and
    // inside the wrapper (an empty one), so the body hash differed.
    const std::string m = std::string(kHead) +
                          "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\n\n"
                          "--b1\nContent-Type: text/plain\n\nThe bounce.\n\n--b1\nContent-Type: message/rfc822\n\n";
    const Judgement j = judge_text(seal_text(m, sealing(SealMode::full)), alice_policy());
    EXPECT_EQ(j.verdict, Verdict::pass) << reason_name(j.reason);
}

TEST(SealFindings, NulInAHeaderIsCutAsAnMtaWould) {
    // The milter protocol carries header values as C strings; GMime too
    // stops at a NUL. The offline signer bound the Message-ID past it.
    const std::string m = std::string("From: Alice <alice@example.test>\nMessage-ID: <nul") + '\0' +
                          "after@example.test>\n\nHello.\n";
    const SplitMessage split = split_message(m);
    ASSERT_EQ(split.headers.size(), 2u);
    EXPECT_EQ(split.headers[1].value, " <nul");
    const Judgement j = judge_text(seal_text(m, sealing(SealMode::append_only)), alice_policy());
    EXPECT_EQ(j.verdict, Verdict::pass) << reason_name(j.reason);
}

TEST(SealFindings, TwoContentTypeFieldsAreNotAppendedTo) {
    // The first says multipart/mixed, GMime (and the verifier) read the
    // last: parts appended to the first would never be found.
    const std::string m = std::string(kHead) +
                          "Content-Type: multipart/mixed; boundary=\"m2\"\n"
                          "Content-Type: text/plain; charset=us-ascii\n\n"
                          "--m2\nContent-Type: text/plain\n\nwhich one?\n--m2--\n";
    const SplitMessage split = split_message(m);
    const SealPlan plan =
        plan_of(plan_seal(split.headers, split.body, kSender, test_key(), sealing(SealMode::append_only)));
    EXPECT_EQ(plan.shape, "header-only");
    expect_every_mode_passes(m);
}

TEST(SealFindings, HeaderSealBesideAnotherCohortsPartsIsCheckedAgainstTheWholeBody) {
    // Sealed with parts by another cohort, then in the header only by us:
    // our field has no parts of its own, so the whole body must be hashed
    // for it, although other parts came back (FORMAT.md 7, step 3).
    const std::string m = std::string(kHead) +
                          "Content-Type: multipart/mixed; boundary=\"m3\"\n\n"
                          "--m3\nContent-Type: text/plain\n\nhello\n--m3--\n";
    SealKey other{"other.example", "o1", PrivateKey::generate()};
    const std::string theirs = seal_text(m, sealing(SealMode::append_only), other);
    ASSERT_NE(theirs.find("bounceseal-record.txt"), std::string::npos) << "their parts appended";
    const std::string ours = seal_text(theirs, sealing(SealMode::header_only));
    const Judgement j = judge_text(ours, alice_policy());
    EXPECT_EQ(j.verdict, Verdict::pass) << reason_name(j.reason);
    EXPECT_EQ(j.domain, "example.test");
    // And with both keys trusted, theirs still verifies too.
    Keyring both = test_keyring();
    both.add("other.example", "o1", other.key.public_key());
    EXPECT_EQ(judge_text(ours, alice_policy(), kNow, both).verdict, Verdict::pass);
}

TEST(SealFindings, CloseDelimiterFollowedByALoneCrIsNotAppendedTo) {
    // "--m4--" then CR and text on the same line: the sealer took the CR
    // for a line end and put the parts before it, but GMime sees no close
    // delimiter there, so the signature part ran on to the end.
    const std::string m = std::string(kHead) +
                          "Content-Type: multipart/mixed; boundary=\"m4\"\r\n\r\n"
                          "--m4\r\nContent-Type: text/plain\r\n\r\nhi\r\n--m4--\r\x90"
                          "epilogue\r\n";
    const SplitMessage split = split_message(m);
    EXPECT_NE(plan_of(plan_seal(split.headers, split.body, kSender, test_key(), sealing(SealMode::append_only))).shape,
              "appended");
    expect_every_mode_passes(m);
}

TEST(SealFindings, SealPartsOfTheSignerWithABrokenFieldAreNotSealedAgain) {
    // The Bounce-Seal field of an earlier seal of ours was damaged, its
    // parts were not: a second seal would contradict them. plan_seal()
    // answers "already sealed", as seal_precheck() does when the field is
    // intact: a reason not to seal, not an error.
    std::string sealed = seal_text(std::string(kHead) +
                                   "Content-Type: multipart/mixed; boundary=\"m5\"\n\n"
                                   "--m5\nContent-Type: text/plain\n\nhello\n--m5--\n");
    const std::size_t n = sealed.find(" n=");
    ASSERT_NE(n, std::string::npos);
    sealed[n + 4] = '\x80';
    const SplitMessage split = split_message(sealed);
    ASSERT_FALSE(seal_precheck(split.headers, "example.test"));
    for (SealMode sm : {SealMode::append_only, SealMode::full, SealMode::header_only}) {
        const SealResult planned = plan_seal(split.headers, split.body, kSender, test_key(), sealing(sm));
        const SealSkip* skip = std::get_if<SealSkip>(&planned);
        ASSERT_NE(skip, nullptr) << "sealed again in mode " << static_cast<int>(sm);
        EXPECT_EQ(skip->reason, SkipReason::already_sealed);
        EXPECT_EQ(skip->detail, "seal parts of example.test are in the body already");
    }
    // Another signer may still seal it.
    SealKey other{"other.example", "o1", PrivateKey::generate()};
    EXPECT_EQ(plan_of(plan_seal(split.headers, split.body, kSender, other, sealing(SealMode::append_only))).shape,
              "appended");
}

TEST(SealFindings, InnerMultipartWithTheSameBoundaryIsNotAppendedTo) {
    // A part whose second Content-Type names a multipart with the outer
    // boundary: GMime gives it the outer close delimiter, so parts appended
    // before that would sit inside it, not at the top where they are read.
    const std::string m = std::string(kHead) +
                          "Content-Type: multipart/mixed; boundary=\"m6\"\n\n"
                          "--m6\nContent-Type: text/plain\n\nfirst\n"
                          "--m6\nContent-Type: message/delivery-status\n"
                          "Content-Type: multipart/mixed; boundary=\"m6\"\n\n"
                          "--m6\nContent-Type: text/plain\n\ninner\n"
                          "--m6--\n";
    const SplitMessage split = split_message(m);
    EXPECT_NE(plan_of(plan_seal(split.headers, split.body, kSender, test_key(), sealing(SealMode::append_only))).shape,
              "appended");
    expect_every_mode_passes(m);
}

TEST(SealFindings, ReturnedMessageWithTheSameBoundaryIsNotAppendedTo) {
    // The same inside a message/rfc822 part: the returned message's own
    // multipart uses the outer boundary and takes the close delimiter.
    const std::string m = std::string(kHead) +
                          "Content-Type: multipart/mixed; boundary=\"m7\"\n\n"
                          "--m7\nContent-Type: text/plain\n\nfirst\n"
                          "--m7\nContent-Type: message/rfc822\n\n"
                          "Subject: returned\nContent-Type: multipart/mixed; boundary=\"m7\"\n\n"
                          "preamble only\n"
                          "--m7--\n";
    const SplitMessage split = split_message(m);
    EXPECT_NE(plan_of(plan_seal(split.headers, split.body, kSender, test_key(), sealing(SealMode::append_only))).shape,
              "appended");
    expect_every_mode_passes(m);
}

TEST(SealFindings, ContentThatLooksLikeASealPartIsWrappedAndCovered) {
    // A single-part message whose text starts like a seal part. The
    // verifier once skipped any part that started with an intro line, so
    // such content was sealed in the header only; a part is now seal
    // content only in a well-formed pair (FORMAT.md 4.1), so it is wrapped
    // like any other message and the seal covers it: changing it fails.
    for (std::string_view intro : {kRecordIntro, kSignatureIntro}) {
        const std::string m = std::string(kHead) + "Content-Type: text/plain\n\n" + std::string(intro) +
                              "\nand then ordinary text.\n";
        const SplitMessage split = split_message(m);
        EXPECT_EQ(plan_of(plan_seal(split.headers, split.body, kSender, test_key(), wrapping())).shape, "wrapped") << intro;
        expect_every_mode_passes(m);
        std::string sealed = seal_text(m, wrapping());
        const std::size_t at = sealed.find("ordinary");
        ASSERT_NE(at, std::string::npos);
        sealed.replace(at, 8, "tampered");
        const Judgement j = judge_text(sealed, alice_policy());
        EXPECT_EQ(j.verdict, Verdict::fail) << intro;
        EXPECT_EQ(j.reason, Reason::body_mismatch) << intro << ": " << reason_name(j.reason);
    }
}

}  // namespace
