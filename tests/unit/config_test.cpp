// config_test.cpp - tests of the configuration module: every value type,
// problem lines with FILE:LINE, defaults, overrides, required keys, and the
// texts rendered from the key table (example file, man page, dump).
//
// Files are written to a private temporary directory; nothing outside it
// is read except paths that are meant not to exist.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "bounceseal/common/config.hpp"
#include "bounceseal/common/log.hpp"
#include "bounceseal/key_id.hpp"
#include "config_files.hpp"

namespace bounceseal {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// The problems of loading `text`, or an empty list if it loads.
std::vector<std::string> problems_of(const std::string& text) {
    try {
        parse_settings(text, "test.conf");
    } catch (const ConfigError& e) {
        return e.problems();
    }
    return {};
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& line : lines) out += line + "\n";
    return out;
}

TEST(ConfigDefaults, EveryFieldHoldsTheDefaultOfItsTableRow) {
    const Settings defaults;
    for (const ConfigKey& key : config_keys()) {
        EXPECT_EQ(setting_text(defaults, key), key.default_text) << key.section << " " << key.name;
    }
}

TEST(ConfigDefaults, TypedValues) {
    const Settings s;
    EXPECT_EQ(s.milter.socket, "unix:/run/bounceseal/milter.sock");
    EXPECT_EQ(s.milter.socket_mode, 0660U);
    EXPECT_EQ(s.milter.user_id, "bounceseal");
    EXPECT_TRUE(s.milter.require_safe_keys);
    EXPECT_TRUE(s.milter.seal_authenticated);
    EXPECT_EQ(s.milter.seal_mode, SealMode::full);
    EXPECT_EQ(s.milter.internal_hosts, (std::vector<std::string>{"127.0.0.0/8", "::1"}));
    EXPECT_TRUE(s.milter.sender_domains.empty());
    EXPECT_EQ(s.milter.max_message_size, 32U * 1024 * 1024);
    EXPECT_EQ(s.milter.on_error, MilterSettings::OnError::accept);
    EXPECT_EQ(s.milter.stats_interval, 1h);
    EXPECT_EQ(s.milter.syslog_facility, "mail");
    EXPECT_TRUE(s.milter.domain.empty());
    EXPECT_TRUE(s.milter.key_file.empty());
    EXPECT_EQ(s.verify.keyring, fs::path("/etc/bounceseal/keys"));
    EXPECT_EQ(s.verify.max_age, 10 * 24h);
    EXPECT_EQ(s.verify.clock_skew, 5min);
    EXPECT_EQ(s.verify.headers_only, VerifySettings::HeadersOnly::allow);
    EXPECT_EQ(s.verify.max_input_size, 64U * 1024 * 1024);
    EXPECT_EQ(s.verify.max_depth, 32);
    EXPECT_EQ(s.verify.max_parts, 2000);
    EXPECT_EQ(s.verify.time_limit, 30s);
}

TEST(ConfigTable, KeysAreUniqueAndDescribed) {
    std::set<std::pair<std::string_view, std::string_view>> seen;
    for (const ConfigKey& key : config_keys()) {
        EXPECT_TRUE(seen.insert({key.section, key.name}).second) << key.name;
        EXPECT_FALSE(key.description.empty()) << key.name;
        EXPECT_EQ(key.program, key.section == "milter" ? Program::milter : Program::verify);
        EXPECT_EQ(find_config_key(key.section, key.name), &key);
    }
    EXPECT_EQ(find_config_key("milter", "socket"), nullptr);
    EXPECT_EQ(config_keys().size(), 27U);
}

TEST(ConfigTable, SyslogFacilityChoicesAreTheLoggerFacilities) {
    for (std::string_view section : {"milter", "verify"}) {
        const ConfigKey* key = find_config_key(section, "SyslogFacility");
        ASSERT_NE(key, nullptr);
        EXPECT_EQ(key->choices, syslog_facility_names());
    }
}

