// sandbox.hpp - what the signer process gives up before it reads the key:
// its user and groups, every capability (the bounding set too), the right
// to gain privileges through execve, to be traced or to dump core, and
// every system call outside a short allow list (a seccomp filter).
//
// Linux calls only; the filter is classic BPF built from the kernel
// headers, installed with prctl() so that it also works under systemd's
// SystemCallFilter (which does not allow seccomp() itself). It does not
// fork, read keys or talk to the worker: signer.cpp does.
#pragma once

#include <filesystem>

#include <sys/types.h>

namespace bounceseal::milter {

// The user and group the signer runs as.
struct SignerCredentials {
    bool switch_user = false;  // false: keep the starting user (not started as root)
    uid_t uid = 0;
    gid_t gid = 0;
};

// Started as root: the owner of `key_file` and that user's primary group
// (root:root for a key of root's, or when the file cannot be looked at: the
// signer then reports why it cannot read it). The signer runs as the key's
// owner because it must be able to read the key again at every reload,
// without any capability. Not root: the starting user, unchanged. Called by
// the starting process before the fork, so the signer needs no user
// database.
SignerCredentials signer_credentials(const std::filesystem::path& key_file);

// In the signer, right after the fork: no supplementary groups, the group
// and user of `credentials`, an empty bounding set and no capability of any
// kind, securebits locked so that none comes back, no_new_privs, not
// dumpable (no ptrace, no /proc/PID/mem, no core file). Throws Error(Errc::io)
// naming the step that failed; the caller must then exit.
void drop_to_signer(const SignerCredentials& credentials);

// Installs the signer's seccomp filter (no_new_privs must be set, as
// drop_to_signer() does). Allowed: reading and writing open descriptors,
// send and receive on them, opening files read-only (the configuration and
// the key at a reload), memory without execute permission, time, random
// bytes and exit. Any other call kills the process (SIGSYS): no socket(),
// connect(), execve(), fork(), ptrace(), kill(), no file opened for
// writing or created. Throws Error(Errc::io).
void install_signer_filter();

}  // namespace bounceseal::milter
