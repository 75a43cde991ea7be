// bounded_parse_test.cpp - the guard in front of GMime (bounce_guard.cpp):
// nesting spelled every way GMime reads a Content-Type field, header fields,
// parts without a Content-Type field and boundary comparisons are all
// counted, so hostile input fails as malformed before GMime builds it; and
// genuine bounces just under the limits still pass. The figures of the same
// inputs at full size are in docs/RELIABILITY.md (tests/hardening).
#include <gtest/gtest.h>

#include "bounce_support.hpp"

using namespace bounceseal;
using namespace bounceseal::testing;

namespace {

const char* kDsnHead = "Return-Path: <>\nFrom: MAILER-DAEMON@x.example\nSubject: Returned mail\n";

// Malformed, and for the reason `limit` names (the guard's step says which).
void expect_malformed(const std::string& raw, const std::string& what, const std::string& limit) {
    const Decision d = decide_text(raw);
    EXPECT_EQ(d.judgement.verdict, Verdict::fail) << what << "\n" << describe(d);
    EXPECT_EQ(d.judgement.reason, Reason::malformed) << what << "\n" << describe(d);
    EXPECT_NE(describe(d).find(limit), std::string::npos) << what << "\n" << describe(d);
}

// `levels` nested multiparts, each declared by `spelling` + " multipart/mixed; ...".
std::string nested(const std::string& spelling, int levels) {
    std::string raw = kDsnHead, tail;
    for (int i = 0; i < levels; ++i) {
        raw += spelling + " multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\n\n--b" + std::to_string(i) + "\n";
        tail = "--b" + std::to_string(i) + "--\n" + tail;
    }
    return raw + "\nx\n" + tail;
}

}  // namespace

TEST(BoundedParse, NestingCountsEverySpellingOfContentType) {
    // GMime 3.2 reads each of these as a Content-Type field.
    for (const std::string spelling :
         {"Content-Type:", "Content-Type :", "content-type\t:", "CONTENT-TYPE  :", "Content-Type:\n"}) {
        expect_malformed(nested(spelling, 3000), "spelled '" + spelling + "'", "Content-Type fields");
    }
}

TEST(BoundedParse, HeaderFieldsAreCountedWhereverAHeaderBlockCanStart) {
    const std::string genuine = test_bounce("sendmail-dsn.eml", sealed_original());
    std::string filler;
    for (int i = 0; i < 100001; ++i) filler += "X-F" + std::to_string(i) + ": v\n";
    expect_malformed(replace_once(genuine, "Subject:", filler + "Subject:"), "in the bounce's own header",
                     "header fields");
    expect_malformed(test_bounce("sendmail-dsn.eml", filler + sealed_original()), "in the returned message's header",
                     "header fields");
    // In a body they are text: a text part full of "name: value" lines is fine.
    const std::string text = replace_once(genuine, "The original message was received", filler + "The original");
    EXPECT_EQ(decide_text(text).judgement.verdict, Verdict::pass) << describe(decide_text(text));
    // And just under the limit, the bounce is judged as usual.
    std::string fewer;
    for (int i = 0; i < 90000; ++i) fewer += "X-F" + std::to_string(i) + ": v\n";
    const Decision under = decide_text(replace_once(genuine, "Subject:", fewer + "Subject:"));
    EXPECT_EQ(under.judgement.verdict, Verdict::pass) << describe(under);
}

TEST(BoundedParse, PartsWithoutAContentTypeAreCounted) {
    std::string raw = std::string(kDsnHead) + "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"bare\"\n\n";
    for (int i = 0; i < 2001; ++i) raw += "--bare\n\npart\n";
    expect_malformed(raw + "--bare--\n", "2001 parts without a Content-Type field", "MaxParts");
}

TEST(BoundedParse, BoundaryComparisonsAreBounded) {
    // 2000 open multiparts and a text of lines starting with "--": GMime
    // would compare every such line with every open boundary.
    std::string raw = nested("Content-Type:", 1500);
    std::string dashes;
    for (int i = 0; i < 200000; ++i) dashes += "--not-a-boundary\n";
    expect_malformed(replace_once(raw, "\nx\n", "\n" + dashes), "lines starting with -- against deep nesting",
                     "against too many boundaries");
}
