/* sec.c - capabilities, no_new_privs and the seccomp filter for container processes. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wdn_sec.h"

#if defined(__x86_64__)
#define WDN_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define WDN_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "seccomp filter: unsupported architecture"
#endif

#define X32_SYSCALL_BIT 0x40000000u

static const int denied[] = {
#ifdef __NR_kexec_load
    __NR_kexec_load,
#endif
#ifdef __NR_kexec_file_load
    __NR_kexec_file_load,
#endif
    __NR_init_module,
    __NR_finit_module,
    __NR_delete_module,
    __NR_mount,
    __NR_umount2,
    __NR_pivot_root,
#ifdef __NR_move_mount
    __NR_move_mount,
    __NR_open_tree,
    __NR_fsopen,
    __NR_fsconfig,
    __NR_fsmount,
    __NR_fspick,
#endif
#ifdef __NR_mount_setattr
    __NR_mount_setattr,
#endif
    __NR_reboot,
    __NR_swapon,
    __NR_swapoff,
    __NR_bpf,
    __NR_perf_event_open,
    __NR_keyctl,
    __NR_add_key,
    __NR_request_key,
    __NR_open_by_handle_at,
    __NR_name_to_handle_at,
    __NR_setns,
    __NR_acct,
    __NR_syslog,
    __NR_quotactl,
#ifdef __NR_iopl
    __NR_iopl,
    __NR_ioperm,
#endif
    __NR_settimeofday,
    __NR_clock_settime,
    __NR_adjtimex,
    __NR_clock_adjtime,
    __NR_userfaultfd,
    __NR_process_vm_readv,
    __NR_process_vm_writev,
};

#define STMT(code, k) ((struct sock_filter)BPF_STMT((code), (k)))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP((code), (k), (jt), (jf)))
#define ARG0_LO offsetof(struct seccomp_data, args[0])

int wdn_seccomp_build(struct sock_filter *prog, size_t cap)
{
    size_t n = 0;
#define EMIT(insn)                                                                                 \
    do {                                                                                           \
        if (n >= cap)                                                                              \
            return -ENOSPC;                                                                        \
        prog[n++] = (insn);                                                                        \
    } while (0)
    EMIT(STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
    EMIT(JUMP(BPF_JMP | BPF_JEQ | BPF_K, WDN_AUDIT_ARCH, 1, 0));
    EMIT(STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
    EMIT(STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
#if defined(__x86_64__)
    EMIT(JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1));
    EMIT(STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
#endif
    for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
        EMIT(JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)denied[i], 0, 1));
        EMIT(STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
    }
    /* clone and unshare: refuse a new user namespace (flags are the first argument). */
    static const int flagged[] = {__NR_clone, __NR_unshare};
    for (size_t i = 0; i < 2; i++) {
        EMIT(JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)flagged[i], 0, 4));
        EMIT(STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LO));
        EMIT(JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWUSER, 0, 1));
        EMIT(STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
        EMIT(STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    }
#ifdef __NR_clone3
    EMIT(JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1));
    EMIT(STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
#endif
    /* ptrace: only PTRACE_TRACEME (0), so no process can attach to another. */
    EMIT(JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ptrace, 0, 4));
    EMIT(STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LO));
    EMIT(JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0));
    EMIT(STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
    EMIT(STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    EMIT(STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
#undef EMIT
    return (int)n;
}

int wdn_seccomp_install(void)
{
    struct sock_filter prog[WDN_SECCOMP_MAX_INSNS];
    int n = wdn_seccomp_build(prog, WDN_SECCOMP_MAX_INSNS);
    if (n < 0)
        return n;
    struct sock_fprog fprog = {.len = (unsigned short)n, .filter = prog};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
        return -errno;
    return 0;
}

int wdn_caps_drop_bounding(void)
{
    for (int c = 0; c <= 63; c++) {
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
            return -errno;
    }
    (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    return 0;
}

int wdn_caps_clear(void)
{
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2] = {{0}};
    if (syscall(SYS_capset, &hdr, data) < 0)
        return -errno;
    return 0;
}

int wdn_sec_lock(void)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    return wdn_seccomp_install();
}
