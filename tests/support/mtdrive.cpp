// mtdrive.cpp - drives a milter filter the way sendmail would, for load tests
// and benchmarks: sends message files COUNT times over CONCURRENCY threads,
// measures per-message latency and checks each verdict.
// It is not an MTA: nothing is delivered or queued; --out only shows what
// sendmail would have made of each message (envelope changes not included).
#include <getopt.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "milter_client.hpp"

namespace {

using namespace bounceseal::test;
using Clock = std::chrono::steady_clock;

constexpr const char* kUsage =
    "usage: mtdrive -p SOCKET [options] MESSAGE_FILE...\n"
    "  -p SOCKET             filter socket: unix:/path, inet:PORT@HOST, inet6:PORT@HOST\n"
    "  -n COUNT              send each message file COUNT times (default 1)\n"
    "  -c CONCURRENCY        parallel connections (default 1)\n"
    "  -t SECONDS            I/O timeout per read or write (default 30)\n"
    "  --reuse               keep one connection per thread instead of one per message\n"
    "  --client-addr ADDR    SMTP client address told to the filter (default 127.0.0.1)\n"
    "  --auth USER           mark the sender as SMTP-authenticated as USER\n"
    "  --from ADDR           envelope sender (default: the From: address)\n"
    "  --rcpt ADDR           envelope recipient, repeatable (default: the To: address)\n"
    "  --out DIR             write each resulting message to DIR/NNNNNN.eml\n"
    "  --expect-body-change  fail messages whose body the filter did not change\n"
    "  --expect-unchanged    fail messages the filter modified in any way (a body\n"
    "                        replaced by identical bytes counts as unchanged)\n"
    "  --json                print the summary as one JSON object\n"
    "Any reply other than continue or accept counts as an error. Exit status:\n"
    "0 all messages went through as expected, 1 some did not, 2 usage or input error.\n";

enum class Expect { nothing, body_change, unchanged };

struct Options {
    std::string socket;
    std::size_t count = 1;
    std::size_t concurrency = 1;
    std::chrono::milliseconds timeout{30000};
    bool reuse = false;
    std::string client_addr = "127.0.0.1";
    std::string auth_user;
    std::string from;
    std::vector<std::string> rcpts;
    std::string out_dir;
    Expect expect = Expect::nothing;
    bool json = false;
    std::vector<std::string> files;
};

struct Totals {
    std::mutex mutex;
    std::vector<double> latencies_ms;
    std::vector<std::string> errors;
};

std::size_t positive_number(const char* text, const char* option) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long value = std::strtoull(text, &end, 10);
    if (!std::isdigit(static_cast<unsigned char>(*text)) || *end != '\0' || errno != 0 ||
        value == 0)
        throw std::invalid_argument(std::string(option) + " wants a positive number, not '" +
                                    text + "'");
    return static_cast<std::size_t>(value);
}

Options parse_options(int argc, char** argv) {
    enum : int { reuse = 256, client_addr, auth, from, rcpt, out, body_change, unchanged, json };
    static const option long_options[] = {
        {"reuse", no_argument, nullptr, reuse},
        {"client-addr", required_argument, nullptr, client_addr},
        {"auth", required_argument, nullptr, auth},
        {"from", required_argument, nullptr, from},
        {"rcpt", required_argument, nullptr, rcpt},
        {"out", required_argument, nullptr, out},
        {"expect-body-change", no_argument, nullptr, body_change},
        {"expect-unchanged", no_argument, nullptr, unchanged},
        {"json", no_argument, nullptr, json},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    Options o;
    for (int opt; (opt = ::getopt_long(argc, argv, "p:n:c:t:h", long_options, nullptr)) != -1;) {
        switch (opt) {
        case 'p': o.socket = optarg; break;
        case 'n': o.count = positive_number(optarg, "-n"); break;
        case 'c': o.concurrency = positive_number(optarg, "-c"); break;
        case 't':
            o.timeout = std::chrono::seconds(positive_number(optarg, "-t"));
            break;
        case reuse: o.reuse = true; break;
        case client_addr: o.client_addr = optarg; break;
        case auth: o.auth_user = optarg; break;
        case from: o.from = optarg; break;
        case rcpt: o.rcpts.emplace_back(optarg); break;
        case out: o.out_dir = optarg; break;
        case body_change: o.expect = Expect::body_change; break;
        case unchanged: o.expect = Expect::unchanged; break;
        case json: o.json = true; break;
        default: throw std::invalid_argument("");  // getopt has said what was wrong
        }
    }
    o.files.assign(argv + optind, argv + argc);
    if (o.socket.empty() || o.files.empty())
        throw std::invalid_argument("need -p SOCKET and at least one message file");
    return o;
}

std::string header_value(const MilterMessage& message, std::string_view name) {
    for (const auto& [field, value] : message.headers)
        if (field.size() == name.size() &&
            std::equal(field.begin(), field.end(), name.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) ==
                       std::tolower(static_cast<unsigned char>(b));
            }))
            return value;
    return {};
}

