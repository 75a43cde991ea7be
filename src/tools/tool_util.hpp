// tool_util.hpp - what the small command-line tools share: reading all of
// standard input, and reporting a fatal error with the program's name.
#pragma once

#include <string>
#include <string_view>

namespace bounceseal::tools {

// Reads standard input to the end. Throws Error(Errc::io).
std::string read_all_stdin();

// Writes all of `data` to standard output. Throws Error(Errc::io).
void write_stdout(std::string_view data);

// Prints "PROGRAM: message" to standard error.
void complain(std::string_view program, std::string_view message);

}  // namespace bounceseal::tools
