// startup_test.cpp - black-box tests of how bounceseal-milter starts and
// stops: -n on good and bad configurations, the key file permission check,
// the switch to UserID after the socket is open, stale and live
// sockets, an inet socket, daemonizing with a pid file that is removed at
// SIGTERM, and a cross-check with Debian's miltertest. Each
// test runs its own daemon (or none); miltertest uses the shared fleet.
#include <gtest/gtest.h>

#include <thread>

#include <arpa/inet.h>
#include <pwd.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fleet.hpp"

namespace bounceseal::milter_test {
namespace {

using Clock = std::chrono::steady_clock;

class Startup : public ::testing::Test {
protected:
    void SetUp() override { make_key(dir.path(), "sel1"); }

    // NAME.conf with the standard settings plus `extra`.
    fs::path config(const std::string& name, const std::vector<std::pair<std::string, std::string>>& extra = {}) {
        const fs::path file = dir.path() / (name + ".conf");
        write_file(file, Daemon::config_text(dir.path(), extra));
        return file;
    }

    CommandResult milter(std::vector<std::string> args) {
        args.insert(args.begin(), milter_path());
        return run_command(args, 20s);
    }

    TempDir dir;
};

TEST_F(Startup, CheckAcceptsAGoodConfiguration) {
    const CommandResult r = milter({"-n", "-c", config("good").string()});
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(r.output, "configuration OK\n");
    const CommandResult v = milter({"-n", "-v", "-c", config("good").string()});
    EXPECT_EQ(v.status, 0) << v.output;
    EXPECT_NE(v.output.find("Domain = example.test"), std::string::npos) << v.output;
}

// An old SealMode name is no problem, but -n says it is old, and -v shows
// what it means.
TEST_F(Startup, CheckWarnsOfAnOldSealModeName) {
    const CommandResult r = milter({"-n", "-v", "-c", config("old", {{"SealMode", "wrap"}}).string()});
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("warning: "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("SealMode: \"wrap\" is the old name of full"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("SealMode = full\n"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("configuration OK"), std::string::npos) << r.output;
}

TEST_F(Startup, CheckListsEveryProblem) {
    const fs::path bad = dir.path() / "bad.conf";
    write_file(bad, "[milter]\nDomian = example.test\nMaxMessageSize = lots\nInternalHosts = 10.0.0.0/33\n");
    const CommandResult r = milter({"-n", "-c", bad.string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.output.find("configuration OK"), std::string::npos);
    for (const char* what : {"Domian", "MaxMessageSize", "InternalHosts", "Domain", "Selector", "KeyFile"})
        EXPECT_NE(r.output.find(what), std::string::npos) << what << " not reported in:\n" << r.output;
}

TEST_F(Startup, CheckReportsAMissingKey) {
    const CommandResult r = milter({"-n", "-c", config("nokey", {{"KeyFile", "/nonexistent/key.private"}}).string()});
    EXPECT_EQ(r.status, 1);
    // Named once, by the setting that names the file.
    const std::string line = "KeyFile: /nonexistent/key.private: No such file or directory\n";
    EXPECT_NE(r.output.find(line), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("KeyFile:"), r.output.rfind("KeyFile:")) << r.output;
}

// A Domain the seal cannot carry is the configuration's problem, found on
// its line as Domain's (not later by the signer, and not as KeyFile's),
// from the file or from -d.
TEST_F(Startup, CheckRefusesADomainTheSealCannotCarry) {
    for (const std::string domain : {".example.test", "-example.test"}) {
        const fs::path file = config("dot", {{"Domain", domain}});
        const CommandResult r = milter({"-n", "-c", file.string()});
        EXPECT_EQ(r.status, 1);
        EXPECT_EQ(r.output.find("KeyFile"), std::string::npos) << r.output;
        EXPECT_NE(r.output.find(": Domain: \"" + domain + "\" is not a domain name; expected 1 to 253 letters, "
                                "digits, dots and hyphens, not starting with a dot or a hyphen"),
                  std::string::npos)
            << r.output;
        const CommandResult cli = milter({"-n", "-c", config("good").string(), "-d", domain});
        EXPECT_EQ(cli.status, 1);
        EXPECT_EQ(cli.output.find("KeyFile"), std::string::npos) << cli.output;
        EXPECT_NE(cli.output.find("Domain: \"" + domain + "\" is not a domain name"), std::string::npos)
            << cli.output;
    }
}

TEST_F(Startup, CheckNeedsNoFileWithKeySelectorAndDomain) {
    std::vector<std::string> args = {"-n", "-k", (dir.path() / "sel1.private").string(), "-s", "sel1", "-d",
                                     "example.test"};
    if (!daemon_user().empty()) args.insert(args.end(), {"-u", daemon_user()});
    const CommandResult r = milter(args);
    EXPECT_EQ(r.status, 0) << r.output;
}

TEST_F(Startup, KeyReadableByOthersIsRefused) {
    ASSERT_EQ(::chmod((dir.path() / "sel1.private").c_str(), 0644), 0);
    const CommandResult check = milter({"-n", "-c", config("unsafe").string()});
    EXPECT_EQ(check.status, 1);
    EXPECT_NE(check.output.find("use chmod 600"), std::string::npos) << check.output;

    Daemon d(dir.path(), {.name = "unsafe"});
    const auto status = d.wait_exit(10s);
    ASSERT_TRUE(status) << "a daemon with an unsafe key kept running";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0);
    EXPECT_NE(d.log().find("lets group or other access the private key"), std::string::npos) << d.log();
    EXPECT_FALSE(fs::exists(d.socket_path()));

    const CommandResult relaxed = milter({"-n", "-c", config("relaxed", {{"RequireSafeKeys", "false"}}).string()});
    EXPECT_EQ(relaxed.status, 0) << relaxed.output;
}

TEST_F(Startup, UsageErrorsAndVersion) {
    EXPECT_EQ(milter({"-x"}).status, 64);
    EXPECT_EQ(milter({"-f", "extra-argument"}).status, 64);
    const CommandResult v = milter({"-V"});
    EXPECT_EQ(v.status, 0);
    EXPECT_TRUE(v.output.starts_with("bounceseal-milter ")) << v.output;
}

TEST_F(Startup, UnknownUserIsRefusedWhenRoot) {
    if (::geteuid() != 0) GTEST_SKIP() << "only root switches users";
    const CommandResult r = milter({"-n", "-c", config("user").string(), "-u", "no-such-user-bs"});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.output.find("no such user"), std::string::npos) << r.output;
}

TEST_F(Startup, DropsPrivilegesAfterOpeningTheSocket) {
    if (::geteuid() != 0) GTEST_SKIP() << "only root switches users";
    // A key only root may read: the signer process reads it (that the
    // worker cannot is signer_daemon_test.cpp's business).
    ASSERT_EQ(::chown((dir.path() / "sel1.private").c_str(), 0, 0), 0);
    Daemon d(dir.path(), {.name = "drop"});
    ASSERT_TRUE(d.wait_ready()) << d.log();
    // The socket is there before the switch; the "starting" line comes after it.
    ASSERT_TRUE(d.wait_log("starting: socket")) << d.log();
    const passwd* pw = ::getpwnam(daemon_user().c_str());
    ASSERT_NE(pw, nullptr);
    const std::string uid = std::to_string(pw->pw_uid), gid = std::to_string(pw->pw_gid);
    EXPECT_EQ(proc_status(d.pid(), "Uid:"), uid + "\t" + uid + "\t" + uid + "\t" + uid) << "real, effective, saved, fs";
    EXPECT_EQ(proc_status(d.pid(), "Gid:"), gid + "\t" + gid + "\t" + gid + "\t" + gid);
    for (const std::string& group : {std::string(" 0 "), std::string(" 0\n")})
        EXPECT_EQ((" " + proc_status(d.pid(), "Groups:") + "\n").find(group), std::string::npos) << "root's group kept";
    EXPECT_EQ(proc_status(d.pid(), "CapEff:"), "0000000000000000");
    EXPECT_EQ(proc_status(d.pid(), "CapPrm:"), "0000000000000000");
    // No descriptor of the key file stays open.
    for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(d.pid()) + "/fd")) {
        std::error_code ec;
        EXPECT_NE(fs::read_symlink(fd.path(), ec), dir.path() / "sel1.private");
    }
    struct stat st {};
    ASSERT_EQ(::stat(d.socket_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, pw->pw_uid) << "the socket belongs to the user the milter runs as";
    EXPECT_EQ(st.st_mode & 0777, 0660u);
    const auto m = make_message(kPlain);
    EXPECT_FALSE(send(d.socket_spec(), m).find(SMFIR_ADDHEADER, "Bounce-Seal").empty());
    EXPECT_NE(d.log().find("user " + daemon_user()), std::string::npos) << d.log();
}

TEST_F(Startup, StaleSocketIsReplaced) {
    // A socket file nobody listens on, as a killed filter leaves it.
    const fs::path stale = dir.path() / "stale.sock";
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", stale.c_str());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ::close(fd);
    ASSERT_TRUE(fs::exists(stale));

    Daemon d(dir.path(), {.name = "stale"});
    ASSERT_TRUE(d.wait_ready()) << d.log();
    const auto m = make_message(kPlain);
    const auto r = send(d.socket_spec(), m);
    EXPECT_TRUE(r.delivered());
    EXPECT_FALSE(r.find(SMFIR_ADDHEADER, "Bounce-Seal").empty());
    struct stat st {};
    ASSERT_EQ(::stat(d.socket_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0660u) << "SocketMode";
}

TEST_F(Startup, LiveSocketIsNotTaken) {
    Daemon first(dir.path(), {.name = "first"});
    ASSERT_TRUE(first.wait_ready()) << first.log();
    Daemon second(dir.path(), {.name = "second", .settings = {{"Socket", first.socket_spec()}}});
    const auto status = second.wait_exit(10s);
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0);
    EXPECT_NE(second.log().find("another filter is listening"), std::string::npos) << second.log();
    EXPECT_TRUE(accepts_connections(first.socket_path()));
}

TEST_F(Startup, InetSocket) {
    // A free port on the loopback address.
    const int probe = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::getsockname(probe, reinterpret_cast<sockaddr*>(&a), &len), 0);
    ::close(probe);
    const std::string spec = "inet:" + std::to_string(ntohs(a.sin_port)) + "@127.0.0.1";

