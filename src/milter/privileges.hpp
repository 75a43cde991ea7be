// privileges.hpp - what bounceseal-milter does as root before it gives root
// up: prepare the listening socket (remove a stale one, refuse one that is
// in use, set its mode and group) and switch to the unprivileged UserID for
// good. Also the process-level chores around that: daemonizing and the pid
// file.
//
// It does not open the socket (libmilter does) and does not read keys or
// configuration; the signer process's own, stricter drop is sandbox.hpp.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <sys/types.h>

namespace bounceseal::milter {

struct UserSpec {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
};

// "user" or "user:group" from the passwd and group databases; without a
// group, the user's primary group. Throws Error(Errc::config).
UserSpec resolve_user(std::string_view user_id);
gid_t resolve_group(std::string_view group);
// The user with that id and their primary group; nullopt if there is none.
std::optional<UserSpec> user_by_id(uid_t uid);

// initgroups(), setgid(), setuid(), then proof that root cannot be
// regained. Throws Error(Errc::io) on any failure: the caller must exit.
void drop_privileges(const UserSpec& user);

// True if `user` may open `file` for reading, as the kernel decides (owner,
// groups, ACLs). Asked as the user: directly when this process already runs
// as it, otherwise (as root) in a child that switches to it. False when
// neither is possible.
bool readable_by(const std::filesystem::path& file, const UserSpec& user);

// The file name of a "unix:PATH", "local:PATH" or bare "/PATH" socket
// specification; nullopt for inet sockets.
std::optional<std::filesystem::path> unix_socket_path(std::string_view spec);

// Before listening: a socket file nobody answers on is stale (libmilter
// may remove it); one that accepts a connection belongs to a running
// filter, and anything else is not ours to remove. Throws Error(Errc::io)
// in those two cases.
void check_socket_path(const std::filesystem::path& path);

// Sets the socket's permission bits, and its owner and group where given.
// Throws Error(Errc::io).
void set_socket_access(const std::filesystem::path& path, unsigned mode, std::optional<uid_t> owner,
                       std::optional<gid_t> group);

// Forks into the background. The parent waits until the child calls
// Daemon::ready() (then exits 0) or dies or closes without it (exits 1),
// so start-up errors still reach the terminal and the exit status.
class Daemon {
public:
    void detach();           // in the parent: does not return
    void ready() noexcept;   // in the child: start-up succeeded

private:
    int fd_ = -1;
};

// Writes the process id to `file` (replacing it); throws Error(Errc::io).
void write_pid_file(const std::filesystem::path& file);
// Removes `file` if it still holds this process's id; quiet otherwise.
// Returns false if it should have been removed but could not be.
bool remove_pid_file(const std::filesystem::path& file) noexcept;

}  // namespace bounceseal::milter
