/* Tests for src/broker/req.c: OSBAPI bodies, ids, query strings, the API version header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "broker.h"
#include "guard.h"
#include "req.h"

static int parse(const char *text, bool bind, brk_req_t *r, hc_err_t *err)
{
    hc_err_clear(err);
    size_t len = strlen(text);
    return brk_req_parse(hc_test_guard(text, len), len, bind, r, err);
}

static void test_provision_body(void **state)
{
    (void)state;
    brk_req_t r;
    hc_err_t err;
    assert_int_equal(parse("{\"service_id\":\"s\",\"plan_id\":\"p\",\"organization_guid\":\"o\","
                           "\"space_guid\":\"sp\",\"parameters\":{\"b\":1,\"a\":[2]}}",
                           false, &r, &err),
                     0);
    assert_string_equal(r.service_id, "s");
    assert_string_equal(r.plan_id, "p");
    assert_string_equal(r.org, "o");
    assert_string_equal(r.space, "sp");
    assert_null(r.app_guid);
    /* Canonical: keys sorted, compact, so equal parameters compare equal as text. */
    assert_string_equal(r.params, "{\"a\":[2],\"b\":1}");
    brk_req_release(&r);

    assert_int_equal(parse("{\"service_id\":\"s\",\"plan_id\":\"p\",\"organization_guid\":\"o\","
                           "\"space_guid\":\"sp\"}",
                           false, &r, &err),
                     0);
    assert_string_equal(r.params, "{}");
    brk_req_release(&r);
}

static void test_provision_errors(void **state)
{
    (void)state;
    brk_req_t r;
    hc_err_t err;
    assert_int_equal(parse("{\"plan_id\":\"p\",\"organization_guid\":\"o\",\"space_guid\":\"s\"}",
                           false, &r, &err),
                     -EINVAL);
    assert_string_equal(err.msg, "service_id: missing");
    assert_int_equal(
        parse("{\"service_id\":\"s\",\"plan_id\":\"p\",\"space_guid\":\"s\"}", false, &r, &err),
        -EINVAL);
    assert_string_equal(err.msg, "organization_guid: missing");
    assert_int_equal(parse("{\"service_id\":1,\"plan_id\":\"p\"}", false, &r, &err), -EINVAL);
    assert_string_equal(err.msg, "service_id: expected string, got integer");
    assert_int_equal(parse("{\"service_id\":\"\",\"plan_id\":\"p\"}", false, &r, &err), -EINVAL);
    assert_int_equal(parse("[1]", false, &r, &err), -EINVAL);
    assert_int_equal(parse("{\"service_id\":", false, &r, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "invalid JSON"));
    assert_int_equal(parse("{\"service_id\":\"s\",\"plan_id\":\"p\",\"organization_guid\":\"o\","
                           "\"space_guid\":\"sp\",\"parameters\":[]}",
                           false, &r, &err),
                     -EINVAL);
    assert_string_equal(err.msg, "parameters: expected object, got array");
    /* Nothing is left allocated on error: the struct is zeroed. */
    assert_null(r.service_id);
    assert_null(r.params);
}

static void test_parameters_too_big(void **state)
{
    (void)state;
    size_t n = BRK_MAX_PARAMS + 100;
    char *text = hc_malloc(n + 200);
    int len = snprintf(text, n + 200,
                       "{\"service_id\":\"s\",\"plan_id\":\"p\","
                       "\"organization_guid\":\"o\",\"space_guid\":\"s\","
                       "\"parameters\":{\"x\":\"");
    memset(text + len, 'a', n);
    strcpy(text + len + n, "\"}}");
    brk_req_t r;
    hc_err_t err;
    assert_int_equal(parse(text, false, &r, &err), HC_ETOOBIG);
    assert_non_null(strstr(err.msg, "parameters"));
    free(text);
}

