// corpus_variants.hpp - sealed variants of the real bounces of the shared
// corpus: the same bounce, byte for byte, but with a message sealed by the
// test key where the real original was, carried the way that MTA carried
// it (same MIME part, same quoting and indentation, same transfer encoding
// of the text that holds it, headers only where only headers came back,
// cut where the MTA cut). Where the original sits comes from the corpus
// index (orig-part, marker), not from the code under test.
#pragma once

#include <string>

#include "bounceseal/verify.hpp"

namespace bounceseal::testing {

// One row of the corpus index.tsv.
struct CorpusEntry {
    std::string file;
    std::string family;
    std::string style;       // rfc822, headers, inline, attached-other, none
    std::string body;        // yes, no, truncated
    std::string notes;
    std::string orig_part;   // "3", "1.1", "2>3", "0"; empty if none
    std::string marker;      // line introducing an inline copy; empty if none
    bool noted(const std::string& fact) const { return notes.find(fact) != std::string::npos; }
};

struct Variant {
    std::string text;             // the bounce with the sealed original in place
    Verdict expected = Verdict::pass;        // set from the index row by build_variant()
    Reason expected_reason = Reason::ok;     // ok for pass, pass-headers-only and none; why for a fail
    std::string carrier;          // how it was placed: "message part", "text part", "raw text", "JSON"
    bool check_path = true;       // the judged copy must be the one at orig_part
    std::string skip;             // not built, and why
    std::string exception;        // why the expected verdict is not what the row alone says
};

// Builds the variant of `raw` (the corpus file) with `sealed` (a sealed
// message, LF line ends) as its original.
Variant build_variant(const CorpusEntry& entry, const std::string& raw, const std::string& sealed);

}  // namespace bounceseal::testing
