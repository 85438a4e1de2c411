/*
 * The hand-off from libnats threads to the loop thread: one mutex-protected FIFO of
 * messages and events, and a uv_async_t to wake the loop. Messages are bounded (count and
 * bytes) and dropped past the bound; events and subscription completions never are, since
 * the bus's bookkeeping depends on them.
 */
#include <string.h>

#include "bus_internal.h"

/* Items handled per wake-up, so a flood cannot starve the rest of the loop. */
#define HC_BUS_DRAIN_BATCH 1024

bool hc__bus_on_loop_thread(const hc_bus_t *bus)
{
    return pthread_equal(pthread_self(), bus->loop_thread) != 0;
}

static void enqueue(hc_bus_t *bus, hc__bus_item_t *it)
{
    /* Caller holds qmu. */
    it->next = NULL;
    if (bus->qtail)
        bus->qtail->next = it;
    else
        bus->qhead = it;
    bus->qtail = it;
}

void hc__bus_push_msg(hc_bus_t *bus, hc_bus_sub_t *sub, natsMsg *msg)
{
    size_t bytes = (size_t)natsMsg_GetDataLength(msg) + strlen(natsMsg_GetSubject(msg));
    pthread_mutex_lock(&bus->qmu);
    if (bus->qmsgs >= bus->opts.max_queued_msgs ||
        bus->qbytes + bytes > bus->opts.max_queued_bytes) {
        bus->dropped++;
        pthread_mutex_unlock(&bus->qmu);
        natsMsg_Destroy(msg);
        return;
    }
    hc__bus_item_t *it = hc_calloc(1, sizeof(*it));
    it->kind = HC__BUS_ITEM_MSG;
    it->sub = sub;
    it->msg = msg;
    it->bytes = bytes;
    bus->qmsgs++;
    bus->qbytes += bytes;
    enqueue(bus, it);
    pthread_mutex_unlock(&bus->qmu);
    uv_async_send(&bus->async);
}

void hc__bus_push(hc_bus_t *bus, hc__bus_item_kind_t kind, hc_bus_sub_t *sub, hc_bus_event_t event)
{
    hc__bus_item_t *it = hc_calloc(1, sizeof(*it));
    it->kind = kind;
    it->sub = sub;
    it->event = event;
    pthread_mutex_lock(&bus->qmu);
    enqueue(bus, it);
    pthread_mutex_unlock(&bus->qmu);
    uv_async_send(&bus->async);
}

static void handle_event(hc_bus_t *bus, hc_bus_event_t event)
{
    if (event == HC_BUS_CLOSED)
        bus->closed_seen = true;
    if (bus->freeing)
        return;
    hc__bus_component_on_event(bus, event);
    if (bus->opts.on_state)
        bus->opts.on_state(bus, event, bus->opts.ud);
}

void hc__bus_on_async(uv_async_t *async)
{
    hc_bus_t *bus = HC_CONTAINER_OF(async, hc_bus_t, async);
    hc__bus_io_apply(&bus->io);

    for (int n = 0; n < HC_BUS_DRAIN_BATCH; n++) {
        pthread_mutex_lock(&bus->qmu);
        hc__bus_item_t *it = bus->qhead;
        if (it) {
            bus->qhead = it->next;
            if (!bus->qhead)
                bus->qtail = NULL;
            if (it->kind == HC__BUS_ITEM_MSG) {
                bus->qmsgs--;
                bus->qbytes -= it->bytes;
            }
        }
        pthread_mutex_unlock(&bus->qmu);
        if (!it)
            break;
        switch (it->kind) {
        case HC__BUS_ITEM_MSG:
            hc__bus_sub_deliver(it->sub, it->msg);
            break;
        case HC__BUS_ITEM_SUB_DONE:
            hc__bus_sub_done(it->sub);
            break;
        case HC__BUS_ITEM_EVENT:
            handle_event(bus, it->event);
            break;
        }
        free(it);
    }

    pthread_mutex_lock(&bus->qmu);
    bool more = bus->qhead != NULL;
    pthread_mutex_unlock(&bus->qmu);
    if (more)
        uv_async_send(&bus->async); /* continue on the next loop iteration */
    else
        hc__bus_maybe_finish(bus);
}