TEST_F(ConfigFiles, NoFileMeansDefaults) {
    LoadOptions options;
    options.file = dir_ / "absent.conf";
    EXPECT_EQ(load_settings(options), Settings{});
    options.file.clear();
    EXPECT_EQ(load_settings(options), Settings{});
}

TEST_F(ConfigFiles, MissingNamedFileIsAnError) {
    const fs::path absent = dir_ / "absent.conf";
    try {
        load_settings(absent);
        FAIL() << "loaded a missing file";
    } catch (const ConfigError& e) {
        ASSERT_EQ(e.problems().size(), 1U);
        EXPECT_EQ(e.problems()[0],
                  absent.string() + ": cannot read the configuration file: No such file or directory");
        EXPECT_EQ(e.code(), Errc::config);
    }
}

TEST_F(ConfigFiles, LoadsAFile) {
    const fs::path file = write("b.conf",
                                "# site settings\n"
                                "[milter]\n"
                                "Domain = example.org\n"
                                "  Selector=s2024\n"
                                "KeyFile = /etc/bounceseal/s2024.key\n"
                                "SealMode = HEADER\n"
                                "\n"
                                "[verify]\n"
                                "MaxAge = 3d\n");
    const Settings s = load_settings(file);
    EXPECT_EQ(s.milter.domain, "example.org");
    EXPECT_EQ(s.milter.selector, "s2024");
    EXPECT_EQ(s.milter.key_file, fs::path("/etc/bounceseal/s2024.key"));
    EXPECT_EQ(s.milter.seal_mode, SealMode::header_only);
    EXPECT_EQ(s.verify.max_age, 72h);
    EXPECT_EQ(s.milter.socket, Settings{}.milter.socket);
}

struct GoodValue {
    const char* section;
    const char* key;
    const char* text;
    const char* canonical;  // setting_text() afterwards
};

void PrintTo(const GoodValue& v, std::ostream* os) { *os << "[" << v.section << "] " << v.key << " = " << v.text; }

class ConfigGoodValues : public ::testing::TestWithParam<GoodValue> {};

TEST_P(ConfigGoodValues, Parse) {
    const GoodValue& v = GetParam();
    const std::string text = std::string("[") + v.section + "]\n" + v.key + " = " + v.text + "\n";
    const Settings s = parse_settings(text, "test.conf");
    EXPECT_EQ(setting_text(s, *find_config_key(v.section, v.key)), v.canonical);
}

