/* Unit tests for src/core/http/health.c: health check types and the paths an http check may
 * GET, as the CC, the DEA and the CLI all check them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hc_health.h"

static void test_types(void **state)
{
    (void)state;
    assert_string_equal(hc_health_type("port"), "port");
    assert_string_equal(hc_health_type("process"), "process");
    assert_string_equal(hc_health_type("http"), "http");
    assert_string_equal(hc_health_type("none"), "process");
    assert_null(hc_health_type(NULL));
    assert_null(hc_health_type(""));
    assert_null(hc_health_type("HTTP"));
    assert_null(hc_health_type("https"));
    assert_null(hc_health_type("port "));
}

static bool ok(const char *s)
{
    return hc_health_path_ok(s, strlen(s));
}

static void test_paths(void **state)
{
    (void)state;
    char p[300];
    assert_true(ok("/"));
    assert_true(ok("/health?x=1&y=%20"));
    assert_false(ok(""));
    assert_false(ok("health"));
    assert_false(ok("/a b"));
    assert_false(ok("/a\r\nHost: x"));
    assert_false(ok("/a\tb"));
    assert_false(ok("/\x7f"));
    assert_false(ok("/\xc3\xa9"));
    assert_false(hc_health_path_ok(NULL, 0));
    memset(p, 'a', sizeof(p));
    p[0] = '/';
    p[HC_HEALTH_MAX_PATH] = '\0';
    assert_true(ok(p));
    p[HC_HEALTH_MAX_PATH] = 'a';
    p[HC_HEALTH_MAX_PATH + 1] = '\0';
    assert_false(ok(p));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
