// checks.hpp - the properties the fuzz targets check, one function per
// target, shared by the libFuzzer entry points (fuzz/*_fuzzer.cpp) and by
// the unit test that replays every reproducer kept under
// tests/data/regressions/ (tests/unit/regressions_test.cpp).
//
// Each function takes one input, runs the code under test on it, and throws
// PropertyViolation when the outcome breaks a promise the headers make
// (an exception where none may escape, a sealed message that does not
// verify, a parse that does not round-trip). Crashes, hangs and memory
// blow-ups are left to the sanitizers and to libFuzzer's limits; nothing
// here catches them.
#pragma once

#include <stdexcept>
#include <string_view>

namespace bounceseal::fuzz {

class PropertyViolation : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

// (a) decide() on the input as a whole message, with a fixed keyring (the
// FORMAT.md test-vector key as "sel1"), policy and clock: no exception, and
// a verdict consistent with the kind.
void check_decide(std::string_view input);

// (b) For input that GMime reads as a message: split_message, seal_precheck,
// plan_seal and apply_seal_plan in each SealMode, then find_seals + judge on
// the result must give pass. plan_seal may refuse (Errc::mime or limit);
// that is the milter's OnError case, not a violation.
void check_seal(std::string_view input);

// (c) parse_record_text, parse_header_value and parse_signature_part_text
// (and base64_decode) on the input: only Error(malformed) may escape, and
// whatever parses is written back by the matching writer and parses to the
// same value.
void check_record(std::string_view input);

// (d) parse_settings on the input: only ConfigError may escape, and
// settings that parse are rendered by render_settings and parse back equal.
void check_config(std::string_view input);

// The target names scripts/fuzz and the regression test use, in order.
inline constexpr std::string_view kTargets[] = {"decide", "seal", "record", "config"};

// Runs the check of `target` (one of kTargets); false for an unknown name.
bool run_check(std::string_view target, std::string_view input);

}  // namespace bounceseal::fuzz
