// milter_client.cpp - the MTA side of milter protocol 6: sockets with
// timeouts, packet framing, and the order of commands in a transaction.
// Not here: filter logic, SMTP, applying envelope changes anywhere, or the
// message helpers (milter_message.cpp).
#include "milter_client.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

namespace bounceseal::test {
namespace {

using Clock = std::chrono::steady_clock;

// A length this large means the stream is out of step, not a real reply.
constexpr std::size_t kMaxPacketLength = 16 * 1024 * 1024;
// Without replies to wait for (SMFIP_NR_BODY) nothing else would bound the
// output buffer while a big body is queued.
constexpr std::size_t kFlushThreshold = 256 * 1024;
constexpr std::size_t kReadSize = 128 * 1024;
// SMFIM_CONNECT .. SMFIM_EOH in the order of their numbers.
constexpr std::string_view kSymlistStages = "CHMRTEN";

std::string errno_text(int error) { return std::system_category().message(error); }

void put_u32(std::string& out, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>((value >> shift) & 0xffU));
}

std::uint32_t get_u32(std::string_view data, std::size_t at) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i)
        value = (value << 8) | static_cast<unsigned char>(data[at + i]);
    return value;
}

void put_cstring(std::string& out, std::string_view text) {
    out.append(text);
    out.push_back('\0');
}

std::vector<std::string> split_nul(std::string_view data) {
    std::vector<std::string> fields;
    while (!data.empty()) {
        const auto end = data.find('\0');
        fields.emplace_back(data.substr(0, end));
        if (end == std::string_view::npos) break;
        data.remove_prefix(end + 1);
    }
    return fields;
}

std::string field(const std::vector<std::string>& fields, std::size_t i) {
    return i < fields.size() ? fields[i] : std::string();
}

struct StageFlags {
    std::uint32_t not_sent = 0;  // SMFIP_NO*
    std::uint32_t no_reply = 0;  // SMFIP_NR_*
};

StageFlags stage_flags(char command) {
    switch (command) {
    case SMFIC_CONNECT: return {SMFIP_NOCONNECT, SMFIP_NR_CONN};
    case SMFIC_HELO: return {SMFIP_NOHELO, SMFIP_NR_HELO};
    case SMFIC_MAIL: return {SMFIP_NOMAIL, SMFIP_NR_MAIL};
    case SMFIC_RCPT: return {SMFIP_NORCPT, SMFIP_NR_RCPT};
    case SMFIC_DATA: return {SMFIP_NODATA, SMFIP_NR_DATA};
    case SMFIC_HEADER: return {SMFIP_NOHDRS, SMFIP_NR_HDR};
    case SMFIC_EOH: return {SMFIP_NOEOH, SMFIP_NR_EOH};
    case SMFIC_BODY: return {SMFIP_NOBODY, SMFIP_NR_BODY};
    default: return {};
    }
}

bool is_macro_stage(char stage) {
    return stage != '\0' && kSymlistStages.find(stage) != std::string_view::npos;
}

// Symlists and callers may spell "{auth_authen}" with or without braces.
std::string_view bare_macro_name(std::string_view name) {
    if (name.size() > 2 && name.front() == '{' && name.back() == '}')
        return name.substr(1, name.size() - 2);
    return name;
}

bool symlist_allows(std::string_view symlist, std::string_view name) {
    const auto wanted = bare_macro_name(name);
    std::size_t pos = 0;
    while (pos < symlist.size()) {
        const auto end = std::min(symlist.find_first_of(" ,", pos), symlist.size());
        if (end > pos && bare_macro_name(symlist.substr(pos, end - pos)) == wanted) return true;
        pos = end + 1;
    }
    return false;
}

std::string connect_payload(const ConnectInfo& info) {
    std::string data;
    put_cstring(data, info.hostname);
    data.push_back(info.family);
    if (info.family != SMFIA_UNKNOWN) {
        data.push_back(static_cast<char>(info.port >> 8));
        data.push_back(static_cast<char>(info.port & 0xffU));
        put_cstring(data, info.address);
    }
    return data;
}

