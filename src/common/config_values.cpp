// config_values.cpp - reading and writing values of each configuration type
// (boolean, size, duration, list, ...), with range checks and the wording
// of "expected ..." in problem lines.
//
// Works on one value at a time; it does not know files, lines or sections.
#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "bounceseal/common/log.hpp"
#include "bounceseal/encoding.hpp"
#include "bounceseal/text.hpp"
#include "config_internal.hpp"

namespace bounceseal::config_detail {
namespace {

struct Suffix {
    char letter;
    std::int64_t factor;
};
constexpr Suffix kSizeSuffixes[] = {{'g', 1024 * 1024 * 1024}, {'m', 1024 * 1024}, {'k', 1024}};
constexpr Suffix kDurationSuffixes[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};

// A tab is white space in a list; every other control character in a value
// can only be a mistake or an attack.
bool has_control_character(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return (byte < 0x20 && c != '\t') || byte == 0x7f;
    });
}

// Digits with at most one suffix letter from `suffixes`; nullopt if the
// text is not of that form or overflows.
template <std::size_t N>
std::optional<std::int64_t> parse_scaled(std::string_view text, const Suffix (&suffixes)[N]) {
    std::int64_t factor = 1;
    if (!text.empty()) {
        const char last = ascii_lower(text.back());
        for (const Suffix& s : suffixes) {
            if (s.letter == last) {
                factor = s.factor;
                text.remove_suffix(1);
                break;
            }
        }
    }
    std::int64_t number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (text.empty() || text.front() == '-' || ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    if (number > std::numeric_limits<std::int64_t>::max() / factor) return std::nullopt;
    return number * factor;
}

template <std::size_t N>
std::string format_scaled(std::int64_t number, const Suffix (&suffixes)[N]) {
    if (number == 0) return "0";
    for (const Suffix& s : suffixes) {
        if (number % s.factor == 0) {
            return fmt::format("{}{}", number / s.factor, s.letter);
        }
    }
    return std::to_string(number);
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = std::min(text.find_first_of(", \t", start), text.size());
        if (end > start) items.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return items;
}

Parsed problem(std::string text) { return Parsed{{}, {std::move(text)}, {}}; }

Parsed parse_number(const ConfigKey& key, std::string_view text, std::optional<std::int64_t> number,
                    std::string_view what) {
    if (!number) return problem(fmt::format("{} is not {}; expected {}", quoted(text), what, expectation(key)));
    if (*number < key.min || *number > key.max) {
        return problem(fmt::format("{} is out of range; expected {}", quoted(text), expectation(key)));
    }
    return Parsed{*number, {}, {}};
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return number;
}

// Eleven octal digits cannot overflow; the key's range does the rest.
std::optional<std::int64_t> parse_octal(std::string_view text) {
    if (text.empty() || text.size() > 11) return std::nullopt;
    std::int64_t number = 0;
    for (char c : text) {
        if (c < '0' || c > '7') return std::nullopt;
        number = number * 8 + (c - '0');
    }
    return number;
}

Parsed parse_boolean(const ConfigKey& key, std::string_view text) {
    for (std::string_view yes : {"true", "yes", "1"}) {
        if (iequals(text, yes)) return Parsed{true, {}, {}};
    }
    for (std::string_view no : {"false", "no", "0"}) {
        if (iequals(text, no)) return Parsed{false, {}, {}};
    }
    return problem(fmt::format("{} is not a boolean; expected {}", quoted(text), expectation(key)));
}

Parsed parse_choice(const ConfigKey& key, std::string_view text) {
    for (std::string_view word : key.choices) {
        if (iequals(text, word)) return Parsed{std::string(word), {}, {}};
    }
    for (const ChoiceAlias& alias : key.aliases) {
        if (iequals(text, alias.word)) {
            return Parsed{std::string(alias.choice), {},
                          {fmt::format("{} is the old name of {}; {}", quoted(text), alias.choice, alias.advice)}};
        }
    }
    return problem(fmt::format("{} is not allowed; expected {}", quoted(text), expectation(key)));
}

Parsed parse_list(const KeyRule& rule, std::string_view text) {
    std::vector<std::string> items = split_list(text);
    Parsed parsed;
    if (rule.validate) {
        for (const std::string& item : items) {
            std::string why = rule.validate(item);
            if (!why.empty()) parsed.problems.push_back(std::move(why));
        }
    }
    parsed.value = std::move(items);
    return parsed;
}

// An empty value is how a key whose default is empty stays unset, and an
// empty list is a list like any other ("InternalHosts =": no client).
Parsed parse_empty(const KeyRule& rule) {
    const ConfigKey& key = rule.key;
    if (key.type == ValueType::list) return Parsed{std::vector<std::string>{}, {}, {}};
    if (key.default_text.empty()) return Parsed{std::string(), {}, {}};
    if (rule.validate && key.type == ValueType::string) return problem(rule.validate(""));
    return problem(fmt::format("empty value; expected {}", expectation(key)));
}

}  // namespace

