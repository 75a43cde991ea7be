// options.cpp - getopt_long parsing of bounceseal-verify's command line.
// It checks only the form of the options, not whether files exist.
#include "options.hpp"

#include "bounceseal/common/cli.hpp"

namespace bounceseal::verifier {

std::string usage_text() {
    return std::string("usage: ") + kProgram +
           " [-c CONFIG] [-K KEYRING_DIR] [-r RECIPIENT]... [--filter] [-v] [-n]\n"
           "  Reads a message on standard input and judges the Bounce-Seal of the original it returns.\n"
           "  -c CONFIG       configuration file (default /etc/bounceseal/bounceseal.conf, if present)\n"
           "  -K KEYRING_DIR  directory of trusted SELECTOR.pub keys; without -c, no file is read\n"
           "  -r RECIPIENT    address of the mailbox the bounce was delivered to (repeatable)\n"
           "  --filter        write the message back with a Bounce-Seal-Verdict: header line\n"
           "  -v              print every step on standard error\n"
           "  -n              check the configuration and the keyring, then exit\n"
           "  -h, --help      print this help and exit\n"
           "  -V, --version   print the version and exit\n"
           "Exit status: 0 deliver (pass, pass-headers-only, not a bounce; always with --filter),\n"
           "1 forged or invalid bounce (or -n found problems), 75 internal error.\n";
}

Options parse_options(int argc, char** argv) {
    static const option long_options[] = {
        {"filter", no_argument, nullptr, 'f'},
        cli::kHelp,
        cli::kVersion,
        cli::kEnd,
    };
    Options o;
    opterr = 0;  // we report problems ourselves, in one place
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, ":c:K:r:vnhV", long_options, nullptr)) != -1) {
        switch (opt) {
        case 'c': o.config = optarg; break;
        case 'K': o.keyring = optarg; break;
        case 'r':
            if (*optarg == '\0') throw UsageError("-r needs an address");
            o.recipients.emplace_back(optarg);
            break;
        case 'f': o.filter = true; break;
        case 'v': o.verbose = true; break;
        case 'n': o.check = true; break;
        case 'h': o.help = true; break;
        case 'V': o.version = true; break;
        case ':': throw UsageError(std::string("option -") + static_cast<char>(optopt) + " needs an argument");
        default:
            throw UsageError(optopt != 0 ? std::string("unknown option -") + static_cast<char>(optopt)
                                         : std::string("unknown option ") + argv[optind - 1]);
        }
    }
    if (optind != argc) throw UsageError(std::string("unexpected argument '") + argv[optind] + "'");
    return o;
}

}  // namespace bounceseal::verifier
