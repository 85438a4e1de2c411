/*
 * web.h - the DEA's HTTP port (files, logs, live tail), shared by web.c and tail.c.
 *
 * hearth-core's HTTP server answers each request with a complete body; a live tail needs a
 * response that keeps growing, so the DEA's port is served by this small HTTP/1.1 server:
 * one GET per connection (Connection: close), bounded head, head timeout, bounded
 * connections, and the client's close noticed at once (the connection keeps reading).
 */
#ifndef HEARTH_DEA_WEB_H
#define HEARTH_DEA_WEB_H

#include "dea.h"

#define DEA_WEB_MAX_HEAD 16384
#define DEA_WEB_MAX_CONNS 256
#define DEA_WEB_HEAD_TIMEOUT_MS 10000

typedef struct dea_tail_s dea_tail_t;
typedef struct dea_web_conn_s dea_web_conn_t;

struct dea_web_conn_s {
    uv_tcp_t tcp;
    uv_timer_t timer;
    dea_web_t *web;
    dea_web_conn_t *prev, *next;
    char *head; /* DEA_WEB_MAX_HEAD bytes until the head is parsed */
    size_t len;
    char sink[512]; /* bytes after the head are read (to notice EOF) and dropped */
    int handles;
    bool parsed, closing;
    dea_tail_t *tail;
};

struct dea_web_s {
    dea_t *dea;
    uv_tcp_t listener;
    dea_web_conn_t *conns;
    size_t num_conns, num_tails;
    int port;
    bool closing;
};

/* Called when a write completes (not called when the connection is gone). */
typedef void (*dea_web_sent_cb)(dea_web_conn_t *c, void *data);

/*
 * Writes len bytes of data. With `owned` the connection frees data after the write; otherwise
 * data must stay valid until cb (or the connection's close). A failed write closes the
 * connection.
 */
void dea_web_send(dea_web_conn_t *c, char *data, size_t len, bool owned, dea_web_sent_cb cb,
                  void *cbdata);
/* Shuts the sending side down, then closes. */
void dea_web_finish(dea_web_conn_t *c);
void dea_web_close(dea_web_conn_t *c);

/* tail.c: follows dir/rel from offset on c (sends the head); false when refused (replied). */
void dea_tail_start(dea_web_conn_t *c, dea_inst_t *in, const char *rel, uint64_t offset);
/* The connection is closing: the tail stops and frees itself. */
void dea_tail_detach(dea_tail_t *t);

#endif
