// daemon_harness.cpp - processes, files and messages for the daemon tests
// (see daemon_harness.hpp).
#include "daemon_harness.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bounceseal/mime.hpp"

extern char** environ;

namespace bounceseal::milter_test {
namespace {

using Clock = std::chrono::steady_clock;

std::optional<int> wait_child(pid_t pid, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return status;
        if (r < 0) return -1;
        if (Clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(5ms);
    }
}

pid_t spawn(const std::vector<std::string>& argv, const fs::path& log, const std::vector<std::string>& env) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
    for (const auto& e : env) env_strings.push_back(e);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot create " + log.string());
    const pid_t pid = ::fork();
    if (pid == 0) {  // async-signal-safe calls only until exec
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
        ::execve(args[0], args.data(), envp.data());
        ::_exit(127);
    }
    ::close(fd);
    if (pid < 0) throw std::runtime_error("fork failed");
    return pid;
}

}  // namespace

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_file(const fs::path& path, const std::string& text, unsigned mode) {
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << text;
    }
    ::chmod(path.c_str(), static_cast<mode_t>(mode));
}

std::string milter_path() {
    const char* other = std::getenv("BOUNCESEAL_MILTER");
    return other != nullptr && *other != '\0' ? std::string(other) : std::string(BOUNCESEAL_MILTER_PATH);
}

std::string daemon_user() { return ::geteuid() == 0 ? "nobody" : ""; }

void give_to_daemon(const fs::path& path) {
    if (::geteuid() != 0) return;
    if (const passwd* pw = ::getpwnam("nobody")) {
        if (::chown(path.c_str(), pw->pw_uid, static_cast<gid_t>(-1)) != 0)
            throw std::runtime_error("chown " + path.string() + ": " + std::strerror(errno));
    }
}

std::string proc_status(pid_t pid, const std::string& name) {
    const std::string text = "\n" + read_file("/proc/" + std::to_string(pid) + "/status");
    const std::size_t at = text.find("\n" + name);
    if (at == std::string::npos) return {};
    const std::size_t start = text.find_first_not_of(" \t", at + 1 + name.size());
    return text.substr(start, text.find('\n', start) - start);
}

std::string private_pem_body(const fs::path& key_file) {
    std::istringstream lines(read_file(key_file));
    std::string body;
    for (std::string line; std::getline(lines, line);)
        if (!line.starts_with("-----")) body += line;
    return body;
}

Bytes private_seed(const fs::path& key_file) {
    const Bytes der = base64_decode(private_pem_body(key_file), "key");
    if (der.size() < 32) throw std::runtime_error(key_file.string() + ": not a private key");
    return Bytes(der.end() - 32, der.end());
}

