/*
 * Subscriptions. libnats calls our handler on its delivery thread; the handler only moves
 * the message into the hand-off queue. A subscription's memory is freed on the loop once
 * both its owner closed it and libnats reported it will never call the handler again
 * (natsSubscription_SetOnCompleteCB), so no libnats thread can see freed memory.
 */
#include <string.h>

#include "bus_internal.h"

static void on_nats_msg(natsConnection *nc, natsSubscription *ns, natsMsg *msg, void *closure)
{
    hc_bus_sub_t *sub = closure;
    hc__bus_push_msg(sub->bus, sub, msg);
}

static void on_nats_complete(void *closure)
{
    hc_bus_sub_t *sub = closure;
    hc__bus_push(sub->bus, HC__BUS_ITEM_SUB_DONE, sub, 0);
}

static void unlink_and_free(hc_bus_sub_t *sub)
{
    hc_bus_t *bus = sub->bus;
    if (sub->prev)
        sub->prev->next = sub->next;
    else
        bus->subs = sub->next;
    if (sub->next)
        sub->next->prev = sub->prev;
    free(sub);
}

int hc_bus_subscribe(hc_bus_t *bus, const char *subject, const char *queue, hc_bus_msg_cb cb,
                     void *ud, hc_bus_sub_t **ret_sub)
{
    if (!hc_bus_subject_valid(subject, true) || !cb ||
        (queue && !hc_bus_subject_valid(queue, false)))
        return -EINVAL;
    if (bus->freeing || !bus->nc)
        return -ENOTCONN;
    hc_bus_sub_t *sub = hc_calloc(1, sizeof(*sub));
    sub->bus = bus;
    sub->cb = cb;
    sub->ud = ud;
    natsStatus s =
        queue ? natsConnection_QueueSubscribe(&sub->ns, bus->nc, subject, queue, on_nats_msg, sub)
              : natsConnection_Subscribe(&sub->ns, bus->nc, subject, on_nats_msg, sub);
    if (s != NATS_OK) {
        free(sub);
        return hc__bus_status_errno(s);
    }
    s = natsSubscription_SetOnCompleteCB(sub->ns, on_nats_complete, sub);
    if (s != NATS_OK) {
        /* Without a completion we cannot know when freeing is safe: keep it forever. */
        sub->closed = true;
        natsSubscription_Unsubscribe(sub->ns);
        return hc__bus_status_errno(s);
    }
    sub->next = bus->subs;
    if (bus->subs)
        bus->subs->prev = sub;
    bus->subs = sub;
    *ret_sub = sub;
    return 0;
}

void hc_bus_unsubscribe(hc_bus_sub_t *sub)
{
    if (!sub || sub->closed)
        return;
    sub->closed = true;
    if (sub->ns) {
        natsSubscription_Unsubscribe(sub->ns);
        natsSubscription_Destroy(sub->ns);
        sub->ns = NULL;
    }
    if (sub->done)
        unlink_and_free(sub);
}

hc_bus_t *hc_bus_sub_bus(hc_bus_sub_t *sub)
{
    return sub->bus;
}

void hc__bus_sub_deliver(hc_bus_sub_t *sub, natsMsg *msg)
{
    if (!sub->closed && !sub->bus->freeing) {
        hc_bus_msg_t m = {
            .subject = natsMsg_GetSubject(msg),
            .reply = natsMsg_GetReply(msg),
            .data = natsMsg_GetData(msg),
            .len = (size_t)natsMsg_GetDataLength(msg),
            ._nmsg = msg,
        };
        if (m.reply && !*m.reply)
            m.reply = NULL;
        if (!m.data)
            m.data = "";
        sub->cb(sub, &m, sub->ud);
    }
    natsMsg_Destroy(msg);
}

void hc__bus_sub_done(hc_bus_sub_t *sub)
{
    sub->done = true;
    if (sub->closed)
        unlink_and_free(sub);
}

void hc__bus_sub_close_all(hc_bus_t *bus)
{
    hc_bus_sub_t *next;
    for (hc_bus_sub_t *sub = bus->subs; sub; sub = next) {
        next = sub->next; /* hc_bus_unsubscribe may free sub */
        hc_bus_unsubscribe(sub);
    }
}
