// main.cpp - bounceseal-verify: procmail pipes an incoming message to it;
// it judges the Bounce-Seal of the original a bounce returns.
//
// Exit-status mode: 0 deliver (pass, pass-headers-only, or not a bounce),
// 1 forged or invalid bounce, 75 (EX_TEMPFAIL) when it cannot do its job
// (bad configuration, no usable keyring, out of memory, any unexpected
// error), so that the mail is kept, never discarded through its fault.
// --filter mode: the message is written back unchanged but for one added
// Bounce-Seal-Verdict header line (after an mbox "From " line, if any);
// exit 0, or 75 with nothing written on an internal error (procmail's `w`
// then keeps the unfiltered text). -n checks configuration and keyring.
// The analysis itself is bounce.hpp's decide(); this file only wires input,
// settings, time limit and output.
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <new>

#include <sysexits.h>

#include <spdlog/spdlog.h>

#include "bounceseal/common/cli.hpp"
#include "bounceseal/common/log.hpp"
#include "bounceseal/error.hpp"
#include "deadline.hpp"
#include "io.hpp"
#include "options.hpp"
#include "process_guard.hpp"
#include "setup.hpp"
#include "verdict_output.hpp"

namespace bounceseal::verifier {
namespace {

spdlog::level::level_enum log_level(const Options& o) {
    return o.verbose ? spdlog::level::debug : spdlog::level::info;
}

// A problem that stops the program: on standard error (procmail's log)
// and in syslog.
void complain(const Options& o, const std::string& message) {
    spdlog::error("{}", message);
    if (!o.verbose) std::cerr << kProgram << ": " << message << "\n";
}

void describe_setup(const Setup& s) {
    std::cerr << kProgram << ": settings: " << s.config_source << "\n"
              << kProgram << ": keyring " << s.settings.keyring.string() << ":";
    std::vector<Keyring::Problem> problems;
    try {
        for (const auto& k : s.keyring.list(problems))
            std::cerr << " " << k.selector << " (" << (k.domain.empty() ? "any domain" : k.domain) << ", "
                      << k.fingerprint << ")";
    } catch (const Error& e) {
        std::cerr << " " << e.what();
    }
    std::cerr << "\n";
    for (const auto& p : problems) std::cerr << kProgram << ": key file " << p.file.string() << ": " << p.message << "\n";
    std::cerr
              << kProgram << ": MaxAge " << s.policy.max_age << " s, ClockSkew " << s.policy.max_future
              << " s, HeadersOnly " << (s.policy.allow_headers_only ? "allow" : "deny") << ", MaxInputSize "
              << s.limits.max_size << ", MaxDepth " << s.limits.max_depth << ", MaxParts " << s.limits.max_parts
              << ", TimeLimit " << s.time_limit.count() << " s\n"
              << kProgram << ": recipients:";
    for (const auto& r : s.policy.recipients) std::cerr << " " << log_safe(r);
    if (s.policy.recipients.empty()) std::cerr << " none given (-r): the sender binding is not checked";
    std::cerr << "\n";
}

int check_only(const Options& o) {
    Setup s;
    std::vector<std::string> problems = check_setup(o, &s);
    for (const auto& p : problems) std::cerr << kProgram << ": " << p << "\n";
    if (!problems.empty()) return 1;
    if (o.verbose) describe_setup(s);
    std::cout << "configuration OK\n";
    return 0;
}

int run(int argc, char** argv, const StandardStreams& streams) {
    Options o;
    try {
        o = parse_options(argc, argv);
    } catch (const UsageError& e) {
        std::cerr << kProgram << ": " << e.what() << "\n" << usage_text();
        return EX_TEMPFAIL;  // a broken recipe must not lose mail either
    }
    if (o.help) {
        std::cout << usage_text();
        return 0;
    }
    if (o.version) {
        cli::print_version(kProgram);
        return 0;
    }
    log_init(kProgram, "mail", o.verbose, log_level(o));
    if (o.check) return check_only(o);

    // No message to read, or nowhere to write it back: nothing to judge.
    if (!streams.input || (o.filter && !streams.output)) {
        complain(o, std::string("standard ") + (streams.input ? "output" : "input") + " is not open");
        return EX_TEMPFAIL;
    }

    Setup s;
    try {
        s = load_setup(o);
    } catch (const SetupError& e) {
        for (const auto& p : e.problems()) complain(o, p);
        return EX_TEMPFAIL;
    }
    log_init(kProgram, s.settings.syslog_facility, o.verbose, log_level(o));
    if (o.verbose) describe_setup(s);

    Input in = read_message(s.limits.max_size);
    if (in.over_limit && !o.filter) drain_input();
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    std::optional<Decision> d;
    try {
        d = run_with_deadline(
            [&] {
                guard_thread();
                return decide(in.data, s.keyring, s.policy, s.limits, now);
            },
            s.time_limit);
    } catch (const Error& e) {
        // Hostile input never gets here (decide() turns it into a verdict):
        // this is our own trouble, an unreadable keyring above all.
        complain(o, e.what());
        return EX_TEMPFAIL;
    }
    const bool timed_out = !d;
    if (timed_out) d = time_limit_decision(s.time_limit.count());

    spdlog::info("{}", log_line(*d));
    for (const auto& note : s.keyring.notes()) spdlog::warn("{}", log_safe(note, 300));
    if (o.verbose) std::cerr << kProgram << ": steps:\n" << steps_text(*d);
    int status = exit_status(*d);
    if (o.filter) {
        std::string_view msg = in.data;
        std::size_t at = header_insert_offset(msg);
        write_output(msg.substr(0, at));
        write_output(verdict_header_line(*d, line_end_of(msg)));
        write_output(msg.substr(at));
        if (in.over_limit) copy_rest_of_input();
        status = 0;
    }
    // An overrunning worker still holds the message: end without waiting.
    if (timed_out) std::_Exit(status);
    return status;
}

}  // namespace
}  // namespace bounceseal::verifier

int main(int argc, char** argv) {
    const bounceseal::verifier::StandardStreams streams = bounceseal::verifier::guard_process();
    try {
        return bounceseal::verifier::run(argc, argv, streams);
    } catch (const std::bad_alloc&) {
        std::cerr << bounceseal::verifier::kProgram << ": out of memory\n";
    } catch (const std::exception& e) {
        std::cerr << bounceseal::verifier::kProgram << ": internal error: " << e.what() << "\n";
    } catch (...) {
        std::cerr << bounceseal::verifier::kProgram << ": internal error\n";
    }
    return EX_TEMPFAIL;
}
