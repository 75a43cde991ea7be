// log.hpp - logging of both front ends: syslog set-up and safe rendering
// of untrusted values. (The milter's counters are its own: counters.hpp.)
//
// Logging goes through spdlog's default logger, so callers simply use
// spdlog::info() and friends. Nothing here decides what to log, and no
// function here ever logs key material: log_safe() exists because header
// values and addresses come from strangers and must not be able to forge or
// flood log lines.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/common.h>

namespace bounceseal {

// Facility names accepted by log_init() and by SyslogFacility, in the order
// the documentation lists them: mail, daemon, user, local0 ... local7.
const std::vector<std::string_view>& syslog_facility_names();
// The LOG_* value of a facility name (exact, lower case), or nullopt.
std::optional<int> syslog_facility_code(std::string_view name);

// Makes spdlog's default logger write to syslog as `ident` with the process
// id and `facility`, and, when `to_stderr`, to standard error as well, as
// "ident[pid]: message". Messages below `level` are dropped. Throws
// Error(Errc::config) for an unknown facility. Call it at start-up, before
// other threads log; calling it again (e.g. once the configuration names the
// facility) replaces the previous set-up.
void log_init(std::string_view ident, std::string_view facility, bool to_stderr,
              spdlog::level::level_enum level);

inline constexpr std::size_t kLogValueMax = 200;

// `value` made fit for one log line: each run of control characters (CR, LF,
// TAB, DEL, C1, U+2028/9) becomes one space, each byte that is not UTF-8
// becomes '?', and more than `max_bytes` bytes are cut at a character
// boundary and marked with "...".
std::string log_safe(std::string_view value, std::size_t max_bytes = kLogValueMax);

}  // namespace bounceseal
