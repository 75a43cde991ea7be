// config_table.cpp - the table of configuration keys, and the defaults the
// settings structs take from it.
//
// Every fact about a key lives in its row here: type, default, range,
// description and the struct field it fills. The section and the reading
// program come from the field's struct, so a row cannot name the wrong one.
// Parsing and rendering are elsewhere (config_values.cpp, config_docs.cpp).
#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <fmt/format.h>

#include "bounceseal/common/log.hpp"
#include "config_internal.hpp"

namespace bounceseal {
namespace config_detail {
namespace {

// Storing a parsed Value into a field, by the field's C++ type. The table
// rows pair each type with the matching ValueType; a mismatch throws
// std::bad_variant_access when the defaults are first applied.
void store(const ConfigKey&, std::string& field, const Value& v) { field = std::get<std::string>(v); }
void store(const ConfigKey&, std::filesystem::path& field, const Value& v) {
    field = std::get<std::string>(v);
}
void store(const ConfigKey&, bool& field, const Value& v) { field = std::get<bool>(v); }
// Ranges in the table keep these narrowing casts exact.
void store(const ConfigKey&, int& field, const Value& v) {
    field = static_cast<int>(std::get<std::int64_t>(v));
}
void store(const ConfigKey&, unsigned& field, const Value& v) {
    field = static_cast<unsigned>(std::get<std::int64_t>(v));
}
void store(const ConfigKey&, std::uint64_t& field, const Value& v) {
    field = static_cast<std::uint64_t>(std::get<std::int64_t>(v));
}
void store(const ConfigKey&, std::chrono::seconds& field, const Value& v) {
    field = std::chrono::seconds{std::get<std::int64_t>(v)};
}
void store(const ConfigKey&, std::vector<std::string>& field, const Value& v) {
    field = std::get<std::vector<std::string>>(v);
}
// An enum's enumerators are listed in the same order as the key's choices.
template <typename Enum>
    requires std::is_enum_v<Enum>
void store(const ConfigKey& key, Enum& field, const Value& v) {
    const auto word = std::find(key.choices.begin(), key.choices.end(), std::get<std::string>(v));
    field = static_cast<Enum>(word - key.choices.begin());
}

std::string show(const ConfigKey&, const std::string& field) { return field; }
std::string show(const ConfigKey&, const std::filesystem::path& field) { return field.string(); }
std::string show(const ConfigKey&, bool field) { return field ? "true" : "false"; }
std::string show(const ConfigKey&, int field) { return std::to_string(field); }
std::string show(const ConfigKey&, unsigned field) { return fmt::format("{:04o}", field); }
std::string show(const ConfigKey&, std::uint64_t field) { return format_size(field); }
std::string show(const ConfigKey&, std::chrono::seconds field) { return format_duration(field.count()); }
std::string show(const ConfigKey&, const std::vector<std::string>& field) {
    return fmt::format("{}", fmt::join(field, ", "));
}
template <typename Enum>
    requires std::is_enum_v<Enum>
std::string show(const ConfigKey& key, Enum field) {
    return std::string(key.choices.at(static_cast<std::size_t>(field)));
}

template <typename Section> struct SectionOf;
template <> struct SectionOf<MilterSettings> {
    static constexpr std::string_view name = "milter";
    static constexpr Program program = Program::milter;
};
template <> struct SectionOf<VerifySettings> {
    static constexpr std::string_view name = "verify";
    static constexpr Program program = Program::verify;
};

template <typename MemberPointer> struct MemberOf;
template <typename Class, typename Field> struct MemberOf<Field Class::*> {
    using Section = Class;
};

// A table row for the field `Member` (e.g. &MilterSettings::socket).
template <auto Member>
KeyRule rule(ConfigKey key, Validator validate = nullptr) {
    using Section = typename MemberOf<decltype(Member)>::Section;
    key.section = SectionOf<Section>::name;
    key.program = SectionOf<Section>::program;
    return KeyRule{
        std::move(key),
        [](const ConfigKey& k, void* settings, const Value& v) {
            store(k, static_cast<Section*>(settings)->*Member, v);
        },
        [](const ConfigKey& k, const void* settings) {
            return show(k, static_cast<const Section*>(settings)->*Member);
        },
        validate,
    };
}

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kGiB = kKiB * kKiB * kKiB;
constexpr std::int64_t kMinute = 60;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;

std::vector<KeyRule> make_table() {
    using M = MilterSettings;
    using V = VerifySettings;
    std::vector<std::string_view> facilities = syslog_facility_names();
    return {
        rule<&M::socket>({
            .name = "Socket", .type = ValueType::string,
            .default_text = "unix:/run/bounceseal/milter.sock",
            .description = "Where the milter listens for sendmail, in libmilter's notation: "
                "unix:/PATH or local:/PATH for a Unix-domain socket, inet:PORT@HOST for TCP "
                "over IPv4, inet6:PORT@HOST for TCP over IPv6 (without @HOST: on every "
                "address). It must match the S= equate of the milter's INPUT_MAIL_FILTER "
                "line in sendmail.mc.",
        }, check_socket),
        rule<&M::socket_mode>({
            .name = "SocketMode", .type = ValueType::mode, .default_text = "0660",
            .description = "Permission bits of a Unix-domain socket, in octal. sendmail must "
                "be able to read and write it; nobody else should, since whoever can talk to "
                "the milter can have mail sealed. Not used for inet sockets.",
            .min = 0, .max = 0777,
        }),
        rule<&M::socket_group>({
            .name = "SocketGroup", .type = ValueType::string, .default_text = "",
            .description = "Group to own a Unix-domain socket, so that sendmail (typically "
                "running in group smmsp) can connect when SocketMode grants the group access. "
                "Empty leaves the group the socket was created with.",
        }, check_group_name),
        rule<&M::user_id>({
            .name = "UserID", .type = ValueType::string, .default_text = "bounceseal",
            .description = "User, or user:group, the milter parses mail as when it is "
                "started as root; without :group, the user's primary group. This user must not "
                "be able to read KeyFile (the milter warns when it can). Not used when the "
                "milter is started as any other user.",
        }, check_user_id),
        rule<&M::pid_file>({
            .name = "PidFile", .type = ValueType::path, .default_text = "",
            .description = "File to write the milter's process ID to. Empty writes none.",
        }),
        rule<&M::domain>({
            .name = "Domain", .type = ValueType::string, .default_text = "", .required = true,
            .description = "Signer domain stated in every seal the milter adds; mail that "
                "already carries a seal of this domain is not sealed again. 1 to 253 letters, "
                "digits, dots and hyphens, not starting with a dot or a hyphen. Required; the "
                "-d option overrides it.",
        }, check_domain),
        rule<&M::selector>({
            .name = "Selector", .type = ValueType::string, .default_text = "", .required = true,
            .description = "Name of the signing key, stated in every seal; bounceseal-verify "
                "looks for the public key SELECTOR.pub in its Keyring. 1 to 63 letters, "
                "digits, dots, underscores and hyphens, not starting with a dot. Give a new "
                "key a new selector and keep the old public key, so that bounces of mail "
                "sealed before the change still verify. Required; the -s option overrides it.",
        }, check_selector),
        rule<&M::key_file>({
            .name = "KeyFile", .type = ValueType::path, .default_text = "", .required = true,
            .description = "The Ed25519 private key (PKCS#8 PEM) the milter seals with, "
                "read only by its signer process, which runs as the file's owner: make it "
                "root's, mode 0600. Required; the -k option overrides it.",
        }),
        rule<&M::require_safe_keys>({
            .name = "RequireSafeKeys", .type = ValueType::boolean, .default_text = "true",
            .description = "Refuse a KeyFile that users other than its owner may read or "
                "write, as OpenDKIM does. Turn it off only where file permissions are "
                "enforced some other way.",
        }),
        rule<&M::seal_mode>({
            .name = "SealMode", .type = ValueType::choice, .default_text = "full",
            .description = "Where the seal goes, and what it costs. full: a Bounce-Seal header "
                "field and the two small seal parts on every message, so that a bounce proves the "
                "body even when it returns it damaged or cut short. The parts are appended to a "
                "message that already is multipart/mixed; any other message is wrapped whole as "
                "the first part of a new multipart/mixed. That adds about 1.2 kB to an appended "
                "and 1.5 kB to a wrapped message, and sends each such message's body back to the "
                "MTA (throughput in PERFORMANCE.md). Encrypted mail, reports and the few other "
                "kinds of message whose top-level type recipients' programs act on are sealed in "
                "the header field only (FORMAT.md 6.1), so that no spam score rises. append-only: "
                "the header field on every message, the seal parts only on messages that already "
                "are multipart/mixed, where nothing else changes; any other message is proven "
                "only by a bounce that returns it whole and unchanged. header: the header field "
                "alone (325 bytes), never touching the body.",
            .choices = {"full", "append-only", "header"},
            .aliases = {
                {"both", "append-only",
                 "it still means that; write append-only to keep it, or full (the default) for "
                 "seal parts on every message"},
                {"wrap", "full",
                 "write full, which wraps as wrap did except for the messages FORMAT.md 6.1 "
                 "seals in the header field only (encrypted mail, reports and a few more)"},
            },
        }),
        rule<&M::internal_hosts>({
            .name = "InternalHosts", .type = ValueType::list, .default_text = "127.0.0.0/8, ::1",
            .description = "Clients whose mail is sealed: IPv4 or IPv6 addresses or CIDR "
                "networks. Mail from other clients is sealed only if they authenticated and "
                "SealAuthenticated is on.",
        }, check_network),
        rule<&M::seal_authenticated>({
            .name = "SealAuthenticated", .type = ValueType::boolean, .default_text = "true",
            .description = "Also seal mail from clients that authenticated with SMTP AUTH, "
                "from wherever they connect.",
        }),
        rule<&M::sender_domains>({
            .name = "SenderDomains", .type = ValueType::list, .default_text = "",
            .description = "Seal only mail whose envelope sender's domain is one of these. "
                "Empty seals mail of any sender.",
        }, check_domain),
        rule<&M::daemon_names>({
            .name = "DaemonNames", .type = ValueType::list, .default_text = "",
            .description = "Seal only mail that reached one of these sendmail daemons (the "
                "Name= of DaemonPortOptions, seen by the milter as the {daemon_name} macro), "
                "for example only the submission port. Empty seals mail from any daemon.",
        }),
        rule<&M::max_message_size>({
            .name = "MaxMessageSize", .type = ValueType::size, .default_text = "32m",
            .description = "Largest message the milter seals; larger messages are passed on "
                "unsealed.",
            .min = kKiB, .max = 16 * kGiB,
        }),
        rule<&M::on_error>({
            .name = "OnError", .type = ValueType::choice, .default_text = "accept",
            .description = "What happens to a message that should be sealed but cannot be, "
                "because of an error rather than policy: accept passes it on unsealed, "
                "tempfail asks the client to try again later.",
            .choices = {"accept", "tempfail"},
        }),
        rule<&M::stats_interval>({
            .name = "StatsInterval", .type = ValueType::duration, .default_text = "1h",
            .description = "How often the milter logs its counters, as one line; 0 turns "
                "this off. The signal SIGUSR2 makes it log them at once in any case.",
            .min = 0, .max = 7 * kDay,
        }),
        rule<&M::syslog_facility>({
            .name = "SyslogFacility", .type = ValueType::choice, .default_text = "mail",
            .description = "Syslog facility of the milter's log messages.",
            .choices = facilities,
        }),

        rule<&V::keyring>({
            .name = "Keyring", .type = ValueType::path, .default_text = "/etc/bounceseal/keys",
            .description = "Directory of the trusted public keys, one file SELECTOR.pub "
                "per key: a \"Domain:\" line naming the one signer domain the key vouches "
                "for, then the PEM key (bounceseal-keygen writes both). A seal whose "
                "selector has no key here, or whose key vouches for another domain, does "
                "not verify. Read only when a message needs a key.",
        }),
        rule<&V::max_age>({
            .name = "MaxAge", .type = ValueType::duration, .default_text = "10d",
            .description = "Oldest seal accepted: a bounce whose seal is older fails. The "
                "default covers a 5-day queue lifetime twice.",
            .min = kMinute, .max = 365 * kDay,
        }),
        rule<&V::clock_skew>({
            .name = "ClockSkew", .type = ValueType::duration, .default_text = "5m",
            .description = "How far in the future a seal's time may lie, to allow for the "
                "clocks of the sealing and the verifying host disagreeing.",
            .min = 0, .max = kDay,
        }),
        rule<&V::headers_only>({
            .name = "HeadersOnly", .type = ValueType::choice, .default_text = "allow",
            .description = "Whether a bounce that returned only the headers of the original "
                "message, so that its body cannot be checked, may pass on a valid "
                "Bounce-Seal header field alone (allow) or fails (deny).",
            .choices = {"allow", "deny"},
        }),
        rule<&V::max_input_size>({
            .name = "MaxInputSize", .type = ValueType::size, .default_text = "64m",
            .description = "Largest message bounceseal-verify reads; it does not analyse a "
                "larger one.",
            .min = kKiB, .max = 16 * kGiB,
        }),
        rule<&V::max_depth>({
            .name = "MaxDepth", .type = ValueType::integer, .default_text = "32",
            .description = "Deepest nesting of MIME parts analysed; a bounce nested deeper "
                "counts as malformed.",
            .min = 1, .max = 1000,
        }),
        rule<&V::max_parts>({
            .name = "MaxParts", .type = ValueType::integer, .default_text = "2000",
            .description = "Most MIME parts analysed in one bounce; a bounce with more "
                "counts as malformed.",
            .min = 1, .max = 1000000,
        }),
        rule<&V::time_limit>({
            .name = "TimeLimit", .type = ValueType::duration, .default_text = "30s",
            .description = "Longest time bounceseal-verify spends on one bounce.",
            .min = 1, .max = kHour,
        }),
        rule<&V::syslog_facility>({
            .name = "SyslogFacility", .type = ValueType::choice, .default_text = "mail",
            .description = "Syslog facility of bounceseal-verify's log messages.",
            .choices = facilities,
        }),
    };
}

// Fills one section's struct from the table's default texts.
void apply_defaults(void* section_settings, std::string_view section) {
    for (const KeyRule& r : key_rules()) {
        if (r.key.section != section) continue;
        Parsed parsed = parse_value(r, r.key.default_text);
        if (!parsed.problems.empty()) {
            throw std::logic_error(fmt::format("default of [{}] {} does not parse: {}", section,
                                               r.key.name, parsed.problems.front()));
        }
        r.assign(r.key, section_settings, parsed.value);
    }
}

}  // namespace

const std::vector<KeyRule>& key_rules() {
    static const std::vector<KeyRule> table = make_table();
    return table;
}

const KeyRule* find_rule(std::string_view section, std::string_view name) {
    for (const KeyRule& r : key_rules()) {
        if (r.key.section == section && r.key.name == name) return &r;
    }
    return nullptr;
}

void* section_settings(Settings& settings, std::string_view section) {
    if (section == "milter") return &settings.milter;
    if (section == "verify") return &settings.verify;
    throw std::logic_error(fmt::format("no settings for section [{}]", section));
}

const void* section_settings(const Settings& settings, std::string_view section) {
    if (section == "milter") return &settings.milter;
    if (section == "verify") return &settings.verify;
    throw std::logic_error(fmt::format("no settings for section [{}]", section));
}

}  // namespace config_detail

using config_detail::key_rules;

MilterSettings::MilterSettings() { config_detail::apply_defaults(this, "milter"); }
VerifySettings::VerifySettings() { config_detail::apply_defaults(this, "verify"); }

const char* program_name(Program program) noexcept {
    switch (program) {
    case Program::milter: return "bounceseal-milter";
    case Program::verify: return "bounceseal-verify";
    case Program::both: return "bounceseal-milter and bounceseal-verify";
    }
    return "bounceseal";
}

const std::vector<ConfigKey>& config_keys() {
    static const std::vector<ConfigKey> keys = [] {
        std::vector<ConfigKey> out;
        for (const config_detail::KeyRule& r : key_rules()) out.push_back(r.key);
        return out;
    }();
    return keys;
}

const ConfigKey* find_config_key(std::string_view section, std::string_view name) {
    for (const ConfigKey& key : config_keys()) {
        if (key.section == section && key.name == name) return &key;
    }
    return nullptr;
}

std::string setting_text(const Settings& settings, const ConfigKey& key) {
    const config_detail::KeyRule* r = config_detail::find_rule(key.section, key.name);
    if (!r) throw Error(Errc::usage, fmt::format("no configuration key [{}] {}", key.section, key.name));
    return r->render(r->key, config_detail::section_settings(settings, key.section));
}

}  // namespace bounceseal
