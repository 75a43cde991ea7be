// error.hpp - the one exception type of the core library.
//
// Every failure the core library reports (a bad key file, a malformed seal,
// an OpenSSL or GMime error, a limit exceeded) is an Error carrying an Errc
// that says what kind of thing went wrong, and a message with the context
// (file name, field, limit) that a person needs. Front ends map Errc to their
// own policy (milter: OnError; verifier: a verdict or EX_TEMPFAIL).
// Verification outcomes are not errors (verify.hpp), nor are the reasons
// not to seal a message (seal.hpp's SealSkip).
#pragma once

#include <stdexcept>
#include <string>

namespace bounceseal {

enum class Errc {
    io,           // a file or stream could not be read or written
    crypto,       // OpenSSL failed (key generation, signing, hashing)
    key_invalid,  // a key file is not an Ed25519 key in PEM form
    key_unsafe,   // a private key file is readable or writable by group/other
    config,       // the configuration is invalid
    malformed,    // a seal record, header or part does not follow FORMAT.md
    mime,         // the message could not be parsed or rebuilt as MIME
    limit,        // a size, depth or count limit was exceeded
    usage,        // a caller passed arguments the API does not accept
};

// Short stable name of an Errc ("key-unsafe"), for logs and test output.
const char* errc_name(Errc code) noexcept;

class Error : public std::runtime_error {
public:
    Error(Errc code, const std::string& what) : std::runtime_error(what), code_(code) {}
    Errc code() const noexcept { return code_; }

private:
    Errc code_;
};

}  // namespace bounceseal
