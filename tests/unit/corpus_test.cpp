// corpus_test.cpp - the verifier against the shared corpus of real bounces
// (175 messages from 82 MTA families). The corpus is never copied into the
// project: it is read at run time from the directory $BOUNCESEAL_CORPUS
// names (ctest sets it from the CMake cache variable BOUNCESEAL_CORPUS_DIR);
// without it the tests report themselves skipped.
//
// (a) Every file is classified and judged without error: as it is, no
//     bounce in it carries our seal, so each bounce must fail with no-seal,
//     and the auto-replies, feedback reports and non-bounces get none.
// (b) Every file whose original came back gets a sealed variant
//     (corpus_variants.hpp): the verdict must be pass where the whole copy
//     with its seal parts came back, pass-headers-only where only the header
//     (or a mangled or cut body) did, and the copy judged must be the one
//     where the index says the original is. The exceptions are listed below
//     with their reasons; a table per family goes to the test output.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "bounce_support.hpp"
#include "corpus_variants.hpp"

using namespace bounceseal;
using namespace bounceseal::testing;
namespace fs = std::filesystem;

namespace {

// Files whose variant is not built, or whose verdict differs from what
// their index row alone says; checked both ways, so a new one is noticed.
const std::map<std::string, std::string> kExceptions = {
    {"facebook-01.eml", "only the original's body came back (a text part after the DSN), no header: "
                        "nothing can carry a seal; skipped"},
    {"rhost_facebook-01.eml", "as facebook-01: only the body came back; skipped"},
    {"x3-03.eml", "the collector replaced the original in its text/rfc822-headers part by 'xxxx': the "
                  "variant puts the sealed original in the whole part (an exception to how it is built, "
                  "not to its verdict)"},
};

std::optional<fs::path> corpus_dir() {
    const char* dir = std::getenv("BOUNCESEAL_CORPUS");
    if (dir == nullptr || *dir == '\0') return std::nullopt;
    fs::path p(dir);
    if (!fs::exists(p / "index.tsv")) return std::nullopt;
    return p;
}

std::string slurp(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string note_value(const std::string& notes, const std::string& key, char end) {
    std::size_t at = notes.find(key);
    if (at == std::string::npos) return {};
    at += key.size();
    return notes.substr(at, notes.find(end, at) - at);
}

std::vector<CorpusEntry> read_index(const fs::path& dir) {
    std::vector<CorpusEntry> entries;
    std::istringstream lines(slurp(dir / "index.tsv"));
    std::string line;
    std::getline(lines, line);  // the column names
    while (std::getline(lines, line)) {
        std::vector<std::string> col;
        std::istringstream cells(line);
        for (std::string cell; std::getline(cells, cell, '\t');) col.push_back(cell);
        if (col.size() < 6) continue;
        CorpusEntry e{col[0], col[1], col[2], col[3], col[5], {}, {}};
        e.orig_part = note_value(e.notes, "orig-part=", ';');
        e.marker = note_value(e.notes, "marker='", '\'');
        entries.push_back(e);
    }
    return entries;
}

bool not_a_bounce_family(const std::string& family) {
    return family == "rfc3834" || family == "arf" || family == "notbounce";
}

std::string path_of_best(const std::string& raw, const Decision& d) {
    MessageReport r = analyze_message(raw);
    for (const auto& c : r.copies)
        if (c.where == d.where) return c.path;
    return "?";
}

struct Tally {
    int files = 0, classified = 0, variants = 0, pass = 0, headers_only = 0, fail = 0, none = 0, skipped = 0,
        wrong = 0;
};

void print_table(const std::map<std::string, Tally>& by_family) {
    Tally all;
    std::ostringstream out;
    out << "family               files classified variants pass pass-hdrs fail none skipped wrong\n";
    auto row = [&](const std::string& name, const Tally& t) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "%-20s %5d %10d %8d %4d %9d %4d %4d %7d %5d\n", name.c_str(), t.files,
                      t.classified, t.variants, t.pass, t.headers_only, t.fail, t.none, t.skipped, t.wrong);
        out << buf;
    };
    for (const auto& [family, t] : by_family) {
        row(family, t);
        all.files += t.files;
        all.classified += t.classified;
        all.variants += t.variants;
        all.pass += t.pass;
        all.headers_only += t.headers_only;
        all.fail += t.fail;
        all.none += t.none;
        all.skipped += t.skipped;
        all.wrong += t.wrong;
    }
    row("ALL", all);
    std::cout << out.str();
}

}  // namespace

