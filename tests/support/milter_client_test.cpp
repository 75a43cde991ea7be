// milter_client_test.cpp - tests of the in-tree milter client: against the
// real libmilter (null_milter, started per test on a unix socket in a private
// temp dir), against Debian's miltertest as a cross-check, and against a
// scripted in-process fake filter for the protocol corners libmilter never
// shows (SKIP, PROGRESS, no-reply stages, broken or silent peers).
// Not tested here: bounceseal's own filter; that is the milter tests' job.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "milter_client.hpp"

namespace {

using namespace bounceseal::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// --- Processes and files -------------------------------------------------------

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

pid_t spawn(const std::vector<std::string>& argv, const fs::path& log) {
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const pid_t pid = ::fork();
    if (pid == 0) {  // only async-signal-safe calls until exec
        ::dup2(log_fd, STDOUT_FILENO);
        ::dup2(log_fd, STDERR_FILENO);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::close(log_fd);
    return pid;
}

std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    for (;;) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) return status;
        if (Clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(5ms);
    }
}

void stop(pid_t pid) {
    ::kill(pid, SIGTERM);
    if (wait_exit(pid, 2s)) return;
    ::kill(pid, SIGKILL);  // null_milter rarely takes libmilter's 5-second stop path
    ::waitpid(pid, nullptr, 0);
}

// Exit code of a command, or -1 if it was killed or overran the limit.
int run_command(const std::vector<std::string>& argv, const fs::path& log) {
    const pid_t pid = spawn(argv, log);
    const auto status = wait_exit(pid, 50s);
    if (!status) stop(pid);
    return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

sockaddr_un unix_address(const fs::path& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    return address;
}

bool accepts_connections(const fs::path& socket_path) {
    const sockaddr_un address = unix_address(socket_path);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

std::string find_in_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');)
        if (!dir.empty() && ::access((fs::path(dir) / program).c_str(), X_OK) == 0)
            return fs::path(dir) / program;
    return {};
}

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "bounceseal-mt-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// Starts null_milter and waits until its socket takes connections.
pid_t start_null_milter(const std::string& mode, const fs::path& socket_path,
                        const fs::path& log) {
    const pid_t pid =
        spawn({NULL_MILTER_PATH, "-m", mode, "-p", "unix:" + socket_path.string()}, log);
    const auto deadline = Clock::now() + 10s;
    while (!accepts_connections(socket_path)) {
        const bool exited = wait_exit(pid, 0ms).has_value();
        if (!exited && Clock::now() < deadline) {
            std::this_thread::sleep_for(5ms);
            continue;
        }
        if (!exited) stop(pid);
        throw std::runtime_error("null_milter -m " + mode + " did not start: " + slurp(log));
    }
    return pid;
}

// null_milter on a unix socket, running for the lifetime of this object.
class NullMilter {
public:
    NullMilter(const TempDir& dir, const std::string& mode)
        : socket_(dir.path() / (mode + ".sock")),
          pid_(start_null_milter(mode, socket_, dir.path() / (mode + ".log"))) {}
    ~NullMilter() { stop(pid_); }
    NullMilter(const NullMilter&) = delete;
    NullMilter& operator=(const NullMilter&) = delete;
    std::string spec() const { return "unix:" + socket_.string(); }

private:
    fs::path socket_;
    pid_t pid_;
};

// --- Messages ------------------------------------------------------------------

// Exactly `size` bytes of numbered CRLF lines, so that a misplaced chunk shows.
std::string pattern_body(std::size_t size) {
    std::string body;
    body.reserve(size + 80);
    char line[80];
    for (std::size_t n = 0; body.size() < size; ++n) {
        std::snprintf(line, sizeof line, "line %09zu the quick brown fox jumps\r\n", n);
        body += line;
    }
    body.resize(size);
    return body;
}

MilterMessage sample_message(std::string body) {
    MilterMessage m;
    m.connect = {"client.example.org", SMFIA_INET, "192.0.2.10", 40123};
    m.helo = "client.example.org";
    m.macros[SMFIC_MAIL] = {{"i", "QID1"}, {"{auth_authen}", "alice"}};
    m.mail_from = {"alice@example.org", {"SIZE=" + std::to_string(body.size())}};
    m.rcpts = {{"bob@example.net", {}}};
    m.headers = {{"From", " Alice <alice@example.org>"},
                 {"To", " bob@example.net"},
                 {"Subject", " hello\n\tworld"}};
    m.body = std::move(body);
    return m;
}

std::size_t chunks_for(std::size_t size) {
    return (size + MILTER_CHUNK_SIZE - 1) / MILTER_CHUNK_SIZE;
}

// --- Tests against null_milter ------------------------------------------------------

TEST(NullMilterPass, AcceptsWithEveryStageNegotiatedAway) {
    TempDir dir;
    NullMilter filter(dir, "pass");
    MilterClient client(10s);
    client.connect(filter.spec());
    const Negotiated& negotiated = client.negotiate();
    constexpr std::uint32_t kAllSkipped = SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL |
                                          SMFIP_NORCPT | SMFIP_NODATA | SMFIP_NOHDRS |
                                          SMFIP_NOEOH | SMFIP_NOBODY;
    EXPECT_EQ(negotiated.protocol & kAllSkipped, kAllSkipped);
    EXPECT_EQ(negotiated.actions, 0U);

    for (int i = 0; i < 2; ++i) {
        const MilterResult result = client.run(sample_message(pattern_body(1024)));
        EXPECT_EQ(result.reply, SMFIR_CONTINUE);
        EXPECT_EQ(result.stage, SMFIC_BODYEOB);
        EXPECT_TRUE(result.delivered());
        EXPECT_TRUE(result.modifications.empty());
        EXPECT_EQ(result.trace, "DE");  // the MAIL macros, then end of message: nothing else
    }
    client.quit();
}

TEST(NullMilterProcess, ReplacesAStaleSocketAndRemovesItOnSigterm) {
    TempDir dir;
    const fs::path socket_path = dir.path() / "stale.sock";
    const sockaddr_un address = unix_address(socket_path);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    ::close(fd);  // what a crashed filter leaves behind: a socket file nobody serves
    ASSERT_FALSE(accepts_connections(socket_path));

    const pid_t pid = start_null_milter("pass", socket_path, dir.path() / "stale.log");
    const auto start = Clock::now();
    ::kill(pid, SIGTERM);
    const auto status = wait_exit(pid, 6s);  // libmilter's own stop path, if taken, needs 5 s
    if (!status) stop(pid);
    ASSERT_TRUE(status.has_value()) << "null_milter ignored SIGTERM";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
    EXPECT_FALSE(fs::exists(socket_path));
    RecordProperty("stop_microseconds",
                   static_cast<int>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        Clock::now() - start)
                                        .count()));
}

