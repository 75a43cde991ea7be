// config_internal.hpp - what the configuration sources share and the public
// header does not show: the table rows with their bindings to struct fields,
// and the value parser and printer.
//
// Not installed and not for the front ends; they use config.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bounceseal/common/config.hpp"

namespace bounceseal::config_detail {

// A parsed value before it is stored: text for string, path and choice
// (the canonical word); a number for integer, size, duration and mode.
using Value = std::variant<std::string, bool, std::int64_t, std::vector<std::string>>;

// Checks one string value or list item beyond its type; returns what is
// wrong with it and what is expected, or an empty string if it is fine.
using Validator = std::string (*)(std::string_view item);

// One row of the table: the documented key plus how to reach its field.
// `section_settings` is the MilterSettings or VerifySettings the key's
// section stands for (see section_settings()).
struct KeyRule {
    ConfigKey key;
    void (*assign)(const ConfigKey& key, void* section_settings, const Value& value);
    std::string (*render)(const ConfigKey& key, const void* section_settings);
    Validator validate = nullptr;
};

// The table, [milter] first.
const std::vector<KeyRule>& key_rules();
const KeyRule* find_rule(std::string_view section, std::string_view name);

void* section_settings(Settings& settings, std::string_view section);
const void* section_settings(const Settings& settings, std::string_view section);

struct Parsed {
    Value value;
    // What is wrong, one entry per bad list item; empty if `value` is good.
    std::vector<std::string> problems;
    // What should be changed although `value` is good (an old name).
    std::vector<std::string> warnings;
};

// Parses `text` (already stripped of surrounding white space) as `rule`'s
// type, checks range and validator. An empty text is accepted only for a
// key whose default is empty ("not set").
Parsed parse_value(const KeyRule& rule, std::string_view text);

// What the key accepts, e.g. "a size from 1k to 16g", for problem lines.
std::string expectation(const ConfigKey& key);

// Number printers in the file's notation, largest exact suffix first.
std::string format_size(std::uint64_t bytes);
std::string format_duration(std::int64_t seconds);

// `value` quoted and made printable, for problem lines.
std::string quoted(std::string_view value);

// The key-specific checks the table attaches to string and list keys
// (config_checks.cpp).
std::string check_socket(std::string_view item);
std::string check_group_name(std::string_view item);
std::string check_user_id(std::string_view item);
std::string check_domain(std::string_view item);
std::string check_selector(std::string_view item);
std::string check_network(std::string_view item);

// Escapes what GKeyFile would otherwise unescape or strip, so that text
// written by render_*() reads back as the same value.
std::string file_value(std::string_view value);

}  // namespace bounceseal::config_detail
