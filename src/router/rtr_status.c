/*
 * The status port: /healthz (503 while draining), /varz (counters and latency percentiles
 * as JSON), /routes (the table as JSON). One request per connection, answered and closed.
 */
#include <string.h>

#include "hc_log.h"
#include "hc_time.h"
#include "rtr.h"

#define RTR_STATUS_BUF 8192

typedef struct rtr_status_conn_s {
    uv_tcp_t tcp;
    uv_write_t wreq;
    uv_timer_t timer;
    rtr_t *r;
    char buf[RTR_STATUS_BUF];
    size_t len;
    hc_buf_t out;
    int handles;
    bool closing;
} rtr_status_conn_t;

static void rtr_st_on_closed(uv_handle_t *h)
{
    rtr_status_conn_t *sc = h->data;
    if (--sc->handles > 0)
        return;
    hc_buf_release(&sc->out);
    free(sc);
}

static void rtr_st_close(rtr_status_conn_t *sc)
{
    if (sc->closing)
        return;
    sc->closing = true;
    uv_close((uv_handle_t *)&sc->tcp, rtr_st_on_closed);
    uv_close((uv_handle_t *)&sc->timer, rtr_st_on_closed);
}

static void rtr_st_on_written(uv_write_t *req, int status)
{
    (void)status;
    rtr_st_close(req->data);
}

static void rtr_st_varz(rtr_t *r, hc_buf_t *b)
{
    const rtr_stats_t *s = &r->stats;
    hc_buf_appendf(b,
                   "{\"type\":\"Router\",\"index\":0,\"uuid\":\"%s\",\"requests\":%llu,"
                   "\"bad_requests\":%llu,\"bad_gateways\":%llu,\"retries\":%llu,"
                   "\"rejected_connections\":%llu,",
                   r->id, (unsigned long long)s->requests, (unsigned long long)s->bad_requests,
                   (unsigned long long)s->bad_gateways, (unsigned long long)s->retries,
                   (unsigned long long)s->rejected_conns);
    hc_buf_appendf(b,
                   "\"responses_1xx\":%llu,\"responses_2xx\":%llu,\"responses_3xx\":%llu,"
                   "\"responses_4xx\":%llu,\"responses_5xx\":%llu,\"responses_xxx\":%llu,",
                   (unsigned long long)s->responses[1], (unsigned long long)s->responses[2],
                   (unsigned long long)s->responses[3], (unsigned long long)s->responses[4],
                   (unsigned long long)s->responses[5], (unsigned long long)s->responses[0]);
    hc_buf_appendf(
        b,
        "\"latency\":{\"50\":%.6f,\"75\":%.6f,\"90\":%.6f,\"95\":%.6f,\"99\":%.6f,"
        "\"samples\":%llu},",
        (double)rtr_stats_percentile(s, 50) / 1e6, (double)rtr_stats_percentile(s, 75) / 1e6,
        (double)rtr_stats_percentile(s, 90) / 1e6, (double)rtr_stats_percentile(s, 95) / 1e6,
        (double)rtr_stats_percentile(s, 99) / 1e6, (unsigned long long)s->lat_count);
    uint64_t now = uv_now(r->loop);
    hc_buf_appendf(b,
                   "\"urls\":%zu,\"droplets\":%zu,\"client_connections\":%llu,"
                   "\"backend_connections\":%llu,\"bus_connected\":%s,"
                   "\"ms_since_last_registry_update\":%llu,\"draining\":%s}\n",
                   rtr_table_route_count(r->table), rtr_table_backend_count(r->table),
                   (unsigned long long)s->client_conns, (unsigned long long)s->upstream_conns,
                   r->bus_up ? "true" : "false",
                   (unsigned long long)(r->last_update_ms ? now - r->last_update_ms : 0),
                   r->draining ? "true" : "false");
}

static void rtr_st_respond(rtr_status_conn_t *sc, int status, const char *ctype, hc_buf_t *body)
{
    hc_buf_init(&sc->out, 0);
    hc_buf_appendf(&sc->out,
                   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n",
                   status, hc_http_reason(status), ctype, body->len);
    hc_buf_append(&sc->out, body->data, body->len);
    uv_buf_t b = uv_buf_init(sc->out.data, (unsigned)sc->out.len);
    if (uv_write(&sc->wreq, (uv_stream_t *)&sc->tcp, &b, 1, rtr_st_on_written) < 0)
        rtr_st_close(sc);
}