static void test_bind_body(void **state)
{
    (void)state;
    brk_req_t r;
    hc_err_t err;
    assert_int_equal(parse("{\"service_id\":\"s\",\"plan_id\":\"p\",\"bind_resource\":"
                           "{\"app_guid\":\"app1\"}}",
                           true, &r, &err),
                     0);
    assert_string_equal(r.app_guid, "app1");
    assert_null(r.org);
    brk_req_release(&r);
    /* The deprecated top-level app_guid is still understood. */
    assert_int_equal(
        parse("{\"service_id\":\"s\",\"plan_id\":\"p\",\"app_guid\":\"app2\"}", true, &r, &err), 0);
    assert_string_equal(r.app_guid, "app2");
    brk_req_release(&r);
    assert_int_equal(parse("{\"service_id\":\"s\",\"plan_id\":\"p\"}", true, &r, &err), 0);
    assert_null(r.app_guid);
    brk_req_release(&r);
    assert_int_equal(parse("{\"service_id\":\"s\",\"plan_id\":\"p\",\"bind_resource\":"
                           "{\"app_guid\":7}}",
                           true, &r, &err),
                     -EINVAL);
    assert_string_equal(err.msg, "bind_resource: app_guid: expected string, got integer");
}

static void test_ids(void **state)
{
    (void)state;
    assert_true(brk_id_valid(hc_str_c("9f1e-aB_c.1")));
    assert_false(brk_id_valid(hc_str_c("")));
    assert_false(brk_id_valid(hc_str_c("a b")));
    assert_false(brk_id_valid(hc_str_c("a/b")));
    assert_false(brk_id_valid(hc_str_c("a%20b")));
    assert_false(brk_id_valid(hc_str_c("a'b")));
    char id[BRK_MAX_ID + 2];
    memset(id, 'a', sizeof(id));
    assert_true(brk_id_valid(hc_str(id, BRK_MAX_ID)));
    assert_false(brk_id_valid(hc_str(id, BRK_MAX_ID + 1)));
}

static int q(const char *query, const char *key, char *out, size_t size)
{
    return brk_query_get(hc_str(hc_test_guard_str(query), strlen(query)), key, out, size);
}

static void test_query(void **state)
{
    (void)state;
    char v[16];
    assert_int_equal(
        q("service_id=s1&plan_id=p%2D1&accepts_incomplete=true", "plan_id", v, sizeof(v)), 1);
    assert_string_equal(v, "p-1");
    assert_int_equal(q("service_id=s1&accepts_incomplete=true", "accepts_incomplete", v, sizeof(v)),
                     1);
    assert_string_equal(v, "true");
    assert_int_equal(q("plan=x", "plan_id", v, sizeof(v)), 0);
    assert_int_equal(q("plan_idx=x", "plan_id", v, sizeof(v)), 0);
    assert_int_equal(q("", "plan_id", v, sizeof(v)), 0);
    assert_int_equal(q("flag", "flag", v, sizeof(v)), 1);
    assert_string_equal(v, "");
    assert_int_equal(q("a=x+y", "a", v, sizeof(v)), 1);
    assert_string_equal(v, "x y");
    assert_int_equal(q("a=%4", "a", v, sizeof(v)), -EINVAL);
    assert_int_equal(q("a=%", "a", v, sizeof(v)), -EINVAL);
    assert_int_equal(q("a=%zz", "a", v, sizeof(v)), -EINVAL);
    assert_int_equal(q("a=%00", "a", v, sizeof(v)), -EINVAL);
    assert_int_equal(q("a=0123456789abcdef", "a", v, sizeof(v)), -EINVAL);
    assert_int_equal(q("a=0123456789abcde", "a", v, sizeof(v)), 1);
}

static void test_api_version(void **state)
{
    (void)state;
    assert_true(brk_api_version_ok(hc_str_c("2.12"), "2.12"));
    assert_true(brk_api_version_ok(hc_str_c("2.17"), "2.12"));
    assert_false(brk_api_version_ok(hc_str_c("2.11"), "2.12"));
    assert_false(brk_api_version_ok(hc_str_c("3.0"), "2.12"));
    assert_false(brk_api_version_ok(hc_str_c("1.99"), "2.12"));
    assert_false(brk_api_version_ok(hc_str_c("2"), "2.12"));
    assert_false(brk_api_version_ok(hc_str_c("2.x"), "2.12"));
    assert_false(brk_api_version_ok(hc_str_c(" 2.13"), "2.12"));
    assert_false(brk_api_version_ok(HC_STR_NULL, "2.12"));
    assert_false(brk_api_version_ok(hc_str_c("2.13"), "nonsense"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_provision_body),
        cmocka_unit_test(test_provision_errors),
        cmocka_unit_test(test_parameters_too_big),
        cmocka_unit_test(test_bind_body),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_api_version),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    hc_test_guard_free_all();
    return rc;
}
