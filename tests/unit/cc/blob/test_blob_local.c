/*
 * Unit tests for the local blob backend: round trip, content addressing, bad keys, and
 * crash safety: injected write/fsync/rename failures and a SIGKILLed writer never leave a
 * partial blob under its real name.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <dirent.h>

#include "blob/archive.h"
#include "blob/blob.h"
#include "hc_fs.h"

static char base[] = "/tmp/hearth-cc-blob.XXXXXX";
static char store_dir[256], src[256], src_sha[41];

static cc_blob_t *open_store(void)
{
    cc_blob_t *b = NULL;
    hc_err_t err;
    assert_int_equal(cc_blob_local_new(store_dir, &b, &err), 0);
    return b;
}

static size_t count_tmp(void)
{
    char p[300];
    snprintf(p, sizeof(p), "%s/tmp", store_dir);
    DIR *d = opendir(p);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void test_round_trip(void **state)
{
    (void)state;
    cc_blob_t *b = open_store();
    hc_err_t err;
    char key[64], out[300], sha[41];
    uint64_t size = 0;
    snprintf(key, sizeof(key), "res/%s", src_sha);
    assert_int_equal(cc_blob_stat(b, key, &size, &err), 0);
    assert_int_equal(cc_blob_put(b, key, src, &err), 0);
    assert_int_equal(cc_blob_put(b, key, src, &err), 0); /* idempotent */
    assert_int_equal(cc_blob_stat(b, key, &size, &err), 1);
    assert_int_equal(size, 3 << 20);
    snprintf(out, sizeof(out), "%s/out", base);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_int_equal(cc_blob_get(b, key, fd, &err), 0);
    close(fd);
    assert_int_equal(hc_sha1_file(out, 0, sha, NULL, &err), 0);
    assert_string_equal(sha, src_sha);
    assert_int_equal(cc_blob_remove(b, key, &err), 0);
    assert_int_equal(cc_blob_stat(b, key, &size, &err), 0);
    fd = open(out, O_WRONLY | O_TRUNC);
    assert_int_equal(cc_blob_get(b, key, fd, &err), -ENOENT);
    close(fd);
    static const char *const bad[] = {"res/../../x",
                                      "res/abc",
                                      "/etc/passwd",
                                      "res",
                                      "RES/0000000000000000000000000000000000000000",
                                      "a/b/0000000000000000000000000000000000000000"};
    for (size_t i = 0; i < HC_ARRAY_SIZE(bad); i++)
        assert_int_equal(cc_blob_stat(b, bad[i], &size, &err), -EINVAL);
    cc_blob_free(b);
}

static void test_faults_leave_no_partial_blob(void **state)
{
    (void)state;
    cc_blob_t *b = open_store();
    hc_err_t err;
    char key[64];
    uint64_t size;
    snprintf(key, sizeof(key), "pkg/%s", src_sha);
    static const hc_fs_op_t ops[] = {HC_FS_OP_WRITE, HC_FS_OP_FSYNC, HC_FS_OP_RENAME};
    for (size_t o = 0; o < HC_ARRAY_SIZE(ops); o++) {
        for (unsigned n = 1; n <= (ops[o] == HC_FS_OP_WRITE ? 20u : 1u); n++) {
            hc_fs_fault_reset();
            hc_fs_fault_set(ops[o], n, EIO);
            assert_true(cc_blob_put(b, key, src, &err) < 0);
            hc_fs_fault_reset();
            assert_int_equal(cc_blob_stat(b, key, &size, &err), 0);
            assert_int_equal(count_tmp(), 0);
        }
    }
    assert_int_equal(cc_blob_put(b, key, src, &err), 0);
    assert_int_equal(cc_blob_stat(b, key, &size, &err), 1);
    cc_blob_remove(b, key, &err);
    cc_blob_free(b);
}

static void test_killed_writer_leaves_blob_whole_or_absent(void **state)
{
    (void)state;
    hc_err_t err;
    char key[64], out[300], sha[41];
    snprintf(key, sizeof(key), "drop/%s", src_sha);
    for (int round = 0; round < 5; round++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            cc_blob_t *b = open_store();
            hc_fs_fault_short_writes(true); /* slow the copy down: many small writes */
            _exit(cc_blob_put(b, key, src, &err) == 0 ? 0 : 1);
        }
        usleep((useconds_t)(1000 * (1 + round * 3)));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        cc_blob_t *b = open_store(); /* reopening sweeps the temp area */
        uint64_t size = 0;
        int r = cc_blob_stat(b, key, &size, &err);
        if (r == 1) {
            snprintf(out, sizeof(out), "%s/out", base);
            int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            assert_int_equal(cc_blob_get(b, key, fd, &err), 0);
            close(fd);
            assert_int_equal(hc_sha1_file(out, 0, sha, NULL, &err), 0);
            assert_string_equal(sha, src_sha);
            cc_blob_remove(b, key, &err);
        } else {
            assert_int_equal(r, 0);
        }
        assert_int_equal(count_tmp(), 0);
        cc_blob_free(b);
    }
}

/* n small files base/bN with distinct content; their SHA-1s into shas. */
static void make_files(int n, char shas[][41])
{
    hc_err_t err;
    for (int i = 0; i < n; i++) {
        char p[300];
        snprintf(p, sizeof(p), "%s/b%d", base, i);
        FILE *f = fopen(p, "w");
        for (int k = 0; k < 2000; k++)
            fprintf(f, "file %d line %d\n", i, k);
        fclose(f);
        assert_int_equal(hc_sha1_file(p, 0, shas[i], NULL, &err), 0);
    }
}

