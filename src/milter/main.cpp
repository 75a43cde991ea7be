// main.cpp - bounceseal-milter: the command line.
//
// It parses the options into the configuration's load options and hands
// over to -n or to the daemon (startup.cpp), which starts the signer
// process, drops privileges and runs libmilter. The work on mail is
// elsewhere: callbacks.cpp and the files it uses.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <getopt.h>
#include <sysexits.h>

#include "bounceseal/common/cli.hpp"
#include "bounceseal/common/config.hpp"
#include "reload.hpp"
#include "startup.hpp"

namespace bounceseal::milter {
namespace {

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
                 "usage: %s [-fnvhV] [-c FILE] [-p SOCKET] [-k KEYFILE -s SELECTOR -d DOMAIN]\n"
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
                 "  -h, --help   print this help and exit\n"
                 "  -V, --version  print the version and exit\n",
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
    while ((c = getopt_long(argc, argv, "c:d:fhk:nP:p:s:u:vV", cli::kStandardOptions, nullptr)) != -1) {
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
        case 'V': cli::print_version(kProgram); return EX_OK;
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

int run(int argc, char** argv) {
    // Before any thread exists: SIGUSR1/USR2/CHLD go to the signal thread
    // only, and SIGHUP/TERM/INT wait for libmilter's own signal thread.
    SignalThread::block_signals();

    Options o;
    if (auto status = parse_options(argc, argv, o)) return *status;
    const LoadOptions lo = load_options(o);
    if (o.check_only) return check_configuration(lo, o.verbose);
    return run_daemon(lo, o.foreground, o.verbose);
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
