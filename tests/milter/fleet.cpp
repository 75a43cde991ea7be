// fleet.cpp - the shared daemons of the black-box tests (see fleet.hpp).
#include "fleet.hpp"

#include <sys/wait.h>

namespace bounceseal::milter_test {

bool fault_injection_built() {
#ifdef BOUNCESEAL_FAULT_INJECTION
    return true;
#else
    return false;
#endif
}

void Fleet::add(Daemon::Options o) {
    const std::string name = o.name;
    daemons_.emplace(name, std::make_unique<Daemon>(dir_->path(), std::move(o)));
}

void Fleet::SetUp() {
    dir_ = std::make_unique<TempDir>();
    const fs::path& d = dir_->path();
    keys_.emplace("sel1", make_key(d, "sel1"));
    keys_.emplace("clisel", make_key(d, "clisel"));
    keys_.emplace("rsel1", make_key(d, "rsel1"));

    // Most daemons run the default SealMode (full), so that every shape
    // gets its body replaced and the tests see the parts. "append-only" is
    // configured with the mode's old name, "both", as files written for
    // earlier versions say it.
    add({.name = "main", .args = {"-v"}});
    add({.name = "append-only", .settings = {{"SealMode", "both"}}});
    add({.name = "small", .settings = {{"MaxMessageSize", "64k"}, {"StatsInterval", "1s"}}});
    add({.name = "header", .settings = {{"SealMode", "header"}}});
    add({.name = "policy",
         .settings = {{"SenderDomains", "example.test"}, {"DaemonNames", "MSA"}, {"SealAuthenticated", "false"}}});
    add({.name = "reload", .settings = {{"Selector", "rsel1"}, {"KeyFile", (d / "rsel1.private").string()}}});
    add({.name = "cli",
         .args = {"-k", (d / "clisel.private").string(), "-s", "clisel", "-d", "example.test"},
         .write_config = false});
    if (fault_injection_built()) {
        add({.name = "fault-accept", .env = {"BOUNCESEAL_FAULT=plan"}});
        add({.name = "fault-tempfail", .settings = {{"OnError", "tempfail"}}, .env = {"BOUNCESEAL_FAULT=plan"}});
        add({.name = "fault-apply", .env = {"BOUNCESEAL_FAULT=apply"}});
    }
    for (auto& [name, daemon] : daemons_)
        ASSERT_TRUE(daemon->wait_ready()) << name << " did not start:\n" << daemon->log();
}

void Fleet::TearDown() {
    for (auto& [name, daemon] : daemons_) daemon->terminate();
    for (auto& [name, daemon] : daemons_) {
        const auto status = daemon->wait_exit(15s);
        EXPECT_TRUE(status) << name << " did not stop within 15 s of SIGTERM";
        if (!status) continue;
        EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << name << ":\n" << daemon->log();
        EXPECT_NE(daemon->log().find("bounceseal-milter stopped"), std::string::npos) << name;
        EXPECT_FALSE(fs::exists(daemon->socket_path())) << name << ": libmilter removes its socket";
    }
    daemons_.clear();
    dir_.reset();
}

Fleet& fleet() {
    static Fleet* const f = dynamic_cast<Fleet*>(::testing::AddGlobalTestEnvironment(new Fleet));
    return *f;
}

// Registers the fleet before main() runs the tests.
[[maybe_unused]] const bool kFleetRegistered = (fleet(), true);

std::string data(const std::string& name) { return read_file(fs::path(BOUNCESEAL_TEST_DATA) / name); }

test::MilterResult send_to(const std::string& daemon, const test::MilterMessage& m) {
    return send(fleet().get(daemon).socket_spec(), m);
}

std::string queue_id(const test::MilterMessage& m) {
    for (const auto& [name, value] : m.macros.at(SMFIC_MAIL))
        if (name == "i") return value;
    return {};
}

void expect_sealed(const test::MilterMessage& m, const test::MilterResult& r, const std::string& selector,
                   const std::vector<std::pair<std::string, PublicKey>>& keys) {
    ASSERT_TRUE(r.delivered()) << test::reply_name(r.reply) << " at " << test::command_name(r.stage);
    ASSERT_FALSE(r.find(SMFIR_ADDHEADER, "Bounce-Seal").empty()) << "no Bounce-Seal field added";
    const Judgement j = judge_result(m, r, keys, m.mail_from.address);
    EXPECT_EQ(j.verdict, Verdict::pass) << reason_name(j.reason);
    EXPECT_EQ(j.selector, selector);
    EXPECT_EQ(j.domain, "example.test");
}

void expect_untouched(const test::MilterResult& r) {
    EXPECT_TRUE(r.delivered()) << test::reply_name(r.reply) << " at " << test::command_name(r.stage);
    EXPECT_FALSE(modified(r));
}

}  // namespace bounceseal::milter_test