std::string envelope_payload(const EnvelopeAddress& envelope) {
    std::string data;
    if (envelope.address.empty())
        data = "<>";
    else if (envelope.address.front() == '<')
        data = envelope.address;
    else
        data = "<" + envelope.address + ">";
    data.push_back('\0');
    for (const auto& arg : envelope.esmtp_args) put_cstring(data, arg);
    return data;
}

std::string hex32(std::uint32_t value) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", value);
    return text;
}

// End-of-message modifications, each with the action sendmail demands for it.
struct ModificationKind {
    char reply;
    std::uint32_t action;
    const char* action_name;
};
constexpr ModificationKind kModifications[] = {
    {SMFIR_ADDHEADER, SMFIF_ADDHDRS, "SMFIF_ADDHDRS"},
    {SMFIR_INSHEADER, SMFIF_ADDHDRS, "SMFIF_ADDHDRS"},
    {SMFIR_CHGHEADER, SMFIF_CHGHDRS, "SMFIF_CHGHDRS"},
    {SMFIR_REPLBODY, SMFIF_CHGBODY, "SMFIF_CHGBODY"},
    {SMFIR_CHGFROM, SMFIF_CHGFROM, "SMFIF_CHGFROM"},
    {SMFIR_ADDRCPT, SMFIF_ADDRCPT, "SMFIF_ADDRCPT"},
    {SMFIR_ADDRCPT_PAR, SMFIF_ADDRCPT_PAR, "SMFIF_ADDRCPT_PAR"},
    {SMFIR_DELRCPT, SMFIF_DELRCPT, "SMFIF_DELRCPT"},
    {SMFIR_QUARANTINE, SMFIF_QUARANTINE, "SMFIF_QUARANTINE"},
};

std::string reply_text_of(char reply, std::string_view data) {
    return reply == SMFIR_REPLYCODE ? field(split_nul(data), 0) : std::string();
}

// Replies that end a stage (and, but for continue, the transaction).
bool is_verdict(char reply) {
    switch (reply) {
    case SMFIR_CONTINUE:
    case SMFIR_ACCEPT:
    case SMFIR_REJECT:
    case SMFIR_TEMPFAIL:
    case SMFIR_DISCARD:
    case SMFIR_REPLYCODE:
    case SMFIR_SHUTDOWN:
    case SMFIR_CONN_FAIL: return true;
    default: return false;
    }
}

}  // namespace

// --- Connection --------------------------------------------------------------

MilterClient::MilterClient(std::chrono::milliseconds io_timeout) : timeout_(io_timeout) {}

MilterClient::~MilterClient() {
    try {
        quit();
    } catch (...) {  // a destructor must not throw; the socket is closed either way
    }
}

MilterClient::MilterClient(MilterClient&& other) noexcept { *this = std::move(other); }

MilterClient& MilterClient::operator=(MilterClient&& other) noexcept {
    if (this == &other) return *this;
    close_socket();
    timeout_ = other.timeout_;
    spec_ = std::move(other.spec_);
    fd_ = std::exchange(other.fd_, -1);
    is_tcp_ = other.is_tcp_;
    negotiated_done_ = other.negotiated_done_;
    negotiated_ = std::move(other.negotiated_);
    session_started_ = other.session_started_;
    session_reply_ = std::move(other.session_reply_);
    session_stage_ = other.session_stage_;
    output_ = std::move(other.output_);
    input_ = std::move(other.input_);
    input_pos_ = other.input_pos_;
    input_end_ = other.input_end_;
    trace_ = nullptr;
    return *this;
}

void MilterClient::close_socket() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    is_tcp_ = false;
    output_.clear();
    input_pos_ = input_end_ = 0;
}

void MilterClient::fail(const std::string& what) {
    close_socket();  // the stream is out of step after any failure
    throw MilterError("milter " + spec_ + ": " + what);
}

