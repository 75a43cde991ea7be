// signer_daemon_test.cpp - black-box tests of bounceseal-milter's signer
// process, as root (each test skips otherwise: only a daemon started as
// root keeps the key from the process that parses mail). The worker runs as
// UserID, cannot open the key file and holds none of the key in its memory
// after 1,000 messages; keys rotate by SIGUSR1 under load without a single
// failed message; the layout from before the signer (the key given to
// UserID) keeps working, with a warning; a signer killed or stopped mid-load
// gives OnError answers and never a half-modified message, and the daemon
// exits (EX_UNAVAILABLE) for its service manager to start it again. Each
// test runs its own daemon; the signer's own rules are signer_test.cpp's.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fleet.hpp"

namespace bounceseal::milter_test {
namespace {

using Clock = std::chrono::steady_clock;
using test::MilterClient;
using test::MilterResult;

constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE: the daemon lost its signer

// The signer's process id, from the "starting" line ("... signer PID as USER"),
// or -1 when the line names none.
pid_t signer_pid(const Daemon& d) {
    d.wait_log("starting: socket");
    const auto w = d.log_words("starting: socket");
    for (std::size_t i = 0; i + 1 < w.size(); ++i)
        if (w[i] == "signer") return static_cast<pid_t>(std::stol(w[i + 1]));
    return -1;
}

std::vector<unsigned> status_ids(pid_t pid, const std::string& name) {
    std::istringstream in(proc_status(pid, name));
    std::vector<unsigned> ids;
    for (unsigned id = 0; in >> id;) ids.push_back(id);
    return ids;
}

// The errno of open(file, O_RDONLY) in a child that has the user, group and
// supplementary groups of process `pid`; 0 when the open succeeds.
int open_errno_as(pid_t pid, const fs::path& file) {
    const auto uid = status_ids(pid, "Uid:"), gid = status_ids(pid, "Gid:");
    const auto groups_ids = status_ids(pid, "Groups:");
    const std::vector<gid_t> groups(groups_ids.begin(), groups_ids.end());
    if (uid.empty() || gid.empty()) return -1;
    const pid_t child = ::fork();
    if (child == 0) {
        if (::setgroups(groups.size(), groups.data()) != 0 || ::setresgid(gid[1], gid[1], gid[1]) != 0 ||
            ::setresuid(uid[1], uid[1], uid[1]) != 0)
            ::_exit(255);
        const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        ::_exit(fd >= 0 ? 0 : errno);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string nobody_ids() {
    const passwd* pw = ::getpwnam("nobody");
    const std::string u = pw ? std::to_string(pw->pw_uid) : "?";
    return u + "\t" + u + "\t" + u + "\t" + u;
}

// Messages sent from several threads until stopped, each on a connection
// of its own, sorted by what came back.
class Load {
public:
    // `stop_at_cut`: a thread stops at its first cut connection (the daemon
    // is going away).
    Load(std::string socket_spec, std::vector<std::pair<std::string, PublicKey>> keys, bool stop_at_cut = false)
        : spec_(std::move(socket_spec)), keys_(std::move(keys)), stop_at_cut_(stop_at_cut) {
        constexpr int kThreads = 4;
        for (int i = 0; i < kThreads; ++i) threads_.emplace_back([this] { run(); });
    }
    ~Load() { stop(); }

    void stop() {
        stop_ = true;
        for (auto& t : threads_)
            if (t.joinable()) t.join();
    }
    // Until `n` more messages than now have been sealed; false after `limit`.
    bool wait_sealed(std::size_t n, std::chrono::seconds limit = std::chrono::seconds(60)) {
        const std::size_t goal = sealed_ + n;
        const auto deadline = Clock::now() + limit;
        while (sealed_ < goal) {
            if (Clock::now() >= deadline) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return true;
    }

    std::size_t sealed() const { return sealed_; }
    std::size_t tempfailed() const { return tempfailed_; }
    std::size_t cut() const { return cut_; }
    std::map<std::string, std::size_t> selectors() const {
        std::lock_guard lock(mutex_);
        return selectors_;
    }
    std::vector<std::string> wrong() const {
        std::lock_guard lock(mutex_);
        return wrong_;
    }

private:
    void run() {
        while (!stop_) {
            const auto m = make_message(kPlain);
            MilterResult r;
            try {
                MilterClient client(std::chrono::seconds(20));
                client.connect(spec_);
                r = client.run(m);
            } catch (const test::MilterError& e) {
                // The daemon went away mid-message: the MTA applies its own
                // default (F=T: tempfail); nothing it was sent applies.
                ++cut_;
                if (stop_at_cut_) return;
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                continue;
            }
            const bool changed = modified(r);
            if (r.delivered() && changed) {
                const Judgement j = judge_result(m, r, keys_, m.mail_from.address);
                std::lock_guard lock(mutex_);
                if (j.verdict == Verdict::pass) {
                    ++selectors_[j.selector];
                    ++sealed_;
                } else {
                    wrong_.push_back(queue_id(m) + ": modified but does not verify: " + reason_name(j.reason));
                }
            } else if (!changed && (r.reply == SMFIR_TEMPFAIL ||
                                    (r.reply == SMFIR_REPLYCODE && r.reply_text.starts_with("451 ")))) {
                // OnError tempfail, or a connection that came in as the
                // milter stopped.
                ++tempfailed_;
            } else {
                std::lock_guard lock(mutex_);
                wrong_.push_back(queue_id(m) + ": reply " + test::reply_name(r.reply) + " " + r.reply_text +
                                 (changed ? " after modifications" : ""));
            }
        }
    }

    std::string spec_;
    std::vector<std::pair<std::string, PublicKey>> keys_;
    const bool stop_at_cut_;
    std::vector<std::thread> threads_;
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> sealed_{0}, tempfailed_{0}, cut_{0};
    mutable std::mutex mutex_;
    std::map<std::string, std::size_t> selectors_;
    std::vector<std::string> wrong_;
};

class Signer : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root: only a daemon started as root keeps the key from the worker";
        add_key("sel1");
    }

    void add_key(const std::string& selector) { keys_.emplace_back(selector, make_key(dir.path(), selector)); }
    fs::path key(const std::string& selector) const { return dir.path() / (selector + ".private"); }

    // Points the daemon at another key and has it reload.
    void rotate(Daemon& d, const std::string& selector) {
        write_file(d.config_path(), Daemon::config_text(dir.path(), {{"Socket", d.socket_spec()},
                                                                     {"Selector", selector},
                                                                     {"KeyFile", key(selector).string()}}));
        d.signal(SIGUSR1);
        ASSERT_TRUE(d.wait_log("reloaded configuration: d=example.test s=" + selector + " ", 10s)) << d.log();
    }

    TempDir dir;
    std::vector<std::pair<std::string, PublicKey>> keys_;
};

TEST_F(Signer, TheWorkerCannotOpenTheKeyFile) {
    Daemon d(dir.path(), {.name = "layout"});
    ASSERT_TRUE(d.wait_ready()) << d.log();
    ASSERT_TRUE(d.wait_log("starting: socket")) << d.log();
    EXPECT_EQ(proc_status(d.pid(), "Uid:"), nobody_ids()) << "the worker runs as UserID";
    EXPECT_EQ(open_errno_as(d.pid(), key("sel1")), EACCES) << "the worker's user may open the key file";
    for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(d.pid()) + "/fd")) {
        std::error_code ec;
        EXPECT_NE(fs::read_symlink(fd.path(), ec), key("sel1")) << "the worker has the key file open";
    }
    auto m = make_message(kPlain);
    expect_sealed(m, send(d.socket_spec(), m), "sel1", keys_);

