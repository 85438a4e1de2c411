/* Unit tests for src/cc/app_json.c: the app's v1 JSON written without a jansson tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "app.h"
#include "hc_json.h"

static void fill(cc_app_t *a)
{
    memset(a, 0, sizeof(*a));
    a->guid = hc_strdup("11111111-2222-4333-8444-555555555555");
    a->name = hc_strdup("web");
    a->owner = hc_strdup("a@x.com");
    a->framework = hc_strdup("buildpack");
    a->state = hc_strdup("STARTED");
    a->instances = 3;
    a->memory = 128;
    a->disk = 2048;
    a->fds = 256;
    a->uris = json_pack("[s,s]", "web.hearth.local", "www.hearth.local");
    a->env = json_pack("[s]", "K=v \"q\" \\ \n\t\x01 \xc3\xa9");
    a->services = hc_json_arr();
    a->package_hash = hc_strdup("0123456789abcdef0123456789abcdef01234567");
    a->package_state = hc_strdup("STAGED");
    a->run_count = 2;
    a->lock_version = 7;
    a->created = 1700000000;
}

static json_t *parse(const cc_app_t *a, int64_t running)
{
    hc_buf_t b;
    json_t *v = NULL;
    hc_err_t err;
    hc_buf_init(&b, 0);
    cc_app_write_json(a, running, &b);
    int r = hc_json_parse_obj(b.data, b.len, 1 << 20, &v, &err);
    if (r < 0)
        fprintf(stderr, "bad JSON (%s): %s\n", err.msg, b.data);
    assert_int_equal(r, 0);
    hc_buf_release(&b);
    return v;
}

static void test_shape_and_escaping(void **state)
{
    (void)state;
    cc_app_t a;
    fill(&a);
    json_t *v = parse(&a, -1);
    assert_string_equal(json_string_value(json_object_get(v, "name")), "web");
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "staging"), "model")),
                        "buildpack");
    assert_true(json_is_null(json_object_get(json_object_get(v, "staging"), "stack")));
    assert_null(json_object_get(json_object_get(v, "staging"), "command"));
    assert_true(json_equal(json_object_get(v, "uris"), a.uris));
    assert_true(json_equal(json_object_get(v, "env"), a.env));
    assert_int_equal(json_array_size(json_object_get(v, "services")), 0);
    assert_int_equal(json_integer_value(json_object_get(v, "instances")), 3);
    assert_true(json_is_null(json_object_get(v, "runningInstances")));
    json_t *res = json_object_get(v, "resources");
    assert_int_equal(json_integer_value(json_object_get(res, "memory")), 128);
    assert_int_equal(json_integer_value(json_object_get(res, "disk")), 2048);
    assert_int_equal(json_integer_value(json_object_get(res, "fds")), 256);
    assert_string_equal(json_string_value(json_object_get(v, "state")), "STARTED");
    assert_string_equal(json_string_value(json_object_get(v, "version")),
                        "0123456789abcdef0123456789abcdef01234567-2");
    assert_string_equal(json_string_value(json_object_get(v, "guid")), a.guid);
    assert_string_equal(json_string_value(json_object_get(v, "package_state")), "STAGED");
    json_t *meta = json_object_get(v, "meta");
    assert_int_equal(json_integer_value(json_object_get(meta, "version")), 7);
    assert_int_equal(json_integer_value(json_object_get(meta, "created")), 1700000000);
    assert_true(json_is_null(json_object_get(meta, "debug")));
    json_decref(v);

    /* Running count known; a stopped app always has 0; a command is shown. */
    v = parse(&a, 2);
    assert_int_equal(json_integer_value(json_object_get(v, "runningInstances")), 2);
    json_decref(v);
    free(a.state);
    a.state = hc_strdup("STOPPED");
    a.command = hc_strdup("./run");
    v = parse(&a, 2);
    assert_int_equal(json_integer_value(json_object_get(v, "runningInstances")), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(v, "staging"), "command")), "./run");
    json_decref(v);

    /* Numbers at the ends of their range. */
    a.fds = -1;
    a.disk = INT64_MAX;
    a.created = INT64_MIN;
    v = parse(&a, 0);
    res = json_object_get(v, "resources");
    assert_int_equal(json_integer_value(json_object_get(res, "fds")), -1);
    assert_true(json_integer_value(json_object_get(res, "disk")) == INT64_MAX);
    assert_true(json_integer_value(json_object_get(json_object_get(v, "meta"), "created")) ==
                INT64_MIN);
    json_decref(v);

    /* cc_app_to_json gives the same object. */
    json_t *tree = cc_app_to_json(&a, 2);
    v = parse(&a, 2);
    assert_true(json_equal(tree, v));
    json_decref(tree);
    json_decref(v);
    cc_app_release(&a);
}

