// options.hpp - the command line of bounceseal-verify, a contract with the
// procmail recipes that call it:
//   bounceseal-verify [-c CONFIG] [-K KEYRING_DIR] [-r RECIPIENT]... [--filter] [-v] [-n]
//   bounceseal-verify -h|--help|-V|--version
// It only parses; what the options mean is main.cpp's and setup.cpp's.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace bounceseal::verifier {

inline constexpr const char* kProgram = "bounceseal-verify";

struct Options {
    std::optional<std::filesystem::path> config;   // -c: this file, which must exist
    std::optional<std::filesystem::path> keyring;  // -K: overrides Keyring; without -c, no file is read
    std::vector<std::string> recipients;           // -r: addresses of the mailbox
    bool filter = false;                           // --filter: copy the message with a verdict header
    bool verbose = false;                          // -v: every step to standard error
    bool check = false;                            // -n: check configuration and keyring only
    bool help = false;                             // -h, --help
    bool version = false;                          // -V, --version
};

// A command line that cannot be run; what() says why.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

Options parse_options(int argc, char** argv);

// The usage text, ending with a newline.
std::string usage_text();

}  // namespace bounceseal::verifier
