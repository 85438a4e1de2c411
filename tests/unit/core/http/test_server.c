/*
 * Tests for src/core/http/server.c, conn.c, response.c and route.c: a real server on
 * 127.0.0.1 (random port) on the test's loop, driven by raw blocking sockets from a thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hc_http_server.h"
#include "loop_clean.h"
#include "raw_http.h"

typedef struct fx_s {
    uv_loop_t loop;
    hc_http_server_t *srv;
    int port;
    bool closed;
    /* async handlers */
    uv_timer_t timer;
    hc_http_res_t *held;
    bool cancelled, close_in_async;
    int handled;
    /* results of the raw client thread */
    raw_resp_t r[4];
    int nr;
    bool eof;
} fx_t;

static void on_closed(hc_http_server_t *srv, void *data);

/* ---- handlers ---- */

static void h_hello(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    fx_t *fx = data;
    (void)req;
    fx->handled++;
    hc_http_res_set_header(res, "X-Test", "yes");
    hc_http_reply_text(res, 200, "hello");
}

static void h_echo(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    char n[32];
    (void)data;
    snprintf(n, sizeof(n), "%zu", req->body.len);
    hc_http_res_set_header(res, "X-Body-Len", n);
    hc_http_reply(res, 200, "application/octet-stream", req->body.p, req->body.len);
}

static void h_files(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    hc_str_t name = hc_http_req_param(req, "name");
    hc_str_t index = hc_http_req_param(req, "index");
    hc_str_t rest = hc_http_req_param(req, "*");
    (void)data;
    hc_http_reply_json(res, 200,
                       json_pack("{s:s%,s:s%,s:s%,s:s%}", "name", name.p, name.len, "index",
                                 index.p, index.len, "path", rest.p, rest.len, "query",
                                 req->query.p, req->query.len));
}

static void on_async_timer(uv_timer_t *t)
{
    fx_t *fx = t->data;
    hc_http_res_t *res = HC_TAKE_PTR(fx->held);
    hc_http_reply_text(res, 200, "late");
    hc_http_res_unref(res);
}

static void h_async(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    fx_t *fx = data;
    (void)req;
    fx->held = hc_http_res_ref(res);
    uv_timer_start(&fx->timer, on_async_timer, 50, 0);
    if (fx->close_in_async)
        hc_http_server_close(fx->srv, 0, on_closed, fx);
}

static void on_slow_cancel(hc_http_res_t *res, void *data)
{
    fx_t *fx = data;
    fx->cancelled = true;
    assert_ptr_equal(res, fx->held);
    assert_true(hc_http_res_cancelled(res));
    hc_http_reply_text(res, 200, "too late"); /* harmless no-op */
    fx->held = hc_http_res_unref(fx->held);
}

static void h_slow(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    fx_t *fx = data;
    (void)req;
    fx->held = hc_http_res_ref(res);
    hc_http_res_on_cancel(res, on_slow_cancel, fx);
}

static void h_noreply(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    (void)req;
    (void)res;
    (void)data;
}

static void h_big(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    static char big[100 * 1000];
    (void)req;
    (void)data;
    memset(big, 'q', sizeof(big));
    hc_http_reply(res, 200, "text/plain", big, sizeof(big));
}

static void h_inject(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    (void)req;
    (void)data;
    hc_http_res_set_header(res, "X-Name", "a\r\nX-Evil: 1");
    hc_http_reply_text(res, 200, "ok");
}

static void h_decoded(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    char *name = hc_http_req_param_decoded(req, "name");
    (void)data;
    if (!name) {
        hc_http_reply_error(res, 400, 400, "bad name");
        return;
    }
    hc_http_reply_take(res, 200, "text/plain", name, strlen(name));
}

static void h_error(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    (void)req;
    (void)data;
    hc_http_reply_error(res, 400, 100, "Invalid app \"x\"");
}

/* ---- fixture ---- */

