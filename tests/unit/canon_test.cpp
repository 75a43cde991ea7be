// canon_test.cpp - the leaf canonicalization of FORMAT.md 4.3: the table of
// canonicalization vectors, independence from how input is chunked, and
// the fixed-point property canon(canon(x)) == canon(x).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "bounceseal/canon.hpp"

using namespace bounceseal;

namespace {

struct CanonCase {
    const char* input;
    const char* canonical;
};

// The table of FORMAT.md section 10, "Canonicalization vectors".
const CanonCase kCases[] = {
    {"", ""},
    {"a", "a\r\n"},
    {"a \t b\n", "a b\r\n"},
    {"  lead\r\n", " lead\r\n"},
    {"x  \r\n\r\n\n \r\n", "x\r\n"},
    {"one\rtwo\n\nthree", "one\r\ntwo\r\n\r\nthree\r\n"},
    {"\r\n\r\nx", "\r\n\r\nx\r\n"},
    {" \t \r\n", ""},
};

Bytes canon_digest(std::string_view s) {
    LeafCanonicalizer c;
    c.update(s);
    return c.finish();
}

// The same input fed in pieces of random sizes, including one byte at a time.
Bytes canon_digest_chunked(std::string_view s, std::mt19937& rng) {
    LeafCanonicalizer c;
    std::size_t pos = 0;
    while (pos < s.size()) {
        std::size_t n = std::uniform_int_distribution<std::size_t>(1, 7)(rng);
        n = std::min(n, s.size() - pos);
        c.update(s.substr(pos, n));
        pos += n;
    }
    return c.finish();
}

}  // namespace

TEST(Canon, FormatTable) {
    for (const auto& c : kCases)
        EXPECT_EQ(canon_digest(c.input), sha256(c.canonical)) << "input: " << ::testing::PrintToString(std::string(c.input));
}

TEST(Canon, CanonicalFormIsAFixedPoint) {
    for (const auto& c : kCases) EXPECT_EQ(canon_digest(c.canonical), sha256(c.canonical));
}

TEST(Canon, ChunkingDoesNotMatter) {
    std::mt19937 rng(42);
    std::string text;
    const char* pieces[] = {"word", " ", "  ", "\t", "\r", "\n", "\r\n", "x", "\0"};
    for (int round = 0; round < 300; ++round) {
        text.clear();
        int len = std::uniform_int_distribution<int>(0, 40)(rng);
        for (int i = 0; i < len; ++i) {
            std::size_t k = std::uniform_int_distribution<std::size_t>(0, std::size(pieces) - 1)(rng);
            text.append(pieces[k], k == 8 ? 1 : std::strlen(pieces[k]));
        }
        EXPECT_EQ(canon_digest_chunked(text, rng), canon_digest(text)) << ::testing::PrintToString(text);
    }
}

TEST(Canon, ContentChangesChangeTheDigest) {
    EXPECT_NE(canon_digest("hello world\n"), canon_digest("hello  world!\n"));
    EXPECT_NE(canon_digest("a\nb\n"), canon_digest("ab\n"));
    EXPECT_NE(canon_digest("a\n\nb\n"), canon_digest("a\nb\n"));  // inner empty lines count
    EXPECT_EQ(canon_digest("a\n"), canon_digest("a"));
}

TEST(Canon, LargeInputStreams) {
    std::string big;
    for (int i = 0; i < 200000; ++i) big += "line of text with  double spaces \t\r\n";
    std::string canonical;
    for (int i = 0; i < 200000; ++i) canonical += "line of text with double spaces\r\n";
    EXPECT_EQ(canon_digest(big), sha256(canonical));
}
