// error.cpp - names of the core library's error kinds.
#include "bounceseal/error.hpp"

namespace bounceseal {

const char* errc_name(Errc code) noexcept {
    switch (code) {
    case Errc::io: return "io";
    case Errc::crypto: return "crypto";
    case Errc::key_invalid: return "key-invalid";
    case Errc::key_unsafe: return "key-unsafe";
    case Errc::config: return "config";
    case Errc::malformed: return "malformed";
    case Errc::mime: return "mime";
    case Errc::limit: return "limit";
    case Errc::usage: return "usage";
    }
    return "unknown";
}

}  // namespace bounceseal
