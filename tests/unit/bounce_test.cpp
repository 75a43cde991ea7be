// bounce_test.cpp - every shape of tests/data/bounces is classified right,
// its returned copy is found where the MTA put it, and the verdict is what
// that shape allows: pass where the whole sealed original came back,
// pass-headers-only where only its header (or a mangled body) did, fail
// no-seal for the forged ones, none for what is not a bounce (a person
// forwarding a bounce included). Each shape is tried with LF and with CRLF
// line ends.
#include <gtest/gtest.h>

#include "bounce_support.hpp"

using namespace bounceseal;
using namespace bounceseal::testing;

namespace {

struct Shape {
    const char* file;
    MessageKind kind;
    Verdict verdict;
    const char* copy_shape;  // shape of the copy the verdict came from; "" for none
    const char* path;        // its location; "" when not checked
};

// clang-format off
const Shape kShapes[] = {
    {"sendmail-dsn.eml",       MessageKind::bounce,          Verdict::pass,              "rfc822",     "3"},
    {"postfix-dsn.eml",        MessageKind::bounce,          Verdict::pass,              "rfc822",     "3"},
    {"postfix-headers.eml",    MessageKind::bounce,          Verdict::pass_headers_only, "headers",    "3"},
    {"exim.eml",               MessageKind::bounce,          Verdict::pass,              "inline",     "0"},
    {"qmail.eml",              MessageKind::bounce,          Verdict::pass,              "inline",     "0"},
    {"mbox-qmail.eml",         MessageKind::bounce,          Verdict::pass,              "inline",     "0"},
    {"gmail-qp.eml",           MessageKind::bounce,          Verdict::pass,              "inline",     "0"},
    {"office365-headers.eml",  MessageKind::bounce,          Verdict::pass_headers_only, "inline",     "1.1"},
    {"message-global.eml",     MessageKind::bounce,          Verdict::pass,              "global",     "3"},
    {"message-partial.eml",    MessageKind::bounce,          Verdict::pass,              "partial",    "3"},
    {"eml-attachment.eml",     MessageKind::bounce,          Verdict::pass,              "attachment", "2"},
    {"forwarded-bounce.eml",   MessageKind::ordinary,        Verdict::none,              "",           ""},
    {"quoted-forward.eml",     MessageKind::ordinary,        Verdict::none,              "",           ""},
    {"base64-text.eml",        MessageKind::bounce,          Verdict::pass,              "inline",     "0"},
    {"delay.eml",              MessageKind::delay,           Verdict::pass_headers_only, "headers",    "3"},
    {"rfc822-blank-line.eml",  MessageKind::bounce,          Verdict::pass,              "rfc822",     "3"},
    {"dragonfly-headers.eml",  MessageKind::bounce,          Verdict::pass_headers_only, "inline",     "0"},
    {"unfolded-headers.eml",   MessageKind::bounce,          Verdict::pass_headers_only, "inline",     "0"},
    {"nospace-qp.eml",         MessageKind::bounce,          Verdict::pass_headers_only, "inline",     "1"},
    {"notes.eml",              MessageKind::bounce,          Verdict::pass,              "inline",     "0"},
    {"list-indented.eml",      MessageKind::bounce,          Verdict::pass,              "inline",     "0"},
    {"bounce-of-forward.eml",  MessageKind::bounce,          Verdict::pass,              "rfc822",     "3"},
    {"forged-dsn.eml",         MessageKind::bounce,          Verdict::fail,              "rfc822",     "3"},
    {"forged-qmail.eml",       MessageKind::bounce,          Verdict::fail,              "inline",     "0"},
    {"forged-no-copy.eml",     MessageKind::bounce,          Verdict::fail,              "",           ""},
    {"auto-reply.eml",         MessageKind::auto_reply,      Verdict::none,              "",           ""},
    {"feedback-report.eml",    MessageKind::feedback_report, Verdict::none,              "",           ""},
    {"ordinary.eml",           MessageKind::ordinary,        Verdict::none,              "",           ""},
};
// clang-format on

class BounceShapes : public ::testing::TestWithParam<std::tuple<Shape, bool>> {};

std::string shape_name(const ::testing::TestParamInfo<std::tuple<Shape, bool>>& info) {
    std::string name = std::get<0>(info.param).file;
    name = name.substr(0, name.find('.'));
    for (char& c : name)
        if (c == '-') c = '_';
    return name + (std::get<1>(info.param) ? "_crlf" : "_lf");
}

}  // namespace

