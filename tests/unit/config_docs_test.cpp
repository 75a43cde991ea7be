// config_docs_test.cpp - tests of the texts rendered from the
// configuration's key table: the example file (which, made live, gives the
// defaults), the man page fragment and the dump, which reads back as the
// same settings. The parsing itself is config_test.cpp's.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <string>

#include "bounceseal/common/config.hpp"
#include "config_files.hpp"

namespace bounceseal {
namespace {

using namespace std::chrono_literals;

// The uncommented example: each "#Key = value" line made live.
std::string uncommented(const std::string& example) {
    return std::regex_replace(example, std::regex("^#([A-Z][A-Za-z]* =)", std::regex::multiline), "$1");
}

TEST_F(ConfigFiles, ExampleConfigGivesTheDefaults) {
    const std::string example = render_example_config();
    EXPECT_EQ(load_settings(write("example.conf", example)), Settings{});

    const std::string live = uncommented(example);
    for (const ConfigKey& key : config_keys()) {
        EXPECT_NE(example.find("\n#" + std::string(key.name) + " ="), std::string::npos) << key.name;
        EXPECT_NE(live.find("\n" + std::string(key.name) + " ="), std::string::npos) << key.name;
    }
    EXPECT_EQ(load_settings(write("live.conf", live)), Settings{});
}

TEST(ConfigDocs, ExampleCommentsAreShort) {
    std::istringstream lines(render_example_config());
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("# ", 0) == 0) {
            EXPECT_LE(line.size(), 78U) << line;
        }
    }
}

TEST(ConfigDocs, ManFragmentListsEveryKey) {
    const std::string man = render_man_fragment();
    EXPECT_NE(man.find(".SS [milter]\n"), std::string::npos);
    EXPECT_NE(man.find(".SS [verify]\n"), std::string::npos);
    for (const ConfigKey& key : config_keys()) {
        EXPECT_NE(man.find(".TP\n.BR " + std::string(key.name) + " \""), std::string::npos) << key.name;
    }
    EXPECT_NE(man.find(".BR MaxMessageSize \" (size, 1k to 16g)\"\nDefault: \\fB32m\\fR.\n"
                       "Read by \\fBbounceseal\\-milter\\fR.\n"),
              std::string::npos)
        << man;
    EXPECT_NE(man.find(".BR Domain \" (string; required)\"\nNo default.\n"), std::string::npos) << man;
    // No text line may start a request by accident.
    std::istringstream lines(man);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] != '.') continue;
        EXPECT_TRUE(line.rfind(".\\\"", 0) == 0 || line.rfind(".SS ", 0) == 0 || line == ".TP" ||
                    line.rfind(".BR ", 0) == 0)
            << line;
    }
}

TEST(ConfigDocs, DumpReadsBackAsTheSameSettings) {
    Settings s;
    s.milter.domain = "example.org";
    s.milter.selector = "s1";
    s.milter.key_file = "/etc/bounceseal/back\\slash.key";
    s.milter.sender_domains = {"example.org", "example.net"};
    s.milter.internal_hosts.clear();
    s.milter.max_message_size = 1500;
    s.milter.stats_interval = 0s;
    s.milter.on_error = MilterSettings::OnError::tempfail;
    s.verify.max_age = 90s;
    s.verify.headers_only = VerifySettings::HeadersOnly::deny;
    const std::string dump = render_settings(s);
    EXPECT_EQ(parse_settings(dump, "dump"), s) << dump;
    EXPECT_NE(dump.find("\nOnError = tempfail\n"), std::string::npos) << dump;
    EXPECT_NE(dump.find("\nInternalHosts =\n"), std::string::npos) << dump;

    const std::string milter_only = render_settings(s, Program::milter);
    EXPECT_EQ(milter_only.find("[verify]"), std::string::npos);
    EXPECT_EQ(milter_only.rfind("[milter]\nSocket = ", 0), 0U) << milter_only;
}

TEST(ConfigDocs, DescribeType) {
    EXPECT_EQ(describe_type(*find_config_key("milter", "SealMode")), "one of full, append-only, header");
    EXPECT_EQ(describe_type(*find_config_key("verify", "MaxDepth")), "integer, 1 to 1000");
    EXPECT_EQ(describe_type(*find_config_key("milter", "StatsInterval")), "duration, 0 to 7d");
    EXPECT_EQ(describe_type(*find_config_key("milter", "SocketMode")), "octal mode, at most 0777");
}

}  // namespace
}  // namespace bounceseal
