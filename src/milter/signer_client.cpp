// signer_client.cpp - requests to the signer process and their answers
// (see signer_client.hpp).
#include "signer_client.hpp"

#include <cerrno>
#include <cstring>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bounceseal/error.hpp"
#include "bounceseal/record.hpp"

namespace bounceseal::milter {

using Clock = std::chrono::steady_clock;

SignerClient::SignerClient(int fd) : fd_(fd) {}

SignerClient::~SignerClient() { close(fd_); }

void SignerClient::on_lost(LostHandler handler) {
    std::lock_guard lock(lost_mutex_);
    on_lost_ = std::move(handler);
}

void SignerClient::lose(const std::string& why) {
    LostHandler handler;
    {
        std::lock_guard lock(lost_mutex_);
        if (lost_.exchange(true)) return;
        lost_reason_ = why;
        handler = on_lost_;
    }
    // The signer reads end of file and exits, if it still can; the thread
    // reading in poll() wakes up, and so do the others.
    shutdown(fd_, SHUT_RDWR);
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, waiter] : waiting_) waiter->wake.notify_one();
    }
    if (handler) handler(why);
}

void SignerClient::fail(const std::string& why) {
    lose(why);
    std::lock_guard lock(lost_mutex_);
    throw Error(Errc::crypto, "the signer process is lost: " + lost_reason_);
}

SignerMessage SignerClient::receive(Clock::time_point deadline) {
    char buf[kMaxSignerMessage + 1];
    for (;;) {
        if (lost_) fail("");
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            fail("it did not answer within " + std::to_string(kSignerTimeout.count()) + " s");
        pollfd p{fd_, POLLIN, 0};
        const int ready = poll(&p, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno != EINTR) fail(std::string("poll: ") + std::strerror(errno));
        if (ready <= 0) continue;
        const ssize_t n = recv(fd_, buf, sizeof buf, MSG_TRUNC | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            fail(std::string("recv: ") + std::strerror(errno));
        }
        if (n == 0) fail("it closed its end of the socket (it has exited)");
        if (static_cast<std::size_t>(n) > kMaxSignerMessage) fail("it sent an oversized answer");
        std::optional<SignerMessage> m = decode_signer_message(std::string_view(buf, static_cast<std::size_t>(n)));
        if (!m) fail("it sent a malformed answer");
        return std::move(*m);
    }
}

SignerMessage SignerClient::round_trip(char code, std::string_view payload) {
    Waiter self;
    std::uint32_t id = 0;
    {
        std::lock_guard lock(mutex_);
        if (lost_) fail("");
        do {
            id = ++next_id_;
        } while (id == 0 || waiting_.count(id) != 0);  // 0 is the greeting's
        waiting_.emplace(id, &self);
    }
    std::unique_lock lock(mutex_, std::defer_lock);
    // Leaves the waiting list, handing the reading on, then fails (without
    // the mutex: fail() calls lose()).
    auto leave = [&] {
        waiting_.erase(id);
        if (!reading_ && !waiting_.empty()) waiting_.begin()->second->wake.notify_one();
    };
    auto give_up = [&](const std::string& why) {
        if (!lock.owns_lock()) lock.lock();
        leave();
        lock.unlock();
        fail(why);
    };
    const std::string request = encode_signer_message(id, code, payload);
    ssize_t n;
    do {
        n = send(fd_, request.data(), request.size(), MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(request.size()))
        give_up(std::string("cannot send it a request: ") + (n < 0 ? std::strerror(errno) : "short send"));

    const auto deadline = Clock::now() + kSignerTimeout;
    lock.lock();
    while (!self.answer) {
        if (lost_) give_up("");
        if (reading_) {
            if (self.wake.wait_until(lock, deadline) == std::cv_status::timeout && !self.answer && !lost_)
                give_up("it did not answer within " + std::to_string(kSignerTimeout.count()) + " s");
            continue;
        }
        reading_ = true;
        lock.unlock();
        std::optional<SignerMessage> m;
        try {
            m = receive(deadline);
        } catch (...) {
            lock.lock();
            reading_ = false;
            leave();
            throw;
        }
        lock.lock();
        reading_ = false;
        const auto owner = waiting_.find(m->id);
        if (owner == waiting_.end())
            give_up("it answered request " + std::to_string(m->id) + ", which is not waiting");
        owner->second->answer = std::move(*m);
        if (owner->second != &self) owner->second->wake.notify_one();
    }
    leave();
    return std::move(*self.answer);
}

SignerIdentity SignerClient::hello(std::chrono::milliseconds limit) {
    // Before any request: the greeting is the only thing to read.
    SignerMessage m;
    try {
        m = receive(Clock::now() + limit);
    } catch (const Error& e) {
        throw Error(Errc::io, std::string("the signer process did not start: ") + e.what());
    }
    if (m.id == 0 && m.code == signer_code::failed) throw Error(Errc::config, m.payload);
    if (m.id != 0 || m.code != signer_code::done) fail("its greeting is not one");
    try {
        return decode_identity(m.payload);
    } catch (const Error& e) {
        fail(e.what());
    }
}

Bytes SignerClient::sign(std::string_view record_text) {
    const SignerMessage m = round_trip(signer_code::sign, record_text);
    if (m.code == signer_code::done && m.payload.size() == kSignatureBytes) return Bytes(m.payload.begin(), m.payload.end());
    if (m.code == signer_code::refused || m.code == signer_code::failed)
        throw Error(Errc::crypto, "the signer refused the record: " + m.payload);
    fail("it answered a signing request with neither a signature nor a refusal");
}

SignerIdentity SignerClient::reload() {
    const SignerMessage m = round_trip(signer_code::reload, {});
    if (m.code == signer_code::failed || m.code == signer_code::refused) throw Error(Errc::config, m.payload);
    if (m.code != signer_code::done) fail("it answered a reload request with an unknown code");
    try {
        return decode_identity(m.payload);
    } catch (const Error& e) {
        fail(e.what());
    }
}

}  // namespace bounceseal::milter
