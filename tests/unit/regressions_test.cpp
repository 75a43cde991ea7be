// regressions_test.cpp - replays every input the fuzzers found a fault with
// (tests/data/regressions/TARGET/NAME) through the check of that fuzz
// target (fuzz/checks.hpp), in every build, not only in the clang fuzz
// build: a fixed finding stays fixed. The findings themselves, and why each
// input fails without its fix, are listed in docs/RELIABILITY.md; focused
// tests of the same faults live beside the code's other tests.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "checks.hpp"

namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(FuzzRegressions, EveryReproducerPassesItsCheck) {
    const fs::path root = fs::path(BOUNCESEAL_TEST_DATA) / "regressions";
    std::size_t replayed = 0;
    for (std::string_view target : bounceseal::fuzz::kTargets) {
        const fs::path dir = root / target;
        if (!fs::is_directory(dir)) continue;
        for (const auto& entry : fs::directory_iterator(dir)) {
            if (!entry.is_regular_file()) continue;
            SCOPED_TRACE(entry.path().string());
            const std::string input = slurp(entry.path());
            const auto start = std::chrono::steady_clock::now();
            try {
                bounceseal::fuzz::run_check(target, input);
            } catch (const std::exception& e) {
                ADD_FAILURE() << e.what();
            }
            // The fuzzers call more than a second a hang; a sanitizer or
            // valgrind run may be ten times slower than that, no more.
            EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
            ++replayed;
        }
    }
    EXPECT_GT(replayed, 0u) << "no reproducers found under " << root;
}

}  // namespace
