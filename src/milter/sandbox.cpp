// sandbox.cpp - the signer's user, capabilities and seccomp filter (see
// sandbox.hpp). Raw prctl(), capset() and classic BPF: the kernel headers
// are all it needs.
#include "sandbox.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bounceseal/error.hpp"
#include "privileges.hpp"

namespace bounceseal::milter {
namespace {

[[noreturn]] void fail_errno(const std::string& what) {
    throw Error(Errc::io, "signer sandbox: " + what + ": " + std::strerror(errno));
}

#if defined(__x86_64__)
constexpr std::uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr std::uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#else
#error "the signer's seccomp filter knows x86_64 and aarch64; add this architecture's AUDIT_ARCH value"
#endif
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "argument offsets below assume little-endian");

// System calls allowed with any arguments.
constexpr long kAllowed[] = {
    SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_pread64, SYS_close, SYS_lseek, SYS_fstat,
    SYS_newfstatat, SYS_statx, SYS_fcntl, SYS_getcwd,
    SYS_recvfrom, SYS_recvmsg, SYS_sendto, SYS_sendmsg,
    SYS_brk, SYS_munmap, SYS_mremap, SYS_madvise, SYS_futex, SYS_getrandom,
    SYS_clock_gettime, SYS_gettimeofday, SYS_getpid, SYS_gettid,
    SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid,
    SYS_rt_sigprocmask, SYS_rt_sigreturn, SYS_restart_syscall, SYS_sched_yield, SYS_exit, SYS_exit_group,
    SYS_setitimer,  // the signer's watchdog: alarm()
#ifdef SYS_alarm
    SYS_alarm,
#endif
#ifdef SYS_stat
    SYS_stat, SYS_lstat,
#endif
#ifdef SYS_time
    SYS_time,
#endif
#if defined(__SANITIZE_ADDRESS__)
    // Test builds only: AddressSanitizer asks for the signal stack at every
    // call of a noreturn function (a throw included), and probes memory
    // through a pipe on the way.
    SYS_sigaltstack, SYS_pipe2,
#endif
};

// Flags that would open a file for anything but reading.
constexpr std::uint32_t kWriteOpenFlags = O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | (O_TMPFILE & ~O_DIRECTORY);

class Program {
public:
    void stmt(std::uint16_t code, std::uint32_t k) { code_.push_back(sock_filter{code, 0, 0, k}); }
    void jump(std::uint16_t code, std::uint32_t k, std::uint8_t jt, std::uint8_t jf) {
        code_.push_back(sock_filter{code, jt, jf, k});
    }
    void ret(std::uint32_t action) { stmt(kRet, action); }
    void load(std::uint32_t offset) { stmt(kLoad, offset); }
    // Allows `nr` outright.
    void allow(long nr) {
        jump(kJeq, static_cast<std::uint32_t>(nr), 0, 1);
        ret(SECCOMP_RET_ALLOW);
    }
    // Allows `nr` unless argument `arg` has a bit of `forbidden` set. The
    // check is self-contained (it ends in a return either way), so no jump
    // ever crosses it.
    void allow_unless(long nr, unsigned arg, std::uint32_t forbidden) {
        jump(kJeq, static_cast<std::uint32_t>(nr), 0, 4);
        load(static_cast<std::uint32_t>(offsetof(seccomp_data, args) + 8 * arg));  // low 32 bits
        jump(kJset, forbidden, 0, 1);
        ret(SECCOMP_RET_KILL_PROCESS);
        ret(SECCOMP_RET_ALLOW);
    }
    std::vector<sock_filter>& code() { return code_; }

    static constexpr std::uint16_t kRet = BPF_RET | BPF_K;
    static constexpr std::uint16_t kLoad = BPF_LD | BPF_W | BPF_ABS;
    static constexpr std::uint16_t kJeq = BPF_JMP | BPF_JEQ | BPF_K;
    static constexpr std::uint16_t kJset = BPF_JMP | BPF_JSET | BPF_K;
    static constexpr std::uint16_t kJge = BPF_JMP | BPF_JGE | BPF_K;

private:
    std::vector<sock_filter> code_;
};

void clear_capabilities() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capset, &header, data) != 0) fail_errno("capset");
    if (syscall(SYS_capget, &header, data) != 0) fail_errno("capget");
    for (const auto& d : data)
        if (d.effective != 0 || d.permitted != 0 || d.inheritable != 0)
            throw Error(Errc::io, "signer sandbox: capabilities remain after capset");
    // Ambient capabilities: EINVAL on kernels before 4.3, which have none.
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        fail_errno("clearing the ambient capabilities");
}

}  // namespace

