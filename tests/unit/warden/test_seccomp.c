/* Unit tests for the seccomp filter and privilege helpers (src/warden/lib/sec.c). */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/wdn_sec.h"

static void test_build_shape(void **state)
{
    (void)state;
    struct sock_filter prog[WDN_SECCOMP_MAX_INSNS];
    int n = wdn_seccomp_build(prog, WDN_SECCOMP_MAX_INSNS);
    assert_true(n > 20 && n < WDN_SECCOMP_MAX_INSNS);
    /* Starts by loading and checking the architecture, ends by allowing. */
    assert_int_equal(prog[0].code, BPF_LD | BPF_W | BPF_ABS);
    assert_int_equal(prog[0].k, offsetof(struct seccomp_data, arch));
    assert_int_equal(prog[2].k, SECCOMP_RET_KILL_PROCESS);
    assert_int_equal(prog[n - 1].code, BPF_RET | BPF_K);
    assert_int_equal(prog[n - 1].k, SECCOMP_RET_ALLOW);
    /* Every jump stays inside the program. */
    for (int i = 0; i < n; i++) {
        if (BPF_CLASS(prog[i].code) == BPF_JMP) {
            assert_true(i + 1 + prog[i].jt < n);
            assert_true(i + 1 + prog[i].jf < n);
        }
    }
    /* Too small a buffer is refused, not overrun. */
    assert_int_equal(wdn_seccomp_build(prog, 10), -ENOSPC);
}

/* Runs fn in a child under the filter; returns the child's exit code. */
static int in_filtered_child(int (*fn)(void))
{
    pid_t pid = fork();
    if (pid == 0) {
        if (wdn_sec_lock() < 0)
            _exit(100);
        _exit(fn());
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 200 + WTERMSIG(st);
}

static int try_mount(void)
{
    return mount("none", "/tmp", "tmpfs", 0, NULL) < 0 && errno == EPERM ? 0 : 1;
}

static int try_unshare_user(void)
{
    return unshare(CLONE_NEWUSER) < 0 && errno == EPERM ? 0 : 1;
}

static int try_clone3(void)
{
    return syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS ? 0 : 1;
}

static int try_ptrace_attach(void)
{
    return ptrace(PTRACE_ATTACH, getppid(), NULL, NULL) < 0 && errno == EPERM ? 0 : 1;
}

static int try_keyctl(void)
{
    return syscall(SYS_keyctl, 0, 0, 0, 0, 0) < 0 && errno == EPERM ? 0 : 1;
}

static int try_ordinary(void)
{
    /* Normal work still runs: fork, pipes, unshare without CLONE_NEWUSER fails only on perms. */
    int p[2];
    if (pipe(p) < 0 || getpid() <= 0)
        return 1;
    pid_t c = fork();
    if (c == 0)
        _exit(7);
    int st;
    waitpid(c, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 0 : 1;
}

static void test_filter_denies(void **state)
{
    (void)state;
    assert_int_equal(in_filtered_child(try_mount), 0);
    assert_int_equal(in_filtered_child(try_unshare_user), 0);
    assert_int_equal(in_filtered_child(try_clone3), 0);
    assert_int_equal(in_filtered_child(try_ptrace_attach), 0);
    assert_int_equal(in_filtered_child(try_keyctl), 0);
}

static void test_filter_allows_ordinary_work(void **state)
{
    (void)state;
    assert_int_equal(in_filtered_child(try_ordinary), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_shape),
        cmocka_unit_test(test_filter_denies),
        cmocka_unit_test(test_filter_allows_ordinary_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
