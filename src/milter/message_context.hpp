// message_context.hpp - the state of one message between MAIL FROM and the
// end of the message: the configuration snapshot it is handled with, the
// envelope, the policy decision, and the header fields and body it buffers
// for sealing.
//
// Buffering stops at MaxMessageSize: a message over the limit frees its
// buffer and is passed on unsealed. The body grows geometrically (or is
// reserved up front from the size the client announced), so a 50 MB body
// is copied a bounded number of times, never once per chunk. Nothing here
// talks to libmilter or logs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bounceseal/seal.hpp"
#include "counters.hpp"
#include "policy.hpp"

namespace bounceseal::milter {

struct Runtime;

// A body held in memory up to a limit.
class BodyBuffer {
public:
    explicit BodyBuffer(std::size_t limit) : limit_(limit) {}

    // Reserves room for about `expected` bytes (capped at the limit).
    void reserve_for(std::uint64_t expected);
    // Appends; false (and the buffer released) when the body would pass
    // the limit.
    bool append(const char* data, std::size_t len);
    void release() noexcept;

    std::string_view view() const noexcept { return data_; }
    std::size_t size() const noexcept { return data_.size(); }
    std::size_t capacity() const noexcept { return data_.capacity(); }
    std::size_t limit() const noexcept { return limit_; }
    // How often the storage was reallocated, for tests of the growth policy.
    std::size_t reallocations() const noexcept { return reallocations_; }

private:
    std::string data_;
    std::size_t limit_;
    std::size_t reallocations_ = 0;
};

class MessageContext {
public:
    enum class State {
        collecting,  // sealing wanted: header and body are buffered
        skipped,     // decided not to seal; `skip_reason` says why
        failed,      // an internal error while collecting; OnError applies
    };

    explicit MessageContext(std::shared_ptr<const Runtime> runtime);

    const Runtime& runtime() const noexcept { return *runtime_; }
    const std::shared_ptr<const Runtime>& runtime_ptr() const noexcept { return runtime_; }

    // Queue id for log lines; "NOQUEUE" until the MTA has named one.
    const std::string& queue_id() const noexcept { return queue_id_; }
    bool has_queue_id() const noexcept { return has_queue_id_; }
    void set_queue_id(const char* qid);  // ignores null and empty

    Envelope envelope;
    PolicyDecision decision;
    State state = State::collecting;
    Counter skip_counter = Counter::skipped_external;  // State::skipped: the skip reason's counter
    std::string skip_reason;   // for the log line, safe to log
    bool logged = false;       // the decision's log line has been written
    std::string error;         // State::failed: what went wrong

    void skip(Counter counter, std::string reason);
    void fail(std::string what);

    // The size the client announced (SIZE= or {msg_size}), if any.
    std::optional<std::uint64_t> size_hint;
    // True if the announced size already exceeds MaxMessageSize.
    bool announced_too_large() const;

    // Buffers one header field; `value` as it follows the colon, with its
    // leading white space. False once the message passes MaxMessageSize.
    bool add_header(std::string name, std::string value);
    // Reserves the body buffer from the announced size, at end of header.
    void prepare_body();
    // False once the message passes MaxMessageSize (the buffers are freed).
    bool append_body(const char* data, std::size_t len);

    const std::vector<HeaderField>& headers() const noexcept { return headers_; }
    std::string_view body() const noexcept { return body_.view(); }
    const BodyBuffer& body_buffer() const noexcept { return body_; }
    // Bytes of the message so far as the MTA holds it (header lines with
    // CRLF, the empty line, the body).
    std::uint64_t size() const noexcept { return header_bytes_ + body_.size(); }
    std::uint64_t max_size() const noexcept;

private:
    std::shared_ptr<const Runtime> runtime_;
    std::string queue_id_ = "NOQUEUE";
    bool has_queue_id_ = false;
    std::vector<HeaderField> headers_;
    std::uint64_t header_bytes_ = 2;  // the empty line ending the header
    BodyBuffer body_;
};

// Parses "SIZE=NNN" among the ESMTP arguments of MAIL FROM (argv[1..]).
std::optional<std::uint64_t> size_parameter(const std::vector<std::string>& esmtp_args);
// Parses a decimal number such as the {msg_size} macro; nullopt if not one.
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace bounceseal::milter
