/* Tests for src/bus/httpreq.c (monitoring port requests), inputs against guard pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "httpreq.h"

static int parse(const char *s, hc_str_t *path, hc_str_t *query)
{
    return bus_http_parse(hc_test_guard_str(s), strlen(s), path, query);
}

static void test_requests(void **state)
{
    hc_str_t p, q, v;
    assert_int_equal(parse("GET /varz HTTP/1.1\r\nHost: a\r\n\r\n", &p, &q), 0);
    assert_true(hc_str_eq(p, HC_STR_LIT("/varz")));
    assert_int_equal(q.len, 0);
    assert_int_equal(parse("GET /connz?subs=1&state=closed HTTP/1.0\n\n", &p, &q), 0);
    assert_true(hc_str_eq(p, HC_STR_LIT("/connz")));
    assert_true(bus_http_query_get(q, "state", &v));
    assert_true(hc_str_eq(v, HC_STR_LIT("closed")));
    assert_true(bus_http_query_get(q, "subs", &v));
    assert_true(hc_str_eq(v, HC_STR_LIT("1")));
    assert_false(bus_http_query_get(q, "sub", &v));
    assert_int_equal(parse("GET /varz HTTP/1.1\r\nHost: a\r\n", &p, &q), HC_AGAIN);
    assert_int_equal(parse("", &p, &q), HC_AGAIN);
    assert_int_equal(parse("POST /varz HTTP/1.1\r\n\r\n", &p, &q), 405);
    assert_int_equal(parse("GET\r\n\r\n", &p, &q), 400);
    assert_int_equal(parse("GET varz HTTP/1.1\r\n\r\n", &p, &q), 400);
    assert_int_equal(parse("GET /x\r\n\r\n", &p, &q), 400);
    hc_test_guard_free_all();
}

static void test_query_edge_cases(void **state)
{
    hc_str_t v;
    const char *qs = hc_test_guard_str("a&b=&=x&c=3");
    hc_str_t q = hc_str(qs, strlen("a&b=&=x&c=3"));
    assert_true(bus_http_query_get(q, "a", &v));
    assert_int_equal(v.len, 0);
    assert_true(bus_http_query_get(q, "b", &v));
    assert_int_equal(v.len, 0);
    assert_true(bus_http_query_get(q, "c", &v));
    assert_true(hc_str_eq(v, HC_STR_LIT("3")));
    assert_false(bus_http_query_get(hc_str(qs, 0), "a", &v));
    hc_test_guard_free_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_query_edge_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
