/*
 * Backend connections (see rtr.h): dialing with a timeout, one exchange at a time, and a
 * bounded pool of idle keep-alive connections per backend. An idle connection keeps
 * reading so a backend that closes it is noticed and the connection dropped at once.
 */
#include <string.h>

#include "hc_log.h"
#include "hc_time.h"
#include "rtr.h"

static void rtr_up_on_closed(uv_handle_t *h)
{
    rtr_upstream_t *up = h->data;
    if (--up->handles > 0)
        return;
    up->r->stats.upstream_conns--;
    rtr_backend_unref(up->be);
    free(up->buf);
    free(up);
}

static void rtr_up_idle_remove(rtr_upstream_t *up)
{
    rtr_backend_t *be = up->be;
    if (up->iprev)
        up->iprev->inext = up->inext;
    else if (be->idle == up)
        be->idle = up->inext;
    else
        return; /* not in the list */
    if (up->inext)
        up->inext->iprev = up->iprev;
    up->inext = up->iprev = NULL;
    be->idle_count--;
}

void rtr_upstream_close(rtr_upstream_t *up)
{
    if (up->closing)
        return;
    up->closing = true;
    rtr_up_idle_remove(up);
    up->ex = NULL;
    uv_close((uv_handle_t *)&up->tcp, rtr_up_on_closed);
    uv_close((uv_handle_t *)&up->timer, rtr_up_on_closed);
}

void rtr_upstream_close_idle(rtr_backend_t *be)
{
    while (be->idle)
        rtr_upstream_close(be->idle);
}

static void rtr_up_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    rtr_upstream_t *up = h->data;
    buf->base = up->buf + up->len;
    buf->len = up->cap - up->len;
}

static void rtr_up_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    rtr_upstream_t *up = s->data;
    if (nread == 0 || up->closing)
        return;
    if (!up->ex) {
        /* Idle: the backend closed the connection or sent bytes nobody asked for. */
        rtr_upstream_close(up);
        return;
    }
    if (nread < 0) {
        up->eof = true;
        uv_read_stop(s);
        up->reading = false;
        rtr_exchange_on_upstream_eof(up->ex);
        return;
    }
    up->len += (size_t)nread;
    if (up->len == up->cap) {
        uv_read_stop(s);
        up->reading = false;
    }
    rtr_exchange_on_upstream_data(up->ex);
}

void rtr_upstream_read_resume(rtr_upstream_t *up)
{
    if (!up->reading && !up->closing && !up->eof && up->len < up->cap) {
        if (uv_read_start((uv_stream_t *)&up->tcp, rtr_up_alloc, rtr_up_on_read) == 0)
            up->reading = true;
    }
}

void rtr_timer_arm(uv_timer_t *t, uint64_t *due, uint64_t deadline, uv_timer_cb cb)
{
    if (*due != 0 && *due <= deadline)
        return; /* fires first; the callback re-arms for the rest */
    uint64_t now = uv_now(t->loop);
    *due = deadline;
    uv_timer_start(t, cb, deadline > now ? deadline - now : 0, 0);
}

static void rtr_up_on_timeout(uv_timer_t *t);

static void rtr_up_deadline(rtr_upstream_t *up, uint32_t ms)
{
    up->deadline_ms = uv_now(up->r->loop) + ms;
    rtr_timer_arm(&up->timer, &up->due_ms, up->deadline_ms, rtr_up_on_timeout);
}

static void rtr_up_on_timeout(uv_timer_t *t)
{
    rtr_upstream_t *up = t->data;
    rtr_exchange_t *ex = up->ex;
    up->due_ms = 0;
    if (up->deadline_ms == UINT64_MAX)
        return; /* a tunnel: no deadline */
    if (uv_now(up->r->loop) < up->deadline_ms) {
        rtr_timer_arm(&up->timer, &up->due_ms, up->deadline_ms, rtr_up_on_timeout);
        return;
    }
    if (!ex) {
        rtr_upstream_close(up); /* idle too long in the pool */
        return;
    }
    bool dial = !up->connected;
    rtr_exchange_on_upstream_failed(ex, UV_ETIMEDOUT, dial);
}

static void rtr_up_on_connect(uv_connect_t *req, int status)
{
    rtr_upstream_t *up = req->data;
    if (up->closing || !up->ex)
        return;
    if (status < 0) {
        rtr_exchange_on_upstream_failed(up->ex, status, true);
        return;
    }
    up->connected = true;
    rtr_up_deadline(up, up->r->conf.request_timeout_ms);
    rtr_upstream_read_resume(up);
    rtr_exchange_on_upstream_ready(up->ex);
}