static void test_bytes_that_are_not_utf8(void **state)
{
    (void)state;
    hc_buf_t b;
    hc_buf_init(&b, 0);
    cc_json_put_str(&b, "a\xff"
                        "b\xc3"
                        "c\xed\xa0\x80"
                        "d");
    json_t *v = NULL;
    hc_err_t err;
    assert_int_equal(hc_json_parse(b.data, b.len, 1024, &v, &err), 0);
    assert_string_equal(json_string_value(v), "a\xef\xbf\xbd"
                                              "b\xef\xbf\xbd"
                                              "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                                              "d");
    json_decref(v);
    hc_buf_reset(&b);
    cc_json_put_str(&b, NULL);
    assert_string_equal(b.data, "null");
    hc_buf_release(&b);
}

/* Defaults when unset; the body's health check fields validated and applied. */
static void test_health_check(void **state)
{
    (void)state;
    cc_app_t a;
    cc_app_err_t e = {0};
    fill(&a);
    json_t *v = parse(&a, -1);
    assert_string_equal(json_string_value(json_object_get(v, "health_check_type")), "port");
    assert_string_equal(json_string_value(json_object_get(v, "health_check_http_endpoint")), "/");
    json_decref(v);

    static const char *const good[][3] = {
        /* body type, body endpoint, stored type */
        {"http", "/health", "http"},
        {"process", NULL, "process"},
        {"none", NULL, "process"},
        {"port", "/a/b?x=1&y=%20", "port"},
    };
    for (size_t i = 0; i < HC_ARRAY_SIZE(good); i++) {
        json_t *body = json_pack("{s:s}", "health_check_type", good[i][0]);
        if (good[i][1])
            hc_json_set_str(body, "health_check_http_endpoint", good[i][1]);
        assert_int_equal(cc_app_apply_health_check(body, &a, &e), 0);
        assert_string_equal(cc_app_hc_type(&a), good[i][2]);
        if (good[i][1])
            assert_string_equal(cc_app_hc_endpoint(&a), good[i][1]);
        json_decref(body);
    }
    v = parse(&a, -1);
    assert_string_equal(json_string_value(json_object_get(v, "health_check_type")), "port");
    assert_string_equal(json_string_value(json_object_get(v, "health_check_http_endpoint")),
                        "/a/b?x=1&y=%20");
    json_decref(v);

    char long_path[258];
    memset(long_path, 'a', sizeof(long_path) - 1);
    long_path[0] = '/';
    long_path[sizeof(long_path) - 1] = '\0';
    const char *const bad_types[] = {"HTTP", "", "tcp", "port "};
    for (size_t i = 0; i < HC_ARRAY_SIZE(bad_types); i++) {
        json_t *body = json_pack("{s:s}", "health_check_type", bad_types[i]);
        memset(&e, 0, sizeof(e));
        assert_int_equal(cc_app_apply_health_check(body, &a, &e), -EINVAL);
        assert_int_equal(e.code, 300);
        assert_non_null(strstr(e.msg, "health_check_type"));
        json_decref(body);
    }
    json_t *body = json_pack("{s:i}", "health_check_type", 1);
    assert_int_equal(cc_app_apply_health_check(body, &a, &e), -EINVAL);
    json_decref(body);
    const char *const bad_paths[] = {"", "health", "/a b", "/a\tb", "/\xc3\xa9", long_path};
    for (size_t i = 0; i < HC_ARRAY_SIZE(bad_paths); i++) {
        body = json_pack("{s:s}", "health_check_http_endpoint", bad_paths[i]);
        memset(&e, 0, sizeof(e));
        assert_int_equal(cc_app_apply_health_check(body, &a, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "health_check_http_endpoint"));
        json_decref(body);
    }
    long_path[255] = '\0'; /* 255 bytes: the longest allowed */
    body = json_pack("{s:s}", "health_check_http_endpoint", long_path);
    assert_int_equal(cc_app_apply_health_check(body, &a, &e), 0);
    json_decref(body);
    /* a failed body changes nothing */
    assert_string_equal(cc_app_hc_type(&a), "port");
    assert_string_equal(cc_app_hc_endpoint(&a), long_path);
    cc_app_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape_and_escaping),
        cmocka_unit_test(test_bytes_that_are_not_utf8),
        cmocka_unit_test(test_health_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
