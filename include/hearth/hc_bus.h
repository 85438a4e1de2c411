/*
 * hc_bus.h - a daemon's connection to the bus (NATS protocol, through libnats), driven by
 * the daemon's libuv loop.
 *
 * Threading: libnats runs its own threads (reconnect, flusher, message delivery). This
 * module hands everything they produce to the loop thread through one bounded queue and a
 * uv_async_t, so every callback declared here runs on the loop thread, and every function
 * here must be called on the loop thread (the one that called hc_bus_new) unless said
 * otherwise.
 *
 * Connection policy: a comma-separated server list, reconnect forever with exponential
 * backoff plus jitter, and a start that never fails because the bus is down (the first
 * connection is retried in the background; HC_BUS_CONNECTED reports it). The first
 * attempt runs inside hc_bus_new and is bounded by connect_timeout_ms; use IP addresses or
 * names that resolve locally so it cannot hang on DNS.
 *
 * Publishing while disconnected does not block: libnats buffers up to reconnect_buf_bytes
 * and sends them after reconnecting; past that a publish fails with -ENOBUFS. Subscriptions
 * are re-sent by libnats after every reconnect.
 */
#ifndef HEARTH_CORE_BUS_H
#define HEARTH_CORE_BUS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "hc_base.h"

typedef struct hc_bus_s hc_bus_t;
typedef struct hc_bus_sub_s hc_bus_sub_t;

/* Connection state changes, delivered on the loop thread in the order they happened. */
typedef enum hc_bus_event_e {
    HC_BUS_CONNECTED = 1,    /* first connection established (at start or later) */
    HC_BUS_DISCONNECTED = 2, /* lost the server; reconnecting in the background */
    HC_BUS_RECONNECTED = 3,  /* connected again; subscriptions have been re-sent */
    /* Closed for good: libnats gave up (e.g. the server rejected our credentials twice in
     * a row). Publishing fails with -ENOTCONN from now on; the owner decides (exit,
     * recreate the bus). Not reported for the close that hc_bus_free makes. */
    HC_BUS_CLOSED = 4,
} hc_bus_event_t;

typedef void (*hc_bus_state_cb)(hc_bus_t *bus, hc_bus_event_t event, void *ud);

/* Status values a request callback receives. */
#define HC_BUS_OK 0
#define HC_BUS_TIMEOUT (-ETIMEDOUT)    /* no reply within timeout_ms */
#define HC_BUS_NO_RESPONDERS (-ENOENT) /* the server says nobody subscribes to the subject */
#define HC_BUS_CANCELED (-ECANCELED)   /* hc_bus_free() was called first */

/* Defaults used where an option is 0 / NULL. */
#define HC_BUS_DEFAULT_RECONNECT_WAIT_MS 250
#define HC_BUS_DEFAULT_RECONNECT_MAX_WAIT_MS 4000
#define HC_BUS_DEFAULT_RECONNECT_JITTER_MS 250
#define HC_BUS_DEFAULT_CONNECT_TIMEOUT_MS 2000
#define HC_BUS_DEFAULT_PING_INTERVAL_MS 20000
#define HC_BUS_DEFAULT_RECONNECT_BUF_BYTES ((size_t)8 * 1024 * 1024)
#define HC_BUS_DEFAULT_MAX_QUEUED_MSGS ((size_t)65536)
#define HC_BUS_DEFAULT_MAX_QUEUED_BYTES ((size_t)64 * 1024 * 1024)
#define HC_BUS_MAX_URLS 32
#define HC_BUS_MAX_SUBJECT 1024

typedef struct hc_bus_opts_s {
    const char *name;     /* client name shown by the server, or NULL */
    const char *user;     /* user/password auth (also accepted inside the URLs), or NULL */
    const char *password; /* */
    const char *token;    /* token auth, or NULL */
    /* Reconnect backoff: wait, doubled after each full pass over the server list up to
     * max_wait, plus a random 0..jitter. */
    uint32_t reconnect_wait_ms;
    uint32_t reconnect_max_wait_ms;
    uint32_t reconnect_jitter_ms;
    uint32_t connect_timeout_ms; /* per connection attempt, TCP + handshake */
    uint32_t ping_interval_ms;   /* keepalive; a dead server is noticed after 2 missed PONGs */
    size_t reconnect_buf_bytes;  /* publishes buffered while disconnected */
    /* false (default): each publish is written in the loop tick that makes it (lowest
     * latency). true: libnats' flusher thread batches writes (more throughput for
     * publishers of many small messages, about +1 ms latency per message). */
    bool batch_writes;
    /* The hand-off queue from libnats threads to the loop: messages beyond these limits are
     * dropped and counted (hc_bus_dropped); state changes are never dropped. */
    size_t max_queued_msgs;
    size_t max_queued_bytes;
    hc_bus_state_cb on_state; /* may be NULL */
    void *ud;                 /* passed to on_state */
} hc_bus_opts_t;

/* A received message; every pointer is valid only during the callback. */
typedef struct hc_bus_msg_s {
    const char *subject;
    const char *reply; /* NULL when the sender expects no reply */
    const char *data;  /* NUL-terminated for convenience (not counted in len) */
    size_t len;
    const void *_nmsg; /* private: the libnats message */
} hc_bus_msg_t;

/* May call hc_bus_unsubscribe(sub), hc_bus_free() and any other bus function. */
typedef void (*hc_bus_msg_cb)(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud);
/*
 * status: HC_BUS_OK (data/len hold the reply, valid during the call), HC_BUS_TIMEOUT,
 * HC_BUS_NO_RESPONDERS or HC_BUS_CANCELED (data NULL, len 0). Called exactly once.
 */
