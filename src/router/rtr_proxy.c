/*
 * The proxy's client side and the exchange state machine (see rtr.h for the overview).
 *
 * Ownership: a client owns its current exchange; the exchange owns its upstream connection
 * until it releases it to the pool. Any function that may close the client (and so free the
 * exchange) is called last on its path, and nothing touches the exchange after it.
 * Buffers handed to uv_write are the connections' own and stay untouched until the write
 * callback: bytes are consumed from a source buffer only when the write that covers them
 * completes.
 */
#include <stdio.h>
#include <string.h>

#include "hc_log.h"
#include "hc_time.h"
#include "rtr.h"
#include "rtr_head.h"
#include "rtr_pp.h"
#include "rtr_tls.h"

static void rtr_cl_process(rtr_client_t *c);
static void rtr_ex_dispatch(rtr_exchange_t *ex);
static void rtr_ex_req_pump(rtr_exchange_t *ex);
static void rtr_ex_resp_pump(rtr_exchange_t *ex);
static void rtr_ex_resp_head(rtr_exchange_t *ex);
static void rtr_ex_finish(rtr_exchange_t *ex);
static void rtr_ex_destroy(rtr_exchange_t *ex);

/* ---- client connection ---------------------------------------------------------------- */

static void rtr_cl_on_closed(uv_handle_t *h)
{
    rtr_client_t *c = h->data;
    if (--c->handles > 0)
        return;
    hc_buf_release(&c->ebuf);
    if (c->spare)
        rtr_ex_destroy(c->spare);
    rtr_tls_conn_free(c);
    free(c->buf);
    free(c);
}

static void rtr_ex_unbind_backend(rtr_exchange_t *ex)
{
    if (!ex->be)
        return;
    ex->be->active--;
    rtr_backend_unref(ex->be);
    ex->be = NULL;
}

static void rtr_ex_destroy(rtr_exchange_t *ex)
{
    hc_buf_release(&ex->head);
    hc_buf_release(&ex->rhead);
    hc_buf_release(&ex->path);
    free(ex);
}

/* Ends an exchange; its memory is kept for the client's next request (no allocation then). */
static void rtr_ex_free(rtr_exchange_t *ex)
{
    rtr_client_t *c = ex->c;
    rtr_ex_unbind_backend(ex);
    if (c->closing || c->spare) {
        rtr_ex_destroy(ex);
        return;
    }
    c->spare = ex;
}

static rtr_exchange_t *rtr_ex_new(rtr_client_t *c)
{
    rtr_exchange_t *ex = c->spare;
    if (!ex) {
        ex = hc_calloc(1, sizeof(*ex));
        hc_buf_init(&ex->head, 0);
        hc_buf_init(&ex->rhead, 0);
        hc_buf_init(&ex->path, 0);
        return ex;
    }
    c->spare = NULL;
    hc_buf_t head = ex->head, rhead = ex->rhead, path = ex->path;
    memset(ex, 0, sizeof(*ex));
    ex->head = head;
    ex->rhead = rhead;
    ex->path = path;
    hc_buf_reset(&ex->head);
    hc_buf_reset(&ex->rhead);
    hc_buf_reset(&ex->path);
    return ex;
}

void rtr_client_close(rtr_client_t *c)
{
    if (c->closing)
        return;
    c->closing = true;
    rtr_t *r = c->r;
    rtr_exchange_t *ex = c->ex;
    if (ex) {
        if (ex->up) {
            rtr_upstream_close(ex->up);
            ex->up = NULL;
        }
        rtr_ex_free(ex);
        c->ex = NULL;
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        r->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    r->nclients--;
    r->stats.client_conns--;
    uv_close((uv_handle_t *)&c->tcp, rtr_cl_on_closed);
    uv_close((uv_handle_t *)&c->timer, rtr_cl_on_closed);
    if (r->draining && r->nclients == 0)
        rtr_close(r);
}

static void rtr_cl_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    rtr_client_t *c = h->data;
    if (c->tls && !c->pp_pending) {
        rtr_tls_alloc(c, &buf->base, &buf->len);
        return;
    }
    buf->base = c->buf + c->len;
    buf->len = c->cap - c->len;
}

static void rtr_cl_on_timeout(uv_timer_t *t)
{
    rtr_client_t *c = t->data;
    c->due_ms = 0;
    if (c->ex)
        return; /* no client deadline during an exchange; re-armed when it ends */
    if (uv_now(c->r->loop) < c->deadline_ms) {
        rtr_timer_arm(&c->timer, &c->due_ms, c->deadline_ms, rtr_cl_on_timeout);
        return;
    }
    if (c->len > 0) {
        c->r->stats.bad_requests++;
        hc_log_debug("request head timeout, closing", "client", c->ip);
    }
    rtr_client_close(c);
}

static void rtr_cl_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/*
 * Reading resumes once the buffer has room. With TLS, plaintext already decrypted or
 * ciphertext already received is appended to the buffer here, without callbacks: returns
 * true when bytes were appended, and the caller looks at the buffer again.
 */
