// benchtool.cpp - the small jobs of scripts/bench that a shell does badly:
//
//   benchtool corpus DIR [--large]       write the benchmark messages (corpus.hpp)
//   benchtool dsn < SEALED > BOUNCE      wrap a message into a DSN returning it
//   benchtool wait-socket PATH SECONDS [PID]
//                                        wait until a unix socket accepts a
//                                        connection; fail at the deadline or
//                                        as soon as PID has exited
//   benchtool spawn-time -n ROUNDS -i INPUT [-w WARMUP] -c 'CMD ARGS' [-c ...]
//                                        run each command ROUNDS times, the
//                                        commands interleaved round by round,
//                                        stdin from INPUT, stdout and stderr
//                                        to /dev/null; print one line per run:
//                                        "ROUND CMD_INDEX WALL_US MAXRSS_KB EXIT"
//
// A command of spawn-time is split at white space (no quoting: the script
// passes paths without spaces) and started with posix_spawn, not a shell, so
// the time is the program's own start-up and work. The tool judges nothing:
// the script reads the figures and the exit statuses.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "corpus.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
namespace bb = bounceseal::bench;

[[noreturn]] void usage() {
    std::fputs(
        "usage: benchtool corpus DIR [--large]\n"
        "       benchtool dsn < SEALED > BOUNCE\n"
        "       benchtool wait-socket PATH SECONDS [PID]\n"
        "       benchtool spawn-time -n ROUNDS -i INPUT [-w WARMUP] -c 'CMD ARGS' [-c ...]\n",
        stderr);
    std::exit(2);
}

void write_file(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

int corpus(int argc, char** argv) {
    if (argc < 3 || argc > 4) usage();
    const bool large = argc == 4 && std::strcmp(argv[3], "--large") == 0;
    if (argc == 4 && !large) usage();
    const std::filesystem::path dir = argv[2];
    std::filesystem::create_directories(dir);
    for (const auto& m : bb::standard_corpus(large)) write_file(dir / (m.name + ".eml"), m.text);
    return 0;
}

int dsn() {
    std::string in;
    char buf[64 * 1024];
    for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n == 0) break;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::runtime_error(std::string("reading standard input: ") + std::strerror(errno));
        in.append(buf, static_cast<std::size_t>(n));
    }
    const std::string out = bb::wrap_in_dsn(in);
    return std::fwrite(out.data(), 1, out.size(), stdout) == out.size() && std::fflush(stdout) == 0 ? 0 : 1;
}

bool connects(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) {
        ::close(fd);
        throw std::runtime_error("socket path too long: " + path);
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

// A daemon's socket appears some time after the process starts and nothing
// tells us when; the probe is a real connect (a file that exists may not
// be listening yet), repeated until a deadline. A libmilter filter sees the
// probe as a connection that closes before negotiation, which it ignores.
int wait_socket(int argc, char** argv) {
    if (argc < 4 || argc > 5) usage();
    const std::string path = argv[2];
    const double seconds = std::strtod(argv[3], nullptr);
    const pid_t pid = argc == 5 ? static_cast<pid_t>(std::strtol(argv[4], nullptr, 10)) : 0;
    const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
    for (;;) {
        if (connects(path)) return 0;
        if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) {
            std::fprintf(stderr, "benchtool: process %d exited before %s accepted connections\n",
                         static_cast<int>(pid), path.c_str());
            return 1;
        }
        if (Clock::now() >= deadline) {
            std::fprintf(stderr, "benchtool: %s accepts no connection after %.1f s\n", path.c_str(),
                         seconds);
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

std::vector<std::string> split_words(const std::string& s) {
    std::istringstream in(s);
    return {std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
}

struct RunResult {
    double wall_us = 0;
    long maxrss_kb = 0;
    int exit_code = 0;  // 128+N for a signal, as a shell would say
};

RunResult run_once(const std::vector<std::string>& cmd, const std::string& input) {
    std::vector<char*> args;
    for (const auto& a : cmd) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, input.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const auto start = Clock::now();
    const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("cannot start " + cmd[0] + ": " + std::strerror(rc));
    int status = 0;
    rusage usage{};
    while (::wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) throw std::runtime_error(std::string("wait4: ") + std::strerror(errno));
    }
    RunResult r;
    r.wall_us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    r.maxrss_kb = usage.ru_maxrss;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

int spawn_time(int argc, char** argv) {
    long rounds = 0, warmup = 1;
    std::string input;
    std::vector<std::vector<std::string>> commands;
    for (int i = 2; i < argc; ++i) {
        const std::string opt = argv[i];
        if (i + 1 >= argc) usage();
        const char* value = argv[++i];
        if (opt == "-n") rounds = std::strtol(value, nullptr, 10);
        else if (opt == "-w") warmup = std::strtol(value, nullptr, 10);
        else if (opt == "-i") input = value;
        else if (opt == "-c") commands.push_back(split_words(value));
        else usage();
    }
    if (rounds <= 0 || warmup < 0 || input.empty() || commands.empty()) usage();
    for (const auto& c : commands)
        if (c.empty()) usage();
    // Warm-up rounds bring the binaries, libraries and input into the page
    // cache; they are run but not printed.
    for (long round = -warmup; round < rounds; ++round) {
        for (std::size_t c = 0; c < commands.size(); ++c) {
            const RunResult r = run_once(commands[c], input);
            if (round >= 0)
                std::printf("%ld\t%zu\t%.1f\t%ld\t%d\n", round, c, r.wall_us, r.maxrss_kb, r.exit_code);
        }
    }
    return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) usage();
    const std::string cmd = argv[1];
    try {
        if (cmd == "corpus") return corpus(argc, argv);
        if (cmd == "dsn" && argc == 2) return dsn();
        if (cmd == "wait-socket") return wait_socket(argc, argv);
        if (cmd == "spawn-time") return spawn_time(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "benchtool: %s\n", e.what());
        return 1;
    }
    usage();
}
