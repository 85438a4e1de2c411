/*
 * rtr.h - the router's runtime: one context per process (the loop, the table, the
 * listeners, counters) and the connection objects of the proxy. Internal to src/router.
 *
 * Life of a request: a client connection (rtr_client_t) reads a head, builds an exchange
 * (rtr_exchange_t), which picks a backend from the table and binds an upstream connection
 * (rtr_upstream_t, pooled per backend). Bodies stream in both directions through the two
 * connections' fixed buffers with one write in flight per direction, so memory per
 * exchange is constant whatever the body size.
 */
#ifndef HEARTH_RTR_H
#define HEARTH_RTR_H

#include <uv.h>

#include "hc_buf.h"
#include "hc_http.h"
#include "hc_uuid.h"
#include "rtr_bus.h"
#include "rtr_conf.h"
#include "rtr_stats.h"
#include "rtr_table.h"

typedef struct rtr_s rtr_t;
typedef struct rtr_client_s rtr_client_t;
typedef struct rtr_upstream_s rtr_upstream_t;
typedef struct rtr_exchange_s rtr_exchange_t;

/* Body framing of one direction of an exchange, as it is forwarded. */
enum { RTR_FLOW_NONE, RTR_FLOW_LENGTH, RTR_FLOW_CHUNKED, RTR_FLOW_UNTIL_CLOSE, RTR_FLOW_TUNNEL };

typedef struct rtr_flow_s {
    int framing;
    uint64_t remaining; /* LENGTH: bytes not yet identified */
    hc_http_chunked_t chunked;
    size_t ready;    /* body bytes at the front of the source buffer, identified */
    size_t sent;     /* of those, the first ones already written but kept for a replay */
    size_t inflight; /* after those, the ones the pending write covers */
    bool retain;     /* keep written bytes (request body until the response starts) */
    bool lost;       /* written bytes were dropped: the body cannot be replayed */
    bool ident_done; /* the end of the body has been identified in the buffer */
    bool head_sent;
    bool done; /* everything written */
    uint64_t bytes;
} rtr_flow_t;

struct rtr_exchange_s {
    rtr_client_t *c;
    rtr_upstream_t *up;
    rtr_backend_t *be;  /* referenced while bound; be->active counts us */
    hc_buf_t head;      /* request head for the backend */
    size_t head_common; /* head length before the backend's X-CF-* headers */
    hc_buf_t rhead;     /* response head for the client */
    rtr_flow_t req, resp;
    char host[RTR_MAX_HOST + 1];
    hc_buf_t path; /* for lookups on retry and the access log */
    char method[16];
    char request_id[HC_UUID_STR_LEN + 1];
    char vcap_id[RTR_REG_MAX_ID + 1];
    char app_guid[RTR_REG_MAX_ID + 1], app_index[8];
    bool is_head, idempotent, upgrade, keep_alive, http10;
    bool resp_started; /* a byte came from the backend */
    bool resp_parsed;  /* the final (non-1xx) head was parsed */
    bool interim;      /* a 1xx head is being written to the client */
    bool close_after;  /* the client connection closes when this exchange ends */
    bool tunnel;
    bool failing;   /* the router's own error response is being written */
    bool up_keep;   /* the backend allows reusing the connection */
    bool fresh;     /* the next upstream connection is dialed, not taken from the pool */
    bool timed_out; /* the last attempt timed out: a backend already tried is not tried again */
    int status;
    uint32_t attempts, stale_retries;
    rtr_backend_t *tried[4];
    uint64_t start_ns;
};

struct rtr_client_s {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t wreq;
    rtr_t *r;
    char *buf;
    size_t len, cap, last_len;
    hc_buf_t ebuf; /* an error response being written */
    rtr_exchange_t *ex;
    struct rtr_tls_conn_s *tls; /* NULL on the plain port */
    rtr_exchange_t *spare;      /* the last exchange, kept with its buffers for the next */
    rtr_client_t *next, *prev;  /* all clients, for draining */
    char ip[48];
    uint64_t deadline_ms, due_ms; /* lazy timer (rtr_timer_arm) */
    int handles;                  /* open libuv handles; freed when it drops to 0 */
    bool reading, writing, closing, eof, in_head_timer;
    bool pp_pending; /* enable_proxy: a PROXY header may still come */
};

