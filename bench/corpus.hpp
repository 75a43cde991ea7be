// corpus.hpp - the messages every benchmark runs on, generated from a fixed
// seed so that core_bench, the milter runs and the verifier runs see the
// same bytes on every machine.
//
// It makes plain outbound mail (a text message, messages with a base64
// attachment), typical body text for the canonicalizer, and the DSN that a
// remote MTA would send back for a sealed message. It does not seal: the
// benchmarks seal with the product's own code or tools.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bounceseal::bench {

inline constexpr std::string_view kSender = "alice@bench.test";
inline constexpr std::string_view kRecipient = "bob@example.net";
inline constexpr std::string_view kDomain = "bench.test";

// Lines of words separated by single spaces, CRLF line ends, at most 76
// characters a line: what most text parts decode to. At least `size` bytes.
std::string typical_text(std::size_t size);

// Lines of 76 base64 characters with CRLF: long runs without white space,
// the worst case for a scanner that stops at spaces. At least `size` bytes.
std::string base64_like_text(std::size_t size);

struct CorpusMessage {
    std::string name;  // file name stem, e.g. "msg-5k"
    std::string text;  // the whole message, CRLF line ends
};

// One message of about `size` bytes. Below 20 kB: a single text/plain part.
// Otherwise: multipart/mixed with a short text part and a base64
// application/octet-stream attachment filling the rest.
CorpusMessage make_message(std::string_view name, std::size_t size);

// The messages of the standard corpus: msg-5k, msg-100k, msg-2m; with
// `large`, also msg-20m (the verifier's memory run).
std::vector<CorpusMessage> standard_corpus(bool large);

// A delivery status notification (RFC 3464) returning `original` whole as
// a message/rfc822 part, addressed to the original's sender: what
// sendmail sends back for an unknown recipient. CRLF line ends.
std::string wrap_in_dsn(std::string_view original);

}  // namespace bounceseal::bench
