// signer_client.hpp - the worker's side of the signer process (signer.hpp):
// requests over the socketpair from any of libmilter's threads.
//
// A request holds the client's mutex from sending it to reading its answer.
// The signer answers one request at a time anyway, and a round trip (a
// record of about 300 bytes out, 64 bytes back, one Ed25519 signature in
// between) is short next to the work on the message around it, so a queue
// of requests in flight would add code but no throughput; the figures are
// in docs/PERFORMANCE.md. An answer that does not come within
// kSignerTimeout, an answer to another request, or a closed socket means the
// signer is lost: that request and every later one fail at once (the caller
// follows OnError: plan_seal() signs before any change is sent), and the
// handler set with on_lost() is called once, so that the daemon can stop.
// It does not start, reap or kill the signer (startup.cpp does).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

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
    // socket down, which wakes a request waiting for an answer.
    void lose(const std::string& why);
    bool lost() const { return lost_.load(); }

private:
    SignerMessage round_trip(char code, std::string_view payload);
    SignerMessage receive(std::chrono::steady_clock::time_point deadline);
    [[noreturn]] void fail(const std::string& why);

    const int fd_;
    std::mutex mutex_;  // one request at a time
    std::uint32_t next_id_ = 0;
    std::atomic<bool> lost_{false};
    std::mutex lost_mutex_;  // the reason and the handler
    std::string lost_reason_;
    LostHandler on_lost_;
};

}  // namespace bounceseal::milter
