/*
 * The HTTP server's connection: reading and parsing requests, reading bodies, dispatching to
 * routes, queuing responses in order, timeouts and backpressure.
 *
 * One request is handled at a time. When its head and body are complete, the connection's read
 * buffer is handed to the response object (so the request stays valid while an asynchronous
 * handler runs) and the bytes that follow, if any, start a new buffer: pipelined requests wait
 * there, bounded by HC__HTTP_PIPELINE_MAX, and are parsed once the response is queued.
 */
#include <string.h>

#include "hc_log.h"
#include "server_int.h"

static void conn_process(hc__http_conn_t *c);
static void conn_update_read(hc__http_conn_t *c);

typedef struct conn_write_s {
    uv_write_t req;
    hc__http_conn_t *conn;
    char *data[2]; /* head, then an optional body handed over without a copy */
    size_t len;
} conn_write_t;

/* ---- close ---- */

static void conn_on_close(uv_handle_t *h)
{
    hc__http_conn_t *c = h->data;
    if (--c->open_handles > 0)
        return;
    hc_buf_release(&c->rbuf);
    hc__http_server_conn_gone(c->srv, c);
    free(c);
}

void hc__http_conn_close(hc__http_conn_t *c)
{
    if (c->closing)
        return;
    c->closing = true;
    c->state = HC__CONN_CLOSING;
    hc_http_res_t *res = HC_TAKE_PTR(c->res);
    if (res)
        hc__http_res_detach(res);
    uv_close((uv_handle_t *)&c->tcp, conn_on_close);
    uv_close((uv_handle_t *)&c->timer, conn_on_close);
}

/*
 * The last response is written: shut our side down and read (discarding) until the peer
 * closes or a short linger passes, so unread request bytes do not make the kernel answer with
 * a reset that could destroy the response before the client reads it.
 */
static void conn_on_shutdown(uv_shutdown_t *req, int status)
{
    (void)req;
    (void)status;
}

static void conn_arm(hc__http_conn_t *c, hc__http_timer_t mode);

static void conn_finish(hc__http_conn_t *c)
{
    if (c->closing || c->shut)
        return;
    if (c->peer_eof ||
        uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, conn_on_shutdown) < 0) {
        hc__http_conn_close(c);
        return;
    }
    c->shut = true;
    conn_arm(c, HC__TIMER_SHUTDOWN);
    conn_update_read(c);
}

/* ---- timers ---- */

static void conn_on_timer(uv_timer_t *t)
{
    hc__http_conn_t *c = t->data;
    hc__http_timer_t mode = c->timer_mode;

    c->timer_mode = HC__TIMER_NONE;
    switch (mode) {
    case HC__TIMER_HEAD:
    case HC__TIMER_BODY:
        /* RFC 9110 §15.5.9: 408 tells the client we gave up on this connection. */
        hc__http_send_error(c, 408);
        break;
    default:
        hc__http_conn_close(c);
        break;
    }
}

static void conn_arm(hc__http_conn_t *c, hc__http_timer_t mode)
{
    const hc_http_server_conf_t *conf = &c->srv->conf;
    uint64_t ms = 0;

    if (c->closing || c->timer_mode == mode)
        return;
    c->timer_mode = mode;
    switch (mode) {
    case HC__TIMER_NONE:
        uv_timer_stop(&c->timer);
        return;
    case HC__TIMER_IDLE:
    case HC__TIMER_LINGER:
        ms = conf->idle_timeout_ms;
        break;
    case HC__TIMER_HEAD:
        ms = conf->header_timeout_ms;
        break;
    case HC__TIMER_BODY:
        ms = conf->body_timeout_ms;
        break;
    case HC__TIMER_SHUTDOWN:
        ms = HC_MIN(conf->idle_timeout_ms, HC__HTTP_SHUTDOWN_LINGER_MS);
        break;
    }
    uv_timer_start(&c->timer, conn_on_timer, ms, 0);
}

/* ---- writes ---- */

static void conn_on_write(uv_write_t *req, int status)
{
    conn_write_t *w = HC_CONTAINER_OF(req, conn_write_t, req);
    hc__http_conn_t *c = w->conn;

    c->out_bytes -= w->len;
    free(w->data[0]);
    free(w->data[1]);
    free(w);
    if (c->closing)
        return;
    if (status < 0) {
        hc__http_conn_close(c);
        return;
    }
    if (c->state == HC__CONN_CLOSING && c->out_bytes == 0) {
        conn_finish(c);
        return;
    }
    /* Pipelined requests wait while the output is above the high-water mark. */
    if (c->state == HC__CONN_HEAD && c->rbuf.len > 0 &&
        c->out_bytes < c->srv->conf.write_high_water)
        conn_process(c);
    conn_update_read(c);
}

