/*
 * test_bus_tls_ldm.c - TLS (--tls --tlscert --tlskey, a self-signed certificate made by
 * `openssl req` at test time) with libnats against hearth-bus AND nats-server; and hearth-bus's
 * lame-duck stop on SIGTERM (stop accepting, INFO with "ldm":true, drain, exit 0).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <nats/nats.h>

#include "test_bus_common.h"

static char g_dir[64];
static char g_cert[128], g_key[128];

static int make_cert(void **state)
{
    snprintf(g_dir, sizeof(g_dir), "/tmp/hearth-bus-tls-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_cert, sizeof(g_cert), "%s/cert.pem", g_dir);
    snprintf(g_key, sizeof(g_key), "%s/key.pem", g_dir);
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 1 "
             "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
             g_key, g_cert);
    return system(cmd) == 0 ? 0 : -1;
}

static int remove_cert(void **state)
{
    unlink(g_cert);
    unlink(g_key);
    rmdir(g_dir);
    return 0;
}

static natsConnection *dial_tls(int port, bool secure, natsStatus *ret)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    char url[64];
    snprintf(url, sizeof(url), "%s://127.0.0.1:%d", secure ? "tls" : "nats", port);
    natsOptions_Create(&o);
    natsOptions_SetURL(o, url);
    natsOptions_SetTimeout(o, 3000);
    natsOptions_SetAllowReconnect(o, false);
    if (secure) {
        natsOptions_SetSecure(o, true);
        natsOptions_LoadCATrustedCertificates(o, g_cert);
    }
    *ret = natsConnection_Connect(&nc, o);
    natsOptions_Destroy(o);
    return *ret == NATS_OK ? nc : NULL;
}

static void test_tls(void **state)
{
    tb_kind_t kind = *(tb_kind_t *)*state;
    tb_srv_t s;
    natsStatus st;
    const char *const extra[] = {"--tls", "--tlscert", g_cert, "--tlskey", g_key, NULL};
    assert_int_equal(tb_srv_start(&s, kind, NULL, extra), 0);
    natsConnection *nc = dial_tls(s.port, true, &st);
    if (!nc)
        print_error("%s: tls connect: %s\n", tb_name(kind), natsStatus_GetText(st));
    assert_non_null(nc);
    natsSubscription *sub = NULL;
    assert_int_equal(natsConnection_SubscribeSync(&sub, nc, "secure.>"), NATS_OK);
    /* Enough bytes for several TLS records each way. */
    static char big[200000];
    memset(big, 'z', sizeof(big));
    for (int i = 0; i < 20; i++)
        assert_int_equal(natsConnection_Publish(nc, "secure.x", big, (int)sizeof(big)), NATS_OK);
    assert_int_equal(natsConnection_Flush(nc), NATS_OK);
    for (int i = 0; i < 20; i++) {
        natsMsg *m = NULL;
        assert_int_equal(natsSubscription_NextMsg(&m, sub, 5000), NATS_OK);
        assert_int_equal(natsMsg_GetDataLength(m), (int)sizeof(big));
        assert_memory_equal(natsMsg_GetData(m), big, sizeof(big));
        natsMsg_Destroy(m);
    }
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    /* A client that does not speak TLS does not get in. */
    nc = dial_tls(s.port, false, &st);
    assert_null(nc);
    tb_srv_stop(&s);
}

static void test_lame_duck_on_sigterm(void **state)
{
    tb_srv_t s;
    char buf[8192];
    int closed;
    assert_int_equal(tb_srv_start(&s, TB_HEARTH, "lame_duck_duration: \"1s\"\n", NULL), 0);
    int fd = tb_connect(s.port, NULL, 0);
    tb_sends(fd, "CONNECT {\"verbose\":false,\"protocol\":1}\r\nSUB x 1\r\nPING\r\n");
    tb_read(fd, buf, sizeof(buf), 2000, "PONG\r\n", &closed);
    assert_string_equal(buf, "PONG\r\n");
    kill(s.pid, SIGTERM);
    tb_read(fd, buf, sizeof(buf), 3000, "\r\n", &closed);
    assert_memory_equal(buf, "INFO {", 6);
    assert_non_null(strstr(buf, "\"ldm\":true"));
    /* No new connections while draining. */
    tb_sleep_ms(100);
    int late = tb_dial(s.port);
    assert_int_equal(late, -1);
    /* The old connection still works until the grace period ends, then closes. */
    tb_sends(fd, "PUB x 2\r\nhi\r\nPING\r\n");
    tb_read(fd, buf, sizeof(buf), 2000, "PONG\r\n", &closed);
    assert_non_null(strstr(buf, "MSG x 1 2\r\nhi\r\n"));
    tb_read(fd, buf, sizeof(buf), 5000, NULL, &closed);
    assert_int_equal(closed, 1);
    close(fd);
    int st = 0;
    for (int i = 0; i < 200; i++) {
        if (waitpid(s.pid, &st, WNOHANG) == s.pid) {
            s.pid = 0;
            tb_reg[s.slot].pid = 0; /* reaped here: the teardown must not signal the pid again */
            break;
        }
        tb_sleep_ms(25);
    }
    assert_int_equal(s.pid, 0);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    tb_srv_stop(&s);
}

int main(void)
{
    static tb_kind_t kinds[2] = {TB_HEARTH, TB_NATS};
    if (!tb_nats_server()) {
        fprintf(stderr, "nats-server not installed: comparison impossible\n");
        return 1;
    }
    nats_Open(-1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate_setup_teardown(test_tls, NULL, tb_teardown, &kinds[0]),
        cmocka_unit_test_prestate_setup_teardown(test_tls, NULL, tb_teardown, &kinds[1]),
        cmocka_unit_test_teardown(test_lame_duck_on_sigterm, tb_teardown),
    };
    int r = cmocka_run_group_tests(tests, make_cert, remove_cert);
    nats_Close();
    return r;
}
