// signer.cpp - the signer process (see signer.hpp): from the fork to its
// exit. Everything here runs in the child, except start_signer()'s parent
// half; nothing here logs, since the signer may not open a socket to
// syslog: what went wrong travels to the worker in the answer.
#include "signer.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bounceseal/error.hpp"
#include "bounceseal/record.hpp"
#include "signer_protocol.hpp"

namespace bounceseal::milter {
namespace {

// The signer's end of the socketpair, after it has closed everything else.
constexpr int kChannel = 3;

// Ends the signer by the bare system call: no exit handler of the program,
// of a library or of a sanitizer runs (they are the worker's, and some make
// system calls the filter forbids).
[[noreturn]] void exit_signer(int status) {
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

struct LoadedKey {
    SignerIdentity identity;
    PrivateKey key;
};

LoadedKey load_key(const MilterSettings& settings) {
    PrivateKey key = load_signing_key(settings);
    SignerIdentity identity{settings.domain, settings.selector, key.public_key()};
    return {std::move(identity), std::move(key)};
}

// The key in use, and the one it replaced at the last reload: messages the
// worker began before the reload name the old d= and s= and are still
// signed with the old key, so a rotation under load loses none. A key is
// kept for one reload only.
class Keys {
public:
    explicit Keys(LoadedKey current) : current_(std::move(current)) {}

    const LoadedKey& current() const { return current_; }

    const PrivateKey* find(std::string_view domain, std::string_view selector) const {
        if (names(current_, domain, selector)) return &current_.key;
        if (previous_ && names(*previous_, domain, selector)) return &previous_->key;
        return nullptr;
    }

    void replace(LoadedKey next) {
        if (names(current_, next.identity.domain, next.identity.selector)) previous_.reset();
        else previous_ = std::move(current_);
        current_ = std::move(next);
    }

private:
    static bool names(const LoadedKey& k, std::string_view domain, std::string_view selector) {
        return k.identity.domain == domain && k.identity.selector == selector;
    }

    LoadedKey current_;
    std::optional<LoadedKey> previous_;
};

std::string refuse(std::uint32_t id, const std::string& why) {
    return encode_signer_message(id, signer_code::refused, why);
}

std::string sign_answer(const Keys& keys, std::uint32_t id, std::string_view text) {
    Record record;
    try {
        record = parse_record_text(text);
    } catch (const Error& e) {
        return refuse(id, std::string("not a seal record: ") + e.what());
    }
    // The signature covers exactly the canonical bytes, never a variant the
    // parser merely tolerates (CRLF, trailing blanks).
    if (record_text(record) != text) return refuse(id, "not a seal record in canonical form");
    const PrivateKey* key = keys.find(record.domain, record.selector);
    if (key == nullptr)
        return refuse(id, "d=" + record.domain + " s=" + record.selector + " is not this signer's key");
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    if (record.timestamp > now + kMaxClockDistance || record.timestamp < now - kMaxClockDistance)
        return refuse(id, "t=" + std::to_string(record.timestamp) + " is more than " +
                              std::to_string(kMaxClockDistance) + " s from the signer's clock (" +
                              std::to_string(now) + ")");
    const Bytes signature = key->sign(text);
    return encode_signer_message(id, signer_code::done,
                                 std::string_view(reinterpret_cast<const char*>(signature.data()), signature.size()));
}

std::string reload_answer(Keys& keys, const LoadOptions& options, std::uint32_t id) {
    try {
        const Settings settings = load_settings(options);
        keys.replace(load_key(settings.milter));
        return encode_signer_message(id, signer_code::done, encode_identity(keys.current().identity));
    } catch (const std::exception& e) {
        return encode_signer_message(id, signer_code::failed, e.what());
    }
}

std::string answer(Keys& keys, const LoadOptions& options, std::string_view datagram) {
    if (datagram.size() > kMaxSignerMessage) return refuse(0, "request too long");
    const std::optional<SignerMessage> m = decode_signer_message(datagram);
    if (!m) return refuse(0, "a request has an id and a code");
    switch (m->code) {
    case signer_code::sign: return sign_answer(keys, m->id, m->payload);
    case signer_code::reload:
        if (!m->payload.empty()) return refuse(m->id, "a reload request has no payload");
        return reload_answer(keys, options, m->id);
    default: return refuse(m->id, "unknown request");
    }
}

bool send_datagram(const std::string& data) {
    ssize_t n;
    do {
        n = send(kChannel, data.data(), data.size(), MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n == static_cast<ssize_t>(data.size());
}

[[noreturn]] void serve(Keys& keys, const LoadOptions& options) {
    std::vector<char> buf(kMaxSignerMessage + 1);
    for (;;) {
        // MSG_TRUNC: the datagram's real length, so an oversized one is
        // refused instead of being read cut short.
        const ssize_t n = recv(kChannel, buf.data(), buf.size(), MSG_TRUNC);
        if (n == 0) exit_signer(0);  // the worker closed its end
        if (n < 0) {
            if (errno == EINTR) continue;
            exit_signer(1);
        }
        // A watchdog: a request that takes longer than the worker waits
        // for it ends this process (SIGALRM's default action), so that a
        // signer stuck in a loop does not outlive the worker that gave up.
        alarm(static_cast<unsigned>(kSignerTimeout.count()));
        std::string reply;
        try {
            reply = answer(keys, options, std::string_view(buf.data(), std::min(static_cast<std::size_t>(n), buf.size())));
        } catch (const std::exception& e) {
            reply = encode_signer_message(0, signer_code::failed, e.what());
        }
        if (!send_datagram(reply)) exit_signer(1);
        alarm(0);
    }
}

// Every descriptor but the channel goes: the listening socket, the
// daemon's start-up pipe, whatever a library opened before the fork.
void keep_only_channel(int fd) {
    if (fd != kChannel) {
        if (dup2(fd, kChannel) < 0) exit_signer(1);
        close(fd);
    }
    if (close_range(kChannel + 1, ~0U, 0) != 0) {
        const long max = sysconf(_SC_OPEN_MAX);
        for (long i = kChannel + 1; i < (max > 0 ? max : 1024); ++i) close(static_cast<int>(i));
    }
}

[[noreturn]] void signer_main(int fd, const LoadOptions& options, const MilterSettings& settings,
                              const SignerCredentials& credentials) noexcept {
    keep_only_channel(fd);
    try {
        prctl(PR_SET_NAME, "milter-signer", 0, 0, 0);
        drop_to_signer(credentials);
        Keys keys(load_key(settings));
        // One signature before the filter: OpenSSL fetches and initialises
        // what Ed25519 needs (its configuration file, its provider) now,
        // while it may still open and map what it likes.
        (void)keys.current().key.sign("bounceseal signer start");
        install_signer_filter();
        if (!send_datagram(encode_signer_message(0, signer_code::done, encode_identity(keys.current().identity))))
            exit_signer(1);
        serve(keys, options);
    } catch (const std::exception& e) {
        send_datagram(encode_signer_message(0, signer_code::failed, e.what()));
    } catch (...) {
        send_datagram(encode_signer_message(0, signer_code::failed, "unknown error"));
    }
    exit_signer(1);
}

}  // namespace

PrivateKey load_signing_key(const MilterSettings& settings) {
    if (!valid_domain(settings.domain)) throw Error(Errc::config, "Domain: not a valid signer domain");
    if (!valid_selector(settings.selector)) throw Error(Errc::config, "Selector: not a valid selector");
    if (settings.key_file.empty()) throw Error(Errc::config, "KeyFile: not set");
    try {
        return PrivateKey::load_pem_file(settings.key_file, settings.require_safe_keys);
    } catch (const Error& e) {
        // The message names the file; this says which setting named it.
        throw Error(e.code(), std::string("KeyFile: ") + e.what());
    }
}

SignerProcess start_signer(const LoadOptions& options, const MilterSettings& settings,
                           const SignerCredentials& credentials) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
        throw Error(Errc::io, std::string("socketpair for the signer: ") + std::strerror(errno));
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) {
        const int e = errno;
        close(fds[0]);
        close(fds[1]);
        throw Error(Errc::io, std::string("fork of the signer: ") + std::strerror(e));
    }
    if (pid == 0) {
        close(fds[0]);
        signer_main(fds[1], options, settings, credentials);
    }
    close(fds[1]);
    return {pid, fds[0]};
}

}  // namespace bounceseal::milter
