// signer_test.cpp - bounceseal-milter's signer process (signer.hpp) started
// as the daemon starts it, and spoken to over its socketpair the way a
// worker taken over by an attacker could: what it signs, what it refuses
// (records of another domain or selector, records not in canonical form or
// dated far from now, arbitrary bytes), its reloads, many threads through
// one SignerClient, and its sandbox (as root: no capability, and a seccomp
// filter that kills it at a forbidden system call). The daemon around it is
// signer_daemon_test.cpp's.
#include <gtest/gtest.h>

#include <atomic>
#include <ctime>
#include <functional>
#include <map>
#include <random>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <grp.h>
#include <signal.h>
#include <sys/mman.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bounceseal/record.hpp"
#include "daemon_harness.hpp"
#include "sandbox.hpp"
#include "signer.hpp"
#include "signer_client.hpp"
#include "signer_protocol.hpp"

namespace bounceseal::milter_test {
namespace {

using milter::SignerClient;
using milter::SignerMessage;
namespace code = milter::signer_code;

// A record this signer should sign: d=example.test, s=`selector`, dated
// `age` seconds ago.
std::string record(const std::string& domain = "example.test", const std::string& selector = "sel1",
                   std::int64_t age = 0) {
    Record r;
    r.domain = domain;
    r.selector = selector;
    r.timestamp = static_cast<std::int64_t>(std::time(nullptr)) - age;
    r.nonce = Bytes(kNonceBytes, 1);
    r.body_hash = Bytes(kBodyHashBytes, 2);
    r.sender_hash = Bytes(kBindingBytes, 3);
    r.msgid_hash = Bytes(kBindingBytes, 4);
    return record_text(r);
}

class SignerProcessTest : public ::testing::Test {
protected:
    void SetUp() override {
        keys_.emplace("sel1", make_key(dir.path(), "sel1"));
        write_config("sel1");
        options_.file = config_;
        options_.file_must_exist = true;
        options_.require_for = Program::milter;
    }
    void TearDown() override {
        if (process_.fd >= 0) ::close(process_.fd);
        if (process_.pid > 0) {
            ::kill(process_.pid, SIGKILL);
            ::waitpid(process_.pid, nullptr, 0);
        }
    }

    void write_config(const std::string& selector) {
        write_file(config_, "[milter]\nDomain = example.test\nSelector = " + selector + "\nKeyFile = " +
                                (dir.path() / (selector + ".private")).string() + "\n");
    }

    // Starts the signer as the daemon would; its greeting is left unread.
    void start() {
        const Settings settings = load_settings(options_);
        process_ = milter::start_signer(options_, settings.milter, milter::signer_credentials(settings.milter.key_file));
    }