// Fills in what sendmail would know about the message besides its text.
MilterMessage load_message(const std::string& path, const Options& o) {
    std::ifstream in(path, std::ios::binary);
    std::error_code size_error;
    const auto size = std::filesystem::file_size(path, size_error);
    std::string text(size_error ? 0 : size, '\0');
    if (!in || size_error || !in.read(text.data(), static_cast<std::streamsize>(text.size())))
        throw std::runtime_error("cannot read " + path);
    MilterMessage m = parse_rfc5322(text);
    const bool loopback = o.client_addr == "127.0.0.1" || o.client_addr == "::1";
    m.connect.hostname = loopback ? "localhost" : "[" + o.client_addr + "]";
    m.connect.family = o.client_addr.find(':') != std::string::npos ? SMFIA_INET6 : SMFIA_INET;
    m.connect.address = o.client_addr;
    m.helo = m.connect.hostname;
    m.mail_from.address = o.from.empty() ? first_address(header_value(m, "From")) : o.from;
    for (const auto& rcpt : o.rcpts) m.rcpts.push_back({rcpt, {}});
    if (m.rcpts.empty()) {
        const auto to = first_address(header_value(m, "To"));
        m.rcpts.push_back({to.empty() ? "postmaster@localhost" : to, {}});
    }
    m.macros[SMFIC_CONNECT] = {{"j", "mtdrive.localhost"},
                               {"{daemon_name}", "mtdrive"},
                               {"_", m.connect.hostname + " [" + o.client_addr + "]"},
                               {"{client_addr}", o.client_addr},
                               {"{client_name}", m.connect.hostname}};
    auto& mail = m.macros[SMFIC_MAIL];
    mail.push_back({"{mail_addr}", m.mail_from.address});
    if (!o.auth_user.empty()) {
        mail.push_back({"{auth_type}", "PLAIN"});
        mail.push_back({"{auth_authen}", o.auth_user});
    }
    return m;
}

// Empty when the result is what the options expect, else why not.
std::string check_result(const MilterResult& r, const MilterMessage& m, const Options& o) {
    if (!r.delivered())
        return reply_name(r.reply) + (r.reply_text.empty() ? "" : " \"" + r.reply_text + "\"") +
               " at " + command_name(r.stage);
    const bool body_changed = r.body_replaced && r.new_body != m.body;
    if (o.expect == Expect::body_change && !body_changed)
        return r.body_replaced ? "body replaced by identical bytes" : "body not replaced";
    if (o.expect == Expect::unchanged) {
        if (body_changed) return "body changed";
        for (const auto& mod : r.modifications)
            if (mod.action != SMFIR_REPLBODY)
                return "filter sent " + reply_name(mod.action) + " " + mod.name;
    }
    return {};
}

