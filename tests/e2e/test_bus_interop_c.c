/*
 * test_bus_interop_c.c - the official C client (libnats) against hearth-bus AND Debian's
 * nats-server: pub/sub with wildcards, queue groups, request/reply, headers, no responders,
 * drain, reconnect after a server restart, user/password and token auth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <nats/nats.h>

#include "test_bus_common.h"

static natsConnection *dial(const tb_srv_t *s, const char *user, const char *pass,
                            const char *token, natsStatus *ret)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    char url[64];
    snprintf(url, sizeof(url), "nats://127.0.0.1:%d", s->port);
    natsOptions_Create(&o);
    natsOptions_SetURL(o, url);
    natsOptions_SetTimeout(o, 3000);
    natsOptions_SetMaxReconnect(o, -1);
    natsOptions_SetReconnectWait(o, 100);
    natsOptions_SetAllowReconnect(o, true);
    if (user)
        natsOptions_SetUserInfo(o, user, pass);
    if (token)
        natsOptions_SetToken(o, token);
    natsStatus st = natsConnection_Connect(&nc, o);
    natsOptions_Destroy(o);
    if (ret)
        *ret = st;
    return st == NATS_OK ? nc : NULL;
}

static void expect_msg(natsSubscription *sub, const char *subject, const char *data)
{
    natsMsg *m = NULL;
    assert_int_equal(natsSubscription_NextMsg(&m, sub, 3000), NATS_OK);
    assert_string_equal(natsMsg_GetSubject(m), subject);
    assert_int_equal(natsMsg_GetDataLength(m), (int)strlen(data));
    assert_memory_equal(natsMsg_GetData(m), data, strlen(data));
    natsMsg_Destroy(m);
}

static void expect_none(natsSubscription *sub)
{
    natsMsg *m = NULL;
    assert_int_equal(natsSubscription_NextMsg(&m, sub, 200), NATS_TIMEOUT);
}

static void test_pubsub_wildcards(void **state)
{
    tb_srv_t s;
    natsSubscription *star = NULL, *gt = NULL, *lit = NULL;
    assert_int_equal(tb_srv_start(&s, *(tb_kind_t *)*state, NULL, NULL), 0);
    natsConnection *nc = dial(&s, NULL, NULL, NULL, NULL);
    assert_non_null(nc);
    assert_int_equal(natsConnection_SubscribeSync(&star, nc, "foo.*"), NATS_OK);
    assert_int_equal(natsConnection_SubscribeSync(&gt, nc, "foo.>"), NATS_OK);
    assert_int_equal(natsConnection_SubscribeSync(&lit, nc, "bar"), NATS_OK);
    assert_int_equal(natsConnection_PublishString(nc, "foo.a", "1"), NATS_OK);
    assert_int_equal(natsConnection_PublishString(nc, "foo.a.b", "2"), NATS_OK);
    assert_int_equal(natsConnection_PublishString(nc, "bar", "3"), NATS_OK);
    assert_int_equal(natsConnection_PublishString(nc, "foo", "4"), NATS_OK);
    assert_int_equal(natsConnection_Flush(nc), NATS_OK);
    expect_msg(star, "foo.a", "1");
    expect_none(star);
    expect_msg(gt, "foo.a", "1");
    expect_msg(gt, "foo.a.b", "2");
    expect_none(gt);
    expect_msg(lit, "bar", "3");
    natsSubscription_Destroy(star);
    natsSubscription_Destroy(gt);
    natsSubscription_Destroy(lit);
    natsConnection_Destroy(nc);
    tb_srv_stop(&s);
}

static int drain_count(natsSubscription *sub)
{
    int n = 0;
    natsMsg *m = NULL;
    while (natsSubscription_NextMsg(&m, sub, 300) == NATS_OK) {
        n++;
        natsMsg_Destroy(m);
    }
    return n;
}

static void test_queue_groups(void **state)
{
    tb_srv_t s;
    natsSubscription *q1 = NULL, *q2 = NULL, *plain = NULL;
    assert_int_equal(tb_srv_start(&s, *(tb_kind_t *)*state, NULL, NULL), 0);
    natsConnection *a = dial(&s, NULL, NULL, NULL, NULL), *b = dial(&s, NULL, NULL, NULL, NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(natsConnection_QueueSubscribeSync(&q1, a, "work", "g"), NATS_OK);
    assert_int_equal(natsConnection_QueueSubscribeSync(&q2, b, "work", "g"), NATS_OK);
    assert_int_equal(natsConnection_SubscribeSync(&plain, b, "work"), NATS_OK);
    assert_int_equal(natsConnection_Flush(a), NATS_OK);
    assert_int_equal(natsConnection_Flush(b), NATS_OK);
    for (int i = 0; i < 200; i++)
        assert_int_equal(natsConnection_PublishString(a, "work", "x"), NATS_OK);
    assert_int_equal(natsConnection_Flush(a), NATS_OK);
    int n1 = drain_count(q1), n2 = drain_count(q2), np = drain_count(plain);
    assert_int_equal(n1 + n2, 200);
    assert_int_equal(np, 200);
    assert_true(n1 >= 50 && n2 >= 50);
    natsSubscription_Destroy(q1);
    natsSubscription_Destroy(q2);
    natsSubscription_Destroy(plain);
    natsConnection_Destroy(a);
    natsConnection_Destroy(b);
    tb_srv_stop(&s);
}

static void on_request(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    char reply[256];
    snprintf(reply, sizeof(reply), "re:%.*s", natsMsg_GetDataLength(msg), natsMsg_GetData(msg));
    natsMsg *r = NULL;
    natsMsg_Create(&r, natsMsg_GetReply(msg), NULL, reply, (int)strlen(reply));
    const char *h = NULL;
    if (natsMsgHeader_Get(msg, "X-Trace", &h) == NATS_OK)
        natsMsgHeader_Set(r, "X-Trace", h);
    natsConnection_PublishMsg(nc, r);
    natsMsg_Destroy(r);
    natsMsg_Destroy(msg);
}

static void test_request_reply_headers(void **state)
{
    tb_srv_t s;
    natsSubscription *svc = NULL;
    natsMsg *rep = NULL;
    assert_int_equal(tb_srv_start(&s, *(tb_kind_t *)*state, NULL, NULL), 0);
    natsConnection *server = dial(&s, NULL, NULL, NULL, NULL);
    natsConnection *client = dial(&s, NULL, NULL, NULL, NULL);
    assert_non_null(server);
    assert_non_null(client);
    assert_int_equal(natsConnection_Subscribe(&svc, server, "svc.echo", on_request, NULL), NATS_OK);
    assert_int_equal(natsConnection_Flush(server), NATS_OK);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(natsConnection_RequestString(&rep, client, "svc.echo", "hi", 3000),
                         NATS_OK);
        assert_int_equal(natsMsg_GetDataLength(rep), 5);
        assert_memory_equal(natsMsg_GetData(rep), "re:hi", 5);
        natsMsg_Destroy(rep);
        rep = NULL;
    }
    /* Headers travel both ways. */
    natsMsg *req = NULL;
    natsMsg_Create(&req, "svc.echo", NULL, "h", 1);
    natsMsgHeader_Set(req, "X-Trace", "abc-123");
    assert_int_equal(natsConnection_RequestMsg(&rep, client, req, 3000), NATS_OK);
    const char *v = NULL;
    assert_int_equal(natsMsgHeader_Get(rep, "X-Trace", &v), NATS_OK);
    assert_string_equal(v, "abc-123");
    natsMsg_Destroy(rep);
    natsMsg_Destroy(req);
    /* No responders: an immediate error instead of a timeout. */
    rep = NULL;
    assert_int_equal(natsConnection_RequestString(&rep, client, "nobody.home", "x", 5000),
                     NATS_NO_RESPONDERS);
    natsSubscription_Destroy(svc);
    natsConnection_Destroy(server);
    natsConnection_Destroy(client);
    tb_srv_stop(&s);
}

