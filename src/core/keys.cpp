// keys.cpp - Ed25519 keys over OpenSSL EVP, the key file permission check,
// and the keyring directory. Key material only ever leaves this file as PEM
// written to a file the caller names; logs see selectors and fingerprints.
#include "bounceseal/keys.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "bounceseal/error.hpp"

namespace bounceseal {
namespace {

using Pkey = std::shared_ptr<EVP_PKEY>;

Pkey wrap(EVP_PKEY* k) { return Pkey(k, EVP_PKEY_free); }

struct BioFree {
    void operator()(BIO* b) const noexcept { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::string bio_string(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

void require_ed25519(const Pkey& k, std::string_view what) {
    if (EVP_PKEY_get_id(k.get()) != EVP_PKEY_ED25519)
        throw Error(Errc::key_invalid, std::string(what) + ": not an Ed25519 key");
}

// Reads a whole file through an already opened descriptor.
std::string read_fd(int fd, const std::filesystem::path& file) {
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error(Errc::io, file.string() + ": " + std::strerror(errno));
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > 64 * 1024) throw Error(Errc::key_invalid, file.string() + ": too large for a key file");
    }
    return out;
}

// Opens a key file and checks, on the opened descriptor (no race with a
// rename), that it is a regular file and, for private keys, that neither
// group nor other may read or write it.
std::string read_key_file(const std::filesystem::path& file, bool require_private_mode) {
    int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) throw Error(Errc::io, file.string() + ": " + std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        throw Error(Errc::io, file.string() + ": " + std::strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        throw Error(Errc::key_invalid, file.string() + ": not a regular file");
    }
    if (require_private_mode && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        close(fd);
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        throw Error(Errc::key_unsafe, file.string() + ": mode " + mode +
                                          " lets group or other access the private key; use chmod 600");
    }
    std::string text;
    try {
        text = read_fd(fd, file);
    } catch (...) {
        close(fd);
        throw;
    }
    close(fd);
    return text;
}

// The usual form of an Ed25519 public key file, as bounceseal-keygen and
// OpenSSL write it: one PEM block and nothing else, whose DER is the fixed
// 12-byte SubjectPublicKeyInfo prefix of RFC 8410 and the 32-byte key. Read
// here directly, because OpenSSL 3's PEM_read_bio_PUBKEY builds its whole
// decoder machinery for every call: about 1.5 ms, most of a verifier run
// that loads one key. Returns null for anything else (text around the
// block, PEM headers, another algorithm), which then goes to OpenSSL.
EVP_PKEY* plain_ed25519_pem(std::string_view pem) {
    constexpr std::string_view kBegin = "-----BEGIN PUBLIC KEY-----";
    constexpr std::string_view kEnd = "-----END PUBLIC KEY-----";
    constexpr unsigned char kSpkiPrefix[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                             0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    constexpr std::string_view kSpace = " \t\r\n";
    const auto first = pem.find_first_not_of(kSpace);
    const auto last = pem.find_last_not_of(kSpace);
    if (first == std::string_view::npos) return nullptr;
    pem = pem.substr(first, last - first + 1);
    if (!pem.starts_with(kBegin) || !pem.ends_with(kEnd)) return nullptr;
    pem = pem.substr(kBegin.size(), pem.size() - kBegin.size() - kEnd.size());
    std::string b64;
    for (char c : pem)
        if (kSpace.find(c) == std::string_view::npos) b64 += c;
    Bytes der;
    try {
        der = base64_decode(b64, "public key");
    } catch (const Error&) {
        return nullptr;
    }
    if (der.size() != sizeof kSpkiPrefix + 32 || std::memcmp(der.data(), kSpkiPrefix, sizeof kSpkiPrefix) != 0)
        return nullptr;
    return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, der.data() + sizeof kSpkiPrefix, 32);
}

}  // namespace

PublicKey PublicKey::from_pem(std::string_view pem, std::string_view what) {
    if (EVP_PKEY* k = plain_ed25519_pem(pem)) {
        PublicKey pk;
        pk.key_ = wrap(k);
        return pk;
    }
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) throw Error(Errc::crypto, "out of memory reading a key");
    EVP_PKEY* k = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
    if (k == nullptr) throw Error(Errc::key_invalid, std::string(what) + ": not a PEM public key");
    PublicKey pk;
    pk.key_ = wrap(k);
    require_ed25519(pk.key_, what);
    return pk;
}

PublicKey PublicKey::load_pem_file(const std::filesystem::path& file) {
    return from_pem(read_key_file(file, false), file.string());
}

bool PublicKey::verify(std::string_view message, const Bytes& signature) const {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1)
        throw Error(Errc::crypto, "signature verification could not start");
    return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

std::string PublicKey::pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1)
        throw Error(Errc::crypto, "cannot write a public key");
    return bio_string(bio.get());
}

