// milter_client.hpp - the MTA side of the sendmail milter protocol (version 6),
// for tests, load drivers and benchmarks that talk to a filter over a socket
// the way sendmail does.
//
// It speaks the wire protocol itself (no libmilter), honours what the filter
// negotiates (skipped stages, stages without replies, SKIP, PROGRESS, header
// leading space) and collects every modification the filter asks for. It is
// not an MTA: it queues nothing, applies envelope changes nowhere and knows
// no SMTP; a MilterMessage is exactly what gets sent. One MilterClient is one
// connection and is not thread-safe; run one per thread.
#pragma once

// SMFIF_* live in mfapi.h, the rest in mfdef.h; only constants are used, so
// nothing here needs libmilter at link time.
#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bounceseal::test {

// A protocol, socket or timeout failure. what() names the socket and the
// command being sent or answered, e.g. "milter unix:/run/f.sock: reading the
// reply to SMFIC_BODYEOB: the filter closed the connection after 5 of 24 bytes".
class MilterError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

using MacroList = std::vector<std::pair<std::string, std::string>>;
// Keyed by the SMFIC_* command the macros are sent before: SMFIC_CONNECT 'C',
// SMFIC_HELO 'H', SMFIC_MAIL 'M', SMFIC_RCPT 'R', SMFIC_DATA 'T', SMFIC_EOH 'N'
// or SMFIC_BODYEOB 'E'. Names as sendmail spells them: "i", "{auth_authen}".
using StageMacros = std::map<char, MacroList>;
using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct ConnectInfo {
    std::string hostname = "localhost";
    char family = SMFIA_INET;  // SMFIA_INET, SMFIA_INET6, SMFIA_UNIX or SMFIA_UNKNOWN
    std::string address = "127.0.0.1";  // a socket path for SMFIA_UNIX
    std::uint16_t port = 0;
};

struct EnvelopeAddress {
    std::string address;  // sent in angle brackets; they are added when missing
    std::vector<std::string> esmtp_args;  // e.g. "SIZE=1024"
};

struct MilterMessage {
    ConnectInfo connect;
    std::string helo = "localhost";
    StageMacros macros;
    EnvelopeAddress mail_from;  // an empty address is the null sender "<>"
    std::vector<EnvelopeAddress> rcpts;
    // Values as sendmail holds them: everything after the colon, so usually
    // with one leading space, folded lines joined by "\n".
    HeaderList headers;
    std::string body;  // CRLF line ends, as sendmail delivers it to filters
};

// One modification request, in the order the filter sent it.
struct Modification {
    char action = 0;  // SMFIR_ADDHEADER, _INSHEADER, _CHGHEADER, _REPLBODY,
                      // _CHGFROM, _ADDRCPT, _ADDRCPT_PAR, _DELRCPT, _QUARANTINE
    std::string name;   // header name; the address for CHGFROM and the rcpt ones
    std::string value;  // header value (empty CHGHEADER = delete), ESMTP args,
                        // or the quarantine reason; empty for REPLBODY
    std::uint32_t index = 0;  // INSHEADER: position; CHGHEADER: 1-based occurrence
};

struct Negotiated {
    std::uint32_t version = 0;
    std::uint32_t actions = 0;   // SMFIF_* the filter may use
    std::uint32_t protocol = 0;  // SMFIP_* the filter asked for
    // Macro names the filter restricted each stage to (SMFIF_SETSYMLIST),
    // keyed like StageMacros; a missing stage means "send all".
    std::map<char, std::string> symlists;

    bool has(std::uint32_t smfip_flag) const { return (protocol & smfip_flag) != 0; }
};

struct MilterResult {
    // The reply that ended the transaction: SMFIR_CONTINUE (at EOM) or
    // SMFIR_ACCEPT (at any stage) for delivered mail, else SMFIR_REJECT,
    // _TEMPFAIL, _DISCARD, _REPLYCODE, _SHUTDOWN or _CONN_FAIL.
    char reply = 0;
    std::string reply_text;  // SMFIR_REPLYCODE only, e.g. "550 5.7.1 no"
    char stage = 0;          // SMFIC_* command that got the reply
    std::vector<Modification> modifications;  // REPLBODY appears once, at its first chunk
    bool body_replaced = false;
    std::string new_body;  // all SMFIR_REPLBODY chunks, concatenated
    std::size_t replacement_chunks = 0;
    std::vector<std::string> rejected_rcpts;  // refused at RCPT, transaction went on
    bool body_skipped = false;  // the filter answered a body chunk with SMFIR_SKIP
    std::string trace;  // every SMFIC_* command byte this run sent, in order
    Negotiated negotiated;

    bool delivered() const { return reply == SMFIR_CONTINUE || reply == SMFIR_ACCEPT; }
    // Modifications of one kind, optionally only those naming `name` (a header
    // name or an address; compared without regard to case).
    std::vector<Modification> find(char action, std::string_view name = {}) const;
};