INSTANTIATE_TEST_SUITE_P(
    AllTypes, ConfigGoodValues,
    ::testing::Values(
        // string, with the key's own checks
        GoodValue{"milter", "Socket", "inet:8891@127.0.0.1", "inet:8891@127.0.0.1"},
        GoodValue{"milter", "Socket", "inet6:8891", "inet6:8891"},
        GoodValue{"milter", "Socket", "local:/var/run/m.sock", "local:/var/run/m.sock"},
        GoodValue{"milter", "Domain", "mail.Example-1.org", "mail.Example-1.org"},
        GoodValue{"milter", "Selector", "s2024_01.a-b", "s2024_01.a-b"},
        GoodValue{"milter", "UserID", "bounceseal:mail", "bounceseal:mail"},
        GoodValue{"milter", "SocketGroup", "smmsp", "smmsp"},
        // path
        GoodValue{"milter", "PidFile", "/run/bounceseal/milter.pid", "/run/bounceseal/milter.pid"},
        GoodValue{"verify", "Keyring", "/srv/keys/", "/srv/keys/"},
        // boolean, any case
        GoodValue{"milter", "RequireSafeKeys", "no", "false"},
        GoodValue{"milter", "RequireSafeKeys", "YES", "true"},
        GoodValue{"milter", "RequireSafeKeys", "0", "false"},
        GoodValue{"milter", "SealAuthenticated", "False", "false"},
        GoodValue{"milter", "SealAuthenticated", "1", "true"},
        // integer
        GoodValue{"verify", "MaxDepth", "1", "1"},
        GoodValue{"verify", "MaxDepth", "1000", "1000"},
        GoodValue{"verify", "MaxParts", "50000", "50000"},
        // size, 1024-based
        GoodValue{"milter", "MaxMessageSize", "1k", "1k"},
        GoodValue{"milter", "MaxMessageSize", "2048", "2k"},
        GoodValue{"milter", "MaxMessageSize", "1500", "1500"},
        GoodValue{"milter", "MaxMessageSize", "100M", "100m"},
        GoodValue{"verify", "MaxInputSize", "1g", "1g"},
        GoodValue{"verify", "MaxInputSize", "1024m", "1g"},
        // duration
        GoodValue{"milter", "StatsInterval", "0", "0"},
        GoodValue{"milter", "StatsInterval", "90", "90s"},
        GoodValue{"milter", "StatsInterval", "120s", "2m"},
        GoodValue{"milter", "StatsInterval", "7d", "7d"},
        GoodValue{"verify", "MaxAge", "48H", "2d"},
        GoodValue{"verify", "ClockSkew", "0", "0"},
        GoodValue{"verify", "TimeLimit", "1m", "1m"},
        // list, commas and/or white space
        GoodValue{"milter", "InternalHosts", "10.0.0.0/8 192.168.1.7,  2001:db8::/32,::1",
                  "10.0.0.0/8, 192.168.1.7, 2001:db8::/32, ::1"},
        GoodValue{"milter", "InternalHosts", "", ""},
        GoodValue{"milter", "SenderDomains", "example.org\texample.net", "example.org, example.net"},
        GoodValue{"milter", "DaemonNames", "MSA, MTA-v6", "MSA, MTA-v6"},
        // choice, any case
        GoodValue{"milter", "OnError", "TempFail", "tempfail"},
        GoodValue{"verify", "HeadersOnly", "deny", "deny"},
        GoodValue{"verify", "SyslogFacility", "local5", "local5"},
        // octal mode
        GoodValue{"milter", "SocketMode", "0600", "0600"},
        GoodValue{"milter", "SocketMode", "660", "0660"},
        GoodValue{"milter", "SocketMode", "0", "0000"}));

struct BadValue {
    const char* section;
    const char* key;
    const char* text;
    const char* says;  // part of the problem after "test.conf:4: Key: "
};

void PrintTo(const BadValue& v, std::ostream* os) { *os << "[" << v.section << "] " << v.key << " = " << v.text; }

class ConfigBadValues : public ::testing::TestWithParam<BadValue> {};

TEST_P(ConfigBadValues, AreReportedWithFileAndLine) {
    const BadValue& v = GetParam();
    // The value sits on line 4, after a comment and a blank line.
    const std::string text =
        std::string("[") + v.section + "]\n# comment\n\n" + v.key + " = " + v.text + "\n";
    const std::vector<std::string> problems = problems_of(text);
    ASSERT_EQ(problems.size(), 1U) << joined(problems);
    const std::string prefix = std::string("test.conf:4: ") + v.key + ": ";
    EXPECT_EQ(problems[0].rfind(prefix, 0), 0U) << problems[0];
    EXPECT_NE(problems[0].find(v.says), std::string::npos) << problems[0];
    EXPECT_NE(problems[0].find("expected"), std::string::npos) << problems[0];
}

