// text_test.cpp - the shared rules of text.hpp (case, trimming, the mbox
// "From " line) and mime_header.hpp's reading of an entity's own header,
// on the edge cases every caller relies on.
#include <gtest/gtest.h>

#include "bounceseal/encoding.hpp"
#include "bounceseal/mime.hpp"
#include "bounceseal/mime_header.hpp"
#include "bounceseal/text.hpp"

using namespace bounceseal;

TEST(Text, AsciiLowerChangesOnlyAsciiLetters) {
    EXPECT_EQ(ascii_lower('A'), 'a');
    EXPECT_EQ(ascii_lower('Z'), 'z');
    EXPECT_EQ(ascii_lower('@'), '@');  // just before 'A'
    EXPECT_EQ(ascii_lower('['), '[');  // just after 'Z'
    EXPECT_EQ(ascii_lower('\xC4'), '\xC4');  // no locale: a Latin-1 byte stays
    EXPECT_EQ(ascii_lower("Mailer-DAEMON@Example.ORG"), "mailer-daemon@example.org");
}

TEST(Text, IequalsIgnoresAsciiCaseOnly) {
    EXPECT_TRUE(iequals("Content-Type", "content-TYPE"));
    EXPECT_TRUE(iequals("", ""));
    EXPECT_FALSE(iequals("Content-Type", "Content-Typ"));
    EXPECT_FALSE(iequals("a", "b"));
    EXPECT_FALSE(iequals("@", "`"));  // 0x40 and 0x60 differ by the case bit, but are no letters
    EXPECT_FALSE(iequals("\xC4", "\xE4"));  // nor are Latin-1 letters
    EXPECT_FALSE(iequals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));  // NUL is a byte like any
}

TEST(Text, EndsWithCi) {
    EXPECT_TRUE(ends_with_ci("Report.EML", ".eml"));
    EXPECT_TRUE(ends_with_ci("x", ""));
    EXPECT_FALSE(ends_with_ci("eml", ".eml"));
    EXPECT_FALSE(ends_with_ci("report.emlx", ".eml"));
}

TEST(Text, TrimDropsSpaceTabCrLfAtBothEnds) {
    EXPECT_EQ(trim(" \t\r\n <a@b> \r\n"), "<a@b>");
    EXPECT_EQ(trim("a b"), "a b");
    EXPECT_EQ(trim(" \t\r\n"), "");
    EXPECT_EQ(trim(""), "");
    EXPECT_EQ(trim("\va\f"), "\va\f");  // only the four: a value keeps other control bytes
}

TEST(Text, MboxFromLine) {
    EXPECT_EQ(mbox_from_line("From a@b Fri Dec  4 12:00:00 2026\nSubject: x\n"),
              "From a@b Fri Dec  4 12:00:00 2026\n");
    EXPECT_EQ(mbox_from_line("From a@b Fri\r\nSubject: x\r\n"), "From a@b Fri\r\n");
    EXPECT_EQ(mbox_from_line("From a@b"), "From a@b");  // no line end: all of it
    EXPECT_EQ(mbox_from_line("From: a@b\nSubject: x\n"), "");  // a header field, not the mbox line
    EXPECT_EQ(mbox_from_line("from a@b\n"), "");
    EXPECT_EQ(mbox_from_line(" From a@b\n"), "");
    EXPECT_EQ(mbox_from_line(""), "");
}

TEST(MimeHeader, TypeAndRawValueOfAnEntity) {
    mime_init();
    const std::string text =
        "From: a@example.org\nX-Twice: first\nMessage-ID:  <1@example.org>\nX-Twice: second\n"
        "Content-Type: Text/HTML; charset=utf-8\n\n<p>x</p>\n";
    GPtr<GMimeMessage> m = parse_message(text);
    ASSERT_TRUE(m);
    GMimeObject* top = g_mime_message_get_mime_part(m.get());
    ASSERT_NE(top, nullptr);
    EXPECT_EQ(mime_type_of(top), "text/html");
    EXPECT_EQ(raw_header(GMIME_OBJECT(m.get()), "message-id").value_or("?"), "  <1@example.org>\n");
    EXPECT_EQ(raw_header(GMIME_OBJECT(m.get()), "X-Twice").value_or("?"), " first\n");
    EXPECT_FALSE(raw_header(GMIME_OBJECT(m.get()), "Subject"));

    const std::string bare = "From: a@example.org\n\nbody\n";
    GPtr<GMimeMessage> plain = parse_message(bare);
    ASSERT_TRUE(plain);
    EXPECT_EQ(mime_type_of(g_mime_message_get_mime_part(plain.get())), "text/plain");
}
