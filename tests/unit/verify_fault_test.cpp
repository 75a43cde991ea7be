// verify_fault_test.cpp - black-box tests of bounceseal-verify when its own
// world goes wrong rather than the bounce: out of memory (RLIMIT_AS), a
// bounce cut off in transit, standard input or output closed, the reader of
// --filter output going away. The promise under test (docs/VERIFY.md 9):
// its own trouble gives exit 75 so that procmail keeps the mail, never 1
// (which a recipe turns into quarantine or a discard) and never a death by
// a signal. Configuration and keyring faults are in verify_binary_test.cpp.
#include <ctime>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "bounce_support.hpp"
#include "process_runner.hpp"

using namespace bounceseal;
using namespace bounceseal::testing;
namespace fs = std::filesystem;

namespace {

// Sanitizers reserve terabytes of address space for their shadow memory:
// an RLIMIT_AS test cannot run under them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

const std::string kVerifier = std::string(BOUNCESEAL_BINARY_DIR) + "/src/verify/bounceseal-verify";

class VerifyFault : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "bounceseal-fault-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        keys_ = dir_ / "keys";
        fs::create_directory(keys_);
        std::ofstream(keys_ / "sel1.pub") << public_key_file_text("example.test", vector_key().public_key());
    }
    void TearDown() override { fs::remove_all(dir_); }

    // A real bounce of a message sealed just now: exit 0 when all is well.
    static std::string genuine() {
        SealOptions o;
        o.now = static_cast<std::int64_t>(std::time(nullptr));
        return test_bounce("sendmail-dsn.eml", sealed_original(o));
    }

    // Runs `script` with bash; $0 is the verifier, $1 the keyring, $2 a
    // file holding `input`.
    ProcessResult shell(const std::string& script, const std::string& input) {
        const fs::path file = dir_ / "input.eml";
        std::ofstream(file, std::ios::binary) << input;
        return run_process("/bin/bash", {"-c", script, kVerifier, keys_.string(), file.string()});
    }

    // Runs the verifier on `input` under each RLIMIT_AS, with and without
    // -v (which changes what is allocated when): every run must give 75, or
    // 0 (the bounce is genuine) given enough memory. Returns how many gave
    // 75; `last` is the status under the largest limit.
    int out_of_memory(const std::string& input, std::initializer_list<unsigned> limits_mb, int& last) {
        int tempfails = 0, started = 0;
        for (bool verbose : {false, true}) {
            for (unsigned mb : limits_mb) {
                std::vector<std::string> args = {"-K", keys_.string(), "-r", "alice@example.test"};
                if (verbose) args.push_back("-v");
                const ProcessResult r =
                    run_process(kVerifier, args, input, std::chrono::seconds(60), std::uint64_t{mb} << 20);
                SCOPED_TRACE("RLIMIT_AS " + std::to_string(mb) + " MB" + (verbose ? " -v" : "") + ": status " +
                             std::to_string(r.status) + "\n" + r.err.substr(r.err.size() > 2000 ? r.err.size() - 2000 : 0));
                if (r.status == 127) continue;  // too little even to load the program
                ++started;
                EXPECT_TRUE(r.status == 0 || r.status == 75) << "out of memory must give 75, or a pass given enough";
                if (r.status == 75) ++tempfails;
                last = r.status;
            }
        }
        EXPECT_GE(started, 8);
        return tempfails;
    }

    fs::path dir_;
    fs::path keys_;
};

TEST_F(VerifyFault, OutOfMemoryInOurCodeIsTempfail) {
    if (kSanitized) GTEST_SKIP() << "RLIMIT_AS cannot apply under a sanitizer";
    // 24 MB of text in the bounce's first part: reading, parsing and
    // searching it need large blocks, which fail as std::bad_alloc.
    std::string filler;
    for (int i = 0; i < 24 * 1024 * 1024 / 64; ++i) filler += std::string(63, "abcdefghijklmnopqrstuvwxyz"[i % 26]) + "\n";
    const std::string big = replace_once(genuine(), "The original message was received",
                                         filler + "The original message was received");
    int last = -1;
    EXPECT_GE(out_of_memory(big, {40, 72, 104, 136, 192, 2048}, last), 1) << "no limit ran it out of memory";
    EXPECT_EQ(last, 0) << "with 2 GB the bounce must pass";
}