INSTANTIATE_TEST_SUITE_P(
    AllTypes, ConfigBadValues,
    ::testing::Values(
        BadValue{"milter", "Socket", "tcp:8891@localhost", "not a milter socket"},
        BadValue{"milter", "Socket", "inet:0@localhost", "port must be"},
        BadValue{"milter", "Socket", "inet:99999", "port must be"},
        BadValue{"milter", "Socket", "unix:run/milter.sock", "must be absolute"},
        BadValue{"milter", "Socket", "", "not a milter socket"},
        BadValue{"milter", "Domain", "exa mple.org", "not a domain name"},
        BadValue{"milter", "Domain", "ex_ample.org", "not a domain name"},
        BadValue{"milter", "Domain", ".example.org", "not starting with a dot or a hyphen"},
        BadValue{"milter", "Domain", "-example.org", "not starting with a dot or a hyphen"},
        BadValue{"milter", "Selector", ".hidden", "not a selector"},
        BadValue{"milter", "Selector", "s/1", "not a selector"},
        BadValue{"milter", "UserID", "-root", "not a user or user:group"},
        BadValue{"milter", "UserID", "user:", "not a user or user:group"},
        BadValue{"milter", "SocketGroup", "mail group", "not a group name"},
        BadValue{"milter", "KeyFile", "keys/s1.key", "not an absolute path"},
        BadValue{"verify", "Keyring", "", "empty value"},
        BadValue{"milter", "RequireSafeKeys", "maybe", "not a boolean"},
        BadValue{"milter", "RequireSafeKeys", "", "empty value"},
        BadValue{"verify", "MaxDepth", "ten", "not a whole number"},
        BadValue{"verify", "MaxDepth", "0", "out of range"},
        BadValue{"verify", "MaxDepth", "1001", "out of range"},
        BadValue{"verify", "MaxParts", "99999999999999999999", "not a whole number"},
        BadValue{"milter", "MaxMessageSize", "32q", "not a size"},
        BadValue{"milter", "MaxMessageSize", "32 m", "not a size"},
        BadValue{"milter", "MaxMessageSize", "-1k", "not a size"},
        BadValue{"milter", "MaxMessageSize", "100", "out of range"},
        BadValue{"milter", "MaxMessageSize", "17g", "out of range"},
        BadValue{"milter", "MaxMessageSize", "99999999999999g", "not a size"},
        BadValue{"milter", "StatsInterval", "5x", "not a duration"},
        BadValue{"milter", "StatsInterval", "1h30m", "not a duration"},
        BadValue{"milter", "StatsInterval", "8d", "out of range"},
        BadValue{"verify", "TimeLimit", "0", "out of range"},
        BadValue{"milter", "InternalHosts", "10.0.0.0/8, 10.0.0.1/8", "not an address or CIDR"},
        BadValue{"milter", "InternalHosts", "intranet", "not an address or CIDR"},
        BadValue{"milter", "SenderDomains", "example.org, exa!mple.net", "not a domain name"},
        BadValue{"milter", "SenderDomains", "example.org, .example.net", "not a domain name"},
        BadValue{"milter", "SealMode", "body", "is not allowed"},
        BadValue{"milter", "OnError", "reject", "one of accept, tempfail"},
        BadValue{"verify", "SyslogFacility", "kern", "is not allowed"},
        BadValue{"milter", "SocketMode", "0999", "not an octal mode"},
        BadValue{"milter", "SocketMode", "rw-rw----", "not an octal mode"},
        BadValue{"milter", "SocketMode", "01777", "out of range"},
        BadValue{"milter", "Domain", "example.org\\nX", "control character"},
        BadValue{"milter", "Domain", "\\q", "cannot be interpreted"},
        BadValue{"milter", "Domain", "caf\xe9", "not UTF-8"}));

// Domain, Selector and SenderDomains take exactly the names a seal can
// carry (key_id.hpp): a Domain that loads is one the milter can seal with,
// so -n finds a bad one where the file says it, not in the signer.
TEST(ConfigKeyIds, AcceptExactlyWhatTheSealFormatDoes) {
    const std::string longest(kMaxDomainLen, 'a');
    for (const std::string& d : {std::string("example.org"), std::string(".example.org"), std::string("-example.org"),
                                 std::string("example-.org"), std::string("example.org."), std::string("1.example"),
                                 std::string("ex_ample.org"), longest, longest + "a"}) {
        EXPECT_EQ(problems_of("[milter]\nDomain = " + d + "\n").empty(), valid_domain(d)) << d;
        EXPECT_EQ(problems_of("[milter]\nSenderDomains = " + d + "\n").empty(), valid_domain(d)) << d;
    }
    const std::string longest_selector(kMaxSelectorLen, 's');
    for (const std::string& s : {std::string("mx1-2026a"), std::string(".hidden"), std::string("-dash"),
                                 std::string("s_1.x"), std::string("s/1"), longest_selector, longest_selector + "s"}) {
        EXPECT_EQ(problems_of("[milter]\nSelector = " + s + "\n").empty(), valid_selector(s)) << s;
    }
}

