// tool_util.cpp - standard input/output for the command-line tools.
#include "tool_util.hpp"

#include <cerrno>
#include <cstring>
#include <iostream>

#include <unistd.h>

#include "bounceseal/error.hpp"

namespace bounceseal::tools {

std::string read_all_stdin() {
    std::string out;
    char buf[64 * 1024];
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error(Errc::io, std::string("reading standard input: ") + std::strerror(errno));
        }
        if (n == 0) return out;
        out.append(buf, static_cast<std::size_t>(n));
    }
}

void write_stdout(std::string_view data) {
    while (!data.empty()) {
        ssize_t n = write(STDOUT_FILENO, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error(Errc::io, std::string("writing standard output: ") + std::strerror(errno));
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

void complain(std::string_view program, std::string_view message) {
    std::cerr << program << ": " << message << '\n';
}

}  // namespace bounceseal::tools
