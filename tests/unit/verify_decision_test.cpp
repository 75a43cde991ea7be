// verify_decision_test.cpp - every verdict and reason decide() can give, on
// bounces built from tests/data/bounces: pass, pass-headers-only, and fail
// for no-seal, bad-signature, unknown-key, expired, future, body-mismatch,
// binding-mismatch, headers-only and malformed (limits, hostile input);
// none for what is not a bounce. Also: of several returned messages, the
// first is the copy, and only it is judged.
#include <gtest/gtest.h>

#include "bounce_support.hpp"
#include "bounceseal/error.hpp"

using namespace bounceseal;
using namespace bounceseal::testing;

namespace {

constexpr std::int64_t kDay = 86400;

void expect(const Decision& d, Verdict v, Reason r) {
    EXPECT_EQ(d.judgement.verdict, v) << describe(d);
    EXPECT_EQ(d.judgement.reason, r) << describe(d);
}

// The sealed original with its signature changed in one bit, in the
// Bounce-Seal field and the signature part alike.
std::string with_flipped_signature(std::string sealed) {
    std::string value;
    for (const auto& f : split_message(sealed).headers)
        if (f.name == "Bounce-Seal") value = f.value;
    Bytes sig = parse_header_value(value).signature;
    std::string before = base64_encode(sig);
    sig[10] ^= 0x01;
    std::string after = base64_encode(sig);
    for (std::size_t pos; (pos = sealed.find(before)) != std::string::npos;) sealed.replace(pos, before.size(), after);
    return sealed;
}

std::string two_copies(std::string_view first, std::string_view second) {
    return "Return-Path: <>\nFrom: MAILER-DAEMON@mx.remote.example\nSubject: Returned mail\n"
           "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"two\"\n\n"
           "--two\nContent-Type: text/plain\n\nTwo messages could not be delivered.\n"
           "--two\nContent-Type: message/rfc822\n\n" +
           std::string(first) + "\n--two\nContent-Type: message/rfc822\n\n" + std::string(second) + "\n--two--\n";
}

}  // namespace

TEST(VerifyDecision, Pass) {
    Decision d = decide_text(test_bounce("sendmail-dsn.eml", sealed_original()));
    expect(d, Verdict::pass, Reason::ok);
    EXPECT_EQ(d.bounce_message_id, "<202611181000.4AIA0a1b000123@mx.remote.example>");
}

TEST(VerifyDecision, PassHeadersOnly) {
    expect(decide_text(test_bounce("postfix-headers.eml", sealed_original())), Verdict::pass_headers_only,
           Reason::ok);
}

TEST(VerifyDecision, HeadersOnlyDenied) {
    VerifyPolicy p = alice_policy();
    p.allow_headers_only = false;
    expect(decide_text(test_bounce("postfix-headers.eml", sealed_original()), p), Verdict::fail,
           Reason::headers_only);
}

TEST(VerifyDecision, NoSeal) {
    expect(decide_text(read_test_data("bounces/forged-dsn.eml")), Verdict::fail, Reason::no_seal);
    expect(decide_text(read_test_data("bounces/forged-no-copy.eml")), Verdict::fail, Reason::no_seal);
}

TEST(VerifyDecision, BadSignature) {
    std::string raw = test_bounce("sendmail-dsn.eml", with_flipped_signature(sealed_original()));
    expect(decide_text(raw), Verdict::fail, Reason::bad_signature);
}

TEST(VerifyDecision, UnknownKey) {
    std::string raw = test_bounce("sendmail-dsn.eml", sealed_original({}, test_key("retired")));
    expect(decide_text(raw), Verdict::fail, Reason::unknown_key);
}

TEST(VerifyDecision, Expired) {
    SealOptions o;
    o.now = kNow - 11 * kDay;  // MaxAge is 10 days
    expect(decide_text(test_bounce("sendmail-dsn.eml", sealed_original(o))), Verdict::fail, Reason::expired);
    o.now = kNow - 9 * kDay;
    expect(decide_text(test_bounce("sendmail-dsn.eml", sealed_original(o))), Verdict::pass, Reason::ok);
}

TEST(VerifyDecision, Future) {
    SealOptions o;
    o.now = kNow + 3600;  // ClockSkew is 5 minutes
    expect(decide_text(test_bounce("sendmail-dsn.eml", sealed_original(o))), Verdict::fail, Reason::future);
}

TEST(VerifyDecision, BodyMismatchInAFaithfulCopy) {
    std::string tampered = replace_once(sealed_original(), "42 in the third", "24 in the third");
    expect(decide_text(test_bounce("sendmail-dsn.eml", tampered)), Verdict::fail, Reason::body_mismatch);
}

TEST(VerifyDecision, MangledBodyOfAnInlineCopyCountsAsHeadersOnly) {
    // Text cut out of a report may have been changed by the MTA; its
    // header seal still proves the header came from us.
    std::string tampered = replace_once(sealed_original(), "42 in the third", "24 in the third");
    Decision d = decide_text(test_bounce("qmail.eml", tampered));
    expect(d, Verdict::pass_headers_only, Reason::ok);
}

