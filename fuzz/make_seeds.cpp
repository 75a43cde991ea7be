// make_seeds.cpp - writes the generated part of the fuzz seed corpus: every
// bounce template of tests/data/bounces filled with the unit tests' sealed
// original (SealMode full and header, LF and CRLF), so that
// fuzz_decide starts from bounces whose seals verify with its keyring and
// reaches every judging path, not just "no seal". Run by
// `scripts/fuzz --seeds`; the output is committed under fuzz/corpus/decide.
// It reuses the unit tests' fixtures (tests/unit/bounce_support.hpp) and
// does not fuzz anything itself.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "bounce_support.hpp"

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    using namespace bounceseal::testing;
    if (argc != 3) {
        std::fprintf(stderr, "usage: make_seeds TEMPLATE_DIR OUT_DIR\n");
        return 2;
    }
    const fs::path templates = argv[1], out = argv[2];
    fs::create_directories(out);
    bounceseal::SealOptions header_only;
    header_only.mode = bounceseal::SealMode::header_only;
    const std::string wrapped = sealed_original(), header = sealed_original(header_only);
    int written = 0;
    for (const auto& entry : fs::directory_iterator(templates)) {
        if (entry.path().extension() != ".eml") continue;
        const std::string name = entry.path().stem().string();
        const std::string tmpl = [&] {
            std::ifstream in(entry.path(), std::ios::binary);
            return std::string(std::istreambuf_iterator<char>(in), {});
        }();
        const std::pair<const char*, std::string> variants[] = {
            {"wrap", fill_template(tmpl, wrapped)},
            {"header", fill_template(tmpl, header)},
            {"wrap-crlf", to_crlf(fill_template(tmpl, wrapped))},
        };
        for (const auto& [suffix, text] : variants) {
            std::ofstream f(out / ("sealed-" + name + "-" + suffix + ".eml"), std::ios::binary);
            f << text;
            ++written;
        }
    }
    std::printf("%d seeds written to %s\n", written, out.c_str());
    return 0;
}