static bool rtr_cl_read_resume(rtr_client_t *c)
{
    bool more = false;
    if (c->closing)
        return false;
    if (c->tls && c->len < c->cap && rtr_tls_has_pending(c)) {
        ssize_t n = rtr_tls_pull(c);
        more = n > 0;
    }
    if (!c->reading && !c->eof && c->len < c->cap) {
        if (uv_read_start((uv_stream_t *)&c->tcp, rtr_cl_alloc, rtr_cl_on_read) == 0)
            c->reading = true;
    }
    return more;
}

/* Writes bufs to the client; rtr_cl_on_written follows. */
static int rtr_cl_write(rtr_client_t *c, uv_buf_t *bufs, unsigned n)
{
    hc_assert(!c->writing);
    int rc;
    if (c->tls) {
        rc = rtr_tls_send(c, bufs, n, true);
        if (rc > 0)
            rc = UV_EPROTO; /* nothing was queued: cannot happen with a non-empty response */
    } else {
        rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, bufs, n, rtr_cl_on_written);
    }
    if (rc == 0)
        c->writing = true;
    return rc;
}

/* Writes bufs at once if possible: 1 done (no callback), 0 rtr_cl_on_written follows. */
static int rtr_cl_write_try(rtr_client_t *c, uv_buf_t *bufs, unsigned n)
{
    if (c->tls)
        return rtr_tls_send(c, bufs, n, false);
    return rtr_stream_write((uv_stream_t *)&c->tcp, &c->wreq, bufs, n, rtr_cl_on_written);
}

/* A response the router makes itself. Closes the connection when the request body was not
 * read (its bytes would be taken for the next request) or the client asked for it. */
static void rtr_cl_error(rtr_client_t *c, int status, const char *routererr, const char *body,
                         const char *request_id, bool close)
{
    hc_buf_reset(&c->ebuf);
    hc_buf_appendf(&c->ebuf, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n",
                   status, hc_http_reason(status));
    if (routererr)
        hc_buf_appendf(&c->ebuf, "X-Cf-Routererror: %s\r\n", routererr);
    if (request_id && request_id[0])
        hc_buf_appendf(&c->ebuf, "X-Vcap-Request-Id: %s\r\n", request_id);
    hc_buf_appendf(&c->ebuf, "Content-Length: %zu\r\n%s\r\n%s", strlen(body),
                   close ? "Connection: close\r\n" : "", body);
    uv_buf_t b = uv_buf_init(c->ebuf.data, (unsigned)c->ebuf.len);
    if (rtr_cl_write(c, &b, 1) < 0)
        rtr_client_close(c);
}

static void rtr_cl_idle(rtr_client_t *c);

/*
 * enable_proxy: a PROXY protocol header comes first, before TLS too, so it is read into the
 * plain buffer; the client address it carries replaces the peer's (X-Forwarded-For, access
 * log), and the bytes after it go where a first read would have put them.
 */
static void rtr_cl_on_pp(rtr_client_t *c, ssize_t nread)
{
    if (nread < 0) {
        rtr_client_close(c);
        return;
    }
    c->len += (size_t)nread;
    rtr_pp_t pp;
    int n = rtr_pp_parse(c->buf, c->len, &pp);
    if (n == HC_AGAIN)
        return; /* the parser refuses a header before it could fill the buffer */
    if (n < 0) {
        c->r->stats.bad_requests++;
        hc_log_debug("bad PROXY protocol header, closing", "client", c->ip);
        rtr_client_close(c);
        return;
    }
    c->pp_pending = false;
    if (n > 0 && !pp.local)
        snprintf(c->ip, sizeof(c->ip), "%s", pp.src_ip);
    memmove(c->buf, c->buf + n, c->len - (size_t)n);
    c->len -= (size_t)n;
    rtr_cl_idle(c);
    if (c->tls && rtr_tls_feed(c) < 0) {
        rtr_client_close(c);
        return;
    }
    if (c->len == c->cap) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
    if (c->len > 0)
        rtr_cl_process(c);
}

static void rtr_cl_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    rtr_client_t *c = s->data;
    if (nread == 0 || c->closing)
        return;
    if (c->pp_pending) {
        rtr_cl_on_pp(c, nread);
        return;
    }
    if (c->tls && nread > 0) {
        nread = rtr_tls_on_cipher(c, (size_t)nread);
        if (nread < 0) {
            rtr_client_close(c);
            return;
        }
        /* Ciphertext beyond the buffer's room waits in OpenSSL; stop reading while so. */
        if (c->len == c->cap) {
            uv_read_stop(s);
            c->reading = false;
        }
        if (nread == 0)
            return;
        c->len -= (size_t)nread; /* added back below, as for a plain read */
    }
    if (nread < 0) {
        c->eof = true;
        uv_read_stop(s);
        c->reading = false;
        rtr_exchange_t *ex = c->ex;
        if (!ex) {
            if (!c->writing)
                rtr_client_close(c);
            return;
        }
        /* A tunnel ends with either side; a request cut short cannot be forwarded. */
        if (ex->tunnel || !ex->req.ident_done) {
            rtr_client_close(c);
            return;
        }
        ex->close_after = true; /* half-closed after a whole request: answer, then close */
        return;
    }
    c->len += (size_t)nread;
    if (c->len == c->cap) {
        uv_read_stop(s);
        c->reading = false;
    }
    if (c->ex) {
        if (!c->ex->req.ident_done)
            rtr_ex_req_pump(c->ex);
        return;
    }
    if (!c->writing)
        rtr_cl_process(c);
}

