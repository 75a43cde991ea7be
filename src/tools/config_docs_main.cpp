// config_docs_main.cpp - bounceseal-config-docs, a build-time helper (not
// installed): prints the example configuration file or the key list of
// bounceseal.conf(5), both rendered from the one configuration table, so the
// shipped example, the man page and the parser cannot drift apart.
#include <cstdio>
#include <string_view>

#include "bounceseal/common/config.hpp"

int main(int argc, char** argv) {
    std::string_view what = argc == 2 ? argv[1] : "";
    std::string text;
    if (what == "--example") text = bounceseal::render_example_config();
    else if (what == "--man-keys") text = bounceseal::render_man_fragment();
    else {
        std::fprintf(stderr, "usage: bounceseal-config-docs --example|--man-keys\n");
        return 2;
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
}