void MilterClient::connect(const std::string& socket_spec) {
    close_socket();
    spec_ = socket_spec;
    negotiated_done_ = false;
    negotiated_ = {};
    session_started_ = false;
    session_reply_ = {};
    session_stage_ = 0;

    const auto colon = socket_spec.find(':');
    const std::string kind = colon == std::string::npos ? "unix" : socket_spec.substr(0, colon);
    const std::string rest =
        colon == std::string::npos ? socket_spec : socket_spec.substr(colon + 1);
    if (kind == "unix" || kind == "local") {
        connect_unix(rest);
    } else if (kind == "inet" || kind == "inet6") {
        const auto at = rest.find('@');
        const bool inet6 = kind == "inet6";
        const std::string host = at == std::string::npos ? (inet6 ? "::1" : "127.0.0.1")
                                                         : rest.substr(at + 1);
        connect_inet(host, rest.substr(0, at), inet6);
    } else {
        fail("unknown socket kind '" + kind + "' (want unix:, local:, inet: or inet6:)");
    }
    if (::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK) != 0)
        fail("fcntl(O_NONBLOCK): " + errno_text(errno));
}

void MilterClient::connect_unix(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof address.sun_path)
        fail("unix socket path is empty or longer than " +
             std::to_string(sizeof address.sun_path - 1) + " bytes");
    std::memcpy(address.sun_path, path.data(), path.size());
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) fail("socket: " + errno_text(errno));
    // A blocking connect with a send timeout waits for room in a full listen
    // backlog, where a non-blocking one would fail at once with EAGAIN.
    timeval limit{};
    limit.tv_sec = static_cast<time_t>(timeout_.count() / 1000);
    limit.tv_usec = static_cast<suseconds_t>((timeout_.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        const int error = errno;
        fail(error == EAGAIN || error == EINPROGRESS
                 ? "connect: timed out after " + std::to_string(timeout_.count()) + " ms"
                 : "connect: " + errno_text(error));
    }
    const timeval none{};
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none);
}

void MilterClient::connect_inet(const std::string& host, const std::string& port, bool inet6) {
    addrinfo hints{};
    hints.ai_family = inet6 ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
        fail("cannot resolve " + host + " port " + port + ": " + ::gai_strerror(rc));
    std::string last_error = "no addresses";
    for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
        fd_ = ::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd_ < 0) continue;
        int rc = ::connect(fd_, ai->ai_addr, ai->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            pollfd p{fd_, POLLOUT, 0};
            const auto ms = static_cast<int>(std::min<long long>(timeout_.count(), INT_MAX));
            int error = ETIMEDOUT;
            socklen_t length = sizeof error;
            if (::poll(&p, 1, ms) > 0) ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
            errno = error;
            rc = error == 0 ? 0 : -1;
        }
        if (rc == 0) {
            const int on = 1;
            ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
            is_tcp_ = true;
            ::freeaddrinfo(found);
            return;
        }
        last_error = errno_text(errno);
        close_socket();
    }
    ::freeaddrinfo(found);
    fail("connect to " + host + " port " + port + ": " + last_error);
}

// --- Framing -----------------------------------------------------------------

void MilterClient::wait_ready(short events, Clock::time_point deadline, const char* doing,
                              char context) {
    for (;;) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            fail("timed out after " + std::to_string(timeout_.count()) + " ms " + doing + " " +
                 command_name(context));
        pollfd p{fd_, events, 0};
        const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), INT_MAX)));
        if (n > 0) return;  // errors and hangups surface in the following send or recv
        if (n < 0 && errno != EINTR)
            fail(std::string("poll ") + doing + " " + command_name(context) + ": " +
                 errno_text(errno));
    }
}

void MilterClient::queue(char command, std::string_view data) {
    put_u32(output_, static_cast<std::uint32_t>(data.size() + 1));
    output_.push_back(command);
    output_.append(data);
    if (trace_ != nullptr) trace_->push_back(command);
    if (output_.size() >= kFlushThreshold) flush(command);
}

void MilterClient::flush(char context) {
    std::size_t sent = 0;
    auto deadline = Clock::now() + timeout_;
    while (sent < output_.size()) {
        const auto n = ::send(fd_, output_.data() + sent, output_.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            deadline = Clock::now() + timeout_;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            wait_ready(POLLOUT, deadline, "sending", context);
        } else if (n < 0 && errno != EINTR) {
            fail("sending " + command_name(context) + ": " + errno_text(errno));
        }
    }
    output_.clear();
}

