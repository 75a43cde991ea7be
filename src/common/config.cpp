// config.cpp - loading the configuration: reading the file, parsing it with
// GLib's GKeyFile, applying command-line overrides, checking required keys,
// and collecting every problem with the file and line it is on.
//
// GKeyFile does the parsing but reports no line numbers, so the file text is
// also scanned line by line, only to find where a group or key was written.
// What keys exist and what values mean is the table's business
// (config_table.cpp, config_values.cpp).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <glib.h>

#include "bounceseal/common/config.hpp"
#include "bounceseal/common/log.hpp"
#include "bounceseal/text.hpp"
#include "config_internal.hpp"

namespace bounceseal {
namespace {

using config_detail::find_rule;
using config_detail::KeyRule;
using config_detail::Parsed;
using config_detail::parse_value;

// A configuration file is a few kilobytes; anything far larger is the wrong
// file, and reading it whole would only waste memory.
constexpr std::size_t kMaxFileSize = 1024 * 1024;

struct GFreeDeleter {
    void operator()(void* p) const { g_free(p); }
};
struct StrvDeleter {
    void operator()(gchar** v) const { g_strfreev(v); }
};
struct KeyFileDeleter {
    void operator()(GKeyFile* k) const { g_key_file_unref(k); }
};
struct ErrorDeleter {
    void operator()(GError* e) const { g_error_free(e); }
};
using ErrorPtr = std::unique_ptr<GError, ErrorDeleter>;

// Where each group and key of the file was written, found with the same
// line rules GKeyFile follows (leading white space ignored, '#' comments,
// "[group]", "key = value" with the key's trailing white space dropped).
struct KeyLine {
    std::string group;
    std::string key;
    std::size_t line;
};

struct LineIndex {
    std::vector<std::pair<std::string, std::size_t>> groups;
    std::vector<KeyLine> keys;
    std::size_t first_bad_line = 0;  // 0: every line looked fine

    std::size_t group_line(std::string_view group) const {
        for (const auto& [name, line] : groups) {
            if (name == group) return line;
        }
        return 0;
    }

