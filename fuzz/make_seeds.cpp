// make_seeds.cpp - writes the generated part of the fuzz seed corpus:
//   - decide: every bounce template of tests/data/bounces filled with the
//     unit tests' sealed original (SealMode full, the default, and header, LF
//     and CRLF), so that fuzz_decide starts from bounces whose seals verify
//     with its keyring and reaches every judging path, not just "no seal";
//   - returned: for every template built into fuzz_returned and each of its
//     three layouts, one of the forger's payloads (genuine sealed messages
//     of alice's pasted, attached, quoted, bounced, her seal parts alone:
//     tests/unit/attacks.hpp), so that the property starts from inputs full
//     of seals that verify.
// Run by `scripts/fuzz --seeds`; the output is committed under
// fuzz/corpus/decide and fuzz/corpus/returned. Nothing comes from the
// shared corpus. It reuses the unit tests' fixtures and does not fuzz.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "attacks.hpp"
#include "bounce_support.hpp"

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    using namespace bounceseal::testing;
    if (argc != 4) {
        std::fprintf(stderr, "usage: make_seeds TEMPLATE_DIR DECIDE_OUT_DIR RETURNED_OUT_DIR\n");
        return 2;
    }
    const fs::path templates = argv[1], out = argv[2], returned = argv[3];
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
    fs::create_directories(returned);
    const std::vector<std::string> payloads = forger_payloads(test_genuine());
    int returned_written = 0;
    for (std::size_t t = 0; t < kBounceTemplateCount; ++t) {
        for (int layout = 0; layout < 3; ++layout) {
            // The weak header (layouts 3-5) where the part holds the copy whole.
            const int l = kBounceTemplates[t].anchored && layout == 2 ? 5 : layout;
            const std::string& payload = payloads[(t * 3 + static_cast<std::size_t>(layout)) % payloads.size()];
            std::ofstream f(returned / (std::string(kBounceTemplates[t].name) + "-" + std::to_string(l) + ".bin"),
                            std::ios::binary);
            f << static_cast<char>(t) << static_cast<char>(l) << payload;
            ++returned_written;
        }
    }
    std::printf("%d seeds written to %s\n", returned_written, returned.c_str());
    return 0;
}
