// text.hpp - the small rules of text that every layer shares: comparison
// that ignores the case of ASCII letters, white space at the ends of a
// value, and the mbox "From " line in front of a message. One definition
// each, so that the configuration parser, the seal record, the bounce
// module and the verifier cannot drift apart.
//
// Bytes only: no locale, no Unicode, no allocation. Lower-casing itself is
// ascii_lower() of encoding.hpp. Nothing here knows MIME or header syntax.
#pragma once

#include <string_view>

namespace bounceseal {

// Equal but for the case of ASCII letters ("Content-Type", "content-type");
// every other byte must match exactly.
bool iequals(std::string_view a, std::string_view b) noexcept;

// `s` ends with `suffix`, but for the case of ASCII letters (".EML").
bool ends_with_ci(std::string_view s, std::string_view suffix) noexcept;

// `s` without the spaces, tabs, CRs and LFs at either end.
std::string_view trim(std::string_view s) noexcept;

// The mbox "From " line (RFC 4155) that `text` starts with, its line end
// included, or all of `text` when it has no line end; empty when `text`
// does not start with "From ". The message follows it: it is no header.
std::string_view mbox_from_line(std::string_view text) noexcept;

}  // namespace bounceseal