static void rtr_cl_deadline(rtr_client_t *c, uint32_t ms)
{
    c->deadline_ms = uv_now(c->r->loop) + ms;
    rtr_timer_arm(&c->timer, &c->due_ms, c->deadline_ms, rtr_cl_on_timeout);
}

static void rtr_cl_idle(rtr_client_t *c)
{
    c->in_head_timer = false;
    rtr_cl_deadline(c, c->r->conf.idle_timeout_ms);
}

static void rtr_on_connection(uv_stream_t *server, int status)
{
    rtr_t *r = server->data;
    if (status < 0)
        return;
    rtr_client_t *c = hc_calloc(1, sizeof(*c));
    c->r = r;
    uv_tcp_init(r->loop, &c->tcp);
    uv_timer_init(r->loop, &c->timer);
    c->tcp.data = c->timer.data = c->wreq.data = c;
    c->handles = 2;
    hc_buf_init(&c->ebuf, 16 * 1024);
    c->next = r->clients;
    if (r->clients)
        r->clients->prev = c;
    r->clients = c;
    r->nclients++;
    r->stats.client_conns++;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
        rtr_client_close(c);
        return;
    }
    if (r->nclients > r->conf.max_clients || r->draining) {
        r->stats.rejected_conns++;
        rtr_client_close(c);
        return;
    }
    struct sockaddr_storage ss;
    int sl = sizeof(ss);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET6)
            uv_ip6_name((struct sockaddr_in6 *)&ss, c->ip, sizeof(c->ip));
        else
            uv_ip4_name((struct sockaddr_in *)&ss, c->ip, sizeof(c->ip));
    }
    c->cap = RTR_CLIENT_BUF;
    c->buf = hc_malloc(c->cap);
    if (server == (uv_stream_t *)&r->tls_listener)
        rtr_tls_conn_init(r->tls, c);
    uv_tcp_nodelay(&c->tcp, 1);
    rtr_cl_idle(c);
    if (r->conf.enable_proxy) {
        c->pp_pending = true;
        rtr_cl_deadline(c, r->conf.header_timeout_ms);
    }
    rtr_cl_read_resume(c);
}

/* ---- request head ------------------------------------------------------------------ */

static bool rtr_method_idempotent(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "OPTIONS") == 0 ||
           strcmp(m, "TRACE") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0;
}

static int rtr_flow_framing(hc_http_body_t b)
{
    switch (b) {
    case HC_HTTP_BODY_LENGTH:
        return RTR_FLOW_LENGTH;
    case HC_HTTP_BODY_CHUNKED:
        return RTR_FLOW_CHUNKED;
    case HC_HTTP_BODY_UNTIL_CLOSE:
        return RTR_FLOW_UNTIL_CLOSE;
    default:
        return RTR_FLOW_NONE;
    }
}

static void rtr_flow_init(rtr_flow_t *f, int framing, uint64_t length)
{
    memset(f, 0, sizeof(*f));
    f->framing = framing;
    f->remaining = length;
    hc_http_chunked_init(&f->chunked);
    if (framing == RTR_FLOW_LENGTH && length == 0)
        f->framing = RTR_FLOW_NONE;
}

/* Identifies newly arrived body bytes in buf. Returns 0, or -1 on bad chunked framing. */
static int rtr_flow_scan(rtr_flow_t *f, const char *buf, size_t len, bool eof)
{
    if (f->ident_done)
        return 0;
    size_t avail = len - f->ready;
    switch (f->framing) {
    case RTR_FLOW_NONE:
        f->ident_done = true;
        break;
    case RTR_FLOW_LENGTH: {
        size_t take = avail < f->remaining ? avail : (size_t)f->remaining;
        f->remaining -= take;
        f->ready += take;
        f->ident_done = f->remaining == 0;
        break;
    }
    case RTR_FLOW_CHUNKED:
        if (avail) {
            int64_t n = hc_http_chunked_scan(&f->chunked, buf + f->ready, avail);
            if (n < 0)
                return -1;
            f->ready += (size_t)n;
        }
        f->ident_done = f->chunked.done;
        break;
    default: /* until close, tunnel */
        f->ready = len;
        f->ident_done = eof;
        break;
    }
    return 0;
}

/*
 * Drops the request body bytes kept for a replay (written, still at the front of the client
 * buffer). Never while a write is in flight: it points into the same buffer.
 */
static void rtr_ex_req_drop_sent(rtr_exchange_t *ex)
{
    rtr_client_t *c = ex->c;
    size_t n = ex->req.sent;
    if (n == 0 || (ex->up && ex->up->writing))
        return;
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
    ex->req.ready -= n;
    ex->req.sent = 0;
    ex->req.lost = true;
}

