// text.cpp - case-insensitive comparison, trimming and the mbox "From "
// line (see text.hpp). No allocation, no locale.
#include "bounceseal/text.hpp"

#include <algorithm>

#include "bounceseal/encoding.hpp"

namespace bounceseal {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

bool ends_with_ci(std::string_view s, std::string_view suffix) noexcept {
    return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::string_view mbox_from_line(std::string_view text) noexcept {
    if (!text.starts_with("From ")) return {};
    const std::size_t nl = text.find('\n');
    return nl == std::string_view::npos ? text : text.substr(0, nl + 1);
}

}  // namespace bounceseal
