// counters.cpp - the milter's event counters and the stats line (see
// counters.hpp).
#include "counters.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace bounceseal::milter {
namespace {

// The table's rows in name order, the order of the stats line.
std::array<const CounterInfo*, kCounterCount> by_name() {
    std::array<const CounterInfo*, kCounterCount> rows{};
    for (std::size_t i = 0; i < kCounterCount; ++i) rows[i] = &kCounterTable[i];
    std::sort(rows.begin(), rows.end(), [](const CounterInfo* a, const CounterInfo* b) { return a->name < b->name; });
    return rows;
}

std::size_t index_of(Counter counter) noexcept { return static_cast<std::size_t>(counter); }

}  // namespace

std::optional<Counter> skip_counter_of(PolicyVerdict verdict) noexcept {
    switch (verdict) {
    case PolicyVerdict::seal_internal:
    case PolicyVerdict::seal_authenticated: return std::nullopt;
    case PolicyVerdict::skip_null_sender: return Counter::skipped_null_sender;
    case PolicyVerdict::skip_external: return Counter::skipped_external;
    case PolicyVerdict::skip_daemon: return Counter::skipped_daemon;
    case PolicyVerdict::skip_sender_domain: return Counter::skipped_sender_domain;
    }
    return std::nullopt;
}

void Counters::increment(Counter counter, std::uint64_t by) noexcept {
    if (index_of(counter) < kCounterCount) values_[index_of(counter)].fetch_add(by, std::memory_order_relaxed);
}

std::uint64_t Counters::value(Counter counter) const noexcept {
    return index_of(counter) < kCounterCount ? values_[index_of(counter)].load(std::memory_order_relaxed) : 0;
}

std::string Counters::format() const {
    static const std::array<const CounterInfo*, kCounterCount> order = by_name();
    std::string out;
    for (const CounterInfo* row : order) {
        if (!out.empty()) out += ' ';
        out += fmt::format("{}={}", row->name, value(row->counter));
    }
    return out;
}

Counters& milter_counters() {
    static Counters counters;
    return counters;
}

void log_counters(const Counters& counters) { spdlog::info("stats: {}", counters.format()); }

}  // namespace bounceseal::milter
