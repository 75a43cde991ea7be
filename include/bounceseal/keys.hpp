// keys.hpp - Ed25519 signing keys, public keys and the keyring.
//
// A private key is a PKCS#8 PEM file that only its owner may read (a file
// readable or writable by group or other is refused, as OpenDKIM's
// RequireSafeKeys does). A keyring is a directory of SELECTOR.pub files:
// a "Domain: DOMAIN" line, then the SubjectPublicKeyInfo PEM block. The
// selector is the key id a seal names; the Domain line is the only signer
// domain the key vouches for. A file without it (the layout before the
// Domain line) still vouches for any domain, and says so in every use.
// Key material is never printed: only selectors, file names and fingerprints.
// Which domains and selectors are valid is key_id.hpp's rule.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bounceseal/encoding.hpp"
#include "bounceseal/key_id.hpp"  // the syntax of domains and selectors

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

// A public key file: the signer domain its Domain line names (empty for
// a file without one) and the key.
struct PublicKeyFile {
    std::string domain;
    PublicKey key;
};
// Parses a keyring file: blank lines, "# comment" lines and at most one
// "Domain: DOMAIN" line, then one PEM public key. Throws Error(key_invalid).
PublicKeyFile parse_public_key_file(std::string_view text, std::string_view what);
// The text bounceseal-keygen writes: the Domain line and the PEM block.
std::string public_key_file_text(std::string_view domain, const PublicKey& key);

// Trusted public keys: a directory read one file at a time, as seals name
// them, and keys added in memory (tests, tools).
class Keyring {
public:
    struct Problem {
        std::filesystem::path file;
        std::string message;
    };
    struct Match {
        PublicKey key;
        std::string source;       // the file, or "(in memory)", for logs
        bool any_domain = false;  // a file without a Domain line
    };
    struct Entry {
        std::string selector;
        std::string domain;  // empty: any domain (no Domain line)
        std::string fingerprint;
        std::filesystem::path file;
    };

    Keyring() = default;
    Keyring(const Keyring& other);
    Keyring& operator=(const Keyring& other);

    // A keyring over DIR. Touches nothing yet: the directory is checked
    // (check()) when a key is first needed, so mail that needs none never
    // depends on it.
    static Keyring open_dir(const std::filesystem::path& dir);

    // Throws Error(Errc::io) if the directory cannot be listed or holds no
    // SELECTOR.pub file: the verifier's own trouble, not the message's.
    // Done once; find() and list() call it.
    void check() const;

    // A key in memory that vouches for `domain` only.
    void add(std::string domain, std::string selector, PublicKey key);

    // The key that vouches for seals of d=`domain` s=`selector`, reading at
    // most the one file DIR/SELECTOR.pub; nullopt, with `why` set, when no
    // key does. Throws Error(Errc::io) when the directory fails check() or
    // that file exists but cannot be read.
    std::optional<Match> find(std::string_view domain, std::string_view selector, std::string& why) const;


    // Every key: the files of the directory, each read and checked, and
    // those added in memory. Files that cannot be used go to `problems`,
    // files without a Domain line too (as warnings), with the fix.
    std::vector<Entry> list(std::vector<Problem>& problems) const;

    // What find() met so far that the administrator must hear about: key
    // files without a Domain line that were used, files that could not be
    // used. Each once.
    std::vector<std::string> notes() const;

private:
    std::filesystem::path dir_;  // empty: in memory only
    struct Key {
        std::string domain;
        PublicKey key;
    };
    std::map<std::string, Key, std::less<>> added_;  // by selector
    mutable std::mutex notes_mutex_;  // guards notes_ and checked_
    mutable std::set<std::string> notes_;
    mutable bool checked_ = false;
    void note(std::string text) const;
};

}  // namespace bounceseal
