/*
 * Tests for src/core/http/client.c: the libcurl-multi client on the test's loop, against the
 * hearth HTTP server on the same loop (127.0.0.1, random port).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hc_http_client.h"
#include "hc_http_server.h"
#include "loop_clean.h"

#define MAX_RESULTS 64

typedef struct result_s {
    bool done;
    int status;
    char error[256];
    bool has_error;
    char *body;
    size_t body_len;
    char x_test[64];
} result_t;

typedef struct fx_s {
    uv_loop_t loop;
    hc_http_server_t *srv;
    hc_http_client_t *cli;
    int port;
    bool srv_closed;
    hc_http_res_t *held[4];
    int num_held;
    result_t res[MAX_RESULTS];
    int completed;
    bool hold_cancelled;
    char url[256];
} fx_t;

/* ---- server side ---- */

static void h_hello(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    (void)req;
    (void)data;
    hc_http_res_set_header(res, "X-Test", "yes");
    hc_http_reply_text(res, 200, "hello");
}

static void h_echo(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    (void)data;
    hc_http_res_set_header(res, "X-Test",
                           hc_str_eq(req->method, HC_STR_LIT("PUT")) ? "put" : "post");
    hc_http_reply(res, 201, "application/octet-stream", req->body.p, req->body.len);
}

static void h_auth(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    hc_str_t a = hc_http_req_header(req, "Authorization");
    (void)data;
    hc_http_reply(res, 200, "text/plain", a.p, a.len);
}

static void h_big(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    static char big[1000];
    (void)req;
    (void)data;
    memset(big, 'b', sizeof(big));
    hc_http_reply(res, 200, "text/plain", big, sizeof(big));
}

static void on_hold_cancel(hc_http_res_t *res, void *data)
{
    fx_t *fx = data;
    fx->hold_cancelled = true;
    for (int i = 0; i < fx->num_held; i++)
        if (fx->held[i] == res)
            fx->held[i] = hc_http_res_unref(res);
}

static void h_hold(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    fx_t *fx = data;
    (void)req;
    hc_assert(fx->num_held < 4);
    fx->held[fx->num_held++] = hc_http_res_ref(res);
    hc_http_res_on_cancel(res, on_hold_cancel, fx);
}

/* ---- fixture ---- */

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    hc_http_server_conf_t conf = {0};
    hc_err_t err;

    assert_int_equal(uv_loop_init(&fx->loop), 0);
    assert_int_equal(hc_http_server_new(&fx->loop, &conf, &fx->srv, &err), 0);
    fx->port = hc_http_server_port(fx->srv);
    hc_http_server_route(fx->srv, "GET", "/hello", h_hello, fx);
    hc_http_server_route(fx->srv, "POST", "/echo", h_echo, fx);
    hc_http_server_route(fx->srv, "PUT", "/echo", h_echo, fx);
    hc_http_server_route(fx->srv, "GET", "/auth", h_auth, fx);
    hc_http_server_route(fx->srv, "GET", "/big", h_big, fx);
    hc_http_server_route(fx->srv, "GET", "/hold", h_hold, fx);
    fx->cli = hc_http_client_new(&fx->loop, &err);
    assert_non_null(fx->cli);
    *state = fx;
    return 0;
}

static void on_srv_closed(hc_http_server_t *srv, void *data)
{
    fx_t *fx = data;
    (void)srv;
    fx->srv_closed = true;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    hc_http_client_free(fx->cli);
    hc_http_server_close(fx->srv, 1000, on_srv_closed, fx);
    assert_true(hc_test_run_until(&fx->loop, &fx->srv_closed, 5000));
    hc_http_server_free(fx->srv);
    for (int i = 0; i < fx->num_held; i++)
        hc_http_res_unref(fx->held[i]);
    HC_ASSERT_LOOP_CLEAN(&fx->loop);
    for (int i = 0; i < MAX_RESULTS; i++)
        free(fx->res[i].body);
    free(fx);
    return 0;
}

static void on_result(const hc_http_client_result_t *r, void *data)
{
    result_t *out = data;
    out->done = true;
    out->status = r->status;
    out->has_error = r->error != NULL;
    snprintf(out->error, sizeof(out->error), "%s", r->error ? r->error : "");
    if (r->body) {
        out->body = hc_memdup(r->body, r->body_len + 1);
        out->body_len = r->body_len;
    }
    hc_str_t x = hc_http_client_result_header(r, "x-test");
    snprintf(out->x_test, sizeof(out->x_test), "%.*s", (int)x.len, x.p ? x.p : "");
}

