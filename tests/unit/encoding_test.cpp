// encoding_test.cpp - base64, SHA-256 and comparison primitives.
#include <gtest/gtest.h>

#include "bounceseal/encoding.hpp"
#include "bounceseal/error.hpp"

using namespace bounceseal;

TEST(Encoding, Base64RoundTrip) {
    for (std::size_t n = 0; n < 40; ++n) {
        Bytes b(n);
        for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 37 + 11);
        EXPECT_EQ(base64_decode(base64_encode(b), "t"), b) << n;
    }
    EXPECT_EQ(base64_encode(Bytes{'f', 'o', 'o', 'b'}), "Zm9vYg==");
}

TEST(Encoding, Base64RejectsJunk) {
    EXPECT_THROW(base64_decode("Zm9vYg=", "t"), Error);
    EXPECT_THROW(base64_decode("Zm9v Yg==", "t"), Error);
    EXPECT_THROW(base64_decode("Zm=vYg==", "t"), Error);
    EXPECT_THROW(base64_decode("Zm9v!g==", "t"), Error);
}

TEST(Encoding, Sha256KnownAnswer) {
    EXPECT_EQ(base64_encode(sha256("")), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    Sha256 h;
    h.update("a");
    h.update("bc");
    EXPECT_EQ(base64_encode(h.finish()), base64_encode(sha256("abc")));
}

TEST(Encoding, ConstantTimeEqual) {
    EXPECT_TRUE(ct_equal(Bytes{1, 2}, Bytes{1, 2}));
    EXPECT_FALSE(ct_equal(Bytes{1, 2}, Bytes{1, 3}));
    EXPECT_FALSE(ct_equal(Bytes{1, 2}, Bytes{1, 2, 3}));
}

TEST(Encoding, RandomBytesDiffer) {
    EXPECT_EQ(random_bytes(16).size(), 16u);
    EXPECT_NE(random_bytes(16), random_bytes(16));
}
