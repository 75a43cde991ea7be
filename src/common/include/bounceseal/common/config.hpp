// config.hpp - the settings of bounceseal-milter and bounceseal-verify.
//
// Both programs share one INI file (default /etc/bounceseal/bounceseal.conf)
// with a [milter] and a [verify] section. One table, config_keys(), describes
// every key: its type, default, reader and meaning. Parsing, validation,
// defaults, the -n output, the example file and the bounceseal.conf(5) key
// list are all derived from it, so they cannot drift apart.
//
// This module only reads and describes settings. It does not act on them:
// opening sockets, switching users or loading keys is the front ends' job,
// and it knows nothing of the milter or procmail interfaces.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bounceseal/error.hpp"
#include "bounceseal/seal_mode.hpp"

namespace bounceseal {

inline constexpr std::string_view kDefaultConfigFile = "/etc/bounceseal/bounceseal.conf";

// The program that reads a key; `both` only filters renderings.
enum class Program { milter, verify, both };
// "bounceseal-milter", "bounceseal-verify", or both names joined by "and".
const char* program_name(Program program) noexcept;

enum class ValueType {
    string,    // free text, checked further by the key's own rule
    path,      // an absolute file or directory name
    boolean,   // true/false/yes/no/1/0, any case
    integer,   // whole number within [min, max]
    size,      // bytes, optional k/m/g suffix (1024-based), within [min, max]
    duration,  // seconds, optional s/m/h/d suffix, within [min, max]
    list,      // items separated by commas and/or white space
    choice,    // one word of `choices`, any case
    mode,      // octal permission bits within [min, max]
};

// An old name of a choice that files may still use: it is read as `choice`,
// with a warning saying `advice`.
struct ChoiceAlias {
    std::string_view word{};
    std::string_view choice{};
    std::string_view advice{};
};

// One key of the configuration file, as documented.
struct ConfigKey {
    std::string_view section{};       // "milter" or "verify", without brackets
    std::string_view name{};          // CamelCase, e.g. "MaxMessageSize"
    ValueType type = ValueType::string;
    std::string_view default_text{};  // as written in the file; empty: not set
    Program program = Program::both;
    bool required = false;            // the program cannot run while it is unset
    std::string_view description{};   // one paragraph of plain text
    std::vector<std::string_view> choices{};  // ValueType::choice only
    std::vector<ChoiceAlias> aliases{};       // ValueType::choice only: old names
    std::int64_t min = 0;             // integer, size, duration, mode
    std::int64_t max = 0;
};

// Every key, [milter] first, in the order the documentation lists them.
const std::vector<ConfigKey>& config_keys();
// The key `name` of `section`, or nullptr. Names are matched exactly.
const ConfigKey* find_config_key(std::string_view section, std::string_view name);
// The type as documentation states it, e.g. "size, 1k to 16g" or
// "one of both, header".
std::string describe_type(const ConfigKey& key);

// The constructors set every field to the default of its key in
// config_keys(), so the table is the only place defaults are written; the
// member initializers below only keep a field the table missed from being
// indeterminate.
struct MilterSettings {
    enum class OnError { accept, tempfail };

    MilterSettings();

    std::string socket;                       // Socket: unix:, local:, inet:, inet6:
    unsigned socket_mode{};                   // SocketMode
    std::string socket_group;                 // SocketGroup; empty: leave as created
    std::string user_id;                      // UserID: "user" or "user:group"
    std::filesystem::path pid_file;           // PidFile; empty: write none
    std::string domain;                       // Domain (required)
    std::string selector;                     // Selector (required)
    std::filesystem::path key_file;           // KeyFile (required)
    bool require_safe_keys{};                 // RequireSafeKeys
    SealMode seal_mode{};                     // SealMode (seal_mode.hpp)
    std::vector<std::string> internal_hosts;  // InternalHosts: addresses or CIDR
    bool seal_authenticated{};                // SealAuthenticated
    std::vector<std::string> sender_domains;  // SenderDomains; empty: any
    std::vector<std::string> daemon_names;    // DaemonNames; empty: any
    std::uint64_t max_message_size{};         // MaxMessageSize, bytes
    OnError on_error{};                       // OnError
    std::chrono::seconds stats_interval{};    // StatsInterval; 0: never
    std::string syslog_facility;              // SyslogFacility, e.g. "mail"

