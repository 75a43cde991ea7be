// startup.cpp - bounceseal-milter's -n, and its daemon from start to stop
// (see startup.hpp).
//
// Start-up runs as the user who started the program (usually root): read
// the configuration, daemonize, write the pid file, fork the signer process
// (signer.hpp) and wait for its greeting, open the socket and give it its
// mode and group, switch to UserID, start the signal thread, hand over to
// libmilter. The signer is forked before this process starts a thread,
// initialises GMime or opens the socket, and it is the only process that
// reads the key: this one never holds it and, as UserID, may not open it (a
// key that UserID can read is logged as a warning). Every step that fails
// stops the program with a message on standard error (and in the log) and a
// non-zero status.
//
// A signer that ends or stops answering stops the daemon with status
// EX_UNAVAILABLE, once the connections in progress have had their OnError
// answer (StopWhenLost): this process cannot start another signer (it may
// not read the key), and a service manager (the unit's Restart=on-failure)
// starts both afresh from root.
#include "startup.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <csignal>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "bounceseal/common/log.hpp"
#include "bounceseal/error.hpp"
#include "bounceseal/mime.hpp"
#include "callbacks.hpp"
#include "counters.hpp"
#include "privileges.hpp"
#include "reload.hpp"
#include "sealer.hpp"
#include "signer.hpp"
#include "signer_client.hpp"

namespace bounceseal::milter {
namespace {

using Clock = std::chrono::steady_clock;

// How long the signer may take to load its key and greet.
constexpr std::chrono::seconds kSignerStart{10};
// How long the connections in progress get to end after the signer is lost.
constexpr std::chrono::seconds kDrainLimit{5};

std::string describe_exit(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const char* name = sigabbrev_np(WTERMSIG(status));
        return "was killed by signal " + std::to_string(WTERMSIG(status)) +
               (name != nullptr ? std::string(" (SIG") + name + ")" : std::string());
    }
    return "ended with status " + std::to_string(status);
}

// The signer process and the worker's client of it. ended() runs in the
// signal thread, and stop() after that thread has been joined.
class Signer {
public:
    Signer(const LoadOptions& options, const MilterSettings& settings)
        : credentials_(signer_credentials(settings.key_file)),
          process_(start_signer(options, settings, credentials_)),
          client_(std::make_shared<SignerClient>(process_.fd)) {}
    ~Signer() { stop(); }
    Signer(const Signer&) = delete;
    Signer& operator=(const Signer&) = delete;

    SignerClient& client() { return *client_; }
    const std::shared_ptr<SignerClient>& client_ptr() const { return client_; }
    pid_t pid() const { return process_.pid; }

    // "root, no capabilities" or the user's name, for the log.
    std::string user() const {
        const uid_t uid = credentials_.switch_user ? credentials_.uid : geteuid();
        if (uid == 0) return "root, no capabilities";
        const std::optional<UserSpec> u = user_by_id(uid);
        return u ? u->name : "uid " + std::to_string(uid);
    }

    // If the process has ended, how (it is reaped then, and an end the
    // worker did not ask for is logged).
    std::optional<std::string> ended() {
        if (reaped_) return std::nullopt;
        int status = 0;
        if (waitpid(process_.pid, &status, WNOHANG) != process_.pid) return std::nullopt;
        reaped_ = true;
        std::string how = "process " + std::to_string(process_.pid) + " " + describe_exit(status);
        if (!stopping_ || !WIFEXITED(status) || WEXITSTATUS(status) != 0) spdlog::error("signer {}", how);
        return how;
    }