class NullMilterReplace : public ::testing::TestWithParam<std::size_t> {};

TEST_P(NullMilterReplace, ReturnsTheIdenticalBodyAndReportsTheHeader) {
    TempDir dir;
    NullMilter filter(dir, "replace");
    const MilterMessage message = sample_message(pattern_body(GetParam()));
    MilterClient client(20s);
    client.connect(filter.spec());
    const MilterResult result = client.run(message);

    EXPECT_EQ(result.reply, SMFIR_CONTINUE);
    EXPECT_EQ(result.stage, SMFIC_BODYEOB);
    EXPECT_TRUE(result.body_replaced);
    EXPECT_EQ(result.new_body.size(), message.body.size());
    EXPECT_TRUE(result.new_body == message.body) << "replacement differs from the body sent";
    EXPECT_EQ(result.replacement_chunks, chunks_for(message.body.size()));
    const auto added = result.find(SMFIR_ADDHEADER, "X-Null-Milter");
    ASSERT_EQ(added.size(), 1U);
    EXPECT_EQ(added[0].value, "seen");
    EXPECT_EQ(static_cast<std::size_t>(std::count(result.trace.begin(), result.trace.end(), 'B')),
              chunks_for(message.body.size()));
    EXPECT_EQ(result.trace.substr(0, 4), "CHDM");  // connect, helo, MAIL macros, MAIL
    client.quit();
}