TEST(Corpus, EveryFileIsClassifiedAndUnsealedBouncesFail) {
    auto dir = corpus_dir();
    if (!dir) GTEST_SKIP() << "no corpus: set BOUNCESEAL_CORPUS to the directory holding index.tsv";
    auto entries = read_index(*dir);
    ASSERT_FALSE(entries.empty());
    std::map<std::string, int> verdicts;
    for (const auto& e : entries) {
        const std::string raw = slurp(*dir / "bounces" / e.file);
        Decision d;
        ASSERT_NO_THROW(d = decide_text(raw)) << e.file;
        if (not_a_bounce_family(e.family)) {
            EXPECT_EQ(d.judgement.verdict, Verdict::none) << e.file << "\n" << describe(d);
        } else {
            EXPECT_TRUE(is_judged(d.kind)) << e.file << "\n" << describe(d);
            EXPECT_EQ(d.judgement.verdict, Verdict::fail) << e.file << "\n" << describe(d);
            EXPECT_EQ(d.judgement.reason, Reason::no_seal) << e.file << "\n" << describe(d);
        }
        ++verdicts[std::string(verdict_name(d.judgement.verdict)) + " " + kind_name(d.kind)];
    }
    std::cout << "classification of " << entries.size() << " corpus files:\n";
    for (const auto& [what, n] : verdicts) std::cout << "  " << n << " " << what << "\n";
}

TEST(Corpus, SealedVariantsPassWhereTheOriginalCameBack) {
    auto dir = corpus_dir();
    if (!dir) GTEST_SKIP() << "no corpus: set BOUNCESEAL_CORPUS to the directory holding index.tsv";
    const std::string sealed = sealed_original();
    std::map<std::string, Tally> by_family;
    std::set<std::string> exceptional;
    for (const auto& e : read_index(*dir)) {
        Tally& t = by_family[e.family];
        ++t.files;
        ++t.classified;
        if (e.style == "none") continue;
        const std::string raw = slurp(*dir / "bounces" / e.file);
        Variant v = build_variant(e, raw, sealed);
        if (!v.skip.empty() || !v.exception.empty()) exceptional.insert(e.file);
        if (!v.skip.empty()) {
            ++t.skipped;
            EXPECT_TRUE(kExceptions.contains(e.file)) << e.file << ": variant not built: " << v.skip;
            continue;
        }
        ++t.variants;
        Decision d;
        ASSERT_NO_THROW(d = decide_text(v.text)) << e.file;
        bool right = d.judgement.verdict == v.expected &&
                     (v.expected != Verdict::fail || d.judgement.reason == v.expected_reason);
        if (right && v.check_path && is_judged(d.kind) && v.expected != Verdict::fail) {
            std::string path = path_of_best(v.text, d);
            right = path == e.orig_part || path.starts_with(e.orig_part + ">");
            EXPECT_TRUE(right) << e.file << ": judged the copy at " << path << ", the original is at "
                               << e.orig_part << "\n" << describe(d);
        }
        EXPECT_EQ(d.judgement.verdict, v.expected) << e.file << " (" << v.carrier << ")\n" << describe(d);
        switch (d.judgement.verdict) {
        case Verdict::pass: ++t.pass; break;
        case Verdict::pass_headers_only: ++t.headers_only; break;
        case Verdict::fail: ++t.fail; break;
        case Verdict::none: ++t.none; break;
        }
        if (!right) ++t.wrong;
    }
    for (const auto& [file, why] : kExceptions)
        EXPECT_TRUE(exceptional.contains(file)) << file << " is listed as an exception but is not one: " << why;
    print_table(by_family);
    std::cout << "exceptions:\n";
    for (const auto& [file, why] : kExceptions) std::cout << "  " << file << ": " << why << "\n";
}