TEST_P(BounceShapes, VerdictAndLocation) {
    const auto& [shape, crlf] = GetParam();
    const std::string sealed = sealed_original();
    std::string raw = test_bounce(shape.file, sealed);
    if (crlf) raw = to_crlf(raw);

    Decision d = decide_text(raw);
    EXPECT_EQ(d.kind, shape.kind) << describe(d);
    EXPECT_EQ(d.judgement.verdict, shape.verdict) << describe(d);
    if (shape.verdict == Verdict::fail) {
        EXPECT_EQ(d.judgement.reason, Reason::no_seal) << describe(d);
    }
    if (shape.verdict == Verdict::pass || shape.verdict == Verdict::pass_headers_only) {
        EXPECT_EQ(d.judgement.domain, "example.test");
        EXPECT_EQ(d.judgement.selector, "sel1");
    }
    if (*shape.copy_shape == '\0') return;
    MessageReport report = analyze_message(raw);
    ASSERT_TRUE(report.copy) << describe(d);
    EXPECT_EQ(report.copy->where, d.where);
    EXPECT_EQ(report.copy->shape, shape.copy_shape) << describe(d);
    EXPECT_EQ(report.copy->path, shape.path) << describe(d);
    EXPECT_EQ(d.path, shape.path) << describe(d);
}

INSTANTIATE_TEST_SUITE_P(Templates, BounceShapes,
                         ::testing::Combine(::testing::ValuesIn(kShapes), ::testing::Bool()), shape_name);

TEST(BounceClassify, OwnSealFieldMakesOrdinaryMail) {
    // A colleague's sealed mail, even about a bounce, is not a bounce: its
    // own Bounce-Seal field is never taken for a returned copy.
    std::string mail = replace_once(kOriginal, "Subject: quarterly figures", "Subject: Fwd: Undeliverable: figures");
    Decision d = decide_text(seal_text(mail));
    EXPECT_EQ(d.kind, MessageKind::ordinary) << describe(d);
    EXPECT_EQ(d.judgement.verdict, Verdict::none);
}

TEST(BounceClassify, NullSenderAloneMakesNoBounce) {
    // Newsletters and calendar systems send with a null sender too: with no
    // report, no bounce words and nothing returned it is not our business.
    for (const char* mail :
         {"Return-Path: <>\nFrom: News <news@shop.example>\nSubject: offers\n\nBuy.\n",
          "Return-Path: <>\nFrom: Calendar <calendar@example.test>\nSubject: Invitation: review\nMIME-Version: 1.0\n"
          "Content-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\nEND:VCALENDAR\n"}) {
        Decision d = decide_text(mail);
        EXPECT_EQ(d.kind, MessageKind::ordinary) << describe(d);
        EXPECT_EQ(d.judgement.verdict, Verdict::none) << describe(d);
    }
    // The same sender returning a message is a bounce, whatever its words.
    Decision d = decide_text("Return-Path: <>\nFrom: News <news@shop.example>\nSubject: offers\nMIME-Version: 1.0\n"
                             "Content-Type: multipart/mixed; boundary=x\n\n--x\n\nHere.\n--x\n"
                             "Content-Type: message/rfc822\n\nFrom: a@example.test\nSubject: s\n\nhi\n--x--\n");
    EXPECT_EQ(d.kind, MessageKind::bounce) << describe(d);
    EXPECT_EQ(d.judgement.reason, Reason::no_seal) << describe(d);
}

TEST(BounceClassify, APersonForwardingABounceIsAPersonsMessage) {
    for (const char* file : {"forwarded-bounce.eml", "quoted-forward.eml"}) {
        Decision d = decide_text(test_bounce(file, sealed_original()));
        EXPECT_EQ(d.kind, MessageKind::ordinary) << file << "\n" << describe(d);
    }
}

TEST(BounceClassify, NullSenderWithASealOnTopIsStillJudged) {
    // The milter never seals null-sender mail: a seal on top is copied.
    std::string sealed = seal_text("From: alice@example.test\nTo: x@example.net\nSubject: Undeliverable: s\n\nhello\n");
    Decision d = decide_text("Return-Path: <>\n" + sealed);
    EXPECT_EQ(d.kind, MessageKind::bounce);
    EXPECT_EQ(d.judgement.verdict, Verdict::fail);
}