static void test_drain(void **state)
{
    tb_srv_t s;
    natsSubscription *sub = NULL;
    assert_int_equal(tb_srv_start(&s, *(tb_kind_t *)*state, NULL, NULL), 0);
    natsConnection *nc = dial(&s, NULL, NULL, NULL, NULL), *pub = dial(&s, NULL, NULL, NULL, NULL);
    assert_int_equal(natsConnection_SubscribeSync(&sub, nc, "d"), NATS_OK);
    assert_int_equal(natsConnection_Flush(nc), NATS_OK);
    for (int i = 0; i < 50; i++)
        natsConnection_PublishString(pub, "d", "m");
    assert_int_equal(natsConnection_Flush(pub), NATS_OK);
    tb_sleep_ms(200);
    assert_int_equal(natsSubscription_Drain(sub), NATS_OK);
    assert_int_equal(drain_count(sub), 50);
    assert_int_equal(natsSubscription_WaitForDrainCompletion(sub, 3000), NATS_OK);
    /* After the drain, new messages no longer arrive. */
    natsConnection_PublishString(pub, "d", "late");
    natsConnection_Flush(pub);
    assert_int_equal(natsConnection_Drain(nc), NATS_OK);
    for (int i = 0; i < 100 && natsConnection_Status(nc) != NATS_CONN_STATUS_CLOSED; i++)
        tb_sleep_ms(50);
    assert_int_equal(natsConnection_Status(nc), NATS_CONN_STATUS_CLOSED);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    natsConnection_Destroy(pub);
    tb_srv_stop(&s);
}