TEST(ConfigProblems, UnknownKeysAndSectionsAreAllReportedOnTheirLines) {
    const std::vector<std::string> problems = problems_of(
        "[milter]\n"               // 1
        "Domain = example.org\n"   // 2
        "Colour = blue\n"          // 3
        "\n"                       // 4
        "[mailer]\n"               // 5
        "Anything = 1\n"           // 6
        "[verify]\n"               // 7
        "MaxAge = 1x\n"            // 8
        "Zzz = 1\n");              // 9
    ASSERT_EQ(problems.size(), 4U) << joined(problems);
    EXPECT_EQ(problems[0].rfind("test.conf:3: Colour: unknown key in [milter]", 0), 0U) << problems[0];
    EXPECT_EQ(problems[1].rfind("test.conf:5: unknown section [mailer]", 0), 0U) << problems[1];
    EXPECT_EQ(problems[2].rfind("test.conf:8: MaxAge: \"1x\" is not a duration", 0), 0U) << problems[2];
    EXPECT_EQ(problems[3].rfind("test.conf:9: Zzz: unknown key in [verify]", 0), 0U) << problems[3];
}

// Files written for earlier versions keep working: SealMode's old names
// mean what they meant, and each use is reported as a warning with its
// line, never silently.
TEST(ConfigOldNames, SealModeOldNamesKeepTheirMeaningWithAWarning) {
    const std::pair<const char*, SealMode> cases[] = {
        {"full", SealMode::full},         {"append-only", SealMode::append_only}, {"header", SealMode::header_only},
        {"both", SealMode::append_only},  {"BOTH", SealMode::append_only},        {"wrap", SealMode::full},
    };
    for (const auto& [word, mode] : cases) {
        std::vector<std::string> warnings;
        const Settings s = parse_settings(std::string("[milter]\n\nSealMode = ") + word + "\n", "old.conf", &warnings);
        EXPECT_EQ(s.milter.seal_mode, mode) << word;
        const bool old = std::string_view(word) == "both" || std::string_view(word) == "BOTH" ||
                         std::string_view(word) == "wrap";
        ASSERT_EQ(warnings.size(), old ? 1U : 0U) << word << ": " << joined(warnings);
        if (old) {
            EXPECT_EQ(warnings[0].rfind(std::string("old.conf:3: SealMode: \"") + word + "\" is the old name of ", 0), 0U)
                << warnings[0];
        }
    }
    // On the command line (bounceseal-sign -m) the same, with its origin.
    Settings s;
    std::vector<std::string> warnings;
    const Override o{"milter", "SealMode", "wrap", "-m"};
    apply_overrides(s, {&o, 1}, &warnings);
    EXPECT_EQ(s.milter.seal_mode, SealMode::full);
    ASSERT_EQ(warnings.size(), 1U);
    EXPECT_EQ(warnings[0].rfind("-m: SealMode: \"wrap\" is the old name of full", 0), 0U) << warnings[0];
    // The documentation names them (in the example file, across its line breaks).
    const std::string example = std::regex_replace(render_example_config(), std::regex("\n# "), " ");
    EXPECT_NE(example.find("both (read as append-only), wrap (read as full)"), std::string::npos) << example;
    EXPECT_NE(render_man_fragment().find("wrap (read as full)"), std::string::npos);
}