/* The response started: a retry is no longer possible, so written bytes need not stay. */
static void rtr_ex_req_unretain(rtr_exchange_t *ex)
{
    ex->req.retain = false;
    rtr_ex_req_drop_sent(ex);
}

static void rtr_ex_fail(rtr_exchange_t *ex, int status, const char *routererr, const char *body)
{
    rtr_client_t *c = ex->c;
    if (ex->up) {
        rtr_upstream_close(ex->up);
        ex->up = NULL;
    }
    ex->req.retain = false;
    rtr_ex_req_drop_sent(ex); /* or they would be read as the next request */
    rtr_ex_unbind_backend(ex);
    if (ex->resp.head_sent || c->writing) {
        rtr_client_close(c); /* the client already has part of a response */
        return;
    }
    ex->status = status;
    ex->failing = true;
    if (!ex->keep_alive || (ex->req.framing != RTR_FLOW_NONE && !ex->req.done) || c->eof)
        ex->close_after = true;
    rtr_cl_error(c, status, routererr, body, ex->request_id, ex->close_after);
}

static void rtr_ex_fail_route(rtr_exchange_t *ex, int status, const char *routererr)
{
    char body[RTR_MAX_HOST + 128];
    if (status == 404)
        snprintf(body, sizeof(body), "404 Not Found: Requested route ('%s') does not exist.\n",
                 ex->host);
    else if (status == 503)
        snprintf(body, sizeof(body),
                 "503 Service Unavailable: Requested route ('%s') has no "
                 "available endpoints.\n",
                 ex->host);
    else
        snprintf(body, sizeof(body), "%d %s\n", status, hc_http_reason(status));
    rtr_ex_fail(ex, status, routererr, body);
}

static void rtr_ex_start(rtr_client_t *c, hc_http_req_t *req, size_t head_len)
{
    rtr_t *r = c->r;
    rtr_exchange_t *ex = rtr_ex_new(c);
    rtr_head_out_t out;
    bool bad_instance = false, bad_host = false;

    r->stats.requests++;
    ex->c = c;
    c->ex = ex;
    ex->start_ns = hc_now_ns();
    size_t mlen = HC_MIN(req->method.len, sizeof(ex->method) - 1);
    memcpy(ex->method, req->method.p, mlen);
    ex->method[mlen] = '\0';
    ex->is_head = strcmp(ex->method, "HEAD") == 0;
    ex->idempotent = rtr_method_idempotent(ex->method);
    ex->upgrade = req->upgrade;
    ex->keep_alive = req->keep_alive;
    ex->http10 = req->minor_version == 0;
    hc_buf_append(&ex->path, req->path.p, req->path.len);
    if (rtr_host_normalize(req->host, ex->host) < 0) {
        bad_host = true;
        ex->host[0] = '\0';
    }

    rtr_head_in_t in = {c->ip, c->tls ? "https" : "http", (uint64_t)hc_wall_ms()};
    rtr_head_request(&ex->head, req, &in, &out);
    ex->head_common = ex->head.len;
    memcpy(ex->request_id, out.request_id, sizeof(ex->request_id));
    if (out.vcap_id.len && out.vcap_id.len <= RTR_REG_MAX_ID)
        memcpy(ex->vcap_id, out.vcap_id.p, out.vcap_id.len);
    if (out.app_instance.len) {
        hc_str_t app, index;
        if (rtr_app_instance_split(out.app_instance, &app, &index) && app.len <= RTR_REG_MAX_ID) {
            memcpy(ex->app_guid, app.p, app.len);
            memcpy(ex->app_index, index.p, index.len);
        } else {
            bad_instance = true;
        }
    }
    rtr_flow_init(&ex->req, rtr_flow_framing(req->body), req->content_length);
    ex->req.retain = true; /* until the response starts: a retry may replay the body */

    /* The head is copied out; its bytes leave the buffer, the body (if any) moves up. */
    memmove(c->buf, c->buf + head_len, c->len - head_len);
    c->len -= head_len;
    c->last_len = 0;
    c->in_head_timer = false; /* the client's timer is ignored until the exchange ends */

    if (bad_host) {
        rtr_ex_fail(ex, 400, "empty_host", "400 Bad Request: missing or invalid Host header\n");
        return;
    }
    if (bad_instance) {
        rtr_ex_fail(ex, 400, "invalid_cf_app_instance_header",
                    "400 Bad Request: Invalid X-CF-App-Instance Header\n");
        return;
    }
    rtr_ex_dispatch(ex);
}

