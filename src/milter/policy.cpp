// policy.cpp - the outbound test of policy.hpp: client networks with
// GInetAddressMask, SMTP AUTH, daemon names and sender domains.
//
// It does not log and does not count: the callbacks do both with the
// decision returned here.
#include "policy.hpp"

#include <algorithm>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <gio/gio.h>

#include "bounceseal/address.hpp"
#include "bounceseal/common/log.hpp"
#include "bounceseal/encoding.hpp"
#include "bounceseal/error.hpp"

namespace bounceseal::milter {
namespace {

constexpr const char* kLoopback = "127.0.0.1";

bool listed(const std::vector<std::string>& list, std::string_view value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

struct AddressUnref {
    void operator()(GInetAddress* a) const noexcept {
        if (a) g_object_unref(a);
    }
};
using AddressPtr = std::unique_ptr<GInetAddress, AddressUnref>;

}  // namespace

ClientAddress ClientAddress::from_sockaddr(const sockaddr* address) {
    char text[INET6_ADDRSTRLEN] = {};
    if (address != nullptr && address->sa_family == AF_INET) {
        sockaddr_in in{};
        std::memcpy(&in, address, sizeof in);
        if (inet_ntop(AF_INET, &in.sin_addr, text, sizeof text)) return {text, false};
    } else if (address != nullptr && address->sa_family == AF_INET6) {
        sockaddr_in6 in6{};
        std::memcpy(&in6, address, sizeof in6);
        if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
            in_addr v4{};
            std::memcpy(&v4, &in6.sin6_addr.s6_addr[12], sizeof v4);
            if (inet_ntop(AF_INET, &v4, text, sizeof text)) return {text, false};
        } else if (inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text)) {
            return {text, false};
        }
    }
    // No address (sendmail -bs, a local submission) or a Unix-domain peer.
    return {kLoopback, true};
}

ClientAddress ClientAddress::from_text(std::string_view text) {
    std::string t(text);
    if (t.size() > 2 && t.front() == '[' && t.back() == ']') t = t.substr(1, t.size() - 2);
    if (t.starts_with("IPv6:") || t.starts_with("ipv6:")) t = t.substr(5);
    AddressPtr parsed(g_inet_address_new_from_string(t.c_str()));
    if (parsed && g_inet_address_get_family(parsed.get()) == G_SOCKET_FAMILY_IPV6) {
        in6_addr a6{};
        std::memcpy(&a6, g_inet_address_to_bytes(parsed.get()), sizeof a6);
        if (IN6_IS_ADDR_V4MAPPED(&a6)) {
            char v4[INET_ADDRSTRLEN] = {};
            if (inet_ntop(AF_INET, &a6.s6_addr[12], v4, sizeof v4)) return {v4, false};
        }
    }
    return {t, false};
}

void NetworkList::MaskUnref::operator()(GInetAddressMask* mask) const noexcept {
    if (mask) g_object_unref(mask);
}

NetworkList NetworkList::parse(const std::vector<std::string>& entries) {
    NetworkList list;
    for (const std::string& entry : entries) {
        GError* error = nullptr;
        GInetAddressMask* mask = g_inet_address_mask_new_from_string(entry.c_str(), &error);
        if (mask == nullptr) {
            std::string why = error ? error->message : "not an address or network";
            if (error) g_error_free(error);
            throw Error(Errc::config, "InternalHosts: " + log_safe(entry) + ": " + why);
        }
        list.masks_.emplace_back(mask, MaskUnref{});
    }
    return list;
}

bool NetworkList::contains(std::string_view address) const {
    const std::string text(address);
    AddressPtr a(g_inet_address_new_from_string(text.c_str()));
    if (!a) return false;
    return std::any_of(masks_.begin(), masks_.end(),
                       [&](const auto& m) { return g_inet_address_mask_matches(m.get(), a.get()) != FALSE; });
}

bool NetworkList::contains(const ClientAddress& client) const { return contains(client.text); }

const char* verdict_name(PolicyVerdict v) noexcept {
    switch (v) {
    case PolicyVerdict::seal_internal: return "internal";
    case PolicyVerdict::seal_authenticated: return "auth";
    case PolicyVerdict::skip_null_sender: return "null-sender";
    case PolicyVerdict::skip_external: return "external";
    case PolicyVerdict::skip_daemon: return "daemon";
    case PolicyVerdict::skip_sender_domain: return "sender-domain";
    }
    return "unknown";
}

Policy::Policy(const MilterSettings& settings)
    : internal_(NetworkList::parse(settings.internal_hosts)), seal_authenticated_(settings.seal_authenticated) {
    for (const auto& d : settings.sender_domains) sender_domains_.push_back(comparable_domain(d));
    daemon_names_ = settings.daemon_names;
}

PolicyDecision Policy::decide(const Envelope& e) const {
    // The address the seal's sender binding is made for (address.hpp).
    const std::string sender = bare_address(e.sender);
    if (sender.empty()) return {PolicyVerdict::skip_null_sender, "null sender"};

    PolicyDecision d;
    if (internal_.contains(e.client)) {
        d = {PolicyVerdict::seal_internal, "internal client " + log_safe(e.client.text)};
    } else if (seal_authenticated_ && !e.auth_authen.empty()) {
        d = {PolicyVerdict::seal_authenticated, "authenticated as " + log_safe(e.auth_authen)};
    } else {
        return {PolicyVerdict::skip_external, "external client " + log_safe(e.client.text)};
    }

    if (!daemon_names_.empty() && !listed(daemon_names_, e.daemon_name)) {
        return {PolicyVerdict::skip_daemon,
                "daemon " + (e.daemon_name.empty() ? std::string("(unknown)") : log_safe(e.daemon_name)) +
                    " not in DaemonNames"};
    }
    if (!sender_domains_.empty()) {
        const std::string domain = address_domain(sender);
        if (!listed(sender_domains_, domain))
            return {PolicyVerdict::skip_sender_domain,
                    "sender domain " + (domain.empty() ? std::string("(none)") : log_safe(domain)) +
                        " not in SenderDomains"};
    }
    return d;
}

}  // namespace bounceseal::milter
