// policy_test.cpp - unit tests of the milter's outbound policy (policy.hpp)
// and of the per-message buffer (message_context.hpp). No sockets, no
// libmilter: the decisions and the buffer's growth are tested directly.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "bounceseal/error.hpp"
#include "bounceseal/record.hpp"
#include "message_context.hpp"
#include "policy.hpp"

namespace bounceseal::milter {
namespace {

MilterSettings settings() {
    MilterSettings s;
    s.internal_hosts = {"127.0.0.0/8", "::1", "10.0.0.0/8", "2001:db8::/32", "192.0.2.7"};
    return s;
}

Envelope envelope(std::string client, std::string sender = "<alice@example.test>", std::string auth = {},
                  std::string daemon = {}) {
    return Envelope{ClientAddress::from_text(client), std::move(sender), std::move(auth), std::move(daemon)};
}

TEST(NetworkList, MatchesAddressesAndPrefixes) {
    const NetworkList list = NetworkList::parse(settings().internal_hosts);
    EXPECT_EQ(list.size(), 5u);
    EXPECT_TRUE(list.contains("127.0.0.1"));
    EXPECT_TRUE(list.contains("127.255.1.2"));
    EXPECT_TRUE(list.contains("::1"));
    EXPECT_TRUE(list.contains("10.200.3.4"));
    EXPECT_TRUE(list.contains("2001:db8:1::25"));
    EXPECT_TRUE(list.contains("192.0.2.7"));
    EXPECT_FALSE(list.contains("192.0.2.8"));
    EXPECT_FALSE(list.contains("203.0.113.5"));
    EXPECT_FALSE(list.contains("2001:db9::1"));
    EXPECT_FALSE(list.contains("not an address"));
    EXPECT_FALSE(list.contains(""));
}

TEST(NetworkList, RejectsBadEntries) {
    EXPECT_THROW(NetworkList::parse({"127.0.0.0/8", "10.0.0.0/33"}), Error);
    EXPECT_THROW(NetworkList::parse({"localhost"}), Error);
    try {
        NetworkList::parse({"300.1.2.3"});
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::config);
        EXPECT_NE(std::string(e.what()).find("300.1.2.3"), std::string::npos);
    }
}

TEST(ClientAddress, FromSockaddr) {
    const ClientAddress none = ClientAddress::from_sockaddr(nullptr);
    EXPECT_TRUE(none.local);
    EXPECT_EQ(none.text, "127.0.0.1");

    sockaddr_in in{};
    in.sin_family = AF_INET;
    inet_pton(AF_INET, "203.0.113.5", &in.sin_addr);
    EXPECT_EQ(ClientAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&in)).text, "203.0.113.5");

    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::ffff:10.1.2.3", &in6.sin6_addr);
    EXPECT_EQ(ClientAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&in6)).text, "10.1.2.3");
    inet_pton(AF_INET6, "2001:db8::25", &in6.sin6_addr);
    EXPECT_EQ(ClientAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&in6)).text, "2001:db8::25");

    sockaddr unix_peer{};
    unix_peer.sa_family = AF_UNIX;
    EXPECT_TRUE(ClientAddress::from_sockaddr(&unix_peer).local);
}

TEST(ClientAddress, FromTextUnmapsIpv4) {
    EXPECT_EQ(ClientAddress::from_text("::ffff:10.1.2.3").text, "10.1.2.3");
    EXPECT_EQ(ClientAddress::from_text("[192.0.2.1]").text, "192.0.2.1");
    EXPECT_EQ(ClientAddress::from_text("IPv6:2001:db8::1").text, "2001:db8::1");
}

TEST(Policy, InternalClientIsSealed) {
    const Policy p(settings());
    const PolicyDecision d = p.decide(envelope("127.0.0.1"));
    EXPECT_TRUE(d.seal());
    EXPECT_EQ(d.verdict, PolicyVerdict::seal_internal);
    EXPECT_EQ(d.detail, "internal client 127.0.0.1");
    EXPECT_TRUE(p.decide(envelope("::ffff:10.9.9.9")).seal());
}

TEST(Policy, ExternalClientIsSkipped) {
    const PolicyDecision d = Policy(settings()).decide(envelope("203.0.113.5"));
    EXPECT_FALSE(d.seal());
    EXPECT_EQ(d.verdict, PolicyVerdict::skip_external);
    EXPECT_EQ(d.detail, "external client 203.0.113.5");
    EXPECT_STREQ(verdict_name(d.verdict), "external");
}

TEST(Policy, AuthenticatedClientIsSealedUnlessTurnedOff) {
    MilterSettings s = settings();
    const PolicyDecision d = Policy(s).decide(envelope("203.0.113.5", "<alice@example.test>", "alice"));
    EXPECT_EQ(d.verdict, PolicyVerdict::seal_authenticated);
    EXPECT_EQ(d.detail, "authenticated as alice");
    s.seal_authenticated = false;
    EXPECT_EQ(Policy(s).decide(envelope("203.0.113.5", "<alice@example.test>", "alice")).verdict,
              PolicyVerdict::skip_external);
}

TEST(Policy, NullSenderIsNeverSealed) {
    const Policy p(settings());
    EXPECT_EQ(p.decide(envelope("127.0.0.1", "<>")).verdict, PolicyVerdict::skip_null_sender);
    EXPECT_EQ(p.decide(envelope("127.0.0.1", "")).verdict, PolicyVerdict::skip_null_sender);
    EXPECT_EQ(p.decide(envelope("127.0.0.1", " <> ", "alice")).verdict, PolicyVerdict::skip_null_sender);
}

