/*
 * Tests for src/core/bus against a real nats-server started on a free loopback port
 * (tests/unit/helpers/natsd.h; HEARTH_TEST_BUS selects another server binary).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hc_bus.h"
#include "natsd.h"

#define WAIT_MS 10000

typedef struct fixture_s {
    uv_loop_t loop;
    hc_test_natsd_t srv;
    pthread_t main_thread;
    /* What callbacks saw. */
    int msgs;
    int off_thread; /* callbacks that ran on another thread */
    char last_subject[128];
    char last_data[256];
    char last_reply[128];
    int events[8];
    int reply_status;
    int replies;
    char reply_data[256];
    int star, tail, q1, q2, plain;
    hc_bus_t *buses[4]; /* freed by teardown if a failed test left them */
} fixture_t;

static fixture_t *F;

static int setup(void **state)
{
    fixture_t *f = hc_calloc(1, sizeof(*f));
    if (uv_loop_init(&f->loop) != 0)
        return -1;
    f->main_thread = pthread_self();
    f->reply_status = 1;
    F = f;
    *state = f;
    return 0;
}

static void close_walk(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    for (size_t i = 0; i < HC_ARRAY_SIZE(f->buses); i++)
        hc_bus_free(f->buses[i]);
    /* Let freed buses finish, then make sure nothing is left open on the loop. */
    uv_run(&f->loop, UV_RUN_DEFAULT);
    uv_walk(&f->loop, close_walk, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    int r = uv_loop_close(&f->loop);
    hc_test_natsd_cleanup(&f->srv);
    free(f);
    F = NULL;
    return r == 0 ? 0 : -1;
}

static void tick(uv_timer_t *t)
{
}

/* Runs the loop until *flag becomes true; fails the test after WAIT_MS. */
#define RUN_UNTIL(f, cond)                                                                         \
    do {                                                                                           \
        uv_timer_t t_;                                                                             \
        uv_timer_init(&(f)->loop, &t_);                                                            \
        uv_timer_start(&t_, tick, 5, 5);                                                           \
        uint64_t end_ = uv_now(&(f)->loop) + WAIT_MS;                                              \
        while (!(cond) && uv_now(&(f)->loop) < end_)                                               \
            uv_run(&(f)->loop, UV_RUN_ONCE);                                                       \
        uv_close((uv_handle_t *)&t_, NULL);                                                        \
        uv_run(&(f)->loop, UV_RUN_NOWAIT);                                                         \
        assert_true(cond);                                                                         \
    } while (0)

static hc_bus_opts_t fast_opts(void)
{
    return (hc_bus_opts_t){
        .name = "test",
        .reconnect_wait_ms = 20,
        .reconnect_max_wait_ms = 100,
        .reconnect_jitter_ms = 10,
        .connect_timeout_ms = 1000,
        .on_state = NULL,
    };
}

static void on_state(hc_bus_t *bus, hc_bus_event_t ev, void *ud)
{
    fixture_t *f = ud;
    if (!pthread_equal(pthread_self(), f->main_thread))
        f->off_thread++;
    f->events[ev]++;
}

static void track(fixture_t *f, hc_bus_t *bus)
{
    for (size_t i = 0; i < HC_ARRAY_SIZE(f->buses); i++) {
        if (!f->buses[i]) {
            f->buses[i] = bus;
            return;
        }
    }
    fail_msg("too many buses");
}

static void free_bus(fixture_t *f, hc_bus_t *bus)
{
    for (size_t i = 0; i < HC_ARRAY_SIZE(f->buses); i++)
        if (f->buses[i] == bus)
            f->buses[i] = NULL;
    hc_bus_free(bus);
}

static hc_bus_t *new_bus(fixture_t *f, const char *urls)
{
    hc_bus_opts_t o = fast_opts();
    o.on_state = on_state;
    o.ud = f;
    hc_bus_t *bus = NULL;
    hc_err_t err;
    assert_int_equal(hc_bus_new(&f->loop, urls, &o, &bus, &err), 0);
    assert_non_null(bus);
    track(f, bus);
    return bus;
}

static void copy_str(char *dst, size_t size, const char *s, size_t len)
{
    size_t n = HC_MIN(len, size - 1);
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static void on_msg(hc_bus_sub_t *sub, const hc_bus_msg_t *m, void *ud)
{
    fixture_t *f = ud;
    if (!pthread_equal(pthread_self(), f->main_thread))
        f->off_thread++;
    f->msgs++;
    copy_str(f->last_subject, sizeof(f->last_subject), m->subject, strlen(m->subject));
    copy_str(f->last_data, sizeof(f->last_data), m->data, m->len);
    copy_str(f->last_reply, sizeof(f->last_reply), m->reply ? m->reply : "",
             m->reply ? strlen(m->reply) : 0);
}

static void on_echo(hc_bus_sub_t *sub, const hc_bus_msg_t *m, void *ud)
{
    char buf[300];
    int n = snprintf(buf, sizeof(buf), "echo:%.*s", (int)m->len, m->data);
    hc_bus_reply(hc_bus_sub_bus(sub), m, buf, (size_t)n);
}

static void on_reply(hc_bus_t *bus, int status, const char *data, size_t len, void *ud)
{
    fixture_t *f = ud;
    if (!pthread_equal(pthread_self(), f->main_thread))
        f->off_thread++;
    f->replies++;
    f->reply_status = status;
    copy_str(f->reply_data, sizeof(f->reply_data), data ? data : "", len);
}

/* A round trip through the server: every message published before it has been delivered. */
static void barrier(fixture_t *f, hc_bus_t *bus)
{
    hc_bus_sub_t *echo = NULL;
    assert_int_equal(hc_bus_subscribe(bus, "barrier.echo", NULL, on_echo, f, &echo), 0);
    int before = f->replies;
    assert_int_equal(hc_bus_request(bus, "barrier.echo", "b", 1, WAIT_MS, on_reply, f), 0);
    RUN_UNTIL(f, f->replies > before);
    assert_int_equal(f->reply_status, HC_BUS_OK);
    hc_bus_unsubscribe(echo);
}

static void start_server(fixture_t *f)
{
    int r = hc_test_natsd_start(&f->srv, 0, NULL);
    if (r < 0)
        fail_msg("cannot start the bus server (%d); log in %s", r, f->srv.dir);
}

static void test_publish_subscribe_on_loop_thread(void **state)
{
    fixture_t *f = *state;
    start_server(f);
    hc_bus_t *bus = new_bus(f, f->srv.url);
    RUN_UNTIL(f, f->events[HC_BUS_CONNECTED] == 1);
    assert_true(hc_bus_connected(bus));

    hc_bus_sub_t *sub = NULL;
    assert_int_equal(hc_bus_subscribe(bus, "t.a", NULL, on_msg, f, &sub), 0);
    assert_int_equal(hc_bus_publish(bus, "t.a", "hello", 5), 0);
    RUN_UNTIL(f, f->msgs == 1);
    assert_string_equal(f->last_subject, "t.a");
    assert_string_equal(f->last_data, "hello");
    assert_string_equal(f->last_reply, "");

    json_t *j = json_pack("{s:i}", "n", 7);
    assert_int_equal(hc_bus_publish_json(bus, "t.a", j), 0);
    json_decref(j);
    assert_int_equal(hc_bus_publish_reply(bus, "t.a", "r.1", "", 0), 0);
    RUN_UNTIL(f, f->msgs == 3);
    assert_string_equal(f->last_data, "");
    assert_string_equal(f->last_reply, "r.1");
    assert_int_equal(f->off_thread, 0);

    assert_int_equal(hc_bus_publish(bus, "", "x", 1), -EINVAL);
    assert_int_equal(hc_bus_publish(bus, "a\r\nPUB b 1", "x", 1), -EINVAL);
    assert_int_equal(hc_bus_publish_reply(bus, "a", "r b", "x", 1), -EINVAL);
    assert_int_equal(hc_bus_subscribe(bus, "a", "q q", on_msg, f, &sub), -EINVAL);
    assert_int_equal(hc_bus_subscribe(bus, "", NULL, on_msg, f, &sub), -EINVAL);
    free_bus(f, bus);
}

static void on_star(hc_bus_sub_t *s, const hc_bus_msg_t *m, void *ud)
{
    F->star++;
}
static void on_tail(hc_bus_sub_t *s, const hc_bus_msg_t *m, void *ud)
{
    F->tail++;
}
static void on_q1(hc_bus_sub_t *s, const hc_bus_msg_t *m, void *ud)
{
    F->q1++;
}
static void on_q2(hc_bus_sub_t *s, const hc_bus_msg_t *m, void *ud)
{
    F->q2++;
}
static void on_plain(hc_bus_sub_t *s, const hc_bus_msg_t *m, void *ud)
{
    F->plain++;
}

static void test_wildcards_and_queue_groups(void **state)
{
    fixture_t *f = *state;
    start_server(f);
    hc_bus_t *a = new_bus(f, f->srv.url);
    hc_bus_t *b = new_bus(f, f->srv.url);
    hc_bus_sub_t *s1, *s2, *s3, *s4, *s5;
    assert_int_equal(hc_bus_subscribe(a, "w.*", NULL, on_star, f, &s1), 0);
    assert_int_equal(hc_bus_subscribe(a, "w.>", NULL, on_tail, f, &s2), 0);
    assert_int_equal(hc_bus_subscribe(a, "job", "workers", on_q1, f, &s3), 0);
    assert_int_equal(hc_bus_subscribe(b, "job", "workers", on_q2, f, &s4), 0);
    assert_int_equal(hc_bus_subscribe(b, "job", NULL, on_plain, f, &s5), 0);
    barrier(f, a);
    barrier(f, b); /* both buses' subscriptions are registered with the server */

    assert_int_equal(hc_bus_publish(a, "w.x", "1", 1), 0);
    assert_int_equal(hc_bus_publish(a, "w.x.y", "2", 1), 0);
    assert_int_equal(hc_bus_publish(a, "other", "3", 1), 0);
    for (int i = 0; i < 40; i++)
        assert_int_equal(hc_bus_publish(a, "job", "j", 1), 0);
    RUN_UNTIL(f, f->plain == 40 && f->q1 + f->q2 == 40 && f->tail == 2);
    barrier(f, a);
    assert_int_equal(f->star, 1);
    assert_int_equal(f->tail, 2);
    assert_int_equal(f->q1 + f->q2, 40); /* each job went to exactly one group member */
    assert_int_equal(f->plain, 40);
    free_bus(f, a);
    free_bus(f, b);
}

static void test_request_reply_timeout_no_responders(void **state)
{
    fixture_t *f = *state;
    start_server(f);
    hc_bus_t *bus = new_bus(f, f->srv.url);
    hc_bus_sub_t *echo, *mute;
    assert_int_equal(hc_bus_subscribe(bus, "svc.echo", NULL, on_echo, f, &echo), 0);
    assert_int_equal(hc_bus_subscribe(bus, "svc.mute", NULL, on_msg, f, &mute), 0);

    assert_int_equal(hc_bus_request(bus, "svc.echo", "ping", 4, WAIT_MS, on_reply, f), 0);
    RUN_UNTIL(f, f->replies == 1);
    assert_int_equal(f->reply_status, HC_BUS_OK);
    assert_string_equal(f->reply_data, "echo:ping");

    /* Someone receives it but nobody answers. */
    assert_int_equal(hc_bus_request(bus, "svc.mute", "x", 1, 200, on_reply, f), 0);
    RUN_UNTIL(f, f->replies == 2);
    assert_int_equal(f->reply_status, HC_BUS_TIMEOUT);
    assert_int_equal(f->msgs, 1);

    /* Nobody subscribes: the server answers "no responders" at once. */
    assert_int_equal(hc_bus_request(bus, "svc.nobody", "x", 1, WAIT_MS, on_reply, f), 0);
    RUN_UNTIL(f, f->replies == 3);
    assert_int_equal(f->reply_status, HC_BUS_NO_RESPONDERS);

    /* Pending requests are cancelled by hc_bus_free, inside the call. */
    assert_int_equal(hc_bus_request(bus, "svc.mute", "x", 1, WAIT_MS, on_reply, f), 0);
    free_bus(f, bus);
    assert_int_equal(f->replies, 4);
    assert_int_equal(f->reply_status, HC_BUS_CANCELED);
    assert_int_equal(f->off_thread, 0);
}

static void test_unsubscribe_stops_delivery(void **state)
{
    fixture_t *f = *state;
    start_server(f);
    hc_bus_t *bus = new_bus(f, f->srv.url);
    hc_bus_sub_t *sub;
    assert_int_equal(hc_bus_subscribe(bus, "u", NULL, on_msg, f, &sub), 0);
    assert_int_equal(hc_bus_publish(bus, "u", "1", 1), 0);
    RUN_UNTIL(f, f->msgs == 1);
    /* Queued but undelivered messages are dropped too. */
    assert_int_equal(hc_bus_publish(bus, "u", "2", 1), 0);
    hc_bus_unsubscribe(sub);
    assert_int_equal(hc_bus_publish(bus, "u", "3", 1), 0);
    barrier(f, bus);
    assert_int_equal(f->msgs, 1);
    free_bus(f, bus);
}

static void test_server_restart_reconnects_and_resubscribes(void **state)
{
    fixture_t *f = *state;
    start_server(f);
    hc_bus_t *bus = new_bus(f, f->srv.url);
    hc_bus_sub_t *sub, *ann;
    assert_int_equal(hc_bus_subscribe(bus, "r.x", NULL, on_msg, f, &sub), 0);
    assert_int_equal(hc_bus_subscribe(bus, "vcap.component.announce", NULL, on_plain, f, &ann), 0);
    RUN_UNTIL(f, f->events[HC_BUS_CONNECTED] == 1);
    json_t *info = json_pack("{s:s}", "type", "Router");
    assert_int_equal(hc_bus_component_start(bus, info), 0);
    json_decref(info); /* the bus holds its own reference */
    RUN_UNTIL(f, f->plain == 1);
    barrier(f, bus);

    assert_int_equal(hc_test_natsd_stop(&f->srv), 0);
    RUN_UNTIL(f, f->events[HC_BUS_DISCONNECTED] == 1);
    assert_false(hc_bus_connected(bus));
    /* Publishing while disconnected neither blocks nor fails: libnats buffers it. */
    assert_int_equal(hc_bus_publish(bus, "r.x", "while-down", 10), 0);

    assert_int_equal(hc_test_natsd_resume(&f->srv), 0);
    RUN_UNTIL(f, f->events[HC_BUS_RECONNECTED] == 1);
    assert_true(hc_bus_connected(bus));
    RUN_UNTIL(f, f->msgs == 1);
    assert_string_equal(f->last_data, "while-down");
    assert_int_equal(hc_bus_publish(bus, "r.x", "after", 5), 0);
    RUN_UNTIL(f, f->msgs == 2);
    assert_string_equal(f->last_data, "after");
    RUN_UNTIL(f, f->plain == 2); /* announced again after reconnecting */
    assert_int_equal(f->off_thread, 0);
    free_bus(f, bus);
}

static void test_start_while_server_down_then_connect(void **state)
{
    fixture_t *f = *state;
    int port = hc_test_free_port();
    assert_true(port > 0);
    char url[64];
    snprintf(url, sizeof(url), "nats://127.0.0.1:%d", port);
    hc_bus_t *bus = new_bus(f, url);
    assert_false(hc_bus_connected(bus));
    hc_bus_sub_t *sub, *ann;
    assert_int_equal(hc_bus_subscribe(bus, "d.x", NULL, on_msg, f, &sub), 0);
    assert_int_equal(hc_bus_subscribe(bus, "vcap.component.announce", NULL, on_plain, f, &ann), 0);
    json_t *info = json_pack("{s:s,s:i}", "type", "Test", "index", 0);
    assert_int_equal(hc_bus_component_start(bus, info), 0);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(f->events[HC_BUS_CONNECTED], 0);
    /* Publishing before the first connection is buffered like during a reconnect. */
    assert_int_equal(hc_bus_publish(bus, "d.x", "early", 5), 0);

    assert_int_equal(hc_test_natsd_start(&f->srv, port, NULL), 0);
    RUN_UNTIL(f, f->events[HC_BUS_CONNECTED] == 1);
    RUN_UNTIL(f, f->plain == 1); /* announced once connected */
    RUN_UNTIL(f, f->msgs == 1);
    assert_string_equal(f->last_data, "early");
    assert_int_equal(hc_bus_publish(bus, "d.x", "late", 4), 0);
    RUN_UNTIL(f, f->msgs == 2);
    assert_string_equal(f->last_data, "late");
    json_decref(info);
    free_bus(f, bus);
}

static void on_announce(hc_bus_sub_t *s, const hc_bus_msg_t *m, void *ud)
{
    fixture_t *f = ud;
    f->plain++;
    copy_str(f->last_data, sizeof(f->last_data), m->data, m->len);
}

static void test_component_announce_and_discover(void **state)
{
    fixture_t *f = *state;
    start_server(f);
    hc_bus_t *comp = new_bus(f, f->srv.url);
    hc_bus_t *tool = new_bus(f, f->srv.url);
    RUN_UNTIL(f, f->events[HC_BUS_CONNECTED] == 2);
    hc_bus_sub_t *ann;
    assert_int_equal(hc_bus_subscribe(tool, "vcap.component.announce", NULL, on_announce, f, &ann),
                     0);
    barrier(f, tool);

    json_t *info = json_pack("{s:s,s:i,s:s,s:[s,s]}", "type", "DEA", "index", 0, "uuid", "0-abc",
                             "credentials", "u", "p");
    assert_int_equal(hc_bus_component_start(comp, info), 0);
    RUN_UNTIL(f, f->plain == 1);
    json_t *got = json_loads(f->last_data, 0, NULL);
    assert_non_null(got);
    assert_true(json_equal(got, info));
    json_decref(got);

    /* The bus sends the object's current content: the owner may update it in place. */
    json_object_set_new(info, "uptime", json_string("0d:0h:0m:1s"));
    int before = f->replies;
    assert_int_equal(hc_bus_request(tool, "vcap.component.discover", "", 0, WAIT_MS, on_reply, f),
                     0);
    RUN_UNTIL(f, f->replies == before + 1);
    assert_int_equal(f->reply_status, HC_BUS_OK);
    got = json_loads(f->reply_data, 0, NULL);
    assert_non_null(got);
    assert_string_equal(json_string_value(json_object_get(got, "uptime")), "0d:0h:0m:1s");
    assert_string_equal(json_string_value(json_object_get(got, "type")), "DEA");
    json_decref(got);

    hc_bus_component_stop(comp);
    barrier(f, comp); /* the server has seen the UNSUB */
    before = f->replies;
    assert_int_equal(hc_bus_request(tool, "vcap.component.discover", "", 0, WAIT_MS, on_reply, f),
                     0);
    RUN_UNTIL(f, f->replies == before + 1);
    assert_int_equal(f->reply_status, HC_BUS_NO_RESPONDERS);
    json_decref(info);
    free_bus(f, comp);
    free_bus(f, tool);
}

static void test_auth_and_bad_arguments(void **state)
{
    fixture_t *f = *state;
    static const char *const extra[] = {"--user", "hearth", "--pass", "s3cret", NULL};
    assert_int_equal(hc_test_natsd_start(&f->srv, 0, extra), 0);
    hc_bus_opts_t o = fast_opts();
    o.user = "hearth";
    o.password = "s3cret";
    o.on_state = on_state;
    o.ud = f;
    hc_bus_t *bus = NULL;
    hc_err_t err;
    char urls[160];
    /* A list with a dead first entry still connects through the second. */
    snprintf(urls, sizeof(urls), " nats://127.0.0.1:%d , %s", hc_test_free_port(), f->srv.url);
    assert_int_equal(hc_bus_new(&f->loop, urls, &o, &bus, &err), 0);
    track(f, bus);
    RUN_UNTIL(f, f->events[HC_BUS_CONNECTED] == 1);
    barrier(f, bus);
    free_bus(f, bus);

    assert_int_equal(hc_bus_new(&f->loop, " , ", &o, &bus, &err), -EINVAL);
    assert_int_equal(hc_bus_new(&f->loop, NULL, &o, &bus, &err), -EINVAL);
}

static void test_queue_bound_counts_drops(void **state)
{
    fixture_t *f = *state;
    start_server(f);
    hc_bus_opts_t o = fast_opts();
    o.max_queued_msgs = 4;
    hc_bus_t *bus = NULL;
    hc_err_t err;
    assert_int_equal(hc_bus_new(&f->loop, f->srv.url, &o, &bus, &err), 0);
    track(f, bus);
    hc_bus_sub_t *sub;
    assert_int_equal(hc_bus_subscribe(bus, "flood", NULL, on_msg, f, &sub), 0);
    barrier(f, bus);
    for (int i = 0; i < 500; i++)
        assert_int_equal(hc_bus_publish(bus, "flood", "0123456789", 10), 0);
    RUN_UNTIL(f, (uint64_t)f->msgs + hc_bus_dropped(bus) == 500);
    print_message("flood: %d delivered, %llu dropped at a queue bound of 4\n", f->msgs,
                  (unsigned long long)hc_bus_dropped(bus));
    free_bus(f, bus);
}

static void on_msg_then_free(hc_bus_sub_t *sub, const hc_bus_msg_t *m, void *ud)
{
    fixture_t *f = ud;
    f->msgs++;
    free_bus(f, hc_bus_sub_bus(sub));
}

static void test_free_inside_callback(void **state)
{
    fixture_t *f = *state;
    start_server(f);
    hc_bus_t *bus = new_bus(f, f->srv.url);
    hc_bus_sub_t *sub, *other;
    assert_int_equal(hc_bus_subscribe(bus, "f.x", NULL, on_msg_then_free, f, &sub), 0);
    assert_int_equal(hc_bus_subscribe(bus, "f.>", NULL, on_plain, f, &other), 0);
    assert_int_equal(hc_bus_request(bus, "f.x", "a", 1, WAIT_MS, on_reply, f), 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(hc_bus_publish(bus, "f.x", "b", 1), 0);
    RUN_UNTIL(f, f->msgs == 1 && f->replies == 1);
    assert_int_equal(f->reply_status, HC_BUS_CANCELED);
    /* The loop ends once the bus has released everything; no callback ran after free. */
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(f->msgs, 1);
    assert_true(f->plain <= 1);
}

static void test_odd_urls(void **state)
{
    fixture_t *f = *state;
    hc_bus_opts_t o = fast_opts();
    static const char *const urls[] = {"nats://127.0.0.1:notaport", "foo://x", "nats://:0",
                                       "127.0.0.1"};
    for (size_t i = 0; i < HC_ARRAY_SIZE(urls); i++) {
        hc_bus_t *bus = NULL;
        hc_err_t err;
        int r = hc_bus_new(&f->loop, urls[i], &o, &bus, &err);
        if (r == 0) {
            assert_int_equal(hc_bus_publish(bus, "x", "y", 1), 0);
            hc_bus_free(bus);
        } else {
            assert_true(r == -EINVAL || r == -EIO);
            assert_true(err.msg[0] != '\0');
        }
        uv_run(&f->loop, UV_RUN_DEFAULT);
    }
}

static void test_publish_buffer_while_down_is_bounded(void **state)
{
    fixture_t *f = *state;
    hc_bus_opts_t o = fast_opts();
    o.reconnect_buf_bytes = 4096;
    char url[64];
    snprintf(url, sizeof(url), "nats://127.0.0.1:%d", hc_test_free_port());
    hc_bus_t *bus = NULL;
    hc_err_t err;
    assert_int_equal(hc_bus_new(&f->loop, url, &o, &bus, &err), 0);
    track(f, bus);
    char kb[1024];
    memset(kb, 'k', sizeof(kb));
    int r = 0, sent = 0;
    while (sent < 100 && (r = hc_bus_publish(bus, "down", kb, sizeof(kb))) == 0)
        sent++;
    assert_int_equal(r, -ENOBUFS);
    assert_true(sent >= 2 && sent <= 4);
    free_bus(f, bus);
}

static void test_subject_validation(void **state)
{
    (void)state;
    static const char *const good[] = {"a", "a.b", "dea.0-abc.start", "_INBOX.x.1", "a-b_c"};
    static const char *const bad[] = {"",    ".",    "a.",           ".a",   "a..b",
                                      "a b", "a\tb", "a\r\nPUB x 1", "a\x7f"};
    static const char *const wild[] = {"a.*", "*", ">", "a.>", "*.b.>"};
    static const char *const bad_wild[] = {"a.>.b", "a*", "a.*b", ">.a"};
    for (size_t i = 0; i < HC_ARRAY_SIZE(good); i++) {
        assert_true(hc_bus_subject_valid(good[i], false));
        assert_true(hc_bus_subject_valid(good[i], true));
    }
    for (size_t i = 0; i < HC_ARRAY_SIZE(bad); i++) {
        assert_false(hc_bus_subject_valid(bad[i], false));
        assert_false(hc_bus_subject_valid(bad[i], true));
    }
    for (size_t i = 0; i < HC_ARRAY_SIZE(wild); i++) {
        assert_false(hc_bus_subject_valid(wild[i], false));
        assert_true(hc_bus_subject_valid(wild[i], true));
    }
    /* "a*" and "a.*b" are literal tokens: fine to publish, and fine (literal) to subscribe. */
    assert_false(hc_bus_subject_valid(bad_wild[0], true));
    assert_false(hc_bus_subject_valid(bad_wild[3], true));
    assert_true(hc_bus_subject_valid(bad_wild[1], false));
    assert_true(hc_bus_subject_valid(bad_wild[2], true));
    char longer[HC_BUS_MAX_SUBJECT + 2];
    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_false(hc_bus_subject_valid(longer, false));
    longer[HC_BUS_MAX_SUBJECT] = '\0';
    assert_true(hc_bus_subject_valid(longer, false));
    assert_false(hc_bus_subject_valid(NULL, true));
}

static void test_wrong_password_never_connects(void **state)
{
    fixture_t *f = *state;
    static const char *const extra[] = {"--user", "hearth", "--pass", "s3cret", NULL};
    assert_int_equal(hc_test_natsd_start(&f->srv, 0, extra), 0);
    hc_bus_opts_t o = fast_opts();
    o.user = "hearth";
    o.password = "wrong";
    o.on_state = on_state;
    o.ud = f;
    hc_bus_t *bus = NULL;
    hc_err_t err;
    int r = hc_bus_new(&f->loop, f->srv.url, &o, &bus, &err);
    if (r == 0) {
        track(f, bus);
        /* libnats either keeps retrying or gives up (CLOSED); it never connects. */
        uv_timer_t t;
        uv_timer_init(&f->loop, &t);
        uv_timer_start(&t, tick, 500, 0);
        uv_run(&f->loop, UV_RUN_ONCE);
        RUN_UNTIL(f, !uv_is_active((uv_handle_t *)&t) || f->events[HC_BUS_CLOSED] > 0);
        uv_close((uv_handle_t *)&t, NULL);
        uv_run(&f->loop, UV_RUN_NOWAIT); /* t lives on this stack frame: finish closing it */
        print_message("wrong password: closed=%d\n", f->events[HC_BUS_CLOSED]);
        assert_int_equal(f->events[HC_BUS_CONNECTED], 0);
        assert_false(hc_bus_connected(bus));
        if (f->events[HC_BUS_CLOSED])
            assert_int_equal(hc_bus_publish(bus, "x", "y", 1), -ENOTCONN);
        free_bus(f, bus);
    } else {
        print_message("wrong password: hc_bus_new %d %s\n", r, err.msg);
        assert_int_equal(r, -EIO);
    }
}

static int group_teardown(void **state)
{
    return hc_bus_lib_close(5000) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_publish_subscribe_on_loop_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wildcards_and_queue_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_reply_timeout_no_responders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsubscribe_stops_delivery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_restart_reconnects_and_resubscribes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_start_while_server_down_then_connect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_component_announce_and_discover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_and_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_bound_counts_drops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_inside_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_odd_urls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish_buffer_while_down_is_bounded, setup, teardown),
        cmocka_unit_test(test_subject_validation),
        cmocka_unit_test_setup_teardown(test_wrong_password_never_connects, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, group_teardown);
}