static void rtr_up_bind(rtr_upstream_t *up, rtr_exchange_t *ex)
{
    up->ex = ex;
    ex->up = up;
    up->last_len = 0;
}

void rtr_upstream_acquire(rtr_t *r, rtr_exchange_t *ex)
{
    rtr_backend_t *be = ex->be;
    rtr_upstream_t *up = ex->fresh ? NULL : be->idle;
    if (up) {
        rtr_up_idle_remove(up);
        up->reused = true;
        rtr_up_bind(up, ex);
        rtr_up_deadline(up, r->conf.request_timeout_ms);
        rtr_exchange_on_upstream_ready(ex);
        return;
    }

    up = hc_calloc(1, sizeof(*up));
    up->r = r;
    up->be = be;
    rtr_backend_ref(be);
    up->cap = RTR_UPSTREAM_BUF;
    up->buf = hc_malloc(up->cap);
    uv_tcp_init(r->loop, &up->tcp);
    uv_timer_init(r->loop, &up->timer);
    up->tcp.data = up->timer.data = up->creq.data = up->wreq.data = up;
    up->handles = 2;
    r->stats.upstream_conns++;
    rtr_up_bind(up, ex);
    uv_tcp_nodelay(&up->tcp, 1);
    int rc =
        uv_tcp_connect(&up->creq, &up->tcp, (const struct sockaddr *)&be->addr, rtr_up_on_connect);
    if (rc < 0) {
        rtr_exchange_on_upstream_failed(ex, rc, true);
        return;
    }
    rtr_up_deadline(up, r->conf.dial_timeout_ms);
}

void rtr_upstream_release(rtr_upstream_t *up, bool reusable)
{
    rtr_backend_t *be = up->be;
    up->ex = NULL;
    if (!reusable || up->closing || up->eof || up->len != 0 || be->gone ||
        be->idle_count >= up->r->conf.max_idle_per_backend || up->r->draining) {
        rtr_upstream_close(up);
        return;
    }
    up->inext = be->idle;
    up->iprev = NULL;
    if (be->idle)
        ((rtr_upstream_t *)be->idle)->iprev = up;
    be->idle = up;
    be->idle_count++;
    rtr_up_deadline(up, up->r->conf.upstream_idle_ms);
    rtr_upstream_read_resume(up);
}

static void rtr_up_on_written(uv_write_t *req, int status)
{
    rtr_upstream_t *up = req->data;
    up->writing = false;
    if (up->closing || !up->ex)
        return;
    if (status < 0) {
        rtr_exchange_on_upstream_failed(up->ex, status, false);
        return;
    }
    rtr_exchange_on_upstream_written(up->ex);
}

/*
 * Writes at once when the socket takes it all (the common case for heads and small bodies):
 * no write request, no callback, and none of the epoll changes libuv makes around queued
 * writes. Whatever is left is queued with uv_write.
 */
int rtr_stream_write(uv_stream_t *s, uv_write_t *req, uv_buf_t *bufs, unsigned n, uv_write_cb cb)
{
    size_t total = 0;
    for (unsigned i = 0; i < n; i++)
        total += bufs[i].len;
    int w = uv_try_write(s, bufs, n);
    if (w == UV_EAGAIN || w == UV_ENOSYS)
        w = 0;
    else if (w < 0)
        return w;
    if ((size_t)w == total)
        return 1;
    uv_buf_t rest[2];
    unsigned k = 0;
    size_t skip = (size_t)w;
    for (unsigned i = 0; i < n; i++) {
        if (skip >= bufs[i].len) {
            skip -= bufs[i].len;
            continue;
        }
        rest[k++] = uv_buf_init(bufs[i].base + skip, (unsigned)(bufs[i].len - skip));
        skip = 0;
    }
    int rc = uv_write(req, s, rest, k, cb);
    return rc < 0 ? rc : 0;
}

int rtr_upstream_write(rtr_upstream_t *up, uv_buf_t *bufs, unsigned n)
{
    hc_assert(!up->writing && n <= 2);
    int rc = rtr_stream_write((uv_stream_t *)&up->tcp, &up->wreq, bufs, n, rtr_up_on_written);
    if (rc == 0)
        up->writing = true;
    return rc;
}
