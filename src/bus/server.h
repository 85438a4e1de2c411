/*
 * server.h - hearth-bus's daemon context and its connections: one libuv loop, one listener,
 * one shared read buffer, per-client output buffers flushed once per loop iteration (uv_check),
 * a server-wide housekeeping tick (pings, auth timeouts, write deadlines).
 *
 * Every function here runs on the loop thread only.
 */
#ifndef HEARTH_BUS_SERVER_H
#define HEARTH_BUS_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "hc_base.h"
#include "hc_buf.h"
#include "hmap.h"
#include "proto.h"
#include "sublist.h"

/* What nats-server version's protocol we speak (INFO "version", /varz). */
#define BUS_COMPAT_VERSION "2.9.10"

typedef struct bus_opts_s {
    char *host; /* listen address, default 0.0.0.0 */
    int port;
    char *http_host;
    int http_port; /* 0: no monitoring */
    uint64_t max_payload, max_control_line, max_pending;
    uint64_t max_connections;
    uint64_t ping_interval_ms, ping_max, write_deadline_ms, auth_timeout_ms, lame_duck_ms;
    char *user, *pass, *token;
    bool tls;
    char *tls_cert, *tls_key;
    char *log_file;
    bool debug, trace;
} bus_opts_t;

/* Closed reasons shown by /connz?state=closed (nats-server's texts). */
typedef enum bus_close_reason_e {
    BUS_CLOSE_CLIENT = 0,
    BUS_CLOSE_PROTOCOL,
    BUS_CLOSE_MAX_PAYLOAD,
    BUS_CLOSE_MAX_CONTROL,
    BUS_CLOSE_AUTH,
    BUS_CLOSE_AUTH_TIMEOUT,
    BUS_CLOSE_STALE,
    BUS_CLOSE_BAD_PROTOCOL,
    BUS_CLOSE_NO_RESPONDERS_HEADERS,
    BUS_CLOSE_MAX_CONNECTIONS,
    BUS_CLOSE_SLOW_PENDING,
    BUS_CLOSE_SLOW_DEADLINE,
    BUS_CLOSE_WRITE_ERROR,
    BUS_CLOSE_READ_ERROR,
    BUS_CLOSE_SHUTDOWN,
    BUS_CLOSE_TLS,
} bus_close_reason_t;
const char *bus_close_reason_text(bus_close_reason_t r);

typedef struct bus_server_s bus_server_t;
typedef struct bus_tls_s bus_tls_t;

typedef struct bus_client_s {
    uv_tcp_t tcp;
    bus_server_t *srv;
    uint64_t cid;
    struct bus_client_s *prev, *next; /* all open clients */
    bus_parser_t parser;
    /* from CONNECT */
    bool verbose, pedantic, echo, headers, no_responders;
    bool connected; /* CONNECT seen and accepted */
    int protocol;
    char *name, *lang, *version, *user;
    char ip[64];
    int port;
    bus_hmap_t subs; /* sid -> bus_sub_t */
    /* output: `out` is being filled, `wbuf` is in flight in uv_write */
    char *out;
    size_t out_len, out_cap;
    char *wbuf;
    size_t wbuf_len, wbuf_cap;
    uv_write_t wreq;
    bool writing;
    bool dirty;
    struct bus_client_s *next_dirty;
    bool closing; /* marked; torn down in the loop's check phase */
    bool closed_tcp;
    bus_close_reason_t reason;
    struct bus_client_s *next_close;
    /* back-pressure: producers stalled until this consumer drains */
    struct bus_client_s *stalled_head;
    struct bus_client_s *stall_on, *stall_prev, *stall_next;
    bool reading;
    /* timers (ms, loop clock) */
    uint64_t start_ms, last_activity_ms, next_ping_ms, auth_deadline_ms, last_write_ms;
    int64_t start_wall_ms;
    int pings_out;
    uint64_t rtt_start_ns, rtt_ns;
    /* counters */
    uint64_t in_msgs, out_msgs, in_bytes, out_bytes;
    bus_tls_t *tls;
    /* the last match result of this publisher, reused while the sublist is unchanged */
    bus_result_t *last_result;
    uint64_t last_gen;
} bus_client_t;

/* A closed connection remembered for /connz?state=closed. */
typedef struct bus_closed_s {
    uint64_t cid;
    char ip[64];
    int port;
    int64_t start_wall_ms, stop_wall_ms;
    uint64_t in_msgs, out_msgs, in_bytes, out_bytes, subs;
    char *name, *lang, *version;
    bus_close_reason_t reason;
} bus_closed_t;