INSTANTIATE_TEST_SUITE_P(BodySizes, NullMilterReplace,
                         ::testing::Values(std::size_t{1} << 10, std::size_t{1} << 20,
                                           std::size_t{20} << 20),
                         [](const auto& size) { return std::to_string(size.param >> 10) + "KiB"; });

TEST(NullMilterReplaceLoad, SixteenConnectionsOfFiftyMessagesEachAllSucceed) {
    TempDir dir;
    NullMilter filter(dir, "replace");
    const MilterMessage message = sample_message(pattern_body(4096));
    constexpr int kConnections = 16;
    constexpr int kMessages = 50;
    std::atomic<int> good{0};
    std::vector<std::string> failures(kConnections);
    std::vector<std::thread> threads;
    for (int t = 0; t < kConnections; ++t) {
        threads.emplace_back([&, t] {
            try {
                MilterClient client(20s);
                client.connect(filter.spec());
                for (int i = 0; i < kMessages; ++i) {
                    const std::string qid = "Q" + std::to_string(t) + "x" + std::to_string(i);
                    const MilterResult r = client.run(message, {{SMFIC_BODYEOB, {{"i", qid}}}});
                    // Only the first message of a connection carries CONNECT and HELO.
                    const bool session_once = (r.trace.find('C') != std::string::npos) == (i == 0);
                    if (r.delivered() && r.new_body == message.body && session_once &&
                        r.find(SMFIR_ADDHEADER, "X-Null-Milter").size() == 1)
                        ++good;
                }
                client.quit();
            } catch (const std::exception& e) {
                failures[static_cast<std::size_t>(t)] = e.what();
            }
        });
    }
    for (auto& thread : threads) thread.join();
    for (const auto& failure : failures) EXPECT_EQ(failure, "");
    EXPECT_EQ(good.load(), kConnections * kMessages);
}

TEST(Mtdrive, ReportsWritesResultsAndChecksExpectations) {
    TempDir dir;
    NullMilter replace(dir, "replace");
    NullMilter pass(dir, "pass");
    const fs::path eml = dir.path() / "in.eml";
    write_file(eml, "From: Alice <alice@example.org>\nTo: bob@example.net\nSubject: hi\n\nHello\n");
    const fs::path out = dir.path() / "out";
    const fs::path log = dir.path() / "mtdrive.log";

    ASSERT_EQ(run_command({MTDRIVE_PATH, "-p", replace.spec(), "-n", "20", "-c", "4", "--out",
                           out.string(), "--json", "--auth", "alice", eml.string()},
                          log),
              0)
        << slurp(log);
    EXPECT_NE(slurp(log).find("\"messages\":20,\"errors\":0"), std::string::npos) << slurp(log);
    EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 20);
    EXPECT_EQ(slurp(out / "000020.eml"),
              "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: hi\r\n"
              "X-Null-Milter: seen\r\n\r\nHello\r\n");

    EXPECT_EQ(run_command({MTDRIVE_PATH, "-p", pass.spec(), "-n", "50", "-c", "2", "--reuse",
                           "--expect-unchanged", eml.string()},
                          log),
              0)
        << slurp(log);
    // The null filter hands back the same body, so a body change is missing.
    EXPECT_EQ(run_command({MTDRIVE_PATH, "-p", replace.spec(), "--expect-body-change",
                           eml.string()},
                          log),
              1);
    EXPECT_NE(slurp(log).find("body replaced by identical bytes"), std::string::npos) << slurp(log);
}

