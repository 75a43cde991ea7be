// counters_test.cpp - the milter's counters (counters.hpp): the stats line
// is the one ops grep (its names and format must not change), every
// increment counts under contention, each skip verdict has its counter,
// and the lists of counters in docs/ADMIN.md and bounceseal-milter(8) are
// the table's, names and meanings.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <ostream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "counters.hpp"

namespace bounceseal::milter {
namespace {

std::string read_source(const std::string& relative) {
    std::ifstream in(std::string(BOUNCESEAL_SOURCE_DIR) + "/" + relative);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

struct Documented {
    std::string name;
    std::string meaning;
    bool operator==(const Documented&) const = default;
};

// For GoogleTest's messages: "name: meaning".
void PrintTo(const Documented& d, std::ostream* out) { *out << d.name << ": " << d.meaning; }

std::vector<Documented> table_rows() {
    std::vector<Documented> rows;
    for (const CounterInfo& c : kCounterTable) rows.push_back({std::string(c.name), std::string(c.meaning)});
    return rows;
}

std::vector<std::string> names_of(const std::vector<Documented>& rows) {
    std::vector<std::string> names;
    for (const auto& r : rows) names.push_back(r.name);
    return names;
}

// The rows of the Markdown table headed "| counter | counts |".
std::vector<Documented> admin_guide_counters(const std::string& text) {
    static const std::regex row(R"(^\| `([a-z_]+)` \| (.+) \|$)");
    std::vector<Documented> rows;
    bool in_table = false;
    for (const std::string& line : lines_of(text)) {
        if (line == "| counter | counts |") {
            in_table = true;
        } else if (in_table && line.rfind('|', 0) != 0) {
            break;
        } else if (std::smatch m; in_table && std::regex_match(line, m, row)) {
            rows.push_back({m[1], m[2]});
        }
    }
    return rows;
}

// The names of the "stats: name=value ..." example line.
std::vector<std::string> stats_line_names(const std::string& text) {
    static const std::regex field(R"(([a-z_]+)=)");
    for (const std::string& line : lines_of(text)) {
        if (line.rfind("stats: ", 0) != 0) continue;
        std::vector<std::string> names;
        for (std::sregex_iterator it(line.begin(), line.end(), field), end; it != end; ++it) names.push_back((*it)[1]);
        return names;
    }
    return {};
}

// The ".TP / .B name / meaning" items of the man page's "Counters"
// subsection, with the meaning's lines joined and "\-" read as "-".
std::vector<Documented> man_page_counters(const std::string& text) {
    std::vector<Documented> rows;
    bool in_section = false;
    for (const std::string& line : lines_of(text)) {
        if (line == ".SS Counters") {
            in_section = true;
        } else if (in_section && (line.rfind(".SH", 0) == 0 || line.rfind(".SS", 0) == 0)) {
            break;
        } else if (in_section && line.rfind(".B ", 0) == 0 && !rows.empty() && rows.back().name.empty()) {
            rows.back().name = line.substr(3);
        } else if (in_section && line == ".TP") {
            rows.push_back({});
        } else if (in_section && !rows.empty() && !rows.back().name.empty() && line.rfind('.', 0) != 0) {
            std::string& meaning = rows.back().meaning;
            if (!meaning.empty()) meaning += ' ';
            meaning += std::regex_replace(line, std::regex(R"(\\-)"), "-");
        }
    }
    return rows;
}

TEST(Counters, StatsLineKeepsItsNamesAndFormat) {
    // The stats line as bounceseal-milter has always written it: every
    // counter, in name order, from the start. Ops grep these names.
    Counters counters;
    EXPECT_EQ(counters.format(),
              "connections=0 errors=0 messages=0 reload_failures=0 reloads=0 sealed=0 skipped_already_sealed=0 "
              "skipped_daemon=0 skipped_external=0 skipped_message_partial=0 skipped_null_sender=0 "
              "skipped_sender_domain=0 skipped_too_complex=0 skipped_too_large=0 tempfails=0");
    counters.increment(Counter::sealed, 3);
    counters.increment(Counter::skipped_too_large);
    EXPECT_NE(counters.format().find(" sealed=3 "), std::string::npos) << counters.format();
    EXPECT_NE(counters.format().find(" skipped_too_large=1 "), std::string::npos) << counters.format();
    EXPECT_EQ(counters.value(Counter::sealed), 3u);
    EXPECT_EQ(counters.value(Counter::errors), 0u);
}

TEST(Counters, CountsEveryIncrementFromManyThreads) {
    Counters counters;
    constexpr int kThreads = 8;
    constexpr int kIncrements = 100000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&counters, t] {
            for (int i = 0; i < kIncrements; ++i) {
                counters.increment(Counter::messages);
                if (t % 2 == 0) counters.increment(Counter::sealed);
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(counters.value(Counter::messages), std::uint64_t{kThreads} * kIncrements);
    EXPECT_EQ(counters.value(Counter::sealed), std::uint64_t{kThreads / 2} * kIncrements);
    EXPECT_EQ(counters.value(Counter::connections), 0u);
}

TEST(Counters, EverySkipVerdictHasItsCounter) {
    // The counter of a skip is "skipped_" and the verdict's log name with
    // '-' as '_', as it was when the name was built from the verdict.
    for (PolicyVerdict v : {PolicyVerdict::skip_null_sender, PolicyVerdict::skip_external, PolicyVerdict::skip_daemon,
                            PolicyVerdict::skip_sender_domain}) {
        const std::optional<Counter> counter = skip_counter_of(v);
        ASSERT_TRUE(counter.has_value()) << verdict_name(v);
        std::string expected = std::string("skipped_") + verdict_name(v);
        std::replace(expected.begin(), expected.end(), '-', '_');
        EXPECT_EQ(kCounterTable[static_cast<std::size_t>(*counter)].name, expected);
    }
    EXPECT_EQ(skip_counter_of(PolicyVerdict::seal_internal), std::nullopt);
    EXPECT_EQ(skip_counter_of(PolicyVerdict::seal_authenticated), std::nullopt);
}

TEST(CountersDocumentation, AdminGuideListsTheTable) {
    const std::string guide = read_source("docs/ADMIN.md");
    ASSERT_FALSE(guide.empty());
    EXPECT_EQ(admin_guide_counters(guide), table_rows());
    // The example stats line shows every counter, in the line's order.
    std::vector<std::string> sorted = names_of(table_rows());
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(stats_line_names(guide), sorted);
}

TEST(CountersDocumentation, ManPageListsTheTable) {
    const std::string page = read_source("docs/man/bounceseal-milter.8");
    ASSERT_FALSE(page.empty());
    EXPECT_EQ(man_page_counters(page), table_rows());
}

}  // namespace
}  // namespace bounceseal::milter
