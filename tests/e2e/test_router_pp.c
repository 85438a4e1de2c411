/*
 * End-to-end tests of the PROXY protocol listener option (enable_proxy): a real nats-server,
 * the router binary started with --enable-proxy true, a backend of this process that echoes
 * the request headers, clients writing v1 and v2 headers by hand, and curl's
 * --haproxy-protocol in front of TLS.
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
static backend_t *be_a;

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/hearth-router-pp-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    nats_port = free_port();
    rt_port = free_port();
    st_port = free_port();
    tls_port = free_port();
    char port[16], log[300], cmd[1024];
    snprintf(port, sizeof(port), "%d", nats_port);
    snprintf(log, sizeof(log), "%s/nats.log", dir);
    char *nargv[] = {"nats-server", "-a", "127.0.0.1", "-p", port, NULL};
    nats_pid = spawn(nargv, log);
    if (!wait_port(nats_port, 10000))
        return -1;
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=a.tls.test "
             "-addext subjectAltName=DNS:a.tls.test -keyout %s/a.key -out %s/a.pem "
             ">/dev/null 2>&1",
             dir, dir);
    if (system(cmd) != 0)
        return -1;

    char bin[512], url[64], p1[16], p2[16], p3[16], certs[600];
    const char *bindir = getenv("HEARTH_BIN_DIR");
    snprintf(bin, sizeof(bin), "%s/hearth-router", bindir ? bindir : "build/bin");
    snprintf(url, sizeof(url), "nats://127.0.0.1:%d", nats_port);
    snprintf(p1, sizeof(p1), "%d", rt_port);
    snprintf(p2, sizeof(p2), "%d", st_port);
    snprintf(p3, sizeof(p3), "%d", tls_port);
    snprintf(certs, sizeof(certs), "%s/a.pem:%s/a.key", dir, dir);
    snprintf(log, sizeof(log), "%s/router.log", dir);
    char *argv[] = {bin,   "--nats",           url,  "--ip",           "127.0.0.1", "--port",
                    p1,    "--status-port",    p2,   "--tls-port",     p3,          "--tls-cert",
                    certs, "--header-timeout", "1s", "--enable-proxy", "true",      NULL};
    rt_pid = spawn(argv, log);
    if (!wait_port(st_port, 10000))
        return -1;
    nc = bus_connect(nats_port);
    if (!nc)
        return -1;
    be_a = backend_start("A");
    bus_route(nc, "router.register", be_a->port, "pp.test", "app-guid", "inst-a", 0, 0);
    bus_route(nc, "router.register", be_a->port, "a.tls.test", "app-guid", "inst-a", 0, 0);
    return wait_status(rt_port, "pp.test", 200, 5000) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rt_teardown_all(&nc, &rt_pid, &nats_pid, dir);
}

/*
 * Sends pre (pre_len bytes, the PROXY header; one byte per write when split) then a GET
 * with the extra header lines, and returns the X-Forwarded-For the backend saw (or "" when
 * the router answered nothing). Sends a second GET on the same connection when twice.
 */
static const char *xff_after(const void *pre, size_t pre_len, bool split, const char *extra,
                             bool twice, char *out, size_t size)
{
    out[0] = '\0';
    conn_t *c = malloc(sizeof(*c));
    assert_true(conn_open(c, rt_port));
    const char *p = pre;
    if (split) {
        for (size_t i = 0; i < pre_len; i++) {
            assert_int_equal(write_all(c->fd, p + i, 1), 0);
            msleep(2);
        }
    } else if (pre_len) {
        assert_int_equal(write_all(c->fd, pre, pre_len), 0);
    }
    for (int round = 0; round < (twice ? 2 : 1); round++) {
        char req[512];
        int n = snprintf(req, sizeof(req), "GET /pp HTTP/1.1\r\nHost: pp.test\r\n%s\r\n",
                         extra ? extra : "");
        resp_t r;
        if (write_all(c->fd, req, (size_t)n) < 0 || conn_read_resp(c, &r, false, 1 << 16) < 0) {
            out[0] = '\0';
            break;
        }
        assert_int_equal(r.status, 200);
        const char *x = strstr(r.body.data, "X-Forwarded-For: ");
        assert_non_null(x);
        x += strlen("X-Forwarded-For: ");
        snprintf(out, size, "%.*s", (int)strcspn(x, "\n"), x);
        resp_free(&r);
    }
    conn_close(c);
    free(c);
    return out;
}

