/*
 * Requests without blocking: one wildcard inbox subscription per bus
 * ("_INBOX.<nuid>.*"), each request publishes with reply subject "_INBOX.<nuid>.<id>" and
 * arms a loop timer. The first reply, the timeout or a no-responders status completes it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bus_internal.h"

struct hc__bus_req_s {
    hc_bus_t *bus;
    uint64_t id;
    hc_bus_reply_cb cb;
    void *ud;
    uv_timer_t timer;
    hc__bus_req_t *next; /* hash chain */
};

static hc__bus_req_t **bucket(hc_bus_t *bus, uint64_t id)
{
    return &bus->reqs[id % HC__BUS_REQ_BUCKETS];
}

static hc__bus_req_t *take(hc_bus_t *bus, uint64_t id)
{
    for (hc__bus_req_t **pp = bucket(bus, id); *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            hc__bus_req_t *r = *pp;
            *pp = r->next;
            return r;
        }
    }
    return NULL;
}

static void timer_closed(uv_handle_t *h)
{
    hc__bus_req_t *r = HC_CONTAINER_OF(h, hc__bus_req_t, timer);
    hc_bus_t *bus = r->bus;
    free(r);
    bus->open_timers--;
    hc__bus_maybe_finish(bus);
}

/* Completes a request already taken out of the table. */
static void finish(hc__bus_req_t *r, int status, const char *data, size_t len)
{
    uv_timer_stop(&r->timer);
    uv_close((uv_handle_t *)&r->timer, timer_closed);
    r->cb(r->bus, status, data, len, r->ud);
}

static void on_timeout(uv_timer_t *t)
{
    hc__bus_req_t *r = HC_CONTAINER_OF(t, hc__bus_req_t, timer);
    if (take(r->bus, r->id) == r)
        finish(r, HC_BUS_TIMEOUT, NULL, 0);
}

static void on_reply(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    hc_bus_t *bus = ud;
    const char *dot = strrchr(msg->subject, '.');
    uint64_t id;
    if (!dot || hc_parse_u64(dot + 1, strlen(dot + 1), UINT64_MAX, &id) < 0)
        return;
    hc__bus_req_t *r = take(bus, id);
    if (!r)
        return; /* a late or duplicate reply */
    if (natsMsg_IsNoResponders((natsMsg *)msg->_nmsg))
        finish(r, HC_BUS_NO_RESPONDERS, NULL, 0);
    else
        finish(r, HC_BUS_OK, msg->data, msg->len);
}

static int ensure_inbox(hc_bus_t *bus)
{
    if (bus->inbox_sub)
        return 0;
    natsInbox *inbox = NULL;
    if (natsInbox_Create(&inbox) != NATS_OK)
        return -EIO;
    char *subject = hc_asprintf("%s.*", inbox);
    int r = hc_bus_subscribe(bus, subject, NULL, on_reply, bus, &bus->inbox_sub);
    free(subject);
    if (r < 0) {
        natsInbox_Destroy(inbox);
        return r;
    }
    free(bus->inbox_prefix);
    bus->inbox_prefix = hc_strdup(inbox);
    natsInbox_Destroy(inbox);
    return 0;
}

int hc_bus_request(hc_bus_t *bus, const char *subject, const void *data, size_t len,
                   uint32_t timeout_ms, hc_bus_reply_cb cb, void *ud)
{
    if (!cb)
        return -EINVAL;
    if (bus->freeing)
        return -ENOTCONN;
    int r = ensure_inbox(bus);
    if (r < 0)
        return r;
    uint64_t id = ++bus->next_req_id;
    char reply[128];
    snprintf(reply, sizeof(reply), "%s.%" PRIu64, bus->inbox_prefix, id);
    r = hc_bus_publish_reply(bus, subject, reply, data, len);
    if (r < 0)
        return r;

    hc__bus_req_t *req = hc_calloc(1, sizeof(*req));
    req->bus = bus;
    req->id = id;
    req->cb = cb;
    req->ud = ud;
    hc_assert(uv_timer_init(bus->loop, &req->timer) == 0);
    bus->open_timers++;
    uv_timer_start(&req->timer, on_timeout, timeout_ms, 0);
    req->next = *bucket(bus, id);
    *bucket(bus, id) = req;
    return 0;
}

void hc__bus_req_cancel_all(hc_bus_t *bus)
{
    for (size_t i = 0; i < HC__BUS_REQ_BUCKETS; i++) {
        hc__bus_req_t *r;
        while ((r = bus->reqs[i]) != NULL) {
            bus->reqs[i] = r->next;
            finish(r, HC_BUS_CANCELED, NULL, 0);
        }
    }
    bus->inbox_sub = NULL; /* closed with the other subscriptions */
}