TEST(VerifyDecision, BindingMismatchForAnotherMailbox) {
    // A genuine seal copied onto a bounce to another of our users.
    VerifyPolicy p;
    p.recipients = {"bob@example.test"};
    expect(decide_text(test_bounce("sendmail-dsn.eml", sealed_original()), p), Verdict::fail,
           Reason::binding_mismatch);
    p.recipients = {"bob@example.test", "ALICE@example.test"};
    expect(decide_text(test_bounce("sendmail-dsn.eml", sealed_original()), p), Verdict::pass, Reason::ok);
}

TEST(VerifyDecision, BindingMismatchForAnotherMessageId) {
    std::string moved = replace_once(sealed_original(), "<20261118100000.4711@example.test>", "<other.1@example.test>");
    expect(decide_text(test_bounce("sendmail-dsn.eml", moved)), Verdict::fail, Reason::binding_mismatch);
}

TEST(VerifyDecision, OnlyTheFirstReturnedMessageIsJudged) {
    // One copy, its own seal: a second message/rfc822 part of the bounce is
    // not a second chance.
    std::string forged = "From: alice@example.test\nSubject: spam\nMessage-ID: <s@x.invalid>\n\nspam\n";
    std::string sealed = sealed_original();
    Decision d = decide_text(two_copies(sealed, forged));
    expect(d, Verdict::pass, Reason::ok);
    EXPECT_EQ(d.path, "2");
    d = decide_text(two_copies(forged, sealed));
    expect(d, Verdict::fail, Reason::no_seal);
    EXPECT_EQ(d.path, "2");
    std::string foreign = seal_text(kOriginal, {}, SealKey{"other.example", "x1", vector_key()});
    expect(decide_text(two_copies(foreign, sealed)), Verdict::fail, Reason::unknown_key);
}

TEST(VerifyDecision, NotABounceHasNoVerdict) {
    for (const char* file : {"auto-reply.eml", "feedback-report.eml", "ordinary.eml"}) {
        Decision d = decide_text(test_bounce(file, sealed_original()));
        expect(d, Verdict::none, Reason::ok);
    }
}

TEST(VerifyDecision, BounceOverTheLimitsIsMalformed) {
    std::string raw = test_bounce("bounce-of-forward.eml", sealed_original());
    BounceLimits parts;
    parts.max_parts = 3;
    expect(decide_text(raw, alice_policy(), parts), Verdict::fail, Reason::malformed);
    BounceLimits depth;
    depth.max_depth = 1;
    expect(decide_text(raw, alice_policy(), depth), Verdict::fail, Reason::malformed);
    BounceLimits size;
    size.max_size = raw.size() - 1;
    Decision d = decide_text(raw, alice_policy(), size);
    expect(d, Verdict::fail, Reason::malformed);
    EXPECT_NE(describe(d).find("MaxInputSize"), std::string::npos) << describe(d);
    size.max_size = raw.size();
    expect(decide_text(raw, alice_policy(), size), Verdict::pass, Reason::ok);
}

TEST(VerifyDecision, OrdinaryMailOverTheSizeLimitHasNoVerdict) {
    std::string raw = read_test_data("bounces/ordinary.eml");
    BounceLimits size;
    size.max_size = 100;
    expect(decide_text(raw, alice_policy(), size), Verdict::none, Reason::ok);
}

TEST(VerifyDecision, DeepNestingIsMalformedNotACrash) {
    std::string raw = "Return-Path: <>\nFrom: MAILER-DAEMON@x.example\nSubject: Returned mail\n";
    std::string tail;
    for (int i = 0; i < 3000; ++i) {
        raw += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\n\n--b" + std::to_string(i) + "\n";
        tail = "--b" + std::to_string(i) + "--\n" + tail;
    }
    raw += "\nx\n" + tail;
    expect(decide_text(raw), Verdict::fail, Reason::malformed);
}

TEST(VerifyDecision, HostileInputNeverThrows) {
    std::string many_blocks = "Return-Path: <>\nFrom: MAILER-DAEMON@x.example\nSubject: failure notice\n\n";
    for (int i = 0; i < 100; ++i)
        many_blocks += "> Received: x\n> Message-ID: <" + std::to_string(i) + "@x>\n> From: a\n> Date: d\n\ntext\n\n";
    const std::string inputs[] = {
        "",
        std::string("\0\1\2\3\xff\xfe", 6),
        "Return-Path: <>\nFrom: MAILER-DAEMON@x.example\n\n",
        "Return-Path: <>\nFrom: MAILER-DAEMON@x.example\nContent-Type: multipart/report; boundary=x\n\n--x\n",
        "Return-Path: <>\nFrom: MAILER-DAEMON@x.example\nSubject: " + std::string(1 << 20, 'A') + "\n\nbody\n",
        "From: MAILER-DAEMON@x.example\nContent-Type: message/rfc822\n\n\n\n",
        "From: MAILER-DAEMON@x.example\n\n" + std::string(2000, '>') + " Bounce-Seal: v=1; b=\n",
        "From: MAILER-DAEMON@x.example\n\n{\"notificationType\":\"Bounce\",\"headers\":[{\"name\":\"\\u",
        many_blocks,
    };
    for (const auto& raw : inputs) {
        Decision d;
        EXPECT_NO_THROW(d = decide_text(raw)) << raw.substr(0, 80);
        EXPECT_NE(d.judgement.verdict, Verdict::pass) << describe(d);
    }
}
