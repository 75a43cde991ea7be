// keys.hpp - Ed25519 signing keys, public keys and the keyring.
//
// A private key is a PKCS#8 PEM file that only its owner may read (a file
// readable or writable by group or other is refused, as OpenDKIM's
// RequireSafeKeys does). A keyring is a directory of SELECTOR.pub files
// (SubjectPublicKeyInfo PEM); the selector is the key id a seal names.
// Key material is never printed: only selectors, file names and fingerprints.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bounceseal/encoding.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace bounceseal {

class PublicKey {
public:
    // Loads a PEM public key; throws Error(Errc::key_invalid / io).
    static PublicKey load_pem_file(const std::filesystem::path& file);
    static PublicKey from_pem(std::string_view pem, std::string_view what);

    bool verify(std::string_view message, const Bytes& signature) const;
    std::string pem() const;
    // First 8 bytes of SHA-256 over the raw 32-byte key, hex: names a key
    // in logs without showing it.
    std::string fingerprint() const;

private:
    std::shared_ptr<::evp_pkey_st> key_;
    friend class PrivateKey;
};

class PrivateKey {
public:
    static PrivateKey generate();
    // Loads a PEM private key, refusing a file that group or other may read
    // or write (Errc::key_unsafe) unless `require_safe` is false.
    static PrivateKey load_pem_file(const std::filesystem::path& file, bool require_safe = true);
    static PrivateKey from_pem(std::string_view pem, std::string_view what);
    // A deterministic key from a 32-byte seed: for test vectors only.
    static PrivateKey from_seed(const Bytes& seed);

    Bytes sign(std::string_view message) const;
    PublicKey public_key() const;
    std::string private_pem() const;

private:
    std::shared_ptr<::evp_pkey_st> key_;
};

// Writes `pem` to `file` created with `mode`, failing if it exists.
void write_new_file(const std::filesystem::path& file, std::string_view content, unsigned mode);

// Trusted public keys by selector.
class Keyring {
public:
    struct Problem {
        std::filesystem::path file;
        std::string message;
    };

    // Loads every *.pub file of `dir`; a file that cannot be used is skipped
    // and listed in problems(). Throws Error(Errc::io) if `dir` cannot be
    // read at all.
    static Keyring load_dir(const std::filesystem::path& dir);

    void add(const std::string& selector, PublicKey key);
    const PublicKey* find(std::string_view selector) const;
    std::size_t size() const { return keys_.size(); }
    std::vector<std::string> selectors() const;
    const std::vector<Problem>& problems() const { return problems_; }

private:
    std::map<std::string, PublicKey, std::less<>> keys_;
    std::vector<Problem> problems_;
};

// True if `s` is a usable selector: 1-63 of [A-Za-z0-9._-], not starting
// with a dot (it becomes a file name).
bool valid_selector(std::string_view s);
// True if `d` is a usable signer domain: 1-253 of [A-Za-z0-9.-].
bool valid_domain(std::string_view d);

}  // namespace bounceseal
