// verdict_output.hpp - how a decision leaves bounceseal-verify: its exit
// status, the Bounce-Seal-Verdict header line of --filter mode, the one
// syslog line per message, and the -v account on standard error.
// It decides nothing; bounce.hpp's decide() does.
#pragma once

#include <string>
#include <string_view>

#include "bounceseal/bounce.hpp"

namespace bounceseal::verifier {

inline constexpr std::string_view kVerdictHeader = "Bounce-Seal-Verdict";

// 1 for verdict fail, else 0 (pass, pass-headers-only, none).
int exit_status(const Decision& d);

// "fail (no-seal)", "pass d=example.test s=sel1", "none (auto-reply)".
std::string verdict_text(const Decision& d);

// The whole header line added in --filter mode, ended by `eol`.
std::string verdict_header_line(const Decision& d, std::string_view eol);

// The syslog line: verdict, reason, kind, d=, s=, where the copy was, and
// the bounce's Message-ID, each untrusted value made safe. Never content.
std::string log_line(const Decision& d);

// The -v account: every step, one per line.
std::string steps_text(const Decision& d);

// A decision for a message whose analysis overran TimeLimit.
Decision time_limit_decision(std::int64_t seconds);

}  // namespace bounceseal::verifier
