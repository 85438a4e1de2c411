/*
 * Bus glue on libnats (see rtr_bus.h). libnats delivers messages on its own threads; each
 * callback copies the message into a bounded queue and wakes the loop with uv_async, and
 * the loop drains the queue, so every router callback runs on the loop thread.
 */
#include <nats/nats.h>
#include <pthread.h>
#include <string.h>

#include "hc_log.h"
#include "rtr_bus.h"

#define RTR_BUS_MAX_QUEUED 100000 /* messages waiting for the loop, then dropped */

typedef struct rtr_bus_item_s {
    struct rtr_bus_item_s *next;
    int kind; /* 0 message, 1 connected, 2 disconnected */
    char *subject, *reply;
    size_t len;
    char data[];
} rtr_bus_item_t;

struct rtr_bus_s {
    uv_async_t async;
    rtr_bus_cbs_t cbs;
    natsConnection *nc;
    natsOptions *opts;
    natsSubscription *subs[8];
    size_t nsubs;
    char **subjects;
    pthread_mutex_t lock;
    rtr_bus_item_t *head, *tail;
    size_t queued;
    uint64_t dropped;
    bool closing;
};

static void rtr_bus_push(rtr_bus_t *b, int kind, const char *subject, const char *reply,
                         const char *data, size_t len)
{
    rtr_bus_item_t *it = hc_malloc(sizeof(*it) + len + 1);
    it->next = NULL;
    it->kind = kind;
    it->subject = subject ? hc_strdup(subject) : NULL;
    it->reply = reply ? hc_strdup(reply) : NULL;
    it->len = len;
    if (len)
        memcpy(it->data, data, len);
    it->data[len] = '\0';
    pthread_mutex_lock(&b->lock);
    if (kind == 0 && b->queued >= RTR_BUS_MAX_QUEUED) {
        b->dropped++;
        pthread_mutex_unlock(&b->lock);
        free(it->subject);
        free(it->reply);
        free(it);
        return;
    }
    if (b->tail)
        b->tail->next = it;
    else
        b->head = it;
    b->tail = it;
    b->queued++;
    pthread_mutex_unlock(&b->lock);
    uv_async_send(&b->async);
}

static void rtr_bus_on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    rtr_bus_push(closure, 0, natsMsg_GetSubject(msg), natsMsg_GetReply(msg), natsMsg_GetData(msg),
                 (size_t)natsMsg_GetDataLength(msg));
    natsMsg_Destroy(msg);
}

static void rtr_bus_on_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    rtr_bus_push(closure, 2, NULL, NULL, NULL, 0);
}

static void rtr_bus_on_connected(natsConnection *nc, void *closure)
{
    (void)nc;
    rtr_bus_push(closure, 1, NULL, NULL, NULL, 0);
}

static void rtr_bus_on_async(uv_async_t *a)
{
    rtr_bus_t *b = HC_CONTAINER_OF(a, rtr_bus_t, async);
    pthread_mutex_lock(&b->lock);
    rtr_bus_item_t *it = b->head;
    b->head = b->tail = NULL;
    b->queued = 0;
    pthread_mutex_unlock(&b->lock);
    while (it) {
        rtr_bus_item_t *next = it->next;
        if (!b->closing) {
            if (it->kind == 0)
                b->cbs.message(b->cbs.data, it->subject, it->reply, it->data, it->len);
            else
                b->cbs.state(b->cbs.data, it->kind == 1);
        }
        free(it->subject);
        free(it->reply);
        free(it);
        it = next;
    }
}

int rtr_bus_open(uv_loop_t *loop, const char *url, const char *const *subjects,
                 const rtr_bus_cbs_t *cbs, rtr_bus_t **ret, hc_err_t *err)
{
    rtr_bus_t *b = hc_calloc(1, sizeof(*b));
    natsStatus s;

    b->cbs = *cbs;
    pthread_mutex_init(&b->lock, NULL);
    uv_async_init(loop, &b->async, rtr_bus_on_async);

    s = natsOptions_Create(&b->opts);
    if (s == NATS_OK)
        s = natsOptions_SetURL(b->opts, url);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(b->opts, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(b->opts, 500);
    if (s == NATS_OK)
        s = natsOptions_SetRetryOnFailedConnect(b->opts, true, rtr_bus_on_connected, b);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(b->opts, rtr_bus_on_disconnected, b);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(b->opts, rtr_bus_on_connected, b);
    if (s == NATS_OK)
        s = natsOptions_SetName(b->opts, "hearth-router");
    if (s != NATS_OK)
        goto fail;
    s = natsConnection_Connect(&b->nc, b->opts);
    /* NATS_NOT_YET_CONNECTED: the bus is down; libnats keeps trying in the background. */
    if (s == NATS_OK)
        rtr_bus_push(b, 1, NULL, NULL, NULL, 0);
    else if (s != NATS_NOT_YET_CONNECTED)
        goto fail;
    for (size_t i = 0; subjects[i] && b->nsubs < HC_ARRAY_SIZE(b->subs); i++) {
        s = natsConnection_Subscribe(&b->subs[b->nsubs], b->nc, subjects[i], rtr_bus_on_msg, b);
        if (s != NATS_OK)
            goto fail;
        natsSubscription_SetPendingLimits(b->subs[b->nsubs], 1000000, 256 * 1024 * 1024);
        b->nsubs++;
    }
    *ret = b;
    return 0;
fail:
    hc_err_set(err, -EINVAL, "bus %s: %s", url, natsStatus_GetText(s));
    rtr_bus_close(b);
    return -EINVAL;
}

int rtr_bus_publish(rtr_bus_t *b, const char *subject, const char *data, size_t len)
{
    if (!b->nc)
        return -EIO;
    return natsConnection_Publish(b->nc, subject, data, (int)len) == NATS_OK ? 0 : -EIO;
}

static void rtr_bus_on_async_closed(uv_handle_t *h)
{
    rtr_bus_t *b = HC_CONTAINER_OF(h, rtr_bus_t, async);
    rtr_bus_item_t *it = b->head;
    while (it) {
        rtr_bus_item_t *next = it->next;
        free(it->subject);
        free(it->reply);
        free(it);
        it = next;
    }
    pthread_mutex_destroy(&b->lock);
    free(b);
}

void rtr_bus_close(rtr_bus_t *b)
{
    if (!b)
        return;
    b->closing = true;
    for (size_t i = 0; i < b->nsubs; i++)
        natsSubscription_Destroy(b->subs[i]);
    if (b->nc) {
        natsConnection_Close(b->nc);
        natsConnection_Destroy(b->nc);
    }
    natsOptions_Destroy(b->opts);
    uv_close((uv_handle_t *)&b->async, rtr_bus_on_async_closed);
}
