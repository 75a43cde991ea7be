// setup.cpp - loading the [verify] settings and the keyring for
// bounceseal-verify, and the -n check of both. The configuration file
// format and its defaults are the configuration module's; this file only
// chooses which file to read and turns settings into policy and limits.
#include "setup.hpp"

#include <filesystem>

#include "bounceseal/error.hpp"

namespace bounceseal::verifier {
namespace {

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
    return out;
}

LoadOptions load_options(const Options& o, std::string& source) {
    LoadOptions lo;
    if (o.config) {
        lo.file = *o.config;
        lo.file_must_exist = true;
        source = "file " + o.config->string();
    } else if (o.keyring) {
        lo.file.clear();  // -K alone: a self-contained command line
        source = "no file (-K given)";
    } else {
        lo.file = std::filesystem::path(kDefaultConfigFile);
        lo.file_must_exist = false;
        source = std::filesystem::exists(lo.file) ? "file " + lo.file.string() : "defaults (no " + lo.file.string() + ")";
    }
    if (o.keyring) lo.overrides.push_back({"verify", "Keyring", o.keyring->string(), "-K"});
    lo.require_for = Program::verify;
    return lo;
}

// Settings and policy, without the keyring.
Setup settings_only(const Options& o) {
    Setup s;
    Settings all = load_settings(load_options(o, s.config_source));
    s.settings = all.verify;
    const VerifySettings& v = s.settings;
    s.policy.max_age = v.max_age.count();
    s.policy.max_future = v.clock_skew.count();
    s.policy.allow_headers_only = v.headers_only == VerifySettings::HeadersOnly::allow;
    s.policy.recipients = o.recipients;
    s.limits.max_size = static_cast<std::size_t>(v.max_input_size);
    s.limits.max_depth = static_cast<std::size_t>(v.max_depth);
    s.limits.max_parts = static_cast<std::size_t>(v.max_parts);
    s.time_limit = v.time_limit;
    return s;
}

}  // namespace

SetupError::SetupError(std::vector<std::string> problems)
    : std::runtime_error(join_lines(problems)), problems_(std::move(problems)) {}

Setup load_setup(const Options& options) {
    Setup s;
    try {
        s = settings_only(options);
    } catch (const ConfigError& e) {
        throw SetupError(e.problems());
    } catch (const Error& e) {
        throw SetupError({e.what()});
    }
    // Nothing of the keyring is read here: its directory when a message
    // first needs a key, then only the file a seal names (docs/VERIFY.md 6).
    // Mail that needs no key does not wait on a broken keyring.
    s.keyring = Keyring::open_dir(s.settings.keyring);
    return s;
}

std::vector<std::string> check_setup(const Options& options, Setup* loaded) {
    try {
        Setup s = load_setup(options);
        std::vector<Keyring::Problem> problems;
        std::vector<Keyring::Entry> keys;
        try {
            keys = s.keyring.list(problems);
        } catch (const Error& e) {
            return {"keyring: " + std::string(e.what())};
        }
        std::vector<std::string> out;
        for (const auto& p : problems) out.push_back("key file " + p.file.string() + ": " + p.message);
        if (keys.empty()) out.push_back("keyring " + s.settings.keyring.string() + ": no usable key");
        if (loaded != nullptr) *loaded = std::move(s);
        return out;
    } catch (const SetupError& e) {
        return e.problems();
    } catch (const Error& e) {
        return {e.what()};
    }
}

}  // namespace bounceseal::verifier