TEST(Miltertest, AgreesWithTheClientOnTheReplaceFilter) {
    const std::string miltertest = find_in_path("miltertest");
    if (miltertest.empty()) GTEST_SKIP() << "miltertest is not installed";
    TempDir dir;
    NullMilter filter(dir, "replace");
    const std::string body = "first line\r\nsecond line\r\n";
    const fs::path script = dir.path() / "cross.lua";
    write_file(script, R"(local body = "first line\r\nsecond line\r\n"
local conn = mt.connect(")" + filter.spec() + R"(", 40, 0.25)
if conn == nil then error("mt.connect failed") end
if mt.conninfo(conn, "client.example.org", "192.0.2.10") ~= nil then error("conninfo") end
if mt.helo(conn, "client.example.org") ~= nil then error("helo") end
if mt.mailfrom(conn, "<alice@example.org>") ~= nil then error("mailfrom") end
if mt.rcptto(conn, "<bob@example.net>") ~= nil then error("rcptto") end
if mt.header(conn, "Subject", "cross-check") ~= nil then error("header") end
if mt.eoh(conn) ~= nil then error("eoh") end
if mt.bodystring(conn, body) ~= nil then error("bodystring") end
if mt.eom(conn) ~= nil then error("eom") end
if not mt.eom_check(conn, MT_HDRADD, "X-Null-Milter", "seen") then error("no header") end
if not mt.eom_check(conn, MT_BODYCHANGE, body) then error("body not replaced as sent") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("end of message not continued") end
mt.disconnect(conn)
)");
    const fs::path log = dir.path() / "miltertest.log";
    EXPECT_EQ(run_command({miltertest, "-s", script.string()}, log), 0) << slurp(log);

    MilterClient client(10s);
    client.connect(filter.spec());
    MilterMessage message = sample_message(body);
    message.headers = {{"Subject", " cross-check"}};
    const MilterResult result = client.run(message);
    EXPECT_EQ(result.reply, SMFIR_CONTINUE);
    EXPECT_EQ(result.new_body, body);
    EXPECT_EQ(result.find(SMFIR_ADDHEADER, "X-Null-Milter").size(), 1U);
}

// --- A scripted fake filter -------------------------------------------------------

struct Packet {
    char command = 0;
    std::string data;
};

std::string u32(std::uint32_t value) {
    std::string out;
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>((value >> shift) & 0xffU));
    return out;
}

std::string nul_joined(std::initializer_list<std::string_view> fields) {
    std::string out;
    for (const auto f : fields) out.append(f).push_back('\0');
    return out;
}

// Accepts one connection on a unix socket and runs a script against it in a
// thread; every wait in it is bounded so that a client bug fails, not hangs.
class FakeFilter {
public:
    using Script = std::function<void(FakeFilter&)>;

    FakeFilter(const TempDir& dir, Script script) : path_(dir.path() / "fake.sock") {
        const sockaddr_un address = unix_address(path_);
        listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (::bind(listener_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
            ::listen(listener_, 1) != 0)
            throw std::runtime_error("fake filter cannot listen on " + path_.string());
        thread_ = std::thread([this, script = std::move(script)] {
            try {
                wait_readable(listener_);
                peer_ = ::accept(listener_, nullptr, nullptr);
                script(*this);
            } catch (const std::exception& e) {
                error_ = e.what();
            }
            if (peer_ >= 0) ::close(peer_);
        });
    }
    ~FakeFilter() {
        finish();
        ::close(listener_);
    }
    FakeFilter(const FakeFilter&) = delete;
    FakeFilter& operator=(const FakeFilter&) = delete;

    std::string spec() const { return "unix:" + path_.string(); }
    // Waits for the script; empty if it ran to its end.
    std::string finish() {
        if (thread_.joinable()) thread_.join();
        return error_;
    }
    // Every packet read but macros, and their command letters.
    const std::vector<Packet>& seen() const { return seen_; }
    std::string commands() const {
        std::string out;
        for (const auto& p : seen_) out.push_back(p.command);
        return out;
    }

    // --- for scripts ---
    Packet next() {  // the next packet that is not SMFIC_MACRO
        for (;;) {
            Packet p;
            const std::string header = read_exactly(5);
            std::uint32_t length = 0;
            for (std::size_t i = 0; i < 4; ++i)
                length = (length << 8) | static_cast<unsigned char>(header[i]);
            if (length == 0) throw std::runtime_error("fake filter got a zero-length packet");
            p.command = header[4];
            p.data = read_exactly(length - 1);
            if (p.command == SMFIC_MACRO) continue;
            seen_.push_back(p);
            return p;
        }
    }
    Packet expect(char command) {
        Packet p = next();
        if (p.command != command)
            throw std::runtime_error(std::string("fake filter wanted '") + command + "', got '" +
                                     p.command + "'");
        return p;
    }
    void send(char code, std::string_view data = {}) {
        write_raw(u32(static_cast<std::uint32_t>(data.size() + 1)) + code + std::string(data));
    }
    void write_raw(std::string_view bytes) {
        const auto sent = ::send(peer_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent != static_cast<ssize_t>(bytes.size()))
            throw std::runtime_error("fake filter could not send");
    }
    void negotiate(std::uint32_t actions, std::uint32_t protocol) {
        expect(SMFIC_OPTNEG);
        send(SMFIC_OPTNEG, u32(SMFI_PROT_VERSION) + u32(actions) + u32(protocol));
    }
    bool at_eof() {  // the client hung up
        wait_readable(peer_);
        char byte;
        return ::recv(peer_, &byte, 1, 0) == 0;
    }

private:
    static void wait_readable(int fd) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 5000) != 1) throw std::runtime_error("fake filter waited 5 s in vain");
    }
    std::string read_exactly(std::size_t size) {
        std::string out(size, '\0');
        for (std::size_t got = 0; got < size;) {
            wait_readable(peer_);
            const auto n = ::recv(peer_, out.data() + got, size - got, 0);
            if (n <= 0) throw std::runtime_error("fake filter: client closed the connection");
            got += static_cast<std::size_t>(n);
        }
        return out;
    }

    fs::path path_;
    int listener_ = -1;
    int peer_ = -1;
    std::thread thread_;
    std::string error_;
    std::vector<Packet> seen_;
};

