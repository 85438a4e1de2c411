/*
 * One JSON POST to a daemon on loopback, on hearthd's loop: connect, write the request with
 * "Connection: close", read the answer to end of file (bounded), parse its status line. It is
 * all hearthd needs of HTTP (registering the admin), and it keeps libcurl and its dependencies
 * out of the supervisor's memory.
 */
#include <stdio.h>
#include <string.h>

#include "hc_buf.h"
#include "hc_http.h"
#include "hd.h"

#define HD_POST_MAX_RESPONSE (64 * 1024)

struct hd_post_s {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    uv_timer_t timer;
    hc_buf_t req, resp;
    hd_post_cb cb;
    void *ud;
    int closing; /* handles not closed yet */
    bool done;   /* the callback ran (or was cancelled) */
};

static void post_on_close(uv_handle_t *h)
{
    hd_post_t *p = h->data;
    if (--p->closing > 0)
        return;
    hc_buf_release(&p->req);
    hc_buf_release(&p->resp);
    free(p);
}

/* Calls back once (unless cancelled), then closes both handles; p is freed after. */
static void post_finish(hd_post_t *p, const char *error)
{
    if (p->done)
        return;
    p->done = true;
    uv_timer_stop(&p->timer);
    if (p->cb) {
        int status = 0;
        const char *body = NULL;
        size_t body_len = 0;
        if (!error) {
            hc_http_header_t headers[HC_HTTP_MAX_HEADERS];
            hc_http_resp_t resp = {.headers = headers, .num_headers = HC_HTTP_MAX_HEADERS};
            int n = hc_http_parse_response(p->resp.data ? p->resp.data : "", p->resp.len, 0, false,
                                           &resp);
            if (n > 0) {
                status = resp.status_code;
                body = p->resp.data + n;
                body_len = p->resp.len - (size_t)n;
            } else {
                error = "malformed HTTP response";
            }
        }
        p->cb(status, body, body_len, error, p->ud);
    }
    p->closing = 2;
    uv_close((uv_handle_t *)&p->tcp, post_on_close);
    uv_close((uv_handle_t *)&p->timer, post_on_close);
}

static void post_on_timeout(uv_timer_t *t)
{
    post_finish(t->data, "timed out");
}

static void post_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    static char chunk[16 * 1024]; /* loop thread only; copied out at once */
    *buf = uv_buf_init(chunk, sizeof(chunk));
}

static void post_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    hd_post_t *p = s->data;
    if (n == UV_EOF) {
        post_finish(p, NULL);
        return;
    }
    if (n < 0) {
        post_finish(p, uv_strerror((int)n));
        return;
    }
    hc_buf_append(&p->resp, buf->base, (size_t)n);
    if (p->resp.overflow)
        post_finish(p, "response too large");
}

static void post_on_write(uv_write_t *w, int status)
{
    hd_post_t *p = w->data;
    if (status < 0)
        post_finish(p, uv_strerror(status));
    else if (!p->done)
        uv_read_start((uv_stream_t *)&p->tcp, post_alloc, post_on_read);
}

static void post_on_connect(uv_connect_t *c, int status)
{
    hd_post_t *p = c->data;
    if (p->done)
        return;
    if (status < 0) {
        post_finish(p, uv_strerror(status));
        return;
    }
    uv_buf_t b = uv_buf_init(p->req.data, (unsigned)p->req.len);
    int r = uv_write(&p->write, (uv_stream_t *)&p->tcp, &b, 1, post_on_write);
    if (r < 0)
        post_finish(p, uv_strerror(r));
}

int hd_post(uv_loop_t *loop, int port, const char *path, const char *json, uint64_t timeout_ms,
            hd_post_cb cb, void *ud, hd_post_t **ret, hc_err_t *err)
{
    struct sockaddr_in sa;
    int r = uv_ip4_addr("127.0.0.1", port, &sa);
    if (r < 0)
        return hc_err_set(err, r, "port %d", port);
    hd_post_t *p = hc_calloc(1, sizeof(*p));
    p->cb = cb;
    p->ud = ud;
    hc_buf_init(&p->req, 64 * 1024);
    hc_buf_init(&p->resp, HD_POST_MAX_RESPONSE);
    hc_buf_appendf(&p->req,
                   "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                   path, port, strlen(json), json);
    if (p->req.overflow) {
        hc_buf_release(&p->req);
        hc_buf_release(&p->resp);
        free(p);
        return hc_err_set(err, -E2BIG, "request too large");
    }
    uv_tcp_init(loop, &p->tcp);
    uv_timer_init(loop, &p->timer);
    p->tcp.data = p->timer.data = p->connect.data = p->write.data = p;
    uv_timer_start(&p->timer, post_on_timeout, timeout_ms, 0);
    r = uv_tcp_connect(&p->connect, &p->tcp, (const struct sockaddr *)&sa, post_on_connect);
    if (r < 0) {
        p->cb = NULL;
        post_finish(p, NULL);
        return hc_err_set(err, r, "connect to 127.0.0.1:%d", port);
    }
    if (ret)
        *ret = p;
    return 0;
}

void hd_post_cancel(hd_post_t *p)
{
    if (!p || p->done)
        return;
    p->cb = NULL;
    post_finish(p, "cancelled");
}