// Everything this client can do, offered in SMFIC_OPTNEG by default. The
// MDS_* sizes are not offered: bodies go in chunks of MILTER_CHUNK_SIZE.
inline constexpr std::uint32_t kOfferedActions = SMFI_CURR_ACTS;
inline constexpr std::uint32_t kOfferedProtocol = SMFI_CURR_PROT;

class MilterClient {
public:
    explicit MilterClient(std::chrono::milliseconds io_timeout = std::chrono::seconds(30));
    ~MilterClient();  // sends SMFIC_QUIT if still connected, never throws
    MilterClient(MilterClient&& other) noexcept;
    // Drops this client's own connection without SMFIC_QUIT, as a crashed
    // MTA would; call quit() first for a polite end.
    MilterClient& operator=(MilterClient&& other) noexcept;
    MilterClient(const MilterClient&) = delete;
    MilterClient& operator=(const MilterClient&) = delete;

    // socket_spec: "unix:/path", "local:/path", "/path", "inet:PORT@HOST" or
    // "inet6:PORT@HOST". The timeout bounds the connect and every later read
    // or write that makes no progress. negotiate() may be called once per
    // connection; the filter must ask for no more than was offered.
    void connect(const std::string& socket_spec);
    const Negotiated& negotiate(std::uint32_t offered_actions = kOfferedActions,
                                std::uint32_t offered_protocol = kOfferedProtocol);

    // One mail transaction. The first run on a connection also sends CONNECT
    // and HELO from the message; later runs start at MAIL, as sendmail does
    // after an end of message. Negotiates with the defaults if not done yet.
    // extra_macros are sent after message.macros, for per-run values such as
    // a queue id. After any exception the connection is closed.
    MilterResult run(const MilterMessage& message, const StageMacros& extra_macros = {});

    // SMFIC_ABORT, as sendmail sends on RSET. run() already sends it when a
    // filter refuses a message early; libmilter ignores it between messages.
    void abort();
    void quit();  // SMFIC_QUIT, then close

    bool connected() const { return fd_ >= 0; }
    const std::string& socket_spec() const { return spec_; }
    const Negotiated& negotiated() const { return negotiated_; }

private:
    struct Packet {
        char command = 0;
        std::string data;
    };
    struct Reply {
        char code = SMFIR_CONTINUE;
        std::string text;  // SMFIR_REPLYCODE only
    };

    void close_socket() noexcept;
    [[noreturn]] void fail(const std::string& what);
    void connect_unix(const std::string& path);
    void connect_inet(const std::string& host, const std::string& port, bool inet6);
    void wait_ready(short events, std::chrono::steady_clock::time_point deadline,
                    const char* doing, char context);
    void queue(char command, std::string_view data);
    void flush(char context);
    Packet read_packet(char context);
    void fill_input(std::size_t wanted, char context);
    void send_macros(char stage, const MilterMessage& message, const StageMacros& extra);
    Reply exchange(char command, std::string_view data, const MilterMessage& message,
                   const StageMacros& extra);
    Reply await_reply(char command);
    void collect_end_of_message(MilterResult& result);
    bool ended_early(const Reply& reply, char stage, MilterResult& result);
    void transaction(const MilterMessage& message, const StageMacros& extra,
                     MilterResult& result);

    std::chrono::milliseconds timeout_{30000};
    std::string spec_;
    int fd_ = -1;
    bool is_tcp_ = false;
    bool negotiated_done_ = false;
    Negotiated negotiated_;
    bool session_started_ = false;  // CONNECT and HELO went out on this connection
    Reply session_reply_;           // a refusal of CONNECT or HELO ends filtering for good
    char session_stage_ = 0;
    std::string output_;
    std::string input_;  // [input_pos_, input_end_) is read but not yet parsed
    std::size_t input_pos_ = 0;
    std::size_t input_end_ = 0;
    std::string* trace_ = nullptr;  // the running result's trace, if any
};

// --- Message helpers for drivers and tests ---------------------------------

// Splits RFC 5322 text (LF or CRLF) into header fields, sendmail-style (value
// after the colon, folded lines joined with "\n") and a CRLF body. Throws
// std::invalid_argument for a header line without a colon.
MilterMessage parse_rfc5322(std::string_view text);

// The message after the result's header and body modifications, applied the
// way sendmail applies them; CRLF line ends. Envelope changes are not shown.
std::string render_result(const MilterMessage& message, const MilterResult& result);

// The address in a header value: what is inside <...>, else the first word.
std::string first_address(std::string_view header_value);

// Printable name of an SMFIC_* command or SMFIR_* reply, e.g. "SMFIC_BODY".
std::string command_name(char command);
std::string reply_name(char reply);

}  // namespace bounceseal::test