typedef void (*hc_bus_reply_cb)(hc_bus_t *bus, int status, const char *data, size_t len, void *ud);

/*
 * Creates the bus client on `loop` (call on the loop's thread) and starts connecting to
 * `urls`, a comma-separated list such as "nats://10.0.0.1:4222,nats://u:p@10.0.0.2:4222".
 * opts may be NULL (defaults). Succeeds even when no server is reachable; fails only on
 * bad arguments (-EINVAL with err set) or a libnats failure (-EIO). Writes *ret_bus on
 * success; the caller frees it with hc_bus_free().
 */
int hc_bus_new(uv_loop_t *loop, const char *urls, const hc_bus_opts_t *opts, hc_bus_t **ret_bus,
               hc_err_t *err);

/*
 * Closes the connection and releases everything. Pending requests get HC_BUS_CANCELED
 * (synchronously, inside this call); no other callback runs afterwards. The memory and
 * libuv handles are released once libnats has finished with them, which needs the loop to
 * keep running (uv_run returns when they are closed). Accepts NULL.
 */
void hc_bus_free(hc_bus_t *bus);

/*
 * True when `subject` is safe to put on the wire: 1..HC_BUS_MAX_SUBJECT bytes, no spaces or
 * control characters, no empty token ("a..b", ".a", "a."). With allow_wildcards, `*` and
 * `>` may be whole tokens, `>` only the last one; without, they may not appear as tokens.
 * Every function here checks its subjects (and queue groups) with it and returns -EINVAL,
 * so a subject built from peer input can never inject protocol.
 */
bool hc_bus_subject_valid(const char *subject, bool allow_wildcards);

/*
 * Releases libnats' global state and joins its threads (nats_CloseAndWait), after every bus
 * has been freed and the loop has run until they closed; call once at process exit so
 * LeakSanitizer and valgrind see a clean exit. Returns 0, or -ETIMEDOUT if libnats threads
 * were still busy after timeout_ms (0: wait without limit).
 */
int hc_bus_lib_close(uint32_t timeout_ms);

/* True when the connection is up right now (callable from any thread). */
bool hc_bus_connected(hc_bus_t *bus);
/* Messages dropped because the hand-off queue was full, since hc_bus_new. */
uint64_t hc_bus_dropped(hc_bus_t *bus);
/* The libuv loop the bus runs on. */
uv_loop_t *hc_bus_loop(hc_bus_t *bus);

/*
 * Publishes len bytes (borrowed; copied before returning) on `subject`, with an optional
 * reply subject (NULL for none). Never blocks on the network. Returns 0, -EINVAL (bad
 * subject), -EMSGSIZE (over the server's max payload), -ENOBUFS (disconnected and the
 * reconnect buffer is full), -ENOTCONN (closed) or -EIO.
 */
int hc_bus_publish(hc_bus_t *bus, const char *subject, const void *data, size_t len);
int hc_bus_publish_reply(hc_bus_t *bus, const char *subject, const char *reply, const void *data,
                         size_t len);
/* Publishes the compact JSON encoding of `json` (borrowed). Same returns as hc_bus_publish. */
int hc_bus_publish_json(hc_bus_t *bus, const char *subject, const json_t *json);
/* Publishes data on msg->reply; -EINVAL when msg has no reply subject. */
int hc_bus_reply(hc_bus_t *bus, const hc_bus_msg_t *msg, const void *data, size_t len);

/*
 * Subscribes to `subject` (wildcards `*` and `>` allowed), in queue group `queue` when not
 * NULL (each message goes to one member of the group). cb runs on the loop thread for each
 * message until hc_bus_unsubscribe or hc_bus_free. Works while disconnected (sent on
 * connect). Writes *ret_sub (owned by the bus; pass it to hc_bus_unsubscribe, or let
 * hc_bus_free release it) and returns 0, or -EINVAL / -ENOTCONN / -EIO.
 */
int hc_bus_subscribe(hc_bus_t *bus, const char *subject, const char *queue, hc_bus_msg_cb cb,
                     void *ud, hc_bus_sub_t **ret_sub);
/* Stops the subscription: cb is never called again, even for messages already queued.
 * Safe inside cb. Accepts NULL. */
void hc_bus_unsubscribe(hc_bus_sub_t *sub);
hc_bus_t *hc_bus_sub_bus(hc_bus_sub_t *sub);

/*
 * Sends a request and calls cb once with the first reply, or HC_BUS_TIMEOUT after
 * timeout_ms, or HC_BUS_NO_RESPONDERS when the server reports no subscriber. Never blocks.
 * Replies arrive on one shared inbox subscription ("_INBOX.<random>.<n>"). Returns 0
 * (cb will be called), or the hc_bus_publish errors (cb will not be called).
 */
int hc_bus_request(hc_bus_t *bus, const char *subject, const void *data, size_t len,
                   uint32_t timeout_ms, hc_bus_reply_cb cb, void *ud);

/*
 * Component registration (cf-v1.md §10): publishes `vcap.component.announce` with `info`
 * now if connected and again after every (re)connection, and answers every
 * `vcap.component.discover` request with it. The bus keeps a reference to `info` (it is
 * not copied): the caller may keep updating the object (uptime, ...) and each announce or
 * reply sends its content at that moment. Returns 0 or a hc_bus_subscribe error. Calling
 * it again replaces the info.
 */
int hc_bus_component_start(hc_bus_t *bus, json_t *info);
/* Stops announcing and answering; drops the reference. No-op when not started. */
void hc_bus_component_stop(hc_bus_t *bus);

#endif
