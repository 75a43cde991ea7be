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
    const std::filesystem::path dir = s.settings.keyring;
    try {
        s.keyring = Keyring::load_dir(dir);
    } catch (const Error& e) {
        throw SetupError({"keyring " + dir.string() + ": " + e.what()});
    }
    for (const auto& p : s.keyring.problems()) s.warnings.push_back("key file " + p.file.string() + " skipped: " + p.message);
    if (s.keyring.size() == 0) throw SetupError({"keyring " + dir.string() + ": no usable key (SELECTOR.pub)"});
    return s;
}

std::vector<std::string> check_setup(const Options& options, Setup* loaded) {
    try {
        Setup s = load_setup(options);
        std::vector<std::string> problems = s.warnings;
        if (loaded != nullptr) *loaded = std::move(s);
        return problems;
    } catch (const SetupError& e) {
        return e.problems();
    }
}

}  // namespace bounceseal::verifier
