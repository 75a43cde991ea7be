// address.cpp - the envelope address rules of address.hpp: string work
// only; it neither logs nor throws (but std::bad_alloc).
#include "bounceseal/address.hpp"

#include "bounceseal/encoding.hpp"
#include "bounceseal/text.hpp"

namespace bounceseal {

std::string bare_address(std::string_view path) {
    std::string_view a = trim(path);
    if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = trim(a.substr(1, a.size() - 2));
    // RFC 5321 4.1.2: Path = "<" [ A-d-l ":" ] Mailbox ">", each At-domain
    // of the A-d-l starting with '@', which no mailbox does. Without the
    // colon it is no route, and the text is kept as it is.
    if (a.starts_with('@')) {
        const std::size_t colon = a.find(':');
        if (colon != std::string_view::npos) a.remove_prefix(colon + 1);
    }
    return std::string(a);
}

bool is_null_address(std::string_view path) { return bare_address(path).empty(); }

std::string normalize_address(std::string_view path) { return ascii_lower(bare_address(path)); }

std::string comparable_domain(std::string_view domain) {
    while (domain.ends_with('.')) domain.remove_suffix(1);
    return ascii_lower(domain);
}

std::string address_domain(std::string_view address) {
    const std::size_t at = address.rfind('@');
    if (at == std::string_view::npos) return {};
    return comparable_domain(address.substr(at + 1));
}

}  // namespace bounceseal
