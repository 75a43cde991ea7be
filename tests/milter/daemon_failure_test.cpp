// daemon_failure_test.cpp - black-box tests of bounceseal-milter when
// things go wrong, and of its signals: OnError with an injected sealing
// error (accept and tempfail), a failure while the changes are being sent
// (never accepted), an MTA that aborts or hangs up mid-message, key
// material kept out of the logs, SIGUSR2 counters and SIGUSR1 reloads that
// succeed or fail (key unreadable, unsafe or gone). Uses the shared fleet
// (fleet.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleet.hpp"

namespace bounceseal::milter_test {
namespace {

using test::MilterClient;
using test::MilterResult;

// ---- failures -------------------------------------------------------------------

TEST(MilterDaemon, InjectedErrorWithOnErrorAcceptPassesUnmodified) {
    if (!fault_injection_built()) GTEST_SKIP() << "built without BOUNCESEAL_FAULT_INJECTION";
    const auto m = make_message(kPlain);
    const MilterResult r = send_to("fault-accept", m);
    expect_untouched(r);
    EXPECT_TRUE(fleet().get("fault-accept").wait_log(queue_id(m) + ": error: usage: fault injected"));
    EXPECT_TRUE(fleet().get("fault-accept").wait_log("(passed unmodified)"));
}

TEST(MilterDaemon, InjectedErrorWithOnErrorTempfailTempfails) {
    if (!fault_injection_built()) GTEST_SKIP() << "built without BOUNCESEAL_FAULT_INJECTION";
    const auto m = make_message(kPlain);
    const MilterResult r = send_to("fault-tempfail", m);
    EXPECT_EQ(r.reply, SMFIR_REPLYCODE) << test::reply_name(r.reply);
    EXPECT_TRUE(r.reply_text.starts_with("451 4.7.1")) << r.reply_text;
    EXPECT_EQ(r.stage, SMFIC_BODYEOB);
    EXPECT_FALSE(modified(r));
    EXPECT_TRUE(fleet().get("fault-tempfail").wait_log(queue_id(m) + ": error: usage: fault injected"));
    EXPECT_TRUE(fleet().get("fault-tempfail").wait_log("(tempfail)"));
}

TEST(MilterDaemon, FailureWhileSendingChangesIsNeverAccepted) {
    if (!fault_injection_built()) GTEST_SKIP() << "built without BOUNCESEAL_FAULT_INJECTION";
    const auto m = make_message(kPlain);
    const MilterResult r = send_to("fault-apply", m);  // OnError is accept
    EXPECT_FALSE(r.delivered());
    EXPECT_EQ(r.reply, SMFIR_REPLYCODE) << test::reply_name(r.reply);
    EXPECT_TRUE(r.reply_text.starts_with("451")) << r.reply_text;
    EXPECT_TRUE(fleet().get("fault-apply").wait_log(queue_id(m) + ": error: the MTA did not take"));
    EXPECT_TRUE(fleet().get("fault-apply").wait_log("after 1 changes (tempfail)"));
}

TEST(MilterDaemon, AbortHalfwayAndConnectionReuse) {
    auto& d = fleet().get("main");
    RawMta mta(d.socket_path());
    ASSERT_NO_FATAL_FAILURE(open_session(mta));

    // One message; returns the value of the Bounce-Seal field added.
    auto message = [&](const char* qid, bool abort_halfway) -> std::string {
        mta.send(SMFIC_MACRO, std::string(1, SMFIC_MAIL) + nul({"i", qid}));
        EXPECT_EQ(mta.reply(SMFIC_MAIL, nul({"<alice@example.test>"})), SMFIR_CONTINUE);
        EXPECT_EQ(mta.reply(SMFIC_HEADER, nul({"From", " alice@example.test"})), SMFIR_CONTINUE);
        EXPECT_EQ(mta.reply(SMFIC_HEADER, nul({"Subject", " raw"})), SMFIR_CONTINUE);
        EXPECT_EQ(mta.reply(SMFIC_EOH), SMFIR_CONTINUE);
        EXPECT_EQ(mta.reply(SMFIC_BODY, "the body\r\n"), SMFIR_CONTINUE);
        if (abort_halfway) {
            mta.send(SMFIC_ABORT);  // RSET: no reply, no end of message
            return {};
        }
        mta.send(SMFIC_BODYEOB);
        std::string seal;
        bool replaced = false;
        for (;;) {
            const auto [code, data] = mta.read();
            const std::string name = std::string("Bounce-Seal") + '\0';
            if (code == SMFIR_ADDHEADER && data.starts_with(name)) seal = data.substr(name.size());
            if (code == SMFIR_REPLBODY) replaced = true;
            if (code == SMFIR_CONTINUE || code == SMFIR_ACCEPT) break;
            EXPECT_TRUE(code == SMFIR_ADDHEADER || code == SMFIR_CHGHEADER || code == SMFIR_REPLBODY) << code;
        }
        EXPECT_TRUE(replaced);
        return seal;
    };

    EXPECT_EQ(message("RAWABORT1", true), "");
    const std::string second = message("RAWSEAL2", false);
    EXPECT_TRUE(second.starts_with(" v=1;")) << "HDR_LEADSPC: the value keeps its leading space";

    // SMFIC_QUIT_NC: libmilter closes the connection's state and a new SMTP
    // connection starts on the same filter connection, without negotiation.
    mta.send('K');
    ASSERT_EQ(mta.reply(SMFIC_CONNECT, local_connect()), SMFIR_CONTINUE);
    const std::string third = message("RAWNC3", false);
    EXPECT_TRUE(third.starts_with(" v=1;")) << "negotiated flags survive SMFIC_QUIT_NC: " << third;
    mta.send(SMFIC_QUIT);

    EXPECT_TRUE(d.wait_log("RAWABORT1: transaction aborted by the MTA"));
    EXPECT_TRUE(d.wait_log("RAWSEAL2: sealed (wrapped)"));
    EXPECT_TRUE(d.wait_log("RAWNC3: sealed (wrapped)"));
    EXPECT_EQ(d.log_count("RAWABORT1: sealed"), 0u);
}

TEST(MilterDaemon, ConnectionClosedMidBodyEndsTheMessage) {
    auto& d = fleet().get("main");
    {
        RawMta mta(d.socket_path());
        ASSERT_NO_FATAL_FAILURE(open_session(mta));
        ASSERT_NO_THROW(begin_message(mta, "RAWCLOSED1", {"Subject", " cut off"}, std::string(60000, 'x') + "\r\n"));
        // The MTA dies here: the socket closes in the middle of the body.
    }
    // libmilter calls xxfi_abort and xxfi_close for it; the buffered body
    // is freed there (the sanitizer runs of these tests check that no
    // allocation outlives the daemon, scripts/sanitize).
    EXPECT_TRUE(d.wait_log("RAWCLOSED1: transaction aborted by the MTA")) << d.log();
    EXPECT_EQ(d.log_count("RAWCLOSED1: sealed"), 0u);
    const auto m = make_message(kPlain);
    expect_sealed(m, send(d.socket_spec(), m));
}

// Every form a private key's secret could take in a log line: its PEM body
// (whole and line by line), its raw seed in base64 and in hex.
std::vector<std::string> key_secrets(const fs::path& key_file) {
    std::vector<std::string> secrets;
    std::istringstream pem(read_file(key_file));
    for (std::string line; std::getline(pem, line);)
        if (!line.starts_with("-----")) secrets.push_back(line);
    secrets.push_back(private_pem_body(key_file));
    const Bytes seed = private_seed(key_file);
    secrets.push_back(base64_encode(seed).substr(0, 40));
    static const char hex[] = "0123456789abcdef";
    std::string h;
    for (std::uint8_t b : seed) h += {hex[b >> 4], hex[b & 15]};
    secrets.push_back(h);
    return secrets;
}

TEST(MilterDaemon, KeyMaterialIsNeverLogged) {
    // A daemon of its own, with -v, taken through everything that logs
    // about its key: start-up, sealing, the counters, a reload to a new
    // key, and a reload to a key file that holds the secret but does not
    // parse (an error message that quoted the file would leak it). Its log
    // must hold each of these, and no secret of either key.
    TempDir dir;
    const std::vector<std::pair<std::string, PublicKey>> keyring = {{"sel1", make_key(dir.path(), "sel1")}};
    Daemon d(dir.path(), {.name = "keylog", .args = {"-v"}});
    ASSERT_TRUE(d.wait_ready()) << d.log();
    auto m = make_message(kPlain);
    expect_sealed(m, send(d.socket_spec(), m), "sel1", keyring);
    ASSERT_TRUE(d.wait_log(queue_id(m) + ": sealed")) << d.log();
    d.signal(SIGUSR2);
    ASSERT_TRUE(d.wait_log("stats: connections=")) << d.log();

    const std::vector<std::pair<std::string, PublicKey>> keyring2 = {{"sel2", make_key(dir.path(), "sel2")}};
    write_file(d.config_path(), Daemon::config_text(dir.path(), {{"Socket", d.socket_spec()},
                                                                 {"Selector", "sel2"},
                                                                 {"KeyFile", (dir.path() / "sel2.private").string()}}));
    d.signal(SIGUSR1);
    ASSERT_TRUE(d.wait_log("reloaded configuration: d=example.test s=sel2")) << d.log();

    // sel1's PEM without its END line, in a key file that is safe to read.
    const std::string pem = read_file(dir.path() / "sel1.private");
    write_file(dir.path() / "cut.private", pem.substr(0, pem.find("-----END")), 0600);
    write_file(d.config_path(), Daemon::config_text(dir.path(), {{"Socket", d.socket_spec()},
                                                                 {"Selector", "cut"},
                                                                 {"KeyFile", (dir.path() / "cut.private").string()}}));
    d.signal(SIGUSR1);
    ASSERT_TRUE(d.wait_log("reload failed, keeping the previous configuration")) << d.log();
    m = make_message(kPlain);
    expect_sealed(m, send(d.socket_spec(), m), "sel2", keyring2);
    ASSERT_TRUE(d.wait_log(queue_id(m) + ": sealed")) << d.log();

    const std::string log = d.log();
    for (const char* key : {"sel1.private", "sel2.private"})
        for (const auto& secret : key_secrets(dir.path() / key))
            EXPECT_EQ(log.find(secret), std::string::npos) << "material of " << key << " in the log:\n" << log;
}

// ---- signals --------------------------------------------------------------------

TEST(MilterDaemon, Sigusr2LogsTheCounters) {
    auto& d = fleet().get("main");
    const auto m = make_message(kPlain);
    expect_sealed(m, send(d.socket_spec(), m));
    const std::size_t before = d.log_count("stats: ");
    d.signal(SIGUSR2);
    ASSERT_TRUE(d.wait_log("stats: ", 5s, before + 1));
    // "stats: name=value ..." in name order, every counter every time.
    const auto w = d.log_words("stats: ");
    std::vector<std::string> names;
    for (std::size_t i = 1; i < w.size(); ++i) {
        const std::size_t eq = w[i].find('=');
        ASSERT_NE(eq, std::string::npos) << w[i];
        names.push_back(w[i].substr(0, eq));
        if (names.back() == "sealed") {
            EXPECT_GE(std::stoul(w[i].substr(eq + 1)), 1u);
        }
    }
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
    for (const char* name : {"connections", "messages", "sealed", "skipped_external", "skipped_null_sender",
                             "skipped_too_large", "skipped_already_sealed", "errors", "tempfails"})
        EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
}

TEST(MilterDaemon, CountersAreLoggedEveryStatsInterval) {
    auto& d = fleet().get("small");  // StatsInterval 1s
    const std::size_t before = d.log_count("stats: connections=");
    EXPECT_TRUE(d.wait_log("stats: connections=", 4s, before + 2)) << d.log();
}

TEST(MilterDaemon, Sigusr1ReloadsAndKeepsTheOldKeyWhenTheNewOneFails) {
    auto& d = fleet().get("reload");
    const fs::path& dir = fleet().dir();
    // A connection that stays open across the reloads.
    MilterClient held;
    held.connect(d.socket_spec());
    auto m = make_message(kPlain);
    expect_sealed(m, held.run(m), "rsel1");

    // 1. A new key under a new selector, root's like the first: the signer
    // reads it, not the worker.
    fleet().add_key("rsel2", make_key(dir, "rsel2"));
    write_file(d.config_path(), Daemon::config_text(dir, {{"Socket", d.socket_spec()},
                                                           {"Selector", "rsel2"},
                                                           {"KeyFile", (dir / "rsel2.private").string()}}));
    d.signal(SIGUSR1);
    ASSERT_TRUE(d.wait_log("reloaded configuration: d=example.test s=rsel2")) << d.log();
    m = make_message(kPlain);
    expect_sealed(m, held.run(m), "rsel2");
    m = make_message(kPlain);
    expect_sealed(m, send(d.socket_spec(), m), "rsel2");

    // 2. The key file becomes unreadable: the loaded key stays in use.
    ASSERT_EQ(::chmod((dir / "rsel2.private").c_str(), 0), 0);
    d.signal(SIGUSR1);
    ASSERT_TRUE(d.wait_log("reload failed, keeping the previous configuration", 5s, 1)) << d.log();
    m = make_message(kPlain);
    expect_sealed(m, held.run(m), "rsel2");

    // 3. The key file becomes readable by others: refused as unsafe.
    ASSERT_EQ(::chmod((dir / "rsel2.private").c_str(), 0644), 0);
    d.signal(SIGUSR1);
    ASSERT_TRUE(d.wait_log("reload failed, keeping the previous configuration", 5s, 2)) << d.log();
    EXPECT_NE(d.log().find("use chmod 600"), std::string::npos);

    // 4. The key file disappears (a rotation script that moved it too early).
    ASSERT_EQ(::chmod((dir / "rsel2.private").c_str(), 0600), 0);
    fs::rename(dir / "rsel2.private", dir / "rsel2.moved");
    d.signal(SIGUSR1);
    ASSERT_TRUE(d.wait_log("reload failed, keeping the previous configuration", 5s, 3)) << d.log();
    EXPECT_NE(d.log().find("rsel2.private: No such file or directory"), std::string::npos) << d.log();
    m = make_message(kPlain);
    expect_sealed(m, held.run(m), "rsel2");
    fs::rename(dir / "rsel2.moved", dir / "rsel2.private");

    // 5. A configuration that does not parse.
    write_file(d.config_path(), "[milter]\nMaxMessageSize = lots\n");
    d.signal(SIGUSR1);
    ASSERT_TRUE(d.wait_log("reload failed, keeping the previous configuration", 5s, 4)) << d.log();
    m = make_message(kPlain);
    expect_sealed(m, send(d.socket_spec(), m), "rsel2");
    EXPECT_EQ(d.log_count("reloaded configuration"), 1u);
}

}  // namespace
}  // namespace bounceseal::milter_test