static const char *url(fx_t *fx, const char *path)
{
    snprintf(fx->url, sizeof(fx->url), "http://127.0.0.1:%d%s", fx->port, path);
    return fx->url;
}

static void request(fx_t *fx, int i, const hc_http_client_opts_t *o)
{
    hc_err_t err;
    assert_int_equal(hc_http_client_request(fx->cli, o, on_result, &fx->res[i], NULL, &err), 0);
}

static void wait_for(fx_t *fx, int i)
{
    assert_true(hc_test_run_until(&fx->loop, &fx->res[i].done, 10000));
}

/* ---- tests ---- */

static void test_get_returns_status_headers_and_body(void **state)
{
    fx_t *fx = *state;
    request(fx, 0, &(hc_http_client_opts_t){.url = url(fx, "/hello")});
    wait_for(fx, 0);
    assert_false(fx->res[0].has_error);
    assert_int_equal(fx->res[0].status, 200);
    assert_string_equal(fx->res[0].body, "hello");
    assert_string_equal(fx->res[0].x_test, "yes");

    request(fx, 1, &(hc_http_client_opts_t){.url = url(fx, "/missing")});
    wait_for(fx, 1);
    assert_false(fx->res[1].has_error);
    assert_int_equal(fx->res[1].status, 404);
    assert_string_equal(fx->res[1].body, "{\"code\":404,\"description\":\"Not Found\"}");
}

static void test_post_and_put_upload_bodies(void **state)
{
    fx_t *fx = *state;
    size_t n = 300 * 1000;
    char *big = hc_malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);

    request(fx, 0, &(hc_http_client_opts_t){.url = url(fx, "/echo"), .body = big, .body_len = n});
    request(fx, 1,
            &(hc_http_client_opts_t){.method = "PUT",
                                     .url = url(fx, "/echo"),
                                     .body = "xyz",
                                     .body_len = 3,
                                     .body_borrowed = true});
    free(big); /* copied by the client */
    wait_for(fx, 0);
    wait_for(fx, 1);
    assert_int_equal(fx->res[0].status, 201);
    assert_string_equal(fx->res[0].x_test, "post");
    assert_int_equal(fx->res[0].body_len, n);
    for (size_t i = 0; i < n; i++)
        if (fx->res[0].body[i] != (char)('a' + i % 26))
            fail_msg("echoed body differs at %zu", i);
    assert_int_equal(fx->res[1].status, 201);
    assert_string_equal(fx->res[1].x_test, "put");
    assert_string_equal(fx->res[1].body, "xyz");
}

static void test_basic_and_bearer_auth_headers(void **state)
{
    fx_t *fx = *state;
    request(fx, 0,
            &(hc_http_client_opts_t){
                .url = url(fx, "/auth"), .basic_user = "admin", .basic_password = "secret"});
    request(fx, 1, &(hc_http_client_opts_t){.url = url(fx, "/auth"), .bearer = "tok123"});
    const char *hdrs[] = {"Authorization: custom", NULL};
    request(fx, 2, &(hc_http_client_opts_t){.url = url(fx, "/auth"), .headers = hdrs});
    wait_for(fx, 0);
    wait_for(fx, 1);
    wait_for(fx, 2);
    assert_string_equal(fx->res[0].body, "Basic YWRtaW46c2VjcmV0");
    assert_string_equal(fx->res[1].body, "Bearer tok123");
    assert_string_equal(fx->res[2].body, "custom");
}

static void test_timeout_is_an_error_and_server_sees_cancel(void **state)
{
    fx_t *fx = *state;
    request(fx, 0, &(hc_http_client_opts_t){.url = url(fx, "/hold"), .timeout_ms = 100});
    wait_for(fx, 0);
    assert_true(fx->res[0].has_error);
    assert_int_equal(fx->res[0].status, 0);
    assert_non_null(strstr(fx->res[0].error, "imed out"));
    assert_int_equal(hc_http_client_pending(fx->cli), 0);
    /* The client closed its connection, so the server's handler learns it is cancelled. */
    assert_true(hc_test_run_until(&fx->loop, &fx->hold_cancelled, 5000));
}

