/*
 * End-to-end tests of hearth-router's operations: a YAML config file (least-connection
 * balancing, access log), and the graceful stop on SIGTERM (unhealthy, no new connections,
 * in-flight requests finish, clean exit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_router_lib.h"

static char dir[256];
static int nats_port, rt_port, st_port;
static pid_t nats_pid = -1, rt_pid = -1;
static natsConnection *nc;
static backend_t *be_a, *be_b;

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/hearth-router-ops-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    nats_port = free_port();
    rt_port = free_port();
    st_port = free_port();
    char port[16], log[300], conf[300], bin[512];
    snprintf(port, sizeof(port), "%d", nats_port);
    snprintf(log, sizeof(log), "%s/nats.log", dir);
    char *nargv[] = {"nats-server", "-a", "127.0.0.1", "-p", port, NULL};
    nats_pid = spawn(nargv, log);
    if (!wait_port(nats_port, 10000))
        return -1;

    snprintf(conf, sizeof(conf), "%s/router.yml", dir);
    FILE *f = fopen(conf, "we");
    if (!f)
        return -1;
    fprintf(f,
            "nats:\n  urls: [\"nats://127.0.0.1:%d\"]\nip: 127.0.0.1\nport: %d\n"
            "status:\n  port: %d\nbalancing_algorithm: least-connection\n"
            "access_log: %s/access.log\ndrain_timeout: 10s\nrequest_timeout: 2500ms\n",
            nats_port, rt_port, st_port, dir);
    fclose(f);
    const char *bindir = getenv("HEARTH_BIN_DIR");
    snprintf(bin, sizeof(bin), "%s/hearth-router", bindir ? bindir : "build/bin");
    snprintf(log, sizeof(log), "%s/router.log", dir);
    char *argv[] = {bin, "-c", conf, NULL};
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

typedef struct slow_req_s {
    pthread_t t;
    const char *host;
    int status;
} slow_req_t;

static void *slow_main(void *arg)
{
    slow_req_t *s = arg;
    resp_t r;
    s->status = http_get(rt_port, s->host, "/slow", NULL, &r) == 0 ? r.status : -1;
    if (s->status > 0)
        resp_free(&r);
    return NULL;
}

static void wait_routes(const char *needle, int count)
{
    for (int i = 0; i < 200; i++) {
        char *routes = status_get(st_port, "/routes");
        int n = 0;
        for (const char *p = routes; p && (p = strstr(p, needle)); p++)
            n++;
        free(routes);
        if (n >= count)
            return;
        msleep(50);
    }
    fail_msg("routes never showed %d x %s", count, needle);
}

/* A lone backend that does not answer within request_timeout: 502 after that one attempt,
 * with no replay to it (the client would wait out the timeout again for each). */
static void test_timeout_not_replayed(void **state)
{
    (void)state;
    backend_t *be = backend_start("T");
    bus_route(nc, "router.register", be->port, "late.test", "g", "inst-t", 0, 0);
    wait_routes("inst-t", 1);
    int before = be->requests;
    resp_t r;
    assert_int_equal(http_get(rt_port, "late.test", "/slower", NULL, &r), 0);
    assert_int_equal(r.status, 502);
    resp_free(&r);
    assert_int_equal(be->requests - before, 1);
}

static void test_least_connection_from_config_file(void **state)
{
    (void)state;
    bus_route(nc, "router.register", be_a->port, "lc.test", "g", "inst-a", 0, 0);
    bus_route(nc, "router.register", be_b->port, "lc.test", "g", "inst-b", 1, 0);
    wait_routes("\"private_instance_id\":\"inst-", 2);
    /* Two slow requests occupy both backends (least-connection spreads them)... */
    slow_req_t s1 = {.host = "lc.test"}, s2 = {.host = "lc.test"};
    pthread_create(&s1.t, NULL, slow_main, &s1);
    msleep(200);
    pthread_create(&s2.t, NULL, slow_main, &s2);
    msleep(200);
    /* ... a third makes one of them busier; quick requests then all go to the other. */
    slow_req_t s3 = {.host = "lc.test"};
    pthread_create(&s3.t, NULL, slow_main, &s3);
    msleep(200);
    char first[8] = "";
    for (int i = 0; i < 4; i++) {
        resp_t r;
        char v[8];
        assert_int_equal(http_get(rt_port, "lc.test", "/", NULL, &r), 0);
        resp_header(&r, "X-Backend", v, sizeof(v));
        if (!first[0])
            memcpy(first, v, sizeof(first));
        assert_string_equal(v, first);
        resp_free(&r);
    }
    pthread_join(s1.t, NULL);
    pthread_join(s2.t, NULL);
    pthread_join(s3.t, NULL);
    assert_int_equal(s1.status, 200);
    assert_int_equal(s2.status, 200);
    assert_int_equal(s3.status, 200);
}

static void test_access_log(void **state)
{
    (void)state;
    resp_t r;
    assert_int_equal(http_get(rt_port, "lc.test", "/logged?x=1",
                              "X-Vcap-Request-Id: 11111111-2222-4333-8444-555555555555\r\n", &r),
                     0);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    assert_int_equal(http_get(rt_port, "nolog.test", "/", NULL, &r), 0);
    resp_free(&r);
    /* The log is flushed by the periodic timer (30 s) or at exit: check after the drain test. */
}

static void test_sigterm_drains(void **state)
{
    (void)state;
    slow_req_t s = {.host = "lc.test"};
    pthread_create(&s.t, NULL, slow_main, &s);
    msleep(300);
    kill(rt_pid, SIGTERM);
    msleep(200);
    /* Unhealthy while draining, and no new requests accepted. */
    char *h = status_get(st_port, "/healthz");
    if (h)
        assert_string_equal(h, "draining\n");
    free(h);
    int fd = tcp_connect(rt_port);
    assert_true(fd < 0);
    /* The request in flight completes. */
    pthread_join(s.t, NULL);
    assert_int_equal(s.status, 200);
    int status = 0;
    for (int i = 0; i < 100 && waitpid(rt_pid, &status, WNOHANG) == 0; i++)
        msleep(50);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    rt_pid = -1;

    char path[300], line[1024];
    snprintf(path, sizeof(path), "%s/access.log", dir);
    FILE *f = fopen(path, "re");
    assert_non_null(f);
    bool logged = false, notfound = false;
    while (fgets(line, sizeof(line), f)) {
        if (strstr(line, "\"GET /logged\" 200") && strstr(line, "host=\"lc.test\"") &&
            strstr(line, "vcap_request_id=\"11111111-2222-4333-8444-555555555555\""))
            logged = true;
        if (strstr(line, "\" 404 ") && strstr(line, "host=\"nolog.test\""))
            notfound = true;
    }
    fclose(f);
    assert_true(logged);
    assert_true(notfound);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_least_connection_from_config_file),
        cmocka_unit_test(test_timeout_not_replayed),
        cmocka_unit_test(test_access_log),
        cmocka_unit_test(test_sigterm_drains),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