void write_message(const Options& o, std::size_t job, const std::string& text) {
    char name[32];
    std::snprintf(name, sizeof name, "%06zu.eml", job + 1);
    const auto path = std::filesystem::path(o.out_dir) / name;
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

void drive(const Options& o, const std::vector<MilterMessage>& messages,
           std::atomic<std::size_t>& next_job, std::size_t jobs, Totals& totals) {
    MilterClient client(o.timeout);
    std::vector<double> latencies;
    std::vector<std::string> errors;
    for (std::size_t job; (job = next_job.fetch_add(1)) < jobs;) {
        const MilterMessage& message = messages[job % messages.size()];
        char queue_id[24];
        std::snprintf(queue_id, sizeof queue_id, "MTD%09zu", job + 1);
        std::string problem;
        try {
            const auto start = Clock::now();
            if (!client.connected()) {
                client.connect(o.socket);
                client.negotiate();
            }
            const MilterResult result = client.run(message, {{SMFIC_MAIL, {{"i", queue_id}}}});
            latencies.push_back(
                std::chrono::duration<double, std::milli>(Clock::now() - start).count());
            if (!o.reuse) client.quit();
            problem = check_result(result, message, o);
            if (!o.out_dir.empty()) write_message(o, job, render_result(message, result));
        } catch (const std::exception& e) {
            problem = e.what();
        }
        if (!problem.empty())
            errors.push_back("message " + std::to_string(job + 1) + " (" +
                             o.files[job % o.files.size()] + "): " + problem);
    }
    const std::lock_guard lock(totals.mutex);
    totals.latencies_ms.insert(totals.latencies_ms.end(), latencies.begin(), latencies.end());
    totals.errors.insert(totals.errors.end(), errors.begin(), errors.end());
}

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0.0;
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    std::vector<MilterMessage> messages;
    try {
        o = parse_options(argc, argv);
        for (const auto& file : o.files) messages.push_back(load_message(file, o));
        if (!o.out_dir.empty()) std::filesystem::create_directories(o.out_dir);
    } catch (const std::exception& e) {
        if (*e.what() != '\0') std::fprintf(stderr, "mtdrive: %s\n", e.what());
        std::fputs(kUsage, stderr);
        return 2;
    }

    const std::size_t jobs = o.count * messages.size();
    std::atomic<std::size_t> next_job{0};
    Totals totals;
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < std::min(o.concurrency, jobs); ++i)
        threads.emplace_back(drive, std::cref(o), std::cref(messages), std::ref(next_job), jobs,
                             std::ref(totals));
    for (auto& t : threads) t.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

    auto& latencies = totals.latencies_ms;
    std::sort(latencies.begin(), latencies.end());
    const double rate = seconds > 0 ? static_cast<double>(jobs) / seconds : 0.0;
    const double p50 = percentile(latencies, 0.50);
    const double p99 = percentile(latencies, 0.99);
    const double max = latencies.empty() ? 0.0 : latencies.back();
    constexpr std::size_t kErrorsShown = 10;
    for (std::size_t i = 0; i < std::min(totals.errors.size(), kErrorsShown); ++i)
        std::fprintf(stderr, "mtdrive: %s\n", totals.errors[i].c_str());
    if (totals.errors.size() > kErrorsShown)
        std::fprintf(stderr, "mtdrive: %zu more errors not shown\n",
                     totals.errors.size() - kErrorsShown);
    if (o.json) {
        std::printf("{\"messages\":%zu,\"errors\":%zu,\"seconds\":%.6f,\"msgs_per_sec\":%.2f,"
                    "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"concurrency\":%zu,"
                    "\"reuse\":%s}\n",
                    jobs, totals.errors.size(), seconds, rate, p50, p99, max,
                    std::min(o.concurrency, jobs), o.reuse ? "true" : "false");
    } else {
        std::printf("mtdrive: %zu messages, %zu errors, %.3f s, %.1f msgs/s, "
                    "latency p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
                    jobs, totals.errors.size(), seconds, rate, p50, p99, max);
    }
    return totals.errors.empty() ? 0 : 1;
}
