/* Tests for src/core/json/: getters with field errors, bounded parsing, builders, dumping. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "hc_json.h"

static json_t *parse_ok(const char *text)
{
    json_t *v = NULL;
    hc_err_t err;
    hc_err_clear(&err);
    size_t len = strlen(text);
    assert_int_equal(hc_json_parse(hc_test_guard(text, len), len, 4096, &v, &err), 0);
    return v;
}

static void test_get_required_fields(void **state)
{
    (void)state;
    json_t *o = parse_ok("{\"host\":\"a.example\",\"port\":8080,\"tls\":true,\"ratio\":0.5,"
                         "\"tags\":[1],\"meta\":{}}");
    hc_err_t err;
    const char *host;
    int64_t port;
    bool tls;
    double ratio;
    json_t *tags, *meta;
    assert_int_equal(hc_json_get_str(o, "host", &host, &err), 0);
    assert_string_equal(host, "a.example");
    assert_int_equal(hc_json_get_int(o, "port", &port, &err), 0);
    assert_int_equal(port, 8080);
    assert_int_equal(hc_json_get_bool(o, "tls", &tls, &err), 0);
    assert_true(tls);
    assert_int_equal(hc_json_get_real(o, "ratio", &ratio, &err), 0);
    assert_true(ratio == 0.5);
    assert_int_equal(hc_json_get_real(o, "port", &ratio, &err), 0);
    assert_true(ratio == 8080.0);
    assert_int_equal(hc_json_get_array(o, "tags", &tags, &err), 0);
    assert_int_equal(json_array_size(tags), 1);
    assert_int_equal(hc_json_get_obj(o, "meta", &meta, &err), 0);
    assert_true(json_is_object(meta));
    json_decref(o);
}

static void test_get_reports_missing_and_wrong_type(void **state)
{
    (void)state;
    json_t *o = parse_ok("{\"host\":7,\"port\":\"80\",\"n\":null,\"name\":\"xyz\"}");
    hc_err_t err;
    const char *s = "unchanged";
    int64_t i = 42;
    bool b;
    json_t *j;
    assert_int_equal(hc_json_get_str(o, "missing", &s, &err), -EINVAL);
    assert_string_equal(err.msg, "missing: missing");
    assert_string_equal(s, "unchanged");
    assert_int_equal(hc_json_get_str(o, "host", &s, &err), -EINVAL);
    assert_string_equal(err.msg, "host: expected string, got integer");
    assert_int_equal(hc_json_get_int(o, "port", &i, &err), -EINVAL);
    assert_string_equal(err.msg, "port: expected integer, got string");
    assert_int_equal(i, 42);
    assert_int_equal(hc_json_get_bool(o, "n", &b, &err), -EINVAL);
    assert_string_equal(err.msg, "n: expected boolean, got null");
    assert_int_equal(hc_json_get_obj(o, "name", &j, &err), -EINVAL);
    assert_string_equal(err.msg, "name: expected object, got string");
    assert_int_equal(hc_json_get_array(o, "name", &j, &err), -EINVAL);
    assert_string_equal(err.msg, "name: expected array, got string");
    /* Context is added by the caller. */
    hc_json_get_str(o, "host", &s, &err);
    hc_err_wrap(&err, "route");
    assert_string_equal(err.msg, "route: host: expected string, got integer");

    json_t *arr = parse_ok("[1]");
    assert_int_equal(hc_json_get_str(arr, "host", &s, &err), -EINVAL);
    assert_string_equal(err.msg, "expected object, got array");
    assert_int_equal(hc_json_get_str(NULL, "host", &s, &err), -EINVAL);
    json_decref(arr);
    json_decref(o);
}

static void test_ranges_and_lengths(void **state)
{
    (void)state;
    json_t *o = parse_ok("{\"port\":70000,\"name\":\"abcdef\",\"neg\":-1}");
    hc_err_t err;
    int64_t i;
    const char *s;
    assert_int_equal(hc_json_get_int_range(o, "port", 1, 65535, &i, &err), -EINVAL);
    assert_string_equal(err.msg, "port: 70000 is out of range 1..65535");
    assert_int_equal(hc_json_get_int_range(o, "neg", -1, 1, &i, &err), 0);
    assert_int_equal(i, -1);
    assert_int_equal(hc_json_get_str_len(o, "name", 1, 5, &s, &err), -EINVAL);
    assert_string_equal(err.msg, "name: length 6 is out of range 1..5");
    assert_int_equal(hc_json_get_str_len(o, "name", 6, 6, &s, &err), 0);
    assert_string_equal(s, "abcdef");
    json_decref(o);
}