void hc__http_conn_writev(hc__http_conn_t *c, hc_buf_t *head, char *body, size_t body_len)
{
    if (c->closing || (head->len == 0 && body_len == 0)) {
        free(body);
        return;
    }
    conn_write_t *w = hc_calloc(1, sizeof(*w));
    size_t head_len;
    w->conn = c;
    w->data[0] = hc_buf_detach(head, &head_len);
    w->data[1] = body;
    w->len = head_len + body_len;
    uv_buf_t b[2] = {uv_buf_init(w->data[0], (unsigned)head_len),
                     uv_buf_init(body, (unsigned)body_len)};
    int r = uv_write(&w->req, (uv_stream_t *)&c->tcp, b, body_len ? 2 : 1, conn_on_write);
    if (r < 0) {
        free(w->data[0]);
        free(w->data[1]);
        free(w);
        hc__http_conn_close(c);
        return;
    }
    c->out_bytes += w->len;
    conn_update_read(c);
}

void hc__http_conn_write(hc__http_conn_t *c, hc_buf_t *out)
{
    hc__http_conn_writev(c, out, NULL, 0);
}

/* ---- reads ---- */

static void conn_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    hc__http_conn_t *c = h->data;
    size_t room = c->rbuf.max - c->rbuf.len;

    (void)suggested;
    if (room > HC__HTTP_READ_CHUNK)
        room = HC__HTTP_READ_CHUNK;
    if (room == 0 || hc_buf_reserve(&c->rbuf, room) < 0) {
        *buf = uv_buf_init(NULL, 0); /* read callback gets UV_ENOBUFS */
        return;
    }
    *buf = uv_buf_init(c->rbuf.data + c->rbuf.len, (unsigned)room);
}

static void conn_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    hc__http_conn_t *c = s->data;

    (void)buf;
    if (c->closing)
        return;
    if (nread > 0 && c->state == HC__CONN_CLOSING) {
        c->rbuf.len = 0; /* lingering: discard */
        return;
    }
    if (nread > 0) {
        c->rbuf.len += (size_t)nread;
        c->rbuf.data[c->rbuf.len] = '\0';
        conn_process(c);
        return;
    }
    if (nread == 0)
        return;
    if (nread != UV_EOF) {
        hc__http_conn_close(c);
        return;
    }
    c->peer_eof = true;
    conn_update_read(c);
    /*
     * The client closed its side. A request still being read or handled is abandoned (the
     * handler sees the response cancelled); a response already queued is written first.
     */
    if (c->state == HC__CONN_HEAD && c->rbuf.len == 0 && c->out_bytes > 0)
        c->state = HC__CONN_CLOSING;
    else if (c->state != HC__CONN_CLOSING || c->out_bytes == 0)
        hc__http_conn_close(c);
}

