// daemon_harness.hpp - running the real bounceseal-milter for black-box
// tests: a private temp directory, keys and configuration files in it, the
// daemon as a child process on a unix socket, its log, bounded waits, and
// messages sent through the in-tree milter client and judged with the core
// library. Knows nothing of the daemon's internals.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bounceseal/keys.hpp"
#include "bounceseal/verify.hpp"
#include "milter_client.hpp"

namespace bounceseal::milter_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_file(const fs::path& path);
void write_file(const fs::path& path, const std::string& text, unsigned mode = 0644);

// The bounceseal-milter the tests run: the environment variable
// BOUNCESEAL_MILTER names another build's (e.g. one without a fix, to see a
// test fail), else this build's.
std::string milter_path();

// When the tests run as root the daemon switches to this user; empty
// otherwise (the daemon then keeps the tests' user).
std::string daemon_user();
// Hands a file to daemon_user() (no-op when not root): the temporary
// directory, where the daemon removes its socket once it is no longer root;
// a key given to it is the layout from before the signer process.
void give_to_daemon(const fs::path& path);

// The /proc/PID/status line `name` ("Uid:", "CapEff:"), without its name;
// empty if there is none.
std::string proc_status(pid_t pid, const std::string& name);

// The raw 32-byte Ed25519 seed of a PKCS#8 private key file (the last 32
// bytes of its DER), and the base64 text of its PEM body.
Bytes private_seed(const fs::path& key_file);
std::string private_pem_body(const fs::path& key_file);

// Whether `needle` occurs anywhere in the readable memory of process `pid`
// (its /proc/PID/maps regions, read through /proc/PID/mem; regions over
// 1 GiB are a sanitizer's shadow, not data, and are skipped). Needs the
// right to trace the process (root). `scanned`, if given, gets the bytes read.
bool memory_contains(pid_t pid, const Bytes& needle, std::size_t* scanned = nullptr);

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// A new Ed25519 key: DIR/SELECTOR.private (0600) and DIR/SELECTOR.pub.
PublicKey make_key(const fs::path& dir, const std::string& selector);

struct CommandResult {
    int status = -1;  // exit status, or -1 if killed or timed out
    std::string output;  // standard output and error together
};
CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds limit = 30s,
                          const std::vector<std::string>& env = {});

// One bounceseal-milter process.
class Daemon {
public:
    struct Options {
        std::string name;  // NAME.conf, NAME.sock, NAME.log in the directory
        std::vector<std::pair<std::string, std::string>> settings;  // [milter] Key = value
        std::vector<std::string> args;  // more arguments
        std::vector<std::string> env;   // more environment, "NAME=value"
        bool write_config = true;       // false: no -c, no NAME.conf
        bool foreground = true;
    };

    Daemon(const fs::path& dir, Options options);  // starts, does not wait
    ~Daemon();  // SIGKILL if still running
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Waits until the socket accepts connections; false if the process
    // exited or the time ran out.
    bool wait_ready(std::chrono::milliseconds limit = 10s);
    void signal(int sig) const;
    void terminate() const { signal(15); }
    // Waits for the child to exit; its status, or nullopt on timeout.
    std::optional<int> wait_exit(std::chrono::milliseconds limit);
    void kill_now();

    pid_t pid() const { return pid_; }
    std::string socket_spec() const { return "unix:" + socket_.string(); }
    const fs::path& socket_path() const { return socket_; }
    const fs::path& config_path() const { return config_; }
    std::string log() const { return read_file(log_); }
    // Waits until the log holds `needle` at least `count` times.
    bool wait_log(const std::string& needle, std::chrono::milliseconds limit = 5s, std::size_t count = 1) const;
    std::size_t log_count(const std::string& needle) const;
    // The words of the last log line holding `needle`, from `needle` on
    // (the "ident[pid]: " prefix left out); empty if there is none.
    std::vector<std::string> log_words(const std::string& needle) const;

    // Writes NAME.conf from the standard settings and `settings`.
    static std::string config_text(const fs::path& dir, const std::vector<std::pair<std::string, std::string>>& s);

private:
    fs::path socket_, log_, config_;
    pid_t pid_ = -1;
    bool reaped_ = false;
};

bool accepts_connections(const fs::path& socket_path);

// The MTA side of the protocol by hand, for what the client library does
// not do: leaving a message half-way, or ending it later.
class RawMta {
public:
    explicit RawMta(const fs::path& socket);
    ~RawMta();
    RawMta(const RawMta&) = delete;
    RawMta& operator=(const RawMta&) = delete;

    void send(char cmd, const std::string& data = {});
    // The next packet's command byte and data; throws after 10 s.
    std::pair<char, std::string> read();
    char reply(char cmd, const std::string& data = {}) {
        send(cmd, data);
        return read().first;
    }

private:
    void read_exact(char* p, std::size_t n);
    int fd_ = -1;
};

// NUL-terminated strings one after the other, as milter packets carry them.
std::string nul(std::initializer_list<std::string> parts);
std::string be32(std::uint32_t v);
// SMFIC_CONNECT's data: localhost, 127.0.0.1.
std::string local_connect();
// Negotiates version 6, every action, and only the stage flags the filter
// wants (libmilter then replies to every stage itself), then connects.
void open_session(RawMta& mta);
// On an open session: a message with queue id `qid` from alice@example.test,
// one header field and one body chunk, every stage answered with continue
// (else Error); its end of message is the caller's to send, or not.
void begin_message(RawMta& mta, const std::string& qid, const std::pair<std::string, std::string>& field,
                   const std::string& body);

// How a test message reaches the filter.
struct Envelope {
    std::string client = "127.0.0.1";
    std::string sender = "alice@example.test";  // empty: the null sender
    std::string auth;                           // {auth_authen}
    std::string daemon_name;                    // {daemon_name}
    std::vector<std::string> esmtp;             // e.g. "SIZE=123"
    std::string queue_id;                       // empty: a fresh one
};

std::string fresh_queue_id();
test::MilterMessage make_message(const std::string& text, const Envelope& envelope = {});

// One transaction on a new connection.
test::MilterResult send(const std::string& socket_spec, const test::MilterMessage& message);

// The message after the filter's changes, judged as a verifier would (the
// seal must bind `sender`). Keys by selector.
Judgement judge_result(const test::MilterMessage& message, const test::MilterResult& result,
                       const std::vector<std::pair<std::string, PublicKey>>& keys,
                       const std::string& sender = "alice@example.test");

bool modified(const test::MilterResult& result);

}  // namespace bounceseal::milter_test
