// verify_binary_test.cpp - black-box tests of the built bounceseal-verify:
// its exit statuses (0 deliver, 1 forged, 75 its own trouble), --filter
// output byte-identical to the input but for the added first header line,
// -v and -n. Bounces are sealed at the current time, since the program
// reads the clock.
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

const std::string kVerifier = std::string(BOUNCESEAL_BINARY_DIR) + "/src/verify/bounceseal-verify";

class VerifyBinary : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "bounceseal-verify-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        keys_ = dir_ / "keys";
        fs::create_directory(keys_);
        write(keys_ / "sel1.pub", public_key_file_text("example.test", vector_key().public_key()));
        fs::create_directory(dir_ / "empty");
    }
    void TearDown() override { fs::remove_all(dir_); }

    static void write(const fs::path& file, const std::string& text) {
        std::ofstream(file, std::ios::binary) << text;
    }

    static std::string sealed_now() {
        SealOptions o;
        o.now = static_cast<std::int64_t>(std::time(nullptr));
        return sealed_original(o);
    }

    ProcessResult verify(std::vector<std::string> args, const std::string& input) {
        return run_process(kVerifier, args, input);
    }
    std::vector<std::string> with_keys(std::vector<std::string> args) {
        args.insert(args.begin(), {"-K", keys_.string()});
        return args;
    }

    fs::path dir_;
    fs::path keys_;
};

}  // namespace

TEST_F(VerifyBinary, ExitStatusByVerdict) {
    const std::string genuine = test_bounce("sendmail-dsn.eml", sealed_now());
    EXPECT_EQ(verify(with_keys({"-r", "alice@example.test"}), genuine).status, 0);
    EXPECT_EQ(verify(with_keys({"-r", "bob@example.test"}), genuine).status, 1);  // binding-mismatch
    EXPECT_EQ(verify(with_keys({"-r", "alice@example.test"}), read_test_data("bounces/forged-dsn.eml")).status, 1);
    EXPECT_EQ(verify(with_keys({"-r", "alice@example.test"}), read_test_data("bounces/auto-reply.eml")).status, 0);
    EXPECT_EQ(verify(with_keys({"-r", "alice@example.test"}), read_test_data("bounces/ordinary.eml")).status, 0);
    SealOptions old;
    old.now = static_cast<std::int64_t>(std::time(nullptr)) - 11 * 86400;  // MaxAge is 10 days
    EXPECT_EQ(verify(with_keys({"-r", "alice@example.test"}), test_bounce("sendmail-dsn.eml", sealed_original(old))).status,
              1);
}

TEST_F(VerifyBinary, MailThatNeedsNoKeyDoesNotWaitOnTheKeyring) {
    // The recipe hands every message to the verifier: a broken keyring must
    // defer the bounces (75), not all mail.
    for (const char* ring : {"empty", "absent"}) {
        EXPECT_EQ(verify({"-K", (dir_ / ring).string()}, read_test_data("bounces/ordinary.eml")).status, 0) << ring;
        ProcessResult r = verify({"-K", (dir_ / ring).string()}, test_bounce("sendmail-dsn.eml", sealed_now()));
        EXPECT_EQ(r.status, 75) << ring;
        EXPECT_NE(r.err.find(ring), std::string::npos) << r.err;
    }
}

TEST_F(VerifyBinary, OwnTroubleIsTempfail) {
    const std::string genuine = test_bounce("sendmail-dsn.eml", sealed_now());
    ProcessResult missing = verify({"-c", (dir_ / "no-such.conf").string()}, genuine);
    EXPECT_EQ(missing.status, 75);
    EXPECT_NE(missing.err.find("no-such.conf"), std::string::npos) << missing.err;
    EXPECT_EQ(verify({"-K", (dir_ / "empty").string()}, genuine).status, 75);
    EXPECT_EQ(verify({"-K", (dir_ / "absent").string()}, genuine).status, 75);
    write(dir_ / "bad.conf", "[verify]\nMaxAge = forever\n");
    EXPECT_EQ(verify({"-c", (dir_ / "bad.conf").string()}, genuine).status, 75);
    EXPECT_EQ(verify(with_keys({"--no-such-option"}), genuine).status, 75);
    // Even in --filter mode: nothing is written, procmail keeps the original.
    ProcessResult filter = verify({"-K", (dir_ / "empty").string(), "--filter"}, genuine);
    EXPECT_EQ(filter.status, 75);
    EXPECT_TRUE(filter.out.empty());
}

TEST_F(VerifyBinary, ConfigFileSettingsApply) {
    write(dir_ / "deny.conf", "[verify]\nKeyring = " + keys_.string() + "\nHeadersOnly = deny\n");
    write(dir_ / "allow.conf", "[verify]\nKeyring = " + keys_.string() + "\n");
    const std::string headers_only = test_bounce("postfix-headers.eml", sealed_now());
    EXPECT_EQ(verify({"-c", (dir_ / "allow.conf").string(), "-r", "alice@example.test"}, headers_only).status, 0);
    EXPECT_EQ(verify({"-c", (dir_ / "deny.conf").string(), "-r", "alice@example.test"}, headers_only).status, 1);
    // -K overrides the file's Keyring.
    EXPECT_EQ(verify({"-c", (dir_ / "allow.conf").string(), "-K", (dir_ / "empty").string()}, headers_only).status,
              75);
}