static void rtr_cl_process(rtr_client_t *c)
{
    rtr_t *r = c->r;
    if (c->ex || c->closing || c->writing)
        return;
    if (c->len == 0) {
        if (c->eof)
            rtr_client_close(c);
        return;
    }
    hc_http_header_t headers[HC_HTTP_MAX_HEADERS];
    hc_http_req_t req;
    memset(&req, 0, sizeof(req));
    req.headers = headers;
    req.num_headers = HC_HTTP_MAX_HEADERS;
    int n = hc_http_parse_request(c->buf, c->len, c->last_len, &req);
    if (n == HC_AGAIN) {
        c->last_len = c->len;
        if (c->eof) {
            rtr_client_close(c);
            return;
        }
        if (c->len >= c->cap) {
            r->stats.bad_requests++;
            rtr_cl_error(c, 431, NULL, "431 Request Header Fields Too Large\n", NULL, true);
            return;
        }
        if (!c->in_head_timer) {
            c->in_head_timer = true;
            rtr_cl_deadline(c, r->conf.header_timeout_ms);
        }
        return;
    }
    if (n < 0) {
        int status = req.status ? req.status : 400;
        char body[64];
        snprintf(body, sizeof(body), "%d %s\n", status, hc_http_reason(status));
        r->stats.bad_requests++;
        rtr_cl_error(c, status, NULL, body, NULL, true);
        return;
    }
    rtr_ex_start(c, &req, (size_t)n);
}

/* ---- dispatch and retries ---------------------------------------------------------- */

static void rtr_ex_dispatch(rtr_exchange_t *ex)
{
    rtr_t *r = ex->c->r;
    rtr_pool_t *pool =
        rtr_table_lookup(r->table, hc_str_c(ex->host), hc_str(ex->path.data, ex->path.len));
    if (!pool) {
        if (ex->attempts == 0)
            rtr_ex_fail_route(ex, 404, "unknown_route");
        else
            rtr_ex_fail_route(ex, 502, "endpoint_failure");
        return;
    }
    rtr_pick_t pk = {
        .algo = r->conf.lb,
        .sticky = hc_str_c(ex->upgrade ? "" : ex->vcap_id),
        .app = hc_str_c(ex->app_guid),
        .index = hc_str_c(ex->app_index),
        .exclude = ex->tried,
        .nexclude = ex->attempts,
        .now_ms = uv_now(r->loop),
        .max_conns = r->conf.max_conns_per_backend,
    };
    rtr_backend_t *be = NULL;
    int rc = rtr_lb_pick(pool, &pk, &be);
    if (rc == RTR_PICK_NONE && ex->attempts > 0 && !ex->timed_out) {
        /*
         * Every backend of the route failed this request once (most often the route has a
         * single instance): while attempts remain, try them again rather than answer 502,
         * as a refused or reset connection can be a passing event (HAProxy's retries go to
         * the same server too). Not after a timeout: the client would wait for it again.
         */
        pk.nexclude = 0;
        rc = rtr_lb_pick(pool, &pk, &be);
    }
    if (rc == RTR_PICK_INSTANCE) {
        rtr_ex_fail_route(ex, 404, "unknown_route");
        return;
    }
    if (rc == RTR_PICK_LIMIT) {
        rtr_ex_fail(ex, 503, "Connection Limit Reached",
                    "503 Service Unavailable: backend connection limit reached\n");
        return;
    }
    if (rc < 0) {
        if (ex->attempts == 0) {
            rtr_ex_fail_route(ex, 503, "no_endpoints");
        } else {
            r->stats.bad_gateways++;
            rtr_ex_fail_route(ex, 502, "endpoint_failure");
        }
        return;
    }
    rtr_backend_ref(be);
    be->active++;
    ex->be = be;
    if (ex->attempts < HC_ARRAY_SIZE(ex->tried))
        ex->tried[ex->attempts++] = be;
    ex->head.len = ex->head_common;
    rtr_head_backend(&ex->head, be->app, be->instance_id, be->index);
    rtr_upstream_acquire(r, ex);
}

void rtr_exchange_on_upstream_failed(rtr_exchange_t *ex, int uverr, bool dial)
{
    rtr_t *r = ex->c->r;
    rtr_upstream_t *up = ex->up;
    bool reused = up && up->reused;

    if (ex->resp_parsed || ex->resp.head_sent || ex->interim) {
        rtr_client_close(ex->c); /* the response was under way: nothing to retry */
        return;
    }
    if (up) {
        rtr_upstream_close(up);
        ex->up = NULL;
    }
    rtr_backend_t *be = ex->be;
    /* No body byte written yet, or all of them kept in the client buffer: the request can be
     * sent again as it came. */
    bool nothing_sent = ex->req.bytes == 0;
    bool replayable = nothing_sent || !ex->req.lost;
    bool retry;
    if (ex->resp_started) {
        retry = false; /* part of a head came (or a 100 Continue went out): not a retry case */
    } else if (reused && !dial && uverr != UV_ETIMEDOUT && ex->stale_retries == 0) {
        /*
         * A pooled connection closed or reset before any response byte: the backend most
         * likely closed it as idle while the request was on its way (a keep-alive timeout
         * race), so it is not the backend's fault. One retry on a freshly dialed connection,
         * whatever the method while no body byte went out, idempotent requests otherwise.
         */
        if (ex->attempts > 0)
            ex->attempts--;
        ex->stale_retries++;
        ex->fresh = true;
        retry = nothing_sent || (ex->idempotent && replayable);
    } else {
        if (!reused || dial) {
            be->failed_until_ms = uv_now(r->loop) + r->conf.fail_cooldown_ms;
            hc_log_warn("backend failed, retrying another", "backend", be->key, "host", ex->host,
                        "err", uv_strerror(uverr));
        }
        retry = ex->attempts < r->conf.max_attempts && (dial || (ex->idempotent && replayable));
    }
    ex->timed_out = uverr == UV_ETIMEDOUT;
    rtr_ex_unbind_backend(ex);
    if (!retry) {
        r->stats.bad_gateways++;
        rtr_ex_fail_route(ex, 502, "endpoint_failure");
        return;
    }
    r->stats.retries++;
    /* Replay from the first body byte: what was written is still at the buffer's front. */
    ex->req.sent = 0;
    ex->req.inflight = 0;
    ex->req.bytes = 0;
    ex->req.head_sent = false;
    ex->req.done = false;
    ex->resp_started = false;
    rtr_ex_dispatch(ex);
}