constexpr std::uint32_t kOnlyEndOfMessage = SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL |
                                            SMFIP_NORCPT | SMFIP_NODATA | SMFIP_NOHDRS |
                                            SMFIP_NOEOH | SMFIP_NOBODY;

TEST(MilterClientProtocol, NoReplyStagesAreNotAwaitedAndSkipEndsTheBody) {
    TempDir dir;
    FakeFilter fake(dir, [](FakeFilter& f) {
        f.negotiate(0, SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT |
                           SMFIP_NR_DATA | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_SKIP);
        while (f.next().command != SMFIC_BODY) {
        }
        f.send(SMFIR_SKIP);
        f.expect(SMFIC_BODYEOB);
        f.send(SMFIR_ACCEPT);
        f.expect(SMFIC_QUIT);
    });
    MilterClient client(2s);  // had it waited for a reply that never comes, it would fail
    client.connect(fake.spec());
    const MilterResult result = client.run(sample_message(pattern_body(200000)));
    client.quit();
    ASSERT_EQ(fake.finish(), "");
    EXPECT_EQ(result.reply, SMFIR_ACCEPT);
    EXPECT_TRUE(result.body_skipped);
    ASSERT_EQ(fake.commands(), "OCHMRTLLLNBEQ");
    EXPECT_EQ(fake.seen()[10].data.size(), std::size_t{MILTER_CHUNK_SIZE});
    // Without SMFIP_HDR_LEADSPC one leading space goes, as in sendmail; folds stay.
    EXPECT_EQ(fake.seen()[8].data, nul_joined({"Subject", "hello\n\tworld"}));
}

TEST(MilterClientProtocol, HeaderValuesGoVerbatimWithLeadingSpaceNegotiated) {
    TempDir dir;
    FakeFilter fake(dir, [](FakeFilter& f) {
        f.negotiate(0, (kOnlyEndOfMessage & ~SMFIP_NOHDRS) | SMFIP_HDR_LEADSPC | SMFIP_NR_HDR);
        f.expect(SMFIC_HEADER);
        f.expect(SMFIC_HEADER);
        f.expect(SMFIC_BODYEOB);
        f.send(SMFIR_CONTINUE);
    });
    MilterMessage message = sample_message("x\r\n");
    message.headers = {{"Subject", " two  spaces"}, {"X-Tight", "none"}};
    MilterClient client(2s);
    client.connect(fake.spec());
    EXPECT_EQ(client.run(message).reply, SMFIR_CONTINUE);
    ASSERT_EQ(fake.finish(), "");
    EXPECT_EQ(fake.seen()[1].data, nul_joined({"Subject", " two  spaces"}));
    EXPECT_EQ(fake.seen()[2].data, nul_joined({"X-Tight", "none"}));
}

