// message_context.cpp - per-message buffering with a size limit and
// geometric growth (see message_context.hpp). No libmilter, no logging.
#include "message_context.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include "reload.hpp"

namespace bounceseal::milter {
namespace {

constexpr std::size_t kMinGrowth = 64 * 1024;  // one MTA body chunk

std::size_t clamp_size(std::uint64_t v) {
    return v > std::numeric_limits<std::size_t>::max() ? std::numeric_limits<std::size_t>::max()
                                                       : static_cast<std::size_t>(v);
}

}  // namespace

void BodyBuffer::reserve_for(std::uint64_t expected) {
    // A little headroom: the announced size is an estimate.
    const std::uint64_t want = expected + expected / 64 + 4096;
    const std::size_t n = std::min(clamp_size(want), limit_);
    if (n > data_.capacity()) {
        data_.reserve(n);
        ++reallocations_;
    }
}

bool BodyBuffer::append(const char* data, std::size_t len) {
    if (len > limit_ - std::min(limit_, data_.size())) {
        release();
        return false;
    }
    const std::size_t need = data_.size() + len;
    if (need > data_.capacity()) {
        // Double, at least one chunk, never beyond the limit: every byte is
        // copied O(1) times on average, and memory stays within the limit.
        std::size_t grown = std::max({need, data_.capacity() * 2, kMinGrowth});
        data_.reserve(std::min(grown, limit_));
        ++reallocations_;
    }
    data_.append(data, len);
    return true;
}

void BodyBuffer::release() noexcept {
    std::string().swap(data_);
}

MessageContext::MessageContext(std::shared_ptr<const Runtime> runtime)
    : runtime_(std::move(runtime)), body_(clamp_size(runtime_->settings.max_message_size)) {}

void MessageContext::set_queue_id(const char* qid) {
    if (qid == nullptr || *qid == '\0') return;
    queue_id_ = qid;
    has_queue_id_ = true;
}

void MessageContext::skip(Counter counter, std::string reason) {
    state = State::skipped;
    skip_counter = counter;
    skip_reason = std::move(reason);
    headers_.clear();
    headers_.shrink_to_fit();
    body_.release();
}

void MessageContext::fail(std::string what) {
    state = State::failed;
    error = std::move(what);
    headers_.clear();
    headers_.shrink_to_fit();
    body_.release();
}

std::uint64_t MessageContext::max_size() const noexcept { return runtime_->settings.max_message_size; }

bool MessageContext::announced_too_large() const { return size_hint && *size_hint > max_size(); }

bool MessageContext::add_header(std::string name, std::string value) {
    header_bytes_ += name.size() + 1 + value.size() + 2;
    if (header_bytes_ > max_size()) return false;
    headers_.push_back({std::move(name), std::move(value)});
    return true;
}

void MessageContext::prepare_body() {
    body_ = BodyBuffer(clamp_size(max_size() - std::min(max_size(), header_bytes_)));
    if (size_hint && *size_hint > header_bytes_) body_.reserve_for(*size_hint - header_bytes_);
}

bool MessageContext::append_body(const char* data, std::size_t len) { return body_.append(data, len); }

std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::uint64_t v = 0;
    if (text.empty()) return std::nullopt;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

std::optional<std::uint64_t> size_parameter(const std::vector<std::string>& esmtp_args) {
    for (const std::string& arg : esmtp_args) {
        if (arg.size() > 5 && (arg[0] == 'S' || arg[0] == 's') && (arg[1] == 'I' || arg[1] == 'i') &&
            (arg[2] == 'Z' || arg[2] == 'z') && (arg[3] == 'E' || arg[3] == 'e') && arg[4] == '=')
            return parse_size(std::string_view(arg).substr(5));
    }
    return std::nullopt;
}

}  // namespace bounceseal::milter
