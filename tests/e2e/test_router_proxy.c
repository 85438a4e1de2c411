/*
 * End-to-end tests of hearth-router: a real nats-server, the real router binary and
 * backends served by this process, all on random loopback ports. Routes are registered by
 * publishing gorouter's messages on the bus.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_router_lib.h"

static char dir[256];
static int nats_port, rt_port, st_port, tls_port;
static pid_t nats_pid = -1, rt_pid = -1;
static natsConnection *nc;
static backend_t *be_a, *be_b, *victim; /* kept: killed backends' threads may linger */

static pid_t start_nats(void)
{
    char port[16], log[300];
    snprintf(port, sizeof(port), "%d", nats_port);
    snprintf(log, sizeof(log), "%s/nats.log", dir);
    char *argv[] = {"nats-server", "-a", "127.0.0.1", "-p", port, NULL};
    pid_t p = spawn(argv, log);
    wait_port(nats_port, 10000);
    return p;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/hearth-router-e2e-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    nats_port = free_port();
    rt_port = free_port();
    st_port = free_port();
    tls_port = free_port();
    nats_pid = start_nats();
    /* Two self-signed certificates: the router picks one by SNI. */
    char cmd[2048];
    for (int i = 0; i < 2; i++) {
        const char *n = i ? "b" : "a";
        snprintf(cmd, sizeof(cmd),
                 "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=%s.tls.test "
                 "-addext subjectAltName=DNS:%s.tls.test -keyout %s/%s.key -out %s/%s.pem "
                 ">/dev/null 2>&1",
                 n, n, dir, n, dir, n);
        if (system(cmd) != 0)
            return -1;
    }
    char certs[1200], tport[16];
    snprintf(certs, sizeof(certs), "%s/a.pem:%s/a.key,%s/b.pem:%s/b.key", dir, dir, dir, dir);
    snprintf(tport, sizeof(tport), "%d", tls_port);

    char bin[512], url[64], p1[16], p2[16], log[300];
    const char *bindir = getenv("HEARTH_BIN_DIR");
    snprintf(bin, sizeof(bin), "%s/hearth-router", bindir ? bindir : "build/bin");
    snprintf(url, sizeof(url), "nats://127.0.0.1:%d", nats_port);
    snprintf(p1, sizeof(p1), "%d", rt_port);
    snprintf(p2, sizeof(p2), "%d", st_port);
    snprintf(log, sizeof(log), "%s/router.log", dir);
    char *argv[] = {bin,         "--nats",
                    url,         "--ip",
                    "127.0.0.1", "--port",
                    p1,          "--status-port",
                    p2,          "--prune-interval",
                    "1s",        "--header-timeout",
                    "1s",        "--tls-port",
                    tport,       "--tls-cert",
                    certs,       NULL};
    rt_pid = spawn(argv, log);
    if (!wait_port(st_port, 10000))
        return -1;
    nc = bus_connect(nats_port);
    be_a = backend_start("A");
    be_b = backend_start("B");
    return nc ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rt_teardown_all(&nc, &rt_pid, &nats_pid, dir);
}

static void reg(const char *uri, backend_t *be, const char *inst, int index)
{
    bus_route(nc, "router.register", be->port, uri, "app-guid", inst, index, 0);
}