    // GKeyFile keeps the last of repeated keys, so that is where its value
    // came from.
    std::size_t key_line(std::string_view group, std::string_view key) const {
        std::size_t found = 0;
        for (const KeyLine& k : keys) {
            if (k.group == group && k.key == key) found = k.line;
        }
        return found;
    }
};

LineIndex index_lines(std::string_view text) {
    LineIndex index;
    std::optional<std::string> group;
    std::size_t number = 0;
    while (!text.empty()) {
        const std::size_t end = std::min(text.find('\n'), text.size());
        std::string_view line = text.substr(0, end);
        text.remove_prefix(std::min(end + 1, text.size()));
        ++number;
        while (!line.empty() && g_ascii_isspace(line.front())) line.remove_prefix(1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || line.front() == '#') continue;

        bool good = false;
        if (line.front() == '[') {
            const std::size_t close = line.find(']');
            const std::string_view name = close == std::string_view::npos ? "" : line.substr(1, close - 1);
            if (!name.empty() && name.find('[') == std::string_view::npos &&
                trim(line.substr(close + 1)).empty()) {
                group = std::string(name);
                index.groups.emplace_back(*group, number);
                good = true;
            }
        } else if (const std::size_t eq = line.find('='); eq != 0 && eq != std::string_view::npos && group) {
            index.keys.push_back({*group, std::string(trim(line.substr(0, eq))), number});
            good = true;
        }
        if (!good && index.first_bad_line == 0) index.first_bad_line = number;
    }
    return index;
}

struct Problem {
    std::size_t line;
    std::string text;
};

// Problem lines so far, and the keys whose values they reject, so that a
// key already reported as bad is not reported again as unset.
struct Report {
    std::vector<std::string> lines;
    std::vector<std::string> warnings;  // in file order, like `lines`
    std::set<std::pair<std::string, std::string>> bad_keys;
    bool file_unusable = false;  // unread or unparsed: any key may be set there
};

// "FILE:LINE", or just "FILE" when the line is not known.
std::string location(std::string_view file, std::size_t line) {
    return line ? fmt::format("{}:{}", file, line) : std::string(file);
}

bool is_section(std::string_view group) {
    const auto& keys = config_keys();
    return std::any_of(keys.begin(), keys.end(), [&](const ConfigKey& k) { return k.section == group; });
}

// Advice for a key that is not in its section: usually a case slip or the
// other program's section.
std::string unknown_key_hint(std::string_view group, std::string_view key) {
    for (const ConfigKey& k : config_keys()) {
        if (k.section == group && iequals(k.name, key)) {
            return fmt::format("did you mean {}?", k.name);
        }
    }
    for (const ConfigKey& k : config_keys()) {
        if (iequals(k.name, key)) return fmt::format("{} belongs in [{}]", k.name, k.section);
    }
    return "expected one of the keys listed in bounceseal.conf(5)";
}

std::string unknown_section_hint(std::string_view group) {
    for (std::string_view known : {"milter", "verify"}) {
        if (iequals(group, known)) return fmt::format("did you mean [{}]?", known);
    }
    return "expected [milter] or [verify]";
}

// Reads one key's value from GKeyFile into `settings`, or says why not.
void read_key(GKeyFile* file, const KeyRule& rule, Settings& settings, std::size_t line,
              std::string_view name, std::vector<Problem>& found, Report& report) {
    const std::string group(rule.key.section);
    const std::string key(rule.key.name);
    GError* raw_error = nullptr;
    const std::unique_ptr<gchar, GFreeDeleter> raw(
        g_key_file_get_string(file, group.c_str(), key.c_str(), &raw_error));
    const ErrorPtr error(raw_error);
    const std::string where = location(name, line);
    if (error) {
        found.push_back({line, fmt::format("{}: {}: {}; expected UTF-8 text whose only backslash "
                                           "escapes are \\s, \\t, \\n, \\r and \\\\",
                                           where, key, log_safe(error->message))});
        report.bad_keys.emplace(group, key);
        return;
    }
    Parsed parsed = parse_value(rule, trim(raw.get()));
    for (const std::string& why : parsed.problems) {
        found.push_back({line, fmt::format("{}: {}: {}", where, key, why)});
    }
    for (const std::string& why : parsed.warnings) {
        report.warnings.push_back(fmt::format("{}: {}: {}", where, key, why));
    }
    if (parsed.problems.empty()) {
        rule.assign(rule.key, config_detail::section_settings(settings, group), parsed.value);
    } else {
        report.bad_keys.emplace(group, key);
    }
}

// What GKeyFile accepts silently but a reader of the file would be misled
// by: a key set twice (only the last counts) and a translated key
// (Key[de]), which GKeyFile leaves out of the key list.
void check_repeats(const LineIndex& index, std::string_view name, std::vector<Problem>& found) {
    std::map<std::pair<std::string_view, std::string_view>, std::size_t> first_lines;
    for (const KeyLine& k : index.keys) {
        if (!is_section(k.group)) continue;  // reported as a whole
        const std::string where = location(name, k.line);
        if (k.key.find('[') != std::string::npos) {
            found.push_back({k.line, fmt::format("{}: {}: unknown key in [{}]; translated keys "
                                                 "are not used",
                                                 where, log_safe(k.key), k.group)});
            continue;
        }
        const auto [first, inserted] = first_lines.try_emplace({k.group, k.key}, k.line);
        if (!inserted) {
            found.push_back({k.line, fmt::format("{}: {}: set again (first on line {}), and only "
                                                 "the last value would count; expected each key "
                                                 "once per file",
                                                 where, log_safe(k.key), first->second)});
        }
    }
}

void read_group(GKeyFile* file, const char* group, const LineIndex& index, std::string_view name,
                Settings& settings, std::vector<Problem>& found, Report& report) {
    gsize count = 0;
    const std::unique_ptr<gchar*, StrvDeleter> keys(g_key_file_get_keys(file, group, &count, nullptr));
    std::set<std::string_view> done;  // a repeated key is listed once per occurrence
    for (gsize i = 0; keys && i < count; ++i) {
        const std::string_view key = keys.get()[i];
        if (!done.insert(key).second) continue;
        const std::size_t line = index.key_line(group, key);
        if (const KeyRule* rule = find_rule(group, key)) {
            read_key(file, *rule, settings, line, name, found, report);
        } else {
            found.push_back({line, fmt::format("{}: {}: unknown key in [{}]; {}", location(name, line),
                                               log_safe(key), group, unknown_key_hint(group, key))});
        }
    }
}

// Parses configuration text into `settings` (which holds the defaults),
// reporting each problem, in file order.
void read_text(std::string_view text, std::string_view name, Settings& settings, Report& report) {
    const LineIndex index = index_lines(text);
    const std::unique_ptr<GKeyFile, KeyFileDeleter> file(g_key_file_new());
    GError* raw_error = nullptr;
    if (!g_key_file_load_from_data(file.get(), text.data(), text.size(), G_KEY_FILE_NONE, &raw_error)) {
        const ErrorPtr error(raw_error);
        report.lines.push_back(fmt::format("{}: {}; expected [section] lines, Key = value lines, "
                                           "blank lines and lines starting with #",
                                           location(name, index.first_bad_line),
                                           log_safe(error ? error->message : "cannot be parsed")));
        report.file_unusable = true;
        return;
    }
    std::vector<Problem> found;
    gsize count = 0;
    const std::unique_ptr<gchar*, StrvDeleter> groups(g_key_file_get_groups(file.get(), &count));
    for (gsize i = 0; groups && i < count; ++i) {
        const char* group = groups.get()[i];
        if (is_section(group)) {
            read_group(file.get(), group, index, name, settings, found, report);
        } else {
            const std::size_t line = index.group_line(group);
            found.push_back({line, fmt::format("{}: unknown section [{}]; {}", location(name, line),
                                               log_safe(group), unknown_section_hint(group))});
        }
    }
    check_repeats(index, name, found);
    std::stable_sort(found.begin(), found.end(),
                     [](const Problem& a, const Problem& b) { return a.line < b.line; });
    for (Problem& p : found) report.lines.push_back(std::move(p.text));
}

// The file's text, or nullopt with a problem line (none for a missing file
// nobody asked for by name).
std::optional<std::string> read_file(const std::filesystem::path& path, bool must_exist,
                                     Report& report) {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> stream(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!stream) {
        const int error = errno;
        if (error != ENOENT || must_exist) {
            report.lines.push_back(fmt::format("{}: cannot read the configuration file: {}",
                                               path.string(), std::generic_category().message(error)));
            report.file_unusable = true;
        }
        return std::nullopt;
    }
    std::string text(kMaxFileSize + 1, '\0');
    text.resize(std::fread(text.data(), 1, text.size(), stream.get()));
    if (std::ferror(stream.get())) {
        report.lines.push_back(fmt::format("{}: cannot read the configuration file: {}", path.string(),
                                           std::generic_category().message(errno)));
        report.file_unusable = true;
        return std::nullopt;
    }
    if (text.size() > kMaxFileSize) {
        report.lines.push_back(fmt::format("{}: larger than {} bytes; expected a configuration file",
                                           path.string(), kMaxFileSize));
        report.file_unusable = true;
        return std::nullopt;
    }
    return text;
}

void apply_overrides_to(Settings& settings, std::span<const Override> overrides, Report& report) {
    for (const Override& o : overrides) {
        const KeyRule* rule = find_rule(o.section, o.key);
        if (!rule) {
            report.lines.push_back(fmt::format("{}: unknown key [{}] {}", o.origin, log_safe(o.section),
                                               log_safe(o.key)));
            continue;
        }
        std::string value(trim(o.value));
        // The file's paths must be absolute, but on the command line a path
        // relative to where the command runs is what people mean.
        if (rule->key.type == ValueType::path && !value.empty() && value.front() != '/') {
            std::error_code ec;
            const std::filesystem::path absolute = std::filesystem::absolute(value, ec);
            if (!ec) value = absolute.lexically_normal().string();
        }
        Parsed parsed = parse_value(*rule, value);
        for (const std::string& why : parsed.problems) {
            report.lines.push_back(fmt::format("{}: {}: {}", o.origin, o.key, why));
        }
        for (const std::string& why : parsed.warnings) {
            report.warnings.push_back(fmt::format("{}: {}: {}", o.origin, o.key, why));
        }
        if (parsed.problems.empty()) {
            rule->assign(rule->key, config_detail::section_settings(settings, o.section), parsed.value);
        } else {
            report.bad_keys.emplace(o.section, o.key);
        }
    }
}

void check_required(const Settings& settings, Program program, std::string_view where,
                    Report& report) {
    for (const ConfigKey& key : config_keys()) {
        if (!key.required || (program != Program::both && key.program != program)) continue;
        if (report.bad_keys.count({std::string(key.section), std::string(key.name)})) continue;
        if (setting_text(settings, key).empty()) {
            report.lines.push_back(fmt::format("{}: {}: not set, and {} cannot run without it; expected "
                                           "{} in [{}] or on the command line",
                                           where, key.name, program_name(key.program), key.name,
                                           key.section));
        }
    }
}

std::string join_lines(const std::vector<std::string>& lines) {
    return fmt::format("{}", fmt::join(lines, "\n"));
}

void hand_over_warnings(Report& report, std::vector<std::string>* warnings) {
    if (warnings == nullptr) return;
    for (std::string& w : report.warnings) warnings->push_back(std::move(w));
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems)
    : Error(Errc::config, join_lines(problems)), problems_(std::move(problems)) {}

Settings load_settings(const LoadOptions& options) {
    Settings settings;
    Report report;
    if (!options.file.empty()) {
        if (const auto text = read_file(options.file, options.file_must_exist, report)) {
            read_text(*text, options.file.string(), settings, report);
        }
    }
    apply_overrides_to(settings, options.overrides, report);
    // Keys missing from a file that could not be read may well be in it.
    if (options.require_for && !report.file_unusable) {
        const std::string where = options.file.empty() ? "configuration" : options.file.string();
        check_required(settings, *options.require_for, where, report);
    }
    if (!report.lines.empty()) throw ConfigError(std::move(report.lines));
    hand_over_warnings(report, options.warnings);
    return settings;
}

Settings load_settings(const std::filesystem::path& file) {
    LoadOptions options;
    options.file = file;
    options.file_must_exist = true;
    return load_settings(options);
}

Settings parse_settings(std::string_view text, std::string_view name, std::vector<std::string>* warnings) {
    Settings settings;
    Report report;
    read_text(text, name, settings, report);
    if (!report.lines.empty()) throw ConfigError(std::move(report.lines));
    hand_over_warnings(report, warnings);
    return settings;
}

void apply_overrides(Settings& settings, std::span<const Override> overrides, std::vector<std::string>* warnings) {
    Settings changed = settings;
    Report report;
    apply_overrides_to(changed, overrides, report);
    if (!report.lines.empty()) throw ConfigError(std::move(report.lines));
    hand_over_warnings(report, warnings);
    settings = std::move(changed);
}

}  // namespace bounceseal
