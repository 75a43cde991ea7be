// keygen_main.cpp - bounceseal-keygen: makes an Ed25519 key pair for one
// signing server. Writes SELECTOR.private (mode 0600, for the milter's
// KeyFile) and SELECTOR.pub (for every verifier's keyring: a "Domain:" line
// naming the one signer domain the key vouches for, then the PEM block);
// never overwrites. It does not install or distribute keys.
#include <getopt.h>

#include <filesystem>
#include <iostream>

#include "bounceseal/common/cli.hpp"
#include "bounceseal/error.hpp"
#include "bounceseal/keys.hpp"
#include "tool_util.hpp"

namespace {

constexpr const char* kProg = "bounceseal-keygen";

int usage(int status) {
    (status == 0 ? std::cout : std::cerr)
        << "usage: " << kProg << " -d DOMAIN -s SELECTOR [-D DIRECTORY]\n"
        << "  Writes DIRECTORY/SELECTOR.private (mode 0600) and DIRECTORY/SELECTOR.pub (Domain line and public key).\n"
        << "  -h, --help     print this help and exit\n"
        << "  -V, --version  print the version and exit\n";
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace bounceseal;
    std::string domain, selector, dir = ".";
    int opt;
    while ((opt = getopt_long(argc, argv, "d:s:D:hV", cli::kStandardOptions, nullptr)) != -1) {
        switch (opt) {
        case 'd': domain = optarg; break;
        case 's': selector = optarg; break;
        case 'D': dir = optarg; break;
        case 'h': return usage(0);
        case 'V': cli::print_version(kProg); return 0;
        default: return usage(2);
        }
    }
    if (optind != argc || domain.empty() || selector.empty()) return usage(2);
    if (!valid_domain(domain)) {
        tools::complain(kProg, "'" + domain + "' is not a domain name");
        return 2;
    }
    if (!valid_selector(selector)) {
        tools::complain(kProg, "'" + selector + "' is not a selector (1-63 of A-Z a-z 0-9 . _ -, not starting with '.')");
        return 2;
    }
    try {
        std::filesystem::path base(dir);
        auto priv = base / (selector + ".private");
        auto pub = base / (selector + ".pub");
        if (std::filesystem::exists(priv) || std::filesystem::exists(pub))
            throw Error(Errc::io, "refusing to overwrite " + priv.string() + " or " + pub.string());
        PrivateKey key = PrivateKey::generate();
        write_new_file(priv, key.private_pem(), 0600);
        write_new_file(pub, public_key_file_text(domain, key.public_key()), 0644);
        std::cout << "wrote " << priv.string() << " (private, mode 0600) and " << pub.string() << "\n"
                  << "key fingerprint " << key.public_key().fingerprint() << "\n"
                  << "milter settings:  Domain = " << domain << "  Selector = " << selector
                  << "  KeyFile = " << std::filesystem::absolute(priv).string() << "\n"
                  << "copy " << pub.filename().string() << " into the Keyring directory of every verifier"
                  << " (it vouches for " << domain << " only)\n";
    } catch (const Error& e) {
        tools::complain(kProg, e.what());
        return 1;
    }
    return 0;
}
