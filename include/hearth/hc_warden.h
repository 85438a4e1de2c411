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
/*
 * Sends a line that gets no response of its own (takes ownership of msg, a JSON object): the
 * data lines of a streamed copy_in, sent right after its request (a copy_in without
 * `src_path`): {"type":"data","data":"<base64>"} ... then {"type":"data","eof":true}; the
 * copy_in's callback gets the one response after the eof line. hc_warden_copy_in_chunk and
 * hc_warden_copy_in_end build them. Returns 0 or -ENOTCONN / -EINVAL.
 *
 * A streamed copy_out (without `dst_path`) calls back with `more` true for each
 * {"type":"copy_out","data":"<base64>"} chunk (hc_warden_chunk_decode gives the bytes), then
 * once with `more` false.
 */
int hc_warden_send(hc_warden_t *w, json_t *msg);
/* Sends len bytes (at most HC_WARDEN_MAX_CHUNK) of a streamed copy_in. Borrows p. */
int hc_warden_copy_in_chunk(hc_warden_t *w, const void *p, size_t len);
/* Ends a streamed copy_in. */
int hc_warden_copy_in_end(hc_warden_t *w);
/*
 * Decodes the "data" of a streamed copy_out chunk into a new malloc'd buffer the caller
 * frees; *ret_len gets its length. Returns NULL when resp holds no valid chunk.
 */
void *hc_warden_chunk_decode(json_t *resp, size_t *ret_len);
/* Bytes handed to the socket and not yet written: a streaming sender paces itself on it. */
size_t hc_warden_pending(const hc_warden_t *w);

#define HC_WARDEN_MAX_CHUNK (512 * 1024)

/* True once connected and until the connection breaks or is closed. */
bool hc_warden_connected(const hc_warden_t *w);
/*
 * Closes the connection; pending callbacks get error "connection closed". The memory is freed
 * once libuv has closed the handle. Accepts NULL.
 */
void hc_warden_free(hc_warden_t *w);

#endif
