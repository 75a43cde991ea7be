// body_in_chief_test.cpp - what the body hash covers (FORMAT.md 4.1, 5.3):
// only well-formed pairs are left out; parts that merely start with an
// intro line, unpaired or mismatched seal parts and junk after a pair are
// body content. Chains of cohorts (A's pair, then B's) verify for both, and
// the sealer, which calls the same function, agrees with the verifier.
#include <gtest/gtest.h>

#include "bounceseal/body_in_chief.hpp"
#include "bounceseal/mime.hpp"
#include "test_support.hpp"

using namespace bounceseal;
using namespace bounceseal::testing;

namespace {

// A multipart/mixed message of alice's: the parts are added by message().
constexpr std::string_view kHead = R"(From: alice@example.test
To: bob@example.org
Subject: body in chief
Message-ID: <chief@example.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="c1"

)";

std::string part(const std::string& type, const std::string& content) {
    return "--c1\nContent-Type: " + type + "\n\n" + content + "\n";
}

const std::string kText = part("text/plain", "The body.");
const std::string kCsv = part("text/csv", "a,b\n1,2");

std::string message(const std::vector<std::string>& parts) {
    std::string m(kHead);
    for (const auto& p : parts) m += p;
    return m + "--c1--\n";
}

// The seal parts of `sealed` (appended by the default mode), cut out with
// their delimiter lines: what a forger can copy from a genuine message.
std::vector<std::string> seal_parts_of(const std::string& sealed) {
    std::vector<std::string> out;
    for (const char* file : {"bounceseal-record.txt", "bounceseal-signature.txt"}) {
        std::size_t at = sealed.rfind("--c1\n", sealed.find(file));
        std::size_t end = sealed.find("--c1", at + 4);
        out.push_back(sealed.substr(at, end - at));
    }
    return out;
}

std::vector<std::string> types_of(const std::string& m) {
    GPtr<GMimeMessage> msg = parse_message(m);
    std::vector<std::string> out;
    for (GMimeObject* o : body_in_chief(g_mime_message_get_mime_part(msg.get())).body) {
        std::unique_ptr<char, decltype(&g_free)> t(g_mime_content_type_get_mime_type(g_mime_object_get_content_type(o)),
                                                   g_free);
        out.emplace_back(t.get());
    }
    return out;
}

TopLevel top_of(const GPtr<GMimeMessage>& msg) { return body_in_chief(g_mime_message_get_mime_part(msg.get())); }

}  // namespace

TEST(BodyInChief, WellFormedPairsAreLeftOutAndNothingElse) {
    const std::string sealed = seal_text(message({kText, kCsv}), sealing(SealMode::append_only));
    const auto pair = seal_parts_of(sealed);
    GPtr<GMimeMessage> msg = parse_message(sealed);
    TopLevel t = top_of(msg);
    ASSERT_EQ(t.pairs.size(), 1u);
    EXPECT_EQ(t.pairs[0].record_index, 2u);
    EXPECT_EQ(t.body.size(), 2u);
    EXPECT_TRUE(t.lookalikes.empty());
    // A part that only starts like a record part is content, reported.
    const std::string intro = std::string(kRecordIntro) + "\n<p>spam</p>";
    EXPECT_EQ(types_of(message({kText, part("text/html", intro)})),
              (std::vector<std::string>{"text/plain", "text/html"}));
    // A lone record or signature part (its partner gone) is content too,
    // and so are both when something sits between them.
    EXPECT_EQ(types_of(message({kText, pair[0]})).size(), 2u);
    EXPECT_EQ(types_of(message({kText, pair[1]})).size(), 2u);
    EXPECT_EQ(types_of(message({kText, pair[0], kCsv, pair[1]})).size(), 4u);
    // In the wrong order they are no pair either.
    EXPECT_EQ(types_of(message({kText, pair[1], pair[0]})).size(), 3u);
}

