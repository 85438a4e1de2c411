/*
 * hc_http_client.h - an asynchronous HTTP client on libcurl's multi interface, driven by the
 * daemon's libuv loop (uv_poll for sockets, uv_timer for curl's timeouts). Nothing here blocks
 * the loop; name resolution uses libcurl's threaded resolver.
 *
 * Every request ends with exactly one call of its callback: with the response, with a
 * transport error (connection refused, timeout, response too large), or with "cancelled" when
 * hc_http_client_cancel or hc_http_client_free is called first. Loop thread only.
 */
#ifndef HEARTH_CORE_HTTP_CLIENT_H
#define HEARTH_CORE_HTTP_CLIENT_H

#include <uv.h>

#include "hc_base.h"
#include "hc_buf.h"
#include "hc_http.h"

#define HC_HTTP_CLIENT_DEFAULT_TIMEOUT_MS 30000
#define HC_HTTP_CLIENT_DEFAULT_MAX_RESPONSE ((size_t)16 * 1024 * 1024)
#define HC_HTTP_CLIENT_MAX_HEADERS 100
#define HC_HTTP_CLIENT_MAX_HEAD ((size_t)64 * 1024)

typedef struct hc_http_client_s hc_http_client_t;
typedef struct hc_http_xfer_s hc_http_xfer_t;

typedef struct hc_http_client_opts_s {
    const char *method; /* NULL: "GET", or "POST" when body is set */
    const char *url;
    const char *const *headers; /* "Name: value" strings, NULL-terminated; may be NULL */
    const void *body;           /* request body, copied unless body_borrowed */
    size_t body_len;
    bool body_borrowed;          /* body stays valid until the callback: uploaded without a copy */
    uint64_t timeout_ms;         /* whole exchange; 0: HC_HTTP_CLIENT_DEFAULT_TIMEOUT_MS */
    uint64_t connect_timeout_ms; /* 0: same as timeout_ms */
    size_t max_response;         /* body bytes; 0: HC_HTTP_CLIENT_DEFAULT_MAX_RESPONSE */
    const char *basic_user;      /* with basic_password: Authorization: Basic */
    const char *basic_password;
    const char *bearer; /* Authorization: Bearer <token> */
} hc_http_client_opts_t;

typedef struct hc_http_client_result_s {
    int status;        /* HTTP status, 0 when the exchange failed */
    const char *error; /* NULL on success (any HTTP status), else a message for humans */
    const hc_http_header_t *headers; /* response headers of the final response */
    size_t num_headers;
    const char *body; /* NUL-terminated for convenience; valid during the callback only */
    size_t body_len;
} hc_http_client_result_t;

/* Called once per request. The result and everything it points to live during the call only. */
typedef void (*hc_http_client_cb)(const hc_http_client_result_t *res, void *data);

/*
 * Creates a client on the loop. Returns NULL (err set) if libcurl cannot be set up. The first
 * call initialises libcurl (curl_global_init), which is not thread-safe: create the first client
 * before starting other threads.
 */
hc_http_client_t *hc_http_client_new(uv_loop_t *loop, hc_err_t *err);
/*
 * Cancels every request (each callback is called, from inside this call, with the error
 * "cancelled"), closes the client's handles and frees it once they are closed: keep running
 * the loop. May be called from a request's callback. Accepts NULL.
 */
void hc_http_client_free(hc_http_client_t *c);

/*
 * Starts a request. opts and everything it points to are copied (except a borrowed body).
 * Returns 0 and, when ret_xfer is not NULL, a handle valid until the callback is called; or a
 * negative errno with err set, and then the callback is never called.
 */
int hc_http_client_request(hc_http_client_t *c, const hc_http_client_opts_t *opts,
                           hc_http_client_cb cb, void *data, hc_http_xfer_t **ret_xfer,
                           hc_err_t *err);
/* Cancels one request: its callback is called at once with the error "cancelled". */
void hc_http_client_cancel(hc_http_xfer_t *x);
/* Number of requests in flight. */
size_t hc_http_client_pending(const hc_http_client_t *c);
/* First header of the result named `name`, case-insensitive; HC_STR_NULL if none. */
hc_str_t hc_http_client_result_header(const hc_http_client_result_t *res, const char *name);

#endif
