// io.cpp - standard input and output of bounceseal-verify (io.hpp).
#include "io.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <unistd.h>

#include "bounceseal/error.hpp"
#include "bounceseal/text.hpp"

namespace bounceseal::verifier {
namespace {

constexpr std::size_t kChunk = 64 * 1024;

// One read(2) of up to `n` bytes, retried on EINTR; 0 at end of input.
std::size_t read_some(char* buf, std::size_t n) {
    for (;;) {
        ssize_t got = ::read(STDIN_FILENO, buf, n);
        if (got >= 0) return static_cast<std::size_t>(got);
        if (errno != EINTR) throw Error(Errc::io, std::string("reading standard input: ") + std::strerror(errno));
    }
}

}  // namespace

Input read_message(std::size_t limit) {
    Input in;
    const std::size_t keep = limit + 1;
    char buf[kChunk];
    while (in.data.size() < keep) {
        std::size_t got = read_some(buf, std::min(sizeof buf, keep - in.data.size()));
        if (got == 0) return in;
        in.data.append(buf, got);
    }
    in.over_limit = true;
    return in;
}

void drain_input() {
    char buf[kChunk];
    while (read_some(buf, sizeof buf) > 0) {
    }
}

void copy_rest_of_input() {
    char buf[kChunk];
    for (std::size_t got; (got = read_some(buf, sizeof buf)) > 0;) write_output(std::string_view(buf, got));
}

void write_output(std::string_view data) {
    while (!data.empty()) {
        ssize_t put = ::write(STDOUT_FILENO, data.data(), data.size());
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) throw Error(Errc::io, std::string("writing standard output: ") + std::strerror(errno));
        data.remove_prefix(static_cast<std::size_t>(put));
    }
}

std::size_t header_insert_offset(std::string_view message) { return mbox_from_line(message).size(); }

std::string_view line_end_of(std::string_view message) {
    std::size_t nl = message.find('\n');
    return (nl != std::string_view::npos && nl > 0 && message[nl - 1] == '\r') ? "\r\n" : "\n";
}

}  // namespace bounceseal::verifier
