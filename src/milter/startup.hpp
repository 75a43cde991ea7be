// startup.hpp - bounceseal-milter after its options are parsed: the
// configuration check (-n) and the daemon's start-up, run and stop.
//
// It does not parse the command line (main.cpp) or handle mail
// (callbacks.cpp); the signer process it starts is signer.hpp.
#pragma once

#include "bounceseal/common/config.hpp"

namespace bounceseal::milter {

inline constexpr const char* kProgram = "bounceseal-milter";

// -n: every problem with the configuration, the key (read by a signer
// process as the daemon would start it) and the users, on standard error;
// "configuration OK" on standard output when there is none. Warnings (a key
// the mail-parsing user can read) do not fail the check. Returns the exit
// status: 0 or 1.
int check_configuration(const LoadOptions& options, bool verbose);

// Starts the daemon, runs it until it is stopped (SIGTERM, SIGHUP, or the
// loss of its signer) and returns the exit status.
int run_daemon(const LoadOptions& options, bool foreground, bool verbose);

}  // namespace bounceseal::milter
