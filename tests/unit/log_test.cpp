// log_test.cpp - tests of the logging helpers: the log-line sanitiser,
// facility names, and the stderr line format. (The milter's counters:
// tests/milter/counters_test.cpp.)
//
// Syslog output itself is not checked: it goes wherever the test host's
// syslog sends it, if anywhere.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <glib.h>
#include <spdlog/spdlog.h>

#include "bounceseal/common/log.hpp"
#include "bounceseal/error.hpp"

namespace bounceseal {
namespace {

TEST(LogSafe, LineBreaksCannotStartANewLine) {
    EXPECT_EQ(log_safe("evil\r\nbounceseal-milter[1]: sealed"), "evil bounceseal-milter[1]: sealed");
    EXPECT_EQ(log_safe("a\nb\rc\td"), "a b c d");
    EXPECT_EQ(log_safe("folded\n\theader"), "folded header");
    EXPECT_EQ(log_safe(std::string("nul\0byte", 8)), "nul byte");
    EXPECT_EQ(log_safe("esc\x1b[31mred\x7f"), "esc [31mred ");
    EXPECT_EQ(log_safe("line\xe2\x80\xa8separator"), "line separator");  // U+2028
    EXPECT_EQ(log_safe("c1\xc2\x85next"), "c1 next");                      // U+0085 NEL
}

TEST(LogSafe, KeepsPrintableTextAndMarksBrokenUtf8) {
    EXPECT_EQ(log_safe("plain <user@example.org>"), "plain <user@example.org>");
    EXPECT_EQ(log_safe("caf\xc3\xa9"), "caf\xc3\xa9");
    EXPECT_EQ(log_safe("bad\xff\xfe"), "bad??");
    EXPECT_EQ(log_safe("cut\xc3"), "cut?");
    EXPECT_EQ(log_safe(""), "");
}

TEST(LogSafe, CapsTheLength) {
    const std::string capped = log_safe(std::string(1000, 'x'));
    EXPECT_EQ(capped, std::string(kLogValueMax, 'x') + "...");
    EXPECT_EQ(log_safe(std::string(kLogValueMax, 'y')), std::string(kLogValueMax, 'y'));
    EXPECT_EQ(log_safe("abcdef", 3), "abc...");

    // Two-byte characters are never split.
    std::string accents;
    for (int i = 0; i < 150; ++i) accents += "\xc3\xa9";
    const std::string cut = log_safe(accents, 201);
    EXPECT_EQ(cut.size(), 200U + 3U);
    EXPECT_TRUE(g_utf8_validate(cut.data(), static_cast<gssize>(cut.size()), nullptr));
}

TEST(SyslogFacility, NamesMapToCodes) {
    EXPECT_EQ(syslog_facility_code("mail"), LOG_MAIL);
    EXPECT_EQ(syslog_facility_code("daemon"), LOG_DAEMON);
    EXPECT_EQ(syslog_facility_code("user"), LOG_USER);
    EXPECT_EQ(syslog_facility_code("local0"), LOG_LOCAL0);
    EXPECT_EQ(syslog_facility_code("local7"), LOG_LOCAL7);
    EXPECT_EQ(syslog_facility_code("kern"), std::nullopt);
    EXPECT_EQ(syslog_facility_code("MAIL"), std::nullopt);
    EXPECT_EQ(syslog_facility_names().size(), 11U);
    for (std::string_view name : syslog_facility_names()) EXPECT_TRUE(syslog_facility_code(name)) << name;
}

TEST(LogInit, RejectsAnUnknownFacility) {
    try {
        log_init("bounceseal-test", "kern", false, spdlog::level::info);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::config);
        EXPECT_NE(std::string(e.what()).find("local7"), std::string::npos);
    }
}

// Runs `body` with file descriptor 2 sent to a file; returns what was
// written to it.
template <typename Body>
std::string capture_stderr(Body body) {
    std::string path = (std::filesystem::temp_directory_path() / "bounceseal-log-XXXXXX").string();
    const int file = ::mkstemp(path.data());
    EXPECT_GE(file, 0);
    std::fflush(stderr);
    const int saved = ::dup(2);
    ::dup2(file, 2);
    body();
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    ::close(file);
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::filesystem::remove(path);
    return text.str();
}

TEST(LogInit, StderrLinesAreIdentPidMessage) {
    const std::string written = capture_stderr([] {
        log_init("bounceseal-test%", "local7", true, spdlog::level::info);
        spdlog::info("sealed {} for {}", "<id@example.org>", log_safe("a\nb"));
        spdlog::debug("not shown below the level");
        spdlog::warn("second");
        // Once more, as a program does after reading its configuration.
        log_init("bounceseal-test", "mail", true, spdlog::level::debug);
        spdlog::debug("shown now");
        log_init("bounceseal-test", "mail", false, spdlog::level::debug);
        spdlog::info("syslog only");
    });
    const std::string pid = std::to_string(::getpid());
    EXPECT_EQ(written, "bounceseal-test%[" + pid + "]: sealed <id@example.org> for a b\n" +
                           "bounceseal-test%[" + pid + "]: second\n" +
                           "bounceseal-test[" + pid + "]: shown now\n");
}

}  // namespace
}  // namespace bounceseal
