// keys.cpp - Ed25519 keys over OpenSSL EVP, the key file permission check,
// the public key file (Domain line and PEM block), and the keyring: a
// directory from which a verifier reads only the file a seal names. Key
// material only ever leaves this file as PEM written to a file the caller
// names; logs see selectors, domains, file names and fingerprints.
#include "bounceseal/keys.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "bounceseal/error.hpp"
#include "bounceseal/text.hpp"

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
// A file that does not exist gives nullopt when `missing_ok`.
std::optional<std::string> read_key_file(const std::filesystem::path& file, bool require_private_mode,
                                         bool missing_ok) {
    int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0 && missing_ok && (errno == ENOENT || errno == ENOTDIR)) return std::nullopt;
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
    pem = trim(pem);
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
    return from_pem(*read_key_file(file, false, false), file.string());
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
    return from_pem(*read_key_file(file, require_safe, false), file.string());
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

PublicKeyFile parse_public_key_file(std::string_view text, std::string_view what) {
    constexpr std::string_view kBegin = "-----BEGIN ";
    PublicKeyFile f;
    bool have_domain = false;
    std::size_t pos = 0;
    while (pos < text.size() && text.compare(pos, kBegin.size(), kBegin) != 0) {
        std::size_t nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
        if (line.empty() || line.front() == '#') continue;
        constexpr std::string_view kDomain = "domain:";
        if (line.size() > kDomain.size() && ascii_lower(line.substr(0, kDomain.size())) == kDomain) {
            std::string_view d = line.substr(kDomain.size());
            while (!d.empty() && (d.front() == ' ' || d.front() == '\t')) d.remove_prefix(1);
            if (have_domain) throw Error(Errc::key_invalid, std::string(what) + ": more than one Domain line");
            if (!valid_domain(d)) throw Error(Errc::key_invalid, std::string(what) + ": Domain line: not a domain");
            f.domain = ascii_lower(d);
            have_domain = true;
            continue;
        }
        throw Error(Errc::key_invalid, std::string(what) + ": a line before the key that is no \"Domain:\" line");
    }
    f.key = PublicKey::from_pem(text.substr(pos), what);
    return f;
}

std::string public_key_file_text(std::string_view domain, const PublicKey& key) {
    if (!valid_domain(domain)) throw Error(Errc::usage, "public key file: invalid domain");
    return "Domain: " + ascii_lower(domain) + "\n" + key.pem();
}

Keyring::Keyring(const Keyring& other) : dir_(other.dir_), added_(other.added_) {
    std::lock_guard lock(other.notes_mutex_);
    notes_ = other.notes_;
    checked_ = other.checked_;
}

Keyring& Keyring::operator=(const Keyring& other) {
    if (this == &other) return *this;
    dir_ = other.dir_;
    added_ = other.added_;
    std::set<std::string> notes;
    bool checked = false;
    {
        std::lock_guard lock(other.notes_mutex_);
        notes = other.notes_;
        checked = other.checked_;
    }
    std::lock_guard lock(notes_mutex_);
    notes_ = std::move(notes);
    checked_ = checked;
    return *this;
}

