// policy.hpp - which mail bounceseal-milter seals: the outbound test.
//
// A message is outbound when its client is in InternalHosts or, with
// SealAuthenticated, authenticated with SMTP AUTH; DaemonNames and
// SenderDomains narrow that further, and the null sender is never sealed.
// Policy::decide() answers from the envelope alone, so the milter can stop
// listening to a message at MAIL FROM. The format checks that need the
// header (already sealed, message/partial) and the size limit live in the
// sealer and the message context; this file knows nothing of libmilter.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/socket.h>

#include "bounceseal/common/config.hpp"

typedef struct _GInetAddressMask GInetAddressMask;

namespace bounceseal::milter {

// The SMTP client as the MTA described it. An unknown or Unix-domain peer
// (a local submission) is recorded as the loopback address, as OpenDKIM does.
struct ClientAddress {
    std::string text;    // "203.0.113.5", "2001:db8::1"; IPv4-mapped IPv6 as IPv4
    bool local = false;  // the MTA gave no IP address

    // From the address libmilter's xxfi_connect received (may be null).
    static ClientAddress from_sockaddr(const sockaddr* address);
    // From a textual address; an unparsable text is kept as is (and then
    // matches no network).
    static ClientAddress from_text(std::string_view text);
};

// A list of networks (InternalHosts): IPv4 or IPv6 addresses or CIDR
// prefixes, parsed with GLib's GInetAddressMask. Immutable once built, so
// any number of threads may match against it.
class NetworkList {
public:
    // Throws Error(Errc::config) naming the first entry that is not an
    // address or a network.
    static NetworkList parse(const std::vector<std::string>& entries);

    bool contains(const ClientAddress& client) const;
    bool contains(std::string_view address) const;
    std::size_t size() const { return masks_.size(); }

private:
    struct MaskUnref {
        void operator()(GInetAddressMask* mask) const noexcept;
    };
    std::vector<std::shared_ptr<GInetAddressMask>> masks_;
};

// What the MTA told the milter about one message before its content.
struct Envelope {
    ClientAddress client;
    std::string sender;       // MAIL FROM argument, with or without <>
    std::string auth_authen;  // {auth_authen}; empty: not authenticated
    std::string daemon_name;  // {daemon_name}; empty: unknown
};

// Why a message is or is not sealed. Each skip reason has a counter.
enum class PolicyVerdict {
    seal_internal,       // client in InternalHosts
    seal_authenticated,  // SMTP AUTH and SealAuthenticated
    skip_null_sender,
    skip_external,
    skip_daemon,
    skip_sender_domain,
};

struct PolicyDecision {
    PolicyVerdict verdict = PolicyVerdict::skip_external;
    std::string detail;  // for the log line, already made safe to log

    bool seal() const {
        return verdict == PolicyVerdict::seal_internal || verdict == PolicyVerdict::seal_authenticated;
    }
};

// "internal" / "auth" for sealing verdicts; the counter suffix
// ("external", "null-sender", ...) for skips.
const char* verdict_name(PolicyVerdict v) noexcept;

class Policy {
public:
    // Throws Error(Errc::config) for a bad InternalHosts entry.
    explicit Policy(const MilterSettings& settings);

    PolicyDecision decide(const Envelope& envelope) const;
    const NetworkList& internal_hosts() const { return internal_; }

private:
    NetworkList internal_;
    bool seal_authenticated_ = true;
    std::vector<std::string> sender_domains_;  // lower case, no trailing dot
    std::vector<std::string> daemon_names_;
};

}  // namespace bounceseal::milter