std::string PublicKey::fingerprint() const {
    unsigned char raw[32];
    std::size_t len = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key_.get(), raw, &len) != 1)
        throw Error(Errc::crypto, "cannot read a public key");
    Bytes d = sha256(std::string_view(reinterpret_cast<const char*>(raw), len));
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < 8; ++i) {
        out += hex[d[i] >> 4];
        out += hex[d[i] & 15];
    }
    return out;
}

PrivateKey PrivateKey::generate() {
    EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (k == nullptr) throw Error(Errc::crypto, "Ed25519 key generation failed");
    PrivateKey pk;
    pk.key_ = wrap(k);
    return pk;
}

PrivateKey PrivateKey::from_pem(std::string_view pem, std::string_view what) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) throw Error(Errc::crypto, "out of memory reading a key");
    // An empty passphrase callback: an encrypted key fails instead of prompting.
    EVP_PKEY* k = PEM_read_bio_PrivateKey(
        bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr);
    if (k == nullptr) throw Error(Errc::key_invalid, std::string(what) + ": not an unencrypted PEM private key");
    PrivateKey pk;
    pk.key_ = wrap(k);
    require_ed25519(pk.key_, what);
    return pk;
}

PrivateKey PrivateKey::load_pem_file(const std::filesystem::path& file, bool require_safe) {
    return from_pem(read_key_file(file, require_safe), file.string());
}

PrivateKey PrivateKey::from_seed(const Bytes& seed) {
    if (seed.size() != 32) throw Error(Errc::usage, "an Ed25519 seed has 32 bytes");
    EVP_PKEY* k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size());
    if (k == nullptr) throw Error(Errc::crypto, "cannot make a key from a seed");
    PrivateKey pk;
    pk.key_ = wrap(k);
    return pk;
}

Bytes PrivateKey::sign(std::string_view message) const {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1)
        throw Error(Errc::crypto, "signing could not start");
    Bytes sig(64);
    std::size_t len = sig.size();
    if (EVP_DigestSign(ctx.get(), sig.data(), &len, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) != 1 ||
        len != 64)
        throw Error(Errc::crypto, "signing failed");
    return sig;
}

PublicKey PrivateKey::public_key() const {
    unsigned char raw[32];
    std::size_t len = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key_.get(), raw, &len) != 1)
        throw Error(Errc::crypto, "cannot derive the public key");
    EVP_PKEY* k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw, len);
    if (k == nullptr) throw Error(Errc::crypto, "cannot derive the public key");
    PublicKey pub;
    pub.key_ = wrap(k);
    return pub;
}

std::string PrivateKey::private_pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throw Error(Errc::crypto, "cannot write a private key");
    return bio_string(bio.get());
}

void write_new_file(const std::filesystem::path& file, std::string_view content, unsigned mode) {
    int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) throw Error(Errc::io, file.string() + ": " + std::strerror(errno));
    // The umask may have cleared bits the caller asked for; set them exactly.
    if (fchmod(fd, mode) != 0) {
        int e = errno;
        close(fd);
        throw Error(Errc::io, file.string() + ": " + std::strerror(e));
    }
    std::size_t done = 0;
    while (done < content.size()) {
        ssize_t n = write(fd, content.data() + done, content.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            throw Error(Errc::io, file.string() + ": " + std::strerror(e));
        }
        done += static_cast<std::size_t>(n);
    }
    if (fsync(fd) != 0 || close(fd) != 0) throw Error(Errc::io, file.string() + ": " + std::strerror(errno));
}

Keyring Keyring::load_dir(const std::filesystem::path& dir) {
    Keyring ring;
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec), end;
    if (ec) throw Error(Errc::io, dir.string() + ": " + ec.message());
    for (; it != end; it.increment(ec)) {
        if (ec) throw Error(Errc::io, dir.string() + ": " + ec.message());
        const auto& path = it->path();
        if (path.extension() != ".pub") continue;
        std::string selector = path.stem().string();
        if (!valid_selector(selector)) {
            ring.problems_.push_back({path, "file name is not a valid selector"});
            continue;
        }
        try {
            ring.add(selector, PublicKey::load_pem_file(path));
        } catch (const Error& e) {
            ring.problems_.push_back({path, e.what()});
        }
    }
    return ring;
}

void Keyring::add(const std::string& selector, PublicKey key) { keys_.insert_or_assign(selector, std::move(key)); }

const PublicKey* Keyring::find(std::string_view selector) const {
    auto it = keys_.find(selector);
    return it == keys_.end() ? nullptr : &it->second;
}

std::vector<std::string> Keyring::selectors() const {
    std::vector<std::string> out;
    for (const auto& [s, k] : keys_) out.push_back(s);
    return out;
}

bool valid_selector(std::string_view s) {
    if (s.empty() || s.size() > 63 || s.front() == '.') return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-'))
            return false;
    return true;
}

bool valid_domain(std::string_view d) {
    if (d.empty() || d.size() > 253 || d.front() == '.' || d.front() == '-') return false;
    for (char c : d)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return false;
    return true;
}

}  // namespace bounceseal
