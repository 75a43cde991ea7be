// cli.cpp - the version line of every program (cli.hpp). The version comes
// from the project's version in CMake, compiled into this file only.
#include "bounceseal/common/cli.hpp"

#include <cstdio>

namespace bounceseal::cli {

void print_version(const char* program) {
    std::printf("%s %s\n", program, BOUNCESEAL_VERSION);
}

}  // namespace bounceseal::cli
