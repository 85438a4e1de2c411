/*
 * hc_http_server.h - an HTTP/1.1 server on a libuv loop, with a route table for REST handlers.
 *
 * One server listens on host:port (port 0: the kernel picks one, hc_http_server_port() tells
 * which). Connections are kept alive, pipelined requests are answered in order (one request is
 * handled at a time per connection; the next one waits, bounded, in the read buffer), request
 * bodies with Content-Length or chunked framing are read whole (decoded) up to max_body
 * (then 413), "Expect: 100-continue" gets its interim response, and every phase has a timeout:
 * the head (408), the body (408), the idle keep-alive wait (silent close).
 *
 * Handlers get a request (read-only, valid until the response is sent or cancelled) and a
 * response object. A handler answers at once with one of the hc_http_reply_* calls, or keeps
 * the response (hc_http_res_ref) and answers later from another callback; if the client goes
 * away first, the response is marked cancelled (hc_http_res_cancelled, the optional
 * hc_http_res_on_cancel callback) and replying to it is a harmless no-op. A handler that
 * returns without replying and without a reference gets a 500 sent for it.
 *
 * Limits and their answers: head over HC_HTTP_MAX_HEAD -> 431 (other parser errors carry their
 * own 4xx/5xx), body over max_body -> 413, head not complete header_timeout_ms after its first
 * byte -> 408, body not complete body_timeout_ms after the head -> 408; each of these closes
 * the connection after the answer (lingering briefly so the client reads it). A client that
 * stops reading its responses makes the server stop reading from it (write_high_water) and is
 * closed after idle_timeout_ms. A client that closes its sending side while its request is
 * being handled is taken as gone: the response is cancelled (half-closed clients get answers
 * to requests already handled, not to ones still in a handler).
 *
 * Everything here runs on the loop thread only.
 */
#ifndef HEARTH_CORE_HTTP_SERVER_H
#define HEARTH_CORE_HTTP_SERVER_H

#include <jansson.h>
#include <uv.h>

#include "hc_base.h"
#include "hc_buf.h"
#include "hc_http.h"

#define HC_HTTP_MAX_PARAMS 8                               /* captures per route */
#define HC_HTTP_DEFAULT_MAX_BODY ((size_t)1024 * 1024)     /* then 413 */
#define HC_HTTP_DEFAULT_HEADER_TIMEOUT_MS 10000            /* then 408 */
#define HC_HTTP_DEFAULT_BODY_TIMEOUT_MS 30000              /* then 408 */
#define HC_HTTP_DEFAULT_IDLE_TIMEOUT_MS 60000              /* keep-alive wait, then close */
#define HC_HTTP_DEFAULT_MAX_CONNS 1024                     /* then new ones are closed at once */
#define HC_HTTP_DEFAULT_WRITE_HIGH_WATER ((size_t)1 << 20) /* stop reading above it */

typedef struct hc_http_server_s hc_http_server_t;
typedef struct hc_http_res_s hc_http_res_t;

typedef struct hc_http_server_conf_s {
    const char *host; /* address to bind, NULL: "127.0.0.1" */
    int port;         /* 0: any free port */
    /* Zero fields take the HC_HTTP_DEFAULT_* values. */
    size_t max_body;
    uint64_t header_timeout_ms;
    uint64_t body_timeout_ms;
    uint64_t idle_timeout_ms;
    size_t max_conns;
    size_t write_high_water;
} hc_http_server_conf_t;

typedef struct hc_http_param_s {
    hc_str_t name;  /* from the pattern, without ':'; "*" for the trailing wildcard */
    hc_str_t value; /* the path segment(s) as sent, not percent-decoded */
} hc_http_param_t;

/*
 * A request as a handler sees it. Every slice stays valid until the handler returns or, when
 * it took a reference with hc_http_res_ref, until it drops it.
 */
typedef struct hc_http_request_s {
    hc_str_t method, target, path, query;
    int minor_version;
    const hc_http_header_t *headers;
    size_t num_headers;
    hc_str_t body; /* decoded body bytes (NUL-terminated for convenience), may be empty */
    hc_http_param_t params[HC_HTTP_MAX_PARAMS];
    size_t num_params;
    const char *peer; /* "ip:port" of the client */
} hc_http_request_t;

