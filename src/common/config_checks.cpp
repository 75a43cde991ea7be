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
#include "config_internal.hpp"

namespace bounceseal::config_detail {
namespace {

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool all_of_set(std::string_view s, std::string_view extra) {
    for (char c : s) {
        if (!is_alnum(c) && extra.find(c) == std::string_view::npos) return false;
    }
    return true;
}

// The portable user and group name form (letters, digits, . _ -), which
// also admits numeric ids; the length is the usual 32 of Linux utmp.
bool is_account_name(std::string_view s) {
    return !s.empty() && s.size() <= 32 && s.front() != '-' && all_of_set(s, "._-");
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

// Same rule as the core library's valid_domain(): the seal format admits
// exactly these characters.
std::string check_domain(std::string_view item) {
    if (!item.empty() && item.size() <= 253 && all_of_set(item, ".-")) return {};
    return fmt::format("{} is not a domain name; expected 1 to 253 letters, digits, dots and "
                       "hyphens",
                       quoted(item));
}

// Same rule as the core library's valid_selector(): a selector becomes a
// file name in the keyring, hence no leading dot.
std::string check_selector(std::string_view item) {
    if (!item.empty() && item.size() <= 63 && item.front() != '.' && all_of_set(item, "._-")) {
        return {};
    }
    return fmt::format("{} is not a selector; expected 1 to 63 letters, digits, dots, "
                       "underscores and hyphens, not starting with a dot",
                       quoted(item));
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