namespace {

struct DirCloser {
    void operator()(DIR* d) const noexcept { closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

DirPtr open_directory(const std::filesystem::path& dir) {
    DirPtr d(opendir(dir.c_str()));
    if (!d) throw Error(Errc::io, dir.string() + ": " + std::strerror(errno));
    return d;
}

// The selector a directory entry names, if it is a SELECTOR.pub file name.
std::optional<std::string> selector_of(std::string_view name) {
    constexpr std::string_view kSuffix = ".pub";
    if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) return std::nullopt;
    return std::string(name.substr(0, name.size() - kSuffix.size()));
}

std::string flat_key_note(const std::filesystem::path& file, const std::string& domain) {
    return "key file " + file.string() + " has no Domain line, so it vouches for any signer domain (here " + domain +
           "); put \"Domain: <its signer domain>\" above the key";
}

}  // namespace

Keyring Keyring::open_dir(const std::filesystem::path& dir) {
    Keyring ring;
    ring.dir_ = dir;
    return ring;
}

void Keyring::check() const {
    if (dir_.empty()) return;
    {
        std::lock_guard lock(notes_mutex_);
        if (checked_) return;
    }
    DirPtr d = open_directory(dir_);
    bool any = false;
    while (const dirent* e = readdir(d.get()))
        if (selector_of(e->d_name)) {
            any = true;
            break;
        }
    if (!any) throw Error(Errc::io, dir_.string() + ": no key file (SELECTOR.pub)");
    std::lock_guard lock(notes_mutex_);
    checked_ = true;
}

void Keyring::add(std::string domain, std::string selector, PublicKey key) {
    added_.insert_or_assign(std::move(selector), Key{ascii_lower(domain), std::move(key)});
}

void Keyring::note(std::string text) const {
    std::lock_guard lock(notes_mutex_);
    notes_.insert(std::move(text));
}

std::vector<std::string> Keyring::notes() const {
    std::lock_guard lock(notes_mutex_);
    return {notes_.begin(), notes_.end()};
}

std::optional<Keyring::Match> Keyring::find(std::string_view domain, std::string_view selector,
                                            std::string& why) const {
    const std::string d = ascii_lower(domain);
    if (auto it = added_.find(selector); it != added_.end()) {
        if (it->second.domain == d) return Match{it->second.key, "(in memory)", false};
        why = "the key of selector '" + std::string(selector) + "' vouches for " + it->second.domain + ", not " + d;
        return std::nullopt;
    }
    if (dir_.empty() || !valid_selector(selector)) {
        why = "no trusted key for selector '" + std::string(selector) + "'";
        return std::nullopt;
    }
    check();
    const std::filesystem::path file = dir_ / (std::string(selector) + ".pub");
    std::optional<std::string> text = read_key_file(file, false, true);
    if (!text) {
        why = "no trusted key for selector '" + std::string(selector) + "' (no " + file.string() + ")";
        return std::nullopt;
    }
    PublicKeyFile f;
    try {
        f = parse_public_key_file(*text, file.string());
    } catch (const Error& e) {
        note(std::string("key file skipped: ") + e.what());
        why = std::string("the key file cannot be used: ") + e.what();
        return std::nullopt;
    }
    if (f.domain.empty()) {
        note(flat_key_note(file, d));
        return Match{f.key, file.string(), true};
    }
    if (f.domain != d) {
        why = "key file " + file.string() + " vouches for " + f.domain + ", not " + d;
        return std::nullopt;
    }
    return Match{f.key, file.string(), false};
}

std::vector<Keyring::Entry> Keyring::list(std::vector<Problem>& problems) const {
    std::vector<Entry> out;
    for (const auto& [selector, k] : added_) out.push_back({selector, k.domain, k.key.fingerprint(), "(in memory)"});
    if (dir_.empty()) return out;
    check();
    DirPtr d = open_directory(dir_);
    std::vector<std::string> names;
    while (const dirent* e = readdir(d.get()))
        if (selector_of(e->d_name)) names.emplace_back(e->d_name);
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
        const std::filesystem::path file = dir_ / name;
        const std::string selector = *selector_of(name);
        if (!valid_selector(selector)) {
            problems.push_back({file, "file name is not a valid selector"});
            continue;
        }
        try {
            PublicKeyFile f = parse_public_key_file(*read_key_file(file, false, false), file.string());
            if (f.domain.empty())
                problems.push_back({file, "has no Domain line, so it vouches for any signer domain; put \"Domain: "
                                          "<its signer domain>\" above the key"});
            out.push_back({selector, f.domain, f.key.fingerprint(), file});
        } catch (const Error& e) {
            problems.push_back({file, e.what()});
        }
    }
    return out;
}

}  // namespace bounceseal
