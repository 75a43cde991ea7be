// base64_decoder_test.cpp - Base64Decoder (mime.hpp) against GMime's own
// decoder, which defines what a body hash decodes: on every input, split
// into pieces anywhere, the two must give the same bytes. Inputs are drawn
// at random from what base64 in mail is and is not: whole lines, lines
// broken mid-quartet, padding, '=' in the middle, text after the end,
// white space, bytes outside the alphabet, a quartet cut off at the end.
// A leaf's digest must not depend on which of the two decoded it.
#include <random>

#include <gtest/gtest.h>

#include "bounceseal/canon.hpp"
#include "bounceseal/mime.hpp"

using namespace bounceseal;

namespace {

std::string gmime_decode(const std::string& in) {
    GMimeEncoding e;
    g_mime_encoding_init_decode(&e, GMIME_CONTENT_ENCODING_BASE64);
    std::string out(g_mime_encoding_outlen(&e, in.size()) + 8, '\0');
    std::size_t n = g_mime_encoding_step(&e, in.data(), in.size(), out.data());
    n += g_mime_encoding_flush(&e, "", 0, out.data() + n);
    out.resize(n);
    return out;
}

std::string fast_decode(const std::string& in, std::mt19937& rng) {
    Base64Decoder d;
    std::string out;
    std::size_t at = 0;
    while (at < in.size()) {  // pieces of random length, down to one byte
        const std::size_t n = std::min(in.size() - at, std::size_t{1} + rng() % 97);
        d.step(in.data() + at, n, out);
        at += n;
    }
    return out;
}

std::string random_input(std::mt19937& rng) {
    static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string s;
    const int pieces = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < pieces; ++i) {
        switch (rng() % 9) {
        case 0:
        case 1:
        case 2: {  // a line of whole quartets
            const std::size_t quartets = rng() % 20;
            for (std::size_t q = 0; q < quartets * 4; ++q) s += alphabet[rng() % 64];
            s += rng() % 2 ? "\r\n" : "\n";
            break;
        }
        case 3:  // a line that breaks a quartet
            for (std::size_t q = rng() % 13; q > 0; --q) s += alphabet[rng() % 64];
            s += "\r\n";
            break;
        case 4: s += rng() % 2 ? "=" : "=="; break;
        case 5: s += std::string(1 + rng() % 3, " \t-."[rng() % 4]); break;
        case 6: s += static_cast<char>(rng() % 256); break;
        case 7: s += "QUJD"; break;
        default: s += alphabet[rng() % 64]; break;  // a quartet left incomplete
        }
    }
    return s;
}

}  // namespace

TEST(Base64Decoder, DecodesExactlyAsGMimeOnRandomInput) {
    mime_init();
    std::mt19937 rng(20261204);
    for (int i = 0; i < 20000; ++i) {
        const std::string in = random_input(rng);
        ASSERT_EQ(fast_decode(in, rng), gmime_decode(in)) << "input: " << in;
    }
}

TEST(Base64Decoder, DecodesEveryByteValueAsGMime) {
    mime_init();
    std::mt19937 rng(7);
    for (int b = 0; b < 256; ++b) {
        for (const std::string& in : {std::string(1, static_cast<char>(b)) + "AAA", "QUJD" + std::string(1, static_cast<char>(b)) + "QUJDREVG",
                                       "QU" + std::string(1, static_cast<char>(b)) + "JD"}) {
            ASSERT_EQ(fast_decode(in, rng), gmime_decode(in)) << "byte " << b;
        }
    }
}

// The body hash reads base64 through Base64Decoder; any other reader of
// the part (decoded_stream(), GMime's filters) must see the same content.
TEST(Base64Decoder, LeafDigestIsTheDigestOfGMimesDecoding) {
    mime_init();
    std::mt19937 rng(99);
    for (int i = 0; i < 300; ++i) {
        const std::string body = random_input(rng);
        const std::string part = "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" + body;
        GPtr<GMimeStream> stream = memory_stream(part);
        GPtr<GMimeObject> leaf = parse_entity(stream.get());
        ASSERT_TRUE(leaf);
        LeafCanonicalizer canon;
        GPtr<GMimeStream> decoded = decoded_stream(leaf.get());
        ASSERT_TRUE(decoded);
        ASSERT_TRUE(read_stream(decoded.get(), [&](const char* p, std::size_t n) {
            canon.update(p, n);
            return true;
        }));
        EXPECT_EQ(leaf_digest(leaf.get()), canon.finish()) << "body: " << body;
    }
}
