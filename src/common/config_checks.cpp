// config_checks.cpp - the checks that some string and list keys need beyond
// their type: socket notation, user and group names, signer domain and
// selector syntax, and network masks.
//
// Each check returns what is wrong and what is expected, or nothing. They
// check form only: whether a user exists or an address is reachable is for
// the program that uses the value to find out.
#include <charconv>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <gio/gio.h>

#include "bounceseal/common/log.hpp"
#include "bounceseal/key_id.hpp"
#include "config_internal.hpp"

namespace bounceseal::config_detail {
namespace {

// The portable user and group name form (letters, digits, . _ -), which
// also admits numeric ids; the length is the usual 32 of Linux utmp.
bool is_account_name(std::string_view s) {
    return !s.empty() && s.size() <= 32 && s.front() != '-' && ascii_name_chars(s, "._-");
}

// sun_path holds 108 bytes including the terminating NUL.
constexpr std::size_t kMaxSocketPath = 107;

std::string socket_problem(std::string_view item, std::string_view why) {
    return fmt::format("{} is not a milter socket ({}); expected unix:/PATH, local:/PATH, "
                       "inet:PORT@HOST or inet6:PORT@HOST",
                       quoted(item), why);
}

}  // namespace

std::string check_socket(std::string_view item) {
    const std::size_t colon = item.find(':');
    if (colon == std::string_view::npos) return socket_problem(item, "no type before a colon");
    const std::string_view kind = item.substr(0, colon);
    const std::string_view rest = item.substr(colon + 1);
    if (kind == "unix" || kind == "local") {
        if (rest.empty() || rest.front() != '/') return socket_problem(item, "the path must be absolute");
        if (rest.size() > kMaxSocketPath) {
            return socket_problem(item, fmt::format("the path is longer than {} bytes", kMaxSocketPath));
        }
        return {};
    }
    if (kind == "inet" || kind == "inet6") {
        const std::size_t at = rest.find('@');
        const std::string_view port = rest.substr(0, at);
        unsigned number = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
        if (ec != std::errc{} || end != port.data() + port.size() || number < 1 || number > 65535) {
            return socket_problem(item, "the port must be a number from 1 to 65535");
        }
        if (at != std::string_view::npos) {
            const std::string_view host = rest.substr(at + 1);
            if (host.empty() || host.find_first_of(" \t") != std::string_view::npos) {
                return socket_problem(item, "the host after @ must be a name or an address");
            }
        }
        return {};
    }
    return socket_problem(item, "unknown type");
}

std::string check_group_name(std::string_view item) {
    if (is_account_name(item)) return {};
    return fmt::format("{} is not a group name; expected 1 to 32 letters, digits, dots, "
                       "underscores and hyphens, not starting with a hyphen",
                       quoted(item));
}

std::string check_user_id(std::string_view item) {
    const std::size_t colon = item.find(':');
    const std::string_view user = item.substr(0, colon);
    const bool group_ok = colon == std::string_view::npos || is_account_name(item.substr(colon + 1));
    if (is_account_name(user) && group_ok) return {};
    return fmt::format("{} is not a user or user:group; expected names of 1 to 32 letters, "
                       "digits, dots, underscores and hyphens, not starting with a hyphen",
                       quoted(item));
}

// The seal format's rule (key_id.hpp), so that a value accepted here is
// one the milter can seal with.
std::string check_domain(std::string_view item) {
    if (valid_domain(item)) return {};
    return fmt::format("{} is not a domain name; expected {}", quoted(item), kDomainSyntax);
}

std::string check_selector(std::string_view item) {
    if (valid_selector(item)) return {};
    return fmt::format("{} is not a selector; expected {}", quoted(item), kSelectorSyntax);
}

// GLib's parser is the one the milter will match client addresses with, so
// whatever it accepts here is exactly what will work there.
std::string check_network(std::string_view item) {
    GError* raw_error = nullptr;
    GInetAddressMask* mask = g_inet_address_mask_new_from_string(std::string(item).c_str(), &raw_error);
    if (mask) {
        g_object_unref(mask);
        return {};
    }
    const std::unique_ptr<GError, decltype(&g_error_free)> error(raw_error, &g_error_free);
    return fmt::format("{} is not an address or CIDR network ({}); expected e.g. 192.0.2.0/24, "
                       "2001:db8::/32 or 192.0.2.1",
                       quoted(item), error ? log_safe(error->message) : "invalid");
}

}  // namespace bounceseal::config_detail
