/* Tests for src/core/http/status.c: /healthz and /varz behind basic auth, on a real loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hc_http_client.h"
#include "hc_status.h"
#include "loop_clean.h"
#include "raw_http.h"

typedef struct result_s {
    bool done;
    int status;
    char body[8192];
    char www_auth[128];
} result_t;

typedef struct fx_s {
    uv_loop_t loop;
    hc_status_t *st;
    hc_http_client_t *cli;
    bool closed;
    char url[128];
    char curl_out[256];
} fx_t;

static void add_varz(json_t *varz, void *data)
{
    (void)data;
    json_object_set_new(varz, "requests", json_integer(42));
}

static fx_t *fx_start(const char *user, const char *password)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    hc_err_t err;
    json_t *config =
        json_pack("{s:i,s:s,s:{s:s,s:s},s:[{s:s,s:i}]}", "port", 9022, "mbus", "nats://u:p@x", "db",
                  "password", "pw", "name", "cc", "list", "token", "t", "keep", 1);
    hc_status_conf_t conf = {
        .type = "DEA", .index = 3, .user = user, .password = password, .config = config};

    assert_int_equal(uv_loop_init(&fx->loop), 0);
    assert_int_equal(hc_status_new(&fx->loop, &conf, add_varz, NULL, &fx->st, &err), 0);
    json_decref(config);
    fx->cli = hc_http_client_new(&fx->loop, &err);
    assert_non_null(fx->cli);
    return fx;
}

static void on_closed(hc_status_t *st, void *data)
{
    fx_t *fx = data;
    (void)st;
    fx->closed = true;
}

static void fx_stop(fx_t *fx)
{
    hc_http_client_free(fx->cli);
    hc_status_close(fx->st, on_closed, fx);
    assert_true(hc_test_run_until(&fx->loop, &fx->closed, 5000));
    hc_status_free(fx->st);
    HC_ASSERT_LOOP_CLEAN(&fx->loop);
    free(fx);
}

static void on_result(const hc_http_client_result_t *r, void *data)
{
    result_t *out = data;
    out->done = true;
    out->status = r->status;
    snprintf(out->body, sizeof(out->body), "%.*s", (int)r->body_len, r->body ? r->body : "");
    hc_str_t w = hc_http_client_result_header(r, "WWW-Authenticate");
    snprintf(out->www_auth, sizeof(out->www_auth), "%.*s", (int)w.len, w.p ? w.p : "");
}

static void get(fx_t *fx, const char *path, const char *user, const char *password, result_t *out)
{
    hc_err_t err;
    snprintf(fx->url, sizeof(fx->url), "http://127.0.0.1:%d%s", hc_status_port(fx->st), path);
    hc_http_client_opts_t o = {.url = fx->url, .basic_user = user, .basic_password = password};
    memset(out, 0, sizeof(*out));
    assert_int_equal(hc_http_client_request(fx->cli, &o, on_result, out, NULL, &err), 0);
    assert_true(hc_test_run_until(&fx->loop, &out->done, 10000));
}

static void test_healthz_requires_basic_auth(void **state)
{
    result_t r;
    (void)state;
    fx_t *fx = fx_start("admin", "s3cret");
    get(fx, "/healthz", NULL, NULL, &r);
    assert_int_equal(r.status, 401);
    assert_string_equal(r.www_auth, "Basic realm=\"hearth\"");
    get(fx, "/healthz", "admin", "wrong", &r);
    assert_int_equal(r.status, 401);
    get(fx, "/varz", "admin", "s3cret-", &r);
    assert_int_equal(r.status, 401);
    get(fx, "/healthz", "admin", "s3cret", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok\n");
    fx_stop(fx);
}

static void test_varz_has_component_fields_metrics_and_daemon_fields(void **state)
{
    result_t r;
    json_error_t jerr;
    char host[64];
    (void)state;
    fx_t *fx = fx_start("admin", "s3cret");
    get(fx, "/varz", "admin", "s3cret", &r);
    assert_int_equal(r.status, 200);
    json_t *v = json_loads(r.body, 0, &jerr);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "type")), "DEA");
    assert_int_equal(json_integer_value(json_object_get(v, "index")), 3);
    const char *uuid = json_string_value(json_object_get(v, "uuid"));
    assert_non_null(uuid);
    assert_int_equal(strlen(uuid), 2 + 32);
    assert_memory_equal(uuid, "3-", 2);
    snprintf(host, sizeof(host), "127.0.0.1:%d", hc_status_port(fx->st));
    assert_string_equal(json_string_value(json_object_get(v, "host")), host);
    json_t *cred = json_object_get(v, "credentials");
    assert_string_equal(json_string_value(json_array_get(cred, 0)), "admin");
    assert_string_equal(json_string_value(json_array_get(cred, 1)), "s3cret");
    const char *start = json_string_value(json_object_get(v, "start"));
    assert_non_null(start);
    assert_int_equal(start[10], 'T');
    assert_int_equal(start[strlen(start) - 1], 'Z');
    const char *uptime = json_string_value(json_object_get(v, "uptime"));
    assert_non_null(uptime);
    assert_memory_equal(uptime, "0d:0h:0m:", 9);
    assert_true(json_integer_value(json_object_get(v, "mem")) > 0);
    assert_true(json_is_number(json_object_get(v, "cpu")));
    assert_true(json_integer_value(json_object_get(v, "num_cores")) >= 1);
    assert_int_equal(json_integer_value(json_object_get(v, "requests")), 42);
    /* The config is shown without its secrets, at any depth. */
    json_t *config = json_object_get(v, "config");
    assert_int_equal(json_integer_value(json_object_get(config, "port")), 9022);
    assert_null(json_object_get(config, "mbus"));
    assert_null(json_object_get(json_object_get(config, "db"), "password"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(config, "db"), "name")),
                        "cc");
    json_t *item = json_array_get(json_object_get(config, "list"), 0);
    assert_null(json_object_get(item, "token"));
    assert_int_equal(json_integer_value(json_object_get(item, "keep")), 1);
    json_decref(v);
    fx_stop(fx);
}

