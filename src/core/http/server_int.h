/*
 * server_int.h - what the HTTP server's files (server.c, conn.c, response.c, route.c) share.
 * Not a public header: components use hc_http_server.h.
 */
#ifndef HEARTH_CORE_HTTP_SERVER_INT_H
#define HEARTH_CORE_HTTP_SERVER_INT_H

#include "hc_http_server.h"

/* Bytes of the next pipelined requests buffered while one is being handled; then reading stops. */
#define HC__HTTP_PIPELINE_MAX ((size_t)64 * 1024)
#define HC__HTTP_READ_CHUNK ((size_t)64 * 1024)

typedef struct hc__http_route_s {
    char *method; /* NULL: any */
    char *pattern;
    hc_http_handler_fn fn;
    void *data;
    struct hc__http_route_s *next;
} hc__http_route_t;

typedef struct hc__http_conn_s hc__http_conn_t;

struct hc_http_server_s {
    uv_loop_t *loop;
    uv_tcp_t listener;
    uv_timer_t drain_timer;
    hc_http_server_conf_t conf;
    char *host;
    int port;
    hc__http_route_t *routes, **routes_tail;
    hc__http_conn_t *conns; /* doubly linked, every connection until its close callback */
    size_t num_conns;
    int open_handles; /* listener and drain timer not yet closed */
    bool closing, close_done, drain_closed, free_when_closed;
    hc_http_server_closed_fn done;
    void *done_data;
};

typedef enum hc__http_conn_state_e {
    HC__CONN_HEAD = 0, /* reading a request head (or idle between requests) */
    HC__CONN_BODY,     /* head parsed, reading its body */
    HC__CONN_HANDLING, /* a handler owns the request; no parsing until it answers */
    HC__CONN_CLOSING,  /* last response queued; close once it is written */
} hc__http_conn_state_t;

typedef enum hc__http_timer_e {
    HC__TIMER_NONE = 0,
    HC__TIMER_IDLE,
    HC__TIMER_HEAD,
    HC__TIMER_BODY,
    HC__TIMER_LINGER,   /* last response queued, waiting for it to be written */
    HC__TIMER_SHUTDOWN, /* written and shut down, draining what the peer still sends */
} hc__http_timer_t;

#define HC__HTTP_SHUTDOWN_LINGER_MS 2000

struct hc__http_conn_s {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shutdown_req;
    hc_http_server_t *srv;
    hc__http_conn_t *prev, *next;
    hc__http_conn_state_t state;
    hc__http_timer_t timer_mode;
    hc_buf_t rbuf;   /* bytes read and not yet handed to a request */
    size_t last_len; /* rbuf length at the last incomplete parse */
    /* The body being read (state HC__CONN_BODY). */
    size_t head_len;
    hc_http_body_t body_kind;
    uint64_t content_length;
    hc_http_chunked_t chunked;
    size_t body_len;    /* decoded bytes, stored right after the head */
    size_t raw_pos;     /* first byte not yet run through the chunked decoder */
    hc_http_res_t *res; /* the request being handled, the connection holds a reference */
    size_t out_bytes;   /* queued in writes not yet completed */
    int open_handles;
    bool reading, peer_eof, closing, in_process, shut;
    char peer[64];
};

struct hc_http_res_s {
    int refs;
    hc__http_conn_t *conn; /* NULL once the reply is sent or the connection is gone */
    hc_http_request_t req;
    hc_http_header_t headers[HC_HTTP_MAX_HEADERS];
    hc_buf_t data;          /* owns the request's bytes: head then decoded body */
    hc_buf_t extra_headers; /* "Name: value\r\n" lines set by the handler */
    bool sent, cancelled, head_method, keep_alive;
    hc_http_cancel_fn cancel_fn;
    void *cancel_data;
};

/* route.c: finds the route for (method, path); fills req->params. Returns 0, 404 or 405 (with
 * the allowed methods appended to allow as "GET, POST"). */
int hc__http_route_find(const hc__http_route_t *routes, hc_str_t method, hc_str_t path,
                        hc_http_request_t *req, const hc__http_route_t **ret_route,
                        hc_buf_t *allow);
void hc__http_routes_free(hc__http_route_t *routes);

/* conn.c */
void hc__http_conn_start(hc_http_server_t *srv, uv_stream_t *listener);
void hc__http_conn_close(hc__http_conn_t *c);
/* Server is closing: closes the connection now if it is idle, otherwise after its response. */
void hc__http_conn_drain(hc__http_conn_t *c);
/* Queues bytes for writing; takes ownership of the buffer's memory (it is left empty). */
void hc__http_conn_write(hc__http_conn_t *c, hc_buf_t *out);
/* Same, followed by a malloc'd body the connection takes over (freed after the write). */
void hc__http_conn_writev(hc__http_conn_t *c, hc_buf_t *head, char *body, size_t body_len);
/* The response to the current request has been queued; keep_alive says whether more may follow. */
void hc__http_conn_response_done(hc__http_conn_t *c, bool keep_alive);

/* response.c */
hc_http_res_t *hc__http_res_new(hc__http_conn_t *c);
/* Connection closed before the reply: marks the response cancelled and drops the connection's ref.
 */
void hc__http_res_detach(hc_http_res_t *res);
/* Sends a complete error response on a connection and closes it after the write. */
void hc__http_send_error(hc__http_conn_t *c, int status);
/* Serialises a response head (and body) into out. */
void hc__http_format_response(hc_buf_t *out, int status, const char *content_type,
                              const hc_buf_t *extra_headers, const void *body, size_t len,
                              bool send_body, bool keep_alive);

/* server.c: a connection's close callback is done with it. */
void hc__http_server_conn_gone(hc_http_server_t *srv, hc__http_conn_t *c);

#endif