bool memory_contains(pid_t pid, const Bytes& needle, std::size_t* scanned) {
    const std::string proc = "/proc/" + std::to_string(pid);
    const int mem = ::open((proc + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
    if (mem < 0) throw std::runtime_error(proc + "/mem: " + std::strerror(errno));
    std::istringstream maps(read_file(proc + "/maps"));
    const std::string_view want(reinterpret_cast<const char*>(needle.data()), needle.size());
    std::size_t total = 0;
    bool found = false;
    std::vector<char> buf(1 << 20);
    for (std::string line; !found && std::getline(maps, line);) {
        unsigned long long start = 0, end = 0;
        char perms[5] = {};
        if (std::sscanf(line.c_str(), "%llx-%llx %4s", &start, &end, perms) != 3 || perms[0] != 'r') continue;
        if (end - start > (1ull << 30) || line.find("[vvar") != std::string::npos ||
            line.find("[vsyscall]") != std::string::npos)
            continue;
        // Chunks overlap by the needle's length, so a match across a chunk
        // boundary is found too.
        for (unsigned long long at = start; at < end && !found;) {
            const std::size_t len = static_cast<std::size_t>(std::min<unsigned long long>(buf.size(), end - at));
            const ssize_t n = ::pread(mem, buf.data(), len, static_cast<off_t>(at));
            if (n <= 0) break;
            total += static_cast<std::size_t>(n);
            found = std::string_view(buf.data(), static_cast<std::size_t>(n)).find(want) != std::string_view::npos;
            if (static_cast<std::size_t>(n) < len || at + static_cast<unsigned long long>(n) >= end) break;
            at += static_cast<unsigned long long>(n) - (needle.size() - 1);
        }
    }
    ::close(mem);
    if (scanned != nullptr) *scanned = total;
    return found;
}

TempDir::TempDir() {
    std::string pattern = (fs::temp_directory_path() / "bounceseal-milter-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
    // The daemon, once it is no longer root, removes its socket and pid
    // file here.
    ::chmod(path_.c_str(), 0755);
    give_to_daemon(path_);
}

TempDir::~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

PublicKey make_key(const fs::path& dir, const std::string& selector) {
    const PrivateKey key = PrivateKey::generate();
    const fs::path priv = dir / (selector + ".private");
    fs::remove(priv);
    write_new_file(priv, key.private_pem(), 0600);
    write_file(dir / (selector + ".pub"), key.public_key().pem());
    return key.public_key();
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds limit,
                          const std::vector<std::string>& env) {
    std::string name = (fs::temp_directory_path() / "bounceseal-cmd-XXXXXX").string();
    const int fd = ::mkstemp(name.data());
    if (fd >= 0) ::close(fd);
    CommandResult r;
    const pid_t pid = spawn(argv, name, env);
    const auto status = wait_child(pid, limit);
    if (!status) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    } else if (WIFEXITED(*status)) {
        r.status = WEXITSTATUS(*status);
    }
    r.output = read_file(name);
    ::unlink(name.c_str());
    return r;
}

std::string Daemon::config_text(const fs::path& dir, const std::vector<std::pair<std::string, std::string>>& s) {
    std::vector<std::pair<std::string, std::string>> all = {
        {"Domain", "example.test"},
        {"Selector", "sel1"},
        {"KeyFile", (dir / "sel1.private").string()},
        {"StatsInterval", "0"},
    };
    if (!daemon_user().empty()) all.emplace_back("UserID", daemon_user());
    for (const auto& kv : s) {
        bool replaced = false;
        for (auto& existing : all)
            if (existing.first == kv.first) {
                existing.second = kv.second;
                replaced = true;
            }
        if (!replaced) all.push_back(kv);
    }
    std::string text = "# written by the milter daemon tests\n[milter]\n";
    for (const auto& [k, v] : all) text += k + " = " + v + "\n";
    return text;
}

Daemon::Daemon(const fs::path& dir, Options o)
    : socket_(dir / (o.name + ".sock")), log_(dir / (o.name + ".log")), config_(dir / (o.name + ".conf")) {
    std::vector<std::string> argv = {milter_path()};
    if (o.foreground) argv.push_back("-f");
    if (o.write_config) {
        std::vector<std::pair<std::string, std::string>> s = {{"Socket", socket_spec()}};
        for (const auto& kv : o.settings) s.push_back(kv);
        write_file(config_, config_text(dir, s));
        argv.push_back("-c");
        argv.push_back(config_.string());
    } else {
        argv.push_back("-p");
        argv.push_back(socket_spec());
        if (!daemon_user().empty()) {
            argv.push_back("-u");
            argv.push_back(daemon_user());
        }
    }
    for (const auto& a : o.args) argv.push_back(a);
    pid_ = spawn(argv, log_, o.env);
}

Daemon::~Daemon() { kill_now(); }

void Daemon::kill_now() {
    if (reaped_ || pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    reaped_ = true;
}

bool Daemon::wait_ready(std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!accepts_connections(socket_)) {
        if (wait_exit(0ms) || Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

void Daemon::signal(int sig) const {
    if (!reaped_) ::kill(pid_, sig);
}

std::optional<int> Daemon::wait_exit(std::chrono::milliseconds limit) {
    if (reaped_) return 0;
    auto status = wait_child(pid_, limit);
    if (status) reaped_ = true;
    return status;
}

std::size_t Daemon::log_count(const std::string& needle) const {
    const std::string text = log();
    std::size_t n = 0;
    for (std::size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
    return n;
}

std::vector<std::string> Daemon::log_words(const std::string& needle) const {
    const std::string text = log();
    const std::size_t at = text.rfind(needle);
    if (at == std::string::npos) return {};
    const std::size_t end = text.find('\n', at);
    std::istringstream line(text.substr(at, end == std::string::npos ? std::string::npos : end - at));
    std::vector<std::string> words;
    for (std::string w; line >> w;) words.push_back(w);
    return words;
}

bool Daemon::wait_log(const std::string& needle, std::chrono::milliseconds limit, std::size_t count) const {
    const auto deadline = Clock::now() + limit;
    while (log_count(needle) < count) {
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

bool accepts_connections(const fs::path& socket_path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_path.c_str());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

RawMta::RawMta(const fs::path& socket) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", socket.c_str());
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd_);
        throw std::runtime_error("connect");
    }
}

RawMta::~RawMta() { ::close(fd_); }

void RawMta::send(char cmd, const std::string& data) {
    const std::uint32_t len = htonl(static_cast<std::uint32_t>(data.size() + 1));
    std::string packet(reinterpret_cast<const char*>(&len), 4);
    packet += cmd;
    packet += data;
    if (::write(fd_, packet.data(), packet.size()) != static_cast<ssize_t>(packet.size()))
        throw std::runtime_error("write");
}

std::pair<char, std::string> RawMta::read() {
    std::uint32_t len = 0;
    read_exact(reinterpret_cast<char*>(&len), 4);
    std::string buf(ntohl(len), '\0');
    read_exact(buf.data(), buf.size());
    return {buf.empty() ? '\0' : buf[0], buf.empty() ? std::string() : buf.substr(1)};
}

void RawMta::read_exact(char* p, std::size_t n) {
    while (n > 0) {
        pollfd pfd{fd_, POLLIN, 0};
        if (::poll(&pfd, 1, 10000) != 1) throw std::runtime_error("timeout");
        const ssize_t got = ::read(fd_, p, n);
        if (got <= 0) throw std::runtime_error("filter closed the connection");
        p += got;
        n -= static_cast<std::size_t>(got);
    }
}

std::string nul(std::initializer_list<std::string> parts) {
    std::string out;
    for (const auto& p : parts) out += p + '\0';
    return out;
}

std::string be32(std::uint32_t v) {
    v = htonl(v);
    return std::string(reinterpret_cast<const char*>(&v), 4);
}

std::string local_connect() { return nul({"localhost"}) + "4" + std::string(2, '\0') + nul({"127.0.0.1"}); }

void open_session(RawMta& mta) {
    const std::uint32_t protocol = SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_HDR_LEADSPC;
    if (mta.reply(SMFIC_OPTNEG, be32(6) + be32(SMFI_CURR_ACTS) + be32(protocol)) != SMFIC_OPTNEG)
        throw std::runtime_error("negotiation failed");
    if (mta.reply(SMFIC_CONNECT, local_connect()) != SMFIR_CONTINUE) throw std::runtime_error("CONNECT refused");
}

void begin_message(RawMta& mta, const std::string& qid, const std::pair<std::string, std::string>& field,
                   const std::string& body) {
    mta.send(SMFIC_MACRO, std::string(1, SMFIC_MAIL) + nul({"i", qid}));
    const std::pair<char, std::string> stages[] = {
        {SMFIC_MAIL, nul({"<alice@example.test>"})},
        {SMFIC_HEADER, nul({field.first, field.second})},
        {SMFIC_EOH, ""},
        {SMFIC_BODY, body},
    };
    for (const auto& [cmd, data] : stages)
        if (mta.reply(cmd, data) != SMFIR_CONTINUE)
            throw std::runtime_error(std::string("no continue at SMFIC_") + cmd + " of " + qid);
}

std::string fresh_queue_id() {
    static std::atomic<unsigned> n{0};
    char buf[32];
    std::snprintf(buf, sizeof buf, "TQ%06u", ++n);
    return buf;
}

test::MilterMessage make_message(const std::string& text, const Envelope& e) {
    test::MilterMessage m = test::parse_rfc5322(text);
    m.connect.address = e.client;
    m.connect.family = e.client.find(':') != std::string::npos ? SMFIA_INET6 : SMFIA_INET;
    m.connect.port = 40000;
    m.mail_from = {e.sender, e.esmtp};
    m.rcpts = {{"bob@example.org", {}}};
    m.macros[SMFIC_MAIL].emplace_back("i", e.queue_id.empty() ? fresh_queue_id() : e.queue_id);
    if (!e.auth.empty()) {
        m.macros[SMFIC_MAIL].emplace_back("{auth_type}", "PLAIN");
        m.macros[SMFIC_MAIL].emplace_back("{auth_authen}", e.auth);
    }
    if (!e.daemon_name.empty()) m.macros[SMFIC_CONNECT].emplace_back("{daemon_name}", e.daemon_name);
    return m;
}

test::MilterResult send(const std::string& socket_spec, const test::MilterMessage& message) {
    test::MilterClient client;
    client.connect(socket_spec);
    return client.run(message);
}

Judgement judge_result(const test::MilterMessage& message, const test::MilterResult& result,
                       const std::vector<std::pair<std::string, PublicKey>>& keys, const std::string& sender) {
    mime_init();
    const std::string text = test::render_result(message, result);
    auto parsed = parse_message(text);
    if (!parsed) return {};
    Keyring ring;
    for (const auto& [selector, key] : keys) ring.add("example.test", selector, key);
    VerifyPolicy policy;
    policy.recipients = {sender};
    return judge(find_seals(parsed.get()), ring, policy, static_cast<std::int64_t>(std::time(nullptr)));
}

bool modified(const test::MilterResult& result) { return result.body_replaced || !result.modifications.empty(); }

}  // namespace bounceseal::milter_test