struct rtr_upstream_s {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_connect_t creq;
    uv_write_t wreq;
    rtr_t *r;
    rtr_backend_t *be; /* referenced for the connection's life */
    char *buf;
    size_t len, cap, last_len;
    rtr_exchange_t *ex;            /* NULL while idle in the pool */
    rtr_upstream_t *inext, *iprev; /* idle list of the backend */
    uint64_t deadline_ms, due_ms;  /* lazy timer (rtr_timer_arm); UINT64_MAX: none */
    int handles;
    bool connected, reading, writing, closing, reused, eof;
};

struct rtr_s {
    uv_loop_t *loop;
    rtr_conf_t conf;
    rtr_table_t *table;
    rtr_stats_t stats;
    uv_tcp_t listener, status_listener, tls_listener;
    struct rtr_tls_s *tls; /* certificates, when tls.port is set */
    uv_timer_t prune_timer, start_timer, drain_timer;
    rtr_bus_t *bus;
    bool bus_up, draining, closed;
    char id[HC_UUID_STR_LEN + 1];
    char host_ip[64];
    rtr_client_t *clients; /* list of open client connections */
    uint64_t nclients;
    uint64_t last_update_ms;
    FILE *access_log;
    json_t *component; /* vcap.component.announce body */
};

/* rtr_router.c: the process. rtr_init opens the listeners and the bus on loop; conf is copied
 * (its strings are borrowed and must outlive the router). */
int rtr_init(rtr_t *r, uv_loop_t *loop, const rtr_conf_t *conf, hc_err_t *err);
/* Applies a bus message (router.register / router.unregister / router.greet). */
void rtr_on_bus_message(rtr_t *r, const char *subject, const char *reply, const char *data,
                        size_t len);
void rtr_start_drain(rtr_t *r);
void rtr_close(rtr_t *r);

/* rtr_proxy.c: client side. */
int rtr_proxy_listen(rtr_t *r, hc_err_t *err);
void rtr_client_close(rtr_client_t *c);
/* A client write completed (also called by the TLS layer when its queued records are out). */
void rtr_cl_on_written(uv_write_t *req, int status);
void rtr_exchange_on_upstream_ready(rtr_exchange_t *ex);
void rtr_exchange_on_upstream_failed(rtr_exchange_t *ex, int uverr, bool dial);
void rtr_exchange_on_upstream_data(rtr_exchange_t *ex);
void rtr_exchange_on_upstream_eof(rtr_exchange_t *ex);
void rtr_exchange_on_upstream_written(rtr_exchange_t *ex);

/* rtr_upstream.c: backend connections and their keep-alive pools. */
/* Binds an idle pooled connection to ex, or dials a new one. */
void rtr_upstream_acquire(rtr_t *r, rtr_exchange_t *ex);
/* Returns the connection to its backend's pool, or closes it when it cannot be reused. */
void rtr_upstream_release(rtr_upstream_t *up, bool reusable);
void rtr_upstream_close(rtr_upstream_t *up);
/*
 * Writes bufs (at most 2). Returns 1 when everything was written at once (no callback
 * follows), 0 when the rest is queued (the bytes must stay untouched until
 * rtr_exchange_on_upstream_written), or a negative libuv error.
 */
int rtr_upstream_write(rtr_upstream_t *up, uv_buf_t *bufs, unsigned n);
/* The same for any stream: uv_try_write, then uv_write(req, ..., cb) for the rest. */
int rtr_stream_write(uv_stream_t *s, uv_write_t *req, uv_buf_t *bufs, unsigned n, uv_write_cb cb);
/*
 * Lazy deadline: a connection's timer fires at *due (0: not armed) and its callback, which
 * sets *due to 0, compares uv_now() with the connection's deadline and calls this again when
 * it is still ahead. Moving a deadline later then costs no timer operation, which is what
 * happens on every keep-alive request. Re-arms t only when it would fire after deadline.
 */
void rtr_timer_arm(uv_timer_t *t, uint64_t *due, uint64_t deadline, uv_timer_cb cb);
/* Resumes reading once the buffer has room again. */
void rtr_upstream_read_resume(rtr_upstream_t *up);
/* Closes a backend's idle connections (the backend left the table). */
void rtr_upstream_close_idle(rtr_backend_t *be);

/* rtr_status.c: /healthz, /varz, /routes. */
int rtr_status_listen(rtr_t *r, hc_err_t *err);

#endif
