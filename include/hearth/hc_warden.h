/*
 * hc_warden.h - asynchronous client for hearth-warden's JSON-lines protocol (the DEA's side of
 * cf-v1.md §8), on the caller's libuv loop.
 *
 * Requests go out in order on one unix-socket connection and responses are matched in order.
 * A `stream` request gets its callback once per output chunk with `more` true, then once more
 * with the final {"exit_status":N} and `more` false. Errors arrive as `error` (the server's
 * message or a transport error) with resp NULL. Loop thread only.
 */
#ifndef HEARTH_CORE_WARDEN_H
#define HEARTH_CORE_WARDEN_H

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

#include "hc_base.h"

#define HC_WARDEN_MAX_LINE (16 * 1024 * 1024) /* a response line (link returns output) */
#define HC_WARDEN_MAX_QUEUE 1024              /* requests in flight per connection */

typedef struct hc_warden_s hc_warden_t;

/* resp is borrowed (valid during the call); error is NULL on success. */
typedef void (*hc_warden_cb)(hc_warden_t *w, json_t *resp, bool more, const char *error,
                             void *data);
typedef void (*hc_warden_connect_cb)(hc_warden_t *w, int status, void *data);

/* Allocates a client for the socket at path; nothing happens until hc_warden_connect. */
hc_warden_t *hc_warden_new(uv_loop_t *loop, const char *path);
/* Connects; cb gets 0 or a libuv error code. Returns 0 or a negative error (cb not called). */
int hc_warden_connect(hc_warden_t *w, hc_warden_connect_cb cb, void *data);
/*
 * Sends a request (takes ownership of req, a JSON object with "type"). Returns 0, or -ENOTCONN
 * / -ENOBUFS (queue full) / -EINVAL, in which case cb is never called.
 */
int hc_warden_request(hc_warden_t *w, json_t *req, hc_warden_cb cb, void *data);
/* True once connected and until the connection breaks or is closed. */
bool hc_warden_connected(const hc_warden_t *w);
/*
 * Closes the connection; pending callbacks get error "connection closed". The memory is freed
 * once libuv has closed the handle. Accepts NULL.
 */
void hc_warden_free(hc_warden_t *w);

#endif