static void fx_start(fx_t *fx, const hc_http_server_conf_t *conf)
{
    hc_err_t err;
    hc_http_server_conf_t def = {0};

    memset(fx, 0, sizeof(*fx));
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    uv_timer_init(&fx->loop, &fx->timer);
    fx->timer.data = fx;
    assert_int_equal(hc_http_server_new(&fx->loop, conf ? conf : &def, &fx->srv, &err), 0);
    fx->port = hc_http_server_port(fx->srv);
    assert_true(fx->port > 0);
    hc_http_server_route(fx->srv, "GET", "/hello", h_hello, fx);
    hc_http_server_route(fx->srv, "POST", "/echo", h_echo, fx);
    hc_http_server_route(fx->srv, "GET", "/apps/:name/instances/:index/files/*", h_files, fx);
    hc_http_server_route(fx->srv, "GET", "/async", h_async, fx);
    hc_http_server_route(fx->srv, "GET", "/slow", h_slow, fx);
    hc_http_server_route(fx->srv, "GET", "/noreply", h_noreply, fx);
    hc_http_server_route(fx->srv, "DELETE", "/error", h_error, fx);
    hc_http_server_route(fx->srv, "GET", "/big", h_big, fx);
    hc_http_server_route(fx->srv, "GET", "/inject", h_inject, fx);
    hc_http_server_route(fx->srv, "GET", "/dec/:name", h_decoded, fx);
}

static void on_closed(hc_http_server_t *srv, void *data)
{
    fx_t *fx = data;
    (void)srv;
    fx->closed = true;
}

static void fx_stop(fx_t *fx)
{
    hc_http_server_close(fx->srv, 1000, on_closed, fx);
    assert_true(hc_test_run_until(&fx->loop, &fx->closed, 5000));
    hc_http_server_free(fx->srv);
    fx->held = hc_http_res_unref(fx->held);
    uv_close((uv_handle_t *)&fx->timer, NULL);
    HC_ASSERT_LOOP_CLEAN(&fx->loop);
}

static void run(fx_t *fx, void (*fn)(void *))
{
    assert_true(raw_run_thread(&fx->loop, fn, fx, 20000));
}

/* ---- tests ---- */

