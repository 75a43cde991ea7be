// privileges.cpp - socket preparation, the switch to UserID, daemonizing
// and the pid file (see privileges.hpp). POSIX calls only; no libmilter.
#include "privileges.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bounceseal/common/log.hpp"
#include "bounceseal/error.hpp"

namespace bounceseal::milter {
namespace {

[[noreturn]] void fail_errno(const std::string& what) { throw Error(Errc::io, what + ": " + std::strerror(errno)); }

// getpwnam_r, getgrnam_r or getpwuid_r (`fn`, given the entry, the buffer,
// its size and the result pointer) with a buffer that grows as needed.
template <typename Entry, typename Lookup>
bool lookup(Entry& entry, std::vector<char>& buf, Lookup fn) {
    buf.resize(1024);
    for (;;) {
        Entry* result = nullptr;
        const int rc = fn(&entry, buf.data(), buf.size(), &result);
        if (rc == ERANGE && buf.size() < (1u << 20)) {
            buf.resize(buf.size() * 2);
            continue;
        }
        return rc == 0 && result != nullptr;
    }
}

}  // namespace

gid_t resolve_group(std::string_view group) {
    struct group gr {};
    std::vector<char> buf;
    const std::string name(group);
    if (!lookup(gr, buf, [&](auto... a) { return getgrnam_r(name.c_str(), a...); }))
        throw Error(Errc::config, "no such group: " + log_safe(group));
    return gr.gr_gid;
}

UserSpec resolve_user(std::string_view user_id) {
    const std::size_t colon = user_id.find(':');
    const std::string name(user_id.substr(0, colon));
    struct passwd pw {};
    std::vector<char> buf;
    if (name.empty() || !lookup(pw, buf, [&](auto... a) { return getpwnam_r(name.c_str(), a...); }))
        throw Error(Errc::config, "UserID: no such user: " + log_safe(name));
    UserSpec u{name, pw.pw_uid, pw.pw_gid};
    if (colon != std::string_view::npos) {
        try {
            u.gid = resolve_group(user_id.substr(colon + 1));
        } catch (const Error& e) {
            throw Error(Errc::config, std::string("UserID: ") + e.what());
        }
    }
    return u;
}

std::optional<UserSpec> user_by_id(uid_t uid) {
    struct passwd pw {};
    std::vector<char> buf;
    if (!lookup(pw, buf, [&](auto... a) { return getpwuid_r(uid, a...); })) return std::nullopt;
    return UserSpec{pw.pw_name, pw.pw_uid, pw.pw_gid};
}

void drop_privileges(const UserSpec& u) {
    if (u.uid == 0) throw Error(Errc::config, "UserID: refusing to run as root; name an unprivileged user");
    if (initgroups(u.name.c_str(), u.gid) != 0) fail_errno("initgroups(" + u.name + ")");
    if (setgid(u.gid) != 0) fail_errno("setgid");
    if (setuid(u.uid) != 0) fail_errno("setuid");
    // setuid() by root sets all three user ids; make sure nothing is left.
    if (getuid() != u.uid || geteuid() != u.uid || getgid() != u.gid || getegid() != u.gid)
        throw Error(Errc::io, "the user and group ids did not all change");
    if (setuid(0) == 0 || seteuid(0) == 0) throw Error(Errc::io, "root could be regained after dropping privileges");
}

bool readable_by(const std::filesystem::path& file, const UserSpec& user) {
    if (geteuid() == user.uid && getuid() == user.uid) return access(file.c_str(), R_OK) == 0;
    if (geteuid() != 0) return false;
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) fail_errno("fork");
    if (pid == 0) {
        try {
            drop_privileges(user);
        } catch (...) {
            _exit(2);
        }
        _exit(access(file.c_str(), R_OK) == 0 ? 0 : 1);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) fail_errno("waitpid");
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::optional<std::filesystem::path> unix_socket_path(std::string_view spec) {
    if (spec.starts_with("unix:")) return std::filesystem::path(spec.substr(5));
    if (spec.starts_with("local:")) return std::filesystem::path(spec.substr(6));
    if (spec.starts_with("/")) return std::filesystem::path(spec);
    return std::nullopt;
}

void check_socket_path(const std::filesystem::path& path) {
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return;
        fail_errno(path.string());
    }
    if (!S_ISSOCK(st.st_mode)) throw Error(Errc::io, path.string() + ": exists and is not a socket; not removing it");
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (path.string().size() >= sizeof sun.sun_path) throw Error(Errc::io, path.string() + ": socket path too long");
    std::memcpy(sun.sun_path, path.c_str(), path.string().size());
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail_errno("socket");
    const int rc = connect(fd, reinterpret_cast<const sockaddr*>(&sun), sizeof sun);
    close(fd);
    if (rc == 0) throw Error(Errc::io, path.string() + ": another filter is listening on this socket");
    // ECONNREFUSED: stale, left by a filter that died; libmilter removes it.
}

void set_socket_access(const std::filesystem::path& path, unsigned mode, std::optional<uid_t> owner,
                       std::optional<gid_t> group) {
    if (owner || group) {
        const uid_t u = owner ? *owner : static_cast<uid_t>(-1);
        const gid_t g = group ? *group : static_cast<gid_t>(-1);
        if (chown(path.c_str(), u, g) != 0) fail_errno("chown " + path.string());
    }
    if (chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) fail_errno("chmod " + path.string());
}

void Daemon::detach() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) fail_errno("pipe");
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) fail_errno("fork");
    if (pid > 0) {
        close(fds[1]);
        char c = 0;
        ssize_t n;
        do {
            n = read(fds[0], &c, 1);
        } while (n < 0 && errno == EINTR);
        if (n == 1 && c == 'k') std::_Exit(0);
        int status = 0;
        waitpid(pid, &status, WNOHANG);
        std::_Exit(1);
    }
    close(fds[0]);
    fd_ = fds[1];
    if (setsid() < 0) fail_errno("setsid");
    if (chdir("/") != 0) fail_errno("chdir /");
    const int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        if (null > STDERR_FILENO) close(null);
    }
}

void Daemon::ready() noexcept {
    if (fd_ < 0) return;
    // From now on nobody reads the terminal's standard error.
    const int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDERR_FILENO);
        close(null);
    }
    const char ok = 'k';
    ssize_t n;
    do {
        n = write(fd_, &ok, 1);
    } while (n < 0 && errno == EINTR);
    close(fd_);
    fd_ = -1;
}

void write_pid_file(const std::filesystem::path& file) {
    const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) fail_errno(file.string());
    const std::string text = std::to_string(getpid()) + "\n";
    const ssize_t n = write(fd, text.data(), text.size());
    const int e = errno;
    if (close(fd) != 0 || n != static_cast<ssize_t>(text.size())) {
        errno = n < 0 ? e : EIO;
        fail_errno(file.string());
    }
}

bool remove_pid_file(const std::filesystem::path& file) noexcept {
    char buf[32] = {};
    const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return true;
    const ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0 || std::atol(buf) != static_cast<long>(getpid())) return true;  // not ours
    return unlink(file.c_str()) == 0;
}

}  // namespace bounceseal::milter
