// entry.cpp - the libFuzzer entry point of one fuzz target; the build
// compiles it once per target with BOUNCESEAL_FUZZ_CHECK naming the check
// (checks.hpp). A PropertyViolation is not caught: it ends the process
// through std::terminate, which libFuzzer reports as a crash with the
// violation's text and keeps the input as a reproducer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <glib.h>

#include "bounceseal/mime.hpp"
#include "checks.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    bounceseal::mime_init();
    // GMime warns on every oddity of hostile input; the noise would bury
    // libFuzzer's own reports. Criticals stay on: they are bugs.
    g_log_set_handler("gmime", G_LOG_LEVEL_WARNING, [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {},
                      nullptr);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    bounceseal::fuzz::BOUNCESEAL_FUZZ_CHECK(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
