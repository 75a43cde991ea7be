// counters.hpp - the milter's event counters: which there are, what each
// one counts, and the "stats:" line that reports them.
//
// One enum names the counters and one table gives each its name in the
// stats line and its meaning (the list in bounceseal-milter(8) and
// docs/ADMIN.md, which a test compares with this table). Every increment
// names an enumerator, so a misspelt counter does not compile, and every
// counter is in the stats line from the start, at 0. Nothing here decides
// when to count or when to log.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "policy.hpp"

namespace bounceseal::milter {

enum class Counter : std::size_t {
    connections,
    messages,
    sealed,
    skipped_null_sender,
    skipped_external,
    skipped_daemon,
    skipped_sender_domain,
    skipped_already_sealed,
    skipped_message_partial,
    skipped_too_large,
    skipped_too_complex,
    errors,
    tempfails,
    reloads,
    reload_failures,
    end  // not a counter: how many there are
};

inline constexpr std::size_t kCounterCount = static_cast<std::size_t>(Counter::end);

struct CounterInfo {
    Counter counter;
    std::string_view name;     // as in the stats line
    std::string_view meaning;  // as in the documentation
};

// Every counter, in the enum's order.
inline constexpr std::array<CounterInfo, kCounterCount> kCounterTable{{
    {Counter::connections, "connections", "connections from the MTA"},
    {Counter::messages, "messages", "messages begun (MAIL FROM)"},
    {Counter::sealed, "sealed", "messages sealed"},
    {Counter::skipped_null_sender, "skipped_null_sender", "not sealed: the null sender"},
    {Counter::skipped_external, "skipped_external",
     "not sealed: the client is not in InternalHosts and not authenticated (SealAuthenticated)"},
    {Counter::skipped_daemon, "skipped_daemon", "not sealed: the MTA daemon is not in DaemonNames"},
    {Counter::skipped_sender_domain, "skipped_sender_domain",
     "not sealed: the sender's domain is not in SenderDomains"},
    {Counter::skipped_already_sealed, "skipped_already_sealed", "not sealed: already sealed by our Domain"},
    {Counter::skipped_message_partial, "skipped_message_partial", "not sealed: a message/partial fragment"},
    {Counter::skipped_too_large, "skipped_too_large", "not sealed: larger than MaxMessageSize"},
    {Counter::skipped_too_complex, "skipped_too_complex",
     "not sealed: deeper or wider than a verifier could check"},
    {Counter::errors, "errors", "internal errors: the message passed unmodified or was tempfailed (OnError)"},
    {Counter::tempfails, "tempfails", "messages tempfailed after an internal error"},
    {Counter::reloads, "reloads", "configuration reloads (SIGUSR1) that took effect"},
    {Counter::reload_failures, "reload_failures", "reloads that failed and kept the previous configuration"},
}};

// A row per counter, each in its enumerator's place.
consteval bool counter_table_in_enum_order() {
    for (std::size_t i = 0; i < kCounterTable.size(); ++i) {
        if (static_cast<std::size_t>(kCounterTable[i].counter) != i || kCounterTable[i].name.empty()) return false;
    }
    return true;
}
static_assert(counter_table_in_enum_order(), "kCounterTable needs one row per Counter, in the enum's order");

// The counter of a policy verdict that skips the message; nullopt for a
// verdict that seals.
std::optional<Counter> skip_counter_of(PolicyVerdict verdict) noexcept;

// The counters, which any thread may bump.
class Counters {
public:
    Counters() = default;
    Counters(const Counters&) = delete;
    Counters& operator=(const Counters&) = delete;

    void increment(Counter counter, std::uint64_t by = 1) noexcept;
    std::uint64_t value(Counter counter) const noexcept;
    // "name=value name=value ..." of every counter, in name order.
    std::string format() const;

private:
    std::array<std::atomic<std::uint64_t>, kCounterCount> values_{};
};

// The process's counters.
Counters& milter_counters();

// Logs one line of counters: "stats: connections=3 errors=0 ...".
void log_counters(const Counters& counters);

}  // namespace bounceseal::milter
