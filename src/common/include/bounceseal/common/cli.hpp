// cli.hpp - the command-line conventions every bounceseal program keeps:
// -h and --help print the usage on standard output and exit 0; -V and
// --version print "PROGRAM VERSION" on standard output and exit 0; a wrong
// option prints the usage on standard error and exits non-zero. Each
// program keeps its own getopt_long() loop and usage text (its man page
// says the same; tests/docs checks both); this header only gives them the
// same long options and the same version line.
#pragma once

#include <getopt.h>

namespace bounceseal::cli {

inline constexpr option kHelp{"help", no_argument, nullptr, 'h'};
inline constexpr option kVersion{"version", no_argument, nullptr, 'V'};
inline constexpr option kEnd{nullptr, 0, nullptr, 0};

// getopt_long()'s table for a program with no long options of its own.
inline constexpr option kStandardOptions[] = {kHelp, kVersion, kEnd};

// Prints "PROGRAM VERSION" and a newline on standard output.
void print_version(const char* program);

}  // namespace bounceseal::cli
