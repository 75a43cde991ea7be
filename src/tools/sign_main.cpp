// sign_main.cpp - bounceseal-sign: seals one message offline, through the
// same plan_seal() the milter uses, as sendmail would apply the milter's
// changes. For tests, demos and mail injected without a milter. It does not
// decide whether a message should be sealed; it always seals. -m takes the
// milter's SealMode names, read by the configuration's own parser.
#include <getopt.h>

#include <charconv>
#include <iostream>
#include <optional>
#include <variant>

#include <gmime/gmime.h>

#include "bounceseal/common/cli.hpp"
#include "bounceseal/common/config.hpp"
#include "bounceseal/error.hpp"
#include "bounceseal/mime.hpp"
#include "bounceseal/seal.hpp"
#include "tool_util.hpp"

namespace {

constexpr const char* kProg = "bounceseal-sign";

int usage(int status) {
    (status == 0 ? std::cout : std::cerr)
        << "usage: " << kProg << " -k KEYFILE -d DOMAIN -s SELECTOR [-f ENVELOPE_SENDER] [-t UNIX_TIME]\n"
        << "                       [-m full|append-only|header] < message > sealed\n"
        << "  Without -f, the envelope sender is taken from Return-Path:, else From:.\n"
        << "  -h, --help     print this help and exit\n"
        << "  -V, --version  print the version and exit\n";
    return status;
}

// The address in a Return-Path: or From: field, as the envelope sender.
std::string sender_from_headers(const std::vector<bounceseal::HeaderField>& headers) {
    using namespace bounceseal;
    for (const char* name : {"return-path", "from"}) {
        for (const auto& h : headers) {
            if (ascii_lower(h.name) != name) continue;
            mime_init();
            InternetAddressList* list = internet_address_list_parse(nullptr, h.value.c_str());
            std::string addr;
            if (list != nullptr && internet_address_list_length(list) > 0) {
                InternetAddress* a = internet_address_list_get_address(list, 0);
                if (INTERNET_ADDRESS_IS_MAILBOX(a)) addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
            }
            if (list != nullptr) g_object_unref(list);
            if (!addr.empty()) return addr;
        }
    }
    return {};
}

// The SealMode named by -m, read as the configuration file's SealMode key
// is (old names too, with a warning); nullopt after complaining.
std::optional<bounceseal::SealMode> seal_mode(const char* word) {
    using namespace bounceseal;
    Settings settings;
    std::vector<std::string> warnings;
    try {
        const Override mode{"milter", "SealMode", word, "-m"};
        apply_overrides(settings, {&mode, 1}, &warnings);
    } catch (const ConfigError& e) {
        for (const auto& p : e.problems()) tools::complain(kProg, p);
        return std::nullopt;
    }
    for (const auto& w : warnings) tools::complain(kProg, "warning: " + w);
    return settings.milter.seal_mode;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace bounceseal;
    std::string keyfile, domain, selector, sender;
    bool have_sender = false;
    SealOptions options;
    int opt;
    while ((opt = getopt_long(argc, argv, "k:d:s:f:t:m:hV", cli::kStandardOptions, nullptr)) != -1) {
        switch (opt) {
        case 'k': keyfile = optarg; break;
        case 'd': domain = optarg; break;
        case 's': selector = optarg; break;
        case 'f':
            sender = optarg;
            have_sender = true;
            break;
        case 't': {
            std::string_view t(optarg);
            auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), options.now);
            if (ec != std::errc() || p != t.data() + t.size() || options.now <= 0) {
                tools::complain(kProg, "-t wants seconds since the epoch");
                return 2;
            }
            break;
        }
        case 'm':
            if (auto mode = seal_mode(optarg)) options.mode = *mode;
            else return usage(2);
            break;
        case 'h': return usage(0);
        case 'V': cli::print_version(kProg); return 0;
        default: return usage(2);
        }
    }
    if (optind != argc || keyfile.empty() || domain.empty() || selector.empty()) return usage(2);
    try {
        SealKey key{domain, selector, PrivateKey::load_pem_file(keyfile)};
        std::string message = tools::read_all_stdin();
        SplitMessage m = split_message(message);
        if (!have_sender) sender = sender_from_headers(m.headers);
        if (sender.empty()) throw Error(Errc::usage, "no envelope sender: give -f ADDRESS");
        if (auto skip = seal_precheck(m.headers, domain))
            throw Error(Errc::usage, std::string("not sealing: ") + skip_reason_name(skip->reason));
        options.eol = m.eol;
        const SealResult planned = plan_seal(m.headers, m.body, sender, key, options);
        if (const SealSkip* skip = std::get_if<SealSkip>(&planned)) throw Error(Errc::usage, skip->detail);
        tools::write_stdout(apply_seal_plan(m.headers, m.body, std::get<SealPlan>(planned), m.eol));
    } catch (const Error& e) {
        tools::complain(kProg, e.what());
        return 1;
    }
    return 0;
}
