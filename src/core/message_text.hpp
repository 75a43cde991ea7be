// message_text.hpp - the line ends, the mbox framing and the header
// fields of a message held as text: the rules that the sealer (seal.cpp,
// seal_shape.cpp), the GMime adapter (mime.cpp) and the splitting of a
// message into header fields and body (message_text.cpp) share, so that
// they cannot drift apart. Not installed; what the front ends use is in
// seal.hpp and mime.hpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bounceseal/seal.hpp"

namespace bounceseal {

// The line end `text` uses, judged by its first line: "\r\n" when that
// line ends in CR LF, "\n" when it ends in a bare LF, and `none` when
// `text` has no line end at all.
std::string line_end_of(std::string_view text, std::string_view none);

// A header field value as HeaderField holds it (seal.hpp: folds are bare
// LF) written with `eol` for every fold. A CR before such a LF is a byte
// of the value, not part of the fold (a line that ended in CR CR LF leaves
// one), and is kept: a field moved into the wrapped part keeps every byte
// it had, as the fields apply_seal_plan() writes back do.
std::string with_eol(std::string_view value, std::string_view eol);

// The first header field called `name` (ASCII case ignored), or nullptr.
const HeaderField* first_field(const std::vector<HeaderField>& headers, std::string_view name);

}  // namespace bounceseal
