/*
 * Unit tests for src/dea/web.c's request helpers: percent-decoding of paths (bad escapes and
 * encoded NULs refused), path confinement, and query numbers (tail=1&offset=N).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dea.h"
#include "guard.h"

static char *decode(const char *s)
{
    return dea_web_decode(hc_str(hc_test_guard(s, strlen(s)), strlen(s)));
}

static void test_decode(void **state)
{
    (void)state;
    char *p = decode("logs/std%6Fut.log");
    assert_string_equal(p, "logs/stdout.log");
    free(p);
    p = decode("a%2fb");
    assert_string_equal(p, "a/b");
    free(p);
    assert_null(decode("a%00b"));
    assert_null(decode("a%zzb"));
    assert_null(decode("a%4"));
    assert_null(decode("%"));
}

static void test_path_ok(void **state)
{
    (void)state;
    assert_true(dea_web_path_ok(""));
    assert_true(dea_web_path_ok("logs/"));
    assert_true(dea_web_path_ok("logs/stdout.log"));
    assert_true(dea_web_path_ok("app/..x/y"));
    assert_false(dea_web_path_ok(".."));
    assert_false(dea_web_path_ok("logs/../../etc"));
    assert_false(dea_web_path_ok("./logs"));
    assert_false(dea_web_path_ok("logs//x"));
}

static void test_query(void **state)
{
    (void)state;
    uint64_t v = 0;
    const char *q = hc_test_guard("tail=1&offset=4096", 18);
    assert_true(dea_web_query(hc_str(q, 18), "tail", 1, &v));
    assert_int_equal(v, 1);
    assert_true(dea_web_query(hc_str(q, 18), "offset", 1 << 20, &v));
    assert_int_equal(v, 4096);
    assert_false(dea_web_query(hc_str(q, 18), "offset", 100, &v)); /* over max */
    assert_false(dea_web_query(hc_str(q, 18), "off", 1 << 20, &v));
    assert_false(dea_web_query(hc_str("tail=x", 6), "tail", 1, &v));
    assert_false(dea_web_query(hc_str("tail=", 5), "tail", 1, &v));
    assert_false(dea_web_query(HC_STR_NULL, "tail", 1, &v));
    assert_true(dea_web_query(hc_str("a=1&lines=7", 11), "lines", 100, &v));
    assert_int_equal(v, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_path_ok),
        cmocka_unit_test(test_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
