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
// the result must give pass. plan_seal may answer a SealSkip (already
// sealed, too complex: the milter passes the message on) or throw
// Errc::mime (the milter's OnError case); neither is a violation.
void check_seal(std::string_view input);

// (c) parse_record_text, parse_header_value and parse_signature_part_text
// (and base64_decode) on the input: only Error(malformed) may escape, and
// whatever parses is written back by the matching writer and parses to the
// same value.
void check_record(std::string_view input);

// (d) parse_settings on the input: only ConfigError may escape, and
// settings that parse are rendered by render_settings and parse back equal.
void check_config(std::string_view input);

// (e) The returned copy is the forger's (docs/VERIFY.md 1). The input picks
// one of the project's bounce templates (tests/data/bounces, built in: the
// MTA's layers, which stay as the MTA wrote them) and how the copy holds
// it, and is everything of the returned copy below its own header: a copy
// whose header is fixed and carries no seal, and whose top-level parts can
// hold no seal part pair (the input is at most one of them, and a fixed
// part follows it). Genuine sealed messages, seal fields and seal parts
// anywhere in the input must not help: decide() must say fail, never pass,
// pass-headers-only or none. Input: byte 0 the template, byte 1 the
// layout, the rest the forger's bytes.
void check_returned(std::string_view input);

// The bounce check_returned() judges for `input`: for the seeds
// (make_seeds.cpp) and for reproducing a finding by hand.
std::string returned_bounce(std::string_view input);

// The target names scripts/fuzz and the regression test use, in order.
inline constexpr std::string_view kTargets[] = {"decide", "seal", "record", "config", "returned"};

// Runs the check of `target` (one of kTargets); false for an unknown name.
bool run_check(std::string_view target, std::string_view input);

}  // namespace bounceseal::fuzz