TEST(Policy, DaemonNames) {
    MilterSettings s = settings();
    s.daemon_names = {"MSA", "MTA-v4"};
    const Policy p(s);
    EXPECT_TRUE(p.decide(envelope("127.0.0.1", "<a@example.test>", "", "MSA")).seal());
    const PolicyDecision d = p.decide(envelope("127.0.0.1", "<a@example.test>", "", "MTA-v6"));
    EXPECT_EQ(d.verdict, PolicyVerdict::skip_daemon);
    EXPECT_EQ(d.detail, "daemon MTA-v6 not in DaemonNames");
    EXPECT_EQ(p.decide(envelope("127.0.0.1")).verdict, PolicyVerdict::skip_daemon);
}

TEST(Policy, SenderDomains) {
    MilterSettings s = settings();
    s.sender_domains = {"Example.TEST.", "other.test"};
    const Policy p(s);
    EXPECT_TRUE(p.decide(envelope("127.0.0.1", "<alice@EXAMPLE.test>")).seal());
    EXPECT_TRUE(p.decide(envelope("127.0.0.1", "bob@other.test")).seal());
    const PolicyDecision d = p.decide(envelope("127.0.0.1", "<mallory@sub.example.test>"));
    EXPECT_EQ(d.verdict, PolicyVerdict::skip_sender_domain);
    EXPECT_EQ(d.detail, "sender domain sub.example.test not in SenderDomains");
    // The external test comes first: its reason is the one logged.
    EXPECT_EQ(p.decide(envelope("203.0.113.5", "<x@nowhere.test>")).verdict, PolicyVerdict::skip_external);
}

TEST(Policy, LoggedValuesAreSanitised) {
    MilterSettings s = settings();
    s.sender_domains = {"example.test"};
    const PolicyDecision d = Policy(s).decide(envelope("127.0.0.1", "<a@evil\r\nfake: line>"));
    EXPECT_EQ(d.detail.find('\n'), std::string::npos);
    EXPECT_EQ(d.detail.find('\r'), std::string::npos);
}

// The policy and the seal's sender binding read one envelope sender the
// same way (address.hpp): whatever the policy seals for the mailbox
// bob@example.test is a seal a bounce to that mailbox matches.
TEST(Policy, JudgesTheMailboxTheSealIsMadeFor) {
    MilterSettings s = settings();
    s.sender_domains = {"example.test"};
    const Policy p(s);
    const Bytes nonce(16, 3);
    for (const char* sender : {"<bob@example.test>", "<@relay.test:Bob@Example.TEST>",
                               "<@a.test,@b.test:bob@example.test>", " < bob@example.test > "}) {
        EXPECT_TRUE(p.decide(envelope("127.0.0.1", sender)).seal()) << sender;
        EXPECT_EQ(sender_binding(nonce, sender), sender_binding(nonce, "bob@example.test")) << sender;
    }
    // A route through a listed domain to another domain's mailbox is judged
    // by the mailbox.
    const PolicyDecision routed = p.decide(envelope("127.0.0.1", "<@example.test:carol@other.test>"));
    EXPECT_EQ(routed.verdict, PolicyVerdict::skip_sender_domain);
    EXPECT_EQ(routed.detail, "sender domain other.test not in SenderDomains");
    EXPECT_EQ(p.decide(envelope("127.0.0.1", " <> ")).verdict, PolicyVerdict::skip_null_sender);
}

// --- the body buffer ----------------------------------------------------------

TEST(BodyBuffer, GrowsGeometrically) {
    BodyBuffer b(64u << 20);
    const std::string chunk(65535, 'x');
    for (int i = 0; i < 320; ++i) ASSERT_TRUE(b.append(chunk.data(), chunk.size()));  // ~20 MB
    EXPECT_EQ(b.size(), 320u * 65535u);
    // Doubling from 64 KiB to 20 MB: about nine reallocations, not 320.
    EXPECT_LE(b.reallocations(), 12u);
}

TEST(BodyBuffer, ReservesFromAnnouncedSize) {
    BodyBuffer b(64u << 20);
    b.reserve_for(20u << 20);
    const std::size_t reserved = b.capacity();
    const std::string chunk(65535, 'x');
    while (b.size() + chunk.size() <= (20u << 20)) ASSERT_TRUE(b.append(chunk.data(), chunk.size()));
    EXPECT_EQ(b.reallocations(), 1u);
    EXPECT_EQ(b.capacity(), reserved);
}

TEST(BodyBuffer, NeverPassesItsLimit) {
    BodyBuffer b(100000);
    b.reserve_for(1u << 30);  // a lying SIZE= reserves no more than the limit
    EXPECT_LE(b.capacity(), 100000u + 64);
    const std::string chunk(40000, 'y');
    EXPECT_TRUE(b.append(chunk.data(), chunk.size()));
    EXPECT_TRUE(b.append(chunk.data(), chunk.size()));
    EXPECT_FALSE(b.append(chunk.data(), chunk.size()));
    EXPECT_EQ(b.size(), 0u);  // released
    EXPECT_EQ(b.capacity(), std::string().capacity());
}

TEST(SizeHints, SizeParameterAndMacro) {
    EXPECT_EQ(size_parameter({"BODY=8BITMIME", "SIZE=12345"}), 12345u);
    EXPECT_EQ(size_parameter({"size=7"}), 7u);
    EXPECT_FALSE(size_parameter({"SIZE=12x"}));
    EXPECT_FALSE(size_parameter({"SIZE="}));
    EXPECT_FALSE(size_parameter({}));
    EXPECT_EQ(parse_size("4096"), 4096u);
    EXPECT_FALSE(parse_size(""));
    EXPECT_FALSE(parse_size("-1"));
}

}  // namespace
}  // namespace bounceseal::milter
