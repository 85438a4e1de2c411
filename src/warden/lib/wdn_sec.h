/*
 * wdn_sec.h - what a process goes through before it may run in a container: capabilities
 * dropped (bounding, ambient, effective, permitted, inheritable), no_new_privs, and a
 * seccomp filter written by hand in classic BPF (libseccomp is not a dependency).
 *
 * The filter returns EPERM for: kexec_load, kexec_file_load, init_module, finit_module,
 * delete_module, mount, umount2, pivot_root, move_mount, open_tree, fsopen, fsconfig,
 * fsmount, fspick, mount_setattr, reboot, swapon, swapoff, bpf, perf_event_open, keyctl,
 * add_key, request_key, open_by_handle_at, name_to_handle_at, setns, acct, syslog, quotactl,
 * iopl, ioperm, settimeofday, clock_settime, adjtimex, clock_adjtime, userfaultfd,
 * process_vm_readv/writev, ptrace (every request but PTRACE_TRACEME), clone and unshare
 * asking for CLONE_NEWUSER; clone3 gets ENOSYS (its flags live in memory a filter cannot
 * read, so libc falls back to clone); x32 syscall numbers and foreign architectures kill.
 */
#ifndef HEARTH_WARDEN_SEC_H
#define HEARTH_WARDEN_SEC_H

#include <linux/filter.h>
#include <stddef.h>

#define WDN_SECCOMP_MAX_INSNS 256

/* Writes the filter into prog (capacity cap). Returns the instruction count or -ENOSPC. */
int wdn_seccomp_build(struct sock_filter *prog, size_t cap);
/* Installs the filter on the calling thread (needs no_new_privs or CAP_SYS_ADMIN). */
int wdn_seccomp_install(void);
/*
 * Drops every capability from the bounding and ambient sets and clears the others; call
 * before setuid (dropping the bounding set needs CAP_SETPCAP). Returns 0 or -errno.
 */
int wdn_caps_drop_bounding(void);
int wdn_caps_clear(void);
/* no_new_privs, then the seccomp filter. Returns 0 or -errno. */
int wdn_sec_lock(void);

#endif