Parsed parse_value(const KeyRule& rule, std::string_view text) {
    const ConfigKey& key = rule.key;
    if (has_control_character(text)) {
        return problem(fmt::format("{} contains a control character; expected {}", quoted(text),
                                   expectation(key)));
    }
    if (text.empty()) return parse_empty(rule);
    switch (key.type) {
    case ValueType::string: {
        std::string why = rule.validate ? rule.validate(text) : std::string();
        if (!why.empty()) return problem(std::move(why));
        return Parsed{std::string(text), {}, {}};
    }
    case ValueType::path:
        if (text.front() != '/') {
            return problem(fmt::format("{} is not an absolute path; expected {}", quoted(text), expectation(key)));
        }
        return Parsed{std::string(text), {}, {}};
    case ValueType::boolean: return parse_boolean(key, text);
    case ValueType::integer: return parse_number(key, text, parse_integer(text), "a whole number");
    case ValueType::size: return parse_number(key, text, parse_scaled(text, kSizeSuffixes), "a size");
    case ValueType::duration:
        return parse_number(key, text, parse_scaled(text, kDurationSuffixes), "a duration");
    case ValueType::mode: return parse_number(key, text, parse_octal(text), "an octal mode");
    case ValueType::list: return parse_list(rule, text);
    case ValueType::choice: return parse_choice(key, text);
    }
    return problem("unknown value type");
}

std::string expectation(const ConfigKey& key) {
    switch (key.type) {
    case ValueType::string: return "text";
    case ValueType::path: return "a path starting with /";
    case ValueType::boolean: return "true, false, yes, no, 1 or 0";
    case ValueType::integer: return fmt::format("a whole number from {} to {}", key.min, key.max);
    case ValueType::size:
        return fmt::format("a number of bytes with an optional k, m or g suffix, from {} to {}",
                           format_size(static_cast<std::uint64_t>(key.min)),
                           format_size(static_cast<std::uint64_t>(key.max)));
    case ValueType::duration:
        return fmt::format("a number of seconds with an optional s, m, h or d suffix, from {} to {}",
                           format_duration(key.min), format_duration(key.max));
    case ValueType::list: return "items separated by commas or white space";
    case ValueType::choice: return fmt::format("one of {}", fmt::join(key.choices, ", "));
    case ValueType::mode: return fmt::format("octal permission bits such as 0660, at most {:04o}", key.max);
    }
    return "a value";
}

std::string format_size(std::uint64_t bytes) {
    return format_scaled(static_cast<std::int64_t>(bytes), kSizeSuffixes);
}

// A duration always gets a suffix ("30s"), so nobody wonders about the unit.
std::string format_duration(std::int64_t seconds) { return format_scaled(seconds, kDurationSuffixes); }

std::string quoted(std::string_view value) { return fmt::format("\"{}\"", log_safe(value, 80)); }

std::string file_value(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\') out += "\\\\";
        else out += c;
    }
    if (!out.empty() && (out.front() == ' ' || out.front() == '\t')) out.replace(0, 1, "\\s");
    return out;
}

}  // namespace bounceseal::config_detail