    // A new key, root's as well: read at SIGUSR1 by the signer, which the
    // worker's user could not do.
    add_key("sel2");
    rotate(d, "sel2");
    m = make_message(kPlain);
    expect_sealed(m, send(d.socket_spec(), m), "sel2", keys_);
    EXPECT_EQ(open_errno_as(d.pid(), key("sel2")), EACCES);
    EXPECT_EQ(d.log_count("can be read by"), 0u) << "a warning about this layout:\n" << d.log();

    // The signer: root for a key of root's, but without a capability, under
    // its seccomp filter, with no descriptor but its channel.
    const pid_t signer = signer_pid(d);
    ASSERT_GT(signer, 0) << "no signer process in the log:\n" << d.log();
    EXPECT_EQ(proc_status(signer, "Name:"), "milter-signer");
    EXPECT_EQ(proc_status(signer, "PPid:"), std::to_string(d.pid()));
    EXPECT_EQ(proc_status(signer, "Uid:"), "0\t0\t0\t0");
    for (const char* caps : {"CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"})
        EXPECT_EQ(proc_status(signer, caps), "0000000000000000") << caps;
    EXPECT_EQ(proc_status(signer, "NoNewPrivs:"), "1");
    EXPECT_EQ(proc_status(signer, "Seccomp:"), "2") << "no seccomp filter";
    std::vector<std::string> fds;
    for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(signer) + "/fd"))
        fds.push_back(fd.path().filename().string());
    std::sort(fds.begin(), fds.end());
    EXPECT_EQ(fds, (std::vector<std::string>{"0", "1", "2", "3"}));
}

