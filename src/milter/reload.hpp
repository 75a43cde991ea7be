// reload.hpp - the configuration the milter runs with, and changing it
// while it runs.
//
// A Runtime is one immutable snapshot: the settings, the signer's identity
// with the way to have records signed, and the parsed policy. RuntimeStore hands out the current snapshot as a
// shared_ptr; a message takes it at MAIL FROM and keeps it to the end, so a
// reload never changes the rules in the middle of a message, and the old
// snapshot is freed when its last message ends. Reloader rebuilds the
// snapshot from the file and the command-line overrides, after the signer
// process has read the file and its key again, and, if anything fails,
// keeps the old one. SignalThread is the one thread that receives SIGUSR1
// (reload), SIGUSR2 (log the counters) and SIGCHLD (the signer ended), and
// logs the counters every StatsInterval; libmilter keeps SIGHUP, SIGTERM
// and SIGINT.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "bounceseal/common/config.hpp"
#include "bounceseal/seal.hpp"
#include "policy.hpp"
#include "privileges.hpp"
#include "signer_client.hpp"

namespace bounceseal::milter {

struct Runtime {
    MilterSettings settings;
    SealKey key;  // d= and s= as the signer states them; it signs through the signer
    std::string key_fingerprint;  // names the key in logs
    Policy policy;
};

// The snapshot for `settings`, sealing as `identity` through `signer`;
// parses the policy. Throws Error.
std::shared_ptr<const Runtime> make_runtime(const MilterSettings& settings, const SignerIdentity& identity,
                                            std::shared_ptr<SignerClient> signer);

// What to tell the administrator when `worker` (this process's own user
// when nullopt) can read KeyFile: then a flaw in the code that parses mail
// could disclose the key, and the layout before the signer process (the key
// given to UserID) is still in place. nullopt when it cannot.
std::optional<std::string> key_exposure_warning(const std::filesystem::path& key_file,
                                                const std::optional<UserSpec>& worker);

class RuntimeStore {
public:
    std::shared_ptr<const Runtime> get() const;
    void set(std::shared_ptr<const Runtime> runtime);

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const Runtime> current_;
};

class Reloader {
public:
    Reloader(LoadOptions options, RuntimeStore& store, std::shared_ptr<SignerClient> signer)
        : options_(std::move(options)), store_(store), signer_(std::move(signer)) {}

    // Loads the settings afresh and has the signer read the file and its
    // key again. On success the store holds the new snapshot; on failure it
    // keeps the old one (and the signer its old key). Either way one log
    // line says what happened. Returns true on success.
    bool reload();

private:
    LoadOptions options_;
    RuntimeStore& store_;
    std::shared_ptr<SignerClient> signer_;
    std::mutex mutex_;  // one reload at a time
};

class SignalThread {
public:
    // Blocks SIGUSR1, SIGUSR2 and SIGCHLD (and SIGHUP, SIGTERM, SIGINT, which
    // libmilter waits for) in the calling thread. Call it in main() before
    // any thread is started, so that every thread inherits the mask and
    // only the thread that waits for a signal receives it.
    static void block_signals();

    struct Handlers {
        std::function<void()> reload;                        // SIGUSR1
        std::function<void()> stats;                         // SIGUSR2 and every interval
        std::function<std::chrono::seconds()> stats_interval;  // 0: none
        std::function<void()> child_exited;                  // SIGCHLD
    };

    SignalThread() = default;
    ~SignalThread();
    SignalThread(const SignalThread&) = delete;
    SignalThread& operator=(const SignalThread&) = delete;

    void start(Handlers handlers);
    void stop();  // idempotent; joins the thread

private:
    void run();

    Handlers handlers_;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
};

}  // namespace bounceseal::milter
