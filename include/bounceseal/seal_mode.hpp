// seal_mode.hpp - the one definition of SealMode: where a sealer puts the
// seal (docs/FORMAT.md 6.1). The sealer (seal.hpp) acts on it; the
// configuration (config.hpp) and bounceseal-sign read its names, through the
// one parser of configuration values. Nothing else here.
#pragma once

namespace bounceseal {

// The enumerators are in the order of the names the configuration lists
// for them ("full", "append-only", "header").
enum class SealMode {
    full,         // header field, and the seal parts on every message: appended
                  // to a multipart/mixed, otherwise the message wrapped (default)
    append_only,  // header field; the seal parts only appended to a message
                  // that already is multipart/mixed, never wrapping
    header_only,  // header field only: the body is never touched
};

}  // namespace bounceseal
