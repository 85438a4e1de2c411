/* Unit tests for src/cc/blob/multipart.c, every input against a guard page (STYLE R28). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "blob/multipart.h"
#include "guard.h"

static int parse(const char *body, const char *boundary, cc_mp_part_t *parts, size_t *n)
{
    const char *b = hc_test_guard_str(body);
    return cc_mp_parse(b, strlen(body), hc_str_c(boundary), parts, n);
}

static void test_boundary_from_content_type(void **state)
{
    (void)state;
    hc_str_t b;
    assert_int_equal(cc_mp_boundary(hc_str_c("multipart/form-data; boundary=abc123"), &b), 0);
    assert_true(hc_str_eq(b, HC_STR_LIT("abc123")));
    assert_int_equal(cc_mp_boundary(hc_str_c("Multipart/Form-Data;boundary=\"a b;c\""), &b), 0);
    assert_true(hc_str_eq(b, HC_STR_LIT("a b;c")));
    assert_int_equal(cc_mp_boundary(hc_str_c("multipart/form-data; charset=utf-8; boundary=x"), &b),
                     0);
    assert_true(hc_str_eq(b, HC_STR_LIT("x")));
    assert_int_equal(cc_mp_boundary(hc_str_c("application/json"), &b), HC_EPROTO);
    assert_int_equal(cc_mp_boundary(hc_str_c("multipart/form-data"), &b), HC_EPROTO);
    assert_int_equal(cc_mp_boundary(hc_str_c("multipart/form-data; boundary="), &b), HC_EPROTO);
    assert_int_equal(cc_mp_boundary(hc_str_c("multipart/form-dataX; boundary=a"), &b), HC_EPROTO);
    assert_int_equal(cc_mp_boundary(hc_str_c("multipart/form-data; boundary=\"abc"), &b),
                     HC_EPROTO);
    char longb[200] = "multipart/form-data; boundary=";
    memset(longb + strlen(longb), 'x', 80);
    assert_int_equal(cc_mp_boundary(hc_str_c(longb), &b), HC_EPROTO);
}

static void test_two_parts(void **state)
{
    (void)state;
    static const char body[] =
        "preamble\r\n--XX\r\n"
        "Content-Disposition: form-data; name=\"resources\"\r\n\r\n"
        "[]\r\n--XX\r\n"
        "Content-Disposition: form-data; name=\"application\"; filename=\"a.zip\"\r\n"
        "Content-Type: application/zip\r\n\r\n"
        "PK\x03\x04\r\n--X not yet\r\n--XX--\r\nepilogue";
    cc_mp_part_t parts[4];
    size_t n = 4;
    assert_int_equal(parse(body, "XX", parts, &n), 0);
    assert_int_equal(n, 2);
    assert_true(hc_str_eq(parts[0].name, HC_STR_LIT("resources")));
    assert_true(hc_str_eq(parts[0].data, HC_STR_LIT("[]")));
    assert_int_equal(parts[0].filename.len, 0);
    assert_true(hc_str_eq(parts[1].name, HC_STR_LIT("application")));
    assert_true(hc_str_eq(parts[1].filename, HC_STR_LIT("a.zip")));
    assert_true(hc_str_eq(parts[1].content_type, HC_STR_LIT("application/zip")));
    assert_true(hc_str_eq(parts[1].data, HC_STR_LIT("PK\x03\x04\r\n--X not yet")));
    assert_ptr_equal(cc_mp_find(parts, n, "application"), &parts[1]);
    assert_null(cc_mp_find(parts, n, "nope"));
}

static void test_body_starting_with_delimiter_and_empty_part(void **state)
{
    (void)state;
    static const char body[] = "--b\r\nContent-Disposition: form-data; name=e\r\n\r\n\r\n--b--";
    cc_mp_part_t parts[2];
    size_t n = 2;
    assert_int_equal(parse(body, "b", parts, &n), 0);
    assert_int_equal(n, 1);
    assert_true(hc_str_eq(parts[0].name, HC_STR_LIT("e")));
    assert_int_equal(parts[0].data.len, 0);
}

static void test_malformed(void **state)
{
    (void)state;
    cc_mp_part_t parts[2];
    static const char *const bad[] = {
        "",
        "no delimiter here",
        "--b\r\nContent-Disposition: form-data; name=a\r\n\r\ndata without end",
        "--b\r\nContent-Disposition: form-data; name=a\r\nno blank line\r\n--b--",
        "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--",
        "--b\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--b--",
        "--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--",
        "--b\r\n\r\nx\r\n--b--",
        "--bX\r\n",
        "--b",
        "--b\r\nbroken header line\r\n\r\nx\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=\"unterminated\r\n\r\nx\r\n--b--",
    };
    for (size_t i = 0; i < HC_ARRAY_SIZE(bad); i++) {
        size_t n = 2;
        assert_int_equal(parse(bad[i], "b", parts, &n), HC_EPROTO);
    }
}

static void test_too_many_parts(void **state)
{
    (void)state;
    static const char body[] = "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
                               "--b\r\nContent-Disposition: form-data; name=b\r\n\r\n2\r\n"
                               "--b\r\nContent-Disposition: form-data; name=c\r\n\r\n3\r\n--b--";
    cc_mp_part_t parts[2];
    size_t n = 2;
    assert_int_equal(parse(body, "b", parts, &n), HC_ETOOBIG);
    n = 2;
    assert_int_equal(parse(body, "", parts, &n), HC_EPROTO);
}

static void test_every_prefix_is_safe(void **state)
{
    (void)state;
    static const char body[] =
        "--XX\r\nContent-Disposition: form-data; name=\"a\"; filename=\"f\\\"q\"\r\n\r\n"
        "abc\r\n--XX\r\nContent-Disposition: form-data; name=b\r\n\r\nd\r\n--XX--\r\n";
    cc_mp_part_t parts[4];
    for (size_t len = 0; len <= sizeof(body) - 1; len++) {
        size_t n = 4;
        const char *b = hc_test_guard(body, len);
        int r = cc_mp_parse(b, len, HC_STR_LIT("XX"), parts, &n);
        assert_true(r == 0 || r == HC_EPROTO);
        if (len == sizeof(body) - 1) {
            assert_int_equal(r, 0);
            assert_int_equal(n, 2);
            assert_true(hc_str_eq(parts[0].filename, HC_STR_LIT("f\\\"q")));
        }
    }
    hc_test_guard_free_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boundary_from_content_type),
        cmocka_unit_test(test_two_parts),
        cmocka_unit_test(test_body_starting_with_delimiter_and_empty_part),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_too_many_parts),
        cmocka_unit_test(test_every_prefix_is_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
