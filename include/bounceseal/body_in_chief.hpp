// body_in_chief.hpp - which top-level entities of a message the body hash
// covers (docs/FORMAT.md 4.1 and 5.3): every child of the top-level
// multipart except the well-formed seal part pairs. A pair is a record part
// that parses strictly, immediately followed by a signature part that
// parses strictly and names the same d and s. Anything else, a part that
// merely starts with an intro line included, is body content.
//
// The sealer (over the parts it appends its pair after) and the verifier
// (over the parts of the copy it judges) both call body_in_chief(), so they
// cannot disagree about what a seal covers. It does not check signatures
// or hashes: verify.hpp does.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "bounceseal/record.hpp"

typedef struct _GMimeObject GMimeObject;

namespace bounceseal {

// What a part starts like, judged by the first line of its decoded
// content (an intro line of record.hpp), whatever its type says (FORMAT.md
// 5.3): the intro lines are what no bounce generator rewrites. A part that
// starts like a seal part is one only in a well-formed pair.
enum class SealPartKind { none, record, signature };
SealPartKind seal_part_kind(GMimeObject* part);

struct SealPair {
    std::size_t record_index = 0;  // of the record part among the top-level children, from 0
    Record record;
    std::string record_text;       // the record part's text, CR removed
    SignaturePart signature;
};

struct TopLevel {
    std::vector<GMimeObject*> body;  // the body in chief, in order
    std::vector<SealPair> pairs;     // the well-formed seal part pairs, in order
    // Top-level parts that start with an intro line but belong to no
    // well-formed pair ("part 3: ..."): body content, reported.
    std::vector<std::string> lookalikes;
};

// `top` is a message's top-level entity. Not a multipart: the body in chief
// is `top` itself and there are no seal parts.
TopLevel body_in_chief(GMimeObject* top);

}  // namespace bounceseal
