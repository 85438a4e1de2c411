/*
 * Unit tests for src/dea/hcheck.c: the status of a response head (bounded, the core parser's
 * verdict), the endpoint's syntax, and whole checks against a real server on loopback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "hc_base.h"
#include "hcheck.h"

static int status_of(const char *s)
{
    size_t n = strlen(s);
    const char *g = hc_test_guard(s, n);
    return dea_hcheck_status(g, n);
}

static void test_status(void **state)
{
    (void)state;
    assert_int_equal(status_of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), 200);
    assert_int_equal(status_of("HTTP/1.0 503 Service Unavailable\r\n\r\n"), 503);
    assert_int_equal(status_of("HTTP/1.1 204\r\n\r\n"), 204);
    assert_int_equal(status_of("HTTP/1.1 200 OK\r\nContent-Le"), HC_AGAIN);
    assert_int_equal(status_of(""), HC_AGAIN);
    assert_int_equal(status_of("HTTP/1.1 2000 OK\r\n\r\n"), HC_EPROTO);
    assert_int_equal(status_of("SSH-2.0-OpenSSH\r\n\r\n"), HC_EPROTO);
    assert_int_equal(status_of("HTTP/1.1 200 OK\nX: y\n\n"), HC_EPROTO);
    /* a head that does not end within DEA_HCHECK_MAX_HEAD bytes is refused */
    char big[DEA_HCHECK_MAX_HEAD + 100];
    memset(big, 'a', sizeof(big));
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(status_of(big), HC_EPROTO);
    big[DEA_HCHECK_MAX_HEAD - 1] = '\0';
    assert_int_equal(status_of(big), HC_AGAIN);
}

/* ---- whole checks against a tiny server on the same loop ---- */

typedef struct srv_s {
    uv_tcp_t listener;
    const char *answer; /* written to each connection after its request head, or NULL: silent */
    char req[1024];
    size_t req_len;
    uv_tcp_t conn;
    uv_write_t wr;
    bool conn_open;
} srv_t;

typedef struct result_s {
    int calls, status;
    char error[96];
} result_t;

static void on_result(void *ud, int status, const char *error)
{
    result_t *r = ud;
    r->calls++;
    r->status = status;
    snprintf(r->error, sizeof(r->error), "%s", error ? error : "");
}

static void srv_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    (void)sz;
    srv_t *s = h->data;
    *b = uv_buf_init(s->req + s->req_len, (unsigned)(sizeof(s->req) - 1 - s->req_len));
}

static void srv_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    (void)b;
    srv_t *s = st->data;
    if (n <= 0)
        return;
    s->req_len += (size_t)n;
    s->req[s->req_len] = '\0';
    if (strstr(s->req, "\r\n\r\n") && s->answer) {
        uv_buf_t out = uv_buf_init((char *)s->answer, (unsigned)strlen(s->answer));
        uv_write(&s->wr, st, &out, 1, NULL);
    }
}

static void srv_conn(uv_stream_t *l, int status)
{
    srv_t *s = l->data;
    assert_int_equal(status, 0);
    uv_tcp_init(l->loop, &s->conn);
    s->conn.data = s;
    s->conn_open = true;
    assert_int_equal(uv_accept(l, (uv_stream_t *)&s->conn), 0);
    uv_read_start((uv_stream_t *)&s->conn, srv_alloc, srv_read);
}

static int srv_listen(uv_loop_t *loop, srv_t *s, const char *answer)
{
    struct sockaddr_in sa;
    struct sockaddr_storage got;
    int len = sizeof(got);
    memset(s, 0, sizeof(*s));
    s->answer = answer;
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    uv_ip4_addr("127.0.0.1", 0, &sa);
    assert_int_equal(uv_tcp_bind(&s->listener, (const struct sockaddr *)&sa, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&s->listener, 4, srv_conn), 0);
    uv_tcp_getsockname(&s->listener, (struct sockaddr *)&got, &len);
    return ntohs(((struct sockaddr_in *)&got)->sin_port);
}

static void srv_close(srv_t *s)
{
    uv_close((uv_handle_t *)&s->listener, NULL);
    if (s->conn_open)
        uv_close((uv_handle_t *)&s->conn, NULL);
}

static void run_check(const char *answer, uint64_t timeout_ms, result_t *r, srv_t *s)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    int port = srv_listen(&loop, s, answer);
    memset(r, 0, sizeof(*r));
    dea_hcheck_start(&loop, port, "web.test", "/health", timeout_ms, on_result, r);
    while (r->calls == 0)
        uv_run(&loop, UV_RUN_ONCE);
    srv_close(s);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_checks(void **state)
{
    (void)state;
    srv_t s;
    result_t r;
    run_check("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 5000, &r, &s);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(s.req, "GET /health HTTP/1.1\r\n"));
    assert_non_null(strstr(s.req, "\r\nHost: web.test\r\n"));
    assert_non_null(strstr(s.req, "\r\nConnection: close\r\n"));
    run_check("HTTP/1.1 503 Service Unavailable\r\n\r\n", 5000, &r, &s);
    assert_int_equal(r.status, 503);
    run_check("garbage\r\n\r\n", 5000, &r, &s);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.error, "malformed response");
    run_check(NULL, 50, &r, &s); /* a server that never answers */
    assert_int_equal(r.status, 0);
    assert_string_equal(r.error, "timed out after 50 ms");
}

/* Nobody listens: refused; a cancelled check never calls back and frees everything. */
static void test_refused_and_cancel(void **state)
{
    (void)state;
    uv_loop_t loop;
    srv_t s;
    result_t r = {0};
    uv_loop_init(&loop);
    int port = srv_listen(&loop, &s, NULL);
    srv_close(&s); /* the port is now closed */
    uv_run(&loop, UV_RUN_DEFAULT);
    dea_hcheck_start(&loop, port, "localhost", "/", 5000, on_result, &r);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(r.calls, 1);
    assert_string_equal(r.error, "connection refused");
    memset(&r, 0, sizeof(r));
    dea_hcheck_cancel(dea_hcheck_start(&loop, port, "localhost", "/", 5000, on_result, &r));
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(r.calls, 0);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_refused_and_cancel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
