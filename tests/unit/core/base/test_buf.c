/* Tests for src/core/base/buf.c and err.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hc_buf.h"

static void test_buf_starts_empty_and_terminated(void **state)
{
    (void)state;
    hc_buf_t b;
    hc_buf_init(&b, 0);
    assert_non_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.data[0], '\0');
    hc_buf_release(&b);
}

static void test_buf_append_grows_and_keeps_nul(void **state)
{
    (void)state;
    hc_buf_t b;
    hc_buf_init(&b, 0);
    for (int i = 0; i < 1000; i++)
        hc_buf_appendf(&b, "%d,", i % 10);
    assert_int_equal(b.len, 2000);
    assert_int_equal(b.data[b.len], '\0');
    assert_memory_equal(b.data, "0,1,2,", 6);
    hc_buf_append(&b, "a\0b", 3);
    assert_int_equal(b.len, 2003);
    assert_false(b.overflow);
    hc_buf_release(&b);
}

static void test_buf_overflow_is_sticky_and_appends_nothing(void **state)
{
    (void)state;
    hc_buf_t b;
    hc_buf_init(&b, 8);
    hc_buf_append_str(&b, "12345");
    hc_buf_append_str(&b, "6789");
    assert_true(b.overflow);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "12345");
    hc_buf_append_str(&b, "6");
    assert_int_equal(b.len, 6);
    assert_true(b.overflow);
    hc_buf_reset(&b);
    assert_false(b.overflow);
    assert_int_equal(b.len, 0);
    hc_buf_release(&b);
}

static void test_buf_consume_and_detach(void **state)
{
    (void)state;
    hc_buf_t b;
    hc_buf_init(&b, 0);
    hc_buf_append_str(&b, "hello world");
    hc_buf_consume(&b, 6);
    assert_string_equal(b.data, "world");
    size_t len = 0;
    char *s = hc_buf_detach(&b, &len);
    assert_string_equal(s, "world");
    assert_int_equal(len, 5);
    assert_int_equal(b.len, 0);
    free(s);
    s = hc_buf_detach(&b, NULL);
    assert_string_equal(s, "");
    free(s);
    hc_buf_release(&b);
}

static void test_str_compare(void **state)
{
    (void)state;
    assert_true(hc_str_eq(HC_STR_LIT("abc"), hc_str_c("abc")));
    assert_false(hc_str_eq(HC_STR_LIT("abc"), hc_str_c("abd")));
    assert_true(hc_str_eq_nocase(HC_STR_LIT("Content-Length"), HC_STR_LIT("content-LENGTH")));
    assert_false(hc_str_eq_nocase(HC_STR_LIT("a["), HC_STR_LIT("A{")));
    char *d = hc_str_dup(hc_str("xyz123", 3));
    assert_string_equal(d, "xyz");
    free(d);
}

static void test_err_set_and_wrap(void **state)
{
    (void)state;
    hc_err_t err;
    hc_err_clear(&err);
    assert_int_equal(hc_err_set(&err, -ENOENT, "open `%s`", "/x"), -ENOENT);
    assert_string_equal(err.msg, "open `/x`: No such file or directory");
    assert_int_equal(hc_err_wrap(&err, "load config"), -ENOENT);
    assert_string_equal(err.msg, "load config: open `/x`: No such file or directory");
    hc_err_set(&err, -EINVAL, "port: %d is out of range", 70000);
    assert_string_equal(err.msg, "port: 70000 is out of range");
}

static void test_parse_u64(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_int_equal(hc_parse_u64("12345", 5, UINT64_MAX, &v), 0);
    assert_int_equal(v, 12345);
    assert_int_equal(hc_parse_u64("18446744073709551615", 20, UINT64_MAX, &v), 0);
    assert_int_equal(hc_parse_u64("18446744073709551616", 20, UINT64_MAX, &v), -ERANGE);
    assert_int_equal(hc_parse_u64("12a", 3, UINT64_MAX, &v), -EINVAL);
    assert_int_equal(hc_parse_u64("", 0, UINT64_MAX, &v), -EINVAL);
    assert_int_equal(hc_parse_u64("-1", 2, UINT64_MAX, &v), -EINVAL);
    assert_int_equal(hc_parse_u64("70000", 5, 65535, &v), -ERANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_starts_empty_and_terminated),
        cmocka_unit_test(test_buf_append_grows_and_keeps_nul),
        cmocka_unit_test(test_buf_overflow_is_sticky_and_appends_nothing),
        cmocka_unit_test(test_buf_consume_and_detach),
        cmocka_unit_test(test_str_compare),
        cmocka_unit_test(test_err_set_and_wrap),
        cmocka_unit_test(test_parse_u64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
