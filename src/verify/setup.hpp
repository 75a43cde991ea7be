// setup.hpp - what bounceseal-verify needs before it reads a message: the
// [verify] settings (from the configuration module, with -K over Keyring),
// the keyring, and the policy and limits derived from them.
//
// Which file is read: -c FILE (it must exist); with -K and no -c, none;
// with neither, /etc/bounceseal/bounceseal.conf if it exists. Nothing here
// reads the message or decides anything about it.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "bounceseal/bounce.hpp"
#include "bounceseal/common/config.hpp"
#include "bounceseal/keys.hpp"
#include "options.hpp"

namespace bounceseal::verifier {

struct Setup {
    VerifySettings settings;
    std::string config_source;        // for -v: which file, or "no file"
    Keyring keyring;
    VerifyPolicy policy;
    BounceLimits limits;
    std::chrono::seconds time_limit{30};
};

// What keeps the verifier from running: an unusable configuration or
// keyring. One line per problem.
class SetupError : public std::runtime_error {
public:
    explicit SetupError(std::vector<std::string> problems);
    const std::vector<std::string>& problems() const noexcept { return problems_; }

private:
    std::vector<std::string> problems_;
};

// Loads the settings; the keyring is read only when a message needs a key.
// Throws SetupError.
Setup load_setup(const Options& options);

// -n: every problem of the configuration and the keyring, every key file
// read and checked (unusable ones, and ones without a Domain line); empty
// when all is well.
std::vector<std::string> check_setup(const Options& options, Setup* loaded = nullptr);

}  // namespace bounceseal::verifier
