// address_test.cpp - the one reading of an envelope address (address.hpp):
// what it accepts, and that the sender binding of FORMAT.md 3 is made over
// the mailbox a bounce goes to.
#include <gtest/gtest.h>

#include <string>

#include "bounceseal/address.hpp"
#include "bounceseal/record.hpp"

namespace bounceseal {
namespace {

TEST(Address, BareAddressIsTheMailbox) {
    EXPECT_EQ(bare_address("<alice@example.test>"), "alice@example.test");
    EXPECT_EQ(bare_address("alice@example.test"), "alice@example.test");
    EXPECT_EQ(bare_address(" \t<Alice@Example.TEST>\r\n"), "Alice@Example.TEST");
    EXPECT_EQ(bare_address("< alice@example.test >"), "alice@example.test");
    EXPECT_EQ(bare_address("<>"), "");
    EXPECT_EQ(bare_address(""), "");
    EXPECT_EQ(bare_address("< >"), "");
    // RFC 5321 4.1.2: a source route is accepted and ignored.
    EXPECT_EQ(bare_address("<@relay.test:bob@example.test>"), "bob@example.test");
    EXPECT_EQ(bare_address("<@a.test,@b.test:bob@example.test>"), "bob@example.test");
    EXPECT_EQ(bare_address(" < @relay.test:bob@example.test > "), "bob@example.test");
    // No colon: no route; a quoted local part may hold a colon.
    EXPECT_EQ(bare_address("<@relay.test>"), "@relay.test");
    EXPECT_EQ(bare_address("<\"a:b\"@example.test>"), "\"a:b\"@example.test");
    // One pair of brackets only, and only a pair.
    EXPECT_EQ(bare_address("<<x@example.test>>"), "<x@example.test>");
    EXPECT_EQ(bare_address("<"), "<");
}

TEST(Address, NullSender) {
    EXPECT_TRUE(is_null_address("<>"));
    EXPECT_TRUE(is_null_address(" <> "));
    EXPECT_TRUE(is_null_address(""));
    EXPECT_FALSE(is_null_address("<postmaster>"));
    EXPECT_FALSE(is_null_address("MAILER-DAEMON"));  // a name, not the null path (bounce_classify.cpp)
}

TEST(Address, NormalizedForTheBinding) {
    EXPECT_EQ(normalize_address(" <Alice@Example.TEST> "), "alice@example.test");
    EXPECT_EQ(normalize_address("<@Relay.Test:Alice@Example.TEST>"), "alice@example.test");
    // US-ASCII only: UTF-8 bytes are kept as they are.
    EXPECT_EQ(normalize_address("J\xc3\x96rg@Example.TEST"), "j\xc3\x96rg@example.test");
}

TEST(Address, Domains) {
    EXPECT_EQ(address_domain("bob@Example.Test."), "example.test");
    EXPECT_EQ(address_domain("\"a@b\"@example.test"), "example.test");
    EXPECT_EQ(address_domain("postmaster"), "");
    EXPECT_EQ(comparable_domain("Example.TEST.."), "example.test");
}

// FORMAT.md 3's example: a seal made for a source-routed envelope sender is
// one a bounce to the mailbox matches, as the verifier computes it.
TEST(Address, SenderBindingIgnoresTheSourceRoute) {
    const Bytes nonce(16, 7);
    const Bytes mailbox = sender_binding(nonce, "alice@example.test");
    EXPECT_EQ(sender_binding(nonce, "<@relay.test:Alice@Example.TEST>"), mailbox);
    EXPECT_EQ(sender_binding(nonce, "<@relay.test,@hop.test:alice@example.test>"), mailbox);
    EXPECT_NE(sender_binding(nonce, "<@relay.test:bob@example.test>"), mailbox);
}

}  // namespace
}  // namespace bounceseal