static void test_component_json_for_the_bus(void **state)
{
    (void)state;
    fx_t *fx = fx_start(NULL, NULL);
    json_t *c = hc_status_component_json(fx->st);
    assert_int_equal(json_object_size(c), 7);
    const char *keys[] = {"type", "index", "uuid", "host", "credentials", "start", "uptime"};
    for (size_t i = 0; i < HC_ARRAY_SIZE(keys); i++)
        assert_non_null(json_object_get(c, keys[i]));
    assert_string_equal(json_string_value(json_object_get(c, "uuid")), hc_status_uuid(fx->st));
    /* Unset credentials are random: 32 hex digits each, not equal. */
    const char *user = hc_status_user(fx->st), *pass = hc_status_password(fx->st);
    assert_int_equal(strlen(user), 32);
    assert_int_equal(strlen(pass), 32);
    assert_string_not_equal(user, pass);
    assert_string_equal(json_string_value(json_array_get(json_object_get(c, "credentials"), 0)),
                        user);
    json_decref(c);
    result_t r;
    get(fx, "/healthz", user, pass, &r);
    assert_int_equal(r.status, 200);
    fx_stop(fx);
}

static void curl_healthz(void *p)
{
    fx_t *fx = p;
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "curl -s -u '%s:%s' http://127.0.0.1:%d/healthz",
             hc_status_user(fx->st), hc_status_password(fx->st), hc_status_port(fx->st));
    FILE *f = popen(cmd, "r");
    if (!f)
        return;
    size_t n = fread(fx->curl_out, 1, sizeof(fx->curl_out) - 1, f);
    fx->curl_out[n] = '\0';
    pclose(f);
}

static void test_curl_binary_reads_healthz(void **state)
{
    (void)state;
    fx_t *fx = fx_start(NULL, NULL);
    assert_true(raw_run_thread(&fx->loop, curl_healthz, fx, 20000));
    assert_string_equal(fx->curl_out, "ok\n");
    fx_stop(fx);
}

static void test_uptime_format_and_sanitize(void **state)
{
    char buf[64];
    (void)state;
    hc_status_format_uptime(90061, buf, sizeof(buf));
    assert_string_equal(buf, "1d:1h:1m:1s");
    hc_status_format_uptime(0, buf, sizeof(buf));
    assert_string_equal(buf, "0d:0h:0m:0s");
    json_t *j = json_pack("{s:s,s:{s:s}}", "pass", "x", "keys", "token", "y");
    hc_status_sanitize_config(j);
    assert_int_equal(json_object_size(j), 0);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthz_requires_basic_auth),
        cmocka_unit_test(test_varz_has_component_fields_metrics_and_daemon_fields),
        cmocka_unit_test(test_component_json_for_the_bus),
        cmocka_unit_test(test_curl_binary_reads_healthz),
        cmocka_unit_test(test_uptime_format_and_sanitize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
