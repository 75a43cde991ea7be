// make_attacks.cpp - writes the forger's attacks (attacks.hpp) as files for
// tests/e2e/attack_test.sh, built from genuine messages the end-to-end test
// had the real milter seal:
//
//   make_attacks PLAIN MULTIPART SENDER OUT_DIR
//
// PLAIN and MULTIPART are alice's sealed messages as bob received them (a
// message sealed in its header, one with appended seal parts), SENDER her
// address. OUT_DIR gets NAME.bounce (what reaches alice's mailbox, starting
// with its Return-Path field), NAME.spam (what the forger sends as alice,
// for attacks where an MTA writes the bounce) and attacks.tsv: one line per
// attack, "NAME<TAB>REASON<TAB>deny|allow<TAB>WHAT", recipe attacks last
// with the word "recipe" before WHAT. It judges nothing.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "attacks.hpp"

namespace {

std::string slurp(const char* file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    using namespace bounceseal;
    using namespace bounceseal::testing;
    if (argc != 5) {
        std::fprintf(stderr, "usage: make_attacks PLAIN MULTIPART SENDER OUT_DIR\n");
        return 2;
    }
    const Genuine g{slurp(argv[1]), slurp(argv[2]), argv[3]};
    if (g.plain.empty() || g.multipart.empty()) {
        std::fprintf(stderr, "make_attacks: empty genuine message\n");
        return 2;
    }
    const fs::path out = argv[4];
    fs::create_directories(out);
    std::ofstream index(out / "attacks.tsv", std::ios::binary);
    auto write = [&](const std::vector<Attack>& list, const char* kind) {
        for (const auto& a : list) {
            std::ofstream(out / (a.name + ".bounce"), std::ios::binary) << a.bounce;
            if (!a.spam.empty()) std::ofstream(out / (a.name + ".spam"), std::ios::binary) << a.spam;
            index << a.name << '\t' << reason_name(a.reason) << '\t' << (a.deny_headers_only ? "deny" : "allow")
                  << '\t' << kind << a.what << '\n';
        }
    };
    try {
        write(attacks(g), "");
        write(recipe_attacks(g), "recipe ");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_attacks: %s\n", e.what());
        return 1;
    }
    return index.good() ? 0 : 1;
}