TEST(MilterClientProtocol, ProgressIsWaitedOutAndEveryModificationIsKeptInOrder) {
    TempDir dir;
    FakeFilter fake(dir, [](FakeFilter& f) {
        f.negotiate(SMFI_CURR_ACTS, kOnlyEndOfMessage);
        f.expect(SMFIC_BODYEOB);
        f.send(SMFIR_PROGRESS);
        f.send(SMFIR_ADDHEADER, nul_joined({"X-Added", "one"}));
        f.send(SMFIR_INSHEADER, u32(0) + nul_joined({"X-First", "two"}));
        f.send(SMFIR_CHGHEADER, u32(1) + nul_joined({"To", ""}));
        f.send(SMFIR_CHGFROM, nul_joined({"<new@example.org>", "SIZE=9"}));
        f.send(SMFIR_ADDRCPT, nul_joined({"<carol@example.org>"}));
        f.send(SMFIR_ADDRCPT_PAR, nul_joined({"<dave@example.org>", "NOTIFY=NEVER"}));
        f.send(SMFIR_DELRCPT, nul_joined({"<bob@example.net>"}));
        f.send(SMFIR_QUARANTINE, nul_joined({"held for review"}));
        f.send(SMFIR_REPLBODY, "new ");
        f.send(SMFIR_PROGRESS);
        f.send(SMFIR_REPLBODY, "body\r\n");
        f.send(SMFIR_REPLYCODE, nul_joined({"550 5.7.1 sealed off"}));
    });
    MilterClient client(2s);
    client.connect(fake.spec());
    const MilterMessage message = sample_message("old\r\n");
    const MilterResult r = client.run(message);
    ASSERT_EQ(fake.finish(), "");
    EXPECT_EQ(r.reply, SMFIR_REPLYCODE);
    EXPECT_EQ(r.reply_text, "550 5.7.1 sealed off");
    EXPECT_EQ(r.stage, SMFIC_BODYEOB);
    EXPECT_FALSE(r.delivered());
    std::string order;
    for (const auto& m : r.modifications) order.push_back(m.action);
    EXPECT_EQ(order, "hime+2-qb");
    EXPECT_EQ(r.modifications[1].index, 0U);
    EXPECT_EQ(r.modifications[2].index, 1U);
    EXPECT_EQ(r.modifications[3].name, "<new@example.org>");
    EXPECT_EQ(r.modifications[3].value, "SIZE=9");
    EXPECT_EQ(r.modifications[5].value, "NOTIFY=NEVER");
    EXPECT_EQ(r.modifications[7].value, "held for review");
    EXPECT_EQ(r.new_body, "new body\r\n");
    EXPECT_EQ(r.replacement_chunks, 2U);
    EXPECT_EQ(render_result(message, r),
              "X-First: two\r\nFrom: Alice <alice@example.org>\r\nSubject: hello\r\n\tworld\r\n"
              "X-Added: one\r\n\r\nnew body\r\n");
}