    bool operator==(const MilterSettings&) const = default;
};

struct VerifySettings {
    enum class HeadersOnly { allow, deny };

    VerifySettings();

    std::filesystem::path keyring;             // Keyring directory
    std::chrono::seconds max_age{};            // MaxAge
    std::chrono::seconds clock_skew{};         // ClockSkew
    HeadersOnly headers_only{};                // HeadersOnly
    std::uint64_t max_input_size{};            // MaxInputSize, bytes
    int max_depth{};                           // MaxDepth
    int max_parts{};                           // MaxParts
    std::chrono::seconds time_limit{};         // TimeLimit
    std::string syslog_facility;               // SyslogFacility

    bool operator==(const VerifySettings&) const = default;
};

struct Settings {
    MilterSettings milter;
    VerifySettings verify;

    bool operator==(const Settings&) const = default;
};

// All problems found in a configuration, one line each, in file order:
// "FILE:LINE: Key: what is wrong; expected what". what() joins them with
// newlines, so code that only catches Error still shows every problem.
class ConfigError : public Error {
public:
    explicit ConfigError(std::vector<std::string> problems);
    const std::vector<std::string>& problems() const noexcept { return problems_; }

private:
    std::vector<std::string> problems_;
};

// A value given on the command line instead of in the file, e.g.
// {"milter", "KeyFile", optarg, "-k"}. A relative path is taken relative to
// the current directory. `origin` starts the problem line if it is bad.
struct Override {
    std::string section;
    std::string key;
    std::string value;
    std::string origin;
};

struct LoadOptions {
    std::filesystem::path file{kDefaultConfigFile};  // empty: read no file
    // Where to add warnings: settings that work but should be changed (an
    // old name of a value), one line each, "FILE:LINE: Key: ...". Null:
    // none are kept.
    std::vector<std::string>* warnings = nullptr;
    // True when the user named the file: then a missing file is an error;
    // otherwise a missing file means "all defaults".
    bool file_must_exist = false;
    std::vector<Override> overrides;
    // Also report the keys this program cannot run without that are unset.
    std::optional<Program> require_for;
};

// Reads the file, applies the overrides, checks required keys, and throws
// ConfigError listing every problem found in all three steps.
Settings load_settings(const LoadOptions& options);
// Reads `file`, which must exist. Throws ConfigError.
Settings load_settings(const std::filesystem::path& file);
// Parses configuration text; `name` stands for the file in problem lines.
// Throws ConfigError. Warnings go to `warnings` if it is given.
Settings parse_settings(std::string_view text, std::string_view name,
                        std::vector<std::string>* warnings = nullptr);
// Applies overrides to `settings`; throws ConfigError (nothing is applied
// partially: on error `settings` is unchanged). Warnings as above.
void apply_overrides(Settings& settings, std::span<const Override> overrides,
                     std::vector<std::string>* warnings = nullptr);

// The current value of `key` in `settings`, written as the file would
// write it ("32m", "0660", "127.0.0.0/8, ::1"); empty when not set.
std::string setting_text(const Settings& settings, const ConfigKey& key);

// A complete example configuration file: section headers, and every key
// commented out with its default and its description. Loading it gives the
// defaults; uncommenting every key line also gives the defaults.
std::string render_example_config();
// The key list of bounceseal.conf(5) in troff: an .SS per section and a
// .TP entry per key with type, default, reading program and description.
std::string render_man_fragment();
// The effective settings in file syntax, for -n -v: the sections `program`
// reads (both sections for Program::both). Loading the text gives `settings`.
std::string render_settings(const Settings& settings, Program program = Program::both);

}  // namespace bounceseal
