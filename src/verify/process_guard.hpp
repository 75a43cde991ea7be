// process_guard.hpp - what bounceseal-verify sets up about its own process
// before anything else, so that no fault of its environment can turn into a
// verdict: standard descriptors that procmail (or a careless caller) left
// closed, a reader that goes away, and deaths by a fatal signal.
//
// It does not read the message or decide anything; main.cpp asks it
// whether the standard streams it needs are there.
#pragma once

namespace bounceseal::verifier {

struct StandardStreams {
    bool input = true;   // descriptor 0 was open
    bool output = true;  // descriptor 1 was open
};

// Opens /dev/null on whichever of descriptors 0, 1 and 2 is closed, so that
// no file, directory or socket opened later can take its number and be read
// as the message or written with the verdict; says which were open. Ignores
// SIGPIPE (a reader that went away shows as a write error). Makes SIGABRT,
// SIGSEGV and SIGBUS end the process with EX_TEMPFAIL: when memory runs out
// GLib aborts (g_malloc never returns NULL), or, when even its error message
// cannot be allocated, recurses until the stack overflows. Under a
// sanitizer SIGSEGV and SIGBUS are left to it, so that it can report them.
StandardStreams guard_process() noexcept;

// Gives the calling thread the alternate signal stack the handlers need to
// run after a stack overflow. Call it first in every thread that works on
// the message (the main thread is done by guard_process()).
void guard_thread() noexcept;

}  // namespace bounceseal::verifier