TEST(ConfigProblems, UnknownKeyHints) {
    EXPECT_NE(joined(problems_of("[milter]\nsocket = x\n")).find("did you mean Socket?"), std::string::npos);
    EXPECT_NE(joined(problems_of("[milter]\nKeyring = /k\n")).find("Keyring belongs in [verify]"),
              std::string::npos);
    EXPECT_NE(joined(problems_of("[Milter]\n")).find("did you mean [milter]?"), std::string::npos);
}

TEST(ConfigProblems, RepeatedKeyIsReported) {
    const auto problems = problems_of("[milter]\nDomain = a.example\n[verify]\n[milter]\nDomain = b.example\n");
    ASSERT_EQ(problems.size(), 1U) << joined(problems);
    EXPECT_EQ(problems[0].rfind("test.conf:5: Domain: set again (first on line 2)", 0), 0U) << problems[0];
}

TEST(ConfigProblems, TranslatedKeyIsReported) {
    const auto problems = problems_of("[milter]\n\nSocket[de] = inet:1\n");
    ASSERT_EQ(problems.size(), 1U) << joined(problems);
    EXPECT_EQ(problems[0].rfind("test.conf:3: Socket[de]: unknown key", 0), 0U) << problems[0];
}

TEST(ConfigProblems, SyntaxErrorNamesTheLine) {
    auto problems = problems_of("[milter]\n# fine\nDomain example.org\n");
    ASSERT_EQ(problems.size(), 1U);
    EXPECT_EQ(problems[0].rfind("test.conf:3: ", 0), 0U) << problems[0];

    problems = problems_of("\nDomain = example.org\n[milter]\n");
    ASSERT_EQ(problems.size(), 1U);
    EXPECT_EQ(problems[0].rfind("test.conf:2: ", 0), 0U) << problems[0];

    problems = problems_of("[milter]\n[]\n");
    ASSERT_EQ(problems.size(), 1U);
    EXPECT_EQ(problems[0].rfind("test.conf:2: ", 0), 0U) << problems[0];
}

TEST(ConfigProblems, ValuesInProblemsAreMadeSafe) {
    const auto problems = problems_of("[milter]\nSocketMode = " + std::string(300, '9') + "\n");
    ASSERT_EQ(problems.size(), 1U);
    EXPECT_LT(problems[0].size(), 300U);
    EXPECT_NE(problems[0].find("..."), std::string::npos);
}

TEST(ConfigProblems, ErrorTextJoinsEveryProblem) {
    try {
        parse_settings("[milter]\nSealMode = x\nOnError = y\n", "f");
        FAIL();
    } catch (const Error& e) {
        const std::string what = e.what();
        EXPECT_EQ(e.code(), Errc::config);
        EXPECT_NE(what.find("f:2: SealMode:"), std::string::npos) << what;
        EXPECT_NE(what.find("\nf:3: OnError:"), std::string::npos) << what;
    }
}

TEST(ConfigProblems, EmptyValueLeavesAnUnsetKeyUnset) {
    const Settings s = parse_settings("[milter]\nPidFile =\nSenderDomains =  \nDomain=\n", "f");
    EXPECT_TRUE(s.milter.pid_file.empty());
    EXPECT_TRUE(s.milter.sender_domains.empty());
    EXPECT_TRUE(s.milter.domain.empty());
    // A list whose default is not empty can be emptied too.
    EXPECT_TRUE(parse_settings("[milter]\nInternalHosts =\n", "f").milter.internal_hosts.empty());
}