static void rtr_st_handle(rtr_status_conn_t *sc, const hc_http_req_t *req)
{
    rtr_t *r = sc->r;
    hc_buf_t body;
    hc_buf_init(&body, 0);
    int status = 200;
    const char *ctype = "application/json";
    if (hc_str_eq(req->path, HC_STR_LIT("/healthz")) ||
        hc_str_eq(req->path, HC_STR_LIT("/health"))) {
        ctype = "text/plain";
        if (r->draining) {
            status = 503;
            hc_buf_append_str(&body, "draining\n");
        } else {
            hc_buf_append_str(&body, "ok\n");
        }
    } else if (hc_str_eq(req->path, HC_STR_LIT("/varz"))) {
        rtr_st_varz(r, &body);
    } else if (hc_str_eq(req->path, HC_STR_LIT("/routes"))) {
        rtr_table_dump_json(r->table, &body);
        hc_buf_append_byte(&body, '\n');
    } else {
        status = 404;
        ctype = "text/plain";
        hc_buf_append_str(&body, "not found\n");
    }
    rtr_st_respond(sc, status, ctype, &body);
    hc_buf_release(&body);
}

static void rtr_st_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    rtr_status_conn_t *sc = h->data;
    buf->base = sc->buf + sc->len;
    buf->len = sizeof(sc->buf) - sc->len;
}

static void rtr_st_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    rtr_status_conn_t *sc = s->data;
    if (nread == 0 || sc->closing)
        return;
    if (nread < 0) {
        rtr_st_close(sc);
        return;
    }
    sc->len += (size_t)nread;
    hc_http_header_t headers[HC_HTTP_MAX_HEADERS];
    hc_http_req_t req;
    memset(&req, 0, sizeof(req));
    req.headers = headers;
    req.num_headers = HC_HTTP_MAX_HEADERS;
    int n = hc_http_parse_request(sc->buf, sc->len, 0, &req);
    if (n == HC_AGAIN && sc->len < sizeof(sc->buf))
        return;
    uv_read_stop(s);
    if (n < 0) {
        rtr_st_close(sc);
        return;
    }
    rtr_st_handle(sc, &req);
}

static void rtr_st_on_timeout(uv_timer_t *t)
{
    rtr_st_close(t->data);
}

static void rtr_st_on_connection(uv_stream_t *server, int status)
{
    rtr_t *r = server->data;
    if (status < 0)
        return;
    rtr_status_conn_t *sc = hc_calloc(1, sizeof(*sc));
    sc->r = r;
    uv_tcp_init(r->loop, &sc->tcp);
    uv_timer_init(r->loop, &sc->timer);
    sc->tcp.data = sc->timer.data = sc->wreq.data = sc;
    sc->handles = 2;
    hc_buf_init(&sc->out, 0);
    if (uv_accept(server, (uv_stream_t *)&sc->tcp) < 0) {
        rtr_st_close(sc);
        return;
    }
    uv_timer_start(&sc->timer, rtr_st_on_timeout, 10000, 0);
    uv_read_start((uv_stream_t *)&sc->tcp, rtr_st_alloc, rtr_st_on_read);
}

int rtr_status_listen(rtr_t *r, hc_err_t *err)
{
    struct sockaddr_storage ss;
    int rc = strchr(r->conf.status_ip, ':')
                 ? uv_ip6_addr(r->conf.status_ip, r->conf.d.status_port, (struct sockaddr_in6 *)&ss)
                 : uv_ip4_addr(r->conf.status_ip, r->conf.d.status_port, (struct sockaddr_in *)&ss);
    if (rc < 0)
        return hc_err_set(err, -EINVAL, "status address %s: %s", r->conf.status_ip,
                          uv_strerror(rc));
    uv_tcp_init_ex(r->loop, &r->status_listener, ss.ss_family);
    r->status_listener.data = r;
    if (r->conf.workers > 1) {
        uv_os_fd_t fd;
        int one = 1;
        uv_fileno((uv_handle_t *)&r->status_listener, &fd);
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    }
    rc = uv_tcp_bind(&r->status_listener, (struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&r->status_listener, 128, rtr_st_on_connection);
    if (rc < 0)
        return hc_err_set(err, -EADDRINUSE, "status listen on %s:%d: %s", r->conf.status_ip,
                          r->conf.d.status_port, uv_strerror(rc));
    return 0;
}
