// encoding.hpp - byte strings, base64, SHA-256, randomness, constant-time
// comparison: the small primitives the seal format is built from.
//
// All crypto goes through OpenSSL's EVP interface; randomness comes from the
// kernel (getrandom). Nothing here knows about mail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace bounceseal {

using Bytes = std::vector<std::uint8_t>;

// Standard base64 (RFC 4648 section 4) with padding, no line breaks.
std::string base64_encode(const std::uint8_t* data, std::size_t len);
inline std::string base64_encode(const Bytes& b) { return base64_encode(b.data(), b.size()); }

// Strict decoding: the alphabet and padding of RFC 4648 section 4 only, no
// white space. Throws Error(Errc::malformed) naming `what` on anything else.
Bytes base64_decode(std::string_view text, std::string_view what);

// SHA-256 of a byte string (one shot).
Bytes sha256(std::string_view data);

// Streaming SHA-256 over EVP. Movable, not copyable.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&& other) noexcept;
    Sha256& operator=(Sha256&& other) noexcept;
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(const void* data, std::size_t len);
    void update(std::string_view s) { update(s.data(), s.size()); }
    Bytes finish();  // the context may not be used afterwards

private:
    ::evp_md_ctx_st* ctx_;
};

// `n` bytes from the kernel's CSPRNG (getrandom). Throws Error(Errc::crypto).
Bytes random_bytes(std::size_t n);

// Constant-time equality of two byte strings (CRYPTO_memcmp); lengths are
// compared first, which leaks only the length.
bool ct_equal(const Bytes& a, const Bytes& b) noexcept;

// ASCII lower-casing, for addresses, tag names and header field names:
// A-Z only, every other byte as it is (no locale). The one rule of case;
// text.hpp's comparisons use it.
constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
std::string ascii_lower(std::string_view s);

}  // namespace bounceseal
