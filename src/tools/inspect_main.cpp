// inspect_main.cpp - bounceseal-inspect: shows a person what seals a message
// or a bounce carries and how each check comes out. Reads one message on
// standard input. With a keyring it runs the verifier's checks and prints its
// verdict; without one it still shows the seals, the body hash and the
// Message-ID binding, which need no key. It never changes or filters mail.
#include <getopt.h>

#include <charconv>
#include <ctime>
#include <iostream>
#include <optional>

#include "bounceseal/bounce.hpp"
#include "bounceseal/common/cli.hpp"
#include "bounceseal/error.hpp"
#include "bounceseal/mime.hpp"
#include "tool_util.hpp"

namespace {

using namespace bounceseal;
constexpr const char* kProg = "bounceseal-inspect";

int usage(int status) {
    (status == 0 ? std::cout : std::cerr)
        << "usage: " << kProg << " [-K KEYRING_DIR] [-r RECIPIENT]... [-t UNIX_TIME] [-v] < message-or-bounce\n"
        << "  Shows the seals found and the result of each check.\n"
        << "  -h, --help     print this help and exit\n"
        << "  -V, --version  print the version and exit\n";
    return status;
}

std::string utc(std::int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string age(std::int64_t seconds) {
    bool future = seconds < 0;
    std::int64_t s = future ? -seconds : seconds;
    std::string text = s >= 86400 ? std::to_string(s / 86400) + " d " + std::to_string(s % 86400 / 3600) + " h"
                     : s >= 3600  ? std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min"
                                  : std::to_string(s) + " s";
    return future ? text + " in the future" : text + " ago";
}

void show_record(const Record& r, const FoundSeals& f, const std::optional<Bytes>& body, std::int64_t now,
                 const std::vector<std::string>& recipients) {
    std::cout << "    signer   d=" << r.domain << " s=" << r.selector << "\n"
              << "    sealed   " << utc(r.timestamp) << " (" << age(now - r.timestamp) << ")\n"
              << "    nonce    " << base64_encode(r.nonce) << "\n";
    if (body) std::cout << "    body     " << (ct_equal(*body, r.body_hash) ? "matches the body hash" : "DIFFERS from the body hash") << "\n";
    else std::cout << "    body     not judged: the seal parts did not come back\n";
    if (r.msgid_hash.empty()) std::cout << "    msg-id   none was bound\n";
    else if (!f.message_id) std::cout << "    msg-id   the copy has no Message-ID\n";
    else std::cout << "    msg-id   " << (ct_equal(msgid_binding(r.nonce, *f.message_id), r.msgid_hash) ? "matches" : "DIFFERS") << "\n";
    for (const auto& rcpt : recipients)
        std::cout << "    sender   " << (ct_equal(sender_binding(r.nonce, rcpt), r.sender_hash) ? "sealed for " : "NOT sealed for ")
                  << rcpt << "\n";
}

void show_copy(GMimeMessage* msg, const std::string& where, const Keyring* keyring, const VerifyPolicy& policy,
               std::int64_t now, bool verbose) {
    FoundSeals f = find_seals(msg);
    std::cout << where << "\n";
    if (f.empty()) std::cout << "  no seal\n";
    for (const auto& h : f.headers) {
        std::cout << "  Bounce-Seal header field:\n";
        show_record(h.record, f, f.body_hash ? f.body_hash : f.whole_body_hash, now, policy.recipients);
    }
    for (const auto& p : f.parts) {
        std::cout << "  seal parts (record + signature):\n";
        show_record(p.record, f, f.body_hash, now, policy.recipients);
    }
    for (const auto& problem : f.problems) std::cout << "  problem: " << problem << "\n";
    if (verbose && !f.manifest.empty()) {
        std::cout << "  body manifest:\n";
        std::string m = f.manifest;
        for (std::size_t pos = 0, nl; (nl = m.find('\n', pos)) != std::string::npos; pos = nl + 1)
            std::cout << "    " << m.substr(pos, nl - pos) << "\n";
    }
    if (keyring != nullptr && !f.empty()) {
        Judgement j = judge(f, *keyring, policy, now);
        for (const auto& step : j.steps) std::cout << "  check: " << step << "\n";
        std::cout << "  verdict: " << verdict_name(j.verdict);
        if (j.verdict == Verdict::fail) std::cout << " (" << reason_name(j.reason) << ")";
        std::cout << "\n";
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::optional<std::string> keyring_dir;
    VerifyPolicy policy;
    std::int64_t now = std::time(nullptr);
    bool verbose = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "K:r:t:vhV", cli::kStandardOptions, nullptr)) != -1) {
        switch (opt) {
        case 'K': keyring_dir = optarg; break;
        case 'r': policy.recipients.push_back(optarg); break;
        case 't': {
            std::string_view t(optarg);
            auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), now);
            if (ec != std::errc() || p != t.data() + t.size()) return usage(2);
            break;
        }
        case 'v': verbose = true; break;
        case 'h': return usage(0);
        case 'V': cli::print_version(kProg); return 0;
        default: return usage(2);
        }
    }
    if (optind != argc) return usage(2);
    try {
        std::optional<Keyring> keyring;
        if (keyring_dir) {
            keyring = Keyring::open_dir(*keyring_dir);
            std::vector<Keyring::Problem> problems;
            const auto keys = keyring->list(problems);
            for (const auto& p : problems) std::cout << "keyring: " << p.file.string() << ": " << p.message << "\n";
            std::cout << "keyring: " << keys.size() << " key(s) in " << *keyring_dir << "\n";
        }
        std::string input = tools::read_all_stdin();
        MessageReport report = analyze_message(input, BounceLimits{}, keyring ? &*keyring : nullptr, now);
        std::cout << "message: " << kind_name(report.kind) << " (" << report.why << ")\n";
        const bool is_bounce = is_judged(report.kind);
        if (report.copy) {
            show_copy(report.copy->message.get(),
                      "returned copy: " + report.copy->where + " [" + report.copy->shape + "] (only its own seals count)",
                      keyring ? &*keyring : nullptr, policy, now, verbose);
        } else {
            auto msg = parse_message(input);
            if (!msg) throw Error(Errc::mime, "standard input is not a message");
            show_copy(msg.get(), is_bounce ? "the bounce returns no copy of the original; its own header:" : "the message itself:",
                      keyring ? &*keyring : nullptr, policy, now, verbose);
        }
        if (keyring) {
            Decision d = decide(input, *keyring, policy, BounceLimits{}, now);
            std::cout << "verifier verdict: " << verdict_name(d.judgement.verdict);
            if (d.judgement.verdict == Verdict::fail) std::cout << " (" << reason_name(d.judgement.reason) << ")";
            if (d.judgement.verdict == Verdict::none) std::cout << " (not a bounce: bounceseal-verify lets it through)";
            else if (!d.where.empty()) std::cout << ", from " << d.where;
            std::cout << "\n";
        }
    } catch (const Error& e) {
        tools::complain(kProg, e.what());
        return 1;
    }
    return 0;
}