static void conn_update_read(hc__http_conn_t *c)
{
    bool want;

    if (c->closing || c->peer_eof)
        want = false;
    else if (c->state == HC__CONN_CLOSING)
        want = c->shut;
    else
        want = c->out_bytes < c->srv->conf.write_high_water &&
               !(c->state == HC__CONN_HANDLING && c->rbuf.len >= HC__HTTP_PIPELINE_MAX);

    if (want && !c->reading) {
        if (uv_read_start((uv_stream_t *)&c->tcp, conn_on_alloc, conn_on_read) == 0)
            c->reading = true;
    } else if (!want && c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

/* ---- requests ---- */

static int conn_parse_head(const char *buf, size_t len, size_t last_len, hc_http_request_t *out,
                           hc_http_header_t *headers, hc_http_req_t *req)
{
    memset(req, 0, sizeof(*req));
    req->headers = headers;
    req->num_headers = HC_HTTP_MAX_HEADERS;
    int r = hc_http_parse_request(buf, len, last_len, req);
    if (r > 0 && out) {
        out->method = req->method;
        out->target = req->target;
        out->path = req->path;
        out->query = req->query;
        out->minor_version = req->minor_version;
        out->headers = headers;
        out->num_headers = req->num_headers;
    }
    return r;
}

static void conn_dispatch(hc__http_conn_t *c, size_t leftover)
{
    hc_http_server_t *srv = c->srv;
    hc_http_res_t *res = hc__http_res_new(c);
    hc_http_req_t preq;

    /* The request takes the read buffer; the bytes after it start the next one. */
    res->data = c->rbuf;
    hc_buf_init(&c->rbuf, c->rbuf.max);
    if (leftover < res->data.len)
        hc_buf_append(&c->rbuf, res->data.data + leftover, res->data.len - leftover);
    res->data.len = c->head_len + c->body_len;
    res->data.data[res->data.len] = '\0';
    c->last_len = 0;

    int r = conn_parse_head(res->data.data, c->head_len, 0, &res->req, res->headers, &preq);
    hc_assert(r == (int)c->head_len);
    res->req.body = hc_str(res->data.data + c->head_len, c->body_len);
    res->req.peer = c->peer;
    res->keep_alive = preq.keep_alive;
    res->head_method = hc_str_eq(preq.method, HC_STR_LIT("HEAD"));

    c->res = res;
    c->state = HC__CONN_HANDLING;
    conn_arm(c, HC__TIMER_NONE);

    const hc__http_route_t *route = NULL;
    hc_buf_t allow;
    hc_buf_init(&allow, 1024);
    r = hc__http_route_find(srv->routes, res->req.method, res->req.path, &res->req, &route, &allow);
    /* Our own reference for the duration of the call, so the request outlives a sync reply. */
    hc_http_res_ref(res);
    if (r == 404) {
        hc_http_reply_error(res, 404, 404, "Not Found");
    } else if (r == 405) {
        hc_http_res_set_header(res, "Allow", allow.data);
        hc_http_reply_error(res, 405, 405, "Method Not Allowed");
    } else {
        route->fn(&res->req, res, route->data);
        if (!res->sent && res->refs == 2 && !res->cancelled)
            hc_http_reply_error(res, 500, 500, "the handler did not answer");
    }
    hc_http_res_unref(res);
    hc_buf_release(&allow);
}

/* Head complete: checks the framing, then moves to HC__CONN_BODY. Returns false on error. */
static bool conn_start_body(hc__http_conn_t *c, const hc_http_req_t *req, size_t head_len)
{
    const hc_http_server_conf_t *conf = &c->srv->conf;

    c->head_len = head_len;
    c->body_kind = req->body;
    c->content_length = req->content_length;
    c->body_len = 0;
    c->raw_pos = head_len;
    if (req->body == HC_HTTP_BODY_LENGTH && req->content_length > conf->max_body) {
        hc__http_send_error(c, 413);
        return false;
    }
    if (req->body == HC_HTTP_BODY_UNTIL_CLOSE) {
        hc__http_send_error(c, 400);
        return false;
    }
    if (req->body == HC_HTTP_BODY_CHUNKED)
        hc_http_chunked_init(&c->chunked);
    bool has_body = req->body == HC_HTTP_BODY_CHUNKED ||
                    (req->body == HC_HTTP_BODY_LENGTH && req->content_length > 0);
    /* RFC 9110 §10.1.1: only HTTP/1.1 clients wait for 100, and only before the body. */
    if (has_body && req->expect_continue && req->minor_version == 1 && c->rbuf.len == head_len) {
        hc_buf_t out;
        hc_buf_init(&out, 0);
        hc_buf_append_str(&out, "HTTP/1.1 100 Continue\r\n\r\n");
        hc__http_conn_write(c, &out);
        hc_buf_release(&out);
    }
    c->state = HC__CONN_BODY;
    return true;
}

/* Reads what the buffer holds of the body. Returns true once it is complete (sets *leftover). */
static bool conn_read_body(hc__http_conn_t *c, size_t *leftover)
{
    switch (c->body_kind) {
    case HC_HTTP_BODY_NONE:
        *leftover = c->head_len;
        return true;
    case HC_HTTP_BODY_LENGTH:
        if (c->rbuf.len - c->head_len < c->content_length)
            return false;
        c->body_len = (size_t)c->content_length;
        *leftover = c->head_len + c->body_len;
        return true;
    case HC_HTTP_BODY_CHUNKED: {
        size_t dlen = 0;
        int64_t used = hc_http_chunked_decode(&c->chunked, c->rbuf.data + c->raw_pos,
                                              c->rbuf.len - c->raw_pos, &dlen);
        if (used < 0) {
            hc__http_send_error(c, 400);
            return false;
        }
        if (dlen) {
            memmove(c->rbuf.data + c->head_len + c->body_len, c->rbuf.data + c->raw_pos, dlen);
            c->body_len += dlen;
        }
        c->raw_pos += (size_t)used;
        if (c->body_len > c->srv->conf.max_body) {
            hc__http_send_error(c, 413);
            return false;
        }
        if (!c->chunked.done)
            return false;
        *leftover = c->raw_pos;
        return true;
    }
    default:
        hc__http_send_error(c, 400);
        return false;
    }
}

static void conn_process(hc__http_conn_t *c)
{
    if (c->in_process)
        return;
    c->in_process = true;
    while (!c->closing) {
        if (c->state == HC__CONN_HEAD) {
            if (c->rbuf.len == 0) {
                conn_arm(c, HC__TIMER_IDLE);
                break;
            }
            if (c->out_bytes >= c->srv->conf.write_high_water) {
                /* The client is not reading its responses: give it the idle time, no more. */
                conn_arm(c, HC__TIMER_LINGER);
                break;
            }
            hc_http_req_t req;
            hc_http_header_t headers[HC_HTTP_MAX_HEADERS];
            int r = conn_parse_head(c->rbuf.data, c->rbuf.len, c->last_len, NULL, headers, &req);
            if (r == HC_AGAIN) {
                c->last_len = c->rbuf.len;
                if (c->rbuf.len > HC_HTTP_MAX_HEAD) {
                    hc__http_send_error(c, 431);
                    break;
                }
                conn_arm(c, HC__TIMER_HEAD);
                break;
            }
            if (r < 0) {
                hc__http_send_error(c, req.status >= 400 ? req.status : 400);
                break;
            }
            if (!conn_start_body(c, &req, (size_t)r))
                break;
        }
        if (c->state == HC__CONN_BODY) {
            size_t leftover;
            if (!conn_read_body(c, &leftover)) {
                if (c->state == HC__CONN_BODY)
                    conn_arm(c, HC__TIMER_BODY);
                break;
            }
            conn_dispatch(c, leftover);
            continue;
        }
        break; /* HANDLING or CLOSING: wait */
    }
    c->in_process = false;
    conn_update_read(c);
}

void hc__http_conn_response_done(hc__http_conn_t *c, bool keep_alive)
{
    hc_http_res_t *res = HC_TAKE_PTR(c->res);
    if (res) {
        res->conn = NULL;
        hc_http_res_unref(res);
    }
    if (c->closing)
        return;
    if (!keep_alive || c->state == HC__CONN_CLOSING) {
        c->state = HC__CONN_CLOSING;
        c->rbuf.len = 0;
        conn_update_read(c);
        if (c->out_bytes == 0)
            conn_finish(c);
        else
            conn_arm(c, HC__TIMER_LINGER);
        return;
    }
    c->state = HC__CONN_HEAD;
    c->timer_mode = HC__TIMER_NONE;
    uv_timer_stop(&c->timer);
    /* From an asynchronous reply, go on with the pipelined requests now. */
    conn_process(c);
}

void hc__http_conn_drain(hc__http_conn_t *c)
{
    if (c->closing)
        return;
    if (c->state == HC__CONN_HEAD) {
        if (c->out_bytes == 0 || c->rbuf.len > 0) {
            hc__http_conn_close(c);
        } else {
            c->state = HC__CONN_CLOSING;
            conn_update_read(c);
            conn_arm(c, HC__TIMER_LINGER);
        }
    }
    /* BODY and HANDLING finish their request; its response carries Connection: close. */
}

static void conn_peer_name(hc__http_conn_t *c)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;

    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            uv_ip4_name(a, ip, sizeof(ip));
            port = ntohs(a->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            uv_ip6_name(a, ip, sizeof(ip));
            port = ntohs(a->sin6_port);
        }
    }
    snprintf(c->peer, sizeof(c->peer), "%s:%d", ip, port);
}

static void on_reject_close(uv_handle_t *h)
{
    free(h);
}

void hc__http_conn_start(hc_http_server_t *srv, uv_stream_t *listener)
{
    if (srv->num_conns >= srv->conf.max_conns || srv->closing) {
        /* Over the limit: accept and close at once, so the backlog does not keep the peer waiting.
         */
        uv_tcp_t *t = hc_malloc(sizeof(*t));
        uv_tcp_init(srv->loop, t);
        if (uv_accept(listener, (uv_stream_t *)t) == 0)
            hc_log_debug("http connection refused: too many connections");
        uv_close((uv_handle_t *)t, on_reject_close);
        return;
    }

    hc__http_conn_t *c = hc_calloc(1, sizeof(*c));
    c->srv = srv;
    uv_tcp_init(srv->loop, &c->tcp);
    uv_timer_init(srv->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->open_handles = 2;
    hc_buf_init(&c->rbuf, HC_HTTP_MAX_HEAD + srv->conf.max_body + 2 * HC__HTTP_READ_CHUNK);
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->num_conns++;

    if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0) {
        hc__http_conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    conn_peer_name(c);
    conn_arm(c, HC__TIMER_IDLE);
    conn_update_read(c);
}
