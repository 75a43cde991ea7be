// attacks.hpp - the forger's attacks on the verifier, built at test time
// from one genuine sealed message of alice's (the spammer received it) and
// the bounce templates of tests/data/bounces (how real MTAs return a
// message). No spam is committed: every message is made here.
//
// The forger has read docs/FORMAT.md and docs/VERIFY.md. In backscatter he
// writes the returned copy (his spam, sent with alice as envelope sender)
// and an innocent MTA writes the bounce around it; in the other attacks he
// writes the bounce himself. Each attack must end in quarantine: verdict
// fail, exit status 1. tests/unit/attack_test.cpp checks the verdicts,
// tests/e2e/attack_test.sh the same messages on real procmail (and the
// central ones through real sendmail) with the shipped recipe. The
// messages are written to files by make_attacks.cpp for the latter.
#pragma once

#include <string>
#include <vector>

#include "bounceseal/verify.hpp"

namespace bounceseal::testing {

// What the forger holds and whom he forges.
struct Genuine {
    std::string plain;      // a sealed message of alice's (Bounce-Seal field, with or without seal parts)
    std::string multipart;  // a sealed multipart/mixed message of alice's: field and appended seal parts
    std::string sender;     // alice's address, the envelope sender of the spam run
};

struct Attack {
    std::string name;    // attack_name: the test's and the file's name
    std::string what;    // what the forger does, in one line
    std::string spam;    // the message he sends as alice; empty when he writes the bounce himself
    std::string bounce;  // what reaches alice's mailbox, starting with its Return-Path field
    Reason reason = Reason::no_seal;  // the verdict is fail, for this reason
    bool deny_headers_only = false;   // judged with HeadersOnly deny
};

// Every attack, in the order of docs/SECURITY.md's list.
std::vector<Attack> attacks(const Genuine& g);

// Bounces a person reads as bounces, whose header a narrow procmail
// condition misses (RFC 2047-encoded From:, no Return-Path:, "< >"): the
// shipped recipe must hand each to the verifier. Each returns `spam`.
std::vector<Attack> recipe_attacks(const Genuine& g);

// The genuine messages of the unit tests: kOriginal sealed with the test
// key (seal parts and field), and a multipart message of alice's sealed
// by the default mode (parts appended).
Genuine test_genuine();

// What the forger puts below his copy's own header in the property of
// fuzz_returned (fuzz/checks.hpp): `g`'s messages in every form he might
// paste or attach them, a bounce of one, and the seal parts alone.
std::vector<std::string> forger_payloads(const Genuine& g);

// The forger's spam: a plain message from `sender`, with `extra_header`
// lines and the MIME `body` given (Content-Type line included), or a plain
// text body when `body` is empty.
std::string spam_message(const std::string& sender, const std::string& subject, const std::string& body = "",
                         const std::string& extra_header = "");

}  // namespace bounceseal::testing
