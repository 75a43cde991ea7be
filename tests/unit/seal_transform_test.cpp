// seal_transform_test.cpp - FORMAT.md 4.4: what relays and bounce generators
// really do to a message must not break its seal; any change of content must.
#include <gtest/gtest.h>

#include "bounceseal/body_in_chief.hpp"
#include "bounceseal/mime.hpp"
#include "test_support.hpp"

using namespace bounceseal;
using namespace bounceseal::testing;

namespace {

std::string convert_eol(std::string_view s, std::string_view eol) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
        if (s[i] == '\n') out += eol;
        else out += s[i];
    }
    return out;
}

// Re-encodes every leaf of the body in chief (not the seal parts) with
// `enc` and writes the message back with GMime, as a relay doing an
// 8BITMIME downgrade or a bounce generator re-serialising would.
std::string reencode(const std::string& sealed, GMimeContentEncoding enc) {
    auto msg = parse_message(sealed);
    EXPECT_TRUE(msg);
    GMimePartIter* it = g_mime_part_iter_new(GMIME_OBJECT(msg.get()));
    do {
        GMimeObject* cur = g_mime_part_iter_get_current(it);
        if (cur && GMIME_IS_PART(cur) && seal_part_kind(cur) == SealPartKind::none)
            g_mime_part_set_content_encoding(GMIME_PART(cur), enc);
    } while (g_mime_part_iter_next(it));
    g_mime_part_iter_free(it);
    char* text = g_mime_object_to_string(GMIME_OBJECT(msg.get()), nullptr);
    std::string out(text);
    g_free(text);
    return out;
}

Verdict verdict_of(const std::string& m) { return judge_text(m, alice_policy()).verdict; }
Reason reason_of(const std::string& m) { return judge_text(m, alice_policy()).reason; }

class Transform : public ::testing::TestWithParam<const char*> {
protected:
    std::string sealed() { return seal_text(read_test_data(std::string("shapes/") + GetParam())); }
};

}  // namespace

TEST_P(Transform, LineEndConversions) {
    std::string s = sealed();
    EXPECT_EQ(verdict_of(convert_eol(s, "\r\n")), Verdict::pass);
    EXPECT_EQ(verdict_of(convert_eol(convert_eol(s, "\r\n"), "\n")), Verdict::pass);
}

TEST_P(Transform, TrailingWhiteSpaceEverywhere) {
    std::string s = sealed(), out;
    bool in_body = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n') {
            // Not on empty lines: a blank-looking line ends a header block.
            if (in_body && i > 0 && s[i - 1] != '\n') out += " \t ";
            if (i > 0 && s[i - 1] == '\n') in_body = true;
        }
        out += s[i];
    }
    EXPECT_EQ(verdict_of(out), Verdict::pass);
}

TEST_P(Transform, ReencodedAsBase64AndAsQuotedPrintable) {
    std::string s = sealed();
    EXPECT_EQ(verdict_of(reencode(s, GMIME_CONTENT_ENCODING_BASE64)), Verdict::pass);
    EXPECT_EQ(verdict_of(reencode(s, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE)), Verdict::pass);
}

TEST_P(Transform, MissingFinalNewline) {
    std::string s = sealed();
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    EXPECT_EQ(verdict_of(s), Verdict::pass);
}

TEST_P(Transform, ReturnPathAndMboxFromLineInFront) {
    std::string s = sealed();
    EXPECT_EQ(verdict_of("Return-Path: <alice@example.test>\n" + s), Verdict::pass);
    EXPECT_EQ(verdict_of("From alice@example.test Wed Nov 25 10:00:00 2026\n" + s), Verdict::pass);
}

TEST_P(Transform, HeaderRefolding) {
    std::string s = sealed();
    // Unfold every header field into one line, then fold the seal differently.
    SplitMessage m = split_message(s);
    std::string out;
    for (const auto& h : m.headers) {
        std::string v = h.value;
        std::string flat;
        for (char c : v)
            if (c != '\n') flat += c;
        if (h.name == "Bounce-Seal") {
            std::string refolded;
            for (char c : flat) {
                refolded += c;
                if (c == ';') refolded += "\n   ";
            }
            flat = refolded;
        }
        out += h.name + ":" + flat + "\n";
    }
    out += "\n";
    out += m.body;
    EXPECT_EQ(verdict_of(out), Verdict::pass);
}

INSTANTIATE_TEST_SUITE_P(Shapes, Transform,
                         ::testing::Values("plain-7bit.eml", "plain-8bit.eml", "plain-qp.eml", "alternative.eml",
                                           "mixed-attachments.eml", "signed.eml", "rfc822-inside.eml"));

TEST(ContentChange, OneByteOneLineOnePart) {
    std::string s = seal_text(read_test_data("shapes/mixed-attachments.eml"));
    EXPECT_EQ(reason_of(replace_once(s, "attached report", "attached rep0rt")), Reason::body_mismatch);
    EXPECT_EQ(reason_of(replace_once(s, "and picture.\n", "and picture.\nP.S. send money\n")), Reason::body_mismatch);
    // Remove the image part.
    auto png = s.find("--mix-1\nContent-Type: image/png");
    auto next = s.find("--mix-1\n", png + 1);
    std::string removed = s.substr(0, png) + s.substr(next);
    EXPECT_EQ(reason_of(removed), Reason::body_mismatch);
    // Add a part.
    std::string added = replace_once(s, "--mix-1\nContent-Type: image/png",
                                     "--mix-1\nContent-Type: text/plain\n\nextra\n--mix-1\nContent-Type: image/png");
    EXPECT_EQ(reason_of(added), Reason::body_mismatch);
    // Swap the two attachments.
    auto pdf = s.find("--mix-1\nContent-Type: application/pdf");
    std::string pdf_part = s.substr(pdf, png - pdf);
    std::string png_part = s.substr(png, next - png);
    std::string swapped = s.substr(0, pdf) + png_part + pdf_part + s.substr(next);
    EXPECT_EQ(reason_of(swapped), Reason::body_mismatch);
}

TEST(ContentChange, MediaTypeChanged) {
    std::string s = seal_text(read_test_data("shapes/alternative.eml"));
    EXPECT_EQ(reason_of(replace_once(s, "Content-Type: text/html", "Content-Type: text/x-html")), Reason::body_mismatch);
}

TEST(ContentChange, SealPartTamperingIsBadSignature) {
    std::string s = seal_text(read_test_data("shapes/plain-7bit.eml"));
    // Move the timestamp in both carriers: the signature no longer fits.
    std::string t = "t=" + std::to_string(kNow);
    std::string forged = s;
    for (std::size_t pos; (pos = forged.find(t)) != std::string::npos;)
        forged.replace(pos, t.size(), "t=" + std::to_string(kNow + 1));
    EXPECT_EQ(reason_of(forged), Reason::bad_signature);
}

TEST(ContentChange, CarriersThatDisagreeAreMalformed) {
    std::string a = seal_text(read_test_data("shapes/plain-7bit.eml"));
    std::string b = seal_text(read_test_data("shapes/plain-7bit.eml"));  // another nonce
    SplitMessage ma = split_message(a), mb = split_message(b);
    std::string mixed;
    for (const auto& h : ma.headers) {
        std::string v = h.value;
        if (h.name == "Bounce-Seal")
            for (const auto& hb : mb.headers)
                if (hb.name == "Bounce-Seal") v = hb.value;
        mixed += h.name + ":" + v + "\n";
    }
    mixed += "\n" + std::string(ma.body);
    EXPECT_EQ(reason_of(mixed), Reason::malformed);
}
