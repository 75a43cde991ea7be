// fleet.hpp - the bounceseal-milter daemons that the black-box tests share,
// and the expectations they use. The fleet starts once per test process,
// every daemon at the same time, and stops them together at the end, since
// libmilter needs seconds to stop. Tests that start or stop a daemon on
// purpose (start-up, -n, pid file) run their own instead.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "daemon_harness.hpp"

namespace bounceseal::milter_test {

inline constexpr const char* kPlain =
    "From: Alice <alice@example.test>\n"
    "To: Bob <bob@example.org>\n"
    "Subject: hello\n"
    "Message-ID: <plain@example.test>\n"
    "Date: Wed, 25 Nov 2026 10:00:00 +0000\n"
    "\n"
    "Hello Bob.\n";

bool fault_injection_built();

// The daemons (by name): main (defaults, -v), append-only (SealMode both,
// the old name of append-only), small (MaxMessageSize 64k, StatsInterval 1s),
// header (SealMode header), policy (SenderDomains, DaemonNames, no AUTH),
// reload (its own key, for SIGUSR1), cli (-k -s -d, no configuration
// file), and with fault injection fault-accept, fault-tempfail and
// fault-apply.
class Fleet : public ::testing::Environment {
public:
    void SetUp() override;
    void TearDown() override;

    Daemon& get(const std::string& name) { return *daemons_.at(name); }
    const fs::path& dir() const { return dir_->path(); }
    std::vector<std::pair<std::string, PublicKey>> keyring() const { return {keys_.begin(), keys_.end()}; }
    void add_key(const std::string& selector, PublicKey key) { keys_.insert_or_assign(selector, std::move(key)); }

private:
    void add(Daemon::Options o);

    std::unique_ptr<TempDir> dir_;
    std::map<std::string, PublicKey> keys_;
    std::map<std::string, std::unique_ptr<Daemon>> daemons_;
};

Fleet& fleet();

// A file of tests/data.
std::string data(const std::string& name);
test::MilterResult send_to(const std::string& daemon, const test::MilterMessage& m);
std::string queue_id(const test::MilterMessage& m);

// Delivered, a Bounce-Seal field added, and the result verifies with
// `keys` (the fleet's by default) under `selector`.
void expect_sealed(const test::MilterMessage& m, const test::MilterResult& r, const std::string& selector = "sel1",
                   const std::vector<std::pair<std::string, PublicKey>>& keys = fleet().keyring());
// Delivered without any change.
void expect_untouched(const test::MilterResult& r);

}  // namespace bounceseal::milter_test
