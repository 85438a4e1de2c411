/* The HTTP server's response object: reply helpers, async references, cancellation. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server_int.h"

#define HC__EXTRA_HEADERS_MAX ((size_t)16 * 1024)

hc_http_res_t *hc__http_res_new(hc__http_conn_t *c)
{
    hc_http_res_t *res = hc_calloc(1, sizeof(*res));
    res->refs = 1; /* the connection's */
    res->conn = c;
    hc_buf_init(&res->data, 0);
    hc_buf_init(&res->extra_headers, HC__EXTRA_HEADERS_MAX);
    return res;
}

static void res_free(hc_http_res_t *res)
{
    hc_buf_release(&res->data);
    hc_buf_release(&res->extra_headers);
    free(res);
}

hc_http_res_t *hc_http_res_ref(hc_http_res_t *res)
{
    hc_assert(res->refs > 0);
    res->refs++;
    return res;
}

hc_http_res_t *hc_http_res_unref(hc_http_res_t *res)
{
    if (!res)
        return NULL;
    hc_assert(res->refs > 0);
    if (--res->refs == 0)
        res_free(res);
    return NULL;
}

const hc_http_request_t *hc_http_res_request(const hc_http_res_t *res)
{
    return &res->req;
}

bool hc_http_res_cancelled(const hc_http_res_t *res)
{
    return res->cancelled;
}

void hc_http_res_on_cancel(hc_http_res_t *res, hc_http_cancel_fn fn, void *data)
{
    res->cancel_fn = fn;
    res->cancel_data = data;
}

void hc__http_res_detach(hc_http_res_t *res)
{
    res->conn = NULL;
    if (!res->sent) {
        res->cancelled = true;
        hc_http_cancel_fn fn = res->cancel_fn;
        res->cancel_fn = NULL;
        /* Keep the response alive through the callback even if it drops its reference. */
        res->refs++;
        if (fn)
            fn(res, res->cancel_data);
        res->refs--;
    }
    hc_http_res_unref(res);
}

/*
 * Values may carry what a peer sent (a name from a JSON body...): control characters become
 * spaces so nothing can split the head or inject a header.
 */
static void append_header_text(hc_buf_t *b, const char *s)
{
    for (; *s; s++)
        hc_buf_append_byte(b, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

void hc_http_res_set_header(hc_http_res_t *res, const char *name, const char *value)
{
    append_header_text(&res->extra_headers, name);
    hc_buf_append_str(&res->extra_headers, ": ");
    append_header_text(&res->extra_headers, value);
    hc_buf_append_str(&res->extra_headers, "\r\n");
}

static void format_date(char *buf, size_t size)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

void hc__http_format_response(hc_buf_t *out, int status, const char *content_type,
                              const hc_buf_t *extra_headers, const void *body, size_t len,
                              bool send_body, bool keep_alive)
{
    char date[64];
    bool no_body = status < 200 || status == 204 || status == 304;

    format_date(date, sizeof(date));
    hc_buf_appendf(out, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status, hc_http_reason(status), date);
    if (!no_body) {
        hc_buf_appendf(out, "Content-Length: %zu\r\n", len);
        if (content_type)
            hc_buf_appendf(out, "Content-Type: %s\r\n", content_type);
    }
    if (extra_headers && extra_headers->len)
        hc_buf_append(out, extra_headers->data, extra_headers->len);
    if (!keep_alive)
        hc_buf_append_str(out, "Connection: close\r\n");
    hc_buf_append_str(out, "\r\n");
    if (send_body && !no_body && len)
        hc_buf_append(out, body, len);
}

/* Bodies up to this size are copied behind the head (one buffer); larger ones go as their own. */
#define HC__INLINE_BODY_MAX ((size_t)16 * 1024)

/*
 * Sends the response once. `owned` (malloc'd, may be NULL) is the body when the caller hands it
 * over; it is freed in every case.
 */
static void res_send(hc_http_res_t *res, int status, const char *content_type, const void *body,
                     size_t len, char *owned)
{
    if (res->sent || !res->conn) {
        res->sent = true;
        free(owned);
        return;
    }
    res->sent = true;
    hc__http_conn_t *c = res->conn;
    hc_http_server_t *srv = c->srv;
    bool keep_alive = res->keep_alive && !srv->closing && !c->peer_eof;
    bool no_body = status < 200 || status == 204 || status == 304;

    /* An HTTP/1.0 client keeps the connection only when told so (RFC 9112 §C.2.2). */
    if (keep_alive && res->req.minor_version == 0)
        hc_buf_append_str(&res->extra_headers, "Connection: keep-alive\r\n");
    if (res->extra_headers.overflow) {
        /* The handler set more headers than we allow: a bug of ours, answered as such. */
        status = 500;
        content_type = "text/plain";
        body = "response headers too large\n";
        len = strlen(body);
        free(owned);
        owned = NULL;
        hc_buf_reset(&res->extra_headers);
    }
    bool send_body = !res->head_method && !no_body && len > 0;
    bool inline_body = send_body && !owned && len <= HC__INLINE_BODY_MAX;
    hc_buf_t out;
    hc_buf_init(&out, (inline_body ? len : 0) + res->extra_headers.len +
                          (content_type ? strlen(content_type) : 0) + 1024);
    hc__http_format_response(&out, status, content_type, &res->extra_headers, body, len,
                             inline_body, keep_alive);
    hc_assert(!out.overflow);
    if (send_body && !inline_body) {
        if (!owned)
            owned = hc_memdup(body, len);
        hc__http_conn_writev(c, &out, HC_TAKE_PTR(owned), len);
    } else {
        hc__http_conn_write(c, &out);
    }
    free(owned);
    hc_buf_release(&out);
    hc__http_conn_response_done(c, keep_alive);
}

void hc_http_reply(hc_http_res_t *res, int status, const char *content_type, const void *body,
                   size_t len)
{
    res_send(res, status, content_type, body, len, NULL);
}

void hc_http_reply_take(hc_http_res_t *res, int status, const char *content_type, char *body,
                        size_t len)
{
    res_send(res, status, content_type, body, len, body);
}

void hc_http_reply_text(hc_http_res_t *res, int status, const char *text)
{
    hc_http_reply(res, status, "text/plain; charset=utf-8", text, strlen(text));
}

void hc_http_reply_json(hc_http_res_t *res, int status, json_t *json)
{
    char *s = json ? json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(json);
    if (!s) {
        hc_http_reply_error(res, 500, 500, "could not encode the response");
        return;
    }
    hc_http_reply_take(res, status, "application/json", s, strlen(s));
}

void hc_http_reply_error(hc_http_res_t *res, int status, int code, const char *description)
{
    json_t *j = json_pack("{s:i,s:s}", "code", code, "description", description ? description : "");
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!s) {
        hc_http_reply_text(res, status, "{\"code\":500,\"description\":\"internal error\"}");
        return;
    }
    hc_http_reply(res, status, "application/json", s, strlen(s));
    free(s);
}

void hc__http_send_error(hc__http_conn_t *c, int status)
{
    hc_buf_t out, body;
    hc_buf_init(&out, 0);
    hc_buf_init(&body, 0);
    hc_buf_appendf(&body, "{\"code\":%d,\"description\":\"%s\"}", status, hc_http_reason(status));
    hc__http_format_response(&out, status, "application/json", NULL, body.data, body.len, true,
                             false);
    hc__http_conn_write(c, &out);
    hc_buf_release(&out);
    hc_buf_release(&body);
    c->state = HC__CONN_CLOSING;
    hc__http_conn_response_done(c, false);
}