TEST_F(ConfigFiles, ProblemsOfFileOverridesAndRequiredKeysComeTogether) {
    LoadOptions options;
    options.file = write("b.conf", "[milter]\nSelector = .bad\n");
    options.overrides = {{"milter", "Domain", "bad domain", "-d"}};
    options.require_for = Program::milter;
    try {
        load_settings(options);
        FAIL();
    } catch (const ConfigError& e) {
        const auto& p = e.problems();
        // A key already reported as bad is not reported again as unset.
        ASSERT_EQ(p.size(), 3U) << joined(p);
        EXPECT_EQ(p[0].rfind(options.file.string() + ":2: Selector: \".bad\" is not a selector", 0), 0U)
            << p[0];
        EXPECT_EQ(p[1].rfind("-d: Domain: \"bad domain\" is not a domain name", 0), 0U) << p[1];
        EXPECT_EQ(p[2].rfind(options.file.string() + ": KeyFile: not set", 0), 0U) << p[2];
    }
}

TEST_F(ConfigFiles, AnUnreadableFileIsNotAlsoBlamedForMissingKeys) {
    LoadOptions options;
    options.file = dir_;  // a directory: opens, but cannot be read
    options.require_for = Program::milter;
    try {
        load_settings(options);
        FAIL();
    } catch (const ConfigError& e) {
        ASSERT_EQ(e.problems().size(), 1U) << e.what();
        EXPECT_EQ(e.problems()[0], dir_.string() + ": cannot read the configuration file: Is a directory");
    }

    options.file = write("broken.conf", "[milter]\nDomain example.org\n");
    try {
        load_settings(options);
        FAIL();
    } catch (const ConfigError& e) {
        ASSERT_EQ(e.problems().size(), 1U) << e.what();
        EXPECT_EQ(e.problems()[0].rfind(options.file.string() + ":2: ", 0), 0U) << e.what();
    }
}

TEST_F(ConfigFiles, RequiredKeysCanAllComeFromTheCommandLine) {
    LoadOptions options;
    options.file = dir_ / "absent.conf";
    options.require_for = Program::milter;
    try {
        load_settings(options);
        FAIL();
    } catch (const ConfigError& e) {
        ASSERT_EQ(e.problems().size(), 3U) << e.what();
        EXPECT_NE(e.problems()[2].find("KeyFile: not set, and bounceseal-milter cannot run without it"),
                  std::string::npos)
            << e.what();
    }

    options.overrides = {{"milter", "KeyFile", "/etc/bounceseal/k.key", "-k"},
                         {"milter", "Selector", "s1", "-s"},
                         {"milter", "Domain", "example.org", "-d"}};
    const Settings s = load_settings(options);
    EXPECT_EQ(s.milter.key_file, fs::path("/etc/bounceseal/k.key"));
    EXPECT_EQ(s.milter.selector, "s1");
    EXPECT_EQ(s.milter.domain, "example.org");

    // The verifier needs none of them.
    options.overrides.clear();
    options.require_for = Program::verify;
    EXPECT_NO_THROW(load_settings(options));
}

TEST_F(ConfigFiles, OverridesWinOverTheFile) {
    LoadOptions options;
    options.file = write("b.conf", "[milter]\nSelector = old\n");
    options.overrides = {{"milter", "Selector", "new", "-s"}};
    EXPECT_EQ(load_settings(options).milter.selector, "new");
}

TEST(ConfigOverrides, RelativePathIsTakenFromTheCurrentDirectory) {
    Settings s;
    const std::vector<Override> overrides = {{"milter", "KeyFile", "keys/../s1.key", "-k"}};
    apply_overrides(s, overrides);
    EXPECT_EQ(s.milter.key_file, (fs::current_path() / "s1.key").lexically_normal());
}

TEST(ConfigOverrides, AllOrNothing) {
    Settings s;
    const std::vector<Override> overrides = {{"milter", "Selector", "good", "-s"},
                                             {"milter", "Domain", "", "-d"},
                                             {"milter", "Nonsense", "1", "-x"}};
    try {
        apply_overrides(s, overrides);
        FAIL();
    } catch (const ConfigError& e) {
        ASSERT_EQ(e.problems().size(), 1U) << e.what();
        EXPECT_EQ(e.problems()[0], "-x: unknown key [milter] Nonsense");
    }
    EXPECT_EQ(s, Settings{});
}

}  // namespace
}  // namespace bounceseal