/* ---- request body: client -> upstream ---------------------------------------------- */

void rtr_exchange_on_upstream_ready(rtr_exchange_t *ex)
{
    rtr_ex_req_pump(ex);
}

static void rtr_ex_check_done(rtr_exchange_t *ex)
{
    if (!ex->resp.done || (ex->up && ex->up->writing))
        return;
    if (!ex->req.done)
        ex->close_after = true;
    rtr_ex_finish(ex);
}

/* A request write completed: its bytes are kept for a replay while the response has not
 * started and the buffer has room, and dropped otherwise. */
static void rtr_ex_req_consume(rtr_exchange_t *ex)
{
    rtr_client_t *c = ex->c;
    ex->req.sent += ex->req.inflight;
    ex->req.inflight = 0;
    if (!ex->req.retain || c->len == c->cap) {
        ex->req.retain = false;
        rtr_ex_req_drop_sent(ex);
    }
    rtr_cl_read_resume(c);
}

static void rtr_ex_req_pump(rtr_exchange_t *ex)
{
    rtr_client_t *c = ex->c;
    rtr_upstream_t *up = ex->up;
    for (;;) {
        if (!up || !up->connected || up->writing || ex->req.done)
            return;
        if (rtr_flow_scan(&ex->req, c->buf, c->len, c->eof) < 0) {
            if (!ex->req.head_sent)
                rtr_ex_fail(ex, 400, NULL, "400 Bad Request: bad chunked encoding\n");
            else
                rtr_client_close(c);
            return;
        }
        uv_buf_t b[2];
        unsigned k = 0;
        size_t n = ex->req.ready - ex->req.sent;
        if (!ex->req.head_sent)
            b[k++] = uv_buf_init(ex->head.data, (unsigned)ex->head.len);
        if (n)
            b[k++] = uv_buf_init(c->buf + ex->req.sent, (unsigned)n);
        if (k == 0) {
            if (ex->req.ident_done) {
                ex->req.done = true;
                rtr_ex_check_done(ex);
            } else if (rtr_cl_read_resume(c)) {
                continue;
            }
            return;
        }
        ex->req.inflight = n;
        ex->req.bytes += n;
        int rc = rtr_upstream_write(up, b, k);
        if (rc < 0) {
            rtr_exchange_on_upstream_failed(ex, rc, false);
            return;
        }
        ex->req.head_sent = true;
        if (rc == 0)
            return; /* rtr_exchange_on_upstream_written continues */
        rtr_ex_req_consume(ex);
    }
}

void rtr_exchange_on_upstream_written(rtr_exchange_t *ex)
{
    rtr_ex_req_consume(ex);
    if (ex->req.done) {
        rtr_ex_check_done(ex);
        return;
    }
    rtr_ex_req_pump(ex);
}

/* ---- response: upstream -> client -------------------------------------------------- */

void rtr_exchange_on_upstream_data(rtr_exchange_t *ex)
{
    if (!ex->resp_started) {
        ex->resp_started = true;
        rtr_ex_req_unretain(ex);
    }
    if (!ex->resp_parsed) {
        if (!ex->interim && !ex->c->writing)
            rtr_ex_resp_head(ex);
        return;
    }
    rtr_ex_resp_pump(ex);
}

void rtr_exchange_on_upstream_eof(rtr_exchange_t *ex)
{
    if (!ex->resp_started && ex->up->len == 0) {
        rtr_exchange_on_upstream_failed(ex, UV_EOF, false);
        return;
    }
    if (!ex->resp_parsed) {
        if (ex->interim || ex->c->writing) {
            rtr_client_close(ex->c);
            return;
        }
        /* A head may be complete in the buffer; parse it before calling this a failure. */
        rtr_ex_resp_head(ex);
        return;
    }
    if (ex->tunnel) {
        rtr_client_close(ex->c);
        return;
    }
    rtr_ex_resp_pump(ex);
}

static void rtr_up_consume(rtr_upstream_t *up, size_t n)
{
    memmove(up->buf, up->buf + n, up->len - n);
    up->len -= n;
}