static void test_connection_refused_is_an_error(void **state)
{
    fx_t *fx = *state;
    uv_tcp_t t;
    struct sockaddr_in a;
    struct sockaddr_storage ss;
    int len = sizeof(ss);

    /* A port that was just free: bound, not listening, so a connect is refused. */
    uv_tcp_init(&fx->loop, &t);
    uv_ip4_addr("127.0.0.1", 0, &a);
    assert_int_equal(uv_tcp_bind(&t, (struct sockaddr *)&a, 0), 0);
    uv_tcp_getsockname(&t, (struct sockaddr *)&ss, &len);
    int port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    char u[64];
    snprintf(u, sizeof(u), "http://127.0.0.1:%d/", port);
    request(fx, 0, &(hc_http_client_opts_t){.url = u});
    wait_for(fx, 0);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&fx->loop, UV_RUN_NOWAIT); /* t lives on this stack: finish closing it here */
    assert_true(fx->res[0].has_error);
    assert_int_equal(fx->res[0].status, 0);
}

static void test_too_large_response_is_an_error(void **state)
{
    fx_t *fx = *state;
    request(fx, 0, &(hc_http_client_opts_t){.url = url(fx, "/big"), .max_response = 100});
    request(fx, 1, &(hc_http_client_opts_t){.url = url(fx, "/big"), .max_response = 1000});
    wait_for(fx, 0);
    wait_for(fx, 1);
    assert_true(fx->res[0].has_error);
    assert_string_equal(fx->res[0].error, "response body too large");
    assert_false(fx->res[1].has_error);
    assert_int_equal(fx->res[1].body_len, 1000);
}

static void test_cancel_calls_back_with_cancelled(void **state)
{
    fx_t *fx = *state;
    hc_http_xfer_t *x = NULL;
    hc_err_t err;
    assert_int_equal(hc_http_client_request(fx->cli,
                                            &(hc_http_client_opts_t){.url = url(fx, "/hold")},
                                            on_result, &fx->res[0], &x, &err),
                     0);
    /* Let the request reach the server. */
    for (int i = 0; i < 1000 && fx->num_held == 0; i++)
        uv_run(&fx->loop, UV_RUN_ONCE);
    assert_int_equal(fx->num_held, 1);
    hc_http_client_cancel(x);
    assert_true(fx->res[0].done);
    assert_string_equal(fx->res[0].error, "cancelled");
    assert_int_equal(hc_http_client_pending(fx->cli), 0);
}

static void test_many_concurrent_requests(void **state)
{
    fx_t *fx = *state;
    for (int i = 0; i < 40; i++)
        request(fx, i, &(hc_http_client_opts_t){.url = url(fx, "/hello")});
    for (int i = 0; i < 40; i++) {
        wait_for(fx, i);
        assert_int_equal(fx->res[i].status, 200);
        assert_string_equal(fx->res[i].body, "hello");
    }
}

static void on_result_then_free(const hc_http_client_result_t *r, void *data)
{
    fx_t *fx = data;
    on_result(r, &fx->res[fx->completed++]);
    if (fx->completed == 1) {
        hc_http_client_free(fx->cli);
        fx->cli = NULL;
    }
}

static void test_free_cancels_everything_even_from_a_callback(void **state)
{
    fx_t *fx = *state;
    hc_err_t err;
    assert_int_equal(hc_http_client_request(fx->cli,
                                            &(hc_http_client_opts_t){.url = url(fx, "/hello")},
                                            on_result_then_free, fx, NULL, &err),
                     0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(hc_http_client_request(fx->cli,
                                                &(hc_http_client_opts_t){.url = url(fx, "/hold")},
                                                on_result_then_free, fx, NULL, &err),
                         0);
    bool *first = &fx->res[0].done;
    assert_true(hc_test_run_until(&fx->loop, first, 10000));
    assert_null(fx->cli);
    assert_int_equal(fx->completed, 4);
    assert_int_equal(fx->res[0].status, 200);
    for (int i = 1; i < 4; i++)
        assert_string_equal(fx->res[i].error, "cancelled");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_returns_status_headers_and_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_and_put_upload_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_basic_and_bearer_auth_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_is_an_error_and_server_sees_cancel, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_connection_refused_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_large_response_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_calls_back_with_cancelled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_concurrent_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_cancels_everything_even_from_a_callback, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