TEST_F(VerifyBinary, FilterAddsOneLineAndChangesNothingElse) {
    struct Case {
        std::string input;
        std::string verdict;
    };
    const std::string sealed = sealed_now();
    const Case cases[] = {
        {test_bounce("postfix-dsn.eml", sealed), "Bounce-Seal-Verdict: pass d=example.test s=sel1\n"},
        {test_bounce("postfix-headers.eml", sealed), "Bounce-Seal-Verdict: pass-headers-only d=example.test s=sel1\n"},
        {read_test_data("bounces/forged-dsn.eml"), "Bounce-Seal-Verdict: fail (no-seal)\n"},
        {read_test_data("bounces/auto-reply.eml"), "Bounce-Seal-Verdict: none (auto-reply)\n"},
        {to_crlf(read_test_data("bounces/forged-qmail.eml")), "Bounce-Seal-Verdict: fail (no-seal)\r\n"},
    };
    for (const auto& c : cases) {
        ProcessResult r = verify(with_keys({"--filter", "-r", "alice@example.test"}), c.input);
        EXPECT_EQ(r.status, 0) << r.err;
        EXPECT_EQ(r.out, c.verdict + c.input) << r.err;
    }
}

TEST_F(VerifyBinary, FilterPutsTheLineAfterAnMboxFromLine) {
    const std::string input = test_bounce("mbox-qmail.eml", sealed_now());
    ProcessResult r = verify(with_keys({"--filter", "-r", "alice@example.test"}), input);
    std::size_t nl = input.find('\n') + 1;
    EXPECT_EQ(r.out, input.substr(0, nl) + "Bounce-Seal-Verdict: pass d=example.test s=sel1\n" + input.substr(nl));
}

TEST_F(VerifyBinary, OverTheSizeLimit) {
    write(dir_ / "small.conf", "[verify]\nKeyring = " + keys_.string() + "\nMaxInputSize = 1k\n");
    const std::string big = test_bounce("sendmail-dsn.eml", sealed_now());
    ASSERT_GT(big.size(), 1024u);
    ProcessResult r = verify({"-c", (dir_ / "small.conf").string(), "-r", "alice@example.test"}, big);
    EXPECT_EQ(r.status, 1);  // a bounce by its header, too large to judge: malformed
    r = verify({"-c", (dir_ / "small.conf").string(), "--filter"}, big);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, "Bounce-Seal-Verdict: fail (malformed)\n" + big);  // all of it, not just what was read
    std::string ordinary = read_test_data("bounces/ordinary.eml") + std::string(4000, 'x') + "\n";
    EXPECT_EQ(verify({"-c", (dir_ / "small.conf").string()}, ordinary).status, 0);
}

TEST_F(VerifyBinary, VerbosePrintsEverySteps) {
    ProcessResult r = verify(with_keys({"-v", "-r", "alice@example.test"}), test_bounce("sendmail-dsn.eml", sealed_now()));
    EXPECT_EQ(r.status, 0);
    for (const char* step : {"keyring", "sel1 (example.test,", "classified as bounce",
                             "returned copy: part 3 (message/rfc822)",
                             "signature verifies", "body hash matches", "verdict: pass"})
        EXPECT_NE(r.err.find(step), std::string::npos) << step << "\n" << r.err;
    ProcessResult quiet = verify(with_keys({"-r", "alice@example.test"}), test_bounce("sendmail-dsn.eml", sealed_now()));
    EXPECT_TRUE(quiet.err.empty()) << quiet.err;
}

TEST_F(VerifyBinary, CheckOnly) {
    ProcessResult ok = verify(with_keys({"-n"}), "");
    EXPECT_EQ(ok.status, 0);
    EXPECT_EQ(ok.out, "configuration OK\n");
    ProcessResult empty = verify({"-n", "-K", (dir_ / "empty").string()}, "");
    EXPECT_EQ(empty.status, 1);
    EXPECT_NE(empty.err.find("no key file"), std::string::npos) << empty.err;
    write(keys_ / "broken.pub", "not a key\n");
    ProcessResult broken = verify(with_keys({"-n"}), "");
    EXPECT_EQ(broken.status, 1);
    EXPECT_NE(broken.err.find("broken.pub"), std::string::npos) << broken.err;
}

TEST_F(VerifyBinary, KeyFilesAreReadOnlyWhenASealNamesThem) {
    // A broken file beside the key does not disturb a run, since no seal
    // names it; -n, which reads every file, reports it.
    write(keys_ / "broken.pub", "not a key\n");
    ProcessResult r = verify(with_keys({"-r", "alice@example.test"}), test_bounce("sendmail-dsn.eml", sealed_now()));
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(verify(with_keys({"-n"}), "").status, 1);
}

TEST_F(VerifyBinary, KeyFileWithoutADomainLineStillWorksAndSaysSo) {
    // The layout before the Domain line: the key vouches for any domain,
    // every use is logged, and -n asks for the line.
    write(keys_ / "sel1.pub", vector_key().public_key().pem());
    ProcessResult r = verify(with_keys({"-v", "-r", "alice@example.test"}), test_bounce("sendmail-dsn.eml", sealed_now()));
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("has no Domain line, so it vouches for any signer domain"), std::string::npos) << r.err;
    ProcessResult check = verify(with_keys({"-n"}), "");
    EXPECT_EQ(check.status, 1);
    EXPECT_NE(check.err.find("Domain:"), std::string::npos) << check.err;
}