TEST(BodyInChief, ASignaturePartOfAnotherKeyMakesNoPair) {
    const std::string ours = seal_text(message({kText}), sealing(SealMode::append_only));
    const std::string theirs =
        seal_text(message({kText}), sealing(SealMode::append_only), SealKey{"other.example", "o1", PrivateKey::generate()});
    const std::string mixed = message({kText, seal_parts_of(ours)[0], seal_parts_of(theirs)[1]});
    GPtr<GMimeMessage> msg = parse_message(mixed);
    TopLevel t = top_of(msg);
    EXPECT_TRUE(t.pairs.empty());
    EXPECT_EQ(t.body.size(), 3u);
    EXPECT_EQ(t.lookalikes.size(), 2u);
}

TEST(BodyInChief, ChainsOfCohortsVerifyForEach) {
    // Sealed by cohort A's server, then appended to by cohort B's: A's pair
    // is followed by B's, and each bh covers the same body in chief.
    const SealKey a{"example.test", "sel1", vector_key()};
    const SealKey b{"other.example", "o1", PrivateKey::generate()};
    const std::string by_a = seal_text(message({kText, kCsv}), sealing(SealMode::append_only), a);
    const std::string by_both = seal_text(by_a, sealing(SealMode::append_only), b);
    GPtr<GMimeMessage> msg = parse_message(by_both);
    EXPECT_EQ(top_of(msg).pairs.size(), 2u);
    Keyring ring = test_keyring();
    ring.add(b.domain, b.selector, b.key.public_key());
    const Judgement j = judge(find_seals(msg.get()), ring, alice_policy(), kNow);
    EXPECT_EQ(j.verdict, Verdict::pass) << reason_name(j.reason);
    Keyring only_b;
    only_b.add(b.domain, b.selector, b.key.public_key());
    EXPECT_EQ(judge(find_seals(msg.get()), only_b, alice_policy(), kNow).verdict, Verdict::pass);
}

TEST(BodyInChief, JunkAfterAGenuinePairIsBodyAndBreaksTheHash) {
    const std::string sealed = seal_text(message({kText}), sealing(SealMode::append_only));
    const std::string junk = replace_once(sealed, "--c1--", part("text/html", "<p>added later</p>") + "--c1--");
    const Judgement j = judge_text(junk, alice_policy());
    EXPECT_EQ(j.verdict, Verdict::fail);
    EXPECT_EQ(j.reason, Reason::body_mismatch);
}

TEST(BodyInChief, TheSealerHashesWhatTheVerifierWill) {
    // Content that starts like seal parts is body to both sides: sealing
    // such a message in every mode gives a seal that verifies.
    const std::string intro = std::string(kRecordIntro) + "\nnot a record";
    const std::string sig = std::string(kSignatureIntro) + "\nnot a signature";
    for (const auto& m : {message({kText, part("text/plain", intro)}), message({part("text/plain", sig), kText}),
                          message({part(std::string(kRecordPartType), intro)})}) {
        for (SealMode mode : {SealMode::append_only, SealMode::full, SealMode::header_only}) {
            const Judgement j = judge_text(seal_text(m, sealing(mode)), alice_policy());
            EXPECT_EQ(j.verdict, Verdict::pass) << static_cast<int>(mode) << " " << reason_name(j.reason) << "\n" << m;
        }
    }
}

TEST(BodyInChief, SealFieldsAndPairsBeyondTheCapAreMalformed) {
    const std::string sealed = seal_text(message({kText}), sealing(SealMode::append_only));
    std::size_t at = sealed.find("\nBounce-Seal:") + 1;
    std::size_t end = at;
    do end = sealed.find('\n', end) + 1;
    while (sealed[end] == '\t' || sealed[end] == ' ');
    const std::string field = sealed.substr(at, end - at);
    std::string many = sealed;
    for (std::size_t i = 0; i < kMaxSeals; ++i) many.insert(at, field);
    const Judgement j = judge_text(many, alice_policy());
    EXPECT_EQ(j.verdict, Verdict::fail);
    EXPECT_EQ(j.reason, Reason::malformed);
    std::string pairs = sealed;
    const auto pair = seal_parts_of(sealed);
    for (std::size_t i = 0; i < kMaxSeals; ++i) pairs = replace_once(pairs, "--c1--", pair[0] + pair[1] + "--c1--");
    EXPECT_EQ(judge_text(pairs, alice_policy()).reason, Reason::malformed);
}