struct bus_server_s {
    uv_loop_t *loop;
    bus_opts_t opts;
    uv_tcp_t listener, http_listener;
    bool listening, http_listening;
    uv_check_t check;
    uv_timer_t tick, lame_timer;
    uv_signal_t sigterm, sigint, sigusr2;
    bus_sublist_t *sl;
    char server_id[57];
    bool auth_required;
    char *read_buf;
    uint64_t next_cid;
    bus_client_t *clients;
    uint64_t nclients;
    bus_client_t *dirty_head;
    bus_client_t *close_head;
    bus_sub_t **dead_subs;
    size_t ndead, dead_cap;
    uint64_t rng;
    /* counters for /varz */
    uint64_t in_msgs, out_msgs, in_bytes, out_bytes, slow_consumers, total_connections;
    int64_t start_wall_ms;
    uint64_t http_reqs[5];
    bus_closed_t *closed;
    size_t closed_n, closed_next;
    bool lame_duck, stopping;
    int exit_code;
    struct bus_tls_ctx_s *tls_ctx;
    /* cpu% for /varz */
    uint64_t cpu_last_ns, cpu_last_usage_us;
    double cpu_pct;
};

/* Fills opts with nats-server's defaults. */
void bus_opts_defaults(bus_opts_t *o);
void bus_opts_release(bus_opts_t *o);

/*
 * Loads a nats-server style config file (key: value, key = value, blocks). Returns 0, or a
 * negative errno with err set to "FILE:LINE: message".
 */
int bus_conf_load(bus_opts_t *o, const char *path, hc_err_t *err);
/* Checks cross-option rules (max_payload <= max_pending, ...). Returns 0 or -EINVAL with err. */
int bus_opts_check(const bus_opts_t *o, hc_err_t *err);

/* Starts listening (and monitoring when http_port > 0). Returns 0 or -errno with err set. */
int bus_server_start(bus_server_t *s, uv_loop_t *loop, const bus_opts_t *opts, hc_err_t *err);
/* Enters lame-duck mode: stop accepting, tell clients, flush, then close everything. */
void bus_server_lame_duck(bus_server_t *s);
/* Closes every handle; run the loop afterwards so close callbacks fire. */
void bus_server_stop(bus_server_t *s);
void bus_server_release(bus_server_t *s);

/* client.c */
void bus_client_accept(bus_server_t *s, uv_stream_t *listener);
/* Marks c to be closed in this iteration's check phase; sends -ERR 'text' first when text. */
void bus_client_close(bus_client_t *c, bus_close_reason_t reason, const char *err_text);
/* Queues raw protocol bytes. Returns false when the client was cut off as a slow consumer. */
bool bus_client_queue(bus_client_t *c, const char *p, size_t len);
/* Reserves len bytes at the end of the output buffer; NULL when cut off as a slow consumer. */
char *bus_client_reserve(bus_client_t *c, size_t len);
void bus_client_flush(bus_client_t *c);
/* Tears down a client marked closing (check phase only). */
void bus_client_teardown(bus_client_t *c);
void bus_client_tick(bus_client_t *c, uint64_t now);
size_t bus_client_pending(const bus_client_t *c);
/* Feeds bytes read from the socket (plain text) to the parser and runs the operations. */
void bus_client_process(bus_client_t *c, const char *buf, size_t len);
void bus_client_send_info(bus_client_t *c, bool ldm);

/* deliver.c: routes one PUB/HPUB from c to every matching subscription. */
void bus_deliver(bus_client_t *c, const bus_op_t *op);
/* Schedules a removed subscription's memory for release in the check phase. */
void bus_server_sub_dead(bus_server_t *s, bus_sub_t *sub);
uint64_t bus_server_rand(bus_server_t *s);
void bus_server_closed_add(bus_server_t *s, const bus_client_t *c);

/* auth.c: does CONNECT's credentials satisfy the configured authorization? */
bool bus_auth_check(const bus_opts_t *o, const char *user, const char *pass, const char *token);

/* monitor.c */
int bus_monitor_start(bus_server_t *s, hc_err_t *err);
/* Closes monitoring connections still open (an idle one must not keep a stopping loop alive). */
void bus_monitor_close_all(bus_server_t *s);
/* Builds the JSON body of a monitoring endpoint; returns the HTTP status. */
int bus_monitor_render(bus_server_t *s, const char *path, size_t path_len, const char *query,
                       size_t query_len, hc_buf_t *out);

#endif
