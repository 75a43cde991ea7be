// canon_test.cpp - the leaf canonicalization of FORMAT.md 4.3: the table of
// canonicalization vectors, independence from how input is chunked, and
// the fixed-point property canon(canon(x)) == canon(x).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

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

namespace {

// FORMAT.md 4.3 written as plainly as possible: split into lines at CRLF,
// lone CR and lone LF; fold each run of SP/HTAB to one SP; drop white space
// at line ends and empty lines at the end; end every line with CRLF. The
// canonicalizer's fast path (64 bytes at a time) must agree with it.
std::string reference_canon(std::string_view s) {
    std::vector<std::string> lines;
    std::string line;
    bool open = false;  // a line has started and not ended
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
            lines.push_back(line);
            line.clear();
            open = false;
        } else {
            line += c;
            open = true;
        }
    }
    if (open) lines.push_back(line);
    std::string out;
    std::size_t pending_empty = 0;
    for (const std::string& l : lines) {
        std::string folded;
        for (char c : l) {
            const bool wsp = c == ' ' || c == '\t';
            if (wsp && !folded.empty() && folded.back() == ' ') continue;
            folded += wsp ? ' ' : c;
        }
        while (!folded.empty() && folded.back() == ' ') folded.pop_back();
        if (folded.empty()) {
            ++pending_empty;
            continue;
        }
        for (; pending_empty > 0; --pending_empty) out += "\r\n";
        out += folded + "\r\n";
    }
    return out;
}

}  // namespace

TEST(Canon, ReferenceTableAgreesWithFormat) {
    for (const auto& c : kCases) EXPECT_EQ(reference_canon(c.input), c.canonical);
}

// Long, mostly canonical text with changes at every kind of spot, including
// either side of the 64-byte blocks the fast path judges at once, fed whole
// and in chunks up to a few blocks long.
TEST(Canon, AgreesWithTheReferenceOnLongInput) {
    std::mt19937 rng(7);
    const char* rare[] = {" ", "  ", "\t", "\r", "\n", "\r\n", "\r\n\r\n", " \r\n", "\n\r", "\0"};
    for (int round = 0; round < 3000; ++round) {
        std::string text;
        const int len = std::uniform_int_distribution<int>(0, 700)(rng);
        const int rate = std::uniform_int_distribution<int>(1, 60)(rng);  // one rare piece in `rate`
        while (static_cast<int>(text.size()) < len) {
            if (std::uniform_int_distribution<int>(0, rate)(rng) == 0) {
                const std::size_t k = std::uniform_int_distribution<std::size_t>(0, std::size(rare) - 1)(rng);
                text.append(rare[k], k == std::size(rare) - 1 ? 1 : std::strlen(rare[k]));
            } else if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) {
                text += "\r\n";  // canonical line ends, the common case
            } else {
                text += static_cast<char>('a' + std::uniform_int_distribution<int>(0, 25)(rng));
            }
        }
        const Bytes expected = sha256(reference_canon(text));
        ASSERT_EQ(canon_digest(text), expected) << ::testing::PrintToString(text);
        LeafCanonicalizer c;
        for (std::size_t pos = 0; pos < text.size();) {
            const std::size_t n = std::min(text.size() - pos, std::uniform_int_distribution<std::size_t>(1, 200)(rng));
            c.update(text.data() + pos, n);
            pos += n;
        }
        ASSERT_EQ(c.finish(), expected) << ::testing::PrintToString(text);
    }
}