TEST_F(Signer, TheWorkersMemoryHoldsNoKeyAfterAThousandMessages) {
    Daemon d(dir.path(), {.name = "memory", .settings = {{"SealMode", "full"}}});
    ASSERT_TRUE(d.wait_ready()) << d.log();
    std::atomic<int> sealed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 250; ++i) {
                const auto m = make_message(kPlain);
                try {
                    const MilterResult r = send(d.socket_spec(), m);
                    if (r.delivered() && judge_result(m, r, keys_).verdict == Verdict::pass) ++sealed;
                } catch (const test::MilterError&) {
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    ASSERT_EQ(sealed.load(), 1000) << d.log().substr(0, 4000);

    const Bytes seed = private_seed(key("sel1"));
    const std::string pem = private_pem_body(key("sel1"));
    std::size_t scanned = 0;
    EXPECT_FALSE(memory_contains(d.pid(), seed, &scanned)) << "the key's seed is in the worker's memory";
    EXPECT_GT(scanned, std::size_t{1} << 20) << "too little of the worker's memory was read to mean anything";
    EXPECT_FALSE(memory_contains(d.pid(), Bytes(pem.begin(), pem.end()))) << "the key file's text is in the worker";
    // The same search does find the seed where it is.
    const pid_t signer = signer_pid(d);
    ASSERT_GT(signer, 0) << "no signer process in the log:\n" << d.log();
    EXPECT_TRUE(memory_contains(signer, seed)) << "the search did not find the seed in the signer";
}

TEST_F(Signer, KeysRotateUnderLoadWithoutAFailedMessage) {
    for (const char* s : {"sel2", "sel3", "sel4"}) add_key(s);
    Daemon d(dir.path(), {.name = "rotate"});
    ASSERT_TRUE(d.wait_ready()) << d.log();
    Load load(d.socket_spec(), keys_);
    ASSERT_TRUE(load.wait_sealed(100)) << d.log();
    for (const char* s : {"sel2", "sel3", "sel4"}) {
        ASSERT_NO_FATAL_FAILURE(rotate(d, s));
        ASSERT_TRUE(load.wait_sealed(100)) << d.log();
    }
    load.stop();
    const auto wrong = load.wrong();
    EXPECT_TRUE(wrong.empty()) << wrong.size() << " messages went wrong, the first: " << wrong.front();
    EXPECT_EQ(load.tempfailed(), 0u);
    EXPECT_EQ(load.cut(), 0u) << "connections were dropped";
    const auto by = load.selectors();
    for (const char* s : {"sel1", "sel2", "sel3", "sel4"})
        EXPECT_GT(by.count(s) ? by.at(s) : 0, 0u) << "nothing sealed with " << s;
    EXPECT_EQ(d.log_count(": error: "), 0u) << d.log();
    EXPECT_EQ(d.log_count("reload failed"), 0u) << d.log();
}

TEST_F(Signer, KilledMidLoadEveryMessageGetsOnErrorNoneIsHalfModified) {
    Daemon d(dir.path(), {.name = "killed", .settings = {{"SealMode", "full"}, {"OnError", "tempfail"}}});
    ASSERT_TRUE(d.wait_ready()) << d.log();
    const pid_t signer = signer_pid(d);
    ASSERT_GT(signer, 0) << "no signer process in the log:\n" << d.log();

    // A message that waits before its end: it ends after the signer is gone.
    RawMta held(d.socket_path());
    ASSERT_NO_FATAL_FAILURE(open_session(held));
    ASSERT_NO_THROW(begin_message(held, "HELD1", {"From", " alice@example.test"}, "held\r\n"));

    Load load(d.socket_spec(), keys_, /*stop_at_cut=*/true);
    ASSERT_TRUE(load.wait_sealed(100)) << d.log();
    ASSERT_EQ(::kill(signer, SIGKILL), 0);
    ASSERT_TRUE(d.wait_log("signer process " + std::to_string(signer) + " was killed by signal 9", 10s)) << d.log();
    EXPECT_TRUE(d.wait_log("signer lost: ")) << d.log();

    held.send(SMFIC_BODYEOB);
    std::vector<char> answers;
    std::string text;
    for (;;) {
        std::pair<char, std::string> packet;
        try {
            packet = held.read();
        } catch (const std::exception& e) {
            FAIL() << "no answer to the held message's end: " << e.what() << "\n" << d.log();
        }
        const auto& [code, data] = packet;
        answers.push_back(code);
        if (code == SMFIR_REPLYCODE) text = data;
        if (code != SMFIR_ADDHEADER && code != SMFIR_CHGHEADER && code != SMFIR_REPLBODY && code != SMFIR_PROGRESS)
            break;
    }
    EXPECT_EQ(answers, std::vector<char>{SMFIR_REPLYCODE}) << "anything before the reply is a modification";
    EXPECT_TRUE(text.starts_with("451 ")) << text;
    EXPECT_TRUE(d.wait_log("HELD1: error: ")) << d.log();

    const auto status = d.wait_exit(20s);
    ASSERT_TRUE(status) << "still running after its signer was killed";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == kExitUnavailable) << *status << "\n" << d.log();
    load.stop();
    const auto wrong = load.wrong();
    EXPECT_TRUE(wrong.empty()) << wrong.size() << " messages went wrong, the first: " << wrong.front();
    EXPECT_GE(load.sealed(), 100u);
}