    Daemon d(dir.path(), {.name = "inet", .settings = {{"Socket", spec}}});
    const auto deadline = Clock::now() + 10s;
    std::optional<test::MilterResult> r;
    const auto m = make_message(kPlain);
    while (!r && Clock::now() < deadline) {
        try {
            r = send(spec, m);
        } catch (const test::MilterError&) {
            std::this_thread::sleep_for(20ms);
        }
    }
    ASSERT_TRUE(r) << d.log();
    EXPECT_FALSE(r->find(SMFIR_ADDHEADER, "Bounce-Seal").empty());
}

// The daemon's process, once the launcher has exited, is reparented; as a
// subreaper this test process becomes its parent and can reap it.
bool wait_gone(pid_t pid, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    for (;;) {
        if (::waitpid(pid, nullptr, WNOHANG) == pid || ::kill(pid, 0) != 0) return true;
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
}

TEST_F(Startup, DaemonizesAndRemovesThePidFileOnSigterm) {
    ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    const fs::path pid_file = dir.path() / "milter.pid";
    Daemon launcher(dir.path(), {.name = "bg", .args = {"-P", pid_file.string()}, .foreground = false});
    const auto launched = launcher.wait_exit(10s);
    ASSERT_TRUE(launched) << "the starting process did not return";
    ASSERT_TRUE(WIFEXITED(*launched) && WEXITSTATUS(*launched) == 0) << launcher.log();
    ASSERT_TRUE(fs::exists(pid_file));
    const pid_t pid = static_cast<pid_t>(std::stol(read_file(pid_file)));
    EXPECT_NE(pid, launcher.pid());
    EXPECT_EQ(::kill(pid, 0), 0);
    ASSERT_TRUE(accepts_connections(launcher.socket_path())) << "ready is reported after the socket is open";

    const auto m = make_message(kPlain);
    EXPECT_FALSE(send(launcher.socket_spec(), m).find(SMFIR_ADDHEADER, "Bounce-Seal").empty());

    ::kill(pid, SIGTERM);
    const bool gone = wait_gone(pid, 15s);
    if (!gone) ::kill(pid, SIGKILL);
    ASSERT_TRUE(gone) << "still running 15 s after SIGTERM";
    EXPECT_FALSE(fs::exists(pid_file)) << "pid file left behind";
    EXPECT_FALSE(fs::exists(launcher.socket_path())) << "socket left behind";
    ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST(Miltertest, CrossCheckOnASmallMessage) {
    const std::string miltertest = "/usr/bin/miltertest";
    if (::access(miltertest.c_str(), X_OK) != 0) GTEST_SKIP() << "miltertest is not installed";
    // Debian 12's miltertest overflows on replaced bodies over 1 KiB, so it
    // checks the header-only daemon: one field added, body untouched; and a
    // message from outside: accepted at MAIL FROM, nothing added.
    const fs::path script = fleet().dir() / "cross-check.lua";
    write_file(script, R"LUA(
local function check(conn, what, err, stage_nr)
  if err ~= nil then error(what .. ": " .. tostring(err)) end
  if stage_nr ~= nil and mt.test_option(conn, stage_nr) then return nil end
  return mt.getreply(conn)
end
local function message(client, want_seal)
  local conn = mt.connect(sock, 40, 0.25)
  if conn == nil then error("cannot connect to " .. sock) end
  if not mt.test_option(conn, SMFIP_NOCONNECT) then
    check(conn, "conninfo", mt.conninfo(conn, "client.example.test", client), SMFIP_NR_CONN)
  end
  mt.macro(conn, SMFIC_MAIL, "i", want_seal and "MT1" or "MT2")
  local r = check(conn, "mailfrom", mt.mailfrom(conn, "<alice@example.test>"), SMFIP_NR_MAIL)
  if not want_seal then
    if r ~= SMFIR_ACCEPT then error("external: want accept at MAIL FROM") end
    mt.disconnect(conn)
    return
  end
  if r ~= SMFIR_CONTINUE then error("mailfrom: reply " .. string.char(r)) end
  if not mt.test_option(conn, SMFIP_NORCPT) then
    check(conn, "rcptto", mt.rcptto(conn, "<bob@example.org>"), SMFIP_NR_RCPT)
  end
  for _, h in ipairs({{"From", "alice@example.test"}, {"To", "bob@example.org"},
                      {"Subject", "cross-check"}, {"Message-ID", "<mt@example.test>"}}) do
    check(conn, "header", mt.header(conn, h[1], h[2]), SMFIP_NR_HDR)
  end
  r = check(conn, "eoh", mt.eoh(conn), SMFIP_NR_EOH)
  if r ~= nil and r ~= SMFIR_CONTINUE then error("eoh: reply " .. string.char(r)) end
  r = check(conn, "body", mt.bodystring(conn, "Hello from miltertest.\r\n"), SMFIP_NR_BODY)
  if r ~= nil and r ~= SMFIR_CONTINUE then error("body: reply " .. string.char(r)) end
  if mt.eom(conn) ~= nil then error("eom failed") end
  r = mt.getreply(conn)
  if r ~= SMFIR_CONTINUE and r ~= SMFIR_ACCEPT then error("eom: reply " .. string.char(r)) end
  if not mt.eom_check(conn, MT_HDRADD, "Bounce-Seal") then error("no Bounce-Seal field added") end
  if mt.eom_check(conn, MT_BODYCHANGE) then error("body changed in header mode") end
  mt.disconnect(conn)
end
local ok, err = pcall(function() message("127.0.0.1", true); message("203.0.113.5", false) end)
if not ok then mt.echo("FAIL: " .. tostring(err)); os.exit(1) end
mt.echo("PASS")
)LUA");
    const CommandResult r =
        run_command({miltertest, "-D", "sock=" + fleet().get("header").socket_spec(), "-s", script.string()}, 30s);
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("PASS"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace bounceseal::milter_test
