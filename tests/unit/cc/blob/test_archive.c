/*
 * Unit tests for src/cc/blob/archive.c: hostile zips built here with libarchive are refused
 * and leave nothing outside the target; packing is deterministic; resource placement never
 * follows a symlink.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "blob/archive.h"
#include "blob/blob.h"

typedef struct ent_s {
    const char *name;
    mode_t type;      /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR... */
    const char *data; /* content, or symlink target */
    mode_t perm;
    size_t zeros; /* for AE_IFREG: this many zero bytes instead of data */
} ent_t;

static char base[] = "/tmp/hearth-cc-archive.XXXXXX";

static void make_zip(const char *path, const ent_t *ents, size_t n)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
    static char zeros[65536];
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, ents[i].name);
        archive_entry_set_filetype(e, ents[i].type);
        archive_entry_set_perm(e, ents[i].perm ? ents[i].perm : 0644);
        size_t size = ents[i].zeros ? ents[i].zeros : (ents[i].data ? strlen(ents[i].data) : 0);
        if (ents[i].type == AE_IFLNK) {
            archive_entry_set_symlink(e, ents[i].data);
            size = 0;
        }
        if (ents[i].type != AE_IFREG)
            size = 0;
        archive_entry_set_size(e, (la_int64_t)size);
        if (archive_write_header(a, e) < ARCHIVE_WARN)
            fail_msg("libarchive cannot write `%s`: %s", ents[i].name, archive_error_string(a));
        if (ents[i].type == AE_IFREG && ents[i].zeros) {
            for (size_t left = ents[i].zeros; left;) {
                size_t k = left < sizeof(zeros) ? left : sizeof(zeros);
                archive_write_data(a, zeros, k);
                left -= k;
            }
        } else if (ents[i].type == AE_IFREG && size) {
            archive_write_data(a, ents[i].data, size);
        }
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

/* Extracts ents into a fresh dir; returns the result code. */
static int try_extract(const char *tag, const ent_t *ents, size_t n, uint64_t max_bytes,
                       uint64_t max_files, hc_err_t *err)
{
    char zip[256], dir[256];
    snprintf(zip, sizeof(zip), "%s/%s.zip", base, tag);
    snprintf(dir, sizeof(dir), "%s/%s", base, tag);
    make_zip(zip, ents, n);
    mkdir(dir, 0755);
    cc_extract_limits_t lim = {.max_bytes = max_bytes, .max_files = max_files};
    return cc_archive_extract(zip, dir, &lim, NULL, NULL, err);
}

static bool exists(const char *rel)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%s", base, rel);
    return lstat(p, &st) == 0;
}

static void test_good_zip_extracts_with_normal_modes(void **state)
{
    (void)state;
    hc_err_t err;
    const ent_t ents[] = {
        {"dir/", AE_IFDIR, NULL, 0700, 0},
        {"dir/run.sh", AE_IFREG, "#!/bin/sh\n", 04755, 0},
        {"./top.txt", AE_IFREG, "top", 0600, 0},
        {"dir/link", AE_IFLNK, "../top.txt", 0777, 0},
    };
    assert_int_equal(try_extract("good", ents, 4, 1 << 20, 100, &err), 0);
    struct stat st;
    char p[512];
    snprintf(p, sizeof(p), "%s/good/dir/run.sh", base);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    snprintf(p, sizeof(p), "%s/good/top.txt", base);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_true(exists("good/dir/link"));
}

/* Device entries cannot be written by libarchive's zip writer; test_cc_upload.sh builds
 * them byte by byte and checks that they are refused. */
static void test_hostile_zips_are_refused(void **state)
{
    (void)state;
    hc_err_t err;
    const struct {
        const char *tag;
        ent_t e[2];
        size_t n;
        int code;
        const char *msg;
    } cases[] = {
        {"dotdot", {{"../evil", AE_IFREG, "x", 0, 0}}, 1, -EINVAL, "unsafe path"},
        {"dotdot2", {{"a/../../evil", AE_IFREG, "x", 0, 0}}, 1, -EINVAL, "unsafe path"},
        {"abs", {{"/tmp/hearth-evil", AE_IFREG, "x", 0, 0}}, 1, -EINVAL, "unsafe path"},
        {"backslash", {{"a\\..\\evil", AE_IFREG, "x", 0, 0}}, 1, -EINVAL, "unsafe path"},
        {"link_out", {{"l", AE_IFLNK, "../../../etc", 0, 0}}, 1, -EINVAL, "symlink"},
        {"link_abs", {{"l", AE_IFLNK, "/etc/passwd", 0, 0}}, 1, -EINVAL, "symlink"},
        {"link_deep", {{"a/b/l", AE_IFLNK, "../../../x", 0, 0}}, 1, -EINVAL, "symlink"},
        {"through",
         {{"d", AE_IFLNK, "sub", 0, 0}, {"d/x", AE_IFREG, "x", 0, 0}},
         2,
         -EINVAL,
         "symlink"},
        {"bomb", {{"zeros", AE_IFREG, NULL, 0, 8 << 20}}, 1, HC_ETOOBIG, "over the limit"},
        {"twice", {{"a", AE_IFREG, "1", 0, 0}, {"a", AE_IFREG, "2", 0, 0}}, 2, -EINVAL, "`a`"},
    };
    for (size_t i = 0; i < HC_ARRAY_SIZE(cases); i++) {
        int r = try_extract(cases[i].tag, cases[i].e, cases[i].n, 1 << 20, 100, &err);
        if (r != cases[i].code || !strstr(err.msg, cases[i].msg))
            fail_msg("%s: got %d `%s`", cases[i].tag, r, err.msg);
    }
    assert_false(exists("evil"));
    struct stat st;
    assert_int_not_equal(lstat("/tmp/hearth-evil", &st), 0);
}

