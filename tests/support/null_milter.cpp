// null_milter.cpp - a libmilter filter that does next to nothing: the test
// peer of the in-tree milter client and the floor for milter benchmarks.
//
//   null_milter -p SOCKET [-m pass|replace]
//     pass     asks the MTA to skip every stage it can and continues.
//     replace  takes every stage, buffers the body, and at end of message
//              replaces the body with the same bytes and adds the header
//              "X-Null-Milter: seen". An empty body cannot be replaced.
//
// SOCKET is libmilter's: unix:/path, local:/path or inet:PORT@HOST. A stale
// unix socket is removed first. SIGTERM, SIGINT or SIGHUP end it and remove
// the socket: nearly always at once, in rare races within 5 s.
// It keeps nothing between messages and logs nothing.
#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

std::string* buffered_body(SMFICTX* ctx) { return static_cast<std::string*>(smfi_getpriv(ctx)); }

void drop_body(SMFICTX* ctx) {
    delete buffered_body(ctx);
    smfi_setpriv(ctx, nullptr);
}

sfsistat pass_negotiate(SMFICTX*, unsigned long, unsigned long offered_steps, unsigned long,
                        unsigned long, unsigned long* actions, unsigned long* steps,
                        unsigned long* reserved2, unsigned long* reserved3) {
    constexpr unsigned long kSkippable = SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL |
                                         SMFIP_NORCPT | SMFIP_NODATA | SMFIP_NOHDRS |
                                         SMFIP_NOEOH | SMFIP_NOBODY | SMFIP_NOUNKNOWN;
    *actions = 0;
    *steps = offered_steps & kSkippable;
    *reserved2 = *reserved3 = 0;
    return SMFIS_CONTINUE;
}

sfsistat replace_negotiate(SMFICTX*, unsigned long offered_actions, unsigned long, unsigned long,
                           unsigned long, unsigned long* actions, unsigned long* steps,
                           unsigned long* reserved2, unsigned long* reserved3) {
    constexpr unsigned long kNeeded = SMFIF_ADDHDRS | SMFIF_CHGBODY;
    if ((offered_actions & kNeeded) != kNeeded) return SMFIS_REJECT;  // libmilter hangs up
    *actions = kNeeded;
    *steps = 0;  // every stage, every reply: the most work an MTA can ask of a filter
    *reserved2 = *reserved3 = 0;
    return SMFIS_CONTINUE;
}

sfsistat replace_body(SMFICTX* ctx, unsigned char* chunk, size_t length) {
    try {  // no exception may unwind into libmilter's C frames
        std::string* body = buffered_body(ctx);
        if (body == nullptr) {
            body = new std::string;
            smfi_setpriv(ctx, body);
        }
        body->append(reinterpret_cast<const char*>(chunk), length);
        return SMFIS_CONTINUE;
    } catch (const std::bad_alloc&) {
        drop_body(ctx);
        return SMFIS_TEMPFAIL;
    }
}

sfsistat replace_eom(SMFICTX* ctx) {
    static char header_name[] = "X-Null-Milter";  // libmilter takes char*, not const char*
    static char header_value[] = "seen";
    std::string* body = buffered_body(ctx);
    bool ok = smfi_addheader(ctx, header_name, header_value) == MI_SUCCESS;
    if (ok && body != nullptr && !body->empty()) {
        ok = body->size() <= INT_MAX &&
             smfi_replacebody(ctx, reinterpret_cast<unsigned char*>(body->data()),
                              static_cast<int>(body->size())) == MI_SUCCESS;
    }
    drop_body(ctx);
    return ok ? SMFIS_CONTINUE : SMFIS_TEMPFAIL;
}

sfsistat replace_cleanup(SMFICTX* ctx) {
    drop_body(ctx);
    return SMFIS_CONTINUE;
}