TEST_F(VerifyFault, OutOfMemoryInGLibIsTempfail) {
    if (kSanitized) GTEST_SKIP() << "RLIMIT_AS cannot apply under a sanitizer";
    // 90,000 header lines (the guard refuses more than 100,000): GMime makes
    // many small GLib allocations, and GLib's answer to a failed one is
    // abort(), or, when even its message cannot be allocated, a recursion
    // into a stack overflow (SIGSEGV).
    std::string filler;
    for (int i = 0; i < 90000; ++i) filler += "X-Filler-" + std::to_string(i) + ": v\n";
    int last = -1;
    EXPECT_GE(out_of_memory(filler + genuine(), {40, 48, 56, 64, 80, 2048}, last), 1)
        << "no limit ran it out of memory";
    EXPECT_EQ(last, 0) << "with 2 GB the bounce must pass";
}

TEST_F(VerifyFault, TruncatedBounceGetsAVerdict) {
    const std::string whole = genuine();
    for (int eighth = 1; eighth < 8; ++eighth) {
        const std::string cut = whole.substr(0, whole.size() * eighth / 8);
        const ProcessResult r = run_process(kVerifier, {"-K", keys_.string(), "-r", "alice@example.test", "-v"}, cut);
        SCOPED_TRACE(std::to_string(eighth) + "/8 of the bounce\n" + r.err);
        EXPECT_TRUE(r.status == 0 || r.status == 1);
        EXPECT_NE(r.err.find("\nverdict: "), std::string::npos);
    }
}

TEST_F(VerifyFault, ClosedStandardInputIsTempfail) {
    // Nothing to read is not an empty message: the mail must be kept. Even
    // when the keyring's files were opened first (and could have taken
    // descriptor 0).
    const ProcessResult r = shell(R"(exec 0<&- "$0" -K "$1" -r alice@example.test)", "");
    EXPECT_EQ(r.status, 75) << r.err;
    const ProcessResult filter = shell(R"(exec 0<&- "$0" --filter -K "$1")", "");
    EXPECT_EQ(filter.status, 75) << filter.err;
    EXPECT_TRUE(filter.out.empty());
}

TEST_F(VerifyFault, ClosedStandardOutputInFilterModeIsTempfail) {
    const ProcessResult r = shell(R"("$0" --filter -K "$1" -r alice@example.test < "$2" 1>&-)", genuine());
    EXPECT_EQ(r.status, 75) << r.err;
}

TEST_F(VerifyFault, ReaderGoingAwayInFilterModeIsTempfail) {
    // 1 MB of output cannot fit in the pipe that `head` stops reading after
    // one byte, so the verifier must meet EPIPE, and say so with 75.
    std::string text;
    for (int i = 0; i < 16384; ++i) text += std::string(63, 'b') + "\n";
    const std::string big = replace_once(genuine(), "The original message was received",
                                         text + "The original message was received");
    const ProcessResult r =
        shell(R"("$0" --filter -K "$1" -r alice@example.test < "$2" | head -c 1 > /dev/null; exit ${PIPESTATUS[0]})",
              big);
    EXPECT_EQ(r.status, 75) << r.err;
}

TEST_F(VerifyFault, ClosedStandardErrorChangesNothing) {
    // procmail may run filters without a log; the verdict must not suffer.
    const ProcessResult r = shell(R"(exec 2>&- "$0" -K "$1" -r alice@example.test < "$2")", genuine());
    EXPECT_EQ(r.status, 0);
}

}  // namespace