static void test_routes_and_headers(void **state)
{
    (void)state;
    reg("hdr.test", be_a, "inst-a", 0);
    assert_true(wait_status(rt_port, "hdr.test", 200, 5000));
    resp_t r;
    char v[256];
    assert_int_equal(http_get(rt_port, "HDR.Test:8080", "/p?q=1",
                              "X-Forwarded-For: 10.1.1.1\r\nConnection: keep-alive, X-Secret\r\n"
                              "X-Secret: 1\r\nX-CF-InstanceID: spoofed\r\n"
                              "X-Vcap-Request-Id: 123e4567-e89b-42d3-a456-426614174000\r\n",
                              &r),
                     0);
    assert_int_equal(r.status, 200);
    const char *b = r.body.data;
    assert_non_null(strstr(b, "backend=A\n"));
    assert_non_null(strstr(b, "path=/p?q=1\n"));
    assert_non_null(strstr(b, "X-Forwarded-For: 10.1.1.1, 127.0.0.1\n"));
    assert_non_null(strstr(b, "X-Forwarded-Proto: http\n"));
    assert_non_null(strstr(b, "X-Vcap-Request-Id: 123e4567-e89b-42d3-a456-426614174000\n"));
    assert_non_null(strstr(b, "X-CF-ApplicationID: app-guid\n"));
    assert_non_null(strstr(b, "X-CF-InstanceID: inst-a\n"));
    assert_non_null(strstr(b, "X-CF-InstanceIndex: 0\n"));
    assert_non_null(strstr(b, "traceparent: 00-"));
    assert_null(strstr(b, "spoofed"));
    assert_null(strstr(b, "X-Secret"));
    assert_null(strstr(b, "Connection:"));
    assert_string_equal(resp_header(&r, "X-Vcap-Request-Id", v, sizeof(v)),
                        "123e4567-e89b-42d3-a456-426614174000");
    resp_free(&r);

    /* An invalid request id is replaced; a valid traceparent passes through. */
    assert_int_equal(
        http_get(rt_port, "hdr.test", "/",
                 "X-Vcap-Request-Id: nope\r\n"
                 "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n",
                 &r),
        0);
    assert_null(strstr(r.body.data, "nope"));
    assert_non_null(strstr(r.body.data,
                           "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
    resp_free(&r);
}

static void test_errors(void **state)
{
    (void)state;
    resp_t r;
    char v[128];
    assert_int_equal(http_get(rt_port, "nowhere.test", "/", NULL, &r), 0);
    assert_int_equal(r.status, 404);
    assert_string_equal(resp_header(&r, "X-Cf-Routererror", v, sizeof(v)), "unknown_route");
    resp_free(&r);

    /* A route whose only backend refuses connections: 502 after the retries. */
    int dead = free_port();
    bus_route(nc, "router.register", dead, "dead.test", "g", "i", 0, 0);
    assert_true(wait_status(rt_port, "dead.test", 502, 5000));
    assert_int_equal(http_get(rt_port, "dead.test", "/", NULL, &r), 0);
    assert_int_equal(r.status, 502);
    assert_string_equal(resp_header(&r, "X-Cf-Routererror", v, sizeof(v)), "endpoint_failure");
    resp_free(&r);

    /* A malformed X-CF-App-Instance is refused. */
    reg("err.test", be_a, "inst-a", 0);
    assert_true(wait_status(rt_port, "err.test", 200, 5000));
    assert_int_equal(http_get(rt_port, "err.test", "/", "X-CF-App-Instance: nocolon\r\n", &r), 0);
    assert_int_equal(r.status, 400);
    assert_string_equal(resp_header(&r, "X-Cf-Routererror", v, sizeof(v)),
                        "invalid_cf_app_instance_header");
    resp_free(&r);

    /* An oversized head gets a 431. */
    conn_t *big = malloc(sizeof(*big));
    assert_true(conn_open(big, rt_port));
    static char huge[80 * 1024];
    int hl = snprintf(huge, sizeof(huge), "GET / HTTP/1.1\r\nHost: err.test\r\nX-Big: ");
    memset(huge + hl, 'a', 70 * 1024);
    hl += 70 * 1024;
    hl += snprintf(huge + hl, sizeof(huge) - (size_t)hl, "\r\n\r\n");
    write_all(big->fd, huge, (size_t)hl);
    assert_int_equal(conn_read_resp(big, &r, false, 4096), 0);
    assert_int_equal(r.status, 431);
    resp_free(&r);
    conn_close(big);
    free(big);

    /* A malformed request gets a 400 and the connection closes. */
    conn_t c;
    assert_true(conn_open(&c, rt_port));
    write_all(c.fd, "GET / HTTP/1.1\r\nHost: err.test\r\nBad Header: x\r\n\r\n", 48);
    assert_int_equal(conn_read_resp(&c, &r, false, 4096), 0);
    assert_int_equal(r.status, 400);
    resp_free(&r);
    conn_close(&c);
}

static void test_round_robin_and_retry(void **state)
{
    (void)state;
    reg("rr.test", be_a, "inst-a", 0);
    reg("rr.test", be_b, "inst-b", 1);
    int dead = free_port();
    bus_route(nc, "router.register", dead, "rr.test", "app-guid", "inst-dead", 2, 0);
    for (int i = 0; i < 100; i++) {
        char *routes = status_get(st_port, "/routes");
        bool ok = routes && strstr(routes, "inst-dead") && strstr(routes, "inst-b");
        free(routes);
        if (ok)
            break;
        msleep(50);
    }
    int a = 0, b = 0;
    for (int i = 0; i < 30; i++) {
        resp_t r;
        assert_int_equal(http_get(rt_port, "rr.test", "/", NULL, &r), 0);
        /* Never a 502 while a healthy backend exists. */
        assert_int_equal(r.status, 200);
        a += strstr(r.body.data, "backend=A") != NULL;
        b += strstr(r.body.data, "backend=B") != NULL;
        resp_free(&r);
    }
    assert_int_equal(a + b, 30);
    assert_in_range(a, 10, 20);
    assert_in_range(b, 10, 20);
}

static void test_sticky_sessions(void **state)
{
    (void)state;
    reg("sticky.test", be_a, "inst-a", 0);
    reg("sticky.test", be_b, "inst-b", 1);
    for (int i = 0; i < 100; i++) {
        char *routes = status_get(st_port, "/routes");
        bool ok = routes && strstr(routes, "\"sticky.test\":[{") &&
                  strstr(strstr(routes, "\"sticky.test\""), "},{");
        free(routes);
        if (ok)
            break;
        msleep(50);
    }
    resp_t r;
    char v[256];
    assert_int_equal(http_get(rt_port, "sticky.test", "/cookie", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    const char *inst = strstr(r.body.data, "backend=A") ? "inst-a" : "inst-b";
    char want[128];
    snprintf(want, sizeof(want), "__VCAP_ID__=%s; Path=/app; HttpOnly", inst);
    assert_non_null(strstr(r.head, want));
    resp_free(&r);
    char cookie[128];
    snprintf(cookie, sizeof(cookie), "Cookie: JSESSIONID=s1; __VCAP_ID__=%s\r\n", inst);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(http_get(rt_port, "sticky.test", "/", cookie, &r), 0);
        assert_string_equal(resp_header(&r, "X-Backend", v, sizeof(v)), inst[5] == 'a' ? "A" : "B");
        resp_free(&r);
    }
    /* X-CF-App-Instance picks an instance by index. */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(
            http_get(rt_port, "sticky.test", "/", "X-CF-App-Instance: app-guid:1\r\n", &r), 0);
        assert_string_equal(resp_header(&r, "X-Backend", v, sizeof(v)), "B");
        resp_free(&r);
    }
    assert_int_equal(http_get(rt_port, "sticky.test", "/", "X-CF-App-Instance: app-guid:7\r\n", &r),
                     0);
    assert_int_equal(r.status, 404);
    resp_free(&r);
}

static void test_keepalive_pipelining_head(void **state)
{
    (void)state;
    reg("ka.test", be_a, "inst-a", 0);
    assert_true(wait_status(rt_port, "ka.test", 200, 5000));
    conn_t *c = malloc(sizeof(*c));
    assert_true(conn_open(c, rt_port));
    const char three[] = "GET /1 HTTP/1.1\r\nHost: ka.test\r\n\r\n"
                         "HEAD /big?5000 HTTP/1.1\r\nHost: ka.test\r\n\r\n"
                         "GET /3 HTTP/1.1\r\nHost: ka.test\r\n\r\n";
    assert_int_equal(write_all(c->fd, three, sizeof(three) - 1), 0);
    resp_t r;
    assert_int_equal(conn_read_resp(c, &r, false, 4096), 0);
    assert_non_null(strstr(r.body.data, "path=/1\n"));
    resp_free(&r);
    assert_int_equal(conn_read_resp(c, &r, true, 4096), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    char v[64];
    assert_string_equal(resp_header(&r, "Content-Length", v, sizeof(v)), "5000");
    resp_free(&r);
    assert_int_equal(conn_read_resp(c, &r, false, 4096), 0);
    assert_non_null(strstr(r.body.data, "path=/3\n"));
    resp_free(&r);
    /* Same connection, later request; then an until-close response ends the connection. */
    const char more[] = "GET /close HTTP/1.1\r\nHost: ka.test\r\n\r\n";
    assert_int_equal(write_all(c->fd, more, sizeof(more) - 1), 0);
    assert_int_equal(conn_read_resp(c, &r, false, 4096), 0);
    assert_string_equal(r.body.data, "until-close body");
    assert_true(r.closed);
    resp_free(&r);
    conn_close(c);
    free(c);
}

static void test_streaming_large_bodies(void **state)
{
    (void)state;
    reg("big.test", be_a, "inst-a", 0);
    assert_true(wait_status(rt_port, "big.test", 200, 5000));
    const uint64_t total = 200ull * 1024 * 1024;
    conn_t *c = malloc(sizeof(*c));
    resp_t r;
    char req[256];

    /* 200 MB download with Content-Length. */
    assert_true(conn_open(c, rt_port));
    int n = snprintf(req, sizeof(req), "GET /big?%llu HTTP/1.1\r\nHost: big.test\r\n\r\n",
                     (unsigned long long)total);
    assert_int_equal(write_all(c->fd, req, (size_t)n), 0);
    assert_int_equal(conn_read_resp(c, &r, false, 16), 0);
    assert_int_equal(r.status, 200);
    assert_true(r.body_len == total);
    resp_free(&r);

    /* Chunked download. */
    n = snprintf(req, sizeof(req), "GET /chunked?3000000 HTTP/1.1\r\nHost: big.test\r\n\r\n");
    assert_int_equal(write_all(c->fd, req, (size_t)n), 0);
    assert_int_equal(conn_read_resp(c, &r, false, 16), 0);
    assert_int_equal(r.body_len, 3000000);
    resp_free(&r);

    /* 200 MB upload with Content-Length, then a chunked upload. */
    n = snprintf(req, sizeof(req),
                 "POST /up HTTP/1.1\r\nHost: big.test\r\nContent-Length: %llu\r\n\r\n",
                 (unsigned long long)total);
    assert_int_equal(write_all(c->fd, req, (size_t)n), 0);
    static char block[1 << 16];
    memset(block, 'u', sizeof(block));
    for (uint64_t left = total; left;) {
        size_t t = HC_MIN(left, sizeof(block));
        assert_int_equal(write_all(c->fd, block, t), 0);
        left -= t;
    }
    assert_int_equal(conn_read_resp(c, &r, false, 4096), 0);
    assert_int_equal(r.status, 200);
    char want[64];
    snprintf(want, sizeof(want), "body=%llu\n", (unsigned long long)total);
    assert_non_null(strstr(r.body.data, want));
    resp_free(&r);

    n = snprintf(req, sizeof(req),
                 "POST /up HTTP/1.1\r\nHost: big.test\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert_int_equal(write_all(c->fd, req, (size_t)n), 0);
    for (int i = 0; i < 100; i++) {
        char cl[16];
        int m = snprintf(cl, sizeof(cl), "%x\r\n", 10000);
        assert_int_equal(write_all(c->fd, cl, (size_t)m), 0);
        assert_int_equal(write_all(c->fd, block, 10000), 0);
        assert_int_equal(write_all(c->fd, "\r\n", 2), 0);
    }
    assert_int_equal(write_all(c->fd, "0\r\n\r\n", 5), 0);
    assert_int_equal(conn_read_resp(c, &r, false, 4096), 0);
    assert_non_null(strstr(r.body.data, "body=1000000\n"));
    resp_free(&r);
    conn_close(c);
    free(c);

    /* Constant memory: far below the 400 MB that went through. */
    long kb = rss_kb(rt_pid);
    assert_true(kb > 0);
    assert_true(kb < 64 * 1024);
}

static void test_expect_continue(void **state)
{
    (void)state;
    reg("exp.test", be_a, "inst-a", 0);
    assert_true(wait_status(rt_port, "exp.test", 200, 5000));
    conn_t c;
    resp_t r;
    assert_true(conn_open(&c, rt_port));
    const char head[] = "POST /expect HTTP/1.1\r\nHost: exp.test\r\nContent-Length: 5\r\n"
                        "Expect: 100-continue\r\n\r\n";
    assert_int_equal(write_all(c.fd, head, sizeof(head) - 1), 0);
    assert_int_equal(conn_read_resp(&c, &r, false, 4096), 0);
    assert_int_equal(r.status, 100);
    resp_free(&r);
    assert_int_equal(write_all(c.fd, "hello", 5), 0);
    assert_int_equal(conn_read_resp(&c, &r, false, 4096), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body.data, "body=5\n"));
    resp_free(&r);
    conn_close(&c);
}

static void test_websocket_tunnel(void **state)
{
    (void)state;
    reg("ws.test", be_b, "inst-b", 1);
    assert_true(wait_status(rt_port, "ws.test", 200, 5000));
    conn_t c;
    resp_t r;
    char v[64];
    assert_true(conn_open(&c, rt_port));
    const char head[] = "GET /ws HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n";
    assert_int_equal(write_all(c.fd, head, sizeof(head) - 1), 0);
    assert_int_equal(conn_read_resp(&c, &r, false, 0), 0);
    assert_int_equal(r.status, 101);
    assert_string_equal(resp_header(&r, "Upgrade", v, sizeof(v)), "websocket");
    resp_free(&r);
    for (int i = 0; i < 5; i++) {
        char msg[64];
        int n = snprintf(msg, sizeof(msg), "frame-%d", i);
        assert_int_equal(write_all(c.fd, msg, (size_t)n), 0);
        while (c.len < (size_t)n)
            assert_true(conn_fill(&c) > 0);
        assert_memory_equal(c.buf, msg, (size_t)n);
        conn_consume(&c, (size_t)n);
    }
    conn_close(&c);
}

static void test_slowloris_cut_off(void **state)
{
    (void)state;
    conn_t c;
    assert_true(conn_open(&c, rt_port));
    assert_int_equal(write_all(c.fd, "GET / HTTP/1.1\r\nHost: ", 22), 0);
    /* The router's header timeout is 1 s in this suite: it closes the connection. */
    char b[64];
    ssize_t n = recv(c.fd, b, sizeof(b), 0);
    assert_true(n <= 0);
    conn_close(&c);
}

static void test_unregister_and_expiry(void **state)
{
    (void)state;
    resp_t r;
    char v[128];
    reg("gone.test", be_a, "inst-a", 0);
    assert_true(wait_status(rt_port, "gone.test", 200, 5000));
    bus_route(nc, "router.unregister", be_a->port, "gone.test", "app-guid", "inst-a", 0, 0);
    /* The route is known but has no endpoint left: 503 no_endpoints, as gorouter answers. */
    assert_true(wait_status(rt_port, "gone.test", 503, 5000));
    assert_int_equal(http_get(rt_port, "gone.test", "/any/path", NULL, &r), 0);
    assert_int_equal(r.status, 503);
    assert_string_equal(resp_header(&r, "X-Cf-Routererror", v, sizeof(v)), "no_endpoints");
    assert_non_null(strstr(r.body.data, "no available endpoints"));
    resp_free(&r);
    /* An endpoint coming back fills the same route. */
    reg("gone.test", be_b, "inst-b", 1);
    assert_true(wait_status(rt_port, "gone.test", 200, 5000));

    /* A 1 s stale threshold and a 1 s sweep: the endpoint expires without an unregister
     * (503 no_endpoints), then, empty for another threshold, the route itself (404). */
    bus_route(nc, "router.register", be_a->port, "ttl.test", "app-guid", "inst-a", 0, 1);
    assert_true(wait_status(rt_port, "ttl.test", 200, 5000));
    assert_true(wait_status(rt_port, "ttl.test", 503, 10000));
    assert_true(wait_status(rt_port, "ttl.test", 404, 10000));
    assert_int_equal(http_get(rt_port, "ttl.test", "/", NULL, &r), 0);
    assert_string_equal(resp_header(&r, "X-Cf-Routererror", v, sizeof(v)), "unknown_route");
    resp_free(&r);
}

/* One request with an optional body on a fresh client connection. */
static int http_send(int port, const char *host, const char *method, const char *body, resp_t *r)
{
    conn_t *c = malloc(sizeof(*c));
    if (!conn_open(c, port)) {
        free(c);
        return -1;
    }
    char req[1024];
    int n = snprintf(req, sizeof(req), "%s /stale HTTP/1.1\r\nHost: %s\r\n%s%zu\r\n\r\n%s", method,
                     host, body ? "Content-Length: " : "X-Len: ", body ? strlen(body) : 0,
                     body ? body : "");
    int rc = write_all(c->fd, req, (size_t)n) == 0 ? conn_read_resp(c, r, false, 1 << 16) : -1;
    conn_close(c);
    free(c);
    return rc;
}

/*
 * A backend that closes kept-alive connections as the next request arrives: the router
 * retries once on a fresh connection, so no 502 reaches the client, for every method while
 * no body byte was written and for idempotent requests with a body (kept for the replay).
 * A POST whose body went out is never sent twice.
 */
static void test_pooled_connection_closed_is_retried(void **state)
{
    (void)state;
    static const char *names[] = {"RST", "FIN"};
    for (int mode = 1; mode <= 2; mode++) {
        backend_t *be = backend_start(names[mode - 1]);
        be->drop_reused = mode;
        char host[64];
        snprintf(host, sizeof(host), "stale%d.test", mode);
        reg(host, be, "inst-stale", 0);
        assert_true(wait_status(rt_port, host, 200, 5000));
        for (int i = 0; i < 5; i++) {
            static const struct {
                const char *method, *body;
            } ok[] = {
                {"GET", NULL}, {"HEAD", NULL},       {"DELETE", NULL}, {"POST", NULL},
                {"POST", ""},  {"PUT", "some body"}, {"PATCH", NULL},  {"OPTIONS", NULL},
            };
            for (size_t k = 0; k < sizeof(ok) / sizeof(ok[0]); k++) {
                resp_t r;
                conn_t *c = malloc(sizeof(*c));
                assert_true(conn_open(c, rt_port));
                char req[512];
                size_t bl = ok[k].body ? strlen(ok[k].body) : 0;
                int n = snprintf(req, sizeof(req),
                                 "%s /stale HTTP/1.1\r\nHost: %s\r\nContent-Length: %zu\r\n\r\n%s",
                                 ok[k].method, host, bl, ok[k].body ? ok[k].body : "");
                assert_int_equal(write_all(c->fd, req, (size_t)n), 0);
                bool head = strcmp(ok[k].method, "HEAD") == 0;
                assert_int_equal(conn_read_resp(c, &r, head, 1 << 16), 0);
                if (r.status != 200)
                    fprintf(stderr, "%s %s (body %zu) -> %d\n", names[mode - 1], ok[k].method, bl,
                            r.status);
                assert_int_equal(r.status, 200);
                if (!head) {
                    char want[32];
                    snprintf(want, sizeof(want), "body=%zu\n", bl);
                    assert_non_null(strstr(r.body.data, want));
                }
                resp_free(&r);
                conn_close(c);
                free(c);
            }
            /* A POST with a body: written once, so not replayed; the client gets the 502. */
            resp_t r;
            char v[64];
            int before = be->requests;
            assert_int_equal(http_send(rt_port, host, "POST", "payload", &r), 0);
            assert_int_equal(r.status, 502);
            assert_string_equal(resp_header(&r, "X-Cf-Routererror", v, sizeof(v)),
                                "endpoint_failure");
            resp_free(&r);
            assert_int_equal(be->requests - before, mode == 2 ? 1 : 0);
            /* The next request finds no pooled connection and is served at once. */
            assert_true(wait_status(rt_port, host, 200, 5000));
        }
    }
}

/* A route's lone backend closes every other connection without answering the request it
 * read: the router tries that backend again instead of answering 502, so every GET gets
 * its 200, each after two requests reached the backend. (/close answers with
 * "Connection: close", so no pooled connection is involved: these are fresh ones failing.) */
static void test_lone_backend_retried(void **state)
{
    (void)state;
    backend_t *be = backend_start("H");
    reg("hiccup.test", be, "inst-h", 0);
    assert_true(wait_status(rt_port, "hiccup.test", 200, 5000));
    be->hiccup = 1;
    int before = be->requests;
    for (int i = 0; i < 10; i++) {
        resp_t r;
        assert_int_equal(http_get(rt_port, "hiccup.test", "/close", NULL, &r), 0);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body.data, "until-close body"));
        resp_free(&r);
    }
    assert_int_equal(be->requests - before, 20);
}

/* A backend that closes connections idle for 150 ms: requests spaced wider than that, and
 * requests in quick succession, all succeed (a closed pooled connection is dropped or retried). */
static void test_backend_idle_timeout(void **state)
{
    (void)state;
    backend_t *be = backend_start("IDLE");
    be->drop_reused = 3;
    reg("idle.test", be, "inst-idle", 0);
    assert_true(wait_status(rt_port, "idle.test", 200, 5000));
    static const char *methods[] = {"GET", "POST", "PUT", "DELETE"};
    for (int i = 0; i < 24; i++) {
        resp_t r;
        const char *m = methods[i % 4];
        /* POST without a body, PUT with one: both retried when the race is lost. */
        assert_int_equal(http_send(rt_port, "idle.test", m, i % 4 == 2 ? "put body" : NULL, &r), 0);
        assert_int_equal(r.status, 200);
        resp_free(&r);
        /* 0 to 275 ms apart: some reuse a live connection, some find it closed, some race. */
        msleep((i % 12) * 25 + (i / 12) * 5);
    }
}

static void test_backend_killed_under_load(void **state)
{
    (void)state;
    victim = backend_start("V");
    reg("load.test", be_a, "inst-a", 0);
    bus_route(nc, "router.register", victim->port, "load.test", "app-guid", "inst-v", 5, 0);
    for (int i = 0; i < 100; i++) {
        char *routes = status_get(st_port, "/routes");
        bool ok = routes && strstr(routes, "inst-v");
        free(routes);
        if (ok)
            break;
        msleep(50);
    }
    conn_t *c = malloc(sizeof(*c));
    assert_true(conn_open(c, rt_port));
    int failed = 0, v = 0;
    for (int i = 0; i < 400; i++) {
        if (i == 100)
            backend_kill(victim);
        const char req[] = "GET / HTTP/1.1\r\nHost: load.test\r\n\r\n";
        resp_t r;
        if (write_all(c->fd, req, sizeof(req) - 1) < 0 || conn_read_resp(c, &r, false, 256) < 0) {
            failed++;
            conn_close(c);
            assert_true(conn_open(c, rt_port));
            continue;
        }
        if (r.status != 200)
            failed++;
        v += strstr(r.body.data, "backend=V") != NULL;
        resp_free(&r);
    }
    conn_close(c);
    free(c);
    assert_int_equal(failed, 0);
    assert_in_range(v, 30, 70);
}

static void test_status_port(void **state)
{
    (void)state;
    char *h = status_get(st_port, "/healthz");
    assert_non_null(h);
    assert_string_equal(h, "ok\n");
    free(h);
    char *varz = status_get(st_port, "/varz");
    assert_non_null(varz);
    assert_non_null(strstr(varz, "\"requests\":"));
    assert_non_null(strstr(varz, "\"responses_2xx\":"));
    assert_non_null(strstr(varz, "\"latency\":{\"50\":"));
    assert_non_null(strstr(varz, "\"bus_connected\":true"));
    free(varz);
}

static void test_router_greet(void **state)
{
    (void)state;
    natsMsg *reply = NULL;
    assert_int_equal(natsConnection_RequestString(&reply, nc, "router.greet", "", 5000), NATS_OK);
    const char *d = natsMsg_GetData(reply);
    assert_non_null(strstr(d, "\"minimumRegisterIntervalInSeconds\":20"));
    assert_non_null(strstr(d, "\"prunteThresholdInSeconds\":120"));
    assert_non_null(strstr(d, "\"hosts\":["));
    natsMsg_Destroy(reply);
    /* The component answers discovery like every hearth daemon. */
    assert_int_equal(natsConnection_RequestString(&reply, nc, "vcap.component.discover", "", 5000),
                     NATS_OK);
    assert_non_null(strstr(natsMsg_GetData(reply), "\"type\":\"Router\""));
    natsMsg_Destroy(reply);
}

static void test_dial_tone_bus_restart(void **state)
{
    (void)state;
    /* A 2 s stale threshold with a 1 s sweep: with the bus up this route would be gone
     * 3 s after its last registration. */
    bus_route(nc, "router.register", be_a->port, "tone.test", "app-guid", "inst-a", 0, 2);
    assert_true(wait_status(rt_port, "tone.test", 200, 5000));
    stop_pid(&nats_pid);
    /* Well past threshold and sweep: the table keeps serving without the bus (dial tone). */
    msleep(4500);
    resp_t r;
    assert_int_equal(http_get(rt_port, "tone.test", "/", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    nats_pid = start_nats();
    bool back = false;
    for (int i = 0; i < 200 && !back; i++) {
        char *varz = status_get(st_port, "/varz");
        back = varz && strstr(varz, "\"bus_connected\":true");
        free(varz);
        if (!back)
            msleep(50);
    }
    assert_true(back);
    /* Registrations flow again once the publisher is back on the bus. */
    natsConnection_Destroy(nc);
    nc = bus_connect(nats_port);
    assert_non_null(nc);
    reg("tone2.test", be_a, "inst-a", 0);
    assert_true(wait_status(rt_port, "tone2.test", 200, 5000));
}

/* Runs curl over TLS to name.tls.test, trusting only that name's certificate. */
static int curl_tls(const char *name, const char *path, bool discard, char *out, size_t size)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "curl -s %s --max-time 20 --cacert %s/%s.pem --resolve %s.tls.test:%d:127.0.0.1 "
             "-w '\\n%%{http_code} %%{size_download}' https://%s.tls.test:%d%s",
             discard ? "-o /dev/null" : "", dir, name, name, tls_port, name, tls_port, path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    return pclose(p);
}

static void test_tls_termination_with_sni(void **state)
{
    (void)state;
    reg("a.tls.test", be_a, "inst-a", 0);
    reg("b.tls.test", be_b, "inst-b", 1);
    assert_true(wait_status(rt_port, "b.tls.test", 200, 5000));
    static char out[1 << 16];
    /* Each name verifies against its own certificate only: SNI chose it. */
    assert_int_equal(curl_tls("a", "/hello", false, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "backend=A\n"));
    assert_non_null(strstr(out, "X-Forwarded-Proto: https\n"));
    assert_non_null(strstr(out, "\n200 "));
    assert_int_equal(curl_tls("b", "/hello", false, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "backend=B\n"));
    /* A larger body through TLS, counted by curl. */
    assert_int_equal(curl_tls("a", "/big?3000000", true, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "\n200 3000000"));
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes_and_headers),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_round_robin_and_retry),
        cmocka_unit_test(test_sticky_sessions),
        cmocka_unit_test(test_keepalive_pipelining_head),
        cmocka_unit_test(test_streaming_large_bodies),
        cmocka_unit_test(test_expect_continue),
        cmocka_unit_test(test_websocket_tunnel),
        cmocka_unit_test(test_slowloris_cut_off),
        cmocka_unit_test(test_unregister_and_expiry),
        cmocka_unit_test(test_pooled_connection_closed_is_retried),
        cmocka_unit_test(test_lone_backend_retried),
        cmocka_unit_test(test_backend_idle_timeout),
        cmocka_unit_test(test_backend_killed_under_load),
        cmocka_unit_test(test_status_port),
        cmocka_unit_test(test_tls_termination_with_sni),
        cmocka_unit_test(test_router_greet),
        cmocka_unit_test(test_dial_tone_bus_restart),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