static void rtr_ex_bad_response(rtr_exchange_t *ex)
{
    rtr_t *r = ex->c->r;
    r->stats.bad_gateways++;
    if (ex->be)
        hc_log_warn("bad response from backend", "backend", ex->be->key, "host", ex->host);
    if (ex->up)
        ex->up->eof = true; /* never pooled */
    rtr_ex_fail_route(ex, 502, "endpoint_failure");
}

static void rtr_ex_resp_head(rtr_exchange_t *ex)
{
    rtr_client_t *c = ex->c;
    rtr_upstream_t *up = ex->up;
    rtr_t *r = c->r;
    hc_http_header_t headers[HC_HTTP_MAX_HEADERS];
    hc_http_resp_t resp;

    for (;;) {
        memset(&resp, 0, sizeof(resp));
        resp.headers = headers;
        resp.num_headers = HC_HTTP_MAX_HEADERS;
        int n = hc_http_parse_response(up->buf, up->len, up->last_len, ex->is_head, &resp);
        if (n == HC_AGAIN) {
            up->last_len = up->len;
            if (up->len >= up->cap || up->eof) {
                if (up->eof && up->len == 0) {
                    rtr_exchange_on_upstream_failed(ex, UV_EOF, false);
                    return;
                }
                rtr_ex_bad_response(ex);
            }
            return;
        }
        if (n < 0) {
            rtr_ex_bad_response(ex);
            return;
        }
        up->last_len = 0;
        ex->status = resp.status_code;
        if (resp.status_code >= 100 && resp.status_code < 200 && resp.status_code != 101) {
            /* Interim responses (100 Continue, 103) go to HTTP/1.1 clients as they come. */
            if (ex->http10) {
                rtr_up_consume(up, (size_t)n);
                continue;
            }
            rtr_resp_in_t rin = {0};
            hc_buf_reset(&ex->rhead);
            rtr_head_response(&ex->rhead, &resp, &rin);
            rtr_up_consume(up, (size_t)n);
            ex->interim = true;
            uv_buf_t b = uv_buf_init(ex->rhead.data, (unsigned)ex->rhead.len);
            if (rtr_cl_write(c, &b, 1) < 0)
                rtr_client_close(c);
            return;
        }
        if (resp.status_code == 101 && !ex->upgrade) {
            rtr_ex_bad_response(ex);
            return;
        }
        bool tunnel = resp.status_code == 101;
        ex->resp_parsed = true;
        int framing = tunnel ? RTR_FLOW_TUNNEL : rtr_flow_framing(resp.body);
        rtr_flow_init(&ex->resp, framing, resp.content_length);
        ex->up_keep = resp.keep_alive && framing != RTR_FLOW_UNTIL_CLOSE && !tunnel;
        if (!ex->keep_alive || c->eof || framing == RTR_FLOW_UNTIL_CLOSE || r->draining ||
            !ex->req.ident_done)
            ex->close_after = true;
        rtr_resp_in_t rin = {
            .instance_id = tunnel || !ex->be ? NULL : ex->be->instance_id,
            .request_id = ex->request_id,
            .close = ex->close_after && !tunnel,
            .keep_alive10 = ex->http10 && ex->keep_alive && !ex->close_after,
            .upgrade = tunnel,
        };
        hc_buf_reset(&ex->rhead);
        rtr_head_response(&ex->rhead, &resp, &rin);
        rtr_up_consume(up, (size_t)n);
        if (tunnel) {
            ex->tunnel = true;
            ex->close_after = true;
            ex->req.framing = RTR_FLOW_TUNNEL;
            ex->req.ident_done = false;
            ex->req.done = false;
            up->deadline_ms = UINT64_MAX; /* a tunnel lives as long as both sides */
            rtr_ex_resp_pump(ex);
            if (c->ex == ex)
                rtr_ex_req_pump(ex);
            return;
        }
        rtr_ex_resp_pump(ex);
        return;
    }
}

static void rtr_ex_resp_consume(rtr_exchange_t *ex)
{
    rtr_upstream_t *up = ex->up;
    size_t n = ex->resp.inflight;
    if (n) {
        rtr_up_consume(up, n);
        ex->resp.ready -= n;
        ex->resp.inflight = 0;
    }
    rtr_upstream_read_resume(up);
}

static void rtr_ex_resp_pump(rtr_exchange_t *ex)
{
    rtr_client_t *c = ex->c;
    rtr_upstream_t *up = ex->up;
    for (;;) {
        if (c->writing || ex->resp.done || !up)
            return;
        if (rtr_flow_scan(&ex->resp, up->buf, up->len, up->eof) < 0) {
            rtr_client_close(c);
            return;
        }
        uv_buf_t b[2];
        unsigned k = 0;
        size_t n = ex->resp.ready;
        if (!ex->resp.head_sent)
            b[k++] = uv_buf_init(ex->rhead.data, (unsigned)ex->rhead.len);
        if (n)
            b[k++] = uv_buf_init(up->buf, (unsigned)n);
        if (k == 0) {
            if (ex->resp.ident_done) {
                ex->resp.done = true;
                rtr_ex_check_done(ex);
            } else if (up->eof) {
                rtr_client_close(c); /* the backend closed in the middle of the body */
            } else {
                rtr_upstream_read_resume(up);
            }
            return;
        }
        ex->resp.inflight = n;
        ex->resp.bytes += n;
        int rc = rtr_cl_write_try(c, b, k);
        if (rc < 0) {
            rtr_client_close(c);
            return;
        }
        ex->resp.head_sent = true;
        if (rc == 0) {
            c->writing = true;
            return; /* rtr_cl_on_written continues */
        }
        rtr_ex_resp_consume(ex);
    }
}

