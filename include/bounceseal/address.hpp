// address.hpp - the one reading of an SMTP envelope address: which mailbox
// an envelope sender (MAIL FROM) or a recipient names, whether it is the
// null sender, its domain, and its normalised form for the sender binding
// (docs/FORMAT.md section 3).
//
// The milter's policy, the seal's sender binding, the verifier's binding
// check and the bounce classifier all read addresses here, so they cannot
// disagree about one envelope sender. Only the path syntax of RFC 5321
// 4.1.2 is handled (white space, angle brackets, a source route); the local
// part is neither parsed nor unquoted, and nothing here checks that an
// address is deliverable.
#pragma once

#include <string>
#include <string_view>

namespace bounceseal {

// The mailbox a path names, its case kept: without surrounding white space
// (SP, HTAB, CR, LF), one pair of enclosing angle brackets and the white
// space inside them, and a source route ("@relay.test,@hop.test:"), which
// RFC 5321 says to ignore. "<@relay.test:Bob@Example.TEST>" gives
// "Bob@Example.TEST"; the null sender "<>" gives "".
std::string bare_address(std::string_view path);

// True for the null reverse-path: "<>" (or nothing at all).
bool is_null_address(std::string_view path);

// bare_address() with A-Z mapped to a-z (US-ASCII only): the value the
// sender binding hashes.
std::string normalize_address(std::string_view path);

// A domain as mail compares it: lower case (US-ASCII), without trailing
// dots ("Example.Test." gives "example.test").
std::string comparable_domain(std::string_view domain);

// The comparable_domain() after the last '@' of an address (a quoted local
// part may hold an '@'); empty if there is no '@'.
std::string address_domain(std::string_view address);

}  // namespace bounceseal
