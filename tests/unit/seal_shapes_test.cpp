// seal_shapes_test.cpp - every MIME shape of tests/data/shapes, with LF and
// with CRLF line ends, seals and verifies; the original content stays byte
// for byte; in the default mode every shape but the documented exceptions
// carries both seal parts; the seal has the documented size.
#include <cstring>
#include <map>

#include <gtest/gtest.h>

#include "bounceseal/body_in_chief.hpp"
#include "bounceseal/mime.hpp"
#include "test_support.hpp"

using namespace bounceseal;
using namespace bounceseal::testing;

namespace {

const char* kShapes[] = {
    "plain-7bit.eml",      "plain-8bit.eml",        "plain-latin1.eml", "plain-qp.eml",
    "plain-base64.eml",    "no-mime-version.eml",   "mixed-attachments.eml", "alternative.eml",
    "related.eml",         "signed.eml",            "smime-signed.eml", "rfc822-inside.eml",
    "preamble-epilogue.eml", "empty-body.eml",      "8bit-headers.eml", "encrypted.eml",
    "report.eml",
};

// The shapes the default mode seals in the header only (FORMAT.md 6.1),
// with the reason it gives.
const std::map<std::string, std::string> kHeaderOnly = {
    {"encrypted.eml", "encrypted"},
    {"report.eml", "report"},
};

std::string to_crlf(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

VerifyPolicy for_alice() {
    VerifyPolicy p;
    p.recipients = {kSender};
    return p;
}

struct ShapeCase {
    std::string name;
    bool crlf;
};

std::string case_name(const ::testing::TestParamInfo<ShapeCase>& info) {
    std::string n = info.param.name.substr(0, info.param.name.find('.'));
    for (char& c : n)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
    return n + (info.param.crlf ? "_crlf" : "_lf");
}

std::vector<ShapeCase> all_cases() {
    std::vector<ShapeCase> v;
    for (const char* s : kShapes) {
        v.push_back({s, false});
        v.push_back({s, true});
    }
    return v;
}

}  // namespace

class SealShape : public ::testing::TestWithParam<ShapeCase> {
protected:
    std::string original() const {
        std::string m = read_test_data("shapes/" + GetParam().name);
        return GetParam().crlf ? to_crlf(m) : m;
    }
};

TEST_P(SealShape, SealedMessageVerifies) {
    std::string sealed = seal_text(original());
    Judgement j = judge_text(sealed, for_alice());
    EXPECT_EQ(j.verdict, Verdict::pass) << reason_name(j.reason);
}

TEST_P(SealShape, OriginalBodyBytesAreKept) {
    std::string msg = original();
    SplitMessage m = split_message(msg);
    std::string sealed = seal_text(msg);
    SplitMessage s = split_message(sealed);
    std::string_view body = m.body;
    std::size_t close = body.rfind(GetParam().crlf ? "\r\n--" : "\n--");
    bool appended = s.body.find(std::string(body.substr(0, close))) == 0 && close != std::string_view::npos &&
                    msg.find("multipart/mixed") != std::string::npos;
    if (appended) {
        // Everything up to the close delimiter, and from it on, is unchanged.
        EXPECT_TRUE(s.body.starts_with(body.substr(0, close)));
        EXPECT_TRUE(s.body.ends_with(body.substr(close)));
    } else {
        EXPECT_NE(s.body.find(body), std::string_view::npos) << "original body not found verbatim";
    }
}

TEST_P(SealShape, DefaultModeGivesTheDocumentedShape) {
    const std::string msg = original();
    const SplitMessage m = split_message(msg);
    SealOptions o;  // the default mode
    o.now = kNow;
    o.eol = m.eol;
    const SealPlan plan = plan_of(plan_seal(m.headers, m.body, kSender, test_key(), o));
    const auto exception = kHeaderOnly.find(GetParam().name);
    if (exception != kHeaderOnly.end()) {
        EXPECT_EQ(plan.shape, "header-only");
        EXPECT_EQ(plan.why_header_only, exception->second);
        EXPECT_FALSE(plan.replace_body);
    } else {
        EXPECT_EQ(plan.shape, GetParam().name.find("mixed") != std::string::npos ||
                                      GetParam().name == "rfc822-inside.eml" ||
                                      GetParam().name == "preamble-epilogue.eml"
                                  ? "appended"
                                  : "wrapped");
        EXPECT_EQ(plan.why_header_only, "");
    }
}

TEST_P(SealShape, StructureIsMixedWithTwoSealPartsLast) {
    std::string sealed = seal_text(original());
    if (kHeaderOnly.contains(GetParam().name)) {  // sealed in the header only (FORMAT.md 6.1)
        EXPECT_EQ(split_message(sealed).body, split_message(original()).body);
        return;
    }
    auto msg = parse_message(sealed);
    ASSERT_TRUE(msg);
    GMimeObject* top = g_mime_message_get_mime_part(msg.get());
    ASSERT_TRUE(GMIME_IS_MULTIPART(top));
    EXPECT_TRUE(g_mime_content_type_is_type(g_mime_object_get_content_type(top), "multipart", "mixed"));
    GMimeMultipart* mp = GMIME_MULTIPART(top);
    int n = g_mime_multipart_get_count(mp);
    ASSERT_GE(n, 3);
    EXPECT_EQ(seal_part_kind(g_mime_multipart_get_part(mp, n - 2)), SealPartKind::record);
    EXPECT_EQ(seal_part_kind(g_mime_multipart_get_part(mp, n - 1)), SealPartKind::signature);
    for (int i = 0; i < n - 2; ++i) EXPECT_EQ(seal_part_kind(g_mime_multipart_get_part(mp, i)), SealPartKind::none);
}

TEST_P(SealShape, HeaderOnlyModeLeavesTheBodyAndStillVerifies) {
    std::string msg = original();
    SealOptions o;
    o.mode = SealMode::header_only;
    std::string sealed = seal_text(msg, o);
    EXPECT_EQ(split_message(sealed).body, split_message(msg).body);
    Judgement j = judge_text(sealed, for_alice());
    // The whole body came back, so even a header seal proves it.
    EXPECT_EQ(j.verdict, Verdict::pass) << reason_name(j.reason);
}

INSTANTIATE_TEST_SUITE_P(Shapes, SealShape, ::testing::ValuesIn(all_cases()), case_name);

// FORMAT.md 6.5: parts, field and wrap under 1.6 kB; CRLF, as mail travels.
TEST(SealSize, PartsHeaderAndWrapStayUnderOnePointSixKilobytes) {
    for (const char* name : {"mixed-attachments.eml", "plain-7bit.eml", "alternative.eml"}) {
        const std::string msg = to_crlf(read_test_data(std::string("shapes/") + name));
        const std::string sealed = seal_text(msg);
        const std::size_t added = sealed.size() - msg.size();
        EXPECT_LT(added, 1600u) << name << ": the seal adds " << added << " bytes";
        EXPECT_GT(added, 1000u) << name;
    }
}

TEST(SealSize, SignedEntityIsByteIdentical) {
    std::string msg = read_test_data("shapes/signed.eml");
    std::string sealed = seal_text(msg);
    auto begin = msg.find("--sig-42\n");
    auto end = msg.find("--sig-42--\n") + std::strlen("--sig-42--\n");
    EXPECT_NE(sealed.find(msg.substr(begin, end - begin)), std::string::npos);
    EXPECT_NE(sealed.find("Content-Type: multipart/signed; micalg=pgp-sha256;\n protocol=\"application/pgp-signature\"; boundary=\"sig-42\"\n\nThis is an OpenPGP"), std::string::npos)
        << "the moved Content-Type and the preamble must be kept verbatim";
}

TEST(SealBig, TwentyMegabyteAttachment) {
    std::string msg =
        "From: alice@example.test\nTo: bob@example.test\nSubject: big\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nSee attachment.\n"
        "--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n";
    std::string line(76, 'A');
    for (int i = 0; i < 20 * 1024 * 1024 / 57; ++i) {
        line[i % 76] = static_cast<char>('A' + i % 26);
        msg += line;
        msg += '\n';
    }
    msg += "--b--\n";
    std::string sealed = seal_text(msg);
    EXPECT_GT(sealed.size(), 20u * 1024 * 1024);
    EXPECT_EQ(judge_text(sealed, for_alice()).verdict, Verdict::pass);
    std::string tampered = sealed;
    tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'B' ? 'C' : 'B';
    EXPECT_EQ(judge_text(tampered, for_alice()).reason, Reason::body_mismatch);
}