typedef void (*hc_http_handler_fn)(const hc_http_request_t *req, hc_http_res_t *res, void *data);
typedef void (*hc_http_server_closed_fn)(hc_http_server_t *srv, void *data);
typedef void (*hc_http_cancel_fn)(hc_http_res_t *res, void *data);

/*
 * Creates a server and starts listening. conf is copied. Returns 0 and the server in *ret_srv,
 * or a negative errno with err set (bad address, port in use).
 */
int hc_http_server_new(uv_loop_t *loop, const hc_http_server_conf_t *conf,
                       hc_http_server_t **ret_srv, hc_err_t *err);
/* The port the listener is bound to. */
int hc_http_server_port(const hc_http_server_t *srv);
/*
 * Adds a route. method: "GET", "POST"... or NULL for any. pattern: "/" separated segments, a
 * segment ":name" captures one path segment, a final "*" captures the rest (possibly empty).
 * Routes are tried in the order they were added. No path match gives 404, a path match with
 * another method gives 405 with an Allow header. Borrows nothing (pattern is copied).
 */
void hc_http_server_route(hc_http_server_t *srv, const char *method, const char *pattern,
                          hc_http_handler_fn fn, void *data);
/*
 * Graceful close: stops accepting, closes idle connections now, lets in-flight requests finish
 * (their responses carry "Connection: close"), then closes what is left after drain_ms (0:
 * wait as long as it takes). `done` is called once everything is closed; the server may then
 * be freed with hc_http_server_free (also from inside `done`).
 */
void hc_http_server_close(hc_http_server_t *srv, uint64_t drain_ms, hc_http_server_closed_fn done,
                          void *data);
/* Frees a server whose close has completed. Accepts NULL. */
void hc_http_server_free(hc_http_server_t *srv);
/* Number of open connections. */
size_t hc_http_server_num_conns(const hc_http_server_t *srv);

/* Request helpers: the capture named `name` (HC_STR_NULL if none), the first header named name. */
hc_str_t hc_http_req_param(const hc_http_request_t *req, const char *name);
hc_str_t hc_http_req_header(const hc_http_request_t *req, const char *name);
/*
 * The capture named `name`, percent-decoded, as a malloc'd string the caller frees; NULL when
 * there is no such capture or its encoding is bad (a stray '%' or an encoded NUL).
 */
char *hc_http_req_param_decoded(const hc_http_request_t *req, const char *name);

/*
 * Response helpers. Each reply call sends the response once; later calls are ignored. All
 * borrow their arguments except hc_http_reply_take (the body) and hc_http_reply_json, which
 * takes ownership of `json` (it may be NULL: then a 500 is sent). HEAD requests get the headers
 * without the body.
 */
void hc_http_res_set_header(hc_http_res_t *res, const char *name, const char *value);
void hc_http_reply(hc_http_res_t *res, int status, const char *content_type, const void *body,
                   size_t len);
/* Like hc_http_reply but takes ownership of the malloc'd body and sends it without a copy. */
void hc_http_reply_take(hc_http_res_t *res, int status, const char *content_type, char *body,
                        size_t len);
void hc_http_reply_text(hc_http_res_t *res, int status, const char *text);
void hc_http_reply_json(hc_http_res_t *res, int status, json_t *json);
/* The v1 error shape: {"code":code,"description":description}, with the HTTP status `status`. */
void hc_http_reply_error(hc_http_res_t *res, int status, int code, const char *description);

/*
 * Asynchronous replies. hc_http_res_ref takes a reference the handler gives back with
 * hc_http_res_unref (after replying, or when giving up); the response and the request stay
 * valid until then. hc_http_res_unref accepts NULL and returns NULL.
 */
hc_http_res_t *hc_http_res_ref(hc_http_res_t *res);
hc_http_res_t *hc_http_res_unref(hc_http_res_t *res);
/* The request this response answers. */
const hc_http_request_t *hc_http_res_request(const hc_http_res_t *res);
/* True once the connection is gone; replies are then dropped. */
bool hc_http_res_cancelled(const hc_http_res_t *res);
/* Calls fn once if the connection closes before the reply is sent. */
void hc_http_res_on_cancel(hc_http_res_t *res, hc_http_cancel_fn fn, void *data);

#endif
