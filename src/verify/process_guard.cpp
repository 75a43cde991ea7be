// process_guard.cpp - descriptors 0-2, SIGPIPE and the fatal signals of
// bounceseal-verify (process_guard.hpp). Only async-signal-safe calls in
// the handler.
#include "process_guard.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>

#include <fcntl.h>
#include <sysexits.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BOUNCESEAL_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define BOUNCESEAL_SANITIZED 1
#endif
#endif

namespace bounceseal::verifier {
namespace {

constexpr std::size_t kAltStackSize = 64 * 1024;

bool is_open(int fd) { return fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

extern "C" void on_fatal_signal(int) {
    // Any other death is read by procmail as a failed recipe, and a recipe
    // may read a failure as "forged": only 75 keeps the mail for sure.
    static const char message[] = "bounceseal-verify: fatal signal (out of memory?); exit 75 so the mail is kept\n";
    [[maybe_unused]] ssize_t ignored = write(STDERR_FILENO, message, sizeof message - 1);
    _exit(EX_TEMPFAIL);
}

void handle(int sig) {
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, nullptr);
}

}  // namespace

void guard_thread() noexcept {
#ifdef BOUNCESEAL_SANITIZED
    // The sanitizer gives every thread an alternate stack of its own and
    // unmaps whichever one is set when the thread ends: it must stay its own.
    return;
#endif
    // Never freed: the process ends soon, and the stack must outlive any
    // signal the thread may take.
    void* stack = std::malloc(kAltStackSize);
    if (stack == nullptr) return;
    stack_t ss{};
    ss.ss_sp = stack;
    ss.ss_size = kAltStackSize;
    if (sigaltstack(&ss, nullptr) != 0) std::free(stack);
}

StandardStreams guard_process() noexcept {
    StandardStreams s;
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
        if (is_open(fd)) continue;
        if (fd == STDIN_FILENO) s.input = false;
        if (fd == STDOUT_FILENO) s.output = false;
        // open() returns the lowest free descriptor: this one.
        const int null = open("/dev/null", O_RDWR);
        if (null >= 0 && null != fd) {
            dup2(null, fd);
            close(null);
        }
    }
    std::signal(SIGPIPE, SIG_IGN);
    guard_thread();
    handle(SIGABRT);
#ifndef BOUNCESEAL_SANITIZED
    handle(SIGSEGV);
    handle(SIGBUS);
#endif
    return s;
}

}  // namespace bounceseal::verifier
