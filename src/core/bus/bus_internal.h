/*
 * Private to src/core/bus. The bus object, the hand-off queue from libnats threads to the
 * loop thread, and the event-loop adapter that lets libnats do its socket I/O on the loop.
 */
#ifndef HEARTH_CORE_BUS_INTERNAL_H
#define HEARTH_CORE_BUS_INTERNAL_H

#include <nats/nats.h>
#include <pthread.h>

#include "hc_bus.h"

/*
 * Event-loop adapter state. libnats calls attach/read/write/detach from any of its threads
 * (with its connection lock held); they record the wanted poll state under `mu` and wake
 * the loop, which applies it. On the loop thread the state is applied at once.
 */
typedef struct hc__bus_io_s {
    hc_bus_t *bus;
    uv_mutex_t mu;
    /* Wanted state (under mu). */
    natsConnection *nc;
    int fd;
    unsigned gen; /* bumped by every attach: a new socket, even if it reuses the fd number */
    bool want_read, want_write, detached;
    /* Applied state (loop thread only). */
    uv_poll_t *poll;
    natsConnection *cur_nc;
    unsigned cur_gen;
    int cur_events;
    bool cur_detached;
} hc__bus_io_t;

typedef enum hc__bus_item_kind_e {
    HC__BUS_ITEM_MSG = 1,
    HC__BUS_ITEM_SUB_DONE = 2, /* libnats will never call the subscription's handler again */
    HC__BUS_ITEM_EVENT = 3,
} hc__bus_item_kind_t;

typedef struct hc__bus_item_s {
    struct hc__bus_item_s *next;
    hc__bus_item_kind_t kind;
    hc_bus_sub_t *sub;
    natsMsg *msg;
    hc_bus_event_t event;
    size_t bytes;
} hc__bus_item_t;

struct hc_bus_sub_s {
    hc_bus_t *bus;
    natsSubscription *ns;
    hc_bus_msg_cb cb;
    void *ud;
    bool closed; /* unsubscribed by the owner: never call cb again */
    bool done;   /* libnats finished with it (SUB_DONE seen) */
    hc_bus_sub_t *prev, *next;
};

typedef struct hc__bus_req_s hc__bus_req_t;
#define HC__BUS_REQ_BUCKETS 256

typedef struct hc__bus_component_s {
    json_t *info;
    hc_bus_sub_t *discover_sub;
} hc__bus_component_t;

struct hc_bus_s {
    uv_loop_t *loop;
    pthread_t loop_thread;
    natsConnection *nc;
    hc_bus_opts_t opts;
    hc__bus_io_t io;
    uv_async_t async;

    /* Hand-off queue (under qmu). */
    pthread_mutex_t qmu;
    hc__bus_item_t *qhead, *qtail;
    size_t qmsgs, qbytes;
    uint64_t dropped;

    hc_bus_sub_t *subs; /* live and closing subscriptions */
    /* Requests. */
    char *inbox_prefix; /* "_INBOX.<nuid>" */
    hc_bus_sub_t *inbox_sub;
    uint64_t next_req_id;
    hc__bus_req_t *reqs[HC__BUS_REQ_BUCKETS];
    size_t open_timers; /* request timers not yet closed */
    hc__bus_component_t comp;

    bool freeing;       /* hc_bus_free called */
    bool closed_seen;   /* libnats reported the connection closed */
    bool async_closing; /* the final uv_close has been issued */
};

/* Maps a libnats status to -errno. */
int hc__bus_status_errno(natsStatus s);

/* Adapter callbacks for natsOptions_SetEventLoop; `loop` is the hc__bus_io_t. */
natsStatus hc__bus_io_attach(void **user_data, void *loop, natsConnection *nc, natsSock fd);
natsStatus hc__bus_io_read(void *user_data, bool add);
natsStatus hc__bus_io_write(void *user_data, bool add);
natsStatus hc__bus_io_detach(void *user_data);
/* Applies the wanted poll state (loop thread). */
void hc__bus_io_apply(hc__bus_io_t *io);
void hc__bus_io_init(hc__bus_io_t *io, hc_bus_t *bus);
void hc__bus_io_release(hc__bus_io_t *io);

/* Queue: push from any thread (takes ownership of msg), drain on the loop thread. */
void hc__bus_push_msg(hc_bus_t *bus, hc_bus_sub_t *sub, natsMsg *msg);
void hc__bus_push(hc_bus_t *bus, hc__bus_item_kind_t kind, hc_bus_sub_t *sub, hc_bus_event_t event);
void hc__bus_on_async(uv_async_t *async);
bool hc__bus_on_loop_thread(const hc_bus_t *bus);

/* Subscriptions: the handler libnats calls, and the loop-side bookkeeping. */
void hc__bus_sub_deliver(hc_bus_sub_t *sub, natsMsg *msg);
void hc__bus_sub_done(hc_bus_sub_t *sub);
void hc__bus_sub_close_all(hc_bus_t *bus);

/* Requests: cancel all pending ones (hc_bus_free). */
void hc__bus_req_cancel_all(hc_bus_t *bus);
/* Component: react to (re)connection. */
void hc__bus_component_on_event(hc_bus_t *bus, hc_bus_event_t event);
/* Frees the bus once nothing refers to it any more (loop thread). */
void hc__bus_maybe_finish(hc_bus_t *bus);

#endif