TEST(BounceClassify, PeopleAndShopsWritingAboutDeliveryAreNotBounces) {
    std::string shop =
        "Return-Path: <bounces@shop.example>\nFrom: Shop <noreply@shop.example>\nAuto-Submitted: auto-generated\n"
        "Subject: Your parcel\n\nYour parcel could not be delivered today; user unknown at the door.\n";
    EXPECT_EQ(decide_text(shop).kind, MessageKind::ordinary);
    std::string reply =
        "Return-Path: <carol@example.test>\nFrom: Carol <carol@example.test>\nSubject: Re: Undeliverable: figures\n\n"
        "The mail to Bob could not be delivered, I know.\n";
    EXPECT_EQ(decide_text(reply).kind, MessageKind::ordinary);
    // The recipe hands every message over: a person's words are not a bounce.
    std::string person =
        "Return-Path: <carol@example.test>\nFrom: Carol <carol@example.test>\nSubject: Delivery failed for order 42\n\n"
        "The courier says it could not be delivered.\n";
    EXPECT_EQ(decide_text(person).kind, MessageKind::ordinary);
}

TEST(BounceClassify, AutoSubmittedBounceIsStillABounce) {
    // Exim and Postfix mark their bounces auto-replied; the bounce wins.
    MessageReport r = analyze_message(test_bounce("exim.eml", sealed_original()));
    EXPECT_EQ(r.kind, MessageKind::bounce);
}

TEST(BounceClassify, ReadReceiptIsAnAutoReply) {
    std::string mdn =
        "Return-Path: <>\nFrom: Bob <bob@remote.example>\nSubject: Read: quarterly figures\n"
        "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=disposition-notification; boundary=b\n\n"
        "--b\nContent-Type: text/plain\n\nRead.\n--b\nContent-Type: message/disposition-notification\n\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\n--b--\n";
    EXPECT_EQ(decide_text(mdn).kind, MessageKind::auto_reply);
}

TEST(BounceInline, SealFieldContinuedByTagLinesIsRejoined) {
    // Only the Bounce-Seal value lost its folding white space: its "bh=",
    // "b=" ... lines must be joined back to it.
    std::string sealed = sealed_original();
    std::string headers = header_block(sealed);
    std::size_t seal = headers.find("Bounce-Seal:");
    ASSERT_NE(seal, std::string::npos);
    std::string broken = headers.substr(0, seal) + unfold_lines(headers.substr(seal));
    ASSERT_NE(broken.find("\nb="), std::string::npos) << broken;
    std::string raw = replace_once(test_bounce("dragonfly-headers.eml", sealed), headers, broken);
    Decision d = decide_text(raw);
    EXPECT_EQ(d.judgement.verdict, Verdict::pass_headers_only) << describe(d);
}

TEST(BounceInline, QuotedTwiceIsFound) {
    std::string sealed = sealed_original();
    std::string body = "Begin forwarded message:\n\n" + prefix_lines(prefix_lines(sealed, "> "), "> ");
    std::string raw = "Return-Path: <>\nFrom: MAILER-DAEMON@mx.remote.example\nSubject: failure notice\n\n" + body;
    Decision d = decide_text(raw);
    EXPECT_EQ(d.judgement.verdict, Verdict::pass) << describe(d);
}

TEST(BounceInline, ASummaryInTheMtasWordsCarriesNoSeal) {
    // Exchange 2003's "To:/Subject:/Sent:" summary is taken for the copy's
    // header (any field of a message's header starts one): it has no seal.
    Decision d = decide_text(read_test_data("bounces/forged-no-copy.eml"));
    EXPECT_EQ(d.kind, MessageKind::bounce);
    EXPECT_EQ(d.judgement.reason, Reason::no_seal) << describe(d);
}

TEST(BounceInline, AnIndentedSummaryBeforeTheCopyIsSkipped) {
    // Oracle Messaging Server indents a summary of the original in its own
    // words; the copy follows unquoted. (The forger cannot put an unquoted
    // block after a quoted copy, nor a block before his own header.)
    std::string raw = "Return-Path: <>\nFrom: MAILER-DAEMON@mx.remote.example\nSubject: failure notice\n\n"
                      "This report relates to a message you sent with the following header fields:\n\n"
                      "  Message-id: <20261118100000.4711@example.test>\n  Subject: quarterly figures\n\n"
                      "Your message cannot be delivered.\n\n" + sealed_original();
    Decision d = decide_text(raw);
    EXPECT_EQ(d.judgement.verdict, Verdict::pass) << describe(d);
}