    void send_raw(std::string_view datagram) {
        ASSERT_EQ(::send(process_.fd, datagram.data(), datagram.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(datagram.size()));
    }
    // The next answer, within 10 s.
    SignerMessage receive() {
        pollfd p{process_.fd, POLLIN, 0};
        if (::poll(&p, 1, 10000) != 1) throw std::runtime_error("the signer did not answer");
        char buf[milter::kMaxSignerMessage + 1];
        const ssize_t n = ::recv(process_.fd, buf, sizeof buf, 0);
        if (n <= 0) throw std::runtime_error("the signer closed the socket");
        const auto m = milter::decode_signer_message(std::string_view(buf, static_cast<std::size_t>(n)));
        if (!m) throw std::runtime_error("a malformed answer");
        return *m;
    }
    SignerMessage ask(char c, std::string_view payload, std::uint32_t id = 7) {
        send_raw(milter::encode_signer_message(id, c, payload));
        return receive();
    }
    milter::SignerIdentity greeting() {
        const SignerMessage hello = receive();
        EXPECT_EQ(hello.id, 0u);
        EXPECT_EQ(hello.code, code::done) << hello.payload;
        return milter::decode_identity(hello.payload);
    }

    // The signature answers `text` with, checked with the key of `selector`.
    void expect_signed(const std::string& text, const std::string& selector = "sel1") {
        const SignerMessage m = ask(code::sign, text, 42);
        EXPECT_EQ(m.id, 42u);
        ASSERT_EQ(m.code, code::done) << m.payload;
        ASSERT_EQ(m.payload.size(), kSignatureBytes);
        EXPECT_TRUE(keys_.at(selector).verify(text, Bytes(m.payload.begin(), m.payload.end())));
    }
    // A refusal naming `why`.
    void expect_refused(std::string_view request, const std::string& why, char c = code::sign) {
        const SignerMessage m = ask(c, request);
        EXPECT_EQ(m.code, code::refused) << "signed: " << std::string(request.substr(0, 80));
        EXPECT_NE(m.payload.find(why), std::string::npos) << m.payload;
    }

    TempDir dir;
    fs::path config_ = dir.path() / "signer.conf";
    LoadOptions options_;
    std::map<std::string, PublicKey> keys_;
    milter::SignerProcess process_;
};

TEST_F(SignerProcessTest, GreetsWithItsIdentity) {
    start();
    const milter::SignerIdentity id = greeting();
    EXPECT_EQ(id.domain, "example.test");
    EXPECT_EQ(id.selector, "sel1");
    EXPECT_EQ(id.public_key.pem(), keys_.at("sel1").pem());
}

TEST_F(SignerProcessTest, GreetsWithWhyItCannotLoadTheKey) {
    ASSERT_EQ(::chmod((dir.path() / "sel1.private").c_str(), 0640), 0);
    start();
    const SignerMessage hello = receive();
    EXPECT_EQ(hello.code, code::failed);
    EXPECT_NE(hello.payload.find("lets group or other access the private key"), std::string::npos) << hello.payload;
    // Said where it happens: the setting, then the file (-n and the log
    // print it as it is).
    const std::string named = "KeyFile: " + (dir.path() / "sel1.private").string() + ": ";
    EXPECT_EQ(hello.payload.rfind(named, 0), 0u) << hello.payload;
}

TEST_F(SignerProcessTest, SignsOnlyCanonicalRecordsOfItsOwnDomainAndSelectorDatedNow) {
    start();
    greeting();
    expect_signed(record());
    expect_signed(record("example.test", "sel1", milter::kMaxClockDistance - 5));
    expect_refused(record("other.test"), "d=other.test s=sel1 is not this signer's key");
    expect_refused(record("example.test", "sel2"), "d=example.test s=sel2 is not this signer's key");
    expect_refused(record("EXAMPLE.test"), "is not this signer's key");
    // Dated to become valid later, or long ago: what a taken-over worker
    // would want to stock up on.
    expect_refused(record("example.test", "sel1", -3600), "from the signer's clock");
    expect_refused(record("example.test", "sel1", 86400), "from the signer's clock");
    // What the strict parser tolerates but is not the canonical text.
    std::string crlf = record();
    for (std::size_t at = crlf.find('\n'); at != std::string::npos; at = crlf.find('\n', at + 2)) crlf.insert(at, "\r");
    expect_refused(crlf, "canonical form");
    std::string trailing = record();
    trailing.insert(trailing.find("\nd="), " ");
    expect_refused(trailing, "canonical form");
    expect_refused(record().substr(0, record().size() - 1), "canonical form");
}

TEST_F(SignerProcessTest, RefusesArbitraryBytesAndKeepsServing) {
    start();
    greeting();
    std::mt19937 random(20261204);
    for (std::size_t size : {0u, 1u, 64u, 300u, 4096u, 8000u}) {
        std::string junk(size, '\0');
        for (char& c : junk) c = static_cast<char>(random() & 0xff);
        expect_refused(junk, "not a seal record");
    }
    expect_refused("From: alice@example.test\n\nsign me\n", "not a seal record");
    expect_refused(std::string(kRecordIntro) + "\nv=1\n", "not a seal record");
    // A Bounce-Seal field value and a signature part name the same fields,
    // but are not record texts.
    expect_refused(" v=1; a=ed25519-sha256; d=example.test; s=sel1; b=AAAA", "not a seal record");
    expect_refused(record(), "unknown request", 'X');
    expect_refused("payload", "a reload request has no payload", code::reload);
    // Datagrams without an id and a code, or larger than any request.
    send_raw("abc");
    EXPECT_EQ(receive().code, code::refused);
    send_raw(milter::encode_signer_message(9, code::sign, std::string(milter::kMaxSignerMessage + 100, 'x')));
    const SignerMessage big = receive();
    EXPECT_EQ(big.code, code::refused);
    EXPECT_NE(big.payload.find("too long"), std::string::npos) << big.payload;
    // Still alive, still signing.
    expect_signed(record());
}

TEST_F(SignerProcessTest, ReloadSwitchesKeysAndKeepsThePreviousOneForOneReload) {
    keys_.emplace("sel2", make_key(dir.path(), "sel2"));
    keys_.emplace("sel3", make_key(dir.path(), "sel3"));
    start();
    greeting();
    write_config("sel2");
    SignerMessage m = ask(code::reload, "");
    ASSERT_EQ(m.code, code::done) << m.payload;
    EXPECT_EQ(milter::decode_identity(m.payload).selector, "sel2");
    expect_signed(record("example.test", "sel2"), "sel2");
    // A message the worker began before the reload still names sel1.
    expect_signed(record("example.test", "sel1"), "sel1");

    write_config("sel3");
    ASSERT_EQ(ask(code::reload, "").code, code::done);
    expect_signed(record("example.test", "sel3"), "sel3");
    expect_signed(record("example.test", "sel2"), "sel2");
    expect_refused(record("example.test", "sel1"), "is not this signer's key");

    // A reload that fails keeps the key in use.
    ASSERT_EQ(::chmod((dir.path() / "sel3.private").c_str(), 0644), 0);
    m = ask(code::reload, "");
    EXPECT_EQ(m.code, code::failed);
    EXPECT_NE(m.payload.find("use chmod 600"), std::string::npos) << m.payload;
    expect_signed(record("example.test", "sel3"), "sel3");
}

TEST_F(SignerProcessTest, ManyThreadsThroughOneClient) {
    start();
    auto client = std::make_shared<SignerClient>(process_.fd);
    process_.fd = -1;  // the client's now
    const milter::SignerIdentity id = client->hello(std::chrono::seconds(10));
    std::atomic<int> good{0}, bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 250; ++i) {
                const std::string text = record("example.test", "sel1", (t * 250 + i) % 60);
                if (id.public_key.verify(text, client->sign(text))) ++good;
                else ++bad;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(good.load(), 2000);
    EXPECT_EQ(bad.load(), 0);
    EXPECT_FALSE(client->lost());
}

TEST_F(SignerProcessTest, TheClientLosesADeadSignerOnce) {
    start();
    SignerClient client(process_.fd);
    process_.fd = -1;
    client.hello(std::chrono::seconds(10));
    std::atomic<int> calls{0};
    client.on_lost([&](const std::string&) { ++calls; });
    ASSERT_EQ(::kill(process_.pid, SIGKILL), 0);
    ::waitpid(process_.pid, nullptr, 0);
    process_.pid = -1;
    for (int i = 0; i < 3; ++i) {
        try {
            client.sign(record());
            ADD_FAILURE() << "signed without a signer";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), Errc::crypto);
            EXPECT_NE(std::string(e.what()).find("the signer process is lost"), std::string::npos) << e.what();
        }
    }
    EXPECT_TRUE(client.lost());
    EXPECT_EQ(calls.load(), 1);
}

TEST_F(SignerProcessTest, ExitsWhenTheWorkerClosesItsEnd) {
    start();
    greeting();
    ::close(process_.fd);
    process_.fd = -1;
    int status = -1;
    for (int i = 0; i < 200 && ::waitpid(process_.pid, &status, WNOHANG) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    process_.pid = -1;
}

TEST_F(SignerProcessTest, AsRootRunsAsTheKeysOwnerWithoutAnyCapability) {
    if (::geteuid() != 0) GTEST_SKIP() << "only root switches users";
    start();
    greeting();
    EXPECT_EQ(proc_status(process_.pid, "Uid:"), "0\t0\t0\t0");
    for (const char* caps : {"CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"})
        EXPECT_EQ(proc_status(process_.pid, caps), "0000000000000000") << caps;
    EXPECT_EQ(proc_status(process_.pid, "NoNewPrivs:"), "1");
    EXPECT_EQ(proc_status(process_.pid, "Seccomp:"), "2");
}

TEST(SignerSandbox, DropToSignerLeavesNoWayBack) {
    if (::geteuid() != 0) GTEST_SKIP() << "only root has something to drop";
    TempDir dir;
    const fs::path others = dir.path() / "someone-elses";
    write_file(others, "not root's\n", 0600);
    give_to_daemon(others);
    const pid_t pid = ::fork();
    if (pid == 0) {
        try {
            milter::drop_to_signer({.switch_user = true, .uid = 0, .gid = 0});
        } catch (...) {
            ::_exit(100);
        }
        const int want = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                         SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                         SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
        if (::prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) != want) ::_exit(1);
        if (::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) ::_exit(2);
        if (::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) ::_exit(3);
        if (::prctl(PR_CAPBSET_READ, CAP_DAC_OVERRIDE, 0, 0, 0) != 0) ::_exit(4);
        // Still uid 0, yet no file of another user opens, and no capability
        // can be taken back.
        if (::open(others.c_str(), O_RDONLY) >= 0) ::_exit(5);
        __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct data[2] = {};
        data[0].effective = data[0].permitted = 1u << CAP_DAC_OVERRIDE;
        if (::syscall(SYS_capset, &header, data) == 0) ::_exit(6);
        if (::setgroups(0, nullptr) == 0) ::_exit(7);
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "check " << WEXITSTATUS(status) << " failed";
}

// Ends the child by the bare system call, as the signer ends: a
// sanitizer's _exit() makes calls the filter forbids.
[[noreturn]] void exit_child(int status) {
    ::syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

// Runs `call` in a child that has installed the signer's filter; how it ended.
int under_filter(const std::function<void()>& call) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) exit_child(100);
        try {
            milter::install_signer_filter();
        } catch (...) {
            exit_child(101);
        }
        call();
        exit_child(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

bool killed_by_filter(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS; }

TEST(SignerSandbox, TheFilterKillsEveryForbiddenCall) {
    // As the signer does: OpenSSL has done its set-up before the filter.
    ASSERT_FALSE(PrivateKey::from_seed(Bytes(32, 9)).sign("warm up").empty());
    const char* self = "/proc/self/status";
    EXPECT_TRUE(killed_by_filter(under_filter([] { (void)::socket(AF_INET, SOCK_STREAM, 0); }))) << "socket";
    EXPECT_TRUE(killed_by_filter(under_filter([] { (void)::socket(AF_UNIX, SOCK_DGRAM, 0); }))) << "syslog's socket";
    EXPECT_TRUE(killed_by_filter(under_filter([] {
        char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
        ::execve("/bin/true", argv, nullptr);
    }))) << "execve";
    EXPECT_TRUE(killed_by_filter(under_filter([] { (void)::fork(); }))) << "fork";
    EXPECT_TRUE(killed_by_filter(under_filter([] { (void)::kill(1, 0); }))) << "kill";
    EXPECT_TRUE(killed_by_filter(under_filter([] { (void)::open("/tmp/bounceseal-filter-test", O_WRONLY | O_CREAT, 0600); })))
        << "open for writing";
    EXPECT_TRUE(killed_by_filter(under_filter([self] { (void)::open(self, O_RDWR); }))) << "open read-write";
    EXPECT_TRUE(killed_by_filter(under_filter([self] { (void)::open(self, O_RDONLY | O_TRUNC); }))) << "O_TRUNC";
    EXPECT_TRUE(killed_by_filter(under_filter([] {
        (void)::mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }))) << "executable memory";
    EXPECT_TRUE(killed_by_filter(under_filter([] { (void)::unlink("/tmp/bounceseal-filter-test"); }))) << "unlink";
    EXPECT_TRUE(killed_by_filter(under_filter([] { if (::setuid(0) == 0) exit_child(3); }))) << "setuid";
    EXPECT_TRUE(killed_by_filter(under_filter([] { (void)::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0); }))) << "prctl";
    EXPECT_TRUE(killed_by_filter(under_filter([] { (void)::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr); }))) << "ptrace";

    // What the signer does is allowed: read a file, allocate, sign, exit.
    const int status = under_filter([self] {
        const int fd = ::open(self, O_RDONLY | O_CLOEXEC);
        char buf[64];
        if (fd < 0 || ::read(fd, buf, sizeof buf) <= 0) exit_child(1);
        ::close(fd);
        const PrivateKey key = PrivateKey::from_seed(Bytes(32, 9));
        if (key.public_key().verify("x", key.sign("x"))) exit_child(0);
        exit_child(2);
    });
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

}  // namespace
}  // namespace bounceseal::milter_test
