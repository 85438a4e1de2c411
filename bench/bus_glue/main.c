/*
 * bench-bus_glue: what handing libnats' messages to the libuv loop thread costs, against
 * libnats used the plain way (its own read and delivery threads, callbacks on those
 * threads). Needs a running server.
 *
 *   bench-bus_glue URL glue|plain N SIZE     one-way throughput: N messages of SIZE bytes
 *                                            published and received by the same client
 *   bench-bus_glue URL glue-rr|plain-rr N    N sequential request/reply round trips
 */
#include <nats/nats.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_bus.h"
#include "hc_time.h"

#define BATCH 1000

typedef struct bench_s {
    uv_loop_t loop;
    hc_bus_t *bus;
    long n, got, rr_done;
    bool connected;
} bench_t;

static void on_state(hc_bus_t *bus, hc_bus_event_t ev, void *ud)
{
    bench_t *b = ud;
    if (ev == HC_BUS_CONNECTED)
        b->connected = true;
}

static void on_msg(hc_bus_sub_t *sub, const hc_bus_msg_t *m, void *ud)
{
    bench_t *b = ud;
    b->got++;
}

static void on_echo(hc_bus_sub_t *sub, const hc_bus_msg_t *m, void *ud)
{
    hc_bus_reply(hc_bus_sub_bus(sub), m, m->data, m->len);
}

static void on_reply(hc_bus_t *bus, int status, const char *data, size_t len, void *ud)
{
    bench_t *b = ud;
    if (status != HC_BUS_OK) {
        fprintf(stderr, "request failed: %d\n", status);
        exit(1);
    }
    if (++b->rr_done < b->n)
        hc_bus_request(bus, "bench.echo", "ping", 4, 5000, on_reply, b);
}

static int run_glue(const char *url, const char *mode, long n, size_t size)
{
    bench_t b = {.n = n};
    uv_loop_init(&b.loop);
    hc_bus_opts_t o = {.on_state = on_state,
                       .ud = &b,
                       .max_queued_msgs = (size_t)n + 1,
                       .max_queued_bytes = (size_t)n * (size + 64) + 1,
                       .batch_writes = getenv("BATCH_WRITES") != NULL};
    hc_err_t err;
    if (hc_bus_new(&b.loop, url, &o, &b.bus, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    while (!b.connected)
        uv_run(&b.loop, UV_RUN_ONCE);
    hc_bus_sub_t *sub;
    char *payload = calloc(1, size + 1);
    memset(payload, 'x', size);
    uint64_t t0;
    if (strcmp(mode, "glue") == 0) {
        hc_bus_subscribe(b.bus, "bench.data", NULL, on_msg, &b, &sub);
        t0 = hc_now_ns();
        for (long i = 0; i < n; i++) {
            while (hc_bus_publish(b.bus, "bench.data", payload, size) == -ENOBUFS)
                uv_run(&b.loop, UV_RUN_NOWAIT);
            if (i % BATCH == BATCH - 1)
                uv_run(&b.loop, UV_RUN_NOWAIT);
        }
        while (b.got + (long)hc_bus_dropped(b.bus) < n)
            uv_run(&b.loop, UV_RUN_ONCE);
        double s = (double)(hc_now_ns() - t0) / 1e9;
        printf("glue  %ld msgs x %zu B: %.0f msgs/s (%llu dropped)\n", n, size, (double)n / s,
               (unsigned long long)hc_bus_dropped(b.bus));
    } else {
        hc_bus_subscribe(b.bus, "bench.echo", NULL, on_echo, &b, &sub);
        hc_bus_request(b.bus, "bench.echo", "ping", 4, 5000, on_reply, &b);
        b.rr_done = -1; /* the first round trip warms up */
        t0 = 0;
        while (b.rr_done < 0)
            uv_run(&b.loop, UV_RUN_ONCE);
        t0 = hc_now_ns();
        while (b.rr_done < n)
            uv_run(&b.loop, UV_RUN_ONCE);
        double us = (double)(hc_now_ns() - t0) / 1e3 / (double)n;
        printf("glue  request/reply: %.1f us per round trip\n", us);
    }
    free(payload);
    hc_bus_free(b.bus);
    uv_run(&b.loop, UV_RUN_DEFAULT);
    uv_loop_close(&b.loop);
    hc_bus_lib_close(5000);
    return 0;
}

static atomic_long plain_got;

static void plain_msg(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *ud)
{
    atomic_fetch_add(&plain_got, 1);
    natsMsg_Destroy(m);
}

static void plain_echo(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *ud)
{
    natsConnection_Publish(nc, natsMsg_GetReply(m), natsMsg_GetData(m), natsMsg_GetDataLength(m));
    natsMsg_Destroy(m);
}

static int run_plain(const char *url, const char *mode, long n, size_t size)
{
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    natsOptions *o = NULL;
    natsOptions_Create(&o);
    natsOptions_SetURL(o, url);
    natsOptions_SetMaxPendingMsgs(o, (int)n + 1);
    if (natsConnection_Connect(&nc, o) != NATS_OK) {
        fprintf(stderr, "connect failed\n");
        return 1;
    }
    char *payload = calloc(1, size + 1);
    memset(payload, 'x', size);
    if (strcmp(mode, "plain") == 0) {
        natsConnection_Subscribe(&sub, nc, "bench.data", plain_msg, NULL);
        natsSubscription_SetPendingLimits(sub, -1, -1);
        natsConnection_Flush(nc);
        uint64_t t0 = hc_now_ns();
        for (long i = 0; i < n; i++)
            natsConnection_Publish(nc, "bench.data", payload, (int)size);
        natsConnection_Flush(nc);
        while (atomic_load(&plain_got) < n)
            nats_Sleep(1);
        double s = (double)(hc_now_ns() - t0) / 1e9;
        printf("plain %ld msgs x %zu B: %.0f msgs/s\n", n, size, (double)n / s);
    } else {
        natsConnection_Subscribe(&sub, nc, "bench.echo", plain_echo, NULL);
        natsConnection_Flush(nc);
        natsMsg *reply = NULL;
        natsConnection_Request(&reply, nc, "bench.echo", "ping", 4, 5000);
        natsMsg_Destroy(reply);
        uint64_t t0 = hc_now_ns();
        for (long i = 0; i < n; i++) {
            if (natsConnection_Request(&reply, nc, "bench.echo", "ping", 4, 5000) != NATS_OK) {
                fprintf(stderr, "request failed\n");
                return 1;
            }
            natsMsg_Destroy(reply);
        }
        double us = (double)(hc_now_ns() - t0) / 1e3 / (double)n;
        printf("plain request/reply: %.1f us per round trip\n", us);
    }
    free(payload);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
    nats_CloseAndWait(5000);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s URL glue|plain|glue-rr|plain-rr N [SIZE]\n", argv[0]);
        return 2;
    }
    long n = atol(argv[3]);
    size_t size = argc > 4 ? (size_t)atol(argv[4]) : 16;
    if (strncmp(argv[2], "glue", 4) == 0)
        return run_glue(argv[1], argv[2], n, size);
    return run_plain(argv[1], argv[2], n, size);
}