TEST(BounceInline, SesNotificationHeaders) {
    std::string sealed = sealed_original();
    std::string seal_value;
    for (const auto& f : split_message(sealed).headers)
        if (f.name == "Bounce-Seal") seal_value = f.value;
    std::string unfolded;
    for (char c : seal_value)
        if (c != '\n' && c != '\t') unfolded += c;
    std::string raw =
        "Return-Path: <0100@amazonses.example>\nFrom: no-reply@sns.example\nSubject: AWS Notification Message\n\n"
        "{\"notificationType\":\"Bounce\",\"mail\":{\"headers\":["
        "{\"name\":\"From\",\"value\":\"Alice <alice@example.test>\"},"
        "{\"name\":\"Message-ID\",\"value\":\"<20261118100000.4711@example.test>\"},"
        "{\"name\":\"Bounce-Seal\",\"value\":\"" + unfolded + "\"}]}}\n";
    Decision d = decide_text(raw);
    EXPECT_EQ(d.kind, MessageKind::bounce);
    EXPECT_EQ(d.judgement.verdict, Verdict::pass_headers_only) << describe(d);
}

TEST(BounceCopies, Rfc822HeadersOnlyOrCutShort) {
    const std::string sealed = sealed_original();
    const std::string dsn = read_test_data("bounces/sendmail-dsn.eml");
    Decision headers = decide_text(fill_template(dsn, header_block(sealed)));
    EXPECT_EQ(headers.judgement.verdict, Verdict::pass_headers_only) << describe(headers);
    // Cut inside the body, before the seal parts (a size limit, a lost
    // closing boundary): the header seal still holds.
    std::string cut = sealed.substr(0, sealed.rfind("\n--", sealed.find("bounceseal-record.txt")) + 1);
    Decision truncated = decide_text(fill_template(dsn, cut));
    EXPECT_EQ(truncated.judgement.verdict, Verdict::pass_headers_only) << describe(truncated);
}

TEST(BounceCopies, HeaderPartsCarryingTheBodyOrGlobal) {
    const std::string sealed = sealed_original();
    std::string tmpl = read_test_data("bounces/postfix-headers.eml");
    Decision whole = decide_text(fill_template(replace_once(tmpl, "{{original-headers}}", "{{original}}"), sealed));
    EXPECT_EQ(whole.judgement.verdict, Verdict::pass) << describe(whole);
    std::string global = replace_once(tmpl, "Content-Type: text/rfc822-headers", "Content-Type: message/global-headers");
    Decision g = decide_text(fill_template(global, sealed));
    EXPECT_EQ(g.judgement.verdict, Verdict::pass_headers_only) << describe(g);
}

TEST(BounceCopies, TheReturnedCopyOutlivesItsReport) {
    // An inline copy is parsed from a text of its own, which it keeps.
    std::optional<ReturnedCopy> copy = analyze_message(test_bounce("qmail.eml", sealed_original())).copy;
    ASSERT_TRUE(copy);
    ReturnedCopy kept = std::move(*copy);
    copy.reset();
    FoundSeals seals = find_seals(kept.message.get());
    EXPECT_EQ(judge(seals, test_keyring(), alice_policy(), kNow).verdict, Verdict::pass);
}

TEST(BounceCopies, TheCopyStartsAtTheFirstHeaderBlock) {
    // Header blocks further down an inline return are the copy's body.
    std::string raw = "Return-Path: <>\nFrom: MAILER-DAEMON@mx.remote.example\nSubject: failure notice\n\n"
                      "--- Below this line is a copy of the message.\n\n"
                      "Received: from x by y; Mon, 18 Nov 2026 10:00:07 -0000\nSubject: first\n\n" +
                      sealed_original();
    MessageReport r = analyze_message(raw);
    ASSERT_TRUE(r.copy);
    EXPECT_STREQ(g_mime_message_get_subject(r.copy->message.get()), "first");
    Decision d = decide_text(raw);
    EXPECT_EQ(d.judgement.verdict, Verdict::fail) << describe(d);
    EXPECT_EQ(d.judgement.reason, Reason::no_seal) << describe(d);
}
