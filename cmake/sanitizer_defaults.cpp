// sanitizer_defaults.cpp - compiled into every program of a sanitizer build
// (BOUNCESEAL_SANITIZE, cmake/Warnings.cmake), never into a normal one:
// the options and leak suppressions the sanitizers read when no
// ASAN_OPTIONS / LSAN_OPTIONS is in the environment, as for the verifier
// that procmail starts under sendmail. scripts/sanitize sets the same in
// the environment. The suppressions are those of cmake/lsan.supp,
// where each one is justified.
extern "C" {

// exitcode 86: a report must never look like one of the programs' own
// exit statuses (1 is "forged" for the verifier).
const char* __asan_default_options() {
    return "detect_leaks=1:strict_string_checks=1:check_initialization_order=1:strict_init_order=1:exitcode=86";
}

const char* __lsan_default_options() { return "exitcode=86"; }

const char* __ubsan_default_options() { return "print_stacktrace=1:halt_on_error=1:exitcode=87"; }

const char* __tsan_default_options() { return "halt_on_error=1:second_deadlock_stack=1:exitcode=88"; }

const char* __lsan_default_suppressions() {
    return
#include "lsan_suppressions.inc"
        ;
}

}  // extern "C"
