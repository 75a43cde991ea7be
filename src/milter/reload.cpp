// reload.cpp - configuration snapshots, SIGUSR1 reload and the signal
// thread (see reload.hpp). It does not open sockets, change users or read
// keys: a reload cannot change Socket, SocketMode, SocketGroup, UserID,
// PidFile or SyslogFacility, and says so in the log when they differ; the
// key is the signer's to read.
#include "reload.hpp"

#include <cerrno>
#include <csignal>
#include <ctime>

#include <pthread.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "bounceseal/common/log.hpp"
#include "bounceseal/error.hpp"
#include "counters.hpp"

namespace bounceseal::milter {
namespace {

std::string join_problems(const ConfigError& e) {
    std::string out;
    for (const auto& p : e.problems()) {
        if (!out.empty()) out += "; ";
        out += p;
    }
    return out.empty() ? std::string(e.what()) : out;
}

// Keys whose new value only a restart can apply.
void warn_fixed_settings(const MilterSettings& before, const MilterSettings& after) {
    auto warn = [](const char* key) {
        spdlog::warn("reload: {} changed; it takes effect only after a restart", key);
    };
    if (before.socket != after.socket) warn("Socket");
    if (before.socket_mode != after.socket_mode) warn("SocketMode");
    if (before.socket_group != after.socket_group) warn("SocketGroup");
    if (before.user_id != after.user_id) warn("UserID");
    if (before.pid_file != after.pid_file) warn("PidFile");
    if (before.syslog_facility != after.syslog_facility) warn("SyslogFacility");
}

}  // namespace

std::shared_ptr<const Runtime> make_runtime(const MilterSettings& settings, const SignerIdentity& identity,
                                            std::shared_ptr<SignerClient> signer) {
    RecordSigner through_signer(identity.public_key,
                                [signer = std::move(signer)](std::string_view text) { return signer->sign(text); });
    return std::make_shared<const Runtime>(Runtime{
        settings,
        SealKey{identity.domain, identity.selector, std::move(through_signer)},
        identity.public_key.fingerprint(),
        Policy(settings),
    });
}

std::optional<std::string> key_exposure_warning(const std::filesystem::path& key_file,
                                                const std::optional<UserSpec>& worker) {
    std::optional<UserSpec> user = worker;
    if (!user) user = user_by_id(geteuid());
    if (!user) user = UserSpec{"uid " + std::to_string(geteuid()), geteuid(), getegid()};
    if (!readable_by(key_file, *user)) return std::nullopt;
    const std::string key = log_safe(key_file.string());
    return "KeyFile " + key + " can be read by " + log_safe(user->name) +
           ", the user that parses mail: a flaw in parsing mail could disclose the key. Start bounceseal-milter "
           "as root, give the key to root (chown root:root " + key + "; chmod 600 " + key + ") and restart it";
}

std::shared_ptr<const Runtime> RuntimeStore::get() const {
    std::lock_guard lock(mutex_);
    return current_;
}

void RuntimeStore::set(std::shared_ptr<const Runtime> runtime) {
    std::shared_ptr<const Runtime> old;
    {
        std::lock_guard lock(mutex_);
        old = std::exchange(current_, std::move(runtime));
    }
    // `old` is released here, outside the lock (or later, by the last
    // message still using it).
}

bool Reloader::reload() {
    std::lock_guard lock(mutex_);
    const std::shared_ptr<const Runtime> before = store_.get();
    try {
        std::vector<std::string> warnings;
        LoadOptions with_warnings = options_;
        with_warnings.warnings = &warnings;
        Settings settings = load_settings(with_warnings);
        for (const auto& w : warnings) spdlog::warn("reload: configuration: {}", log_safe(w, 1000));
        // The signer reads the same file: the key is its business alone.
        const SignerIdentity identity = signer_->reload();
        if (identity.domain != settings.milter.domain || identity.selector != settings.milter.selector)
            throw Error(Errc::config, "the signer read d=" + identity.domain + " s=" + identity.selector +
                                          " from a file that has changed since: reload again");
        std::shared_ptr<const Runtime> after = make_runtime(settings.milter, identity, signer_);
        if (before) warn_fixed_settings(before->settings, after->settings);
        spdlog::info("reloaded configuration: d={} s={} key={}", after->key.domain, after->key.selector,
                     after->key_fingerprint);
        store_.set(std::move(after));
        milter_counters().increment(Counter::reloads);
        if (const auto warning = key_exposure_warning(settings.milter.key_file, std::nullopt))
            spdlog::warn("{}", *warning);
        return true;
    } catch (const ConfigError& e) {
        spdlog::error("reload failed, keeping the previous configuration: {}", log_safe(join_problems(e), 2000));
    } catch (const std::exception& e) {
        spdlog::error("reload failed, keeping the previous configuration: {}", log_safe(e.what(), 2000));
    }
    milter_counters().increment(Counter::reload_failures);
    return false;
}

void SignalThread::block_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGCHLD);
    // libmilter's own signal thread sigwait()s for these; no other thread
    // may take them (their default action would end the process at once).
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

SignalThread::~SignalThread() { stop(); }

void SignalThread::start(Handlers handlers) {
    handlers_ = std::move(handlers);
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void SignalThread::stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;
    pthread_kill(thread_.native_handle(), SIGUSR2);
    thread_.join();
}

void SignalThread::run() {
    using Clock = std::chrono::steady_clock;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGCHLD);

    auto interval = [this] {
        try {
            return handlers_.stats_interval ? handlers_.stats_interval() : std::chrono::seconds(0);
        } catch (...) {
            return std::chrono::seconds(0);
        }
    };
    auto call = [](const std::function<void()>& f, const char* what) {
        if (!f) return;
        try {
            f();
        } catch (const std::exception& e) {
            spdlog::error("{} failed: {}", what, log_safe(e.what()));
        }
    };

    std::chrono::seconds every = interval();
    Clock::time_point next = Clock::now() + every;
    while (!stopping_) {
        // Wait for a signal, or until the next stats line is due.
        std::chrono::nanoseconds wait = std::chrono::hours(1);
        if (every.count() > 0) wait = std::max(std::chrono::nanoseconds(0), next - Clock::now());
        timespec ts{};
        ts.tv_sec = static_cast<time_t>(std::chrono::duration_cast<std::chrono::seconds>(wait).count());
        ts.tv_nsec = static_cast<long>((wait - std::chrono::seconds(ts.tv_sec)).count());
        const int sig = sigtimedwait(&set, nullptr, &ts);
        if (stopping_) break;
        if (sig == SIGUSR1) call(handlers_.reload, "reload");
        else if (sig == SIGUSR2) call(handlers_.stats, "stats");
        else if (sig == SIGCHLD) call(handlers_.child_exited, "child");

        // A reload may have changed the interval.
        const std::chrono::seconds now_every = interval();
        const auto now = Clock::now();
        if (now_every != every) {
            every = now_every;
            next = now + every;
        } else if (every.count() > 0 && now >= next) {
            call(handlers_.stats, "stats");
            next = now + every;
        }
    }
}

}  // namespace bounceseal::milter
