/* Unit tests for the pure parts of the cgroup backends and file helpers (lib/cgroup*.c, util.c). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hc_fs.h"

#include "lib/wdn_cgroup.h"
#include "lib/wdn_rootfs.h"
#include "lib/wdn_util.h"

static void test_shares_to_weight(void **state)
{
    (void)state;
    assert_int_equal(wdn_cg_shares_to_weight(2), 1);
    assert_int_equal(wdn_cg_shares_to_weight(262144), 10000);
    assert_int_equal(wdn_cg_shares_to_weight(1024), 39);
    assert_int_equal(wdn_cg_shares_to_weight(0), 100);
    assert_int_equal(wdn_cg_shares_to_weight(1), 1);
    assert_int_equal(wdn_cg_shares_to_weight(UINT64_MAX), 10000);
}

static void test_fmt_limit(void **state)
{
    (void)state;
    char b[32];
    wdn_cg_fmt_limit(b, sizeof(b), 0);
    assert_string_equal(b, "max");
    wdn_cg_fmt_limit(b, sizeof(b), UINT64_MAX);
    assert_string_equal(b, "max");
    wdn_cg_fmt_limit(b, sizeof(b), 67108864);
    assert_string_equal(b, "67108864");
}

static void test_kv(void **state)
{
    (void)state;
    const char *events = "low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n";
    uint64_t v = 0;
    assert_int_equal(wdn_kv_u64(events, "oom_kill", &v), 0);
    assert_int_equal(v, 2);
    assert_int_equal(wdn_kv_u64(events, "oom", &v), 0);
    assert_int_equal(v, 3);
    assert_int_equal(wdn_kv_u64(events, "missing", &v), -ENOENT);
    const char *v1 = "oom_kill_disable 0\nunder_oom 0\noom_kill 5";
    assert_int_equal(wdn_kv_u64(v1, "oom_kill", &v), 0);
    assert_int_equal(v, 5);
}

static void test_read_u64_and_max(void **state)
{
    (void)state;
    char dir[] = "/tmp/wdn-unit-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char p[256];
    snprintf(p, sizeof(p), "%s/f", dir);
    uint64_t v = 0;
    hc_err_t err = {0};
    assert_int_equal(hc_atomic_write_file(AT_FDCWD, p, "max\n", 4, 0600, &err), 0);
    assert_int_equal(wdn_read_u64(p, &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(hc_atomic_write_file(AT_FDCWD, p, "4096\n", 5, 0600, &err), 0);
    assert_int_equal(wdn_read_u64(p, &v), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(wdn_write_str(p, "garbage"), 0);
    assert_true(wdn_read_u64(p, &v) < 0);
    snprintf(p, sizeof(p), "%s/a/b/c", dir);
    assert_int_equal(wdn_mkdir_p(p, 0700), 0);
    assert_int_equal(wdn_rm_rf(dir), 0);
    assert_int_equal(access(dir, F_OK), -1);
}

static void test_path_ok(void **state)
{
    (void)state;
    assert_true(wdn_rootfs_path_ok("/home/vcap/app"));
    assert_true(wdn_rootfs_path_ok("/a..b/c"));
    assert_false(wdn_rootfs_path_ok("relative"));
    assert_false(wdn_rootfs_path_ok("/a/../b"));
    assert_false(wdn_rootfs_path_ok("/a/.."));
    assert_false(wdn_rootfs_path_ok("/a//b"));
    assert_false(wdn_rootfs_path_ok("/a\nb"));
    assert_false(wdn_rootfs_path_ok(""));
}

static void test_starttime(void **state)
{
    (void)state;
    assert_true(wdn_proc_starttime(getpid()) > 0);
    assert_int_equal(wdn_proc_starttime(0x3fffffff), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shares_to_weight),
        cmocka_unit_test(test_fmt_limit),
        cmocka_unit_test(test_kv),
        cmocka_unit_test(test_read_u64_and_max),
        cmocka_unit_test(test_path_ok),
        cmocka_unit_test(test_starttime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