    // Closes the channel, so that the signer exits, and reaps it. (A signer
    // stopped by a signal cannot exit: the service manager, which stops the
    // whole unit, kills it; this process may not.)
    void stop() {
        stopping_ = true;
        client_->on_lost(nullptr);
        client_->lose("the milter is stopping");
        const auto deadline = Clock::now() + std::chrono::seconds(2);
        while (!reaped_ && Clock::now() < deadline) {
            if (ended()) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        if (!reaped_) spdlog::warn("the signer process {} did not exit", process_.pid);
    }

private:
    SignerCredentials credentials_;
    SignerProcess process_;
    std::shared_ptr<SignerClient> client_;
    bool reaped_ = false;
    bool stopping_ = false;
};

// Once the signer is lost, every message gets its OnError answer at once;
// the connections in progress get up to kDrainLimit to finish that way, and
// then the daemon stops as SIGTERM stops it, through libmilter's own signal
// thread. Stopping sooner would leave them unanswered: libmilter, as Debian
// builds it (a pool of worker threads), serves no further command on any
// connection once it stops; and smfi_stop() called from the thread that
// found the loss would wait there for the listener's mutex.
class StopWhenLost {
public:
    StopWhenLost() : thread_([this] { run(); }) {}
    ~StopWhenLost() {
        {
            std::lock_guard lock(mutex_);
            quit_ = true;
        }
        wake_.notify_one();
        thread_.join();
    }
    StopWhenLost(const StopWhenLost&) = delete;
    StopWhenLost& operator=(const StopWhenLost&) = delete;

    // The lost handler of the signer client: called once.
    void operator()(const std::string& why) {
        spdlog::error("signer lost: {}; no message can be sealed (OnError applies): stopping, so that "
                      "bounceseal-milter is started again",
                      log_safe(why, 400));
        {
            std::lock_guard lock(mutex_);
            lost_ = true;
        }
        wake_.notify_one();
    }
    bool lost() {
        std::lock_guard lock(mutex_);
        return lost_;
    }

private:
    void run() {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return lost_ || quit_; });
        const auto deadline = Clock::now() + kDrainLimit;
        while (!quit_ && open_connections() > 0 && Clock::now() < deadline)
            wake_.wait_for(lock, std::chrono::milliseconds(10));
        if (!quit_) kill(getpid(), SIGTERM);
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    bool lost_ = false, quit_ = false;
    std::thread thread_;
};

// A reason not to start: to the log, and to standard error unless the log
// already goes there (-f).
void complain(const std::string& what, bool foreground) {
    spdlog::error("cannot start: {}", log_safe(what, 1000));
    if (foreground) return;
    std::fprintf(stderr, "%s: %s\n", kProgram, what.c_str());
    std::fflush(stderr);
}

// Opens the listening socket as the starting user; sets mode and group.
void open_socket(const MilterSettings& s, const std::optional<UserSpec>& run_as) {
    const std::optional<std::filesystem::path> path = unix_socket_path(s.socket);
    if (path) check_socket_path(*path);
    std::string spec = s.socket;
    if (smfi_setconn(spec.data()) != MI_SUCCESS) throw Error(Errc::config, "Socket: libmilter refuses " + spec);
    // Nobody may connect between bind() and chmod().
    const mode_t old_mask = umask(0177);
    const int rc = smfi_opensocket(true);
    umask(old_mask);
    if (rc != MI_SUCCESS) throw Error(Errc::io, "cannot listen on " + spec + " (see the system log for libmilter's reason)");
    if (path) {
        std::optional<gid_t> group;
        if (!s.socket_group.empty()) group = resolve_group(s.socket_group);
        std::optional<uid_t> owner;
        if (run_as) owner = run_as->uid;
        set_socket_access(*path, s.socket_mode, owner, group);
    }
}

}  // namespace

int check_configuration(const LoadOptions& lo, bool verbose) {
    std::vector<std::string> problems, warnings;
    std::optional<Settings> settings;
    try {
        LoadOptions with_warnings = lo;  // an old name of a value, say
        with_warnings.warnings = &warnings;
        settings = load_settings(with_warnings);
    } catch (const ConfigError& e) {
        problems = e.problems();
    } catch (const std::exception& e) {
        problems.push_back(e.what());
    }
    if (settings) {
        const MilterSettings& m = settings->milter;
        std::optional<UserSpec> worker;
        if (geteuid() == 0) {
            try {
                worker = resolve_user(m.user_id);
                if (worker->uid == 0) problems.push_back("UserID: must not be root");
            } catch (const std::exception& e) {
                problems.push_back(e.what());
            }
        }
        // The key as the daemon would read it: by a signer process, as the
        // key's owner, without capabilities. Its message names the setting
        // at fault (load_signing_key()) or says what else failed.
        try {
            Signer signer(lo, m);
            signer.client().hello(kSignerStart);
        } catch (const std::exception& e) {
            problems.push_back(e.what());
        }
        if (!worker || worker->uid != 0) {
            if (const auto warning = key_exposure_warning(m.key_file, worker)) warnings.push_back(*warning);
        }
        if (!m.socket_group.empty()) {
            try {
                resolve_group(m.socket_group);
            } catch (const std::exception& e) {
                problems.push_back(std::string("SocketGroup: ") + e.what());
            }
        }
        if (verbose && problems.empty()) std::fputs(render_settings(*settings, Program::milter).c_str(), stdout);
    }
    for (const auto& p : problems) std::fprintf(stderr, "%s\n", p.c_str());
    for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    if (!problems.empty()) return 1;
    std::puts("configuration OK");
    return 0;
}

