/* Tests for src/core/fs: full writes, atomic replace under injected faults, mkdir -p, reads. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "hc_fs.h"

typedef struct fixture_s {
    char dir[64];
    int dfd;
} fixture_t;

static int remove_tree(const char *path)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    return system(cmd);
}

static int setup(void **state)
{
    fixture_t *f = hc_calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/hc-test-fs-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    f->dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (f->dfd < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    hc_fs_fault_reset();
    close(f->dfd);
    remove_tree(f->dir);
    free(f);
    return 0;
}

/* Number of directory entries other than . and .. */
static int count_entries(int dfd)
{
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fdopendir(fd);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void assert_file_is(int dfd, const char *name, const char *want)
{
    char *data = NULL;
    size_t len = 0;
    hc_err_t err;
    assert_int_equal(hc_read_file(dfd, name, 0, &data, &len, &err), 0);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(data, want, len);
    free(data);
}

static void test_write_all_survives_eintr_and_short_writes(void **state)
{
    fixture_t *f = *state;
    int fd = openat(f->dfd, "w", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    hc_fs_fault_short_writes(true);
    hc_fs_fault_set(HC_FS_OP_WRITE, 2, EINTR);
    static const char text[] = "a line longer than seven bytes, written in pieces\n";
    assert_int_equal(hc_write_all(fd, text, sizeof(text) - 1), 0);
    assert_true(hc_fs_fault_calls(HC_FS_OP_WRITE) > 2);
    close(fd);
    hc_fs_fault_reset();
    assert_file_is(f->dfd, "w", text);
}

static void test_write_all_reports_errors(void **state)
{
    fixture_t *f = *state;
    int fd = openat(f->dfd, "w", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    hc_fs_fault_set(HC_FS_OP_WRITE, 1, ENOSPC);
    assert_int_equal(hc_write_all(fd, "x", 1), -ENOSPC);
    close(fd);
    assert_int_equal(hc_write_all(-1, "x", 1), -EBADF);
}

static void test_atomic_write_creates_and_replaces_with_mode(void **state)
{
    fixture_t *f = *state;
    hc_err_t err;
    assert_int_equal(hc_atomic_write_file(f->dfd, "snap.json", "{}", 2, 0640, &err), 0);
    assert_file_is(f->dfd, "snap.json", "{}");
    assert_int_equal(hc_atomic_write_file(f->dfd, "snap.json", "[1]", 3, 0600, &err), 0);
    assert_file_is(f->dfd, "snap.json", "[1]");
    struct stat st;
    assert_int_equal(fstatat(f->dfd, "snap.json", &st, 0), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(count_entries(f->dfd), 1);

    /* A path with a directory part and an absolute path. */
    assert_int_equal(hc_mkdir_p(f->dfd, "a/b", 0755, &err), 0);
    assert_int_equal(hc_atomic_write_file(f->dfd, "a/b/c", "x", 1, 0644, &err), 0);
    assert_file_is(f->dfd, "a/b/c", "x");
    char abs[128];
    snprintf(abs, sizeof(abs), "%s/a/abs", f->dir);
    assert_int_equal(hc_atomic_write_file(AT_FDCWD, abs, "y", 1, 0644, &err), 0);
    assert_file_is(f->dfd, "a/abs", "y");
}

static void test_atomic_write_rejects_bad_names(void **state)
{
    fixture_t *f = *state;
    hc_err_t err;
    assert_int_equal(hc_atomic_write_file(f->dfd, "", "x", 1, 0644, &err), -EINVAL);
    assert_int_equal(hc_atomic_write_file(f->dfd, "dir/", "x", 1, 0644, &err), -EINVAL);
    assert_int_equal(hc_atomic_write_file(f->dfd, "missing/x", "x", 1, 0644, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "missing"));
}

/*
 * SQLite-style anomaly loop: for each syscall kind, fail its n-th call for n = 1, 2, ...
 * until a write succeeds untouched. After every attempt the file is exactly the old or the
 * new content and no temp file is left behind.
 */
static void test_atomic_write_fault_loop_never_leaves_half_files(void **state)
{
    fixture_t *f = *state;
    static const hc_fs_op_t ops[] = {HC_FS_OP_WRITE, HC_FS_OP_FSYNC, HC_FS_OP_RENAME};
    static const int errs[] = {EIO, ENOSPC, EINTR};
    char old_content[701], new_content[701];
    memset(old_content, 'o', sizeof(old_content) - 1);
    old_content[sizeof(old_content) - 1] = '\0';
    memset(new_content, 'n', sizeof(new_content) - 1);
    new_content[sizeof(new_content) - 1] = '\0';
    int failures = 0, successes = 0;

    for (size_t o = 0; o < HC_ARRAY_SIZE(ops); o++) {
        for (size_t e = 0; e < HC_ARRAY_SIZE(errs); e++) {
            for (unsigned n = 1; n < 1000; n++) {
                hc_err_t err;
                hc_fs_fault_reset();
                assert_int_equal(hc_atomic_write_file(f->dfd, "blob", old_content,
                                                      strlen(old_content), 0644, &err),
                                 0);
                hc_fs_fault_short_writes(true);
                hc_fs_fault_set(ops[o], n, errs[e]);
                int r = hc_atomic_write_file(f->dfd, "blob", new_content, strlen(new_content), 0644,
                                             &err);
                unsigned calls = hc_fs_fault_calls(ops[o]);
                hc_fs_fault_reset();

                char *data = NULL;
                size_t len = 0;
                assert_int_equal(hc_read_file(f->dfd, "blob", 0, &data, &len, NULL), 0);
                bool is_old = strcmp(data, old_content) == 0;
                bool is_new = strcmp(data, new_content) == 0;
                free(data);
                assert_true(is_old || is_new);
                assert_int_equal(count_entries(f->dfd), 1);
                if (r == 0) {
                    assert_true(is_new);
                    successes++;
                } else {
                    assert_int_not_equal(errs[e], EINTR); /* EINTR is always retried */
                    assert_int_equal(r, -errs[e]);
                    assert_int_equal(err.code, r);
                    failures++;
                }
                if (calls < n)
                    break; /* the fault was never reached: every point has been tried */
            }
        }
    }
    assert_true(failures >= 200); /* 700 bytes in 7-byte writes: 100 write points per errno */
    assert_true(successes >= 9);
}

static void test_mkdir_p(void **state)
{
    fixture_t *f = *state;
    hc_err_t err;
    assert_int_equal(hc_mkdir_p(f->dfd, "x//y/z/", 0700, &err), 0);
    assert_int_equal(hc_mkdir_p(f->dfd, "x/y/z", 0700, &err), 0);
    struct stat st;
    assert_int_equal(fstatat(f->dfd, "x/y/z", &st, 0), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(hc_atomic_write_file(f->dfd, "x/file", "", 0, 0644, &err), 0);
    assert_int_equal(hc_mkdir_p(f->dfd, "x/file/sub", 0700, &err), -ENOTDIR);
    assert_non_null(strstr(err.msg, "x/file"));
    assert_int_equal(hc_mkdir_p(f->dfd, "", 0700, &err), -EINVAL);
}

static void test_read_file_limits(void **state)
{
    fixture_t *f = *state;
    hc_err_t err;
    char *data = (char *)"unchanged";
    size_t len = 99;
    assert_int_equal(hc_atomic_write_file(f->dfd, "ten", "0123456789", 10, 0644, &err), 0);
    assert_int_equal(hc_read_file(f->dfd, "ten", 9, &data, &len, &err), HC_ETOOBIG);
    assert_string_equal(data, "unchanged");
    assert_int_equal(len, 99);
    assert_int_equal(hc_read_file(f->dfd, "ten", 10, &data, &len, &err), 0);
    assert_int_equal(len, 10);
    assert_string_equal(data, "0123456789");
    free(data);
    assert_int_equal(hc_atomic_write_file(f->dfd, "empty", "", 0, 0644, &err), 0);
    assert_int_equal(hc_read_file(f->dfd, "empty", 0, &data, &len, &err), 0);
    assert_int_equal(len, 0);
    assert_string_equal(data, "");
    free(data);
    assert_int_equal(hc_read_file(f->dfd, "nope", 0, &data, &len, &err), -ENOENT);
    assert_int_equal(hc_read_file(f->dfd, ".", 0, &data, &len, &err), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_all_survives_eintr_and_short_writes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_write_all_reports_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_write_creates_and_replaces_with_mode, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_atomic_write_rejects_bad_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_write_fault_loop_never_leaves_half_files, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_mkdir_p, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_file_limits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