static void rtr_ex_resp_written(rtr_exchange_t *ex)
{
    rtr_ex_resp_consume(ex);
    rtr_ex_resp_pump(ex);
}

void rtr_cl_on_written(uv_write_t *req, int status)
{
    rtr_client_t *c = req->data;
    c->writing = false;
    if (c->closing)
        return;
    if (status < 0) {
        rtr_client_close(c);
        return;
    }
    rtr_exchange_t *ex = c->ex;
    if (!ex) {
        rtr_client_close(c); /* a parse error answered: the stream cannot be resynced */
        return;
    }
    if (ex->failing) {
        rtr_ex_finish(ex);
        return;
    }
    if (ex->interim) {
        ex->interim = false;
        if (ex->up)
            rtr_ex_resp_head(ex);
        return;
    }
    rtr_ex_resp_written(ex);
}

/* ---- end of an exchange ------------------------------------------------------------ */

static void rtr_ex_access_log(rtr_t *r, rtr_exchange_t *ex, uint64_t usec)
{
    rtr_client_t *c = ex->c;
    char ts[32];
    hc_time_format_rfc3339(hc_wall_ms(), ts, sizeof(ts));
    /* The path without its query: query strings often carry secrets. */
    fprintf(r->access_log,
            "%s - [%s] \"%s %s\" %d %llu %llu host=\"%s\" backend=\"%s\" app_id=\"%s\" "
            "app_index=\"%s\" instance_id=\"%s\" vcap_request_id=\"%s\" response_time=%.6f\n",
            c->ip, ts, ex->method, ex->path.data, ex->status, (unsigned long long)ex->req.bytes,
            (unsigned long long)ex->resp.bytes, ex->host, ex->be ? ex->be->key : "-",
            ex->be ? ex->be->app : "", ex->be ? ex->be->index : "",
            ex->be ? ex->be->instance_id : "", ex->request_id, (double)usec / 1e6);
}

static void rtr_ex_finish(rtr_exchange_t *ex)
{
    rtr_client_t *c = ex->c;
    rtr_t *r = c->r;
    uint64_t usec = (hc_now_ns() - ex->start_ns) / 1000;
    rtr_stats_response(&r->stats, ex->status, usec);
    if (r->access_log)
        rtr_ex_access_log(r, ex, usec);
    if (ex->up) {
        bool reusable = ex->up_keep && ex->req.done && ex->resp.done && !ex->failing;
        rtr_upstream_release(ex->up, reusable);
        ex->up = NULL;
    }
    bool close = ex->close_after || r->draining;
    rtr_ex_free(ex);
    c->ex = NULL;
    if (close) {
        rtr_client_close(c);
        return;
    }
    rtr_cl_idle(c);
    rtr_cl_read_resume(c);
    if (c->len > 0)
        rtr_cl_process(c); /* a pipelined request is already here */
    else if (c->eof)
        rtr_client_close(c);
}

/* ---- listening ----------------------------------------------------------------------- */

static int rtr_listen_on(rtr_t *r, uv_tcp_t *l, const char *ip, int port, hc_err_t *err)
{
    struct sockaddr_storage ss;
    int rc = strchr(ip, ':') ? uv_ip6_addr(ip, port, (struct sockaddr_in6 *)&ss)
                             : uv_ip4_addr(ip, port, (struct sockaddr_in *)&ss);
    if (rc < 0)
        return hc_err_set(err, -EINVAL, "listen address %s: %s", ip, uv_strerror(rc));
    uv_tcp_init_ex(r->loop, l, ss.ss_family);
    l->data = r;
    if (r->conf.workers > 1) {
        uv_os_fd_t fd;
        int one = 1;
        uv_fileno((uv_handle_t *)l, &fd);
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    }
    rc = uv_tcp_bind(l, (struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)l, 4096, rtr_on_connection);
    if (rc < 0)
        return hc_err_set(err, -EADDRINUSE, "listen on %s:%d: %s", ip, port, uv_strerror(rc));
    return 0;
}

int rtr_proxy_listen(rtr_t *r, hc_err_t *err)
{
    int rc = rtr_listen_on(r, &r->listener, r->conf.ip, r->conf.d.port, err);
    if (rc < 0 || !r->tls)
        return rc;
    return rtr_listen_on(r, &r->tls_listener, r->conf.ip, r->conf.tls_port, err);
}
