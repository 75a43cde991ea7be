// text.hpp - the small rules of text that every layer shares: comparison
// that ignores the case of ASCII letters, and white space at the ends of a
// value. One definition each, so that the configuration parser, the seal
// record, the bounce classifier and the verifier cannot drift apart.
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

}  // namespace bounceseal
