// daemon_test.cpp - black-box tests of bounceseal-milter: the real daemon on
// a real unix socket, driven by the in-tree milter client, its changes
// applied as sendmail applies them and the result verified with the core
// library: what is sealed, what is not, and in what shape. The daemons are
// the shared fleet (fleet.hpp); failures and signals are in
// daemon_failure_test.cpp, start-up in startup_test.cpp. The end-to-end test
// through a real sendmail is elsewhere.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "fleet.hpp"

namespace bounceseal::milter_test {
namespace {

using test::MilterClient;
using test::MilterResult;

// ---- what gets sealed ---------------------------------------------------------

TEST(MilterDaemon, InternalClientIsSealedAndVerifies) {
    const auto m = make_message(kPlain);
    const MilterResult r = send_to("main", m);
    expect_sealed(m, r);
    EXPECT_TRUE(r.body_replaced);
    // Only the three actions it needs; the stages it does not use turned off.
    EXPECT_EQ(r.negotiated.actions, static_cast<std::uint32_t>(SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY));
    for (auto flag : {SMFIP_NOHELO, SMFIP_NORCPT, SMFIP_NOUNKNOWN, SMFIP_NODATA, SMFIP_NR_CONN, SMFIP_NR_HDR,
                      SMFIP_HDR_LEADSPC})
        EXPECT_TRUE(r.negotiated.has(static_cast<std::uint32_t>(flag))) << std::hex << flag;
    Daemon& d = fleet().get("main");
    ASSERT_TRUE(d.wait_log(queue_id(m) + ": sealed"));
    // "QID: sealed (wrapped) size=N ms=N.N s=sel1 d=example.test via=internal"
    const auto w = d.log_words(queue_id(m) + ": sealed");
    ASSERT_EQ(w.size(), 8u) << d.log();
    EXPECT_EQ(w[2], "(wrapped)");
    EXPECT_TRUE(w[3].starts_with("size=") && std::stoul(w[3].substr(5)) > 100) << w[3];
    EXPECT_TRUE(w[4].starts_with("ms=") && w[4].find('.') == w[4].size() - 2) << w[4];
    EXPECT_EQ(w[5], "s=sel1");
    EXPECT_EQ(w[6], "d=example.test");
    EXPECT_EQ(w[7], "via=internal");
}

TEST(MilterDaemon, ExternalClientIsUntouched) {
    const auto m = make_message(kPlain, {.client = "203.0.113.5"});
    const MilterResult r = send_to("main", m);
    expect_untouched(r);
    EXPECT_EQ(r.reply, SMFIR_ACCEPT);
    EXPECT_EQ(r.stage, SMFIC_MAIL) << "decided at MAIL FROM, no content sent";
    EXPECT_TRUE(fleet().get("main").wait_log(queue_id(m) + ": skipped: external client 203.0.113.5"));
}

TEST(MilterDaemon, ExternalIpv6ClientIsUntouchedLoopbackIpv6IsSealed) {
    expect_untouched(send_to("main", make_message(kPlain, {.client = "2001:db8::25"})));
    const auto m = make_message(kPlain, {.client = "::1"});
    expect_sealed(m, send_to("main", m));
}

TEST(MilterDaemon, AuthenticatedClientIsSealed) {
    const auto m = make_message(kPlain, {.client = "203.0.113.5", .auth = "alice"});
    expect_sealed(m, send_to("main", m));
    EXPECT_TRUE(fleet().get("main").wait_log(queue_id(m) + ": sealed (wrapped)"));
    EXPECT_NE(fleet().get("main").log().find("via=auth"), std::string::npos);
}

TEST(MilterDaemon, NullSenderIsSkipped) {
    const auto m = make_message(kPlain, {.sender = ""});
    expect_untouched(send_to("main", m));
    EXPECT_TRUE(fleet().get("main").wait_log(queue_id(m) + ": skipped: null sender"));
}

TEST(MilterDaemon, AlreadySealedIsSkipped) {
    const auto first = make_message(kPlain);
    const MilterResult sealed = send_to("main", first);
    expect_sealed(first, sealed);
    const auto again = make_message(test::render_result(first, sealed));
    expect_untouched(send_to("main", again));
    EXPECT_TRUE(fleet().get("main").wait_log(queue_id(again) + ": skipped: already sealed by example.test"));
}

TEST(MilterDaemon, SealOfAnotherDomainDoesNotStopSealing) {
    // A seal of another signer domain is someone else's business.
    const std::string foreign =
        "Bounce-Seal: v=1; a=ed25519-sha256; c=mime-relaxed; d=other.test; s=x; t=1; n=AAAAAAAAAAAAAAAAAAAAAA==;\n"
        " bh=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=; hs=AAAAAAAAAAAAAAAAAAAAAA==; b=AAAA\n" +
        std::string(kPlain);
    const auto m = make_message(foreign);
    expect_sealed(m, send_to("main", m));
}

TEST(MilterDaemon, MessagePartialIsSkipped) {
    const auto m = make_message(
        "From: alice@example.test\nTo: bob@example.org\nMessage-ID: <p@example.test>\nMIME-Version: 1.0\n"
        "Content-Type: message/partial; id=\"abc@example.test\"; number=1; total=2\n\npart one\n");
    expect_untouched(send_to("main", m));
    EXPECT_TRUE(fleet().get("main").wait_log(queue_id(m) + ": skipped: message/partial"));
}

TEST(MilterDaemon, OverTheSizeLimitIsPassedUnsealed) {
    std::string big = kPlain;
    while (big.size() < 100 * 1024) big += "A line to make the message larger than sixty-four kilobytes.\n";
    const auto m = make_message(big);
    const MilterResult r = send_to("small", m);
    expect_untouched(r);
    EXPECT_EQ(r.reply, SMFIR_ACCEPT);
    EXPECT_EQ(r.stage, SMFIC_BODY) << "buffering stops at the limit";
    EXPECT_TRUE(fleet().get("small").wait_log(queue_id(m) + ": skipped: too large: over MaxMessageSize 65536"));

    // An announced size over the limit is decided at MAIL FROM.
    const auto announced = make_message(big, {.esmtp = {"SIZE=" + std::to_string(big.size())}});
    const MilterResult r2 = send_to("small", announced);
    expect_untouched(r2);
    EXPECT_EQ(r2.stage, SMFIC_MAIL);
    EXPECT_TRUE(fleet().get("small").wait_log(queue_id(announced) + ": skipped: too large: announced size"));

    // Just under the limit is sealed.
    std::string fits = kPlain;
    while (fits.size() < 50 * 1024) fits += "A line to make the message larger, but not too large.\n";
    const auto ok = make_message(fits, {.esmtp = {"SIZE=" + std::to_string(fits.size())}});
    expect_sealed(ok, send_to("small", ok));
}

TEST(MilterDaemon, MsgSizeMacroOverTheLimitIsDecidedAtMailFrom) {
    auto m = make_message(kPlain);
    m.macros[SMFIC_MAIL].emplace_back("{msg_size}", "200000");
    const MilterResult r = send_to("small", m);
    expect_untouched(r);
    EXPECT_EQ(r.stage, SMFIC_MAIL);
    EXPECT_TRUE(fleet().get("small").wait_log(queue_id(m) + ": skipped: too large: announced size 200000"));
}

TEST(MilterDaemon, QueueIdKnownOnlyAtEndOfHeader) {
    // Postfix names the queue id only once the first recipient is accepted:
    // the skip is then logged (and the message accepted) at end of header.
    auto m = make_message(kPlain, {.client = "203.0.113.7"});
    m.macros.erase(SMFIC_MAIL);
    m.macros[SMFIC_EOH].emplace_back("i", "LATEQID1");
    const MilterResult r = send_to("main", m);
    expect_untouched(r);
    EXPECT_EQ(r.stage, SMFIC_EOH);
    EXPECT_TRUE(fleet().get("main").wait_log("LATEQID1: skipped: external client 203.0.113.7"));

    // Never named at all: logged as NOQUEUE at end of header.
    auto none = make_message(kPlain, {.client = "203.0.113.8"});
    none.macros.erase(SMFIC_MAIL);
    expect_untouched(send_to("main", none));
    EXPECT_TRUE(fleet().get("main").wait_log("NOQUEUE: skipped: external client 203.0.113.8"));
}

class MimeShape : public ::testing::TestWithParam<std::string> {};

// In the default mode every shape gets both seal parts.
TEST_P(MimeShape, IsSealedWithPartsVerifiesAndKeepsTheOriginalBytes) {
    const auto m = make_message(data("shapes/" + GetParam()));
    const MilterResult r = send_to("main", m);
    expect_sealed(m, r);
    ASSERT_TRUE(r.body_replaced);
    EXPECT_NE(r.new_body.find("Bounce seal record:"), std::string::npos);
    EXPECT_NE(r.new_body.find("Bounce seal signature"), std::string::npos);
    const std::string& body = m.body;
    const std::string& out = r.new_body;
    const std::size_t close = body.rfind("--\r\n");
    if (out.find(body) == std::string::npos) {
        // Appended to a multipart/mixed: the original up to its close
        // delimiter line, the seal parts, then the rest unchanged.
        const std::size_t line = body.rfind("\r\n--", close);
        ASSERT_NE(line, std::string::npos);
        const std::size_t cut = line + 2;
        EXPECT_EQ(out.substr(0, cut), body.substr(0, cut));
        EXPECT_TRUE(out.ends_with(body.substr(cut)));
    }
    EXPECT_LE(out.size() - body.size(), 2000u) << "the seal adds about a kilobyte";
}

INSTANTIATE_TEST_SUITE_P(Shapes, MimeShape,
                         ::testing::Values("plain-7bit.eml", "plain-8bit.eml", "plain-qp.eml", "plain-base64.eml",
                                           "no-mime-version.eml", "8bit-headers.eml", "mixed-attachments.eml",
                                           "alternative.eml", "related.eml", "signed.eml", "rfc822-inside.eml",
                                           "preamble-epilogue.eml", "empty-body.eml"),
                         [](const auto& shape) {
                             std::string n = shape.param.substr(0, shape.param.find('.'));
                             for (char& c : n)
                                 if (c == '-') c = '_';
                             return n;
                         });

TEST(MilterDaemon, SignedEntityStaysByteIdentical) {
    const auto m = make_message(data("shapes/signed.eml"));
    const MilterResult r = send_to("main", m);
    expect_sealed(m, r);
    // The whole multipart/signed body, preamble to close delimiter, is
    // carried verbatim in the first part of the wrapper.
    EXPECT_NE(r.new_body.find(m.body), std::string::npos);
    const std::string rendered = test::render_result(m, r);
    EXPECT_NE(rendered.find("Content-Type: multipart/signed; micalg=pgp-sha256;\r\n"
                            " protocol=\"application/pgp-signature\"; boundary=\"sig-42\"\r\n\r\n" + m.body),
              std::string::npos)
        << "the moved Content-Type keeps its folding";
}

TEST(MilterDaemon, NestedMultipartAndFoldedContentType) {
    const auto m = make_message(
        "From: alice@example.test\nTo: bob@example.org\nMessage-ID: <n@example.test>\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed;\n\tboundary=\"outer\"\nContent-Transfer-Encoding: 7bit\n\n"
        "--outer\nContent-Type: multipart/alternative; boundary=\"inner\"\n\n"
        "--inner\nContent-Type: text/plain\n\nplain\n--inner\nContent-Type: text/html\n\n<p>html</p>\n--inner--\n"
        "--outer\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAECAwQF\n"
        "--outer--\n");
    expect_sealed(m, send_to("main", m));
}

TEST(MilterDaemon, TwentyMegabyteMessage) {
    std::string text =
        "From: alice@example.test\nTo: bob@example.org\nMessage-ID: <big@example.test>\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"big\"\n\n--big\nContent-Type: text/plain\n\nsee attachment\n"
        "--big\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n";
    const std::string line = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\n";
    text.reserve(21u << 20);
    while (text.size() < (20u << 20)) text += line;
    text += "--big--\n";
    const auto m = make_message(text, {.esmtp = {"SIZE=" + std::to_string(text.size())}});
    const auto start = std::chrono::steady_clock::now();
    const MilterResult r = send_to("main", m);
    const auto took = std::chrono::steady_clock::now() - start;
    expect_sealed(m, r);
    EXPECT_GT(r.replacement_chunks, (20u << 20) / 65535);
    EXPECT_LT(took, 20s);
}

TEST(MilterDaemon, SeveralMessagesOnOneConnection) {
    MilterClient client;
    client.connect(fleet().get("main").socket_spec());
    const auto external = make_message(kPlain, {.client = "203.0.113.9"});
    // The client address belongs to the connection: all of these are external.
    expect_untouched(client.run(external));
    expect_untouched(client.run(make_message(kPlain, {.client = "203.0.113.9"})));
    const auto authed = make_message(data("shapes/alternative.eml"), {.client = "203.0.113.9", .auth = "bob"});
    expect_sealed(authed, client.run(authed));
    const auto again = make_message(data("shapes/plain-qp.eml"), {.client = "203.0.113.9", .auth = "bob"});
    expect_sealed(again, client.run(again));
}

TEST(MilterDaemon, SixteenConcurrentConnections) {
    const std::vector<std::string> files = {"plain-7bit.eml", "mixed-attachments.eml", "signed.eml",
                                            "alternative.eml"};
    std::vector<std::string> texts;
    for (const auto& f : files) texts.push_back(data("shapes/" + f));
    std::atomic<int> sealed{0}, failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t) {
        threads.emplace_back([&, t] {
            try {
                for (int i = 0; i < 4; ++i) {
                    const auto m = make_message(texts[static_cast<std::size_t>(t + i) % texts.size()]);
                    MilterClient client;
                    client.connect(fleet().get("main").socket_spec());
                    const MilterResult r = client.run(m);
                    const Judgement j = judge_result(m, r, fleet().keyring());
                    if (r.delivered() && j.verdict == Verdict::pass) ++sealed;
                    else ++failed;
                }
            } catch (const std::exception&) {
                ++failed;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(sealed.load(), 64);
    EXPECT_EQ(failed.load(), 0);
}

TEST(MilterDaemon, RefusesAnMtaThatCannotReplaceTheBody) {
    MilterClient client(5s);
    client.connect(fleet().get("main").socket_spec());
    EXPECT_THROW(client.negotiate(SMFIF_ADDHDRS | SMFIF_CHGHDRS), test::MilterError);
    EXPECT_TRUE(fleet().get("main").wait_log("negotiation refused: the MTA offers milter actions 0x11"));
}

TEST(MilterDaemon, WithoutLeadingSpaceNegotiated) {
    MilterClient client;
    client.connect(fleet().get("main").socket_spec());
    const auto& n = client.negotiate(test::kOfferedActions, test::kOfferedProtocol & ~SMFIP_HDR_LEADSPC);
    EXPECT_FALSE(n.has(SMFIP_HDR_LEADSPC));
    const auto m = make_message(data("shapes/signed.eml"));
    const MilterResult r = client.run(m);
    expect_sealed(m, r);
    for (const auto& mod : r.modifications) {
        if (mod.action == SMFIR_ADDHEADER || mod.action == SMFIR_CHGHEADER) {
            EXPECT_NE(mod.value.front(), ' ') << mod.name << ": the MTA adds the space itself";
        }
    }
}

TEST(MilterDaemon, DaemonNamesAndSenderDomains) {
    auto& d = fleet().get("policy");
    const auto ok = make_message(kPlain, {.daemon_name = "MSA"});
    expect_sealed(ok, send(d.socket_spec(), ok));
    const auto other_daemon = make_message(kPlain, {.daemon_name = "MTA"});
    expect_untouched(send(d.socket_spec(), other_daemon));
    EXPECT_TRUE(d.wait_log(queue_id(other_daemon) + ": skipped: daemon MTA not in DaemonNames"));
    const auto other_sender = make_message(kPlain, {.sender = "carol@other.test", .daemon_name = "MSA"});
    expect_untouched(send(d.socket_spec(), other_sender));
    EXPECT_TRUE(d.wait_log(queue_id(other_sender) + ": skipped: sender domain other.test not in SenderDomains"));
    const auto authed = make_message(kPlain, {.client = "203.0.113.5", .auth = "alice", .daemon_name = "MSA"});
    expect_untouched(send(d.socket_spec(), authed));  // SealAuthenticated false
}

// RFC 5321 4.1.2: a source route is accepted and ignored. SenderDomains
// judges the mailbox after the route, and the seal is made for that
// mailbox: a bounce to bob@example.test verifies.
TEST(MilterDaemon, SourceRoutedSenderIsSealedForItsMailbox) {
    auto& d = fleet().get("policy");
    const auto m = make_message(kPlain, {.sender = "<@relay.test:Bob@Example.TEST>", .daemon_name = "MSA"});
    const MilterResult r = send(d.socket_spec(), m);
    ASSERT_FALSE(r.find(SMFIR_ADDHEADER, "Bounce-Seal").empty()) << d.log();
    const Judgement j = judge_result(m, r, fleet().keyring(), "bob@example.test");
    EXPECT_EQ(j.verdict, Verdict::pass) << reason_name(j.reason);
}

TEST(MilterDaemon, HeaderOnlyMode) {
    const auto m = make_message(data("shapes/mixed-attachments.eml"));
    const MilterResult r = send_to("header", m);
    expect_sealed(m, r);
    EXPECT_FALSE(r.body_replaced);
    ASSERT_EQ(r.modifications.size(), 1u);
    EXPECT_TRUE(fleet().get("header").wait_log(queue_id(m) + ": sealed (header-only)"));
}

// Sends `m` to `daemon` and expects it sealed in `shape` (as the log names
// it): the body replaced with both seal parts in it, or not touched.
MilterResult expect_sealed_as(const std::string& daemon, const test::MilterMessage& m, const std::string& shape) {
    const MilterResult r = send_to(daemon, m);
    expect_sealed(m, r);
    const bool parts = !shape.starts_with("header-only");
    EXPECT_EQ(r.body_replaced, parts) << shape;
    if (parts) {
        EXPECT_NE(r.new_body.find("Bounce seal record:"), std::string::npos);
        EXPECT_NE(r.new_body.find("Bounce seal signature"), std::string::npos);
    } else {
        EXPECT_EQ(r.modifications.size(), 1u) << "only the Bounce-Seal field";
    }
    EXPECT_TRUE(fleet().get(daemon).wait_log(queue_id(m) + ": sealed (" + shape + ")")) << shape;
    return r;
}

// The default SealMode puts both seal parts on a plain message too: the body
// is wrapped, and the log says so. Encrypted mail is one of its exceptions,
// and the log names it.
TEST(MilterDaemon, DefaultModeSealsPlainMailWithParts) {
    expect_sealed_as("main", make_message(kPlain), "wrapped");
    expect_sealed_as("main", make_message(data("shapes/encrypted.eml")), "header-only: encrypted");
}

// SealMode both, the old name of append-only, still means what it did: parts
// only where the message already is multipart/mixed, the header field
// elsewhere; the milter says at start that the name is old.
TEST(MilterDaemon, OldNameBothStillAppendsOnly) {
    EXPECT_TRUE(fleet().get("append-only").wait_log("configuration: "));
    EXPECT_TRUE(fleet().get("append-only").wait_log("SealMode: \"both\" is the old name of append-only"));
    expect_sealed_as("append-only", make_message(kPlain), "header-only");
    expect_sealed_as("append-only", make_message(data("shapes/mixed-attachments.eml")), "appended");
    expect_sealed_as("append-only", make_message(data("shapes/alternative.eml")), "header-only");
}

TEST(MilterDaemon, CommandLineOnlyNeedsNoConfigFile) {
    const auto m = make_message(kPlain);
    expect_sealed(m, send_to("cli", m), "clisel");
}

}  // namespace
}  // namespace bounceseal::milter_test
