// config_docs.cpp - the texts made from the key table: the commented example
// configuration file, the key list of bounceseal.conf(5), and the dump of
// effective settings that -n -v prints.
//
// Only formatting; the facts all come from config_keys(). Nothing here
// writes files: the build and the front ends decide where the texts go.
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "bounceseal/common/config.hpp"
#include "config_internal.hpp"

namespace bounceseal {
namespace {

constexpr std::size_t kCommentWidth = 76;

// `text` cut at spaces into lines of at most `width` characters (a longer
// word gets a line of its own).
std::vector<std::string> wrap(std::string_view text, std::size_t width) {
    std::vector<std::string> lines;
    std::string line;
    while (!text.empty()) {
        const std::size_t end = std::min(text.find(' '), text.size());
        const std::string_view word = text.substr(0, end);
        text.remove_prefix(std::min(end + 1, text.size()));
        if (word.empty()) continue;
        if (!line.empty() && line.size() + 1 + word.size() > width) {
            lines.push_back(std::move(line));
            line.clear();
        }
        if (!line.empty()) line += ' ';
        line += word;
    }
    if (!line.empty()) lines.push_back(std::move(line));
    return lines;
}

// The sections in table order.
std::vector<std::string_view> sections() {
    std::vector<std::string_view> out;
    for (const ConfigKey& k : config_keys()) {
        if (out.empty() || out.back() != k.section) out.push_back(k.section);
    }
    return out;
}

Program section_program(std::string_view section) {
    for (const ConfigKey& k : config_keys()) {
        if (k.section == section) return k.program;
    }
    return Program::both;
}

// Text for troff: backslashes and hyphens made literal (so paths and
// options copy correctly from the rendered page), and a leading '.' or '\''
// kept from being read as a request.
std::string troff(std::string_view text) {
    std::string out;
    if (!text.empty() && (text.front() == '.' || text.front() == '\'')) out += "\\&";
    for (char c : text) {
        if (c == '\\') out += "\\e";
        else if (c == '-') out += "\\-";
        else out += c;
    }
    return out;
}

// The description, and the old names of choices that are still read.
std::string full_description(const ConfigKey& key) {
    if (key.aliases.empty()) return std::string(key.description);
    std::vector<std::string> names;
    for (const ChoiceAlias& a : key.aliases) names.push_back(fmt::format("{} (read as {})", a.word, a.choice));
    return fmt::format("{} Old names, still read with a warning: {}.", key.description, fmt::join(names, ", "));
}

std::string key_summary(const ConfigKey& key) {
    return key.required ? fmt::format("{}; required", describe_type(key)) : describe_type(key);
}

}  // namespace

std::string describe_type(const ConfigKey& key) {
    using config_detail::format_duration;
    using config_detail::format_size;
    switch (key.type) {
    case ValueType::string: return "string";
    case ValueType::path: return "path";
    case ValueType::boolean: return "boolean";
    case ValueType::integer: return fmt::format("integer, {} to {}", key.min, key.max);
    case ValueType::size:
        return fmt::format("size, {} to {}", format_size(static_cast<std::uint64_t>(key.min)),
                           format_size(static_cast<std::uint64_t>(key.max)));
    case ValueType::duration:
        return fmt::format("duration, {} to {}", format_duration(key.min), format_duration(key.max));
    case ValueType::list: return "list";
    case ValueType::choice: return fmt::format("one of {}", fmt::join(key.choices, ", "));
    case ValueType::mode: return fmt::format("octal mode, at most {:04o}", key.max);
    }
    return "value";
}

std::string render_example_config() {
    std::string out =
        "# bounceseal.conf - settings of bounceseal-milter and bounceseal-verify.\n"
        "#\n"
        "# Every key is shown commented out, set to its default; remove the \"#\" to\n"
        "# change one. A value cannot be followed by a comment on the same line.\n"
        "# bounceseal.conf(5) describes the file in full.\n";
    for (std::string_view section : sections()) {
        out += fmt::format("\n[{}]\n# Read by {}.\n", section, program_name(section_program(section)));
        for (const ConfigKey& key : config_keys()) {
            if (key.section != section) continue;
            out += '\n';
            const std::string heading = fmt::format("{} ({})", key.name, key_summary(key));
            for (const std::string& line : wrap(heading, kCommentWidth - 2)) {
                out += fmt::format("# {}\n", line);
            }
            for (const std::string& line : wrap(full_description(key), kCommentWidth - 2)) {
                out += fmt::format("# {}\n", line);
            }
            const std::string value = config_detail::file_value(key.default_text);
            out += value.empty() ? fmt::format("#{} =\n", key.name)
                                 : fmt::format("#{} = {}\n", key.name, value);
        }
    }
    return out;
}

std::string render_man_fragment() {
    std::string out = ".\\\" Generated from the configuration key table; edit that, not this.\n";
    for (std::string_view section : sections()) {
        out += fmt::format(".SS [{}]\nRead by \\fB{}\\fR.\n", section,
                           troff(program_name(section_program(section))));
        for (const ConfigKey& key : config_keys()) {
            if (key.section != section) continue;
            out += fmt::format(".TP\n.BR {} \" ({})\"\n", key.name, troff(key_summary(key)));
            if (!key.default_text.empty()) {
                out += fmt::format("Default: \\fB{}\\fR.\n", troff(key.default_text));
            } else {
                out += key.required ? "No default.\n" : "Default: empty.\n";
            }
            out += fmt::format("Read by \\fB{}\\fR.\n{}\n", troff(program_name(key.program)),
                               troff(full_description(key)));
        }
    }
    return out;
}

std::string render_settings(const Settings& settings, Program program) {
    std::string out;
    for (std::string_view section : sections()) {
        const Program reader = section_program(section);
        if (program != Program::both && reader != program) continue;
        if (!out.empty()) out += '\n';
        out += fmt::format("[{}]\n", section);
        for (const ConfigKey& key : config_keys()) {
            if (key.section != section) continue;
            const std::string value = config_detail::file_value(setting_text(settings, key));
            out += value.empty() ? fmt::format("{} =\n", key.name) : fmt::format("{} = {}\n", key.name, value);
        }
    }
    return out;
}

}  // namespace bounceseal
