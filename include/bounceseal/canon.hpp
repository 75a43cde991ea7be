// canon.hpp - the "mime-relaxed" canonical body hash (docs/FORMAT.md).
//
// LeafCanonicalizer turns the decoded content of one MIME leaf into its
// canonical form (line ends unified, trailing white space dropped, runs of
// white space folded, trailing empty lines dropped) and hashes it as it
// streams, without keeping the content. BodyHasher walks MIME entities and
// combines the leaf digests with the structure into the manifest whose
// SHA-256 is the body hash. Neither knows where the entities came from.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "bounceseal/encoding.hpp"

typedef struct _GMimeObject GMimeObject;

namespace bounceseal {

class LeafCanonicalizer {
public:
    void update(const char* data, std::size_t len);
    void update(std::string_view s) { update(s.data(), s.size()); }
    Bytes finish();  // SHA-256 of the canonical content

private:
    void emit(const char* data, std::size_t len) { sha_.update(data, len); }
    void end_line();

    Sha256 sha_;
    // Pending state carried across update() calls:
    std::size_t pending_blank_lines_ = 0;  // empty lines not yet emitted
    bool pending_space_ = false;           // a run of WSP seen inside a line
    bool line_has_text_ = false;           // current line has emitted text
    bool after_cr_ = false;                // last byte was CR (CRLF pairing)
};

// Limits on the MIME tree walked while hashing.
struct WalkLimits {
    std::size_t max_depth = 64;
    std::size_t max_parts = 10000;
};

// The body hash over a list of top-level entities (FORMAT.md "Body hash").
// `manifest`, if given, receives the manifest text for display.
// Throws Error(Errc::limit) when the tree exceeds `limits`.
Bytes body_hash(const std::vector<GMimeObject*>& entities, const WalkLimits& limits = {},
                std::string* manifest = nullptr);

// The digest of one leaf's decoded, canonical content.
Bytes leaf_digest(GMimeObject* leaf);

}  // namespace bounceseal