// Stopping. libmilter stops on SIGTERM, SIGINT and SIGHUP too, but its
// signal thread only flags the stop and the listener notices within 5 s; and
// run as root it leaves the socket file behind. So the main thread takes
// these signals itself and ends the process at once (stop_now). It is the
// thread the kernel offers a process's signal to first; libmilter's thread
// gets one only if it enters sigwait while a signal is already pending, which
// is why the socket opens only after that thread was started.
char g_socket_path[sizeof(sockaddr_un::sun_path)];  // for the handler; empty if not unix
sem_t g_main_takes_signals;

// Async-signal-safe. Leaves alone whatever is not a socket.
void remove_socket_file() {
    struct stat existing {};
    if (g_socket_path[0] != '\0' && ::lstat(g_socket_path, &existing) == 0 &&
        S_ISSOCK(existing.st_mode))
        ::unlink(g_socket_path);
}

void stop_now(int) {
    remove_socket_file();
    _exit(0);  // nothing to flush: open connections just see EOF
}

void* run_filter(void*) {
    while (sem_wait(&g_main_takes_signals) != 0) {
    }
    const int rc = smfi_main();  // starts libmilter's signal thread, then listens
    if (rc != MI_SUCCESS) std::fprintf(stderr, "null_milter: libmilter could not listen\n");
    remove_socket_file();
    _exit(rc == MI_SUCCESS ? 0 : 1);
}

std::string unix_socket_path(const std::string& spec) {
    for (const char* prefix : {"unix:", "local:"})
        if (spec.rfind(prefix, 0) == 0) return spec.substr(std::strlen(prefix));
    return spec.rfind('/', 0) == 0 ? spec : std::string();
}

int usage() {
    std::fprintf(stderr, "usage: null_milter -p SOCKET [-m pass|replace]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string socket_spec;
    std::string mode = "pass";
    for (int opt; (opt = ::getopt(argc, argv, "p:m:")) != -1;) {
        if (opt == 'p') socket_spec = optarg;
        else if (opt == 'm') mode = optarg;
        else return usage();
    }
    if (socket_spec.empty() || optind != argc || (mode != "pass" && mode != "replace"))
        return usage();

    static char filter_name[] = "null_milter";
    smfiDesc filter{};
    filter.xxfi_name = filter_name;
    filter.xxfi_version = SMFI_VERSION;
    if (mode == "pass") {
        filter.xxfi_negotiate = pass_negotiate;
    } else {
        filter.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGBODY;
        filter.xxfi_negotiate = replace_negotiate;
        filter.xxfi_body = replace_body;
        filter.xxfi_eom = replace_eom;
        filter.xxfi_abort = replace_cleanup;
        filter.xxfi_close = replace_cleanup;
    }

    const std::string path = unix_socket_path(socket_spec);
    if (path.size() >= sizeof g_socket_path) {
        std::fprintf(stderr, "null_milter: socket path too long: %s\n", path.c_str());
        return 1;
    }
    std::memcpy(g_socket_path, path.c_str(), path.size() + 1);
    remove_socket_file();  // one left by a crashed run would make libmilter's bind fail

    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    struct sigaction on_stop {};
    on_stop.sa_handler = stop_now;
    sigemptyset(&on_stop.sa_mask);
    for (const int sig : {SIGTERM, SIGINT, SIGHUP}) {
        sigaddset(&stop_signals, sig);
        sigaction(sig, &on_stop, nullptr);
    }
    // Blocked in every thread but this one: the filter thread inherits the
    // mask, and every libmilter thread inherits it from the filter thread.
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    if (smfi_setconn(socket_spec.data()) == MI_FAILURE || smfi_register(filter) == MI_FAILURE) {
        std::fprintf(stderr, "null_milter: libmilter refused socket %s\n", socket_spec.c_str());
        return 1;
    }
    smfi_setbacklog(128);
    pthread_t filter_thread;
    if (sem_init(&g_main_takes_signals, 0, 0) != 0 ||
        pthread_create(&filter_thread, nullptr, run_filter, nullptr) != 0) {
        std::fprintf(stderr, "null_milter: cannot start the filter thread\n");
        return 1;
    }
    pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);
    sem_post(&g_main_takes_signals);
    for (;;) pause();
}