/* Every blob of kind res in the store has the SHA-1 of its name; returns how many there are. */
static int check_res_blobs(cc_blob_t *b, int n, char shas[][41])
{
    hc_err_t err;
    int present = 0;
    for (int i = 0; i < n; i++) {
        char key[64], out[300], sha[41];
        uint64_t size;
        snprintf(key, sizeof(key), "res/%.40s", shas[i]);
        int r = cc_blob_stat(b, key, &size, &err);
        assert_true(r == 0 || r == 1);
        if (r == 0)
            continue;
        present++;
        snprintf(out, sizeof(out), "%s/out", base);
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_int_equal(cc_blob_get(b, key, fd, &err), 0);
        close(fd);
        assert_int_equal(hc_sha1_file(out, 0, sha, NULL, &err), 0);
        assert_string_equal(sha, shas[i]);
    }
    return present;
}

static void remove_res(cc_blob_t *b, int n, char shas[][41])
{
    hc_err_t err;
    for (int i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof(key), "res/%.40s", shas[i]);
        cc_blob_remove(b, key, &err);
    }
}

static void test_batch_visible_only_after_commit(void **state)
{
    (void)state;
    enum { N = 20 };
    char shas[N][41], key[64], p[300];
    hc_err_t err;
    make_files(N, shas);
    cc_blob_t *b = open_store();
    /* One blob exists already: the batch skips it. */
    snprintf(key, sizeof(key), "res/%.40s", shas[0]);
    snprintf(p, sizeof(p), "%s/b0", base);
    assert_int_equal(cc_blob_put(b, key, p, &err), 0);
    cc_blob_batch_t *bt = cc_blob_batch_new(b);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "res/%.40s", shas[i]);
        snprintf(p, sizeof(p), "%s/b%d", base, i);
        assert_int_equal(cc_blob_batch_put(bt, key, p, &err), 0);
    }
    /* The same content twice in one batch is fine. */
    assert_int_equal(cc_blob_batch_put(bt, key, p, &err), 0);
    assert_int_equal(check_res_blobs(b, N, shas), 1);
    assert_int_equal(count_tmp(), N);
    assert_int_equal(cc_blob_batch_commit(bt, &err), 0);
    cc_blob_batch_free(bt);
    assert_int_equal(check_res_blobs(b, N, shas), N);
    assert_int_equal(count_tmp(), 0);
    remove_res(b, N, shas);

    /* Dropped without a commit: nothing appears, nothing stays behind. */
    bt = cc_blob_batch_new(b);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "res/%.40s", shas[i]);
        snprintf(p, sizeof(p), "%s/b%d", base, i);
        assert_int_equal(cc_blob_batch_put(bt, key, p, &err), 0);
    }
    cc_blob_batch_free(bt);
    assert_int_equal(check_res_blobs(b, N, shas), 0);
    assert_int_equal(count_tmp(), 0);

    /* A rename failing in the middle of the commit: an error, whole blobs or none, no temp. */
    bt = cc_blob_batch_new(b);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "res/%.40s", shas[i]);
        snprintf(p, sizeof(p), "%s/b%d", base, i);
        assert_int_equal(cc_blob_batch_put(bt, key, p, &err), 0);
    }
    hc_fs_fault_reset();
    hc_fs_fault_set(HC_FS_OP_RENAME, 5, EIO);
    assert_true(cc_blob_batch_commit(bt, &err) < 0);
    hc_fs_fault_reset();
    cc_blob_batch_free(bt);
    assert_int_equal(check_res_blobs(b, N, shas), 4);
    assert_int_equal(count_tmp(), 0);
    remove_res(b, N, shas);
    cc_blob_free(b);
}

static void test_killed_batch_leaves_blobs_whole_or_absent(void **state)
{
    (void)state;
    enum { N = 200 };
    char shas[N][41];
    hc_err_t err;
    make_files(N, shas);
    int seen_some = 0;
    for (int round = 0; round < 6; round++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            cc_blob_t *b = open_store();
            cc_blob_batch_t *bt = cc_blob_batch_new(b);
            hc_fs_fault_short_writes(true);
            for (int i = 0; i < N; i++) {
                char key[64], p[300];
                snprintf(key, sizeof(key), "res/%.40s", shas[i]);
                snprintf(p, sizeof(p), "%s/b%d", base, i);
                if (cc_blob_batch_put(bt, key, p, &err) < 0)
                    _exit(1);
            }
            _exit(cc_blob_batch_commit(bt, &err) == 0 ? 0 : 1);
        }
        usleep((useconds_t)(5000 * (1 + round * 4)));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        cc_blob_t *b = open_store(); /* reopening sweeps the temp area */
        seen_some += check_res_blobs(b, N, shas);
        assert_int_equal(count_tmp(), 0);
        remove_res(b, N, shas);
        cc_blob_free(b);
    }
    (void)seen_some;
}

int main(void)
{
    hc_err_t err;
    assert_non_null(mkdtemp(base));
    snprintf(store_dir, sizeof(store_dir), "%s/store", base);
    snprintf(src, sizeof(src), "%s/src", base);
    FILE *f = fopen(src, "w");
    for (int i = 0; i < (3 << 20) / 16; i++)
        fprintf(f, "%015d\n", i);
    fclose(f);
    assert_int_equal(hc_sha1_file(src, 0, src_sha, NULL, &err), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_faults_leave_no_partial_blob),
        cmocka_unit_test(test_killed_writer_leaves_blob_whole_or_absent),
        cmocka_unit_test(test_batch_visible_only_after_commit),
        cmocka_unit_test(test_killed_batch_leaves_blobs_whole_or_absent),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cc_rm_rf(base);
    return rc;
}
