// log.cpp - syslog and stderr set-up for spdlog, and the log-line
// sanitiser.
//
// It sets up where log lines go; what is logged is up to the front ends.
#include "bounceseal/common/log.hpp"

#include <syslog.h>
#include <unistd.h>

#include <memory>
#include <utility>

#include <fmt/format.h>
#include <glib.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

#include "bounceseal/error.hpp"

namespace bounceseal {
namespace {

struct Facility {
    std::string_view name;
    int code;
};

// LOG_* are int expressions of <syslog.h>; a table keeps names and codes
// side by side.
const std::vector<Facility>& facilities() {
    static const std::vector<Facility> table = {
        {"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"user", LOG_USER},
        {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
        {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
        {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
    };
    return table;
}

// '%' starts a flag in an spdlog pattern; the ident must appear literally.
std::string pattern_literal(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '%') out += '%';
        out += c;
    }
    return out;
}

// Line breaks and bidirectional or invisible layout characters would let a
// value start a new line, or seem to, in a log viewer.
bool is_layout_control(gunichar c) {
    return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029;
}

// Bytes in the UTF-8 sequence that `lead` starts, for a valid sequence.
std::size_t utf8_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if (lead < 0xe0) return 2;
    if (lead < 0xf0) return 3;
    return 4;
}

}  // namespace

const std::vector<std::string_view>& syslog_facility_names() {
    static const std::vector<std::string_view> names = [] {
        std::vector<std::string_view> out;
        for (const Facility& f : facilities()) out.push_back(f.name);
        return out;
    }();
    return names;
}

std::optional<int> syslog_facility_code(std::string_view name) {
    for (const Facility& f : facilities()) {
        if (f.name == name) return f.code;
    }
    return std::nullopt;
}

void log_init(std::string_view ident, std::string_view facility, bool to_stderr,
              spdlog::level::level_enum level) {
    const std::optional<int> code = syslog_facility_code(facility);
    if (!code) {
        throw Error(Errc::config, fmt::format("unknown syslog facility \"{}\"; expected one of {}",
                                              log_safe(facility), fmt::join(syslog_facility_names(), ", ")));
    }
    // spdlog's syslog sink calls closelog() when it dies, which would undo
    // the openlog() of its successor: let the old logger go first.
    spdlog::set_default_logger(std::make_shared<spdlog::logger>(std::string(ident)));

    std::vector<spdlog::sink_ptr> sinks;
    // The syslog sink gets the bare message: syslog adds ident, pid and time.
    sinks.push_back(std::make_shared<spdlog::sinks::syslog_sink_mt>(std::string(ident), LOG_PID, *code, false));
    if (to_stderr) {
        auto stderr_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        stderr_sink->set_pattern(pattern_literal(ident) + "[%P]: %v");
        sinks.push_back(std::move(stderr_sink));
    }
    auto logger = std::make_shared<spdlog::logger>(std::string(ident), sinks.begin(), sinks.end());
    logger->set_level(level);
    spdlog::set_default_logger(std::move(logger));
}

std::string log_safe(std::string_view value, std::size_t max_bytes) {
    std::string out;
    out.reserve(std::min(value.size(), max_bytes) + 3);
    bool in_control_run = false;
    std::size_t i = 0;
    while (i < value.size()) {
        const char* here = value.data() + i;
        const auto remaining = static_cast<gssize>(value.size() - i);
        // GLib calls a NUL byte incomplete; here it is just a control.
        // Otherwise (gunichar)-1 or -2 mark a byte that starts no complete
        // character.
        const gunichar c = *here == '\0' ? 0 : g_utf8_get_char_validated(here, remaining);
        const bool valid = c < 0x110000;
        const std::size_t length = valid ? utf8_length(static_cast<unsigned char>(*here)) : 1;
        std::string_view piece;
        if (!valid) {
            piece = "?";
        } else if (is_layout_control(c)) {
            if (in_control_run) {
                i += length;
                continue;
            }
            piece = " ";
        } else {
            piece = std::string_view(here, length);
        }
        in_control_run = valid && is_layout_control(c);
        if (out.size() + piece.size() > max_bytes) {
            out += "...";
            return out;
        }
        out += piece;
        i += length;
    }
    return out;
}

}  // namespace bounceseal