static void test_file_count_limit(void **state)
{
    (void)state;
    hc_err_t err;
    ent_t ents[50];
    char names[50][8];
    for (int i = 0; i < 50; i++) {
        snprintf(names[i], sizeof(names[i]), "f%d", i);
        ents[i] = (ent_t){names[i], AE_IFREG, "", 0, 0};
    }
    assert_int_equal(try_extract("count", ents, 50, 1 << 20, 49, &err), HC_ETOOBIG);
    assert_int_equal(try_extract("count2", ents, 50, 1 << 20, 50, &err), 0);
}

static void test_garbage_is_not_a_zip(void **state)
{
    (void)state;
    char zip[256], dir[256];
    hc_err_t err;
    snprintf(zip, sizeof(zip), "%s/garbage.zip", base);
    snprintf(dir, sizeof(dir), "%s/garbage", base);
    FILE *f = fopen(zip, "w");
    fputs("PK\x03\x04 but not really a zip file, just bytes", f);
    fclose(f);
    mkdir(dir, 0755);
    cc_extract_limits_t lim = {.max_bytes = 1 << 20, .max_files = 10};
    assert_int_equal(cc_archive_extract(zip, dir, &lim, NULL, NULL, &err), -EINVAL);
}

static void test_pack_is_deterministic(void **state)
{
    (void)state;
    hc_err_t err;
    char a[256], b[256], sa[41], sb[41];
    const ent_t ents[] = {
        {"z.txt", AE_IFREG, "zzz", 0, 0},
        {"a/b.txt", AE_IFREG, "b", 0, 0},
        {"a/x.sh", AE_IFREG, "x", 0755, 0},
        {"l", AE_IFLNK, "a/b.txt", 0, 0},
    };
    assert_int_equal(try_extract("packsrc", ents, 4, 1 << 20, 100, &err), 0);
    snprintf(a, sizeof(a), "%s/p1.zip", base);
    snprintf(b, sizeof(b), "%s/p2.zip", base);
    char src[256];
    snprintf(src, sizeof(src), "%s/packsrc", base);
    assert_int_equal(cc_archive_pack(src, a, &err), 0);
    /* Touch a file: timestamps must not change the package. */
    char f[300];
    snprintf(f, sizeof(f), "%s/z.txt", src);
    utimensat(AT_FDCWD, f, NULL, 0);
    assert_int_equal(cc_archive_pack(src, b, &err), 0);
    assert_int_equal(cc_sha1_file(a, sa, NULL, &err), 0);
    assert_int_equal(cc_sha1_file(b, sb, NULL, &err), 0);
    assert_string_equal(sa, sb);
    /* Round trip. */
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/roundtrip", base);
    mkdir(dir, 0755);
    cc_extract_limits_t lim = {.max_bytes = 1 << 20, .max_files = 100};
    assert_int_equal(cc_archive_extract(a, dir, &lim, NULL, NULL, &err), 0);
    assert_true(exists("roundtrip/a/x.sh"));
    assert_true(exists("roundtrip/l"));
}

static void test_open_beneath_refuses_symlinks_and_escapes(void **state)
{
    (void)state;
    char dir[256], p[300];
    snprintf(dir, sizeof(dir), "%s/beneath", base);
    mkdir(dir, 0755);
    snprintf(p, sizeof(p), "%s/out", dir);
    assert_int_equal(symlink("/tmp", p), 0);
    assert_int_equal(cc_open_beneath(dir, "out/x", 0644), -ELOOP);
    assert_int_equal(cc_open_beneath(dir, "out", 0644), -EEXIST);
    assert_int_equal(cc_open_beneath(dir, "../x", 0644), -EINVAL);
    assert_int_equal(cc_open_beneath(dir, "/etc/x", 0644), -EINVAL);
    assert_int_equal(cc_open_beneath(dir, "a//b", 0644), -EINVAL);
    int fd = cc_open_beneath(dir, "new/deep/file", 0644);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cc_open_beneath(dir, "new/deep/file", 0644), -EEXIST);
    assert_true(exists("beneath/new/deep/file"));
}

static void test_path_check(void **state)
{
    (void)state;
    assert_int_equal(cc_path_check("a/b.c"), 0);
    assert_int_equal(cc_path_check(".hidden/x"), 0);
    assert_int_equal(cc_path_check(""), -EINVAL);
    assert_int_equal(cc_path_check("/a"), -EINVAL);
    assert_int_equal(cc_path_check("a/./b"), -EINVAL);
    assert_int_equal(cc_path_check("a/.."), -EINVAL);
    assert_int_equal(cc_path_check("a/"), -EINVAL);
    assert_int_equal(cc_path_check("a\nb"), -EINVAL);
}

int main(void)
{
    assert_non_null(mkdtemp(base));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_zip_extracts_with_normal_modes),
        cmocka_unit_test(test_hostile_zips_are_refused),
        cmocka_unit_test(test_file_count_limit),
        cmocka_unit_test(test_garbage_is_not_a_zip),
        cmocka_unit_test(test_pack_is_deterministic),
        cmocka_unit_test(test_open_beneath_refuses_symlinks_and_escapes),
        cmocka_unit_test(test_path_check),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cc_rm_rf(base);
    return rc;
}