static void c_keepalive(void *p)
{
    fx_t *fx = p;
    int fd = raw_connect(fx->port);
    raw_send_str(fd, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    fx->nr = raw_read(fd, &fx->r[0], 1);
    raw_send_str(fd, "GET /hello?a=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    fx->nr += raw_read(fd, &fx->r[1], 1);
    close(fd);
}

static void test_keepalive_reuses_the_connection(void **state)
{
    fx_t fx;
    char v[64];
    (void)state;
    fx_start(&fx, NULL);
    run(&fx, c_keepalive);
    assert_int_equal(fx.nr, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(fx.r[i].status, 200);
        assert_string_equal(fx.r[i].body, "hello");
        assert_true(fx.r[i].keep_alive);
        assert_string_equal(raw_header(&fx.r[i], "X-Test", v, sizeof(v)), "yes");
        assert_string_equal(raw_header(&fx.r[i], "Content-Type", v, sizeof(v)),
                            "text/plain; charset=utf-8");
    }
    assert_int_equal(fx.handled, 2);
    fx_stop(&fx);
}

static void c_pipeline(void *p)
{
    fx_t *fx = p;
    int fd = raw_connect(fx->port);
    raw_send_str(fd, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
                     "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                     "GET /async HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /apps/foo/instances/2/files/logs/a.txt?x=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    fx->nr = raw_read(fd, fx->r, 4);
    close(fd);
}

static void test_pipelined_requests_are_answered_in_order(void **state)
{
    fx_t fx;
    (void)state;
    fx_start(&fx, NULL);
    run(&fx, c_pipeline);
    assert_int_equal(fx.nr, 4);
    assert_string_equal(fx.r[0].body, "hello");
    assert_string_equal(fx.r[1].body, "abc");
    assert_string_equal(fx.r[2].body, "late");
    assert_int_equal(fx.r[3].status, 200);
    assert_string_equal(
        fx.r[3].body,
        "{\"name\":\"foo\",\"index\":\"2\",\"path\":\"logs/a.txt\",\"query\":\"x=1\"}");
    fx_stop(&fx);
}

static void c_bytewise(void *p)
{
    fx_t *fx = p;
    const char *req = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    int fd = raw_connect(fx->port);
    for (size_t i = 0; req[i]; i++)
        raw_send(fd, req + i, 1);
    fx->nr = raw_read(fd, fx->r, 1);
    close(fd);
}

static void test_request_sent_byte_by_byte_with_chunked_body(void **state)
{
    fx_t fx;
    char v[32];
    (void)state;
    fx_start(&fx, NULL);
    run(&fx, c_bytewise);
    assert_int_equal(fx.nr, 1);
    assert_int_equal(fx.r[0].status, 200);
    assert_string_equal(fx.r[0].body, "hello world");
    assert_string_equal(raw_header(&fx.r[0], "X-Body-Len", v, sizeof(v)), "11");
    fx_stop(&fx);
}

static void c_big_header(void *p)
{
    fx_t *fx = p;
    static char big[80 * 1024];
    int fd = raw_connect(fx->port);
    memset(big, 'a', sizeof(big));
    raw_send_str(fd, "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ");
    raw_send(fd, big, sizeof(big));
    raw_send_str(fd, "\r\n\r\n");
    fx->nr = raw_read(fd, fx->r, 1);
    fx->eof = raw_wait_eof(fd);
    close(fd);
}

static void test_oversized_header_gets_431_and_close(void **state)
{
    fx_t fx;
    (void)state;
    fx_start(&fx, NULL);
    run(&fx, c_big_header);
    assert_int_equal(fx.nr, 1);
    assert_int_equal(fx.r[0].status, 431);
    assert_false(fx.r[0].keep_alive);
    assert_true(fx.eof);
    fx_stop(&fx);
}

static void c_big_body(void *p)
{
    fx_t *fx = p;
    int fd = raw_connect(fx->port);
    raw_send_str(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
    fx->nr = raw_read(fd, &fx->r[0], 1);
    fx->eof = raw_wait_eof(fd);
    close(fd);
    /* Chunked: the limit applies to the decoded size as it grows. */
    static char chunk[3000];
    memset(chunk, 'z', sizeof(chunk));
    fd = raw_connect(fx->port);
    raw_send_str(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nbb8\r\n");
    raw_send(fd, chunk, sizeof(chunk));
    raw_send_str(fd, "\r\n");
    fx->nr += raw_read(fd, &fx->r[1], 1);
    close(fd);
}

static void test_oversized_body_gets_413(void **state)
{
    fx_t fx;
    hc_http_server_conf_t conf = {.max_body = 1024};
    (void)state;
    fx_start(&fx, &conf);
    run(&fx, c_big_body);
    assert_int_equal(fx.nr, 2);
    assert_int_equal(fx.r[0].status, 413);
    assert_true(fx.eof);
    assert_int_equal(fx.r[1].status, 413);
    assert_string_equal(fx.r[0].body, "{\"code\":413,\"description\":\"Content Too Large\"}");
    fx_stop(&fx);
}

static void c_bad(void *p)
{
    fx_t *fx = p;
    int fd = raw_connect(fx->port);
    raw_send_str(fd, "GET /hello HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
    fx->nr = raw_read(fd, fx->r, 1);
    fx->eof = raw_wait_eof(fd);
    close(fd);
}

static void test_bad_request_gets_400_and_close(void **state)
{
    fx_t fx;
    (void)state;
    fx_start(&fx, NULL);
    run(&fx, c_bad);
    assert_int_equal(fx.nr, 1);
    assert_int_equal(fx.r[0].status, 400);
    assert_false(fx.r[0].keep_alive);
    assert_true(fx.eof);
    assert_int_equal(fx.handled, 0);
    fx_stop(&fx);
}

static void c_continue(void *p)
{
    fx_t *fx = p;
    int fd = raw_connect(fx->port);
    raw_send_str(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                     "Expect: 100-continue\r\n\r\n");
    fx->nr = raw_read(fd, &fx->r[0], 1);
    raw_send_str(fd, "12345");
    fx->nr += raw_read(fd, &fx->r[1], 1);
    close(fd);
}

static void test_expect_continue_gets_100_then_the_response(void **state)
{
    fx_t fx;
    (void)state;
    fx_start(&fx, NULL);
    run(&fx, c_continue);
    assert_int_equal(fx.nr, 2);
    assert_int_equal(fx.r[0].status, 100);
    assert_int_equal(fx.r[1].status, 200);
    assert_string_equal(fx.r[1].body, "12345");
    fx_stop(&fx);
}

static void c_timeouts(void *p)
{
    fx_t *fx = p;
    int fd = raw_connect(fx->port);
    raw_send_str(fd, "GET /hello HTTP/1.1\r\nHo");
    fx->nr = raw_read(fd, &fx->r[0], 1);
    close(fd);
    fd = raw_connect(fx->port);
    raw_send_str(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    fx->nr += raw_read(fd, &fx->r[1], 1);
    close(fd);
    /* Idle keep-alive connection: closed without a response. */
    fd = raw_connect(fx->port);
    fx->eof = raw_wait_eof(fd);
    close(fd);
}

static void test_slow_head_and_body_get_408_idle_is_closed(void **state)
{
    fx_t fx;
    hc_http_server_conf_t conf = {
        .header_timeout_ms = 100, .body_timeout_ms = 100, .idle_timeout_ms = 100};
    (void)state;
    fx_start(&fx, &conf);
    run(&fx, c_timeouts);
    assert_int_equal(fx.nr, 2);
    assert_int_equal(fx.r[0].status, 408);
    assert_int_equal(fx.r[1].status, 408);
    assert_true(fx.eof);
    fx_stop(&fx);
}

static void c_disconnect(void *p)
{
    fx_t *fx = p;
    int fd = raw_connect(fx->port);
    raw_send_str(fd, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    close(fd);
}

static void test_client_disconnect_during_async_handler_cancels(void **state)
{
    fx_t fx;
    (void)state;
    fx_start(&fx, NULL);
    run(&fx, c_disconnect);
    assert_true(hc_test_run_until(&fx.loop, &fx.cancelled, 5000));
    assert_null(fx.held);
    fx_stop(&fx);
}

static void c_misc(void *p)
{
    fx_t *fx = p;
    int fd = raw_connect(fx->port);
    raw_send_str(fd, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                     "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                     "GET /noreply HTTP/1.1\r\nHost: x\r\n\r\n"
                     "DELETE /error HTTP/1.1\r\nHost: x\r\n\r\n");
    fx->nr = raw_read(fd, fx->r, 4);
    close(fd);
}

static void test_404_405_500_and_json_errors(void **state)
{
    fx_t fx;
    char v[64];
    (void)state;
    fx_start(&fx, NULL);
    run(&fx, c_misc);
    assert_int_equal(fx.nr, 4);
    assert_int_equal(fx.r[0].status, 404);
    assert_string_equal(fx.r[0].body, "{\"code\":404,\"description\":\"Not Found\"}");
    assert_int_equal(fx.r[1].status, 405);
    assert_string_equal(raw_header(&fx.r[1], "Allow", v, sizeof(v)), "GET, HEAD");
    assert_int_equal(fx.r[2].status, 500);
    assert_int_equal(fx.r[3].status, 400);
    assert_string_equal(fx.r[3].body, "{\"code\":100,\"description\":\"Invalid app \\\"x\\\"\"}");
    assert_string_equal(raw_header(&fx.r[3], "Content-Type", v, sizeof(v)), "application/json");
    fx_stop(&fx);
}

static void c_head_and_10(void *p)
{
    fx_t *fx = p;
    int fd = raw_connect(fx->port);
    raw_send_str(fd,
                 "HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    /* HEAD: parse the first response as a HEAD answer by reading both and checking bytes. */
    char buf[4096];
    size_t len = 0;
    while (len < sizeof(buf)) {
        ssize_t k = recv(fd, buf + len, sizeof(buf) - len, 0);
        if (k <= 0)
            break;
        len += (size_t)k;
        if (memmem(buf, len, "\r\n\r\nhello", 9))
            break;
    }
    fx->nr = (int)len;
    memcpy(fx->r[0].body, buf, HC_MIN(len, sizeof(fx->r[0].body) - 1));
    fx->r[0].body[HC_MIN(len, sizeof(fx->r[0].body) - 1)] = '\0';
    close(fd);
    fd = raw_connect(fx->port);
    raw_send_str(fd, "GET /hello HTTP/1.0\r\n\r\n");
    raw_read(fd, &fx->r[1], 1);
    fx->eof = raw_wait_eof(fd);
    close(fd);
}

static void test_head_has_no_body_and_http10_closes(void **state)
{
    fx_t fx;
    (void)state;
    fx_start(&fx, NULL);
    run(&fx, c_head_and_10);
    /* The HEAD response ends right before the next status line. */
    const char *second = strstr(fx.r[0].body, "\r\n\r\nHTTP/1.1 200");
    assert_non_null(second);
    assert_non_null(strstr(fx.r[0].body, "Content-Length: 5\r\n"));
    assert_int_equal(fx.r[1].status, 200);
    assert_false(fx.r[1].keep_alive);
    assert_true(fx.eof);
    fx_stop(&fx);
}

static void c_hostile(void *p)
{
    fx_t *fx = p;
    static const char *inputs[] = {
        "\r\n\r\n",
        "GET\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
        "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "POST /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/9.9\r\n\r\n",
        "GET /\0hello HTTP/1.1\r\n\r\n",
        "G\x01T / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
        "GET / HTTP/1.1\r\n Folded: x\r\n\r\n",
    };
    uint32_t seed = 12345;
    char junk[2048];

    for (size_t i = 0; i < HC_ARRAY_SIZE(inputs); i++) {
        int fd = raw_connect(fx->port);
        size_t len = strlen(inputs[i]);
        if (i == 8)
            len = 24;
        raw_send(fd, inputs[i], len);
        raw_resp_t r;
        if (raw_read(fd, &r, 1) == 1 && (r.status < 400 || r.status > 505))
            fx->nr = -1000 - (int)i; /* every answer must be an error */
        close(fd);
    }
    for (int i = 0; i < 100; i++) {
        int fd = raw_connect(fx->port);
        size_t len = 1 + (seed % sizeof(junk));
        for (size_t k = 0; k < len; k++) {
            seed = seed * 1103515245u + 12345u;
            junk[k] = (char)(seed >> 16);
        }
        if (i % 2)
            memcpy(junk, "POST /echo HTTP/1.1\r\n", 21);
        raw_send(fd, junk, len);
        close(fd);
    }
    int fd = raw_connect(fx->port);
    raw_send_str(fd, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    if (fx->nr == 0)
        fx->nr = raw_read(fd, fx->r, 1);
    close(fd);
}

static void test_malformed_input_never_crashes(void **state)
{
    fx_t fx;
    (void)state;
    fx_start(&fx, NULL);
    run(&fx, c_hostile);
    assert_int_equal(fx.nr, 1);
    assert_string_equal(fx.r[0].body, "hello");
    fx_stop(&fx);
}

static void c_graceful(void *p)
{
    fx_t *fx = p;
    int fd = raw_connect(fx->port);
    raw_send_str(fd, "GET /async HTTP/1.1\r\nHost: x\r\n\r\n");
    fx->nr = raw_read(fd, fx->r, 1);
    fx->eof = raw_wait_eof(fd);
    close(fd);
}

static void test_graceful_close_finishes_in_flight_request(void **state)
{
    fx_t fx;
    (void)state;
    fx_start(&fx, NULL);
    /* The async handler closes the server while its request is in flight, answers 50 ms later. */
    fx.close_in_async = true;
    run(&fx, c_graceful);
    assert_int_equal(fx.nr, 1);
    assert_string_equal(fx.r[0].body, "late");
    assert_false(fx.r[0].keep_alive);
    assert_true(fx.eof);
    assert_true(hc_test_run_until(&fx.loop, &fx.closed, 5000));
    hc_http_server_free(fx.srv);
    uv_close((uv_handle_t *)&fx.timer, NULL);
    HC_ASSERT_LOOP_CLEAN(&fx.loop);
}

static void c_maxconns(void *p)
{
    fx_t *fx = p;
    int a = raw_connect(fx->port);
    raw_send_str(a, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    fx->nr = raw_read(a, fx->r, 1); /* a is now surely accepted */
    int b = raw_connect(fx->port);
    fx->eof = raw_wait_eof(b);
    close(b);
    raw_send_str(a, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    fx->nr += raw_read(a, &fx->r[1], 1);
    close(a);
}

static void test_connections_over_the_limit_are_closed(void **state)
{
    fx_t fx;
    hc_http_server_conf_t conf = {.max_conns = 1};
    (void)state;
    fx_start(&fx, &conf);
    run(&fx, c_maxconns);
    assert_true(fx.eof);
    assert_int_equal(fx.nr, 2);
    assert_string_equal(fx.r[1].body, "hello");
    fx_stop(&fx);
}

static void c_backpressure(void *p)
{
    fx_t *fx = p;
    int fd = raw_connect(fx->port);
    for (int i = 0; i < 20; i++)
        raw_send_str(fd, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
    raw_send_str(fd, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    for (int i = 0; i < 21; i++) {
        raw_resp_t r;
        if (raw_read(fd, &r, 1) != 1)
            break;
        if (r.status == 200 && r.body_len == (i < 20 ? 65535 : 5))
            fx->nr++;
    }
    close(fd);
}

static void test_pipelined_big_responses_under_backpressure(void **state)
{
    fx_t fx;
    hc_http_server_conf_t conf = {.write_high_water = 32 * 1024};
    (void)state;
    fx_start(&fx, &conf);
    run(&fx, c_backpressure);
    /* raw_read keeps the first 64 KiB - 1 of a body; all 21 responses arrived in order. */
    assert_int_equal(fx.nr, 21);
    fx_stop(&fx);
}

static void c_connection_headers(void *p)
{
    fx_t *fx = p;
    int fd = raw_connect(fx->port);
    raw_send_str(fd, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    fx->nr = raw_read(fd, &fx->r[0], 1);
    raw_send_str(fd, "GET /inject HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    fx->nr += raw_read(fd, &fx->r[1], 1);
    fx->eof = raw_wait_eof(fd);
    close(fd);
}

static void test_connection_header_and_header_injection(void **state)
{
    fx_t fx;
    char v[64];
    (void)state;
    fx_start(&fx, NULL);
    run(&fx, c_connection_headers);
    assert_int_equal(fx.nr, 2);
    /* HTTP/1.0 with keep-alive: told so, and the same connection serves the next request. */
    assert_string_equal(raw_header(&fx.r[0], "Connection", v, sizeof(v)), "keep-alive");
    assert_string_equal(fx.r[0].body, "hello");
    /* Connection: close is honoured; CR/LF in a handler's header value cannot add a header. */
    assert_string_equal(raw_header(&fx.r[1], "Connection", v, sizeof(v)), "close");
    assert_string_equal(raw_header(&fx.r[1], "X-Evil", v, sizeof(v)), "");
    assert_string_equal(raw_header(&fx.r[1], "X-Name", v, sizeof(v)), "a  X-Evil: 1");
    assert_true(fx.eof);
    fx_stop(&fx);
}

static void c_routes(void *p)
{
    fx_t *fx = p;
    int fd = raw_connect(fx->port);
    raw_send_str(fd, "GET /hello/ HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /apps/foo/instances/0/files HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /apps//instances/0/files/x HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /hello/x HTTP/1.1\r\nHost: x\r\n\r\n");
    fx->nr = raw_read(fd, fx->r, 4);
    close(fd);
}

static void test_route_patterns_edges(void **state)
{
    fx_t fx;
    (void)state;
    fx_start(&fx, NULL);
    run(&fx, c_routes);
    assert_int_equal(fx.nr, 4);
    assert_int_equal(fx.r[0].status, 200); /* one trailing slash is tolerated */
    assert_int_equal(fx.r[1].status, 200); /* the final * may be empty */
    assert_string_equal(fx.r[1].body,
                        "{\"name\":\"foo\",\"index\":\"0\",\"path\":\"\",\"query\":\"\"}");
    assert_int_equal(fx.r[2].status, 404); /* a :name never matches an empty segment */
    assert_int_equal(fx.r[3].status, 404);
    fx_stop(&fx);
}

static void c_decoded(void *p)
{
    fx_t *fx = p;
    int fd = raw_connect(fx->port);
    raw_send_str(fd, "GET /dec/my%20app%2Fx HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /dec/bad%2 HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /dec/a%00b HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /dec/%zz HTTP/1.1\r\nHost: x\r\n\r\n");
    fx->nr = raw_read(fd, fx->r, 4);
    close(fd);
}

static void test_params_percent_decoded(void **state)
{
    fx_t fx;
    (void)state;
    fx_start(&fx, NULL);
    run(&fx, c_decoded);
    assert_int_equal(fx.nr, 4);
    assert_int_equal(fx.r[0].status, 200);
    assert_string_equal(fx.r[0].body, "my app/x");
    for (int i = 1; i < 4; i++)
        assert_int_equal(fx.r[i].status, 400);
    fx_stop(&fx);
}

static void test_listen_on_used_port_fails(void **state)
{
    fx_t fx;
    hc_http_server_t *srv2 = NULL;
    hc_err_t err;
    (void)state;
    fx_start(&fx, NULL);
    hc_http_server_conf_t conf = {.port = fx.port};
    assert_true(hc_http_server_new(&fx.loop, &conf, &srv2, &err) < 0);
    assert_null(srv2);
    assert_non_null(strstr(err.msg, "listen on 127.0.0.1"));
    fx_stop(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keepalive_reuses_the_connection),
        cmocka_unit_test(test_pipelined_requests_are_answered_in_order),
        cmocka_unit_test(test_request_sent_byte_by_byte_with_chunked_body),
        cmocka_unit_test(test_oversized_header_gets_431_and_close),
        cmocka_unit_test(test_oversized_body_gets_413),
        cmocka_unit_test(test_bad_request_gets_400_and_close),
        cmocka_unit_test(test_expect_continue_gets_100_then_the_response),
        cmocka_unit_test(test_slow_head_and_body_get_408_idle_is_closed),
        cmocka_unit_test(test_client_disconnect_during_async_handler_cancels),
        cmocka_unit_test(test_404_405_500_and_json_errors),
        cmocka_unit_test(test_head_has_no_body_and_http10_closes),
        cmocka_unit_test(test_malformed_input_never_crashes),
        cmocka_unit_test(test_graceful_close_finishes_in_flight_request),
        cmocka_unit_test(test_connections_over_the_limit_are_closed),
        cmocka_unit_test(test_pipelined_big_responses_under_backpressure),
        cmocka_unit_test(test_connection_header_and_header_injection),
        cmocka_unit_test(test_route_patterns_edges),
        cmocka_unit_test(test_params_percent_decoded),
        cmocka_unit_test(test_listen_on_used_port_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
