// signer_client.hpp - the worker's side of the signer process (signer.hpp):
// requests over the socketpair from any of libmilter's threads.
//
// Requests are pipelined: each thread sends its request (one datagram, so
// sends never interleave) and waits for the answer with its id. One of the
// waiting threads at a time reads the answers for all and hands each to
// its owner; when its own has come, another waiting thread takes over. So
// the signer finds every request queued since its last answer and signs
// them back to back, and no thread waits for another's round trip before
// it may even ask: under load a round trip costs a context switch or two,
// which one request at a time would add up (docs/PERFORMANCE.md has the
// figures). An answer that does not come within kSignerTimeout, an answer
// nobody asked for, or a closed socket means the signer is lost: the
// requests waiting and every later one fail at once (the caller follows
// OnError: plan_seal() signs before any change is sent), and the handler
// set with on_lost() is called once, so that the daemon can stop. It does
// not start, reap or kill the signer (startup.cpp does).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bounceseal/encoding.hpp"
#include "signer_protocol.hpp"

namespace bounceseal::milter {

class SignerClient {
public:
    using LostHandler = std::function<void(const std::string& why)>;

    explicit SignerClient(int fd);  // takes the descriptor over
    ~SignerClient();
    SignerClient(const SignerClient&) = delete;
    SignerClient& operator=(const SignerClient&) = delete;

    // The signer's first message: its identity, or Error(Errc::config)
    // with its reason (e.g. the key file is unsafe); Error(Errc::io) when
    // it does not come within `limit`.
    SignerIdentity hello(std::chrono::milliseconds limit);

    // The 64-byte signature over `record_text`. Throws Error(Errc::crypto)
    // when the signer refuses (the reason is in the message) or is lost.
    Bytes sign(std::string_view record_text);

    // Has the signer read the configuration and the key again; its new
    // identity. Throws Error(Errc::config) with the signer's reason when it
    // keeps its old key, Error(Errc::crypto) when it is lost.
    SignerIdentity reload();

    // Called once, from the thread that finds the signer lost.
    void on_lost(LostHandler handler);
    // Marks the signer lost (e.g. its process has ended) and shuts the
    // socket down, which wakes every request waiting for an answer. Not to
    // be called with the client's mutex held.
    void lose(const std::string& why);
    bool lost() const { return lost_.load(); }

private:
    SignerMessage round_trip(char code, std::string_view payload);
    // Reads the next answer; called by the one thread that reads, without
    // the mutex. Fails (lose, throw) at the deadline or a broken socket.
    SignerMessage receive(std::chrono::steady_clock::time_point deadline);
    [[noreturn]] void fail(const std::string& why);

    // A request waiting for its answer. Each has its own condition, so that
    // an answer wakes its owner only.
    struct Waiter {
        std::optional<SignerMessage> answer;
        std::condition_variable wake;  // its answer came, it is to read, or the signer is lost
    };

    const int fd_;
    std::mutex mutex_;  // guards what follows
    std::uint32_t next_id_ = 0;
    std::unordered_map<std::uint32_t, Waiter*> waiting_;
    bool reading_ = false;  // a waiting thread reads the answers
    std::atomic<bool> lost_{false};
    std::mutex lost_mutex_;  // the reason and the handler
    std::string lost_reason_;
    LostHandler on_lost_;
};

}  // namespace bounceseal::milter