SignerCredentials signer_credentials(const std::filesystem::path& key_file) {
    if (geteuid() != 0) return {};
    SignerCredentials c{true, 0, 0};
    struct stat st {};
    if (stat(key_file.c_str(), &st) != 0 || st.st_uid == 0) return c;
    c.uid = st.st_uid;
    const std::optional<UserSpec> owner = user_by_id(st.st_uid);
    c.gid = owner ? owner->gid : st.st_gid;
    return c;
}

void drop_to_signer(const SignerCredentials& c) {
    if (c.switch_user) {
        // The bounding set and securebits need CAP_SETPCAP, which root
        // still has here. PR_CAPBSET_READ fails past the kernel's last
        // capability (the headers may know fewer or more).
        for (unsigned long cap = 0; cap < 64; ++cap) {
            const int present = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
            if (present < 0) break;
            if (present == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
                fail_errno("dropping capability " + std::to_string(cap) + " from the bounding set");
        }
        // Root's uid gives no capability back, ever: not at setuid(), not
        // at execve(), not through ambient ones. Capabilities are cleared
        // explicitly below (NO_SETUID_FIXUP keeps them across setresuid()).
        const unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                                   SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                                   SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
        if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) != 0) fail_errno("setting securebits");
        if (setgroups(0, nullptr) != 0) fail_errno("setgroups");
        if (setresgid(c.gid, c.gid, c.gid) != 0) fail_errno("setresgid");
        if (setresuid(c.uid, c.uid, c.uid) != 0) fail_errno("setresuid");
        uid_t ru = 0, eu = 0, su = 0;
        gid_t rg = 0, eg = 0, sg = 0;
        if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 || ru != c.uid || eu != c.uid ||
            su != c.uid || rg != c.gid || eg != c.gid || sg != c.gid)
            throw Error(Errc::io, "signer sandbox: the user and group ids did not all change");
    }
    clear_capabilities();
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail_errno("no_new_privs");
    // Not dumpable: no core file with the key in it, and no ptrace or
    // /proc/PID/mem by a process of the same user (the worker, when the
    // key belongs to its user).
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) fail_errno("PR_SET_DUMPABLE");
}

void install_signer_filter() {
    Program p;
    p.load(offsetof(seccomp_data, arch));
    p.jump(Program::kJeq, kAuditArch, 1, 0);
    p.ret(SECCOMP_RET_KILL_PROCESS);
    p.load(offsetof(seccomp_data, nr));
#ifdef __X32_SYSCALL_BIT
    // x32 system calls share the x86_64 arch value but not the numbers.
    p.jump(Program::kJge, __X32_SYSCALL_BIT, 0, 1);
    p.ret(SECCOMP_RET_KILL_PROCESS);
#endif
    for (long nr : kAllowed) p.allow(nr);
    // allow_unless() reloads the accumulator with an argument, so each
    // check ends in a return and the number is reloaded before the next.
    const std::pair<long, unsigned> opens[] = {
#ifdef SYS_open
        {SYS_open, 1},
#endif
        {SYS_openat, 2},
    };
    for (const auto& [nr, arg] : opens) {
        p.allow_unless(nr, arg, kWriteOpenFlags);
        p.load(offsetof(seccomp_data, nr));
    }
    // Memory, but never executable: no code can be loaded or made.
    for (long nr : {static_cast<long>(SYS_mmap), static_cast<long>(SYS_mprotect)}) {
        p.allow_unless(nr, 2, PROT_EXEC);
        p.load(offsetof(seccomp_data, nr));
    }
    p.ret(SECCOMP_RET_KILL_PROCESS);

    sock_fprog prog{};
    prog.len = static_cast<unsigned short>(p.code().size());
    prog.filter = p.code().data();
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) fail_errno("installing the seccomp filter");
}

}  // namespace bounceseal::milter