static void test_v1_header_sets_client_address(void **state)
{
    (void)state;
    char x[128];
    const char *h = "PROXY TCP4 203.0.113.7 127.0.0.1 56324 80\r\n";
    assert_string_equal(xff_after(h, strlen(h), false, NULL, true, x, sizeof(x)), "203.0.113.7");
    /* Split into one-byte writes, it is put together. */
    assert_string_equal(xff_after(h, strlen(h), true, NULL, false, x, sizeof(x)), "203.0.113.7");
    /* What the client claims is kept, the balancer's word on the peer is appended. */
    assert_string_equal(
        xff_after(h, strlen(h), false, "X-Forwarded-For: 10.9.9.9\r\n", false, x, sizeof(x)),
        "10.9.9.9, 203.0.113.7");
    const char *h6 = "PROXY TCP6 2001:db8::7 ::1 1 80\r\n";
    assert_string_equal(xff_after(h6, strlen(h6), false, NULL, false, x, sizeof(x)), "2001:db8::7");
    /* UNKNOWN: the connection's own address. */
    const char *u = "PROXY UNKNOWN\r\n";
    assert_string_equal(xff_after(u, strlen(u), false, NULL, false, x, sizeof(x)), "127.0.0.1");
}

static size_t v2(unsigned char *out, unsigned ver_cmd, unsigned fam, const void *addr, size_t alen)
{
    memcpy(out, "\r\n\r\n\0\r\nQUIT\n", 12);
    out[12] = (unsigned char)ver_cmd;
    out[13] = (unsigned char)fam;
    out[14] = (unsigned char)(alen >> 8);
    out[15] = (unsigned char)alen;
    memcpy(out + 16, addr, alen);
    return 16 + alen;
}

static void test_v2_header_sets_client_address(void **state)
{
    (void)state;
    char x[128];
    unsigned char h[128];
    const unsigned char a4[] = {198, 51, 100, 9, 127, 0, 0, 1, 0x9c, 0x40, 0, 80, 4, 0, 1, 0};
    size_t n = v2(h, 0x21, 0x11, a4, sizeof(a4));
    assert_string_equal(xff_after(h, n, false, NULL, true, x, sizeof(x)), "198.51.100.9");
    assert_string_equal(xff_after(h, n, true, NULL, false, x, sizeof(x)), "198.51.100.9");
    unsigned char a6[36] = {0x20, 0x01, 0x0d, 0xb8};
    a6[15] = 5;
    a6[31] = 1;
    n = v2(h, 0x21, 0x21, a6, sizeof(a6));
    assert_string_equal(xff_after(h, n, false, NULL, false, x, sizeof(x)), "2001:db8::5");
    /* LOCAL (the balancer's health check): the connection's own address. */
    n = v2(h, 0x20, 0x00, a4, 0);
    assert_string_equal(xff_after(h, n, false, NULL, false, x, sizeof(x)), "127.0.0.1");
}

static void test_no_header_is_plain_http(void **state)
{
    (void)state;
    char x[128];
    assert_string_equal(xff_after("", 0, false, NULL, true, x, sizeof(x)), "127.0.0.1");
}

/* The router closes the connection and answers nothing. */
static void expect_closed(const void *pre, size_t len)
{
    conn_t *c = malloc(sizeof(*c));
    assert_true(conn_open(c, rt_port));
    assert_int_equal(write_all(c->fd, pre, len), 0);
    char b[256];
    ssize_t n = recv(c->fd, b, sizeof(b), 0);
    assert_true(n <= 0);
    conn_close(c);
    free(c);
}

static void test_bad_or_incomplete_header_closes(void **state)
{
    (void)state;
    const char *bad = "PROXY TCP4 bogus 127.0.0.1 1 80\r\nGET / HTTP/1.1\r\nHost: pp.test\r\n\r\n";
    expect_closed(bad, strlen(bad));
    unsigned char h[64];
    const unsigned char a4[12] = {1, 2, 3, 4};
    size_t n = v2(h, 0x31, 0x11, a4, sizeof(a4)); /* version 3 */
    expect_closed(h, n);
    /* Half a header and silence: cut off by the header timeout (1 s). */
    expect_closed("PROXY TCP4 1.2.3.4", 18);
    /* The router still serves. */
    char x[128];
    assert_string_equal(xff_after("", 0, false, NULL, false, x, sizeof(x)), "127.0.0.1");
}

static void test_header_before_tls(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "curl -s --max-time 20 --haproxy-protocol --cacert %s/a.pem "
             "--resolve a.tls.test:%d:127.0.0.1 https://a.tls.test:%d/tls",
             dir, tls_port, tls_port);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    static char out[1 << 16];
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
    assert_non_null(strstr(out, "backend=A\n"));
    assert_non_null(strstr(out, "X-Forwarded-Proto: https\n"));
    assert_non_null(strstr(out, "X-Forwarded-For: 127.0.0.1\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_header_sets_client_address),
        cmocka_unit_test(test_v2_header_sets_client_address),
        cmocka_unit_test(test_no_header_is_plain_http),
        cmocka_unit_test(test_bad_or_incomplete_header_closes),
        cmocka_unit_test(test_header_before_tls),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
