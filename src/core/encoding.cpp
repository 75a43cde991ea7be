// encoding.cpp - base64, SHA-256, kernel randomness and constant-time
// comparison over OpenSSL. No mail knowledge here.
#include "bounceseal/encoding.hpp"

#include <cerrno>
#include <cstring>

#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "bounceseal/error.hpp"

namespace bounceseal {
namespace {

// Fetched once: EVP_sha256() would look the implementation up on every init.
const EVP_MD* sha256_md() {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (md == nullptr) throw Error(Errc::crypto, "OpenSSL has no SHA-256 implementation");
    return md;
}

bool is_b64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

}  // namespace

std::string base64_encode(const std::uint8_t* data, std::size_t len) {
    std::string out(4 * ((len + 2) / 3), '\0');
    if (len == 0) return out;
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

Bytes base64_decode(std::string_view text, std::string_view what) {
    auto bad = [&](const char* why) {
        return Error(Errc::malformed, std::string(what) + ": not valid base64 (" + why + ")");
    };
    if (text.size() % 4 != 0) throw bad("length is not a multiple of 4");
    std::size_t pad = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '=') {
            if (i + 2 < text.size()) throw bad("padding before the end");
            ++pad;
        } else if (pad != 0 || !is_b64_char(c)) {
            throw bad("character outside the alphabet");
        }
    }
    Bytes out(text.size() / 4 * 3);
    if (text.empty()) return out;
    int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
    if (n < 0) throw bad("decoder refused it");
    out.resize(static_cast<std::size_t>(n) - pad);  // EVP_DecodeBlock counts padding as zeros
    return out;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr || EVP_DigestInit_ex2(ctx_, sha256_md(), nullptr) != 1) {
        EVP_MD_CTX_free(ctx_);
        throw Error(Errc::crypto, "SHA-256 initialisation failed");
    }
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

Sha256::Sha256(Sha256&& other) noexcept : ctx_(other.ctx_) { other.ctx_ = nullptr; }

Sha256& Sha256::operator=(Sha256&& other) noexcept {
    if (this != &other) {
        EVP_MD_CTX_free(ctx_);
        ctx_ = other.ctx_;
        other.ctx_ = nullptr;
    }
    return *this;
}

void Sha256::update(const void* data, std::size_t len) {
    if (len != 0 && EVP_DigestUpdate(ctx_, data, len) != 1)
        throw Error(Errc::crypto, "SHA-256 update failed");
}

Bytes Sha256::finish() {
    Bytes out(32);
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(ctx_, out.data(), &n) != 1 || n != 32)
        throw Error(Errc::crypto, "SHA-256 finalisation failed");
    return out;
}

Bytes sha256(std::string_view data) {
    Sha256 h;
    h.update(data);
    return h.finish();
}

Bytes random_bytes(std::size_t n) {
    Bytes out(n);
    std::size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(out.data() + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            throw Error(Errc::crypto, std::string("getrandom failed: ") + std::strerror(errno));
        }
        got += static_cast<std::size_t>(r);
    }
    return out;
}

bool ct_equal(const Bytes& a, const Bytes& b) noexcept {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

}  // namespace bounceseal
