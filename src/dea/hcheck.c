/*
 * The HTTP health check: connect, write the request, read the answer's head (at most
 * DEA_HCHECK_MAX_HEAD bytes), report the status code; a timer bounds the whole exchange.
 * The check owns two handles (socket, timer) and is freed once both are closed.
 */
#include <stdio.h>
#include <string.h>

#include "hc_base.h"
#include "hc_http.h"
#include "hcheck.h"

struct dea_hcheck_s {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_connect_t conn;
    uv_write_t wr;
    int open_handles;
    int connect_err; /* the connect could not even begin */
    bool done;
    dea_hcheck_fn fn;
    void *ud;
    uint64_t timeout_ms;
    char *req;
    size_t len;
    char head[DEA_HCHECK_MAX_HEAD];
};

int dea_hcheck_status(const char *buf, size_t len)
{
    hc_http_header_t hdrs[HC_HTTP_MAX_HEADERS];
    hc_http_resp_t resp = {.headers = hdrs, .num_headers = HC_HTTP_MAX_HEADERS};
    if (len > DEA_HCHECK_MAX_HEAD)
        len = DEA_HCHECK_MAX_HEAD;
    int n = hc_http_parse_response(buf, len, 0, false, &resp);
    if (n == HC_AGAIN)
        return len < DEA_HCHECK_MAX_HEAD ? HC_AGAIN : HC_EPROTO;
    if (n < 0 || resp.status_code < 100 || resp.status_code > 999)
        return HC_EPROTO;
    return resp.status_code;
}

static void on_closed(uv_handle_t *hd)
{
    dea_hcheck_t *h = hd->data;
    if (--h->open_handles == 0) {
        free(h->req);
        free(h);
    }
}

/* Reports once (unless cancelled) and closes both handles. */
static void end(dea_hcheck_t *h, int status, const char *error)
{
    if (h->done)
        return;
    h->done = true;
    uv_timer_stop(&h->timer);
    if (!uv_is_closing((uv_handle_t *)&h->tcp))
        uv_close((uv_handle_t *)&h->tcp, on_closed);
    if (!uv_is_closing((uv_handle_t *)&h->timer))
        uv_close((uv_handle_t *)&h->timer, on_closed);
    if (h->fn)
        h->fn(h->ud, status, error);
}

static void on_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    dea_hcheck_t *h = hd->data;
    *buf = uv_buf_init(h->head + h->len, (unsigned)(sizeof(h->head) - h->len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    dea_hcheck_t *h = s->data;
    if (nread == 0 || h->done)
        return;
    if (nread < 0) {
        end(h, 0,
            nread == UV_EOF ? (h->len ? "connection closed inside the response head"
                                      : "connection closed without a response")
                            : uv_strerror((int)nread));
        return;
    }
    h->len += (size_t)nread;
    int st = dea_hcheck_status(h->head, h->len);
    if (st == HC_AGAIN)
        return;
    end(h, st > 0 ? st : 0, st > 0 ? NULL : "malformed response");
}

static void on_written(uv_write_t *w, int status)
{
    dea_hcheck_t *h = w->data;
    if (status < 0)
        end(h, 0, uv_strerror(status));
}

static void on_connect(uv_connect_t *c, int status)
{
    dea_hcheck_t *h = c->data;
    if (h->done)
        return;
    if (status < 0) {
        end(h, 0, status == UV_ECONNREFUSED ? "connection refused" : uv_strerror(status));
        return;
    }
    uv_buf_t b = uv_buf_init(h->req, (unsigned)strlen(h->req));
    h->wr.data = h;
    int r = uv_write(&h->wr, (uv_stream_t *)&h->tcp, &b, 1, on_written);
    if (r == 0)
        r = uv_read_start((uv_stream_t *)&h->tcp, on_alloc, on_read);
    if (r < 0)
        end(h, 0, uv_strerror(r));
}

static void on_timeout(uv_timer_t *t)
{
    dea_hcheck_t *h = t->data;
    char why[48];
    if (h->connect_err) {
        end(h, 0, uv_strerror(h->connect_err));
        return;
    }
    snprintf(why, sizeof(why), "timed out after %llu ms", (unsigned long long)h->timeout_ms);
    end(h, 0, why);
}

dea_hcheck_t *dea_hcheck_start(uv_loop_t *loop, int port, const char *host, const char *path,
                               uint64_t timeout_ms, dea_hcheck_fn fn, void *ud)
{
    dea_hcheck_t *h = hc_calloc(1, sizeof(*h));
    struct sockaddr_in sa;
    h->fn = fn;
    h->ud = ud;
    h->timeout_ms = timeout_ms;
    h->req = hc_asprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: hearth-dea\r\n"
                         "Connection: close\r\n\r\n",
                         path, host);
    uv_tcp_init(loop, &h->tcp);
    uv_timer_init(loop, &h->timer);
    h->tcp.data = h->timer.data = h->conn.data = h;
    h->open_handles = 2;
    uv_timer_start(&h->timer, on_timeout, timeout_ms, 0);
    uv_ip4_addr("127.0.0.1", port, &sa);
    int r = uv_tcp_connect(&h->conn, &h->tcp, (const struct sockaddr *)&sa, on_connect);
    if (r < 0) {
        /* reported from the loop, not from inside the caller */
        h->connect_err = r;
        uv_timer_stop(&h->timer);
        uv_timer_start(&h->timer, on_timeout, 0, 0);
    }
    return h;
}

void dea_hcheck_cancel(dea_hcheck_t *h)
{
    if (!h)
        return;
    h->fn = NULL;
    end(h, 0, NULL);
}