TEST_F(Signer, AHungSignerTimesOutAndTheMessagePassesUnmodified) {
    Daemon d(dir.path(), {.name = "hung"});  // OnError accept
    ASSERT_TRUE(d.wait_ready()) << d.log();
    const pid_t signer = signer_pid(d);
    ASSERT_GT(signer, 0) << "no signer process in the log:\n" << d.log();
    ASSERT_EQ(::kill(signer, SIGSTOP), 0);

    const auto m = make_message(kPlain);
    const auto start = Clock::now();
    MilterClient client(std::chrono::seconds(30));
    client.connect(d.socket_spec());
    const MilterResult r = client.run(m);
    EXPECT_GE(Clock::now() - start, std::chrono::seconds(4)) << "answered before the signer timed out";
    expect_untouched(r);
    EXPECT_TRUE(d.wait_log(queue_id(m) + ": error: crypto: the signer process is lost: it did not answer within 5 s"))
        << d.log();
    EXPECT_TRUE(d.wait_log("(passed unmodified)"));

    const auto status = d.wait_exit(20s);
    ASSERT_TRUE(status) << "still running after its signer hung";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == kExitUnavailable) << *status << "\n" << d.log();
    // Once it runs again, the signer finds its worker gone and exits. (A
    // signer stuck inside a request ends itself by its watchdog; a stopped
    // one is the service manager's to kill, as systemd does with the whole
    // unit.)
    ASSERT_EQ(::kill(signer, SIGCONT), 0);
    const auto deadline = Clock::now() + 10s;
    while (::kill(signer, 0) == 0 && !proc_status(signer, "State:").starts_with("Z") && Clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(::kill(signer, 0) != 0 || proc_status(signer, "State:").starts_with("Z"))
        << "the signer outlived its worker: " << proc_status(signer, "State:");
}

TEST_F(Signer, AKeyGivenToUserIdStillWorksWithAWarning) {
    // The layout before the signer: ADMIN.md told admins to chown the key
    // to the milter's user. After an upgrade it must keep working.
    give_to_daemon(key("sel1"));
    Daemon d(dir.path(), {.name = "old-layout"});
    ASSERT_TRUE(d.wait_ready()) << d.log();
    ASSERT_TRUE(d.wait_log("starting: socket")) << d.log();
    const std::string warning = "KeyFile " + key("sel1").string() + " can be read by nobody";
    EXPECT_TRUE(d.wait_log(warning)) << d.log();
    EXPECT_NE(d.log().find("chown root:root " + key("sel1").string()), std::string::npos) << d.log();
    auto m = make_message(kPlain);
    expect_sealed(m, send(d.socket_spec(), m), "sel1", keys_);
    // The signer takes the key's owner as its user, so that it can read
    // the key again at a reload.
    const pid_t signer = signer_pid(d);
    ASSERT_GT(signer, 0) << "no signer process in the log:\n" << d.log();
    EXPECT_EQ(proc_status(signer, "Uid:"), nobody_ids());
    EXPECT_EQ(proc_status(signer, "CapEff:"), "0000000000000000");
    EXPECT_EQ(proc_status(signer, "Seccomp:"), "2");
    // Not dumpable: the worker, the same user now, may not read the
    // signer's memory (nor trace it).
    const fs::path signer_mem = "/proc/" + std::to_string(signer) + "/mem";
    EXPECT_EQ(open_errno_as(d.pid(), signer_mem), EACCES) << "the worker can read the signer's memory";
    d.signal(SIGUSR1);
    ASSERT_TRUE(d.wait_log("reloaded configuration: d=example.test s=sel1 ")) << d.log();
    EXPECT_TRUE(d.wait_log(warning, 5s, 2)) << "the warning is repeated at every reload";
    m = make_message(kPlain);
    expect_sealed(m, send(d.socket_spec(), m), "sel1", keys_);

    const CommandResult check = run_command({milter_path(), "-n", "-c", d.config_path().string()});
    EXPECT_EQ(check.status, 0) << check.output;
    EXPECT_NE(check.output.find("warning: " + warning), std::string::npos) << check.output;
    EXPECT_NE(check.output.find("configuration OK"), std::string::npos) << check.output;
}

}  // namespace
}  // namespace bounceseal::milter_test