static void test_optional_fields(void **state)
{
    (void)state;
    json_t *o = parse_ok("{\"a\":null,\"b\":3,\"c\":\"x\",\"d\":false}");
    hc_err_t err;
    int64_t i;
    const char *s;
    bool b;
    double d;
    json_t *j = (json_t *)1;
    assert_int_equal(hc_json_opt_int(o, "a", 7, 0, 10, &i, &err), 0);
    assert_int_equal(i, 7);
    assert_int_equal(hc_json_opt_int(o, "zz", 8, 0, 10, &i, &err), 0);
    assert_int_equal(i, 8);
    assert_int_equal(hc_json_opt_int(o, "b", 8, 0, 10, &i, &err), 0);
    assert_int_equal(i, 3);
    assert_int_equal(hc_json_opt_int(o, "b", 8, 0, 2, &i, &err), -EINVAL);
    assert_string_equal(err.msg, "b: 3 is out of range 0..2");
    assert_int_equal(hc_json_opt_int(o, "c", 8, 0, 2, &i, &err), -EINVAL);
    assert_string_equal(err.msg, "c: expected integer, got string");
    assert_int_equal(hc_json_opt_str(o, "zz", "def", &s, &err), 0);
    assert_string_equal(s, "def");
    assert_int_equal(hc_json_opt_str(o, "c", "def", &s, &err), 0);
    assert_string_equal(s, "x");
    assert_int_equal(hc_json_opt_str_len(o, "c", 2, 4, "def", &s, &err), -EINVAL);
    assert_int_equal(hc_json_opt_bool(o, "d", true, &b, &err), 0);
    assert_false(b);
    assert_int_equal(hc_json_opt_bool(o, "a", true, &b, &err), 0);
    assert_true(b);
    assert_int_equal(hc_json_opt_real(o, "zz", 1.5, &d, &err), 0);
    assert_true(d == 1.5);
    assert_int_equal(hc_json_opt_obj(o, "zz", &j, &err), 0);
    assert_null(j);
    assert_int_equal(hc_json_opt_array(o, "b", &j, &err), -EINVAL);
    assert_string_equal(err.msg, "b: expected array, got integer");
    json_decref(o);
}

static void test_parse_errors_and_limits(void **state)
{
    (void)state;
    json_t *v = NULL;
    hc_err_t err;
    static const char bad[] = "{\n  \"a\": 1,\n  \"b\": }";
    const char *g = hc_test_guard(bad, sizeof(bad) - 1);
    assert_int_equal(hc_json_parse(g, sizeof(bad) - 1, 4096, &v, &err), -EINVAL);
    assert_null(v);
    assert_non_null(strstr(err.msg, "invalid JSON at line 3, column"));

    assert_int_equal(hc_json_parse("{\"a\":1}", 7, 6, &v, &err), HC_ETOOBIG);
    assert_string_equal(err.msg, "JSON too large (7 bytes, max 6)");

    assert_int_equal(hc_json_parse("{\"a\":1,\"a\":2}", 13, 100, &v, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "duplicate"));

    /* Hostile bytes in the error never reach the message raw. */
    static const char ctl[] = "{\"a\":\x1b[31m}";
    assert_int_equal(hc_json_parse(ctl, sizeof(ctl) - 1, 100, &v, &err), -EINVAL);
    for (const char *p = err.msg; *p; p++)
        assert_true(*p >= 0x20 && *p < 0x7f);

    assert_int_equal(hc_json_parse("\"a\\u0000b\"", 10, 100, &v, &err), -EINVAL);

    /* Deep nesting is refused by jansson's depth limit, without a crash. */
    hc_buf_t b;
    hc_buf_init(&b, 0);
    for (int i = 0; i < 100000; i++)
        hc_buf_append_byte(&b, '[');
    assert_int_equal(hc_json_parse(b.data, b.len, b.len, &v, &err), -EINVAL);
    hc_buf_release(&b);

    assert_int_equal(hc_json_parse_obj("[1]", 3, 100, &v, &err), -EINVAL);
    assert_string_equal(err.msg, "expected a JSON object, got array");
    assert_int_equal(hc_json_parse_obj("{}", 2, 100, &v, &err), 0);
    json_decref(v);
    assert_int_equal(hc_json_parse("42", 2, 100, &v, &err), 0);
    assert_int_equal(json_integer_value(v), 42);
    json_decref(v);
}

static void test_build_and_dump(void **state)
{
    (void)state;
    json_t *o = hc_json_obj();
    hc_json_set_str(o, "host", "a.example");
    hc_json_set_int(o, "port", 8080);
    hc_json_set_bool(o, "tls", false);
    hc_json_set_real(o, "nan", NAN);
    hc_json_set_str(o, "none", NULL);
    json_t *a = hc_json_arr();
    hc_json_append_str(a, "x");
    hc_json_append_new(a, json_integer(2));
    hc_json_set_new(o, "list", a);
    /* Invalid UTF-8 from a peer is kept, with U+FFFD in place of bad bytes. */
    hc_json_set_strn(o, "bad",
                     "a\xff"
                     "b\xc0\xaf"
                     "c\0d",
                     8);

    hc_buf_t out;
    hc_buf_init(&out, 0);
    assert_int_equal(hc_json_dump(o, JSON_COMPACT | JSON_SORT_KEYS, &out), 0);
    assert_string_equal(out.data, "{\"bad\":\"a\xef\xbf\xbd"
                                  "b\xef\xbf\xbd\xef\xbf\xbd"
                                  "c\xef\xbf\xbd"
                                  "d\",\"host\":\"a.example\","
                                  "\"list\":[\"x\",2],\"nan\":null,\"none\":null,\"port\":8080,"
                                  "\"tls\":false}");
    hc_buf_release(&out);

    /* A dump that does not fit the buffer's max reports overflow. */
    hc_buf_init(&out, 16);
    assert_int_equal(hc_json_dump(o, JSON_COMPACT, &out), HC_ETOOBIG);
    assert_true(out.overflow);
    hc_buf_release(&out);
    json_decref(o);

    json_t *s = hc_json_strn("caf\xc3\xa9", 5);
    assert_string_equal(json_string_value(s), "caf\xc3\xa9");
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_required_fields),
        cmocka_unit_test(test_get_reports_missing_and_wrong_type),
        cmocka_unit_test(test_ranges_and_lengths),
        cmocka_unit_test(test_optional_fields),
        cmocka_unit_test(test_parse_errors_and_limits),
        cmocka_unit_test(test_build_and_dump),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    hc_test_guard_free_all();
    return r;
}