static void test_reconnect(void **state)
{
    tb_srv_t s;
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;
    assert_int_equal(tb_srv_start(&s, *(tb_kind_t *)*state, NULL, NULL), 0);
    natsConnection *nc = dial(&s, NULL, NULL, NULL, NULL);
    assert_non_null(nc);
    assert_int_equal(natsConnection_SubscribeSync(&sub, nc, "r.>"), NATS_OK);
    assert_int_equal(natsConnection_Flush(nc), NATS_OK);
    tb_srv_kill(&s, SIGKILL);
    tb_sleep_ms(300);
    assert_int_equal(tb_srv_spawn(&s), 0);
    /* The client reconnects and re-subscribes by itself. */
    int ok = 0;
    for (int i = 0; i < 100 && !ok; i++) {
        natsConnection_PublishString(nc, "r.x", "back");
        if (natsSubscription_NextMsg(&m, sub, 100) == NATS_OK) {
            ok = natsMsg_GetDataLength(m) == 4;
            natsMsg_Destroy(m);
        }
    }
    assert_true(ok);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    tb_srv_stop(&s);
}

static void test_auth(void **state)
{
    tb_srv_t s;
    natsStatus st;
    const char *const up[] = {"--user", "alice", "--pass", "wonder", NULL};
    assert_int_equal(tb_srv_start(&s, *(tb_kind_t *)*state, NULL, up), 0);
    assert_null(dial(&s, NULL, NULL, NULL, &st));
    assert_int_not_equal(st, NATS_OK);
    assert_null(dial(&s, "alice", "nope", NULL, &st));
    natsConnection *nc = dial(&s, "alice", "wonder", NULL, &st);
    assert_non_null(nc);
    assert_int_equal(natsConnection_Flush(nc), NATS_OK);
    natsConnection_Destroy(nc);
    tb_srv_stop(&s);
    const char *const tok[] = {"--auth", "t0ken", NULL};
    assert_int_equal(tb_srv_start(&s, *(tb_kind_t *)*state, NULL, tok), 0);
    assert_null(dial(&s, NULL, NULL, "bad", &st));
    nc = dial(&s, NULL, NULL, "t0ken", &st);
    assert_non_null(nc);
    assert_int_equal(natsConnection_Flush(nc), NATS_OK);
    natsConnection_Destroy(nc);
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
#define BOTH(fn)                                                                                   \
    cmocka_unit_test_prestate_setup_teardown(fn, NULL, tb_teardown, &kinds[0]),                    \
        cmocka_unit_test_prestate_setup_teardown(fn, NULL, tb_teardown, &kinds[1])
    const struct CMUnitTest tests[] = {
        BOTH(test_pubsub_wildcards),
        BOTH(test_queue_groups),
        BOTH(test_request_reply_headers),
        BOTH(test_drain),
        BOTH(test_reconnect),
        BOTH(test_auth),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    nats_Close();
    return r;
}
