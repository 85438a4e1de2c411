/*
 * Unit tests for the warden client (src/core/warden/client.c) against an in-process fake
 * server on a unix socket: responses matched in order, stream chunks, errors, closed peer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include <cmocka.h>

#include "hc_warden.h"

typedef struct fake_s {
    uv_pipe_t server, conn;
    char in[4096];
    size_t in_len;
    const char *script; /* what to answer, all at once, after the Nth request line */
    int want_lines;
    bool close_after;
} fake_t;

typedef struct seen_s {
    int calls;
    char log[2048];
    bool done;
} seen_t;

static void on_written(uv_write_t *w, int status)
{
    (void)status;
    free(w);
}

static void fake_closed(uv_handle_t *h)
{
    (void)h;
}

static void fake_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
    (void)h;
    (void)s;
    static char buf[4096];
    *b = uv_buf_init(buf, sizeof(buf));
}

static void fake_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    fake_t *f = s->data;
    if (n <= 0)
        return;
    memcpy(f->in + f->in_len, b->base, (size_t)n);
    f->in_len += (size_t)n;
    int lines = 0;
    for (size_t i = 0; i < f->in_len; i++)
        lines += f->in[i] == '\n';
    if (lines == f->want_lines) {
        uv_write_t *w = malloc(sizeof(*w));
        uv_buf_t out = uv_buf_init((char *)f->script, (unsigned)strlen(f->script));
        uv_write(w, s, &out, 1, on_written);
        if (f->close_after)
            uv_close((uv_handle_t *)&f->conn, fake_closed);
    }
}

static void fake_accept(uv_stream_t *server, int status)
{
    fake_t *f = server->data;
    assert_int_equal(status, 0);
    uv_pipe_init(server->loop, &f->conn, 0);
    f->conn.data = f;
    assert_int_equal(uv_accept(server, (uv_stream_t *)&f->conn), 0);
    uv_read_start((uv_stream_t *)&f->conn, fake_alloc, fake_read);
}

static void on_resp(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    (void)w;
    seen_t *s = data;
    char *txt = resp ? json_dumps(resp, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    size_t l = strlen(s->log);
    snprintf(s->log + l, sizeof(s->log) - l, "%s%s%s|", error ? "E:" : "", error ? error : txt,
             more ? "+" : "");
    free(txt);
    s->calls++;
}

static void on_connect(hc_warden_t *w, int status, void *data)
{
    (void)data;
    assert_int_equal(status, 0);
    seen_t *s = data;
    hc_warden_request(w, json_pack("{s:s}", "type", "ping"), on_resp, s);
    hc_warden_request(w, json_pack("{s:s, s:s, s:i}", "type", "stream", "handle", "h", "job_id", 1),
                      on_resp, s);
    hc_warden_request(w, json_pack("{s:s, s:s}", "type", "info", "handle", "nope"), on_resp, s);
}

static void run_case(const char *script, bool close_after, int want_calls, const char *expect)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    char path[64];
    snprintf(path, sizeof(path), "/tmp/hc-warden-test-%d.sock", (int)getpid());
    unlink(path);
    fake_t f = {.script = script, .want_lines = 3, .close_after = close_after};
    uv_pipe_init(&loop, &f.server, 0);
    f.server.data = &f;
    assert_int_equal(uv_pipe_bind(&f.server, path), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&f.server, 4, fake_accept), 0);
    seen_t s = {0};
    hc_warden_t *w = hc_warden_new(&loop, path);
    assert_int_equal(hc_warden_connect(w, on_connect, &s), 0);
    for (int i = 0; i < 1000 && s.calls < want_calls; i++)
        uv_run(&loop, UV_RUN_ONCE);
    assert_string_equal(s.log, expect);
    hc_warden_free(w);
    if (!uv_is_closing((uv_handle_t *)&f.conn))
        uv_close((uv_handle_t *)&f.conn, fake_closed);
    uv_close((uv_handle_t *)&f.server, fake_closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    unlink(path);
}

