// key_id.hpp - the syntax of a key id (docs/FORMAT.md 2.1 and 2.3): the
// signer domain `d` and the selector `s` that name a sealing key.
//
// One rule for every place that takes such a name: the record and signature
// part parsers, the keyring, the key generator, the milter's signer, and the
// configuration check of Domain, Selector and SenderDomains, which reports
// the same words as kDomainSyntax and kSelectorSyntax. It checks form only:
// whether the domain exists or a key of that selector does is for the
// caller to find out. Header-only: the rules are small constexpr
// functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace bounceseal {

inline constexpr std::size_t kMaxDomainLen = 253;
inline constexpr std::size_t kMaxSelectorLen = 63;

// What valid_domain() and valid_selector() accept, in words, for messages.
inline constexpr std::string_view kDomainSyntax =
    "1 to 253 letters, digits, dots and hyphens, not starting with a dot or a hyphen";
inline constexpr std::string_view kSelectorSyntax =
    "1 to 63 letters, digits, dots, underscores and hyphens, not starting with a dot";

// True if every character of `s` is an ASCII letter or digit or one of
// `extra`: the alphabet of key ids, and of the configuration's user and
// group names.
constexpr bool ascii_name_chars(std::string_view s, std::string_view extra) noexcept {
    for (char c : s) {
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && extra.find(c) == std::string_view::npos) return false;
    }
    return true;
}

// A signer domain: 1-253 of [A-Za-z0-9.-], not starting with '.' or '-'.
constexpr bool valid_domain(std::string_view d) noexcept {
    return !d.empty() && d.size() <= kMaxDomainLen && d.front() != '.' && d.front() != '-' &&
           ascii_name_chars(d, ".-");
}

// A selector: 1-63 of [A-Za-z0-9._-], not starting with '.' (it becomes a
// file name in the keyring: SELECTOR.pub).
constexpr bool valid_selector(std::string_view s) noexcept {
    return !s.empty() && s.size() <= kMaxSelectorLen && s.front() != '.' && ascii_name_chars(s, "._-");
}

}  // namespace bounceseal