TEST(MilterClientProtocol, RefusalAtMailAbortsAndTheNextMessageStartsAtMail) {
    TempDir dir;
    FakeFilter fake(dir, [](FakeFilter& f) {
        f.negotiate(0, SMFIP_SKIP);
        for (const char c : std::string("CH")) {
            f.expect(c);
            f.send(SMFIR_CONTINUE);
        }
        f.expect(SMFIC_MAIL);
        f.send(SMFIR_REPLYCODE, nul_joined({"550 5.7.1 not you"}));
        f.expect(SMFIC_ABORT);
        f.expect(SMFIC_MAIL);
        f.send(SMFIR_CONTINUE);
        f.expect(SMFIC_RCPT);
        f.send(SMFIR_TEMPFAIL);  // only this recipient is refused
        for (;;) {
            const char c = f.next().command;
            f.send(SMFIR_CONTINUE);
            if (c == SMFIC_BODYEOB) break;
        }
        if (!f.at_eof()) throw std::runtime_error("client did not hang up");
    });
    MilterClient client(2s);
    client.connect(fake.spec());
    MilterMessage message = sample_message("body\r\n");
    const MilterResult refused = client.run(message);
    EXPECT_EQ(refused.reply, SMFIR_REPLYCODE);
    EXPECT_EQ(refused.reply_text, "550 5.7.1 not you");
    EXPECT_EQ(refused.stage, SMFIC_MAIL);
    message.rcpts = {{"bob@example.net", {}}, {"carol@example.net", {}}};
    const MilterResult delivered = client.run(message);
    EXPECT_TRUE(delivered.delivered());
    EXPECT_EQ(delivered.rejected_rcpts, std::vector<std::string>{"bob@example.net"});
    EXPECT_EQ(delivered.trace.find('C'), std::string::npos);
    client = MilterClient();  // hanging up without QUIT, as after a crash
    EXPECT_EQ(fake.finish(), "");
    EXPECT_EQ(fake.commands(), "OCHMAMRRTLLLNBE");
}

TEST(MilterClientProtocol, HangupInTheMiddleOfAReplyNamesSocketAndCommand) {
    TempDir dir;
    FakeFilter fake(dir, [](FakeFilter& f) {
        f.negotiate(SMFIF_ADDHDRS, kOnlyEndOfMessage);
        f.expect(SMFIC_BODYEOB);
        f.write_raw(u32(20) + "h");  // announces 20 bytes, sends one
    });
    MilterClient client(2s);
    client.connect(fake.spec());
    try {
        client.run(sample_message("x\r\n"));
        ADD_FAILURE() << "a truncated reply was accepted";
    } catch (const MilterError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find(fake.spec()), std::string::npos) << what;
        EXPECT_NE(what.find("SMFIC_BODYEOB"), std::string::npos) << what;
        EXPECT_NE(what.find("closed the connection after 5 of 24 bytes"), std::string::npos)
            << what;
    }
    EXPECT_FALSE(client.connected());
    EXPECT_EQ(fake.finish(), "");
}

TEST(MilterClientProtocol, ASilentFilterTimesOut) {
    TempDir dir;
    FakeFilter fake(dir, [](FakeFilter& f) {
        f.negotiate(0, kOnlyEndOfMessage);
        f.expect(SMFIC_BODYEOB);
        if (!f.at_eof()) throw std::runtime_error("client did not hang up");
    });
    MilterClient client(300ms);
    client.connect(fake.spec());
    const auto start = Clock::now();
    try {
        client.run(sample_message("x\r\n"));
        ADD_FAILURE() << "no reply, yet run() returned";
    } catch (const MilterError& e) {
        EXPECT_NE(std::string(e.what()).find("timed out after 300 ms"), std::string::npos)
            << e.what();
    }
    EXPECT_LT(Clock::now() - start, 3s);
    EXPECT_EQ(fake.finish(), "");
}

// --- Message helpers ------------------------------------------------------------

TEST(MessageHelpers, ParseKeepsFoldsAndMakesTheBodyCrlf) {
    for (const std::string eol : {"\n", "\r\n"}) {
        const MilterMessage m = parse_rfc5322("From: a@example.org" + eol + "Subject: one" + eol +
                                              "\ttwo" + eol + eol + "line" + eol + "last");
        ASSERT_EQ(m.headers.size(), 2U);
        EXPECT_EQ(m.headers[1], (std::pair<std::string, std::string>{"Subject", " one\n\ttwo"}));
        EXPECT_EQ(m.body, "line\r\nlast");
    }
    EXPECT_THROW(parse_rfc5322("not a header\n\nbody"), std::invalid_argument);
    EXPECT_EQ(first_address(" Alice <alice@example.org>"), "alice@example.org");
    EXPECT_EQ(first_address(" bob@example.net, carol@example.net"), "bob@example.net");
}

}  // namespace
