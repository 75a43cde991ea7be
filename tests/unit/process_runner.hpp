// process_runner.hpp - runs a program with arguments, feeds it standard
// input and collects its exit status, standard output and standard error:
// the black-box tests of the command-line programs use it. No shell is
// involved; a program that does not end within the timeout is killed.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace bounceseal::testing {

struct ProcessResult {
    int status = -1;  // exit status, or 128 + signal number
    std::string out;
    std::string err;
};

// `address_space`, when not 0, is the child's RLIMIT_AS in bytes: how the
// fault tests run a program out of memory.
ProcessResult run_process(const std::string& program, const std::vector<std::string>& args,
                          const std::string& input = {},
                          std::chrono::seconds timeout = std::chrono::seconds(30),
                          std::uint64_t address_space = 0);

}  // namespace bounceseal::testing