static void test_in_order_with_stream_and_error(void **state)
{
    (void)state;
    run_case("{\"type\":\"ping\"}\n"
             "{\"type\":\"stream\",\"name\":\"stdout\",\"data\":\"a\"}\n"
             "{\"type\":\"stream\",\"name\":\"stdout\",\"data\":\"b\"}\n"
             "{\"type\":\"stream\",\"exit_status\":3}\n"
             "{\"type\":\"error\",\"message\":\"unknown handle\"}\n",
             false, 5,
             "{\"type\":\"ping\"}|"
             "{\"data\":\"a\",\"name\":\"stdout\",\"type\":\"stream\"}+|"
             "{\"data\":\"b\",\"name\":\"stdout\",\"type\":\"stream\"}+|"
             "{\"exit_status\":3,\"type\":\"stream\"}|"
             "E:unknown handle|");
}

static void test_peer_closes_fails_pending(void **state)
{
    (void)state;
    run_case("{\"type\":\"ping\"}\n", true, 3,
             "{\"type\":\"ping\"}|E:warden closed the connection|E:warden closed the connection|");
}

static void test_bad_line(void **state)
{
    (void)state;
    run_case(
        "not json\n{\"type\":\"stream\",\"exit_status\":0}\n{\"type\":\"info\"}\n", false, 3,
        "E:bad response from warden|{\"exit_status\":0,\"type\":\"stream\"}|{\"type\":\"info\"}|");
}

static void test_not_connected(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    hc_warden_t *w = hc_warden_new(&loop, "/nonexistent/sock");
    assert_int_equal(hc_warden_request(w, json_pack("{s:s}", "type", "ping"), on_resp, NULL),
                     -ENOTCONN);
    assert_int_equal(hc_warden_request(w, json_string("x"), on_resp, NULL), -EINVAL);
    hc_warden_free(w);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_copy_out_chunks_are_more(void **state)
{
    (void)state;
    run_case("{\"type\":\"ping\"}\n"
             "{\"type\":\"copy_out\",\"data\":\"aGk=\"}\n"
             "{\"type\":\"copy_out\"}\n"
             "{\"type\":\"info\"}\n",
             false, 4,
             "{\"type\":\"ping\"}|"
             "{\"data\":\"aGk=\",\"type\":\"copy_out\"}+|"
             "{\"type\":\"copy_out\"}|"
             "{\"type\":\"info\"}|");
}

static void test_chunk_codec(void **state)
{
    (void)state;
    size_t len = 0;
    json_t *r = json_pack("{s:s, s:s}", "type", "copy_out", "data", "aGVsbG8=");
    char *p = hc_warden_chunk_decode(r, &len);
    assert_non_null(p);
    assert_int_equal(len, 5);
    assert_memory_equal(p, "hello", 5);
    free(p);
    json_decref(r);
    r = json_pack("{s:s, s:s}", "type", "copy_out", "data", "**");
    assert_null(hc_warden_chunk_decode(r, &len));
    json_decref(r);
    r = json_pack("{s:s}", "type", "copy_out");
    assert_null(hc_warden_chunk_decode(r, &len));
    json_decref(r);
    uv_loop_t loop;
    uv_loop_init(&loop);
    hc_warden_t *w = hc_warden_new(&loop, "/nonexistent/sock");
    assert_int_equal(hc_warden_copy_in_chunk(w, "x", 1), -ENOTCONN);
    assert_int_equal(hc_warden_copy_in_end(w), -ENOTCONN);
    static char big[HC_WARDEN_MAX_CHUNK + 1];
    assert_int_equal(hc_warden_copy_in_chunk(w, big, sizeof(big)), -EINVAL);
    assert_int_equal(hc_warden_pending(w), 0);
    hc_warden_free(w);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order_with_stream_and_error),
        cmocka_unit_test(test_peer_closes_fails_pending),
        cmocka_unit_test(test_bad_line),
        cmocka_unit_test(test_not_connected),
        cmocka_unit_test(test_copy_out_chunks_are_more),
        cmocka_unit_test(test_chunk_codec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