void MilterClient::fill_input(std::size_t wanted, char context) {
    const auto deadline = Clock::now() + timeout_;
    while (input_end_ - input_pos_ < wanted) {
        if (input_pos_ > 0) {
            std::memmove(input_.data(), input_.data() + input_pos_, input_end_ - input_pos_);
            input_end_ -= input_pos_;
            input_pos_ = 0;
        }
        if (input_.size() < std::max(wanted, kReadSize)) input_.resize(std::max(wanted, kReadSize));
        // A reply is usually a round trip away: polling first spares the recv
        // that would only say EAGAIN.
        wait_ready(POLLIN, deadline, "waiting for the reply to", context);
        if (is_tcp_) {
            // libmilter writes a reply per modification without TCP_NODELAY;
            // with our ACKs delayed, Nagle would hold each one back ~40 ms.
            const int on = 1;
            ::setsockopt(fd_, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
        }
        const auto n = ::recv(fd_, input_.data() + input_end_, input_.size() - input_end_, 0);
        if (n > 0) {
            input_end_ += static_cast<std::size_t>(n);
        } else if (n == 0) {
            const auto have = input_end_ - input_pos_;
            fail("reading the reply to " + command_name(context) +
                 ": the filter closed the connection" +
                 (have > 0 ? " after " + std::to_string(have) + " of " + std::to_string(wanted) +
                                 " bytes"
                           : std::string()));
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            fail("reading the reply to " + command_name(context) + ": " + errno_text(errno));
        }
    }
}

MilterClient::Packet MilterClient::read_packet(char context) {
    flush(context);
    fill_input(4, context);
    const std::uint32_t length = get_u32(input_, input_pos_);
    if (length == 0 || length > kMaxPacketLength)
        fail("reading the reply to " + command_name(context) + ": implausible packet length " +
             std::to_string(length));
    fill_input(4 + std::size_t{length}, context);
    Packet packet;
    packet.command = input_[input_pos_ + 4];
    packet.data.assign(input_, input_pos_ + 5, length - 1);
    input_pos_ += 4 + std::size_t{length};
    return packet;
}

// --- Negotiation and transactions --------------------------------------------

const Negotiated& MilterClient::negotiate(std::uint32_t offered_actions,
                                          std::uint32_t offered_protocol) {
    if (fd_ < 0) throw MilterError("milter " + spec_ + ": negotiate() without a connection");
    if (negotiated_done_) throw MilterError("milter " + spec_ + ": negotiated already");
    std::string data;
    put_u32(data, SMFI_PROT_VERSION);
    put_u32(data, offered_actions);
    put_u32(data, offered_protocol);
    queue(SMFIC_OPTNEG, data);
    const Packet reply = read_packet(SMFIC_OPTNEG);
    if (reply.command != SMFIC_OPTNEG)
        fail("the filter answered SMFIC_OPTNEG with " + reply_name(reply.command));
    if (reply.data.size() < MILTER_OPTLEN)
        fail("SMFIC_OPTNEG reply of " + std::to_string(reply.data.size()) + " bytes, want " +
             std::to_string(MILTER_OPTLEN));
    Negotiated result;
    result.version = get_u32(reply.data, 0);
    result.actions = get_u32(reply.data, 4);
    result.protocol = get_u32(reply.data, 8);
    if (result.version < 2 || result.version > SMFI_PROT_VERSION)
        fail("the filter wants protocol version " + std::to_string(result.version) +
             "; this client speaks 2 to " + std::to_string(SMFI_PROT_VERSION));
    if ((result.actions & ~offered_actions) != 0)
        fail("the filter wants actions " + hex32(result.actions) + " but only " +
             hex32(offered_actions) + " were offered");
    if ((result.protocol & ~offered_protocol) != 0)
        fail("the filter wants protocol flags " + hex32(result.protocol) + " but only " +
             hex32(offered_protocol) + " were offered");
    std::string_view lists(reply.data);
    lists.remove_prefix(MILTER_OPTLEN);
    while (lists.size() >= 4) {
        const auto index = get_u32(lists, 0);
        lists.remove_prefix(4);
        if (index >= kSymlistStages.size())
            fail("SMFIC_OPTNEG reply names unknown macro stage " + std::to_string(index));
        const auto end = std::min(lists.find('\0'), lists.size());
        result.symlists[kSymlistStages[index]] = std::string(lists.substr(0, end));
        lists.remove_prefix(std::min(end + 1, lists.size()));
    }
    negotiated_ = std::move(result);
    negotiated_done_ = true;
    return negotiated_;
}

void MilterClient::send_macros(char stage, const MilterMessage& message,
                               const StageMacros& extra) {
    const auto symlist = negotiated_.symlists.find(stage);
    std::string data(1, stage);
    for (const StageMacros* source : {&message.macros, &extra}) {
        const auto list = source->find(stage);
        if (list == source->end()) continue;
        for (const auto& [name, value] : list->second) {
            if (symlist != negotiated_.symlists.end() && !symlist_allows(symlist->second, name))
                continue;
            put_cstring(data, name);
            put_cstring(data, value);
        }
    }
    if (data.size() > 1) queue(SMFIC_MACRO, data);
}

MilterClient::Reply MilterClient::exchange(char command, std::string_view data,
                                           const MilterMessage& message,
                                           const StageMacros& extra) {
    // sendmail sends a stage's macros even when the stage itself is skipped:
    // the filter may still ask for them later.
    if (is_macro_stage(command)) send_macros(command, message, extra);
    const StageFlags flags = stage_flags(command);
    if ((negotiated_.protocol & flags.not_sent) != 0) return {};
    queue(command, data);
    if ((negotiated_.protocol & flags.no_reply) != 0) return {};
    return await_reply(command);
}

MilterClient::Reply MilterClient::await_reply(char command) {
    for (;;) {
        const Packet packet = read_packet(command);
        if (packet.command == SMFIR_PROGRESS) continue;  // the filter asks for more time
        if (is_verdict(packet.command) ||
            (packet.command == SMFIR_SKIP && command == SMFIC_BODY))
            return {packet.command, reply_text_of(packet.command, packet.data)};
        fail("the filter answered " + command_name(command) + " with " +
             reply_name(packet.command) + ", which is not valid there");
    }
}

void MilterClient::collect_end_of_message(MilterResult& result) {
    for (;;) {
        const Packet packet = read_packet(SMFIC_BODYEOB);
        const char code = packet.command;
        if (code == SMFIR_PROGRESS) continue;
        if (is_verdict(code)) {
            result.reply = code;
            result.reply_text = reply_text_of(packet.command, packet.data);
            result.stage = SMFIC_BODYEOB;
            return;
        }
        const auto needed = std::find_if(std::begin(kModifications), std::end(kModifications),
                                         [code](const auto& m) { return m.reply == code; });
        if (needed == std::end(kModifications))
            fail("the filter answered SMFIC_BODYEOB with " + reply_name(code) +
                 ", which is not valid there");
        if ((negotiated_.actions & needed->action) == 0)
            fail("the filter sent " + reply_name(code) + " without negotiating " +
                 needed->action_name);

        std::string_view data(packet.data);
        Modification mod{code, {}, {}, 0};
        if (code == SMFIR_INSHEADER || code == SMFIR_CHGHEADER) {
            if (data.size() < 4) fail(reply_name(code) + " without an index");
            mod.index = get_u32(data, 0);
            data.remove_prefix(4);
        }
        if (code == SMFIR_REPLBODY) {
            if (!result.body_replaced) result.modifications.push_back(mod);
            result.body_replaced = true;
            result.new_body.append(data);
            ++result.replacement_chunks;
            continue;
        }
        const auto fields = split_nul(data);
        if (code == SMFIR_QUARANTINE) {
            mod.value = field(fields, 0);
        } else {
            mod.name = field(fields, 0);
            mod.value = field(fields, 1);
        }
        result.modifications.push_back(std::move(mod));
    }
}

bool MilterClient::ended_early(const Reply& reply, char stage, MilterResult& result) {
    if (reply.code == SMFIR_CONTINUE) return false;
    result.reply = reply.code;
    result.reply_text = reply.text;
    result.stage = stage;
    // Like sendmail: a filter that accepted the message is done with it; any
    // other verdict ends the transaction, and the filter is told so.
    if (reply.code != SMFIR_ACCEPT) {
        queue(SMFIC_ABORT, {});
        flush(SMFIC_ABORT);
    }
    return true;
}

void MilterClient::transaction(const MilterMessage& message, const StageMacros& extra,
                               MilterResult& result) {
    if (!session_started_) {
        session_started_ = true;
        session_stage_ = SMFIC_CONNECT;
        session_reply_ = exchange(SMFIC_CONNECT, connect_payload(message.connect), message, extra);
        if (session_reply_.code == SMFIR_CONTINUE) {
            std::string helo;
            put_cstring(helo, message.helo);
            session_stage_ = SMFIC_HELO;
            session_reply_ = exchange(SMFIC_HELO, helo, message, extra);
        }
    }
    if (session_reply_.code != SMFIR_CONTINUE) {  // sendmail asks this filter nothing more
        result.reply = session_reply_.code;
        result.reply_text = session_reply_.text;
        result.stage = session_stage_;
        return;
    }

    if (ended_early(exchange(SMFIC_MAIL, envelope_payload(message.mail_from), message, extra),
                    SMFIC_MAIL, result))
        return;
    std::size_t accepted_rcpts = 0;
    Reply last_refusal;
    for (const auto& rcpt : message.rcpts) {
        Reply reply = exchange(SMFIC_RCPT, envelope_payload(rcpt), message, extra);
        if (reply.code == SMFIR_CONTINUE) {
            ++accepted_rcpts;
        } else if (reply.code == SMFIR_REJECT || reply.code == SMFIR_TEMPFAIL ||
                   reply.code == SMFIR_REPLYCODE) {
            result.rejected_rcpts.push_back(rcpt.address);  // only this recipient is refused
            last_refusal = std::move(reply);
        } else if (ended_early(reply, SMFIC_RCPT, result)) {
            return;
        }
    }
    if (!message.rcpts.empty() && accepted_rcpts == 0 &&
        ended_early(last_refusal, SMFIC_RCPT, result))
        return;
    if (ended_early(exchange(SMFIC_DATA, {}, message, extra), SMFIC_DATA, result)) return;

    const bool keep_leading_space = negotiated_.has(SMFIP_HDR_LEADSPC);
    for (const auto& [name, value] : message.headers) {
        std::string data;
        put_cstring(data, name);
        put_cstring(data, !keep_leading_space && !value.empty() && value.front() == ' '
                              ? std::string_view(value).substr(1)
                              : std::string_view(value));
        if (ended_early(exchange(SMFIC_HEADER, data, message, extra), SMFIC_HEADER, result))
            return;
    }
    if (ended_early(exchange(SMFIC_EOH, {}, message, extra), SMFIC_EOH, result)) return;

    const std::size_t body_size = negotiated_.has(SMFIP_NOBODY) ? 0 : message.body.size();
    for (std::size_t at = 0; at < body_size; at += MILTER_CHUNK_SIZE) {
        const auto chunk = std::string_view(message.body).substr(at, MILTER_CHUNK_SIZE);
        const Reply reply = exchange(SMFIC_BODY, chunk, message, extra);
        if (reply.code == SMFIR_SKIP) {
            result.body_skipped = true;
            break;
        }
        if (ended_early(reply, SMFIC_BODY, result)) return;
    }

    send_macros(SMFIC_BODYEOB, message, extra);
    queue(SMFIC_BODYEOB, {});
    collect_end_of_message(result);
}

MilterResult MilterClient::run(const MilterMessage& message, const StageMacros& extra_macros) {
    if (fd_ < 0) throw MilterError("milter " + spec_ + ": run() without a connection");
    for (const StageMacros* source : {&message.macros, &extra_macros})
        for (const auto& [stage, list] : *source)
            if (!is_macro_stage(stage))
                throw std::invalid_argument(
                    "macros for " + command_name(stage) +
                    ", but sendmail sends macros only before C, H, M, R, T, N and E");
    if (!negotiated_done_) negotiate();
    MilterResult result;
    result.negotiated = negotiated_;
    trace_ = &result.trace;
    try {
        transaction(message, extra_macros, result);
    } catch (...) {
        trace_ = nullptr;
        close_socket();
        throw;
    }
    trace_ = nullptr;
    return result;
}

void MilterClient::abort() {
    if (fd_ < 0) return;
    queue(SMFIC_ABORT, {});
    flush(SMFIC_ABORT);
}

void MilterClient::quit() {
    if (fd_ < 0) return;
    queue(SMFIC_QUIT, {});
    flush(SMFIC_QUIT);
    close_socket();
}

}  // namespace bounceseal::test