int run_daemon(const LoadOptions& lo, bool foreground, bool verbose) {
    const auto level = verbose ? spdlog::level::debug : spdlog::level::info;
    log_init(kProgram, "mail", foreground, level);

    Settings settings;
    std::vector<std::string> warnings;
    try {
        LoadOptions with_warnings = lo;
        with_warnings.warnings = &warnings;
        settings = load_settings(with_warnings);
    } catch (const ConfigError& e) {
        for (const auto& p : e.problems()) complain(p, foreground);
        return EX_CONFIG;
    }
    const MilterSettings& ms = settings.milter;
    log_init(kProgram, ms.syslog_facility, foreground, level);
    for (const auto& w : warnings) spdlog::warn("configuration: {}", log_safe(w, 1000));

    RuntimeStore store;
    std::optional<UserSpec> run_as;
    Daemon daemon;
    std::optional<Signer> signer;
    try {
        if (geteuid() == 0) run_as = resolve_user(ms.user_id);
        smfiDesc description = filter_description(store);
        if (smfi_register(description) != MI_SUCCESS) throw Error(Errc::io, "smfi_register failed");
        if (!foreground) daemon.detach();
        if (!ms.pid_file.empty()) write_pid_file(ms.pid_file);
        signer.emplace(lo, ms);
        const SignerIdentity identity = signer->client().hello(kSignerStart);
        open_socket(ms, run_as);
        if (run_as) drop_privileges(*run_as);
        mime_init();
        store.set(make_runtime(ms, identity, signer->client_ptr()));
    } catch (const std::exception& e) {
        complain(e.what(), foreground);
        if (!ms.pid_file.empty()) remove_pid_file(ms.pid_file);
        return EX_UNAVAILABLE;
    }

    StopWhenLost stop_when_lost;
    signer->client().on_lost([&stop_when_lost](const std::string& why) { stop_when_lost(why); });
    Reloader reloader(lo, store, signer->client_ptr());
    SignalThread signals;
    signals.start({
        [&] { reloader.reload(); },
        [] { log_counters(milter_counters()); },
        [&] { return store.get()->settings.stats_interval; },
        [&] {
            if (const auto how = signer->ended()) signer->client().lose("its " + *how);
        },
    });
    if (injected_fault() != Fault::none)
        spdlog::warn("fault injection is active (BOUNCESEAL_FAULT); this is for tests only");
    const auto rt = store.get();
    spdlog::info("{} {} starting: socket {} d={} s={} key={} user {} signer {} as {}", kProgram, BOUNCESEAL_VERSION,
                 log_safe(ms.socket), rt->key.domain, rt->key.selector, rt->key_fingerprint,
                 run_as ? run_as->name : std::string("(not switched)"), signer->pid(), signer->user());
    if (const auto warning = key_exposure_warning(ms.key_file, std::nullopt)) spdlog::warn("{}", *warning);
    daemon.ready();

    const int rc = smfi_main();

    // A callback may wait for the signer up to its timeout.
    close_callbacks(kSignerTimeout + std::chrono::seconds(1));
    const bool lost = stop_when_lost.lost();
    signals.stop();
    signer.reset();  // first: its lost handler names stop_when_lost
    log_counters(milter_counters());
    if (!ms.pid_file.empty() && !remove_pid_file(ms.pid_file))
        spdlog::warn("could not remove the pid file {}", log_safe(ms.pid_file.string()));
    spdlog::info("{} stopped", kProgram);
    if (lost) return EX_UNAVAILABLE;
    return rc == MI_SUCCESS ? EX_OK : EX_SOFTWARE;
}

}  // namespace bounceseal::milter
