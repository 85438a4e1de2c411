/* Tests for src/core/fs/sha1.c. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hc_fs.h"

static void test_sha1_known_vectors(void **state)
{
    (void)state;
    char hex[HC_SHA1_HEX + 1];
    hc_sha1_hex("", 0, hex);
    assert_string_equal(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    hc_sha1_hex("abc", 3, hex);
    assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
}

static void test_sha1_file_matches_buffer_and_size(void **state)
{
    (void)state;
    char dir[] = "/tmp/hearth-sha1-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], link[256];
    snprintf(path, sizeof(path), "%s/f", dir);
    snprintf(link, sizeof(link), "%s/l", dir);
    /* Larger than one read so the loop runs more than once. */
    size_t len = 200 * 1024 + 7;
    char *data = malloc(len);
    assert_non_null(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (char)(i * 31 + 7);
    hc_err_t err;
    assert_int_equal(hc_atomic_write_file(AT_FDCWD, path, data, len, 0600, &err), 0);
    char want[HC_SHA1_HEX + 1], got[HC_SHA1_HEX + 1];
    hc_sha1_hex(data, len, want);
    uint64_t size = 0;
    assert_int_equal(hc_sha1_file(path, 0, got, &size, &err), 0);
    assert_string_equal(got, want);
    assert_int_equal(size, len);
    /* O_NOFOLLOW refuses a link; without it the link's target is hashed. */
    assert_int_equal(symlink(path, link), 0);
    assert_int_equal(hc_sha1_file(link, O_NOFOLLOW, got, NULL, &err), -ELOOP);
    assert_int_equal(hc_sha1_file(link, 0, got, NULL, &err), 0);
    assert_string_equal(got, want);
    assert_int_equal(hc_sha1_file("/nonexistent/x", 0, got, NULL, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "/nonexistent/x"));
    unlink(link);
    unlink(path);
    rmdir(dir);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha1_known_vectors),
        cmocka_unit_test(test_sha1_file_matches_buffer_and_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
