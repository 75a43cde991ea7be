// main.cpp - bounceseal-milter: options, start-up, privilege drop and
// smfi_main().
//
// Start-up runs as the user who started the program (usually root): read
// the configuration, load the key, open the socket and give it its mode and
// group, daemonize, write the pid file, switch to UserID, start the signal
// thread, hand over to libmilter. Every step that fails stops the program
// with a message on standard error (and in the log) and a non-zero status.
// The work on mail is elsewhere: callbacks.cpp and the files it uses.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <csignal>
#include <getopt.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "bounceseal/config.hpp"
#include "bounceseal/error.hpp"
#include "bounceseal/log.hpp"
#include "bounceseal/mime.hpp"
#include "callbacks.hpp"
#include "privileges.hpp"
#include "reload.hpp"
#include "sealer.hpp"

namespace bounceseal::milter {
namespace {

constexpr const char* kProgram = "bounceseal-milter";

struct Options {
    std::optional<std::filesystem::path> config;
    std::vector<Override> overrides;
    bool foreground = false;
    bool check_only = false;
    bool verbose = false;
    bool have_key = false, have_selector = false, have_domain = false;
};

void usage(std::FILE* out) {
    std::fprintf(out,
                 "usage: %s [-fnv] [-c FILE] [-p SOCKET] [-k KEYFILE -s SELECTOR -d DOMAIN]\n"
                 "       [-u USER[:GROUP]] [-P PIDFILE]\n"
                 "  -c FILE      configuration file (default %s)\n"
                 "  -p SOCKET    unix:/PATH, local:/PATH, inet:PORT@HOST or inet6:PORT@HOST\n"
                 "  -k -s -d     key file, selector and signer domain; with all three and no -c,\n"
                 "               no configuration file is needed\n"
                 "  -u USER      user (and group) to run as when started as root\n"
                 "  -P PIDFILE   write the process id to PIDFILE\n"
                 "  -f           stay in the foreground and log to standard error too\n"
                 "  -n           check the configuration and the key, then exit\n"
                 "  -v           verbose: log debugging details (with -n: print the settings)\n"
                 "  -V           print the version and exit\n",
                 kProgram, std::string(kDefaultConfigFile).c_str());
}

std::string absolute_path(const char* arg) {
    std::error_code ec;
    std::filesystem::path p = std::filesystem::absolute(arg, ec);
    return ec ? std::string(arg) : p.string();
}

// Returns the exit status to use, or nullopt to go on.
std::optional<int> parse_options(int argc, char** argv, Options& o) {
    auto add = [&](const char* key, std::string value, const char* flag) {
        o.overrides.push_back({"milter", key, std::move(value), flag});
    };
    int c;
    while ((c = getopt(argc, argv, "c:d:fhk:nP:p:s:u:vV")) != -1) {
        switch (c) {
        case 'c': o.config = absolute_path(optarg); break;
        case 'd': add("Domain", optarg, "-d"); o.have_domain = true; break;
        case 'f': o.foreground = true; break;
        case 'h': usage(stdout); return EX_OK;
        case 'k': add("KeyFile", absolute_path(optarg), "-k"); o.have_key = true; break;
        case 'n': o.check_only = true; break;
        case 'P': add("PidFile", absolute_path(optarg), "-P"); break;
        case 'p': add("Socket", optarg, "-p"); break;
        case 's': add("Selector", optarg, "-s"); o.have_selector = true; break;
        case 'u': add("UserID", optarg, "-u"); break;
        case 'v': o.verbose = true; break;
        case 'V': std::printf("%s %s\n", kProgram, BOUNCESEAL_VERSION); return EX_OK;
        default: usage(stderr); return EX_USAGE;
        }
    }
    if (optind != argc) {
        std::fprintf(stderr, "%s: unexpected argument: %s\n", kProgram, argv[optind]);
        usage(stderr);
        return EX_USAGE;
    }
    return std::nullopt;
}

LoadOptions load_options(const Options& o) {
    LoadOptions lo;
    if (o.config) {
        lo.file = *o.config;
        lo.file_must_exist = true;
    } else {
        lo.file = std::filesystem::path(kDefaultConfigFile);
        // With the key, selector and domain on the command line, the file
        // is optional; otherwise a missing one is an error worth reporting.
        lo.file_must_exist = !(o.have_key && o.have_selector && o.have_domain);
    }
    lo.overrides = o.overrides;
    lo.require_for = Program::milter;
    return lo;
}

// A reason not to start: to the log, and to standard error unless the log
// already goes there (-f).
void complain(const std::string& what, bool foreground) {
    spdlog::error("cannot start: {}", log_safe(what, 1000));
    if (foreground) return;
    std::fprintf(stderr, "%s: %s\n", kProgram, what.c_str());
    std::fflush(stderr);
}

// -n: every problem with the configuration, the key and the users.
int check_configuration(const LoadOptions& lo, bool verbose) {
    std::vector<std::string> problems;
    std::optional<Settings> settings;
    try {
        settings = load_settings(lo);
    } catch (const ConfigError& e) {
        problems = e.problems();
    } catch (const std::exception& e) {
        problems.push_back(e.what());
    }
    if (settings) {
        const MilterSettings& m = settings->milter;
        try {
            make_runtime(m);
        } catch (const std::exception& e) {
            problems.push_back(std::string("KeyFile: ") + e.what());
        }
        if (geteuid() == 0) {
            try {
                if (resolve_user(m.user_id).uid == 0) problems.push_back("UserID: must not be root");
            } catch (const std::exception& e) {
                problems.push_back(e.what());
            }
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
    if (!problems.empty()) return 1;
    std::puts("configuration OK");
    return 0;
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

int run(int argc, char** argv) {
    // Before any thread exists: SIGUSR1/USR2 go to the signal thread only,
    // and SIGHUP/TERM/INT wait for libmilter's own signal thread.
    SignalThread::block_signals();

    Options o;
    if (auto status = parse_options(argc, argv, o)) return *status;
    const LoadOptions lo = load_options(o);
    if (o.check_only) return check_configuration(lo, o.verbose);

    const auto level = o.verbose ? spdlog::level::debug : spdlog::level::info;
    log_init(kProgram, "mail", o.foreground, level);

    Settings settings;
    try {
        settings = load_settings(lo);
    } catch (const ConfigError& e) {
        for (const auto& p : e.problems()) complain(p, o.foreground);
        return EX_CONFIG;
    }
    const MilterSettings& ms = settings.milter;
    log_init(kProgram, ms.syslog_facility, o.foreground, level);
    mime_init();

    RuntimeStore store;
    std::optional<UserSpec> run_as;
    Daemon daemon;
    try {
        store.set(make_runtime(ms));
        if (geteuid() == 0) run_as = resolve_user(ms.user_id);
        smfiDesc description = filter_description(store);
        if (smfi_register(description) != MI_SUCCESS) throw Error(Errc::io, "smfi_register failed");
        open_socket(ms, run_as);
        if (!o.foreground) daemon.detach();
        if (!ms.pid_file.empty()) write_pid_file(ms.pid_file);
        if (run_as) drop_privileges(*run_as);
    } catch (const std::exception& e) {
        complain(e.what(), o.foreground);
        if (!ms.pid_file.empty()) remove_pid_file(ms.pid_file);
        return EX_UNAVAILABLE;
    }

    Reloader reloader(lo, store);
    SignalThread signals;
    signals.start({
        [&] { reloader.reload(); },
        [] { log_counters(milter_counters()); },
        [&] { return store.get()->settings.stats_interval; },
    });
    if (injected_fault() != Fault::none)
        spdlog::warn("fault injection is active (BOUNCESEAL_FAULT); this is for tests only");
    const auto rt = store.get();
    spdlog::info("{} {} starting: socket {} d={} s={} key={} user {}", kProgram, BOUNCESEAL_VERSION,
                 log_safe(ms.socket), rt->key.domain, rt->key.selector, rt->key_fingerprint,
                 run_as ? run_as->name : std::string("(not switched)"));
    daemon.ready();

    const int rc = smfi_main();

    signals.stop();
    log_counters(milter_counters());
    if (!ms.pid_file.empty() && !remove_pid_file(ms.pid_file))
        spdlog::warn("could not remove the pid file {}", log_safe(ms.pid_file.string()));
    spdlog::info("{} stopped", kProgram);
    return rc == MI_SUCCESS ? EX_OK : EX_SOFTWARE;
}

}  // namespace
}  // namespace bounceseal::milter

int main(int argc, char** argv) {
    try {
        return bounceseal::milter::run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bounceseal-milter: %s\n", e.what());
        return EX_SOFTWARE;
    }
}
