/* The HTTP server: listener, connection set, graceful close. */
#include <string.h>

#include "server_int.h"

static void server_on_handle_close(uv_handle_t *h);

static void server_check_done(hc_http_server_t *srv)
{
    if (!srv->closing || srv->close_done || srv->num_conns > 0)
        return;
    if (!srv->drain_closed) {
        /* Everything finished before the drain deadline. */
        srv->drain_closed = true;
        uv_close((uv_handle_t *)&srv->drain_timer, server_on_handle_close);
    }
    if (srv->open_handles > 0)
        return;
    srv->close_done = true;
    if (srv->free_when_closed) {
        hc_http_server_free(srv); /* a server that failed to start: nobody else holds it */
        return;
    }
    if (srv->done)
        srv->done(srv, srv->done_data); /* may free srv: touch nothing after */
}

void hc__http_server_conn_gone(hc_http_server_t *srv, hc__http_conn_t *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->num_conns--;
    server_check_done(srv);
}

static void server_on_connection(uv_stream_t *listener, int status)
{
    hc_http_server_t *srv = listener->data;
    if (status < 0)
        return; /* EMFILE and the like: the next connection will try again */
    hc__http_conn_start(srv, listener);
}

static void server_on_handle_close(uv_handle_t *h)
{
    hc_http_server_t *srv = h->data;
    srv->open_handles--;
    server_check_done(srv);
}

static int server_bind(hc_http_server_t *srv, hc_err_t *err)
{
    struct sockaddr_storage ss;
    int r;

    if (strchr(srv->host, ':'))
        r = uv_ip6_addr(srv->host, srv->conf.port, (struct sockaddr_in6 *)&ss);
    else
        r = uv_ip4_addr(srv->host, srv->conf.port, (struct sockaddr_in *)&ss);
    if (r < 0)
        return hc_err_set(err, -EINVAL, "bad listen address `%s`", srv->host);
    r = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&ss, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&srv->listener, 511, server_on_connection);
    if (r < 0)
        return hc_err_set(err, r, "listen on %s:%d: %s", srv->host, srv->conf.port, uv_strerror(r));

    int len = sizeof(ss);
    r = uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&ss, &len);
    if (r < 0)
        return hc_err_set(err, r, "getsockname: %s", uv_strerror(r));
    srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    return 0;
}

int hc_http_server_new(uv_loop_t *loop, const hc_http_server_conf_t *conf,
                       hc_http_server_t **ret_srv, hc_err_t *err)
{
    hc_http_server_t *srv = hc_calloc(1, sizeof(*srv));
    int r;

    srv->loop = loop;
    srv->conf = *conf;
    srv->host = hc_strdup(conf->host ? conf->host : "127.0.0.1");
    srv->conf.host = srv->host;
    if (!srv->conf.max_body)
        srv->conf.max_body = HC_HTTP_DEFAULT_MAX_BODY;
    if (!srv->conf.header_timeout_ms)
        srv->conf.header_timeout_ms = HC_HTTP_DEFAULT_HEADER_TIMEOUT_MS;
    if (!srv->conf.body_timeout_ms)
        srv->conf.body_timeout_ms = HC_HTTP_DEFAULT_BODY_TIMEOUT_MS;
    if (!srv->conf.idle_timeout_ms)
        srv->conf.idle_timeout_ms = HC_HTTP_DEFAULT_IDLE_TIMEOUT_MS;
    if (!srv->conf.max_conns)
        srv->conf.max_conns = HC_HTTP_DEFAULT_MAX_CONNS;
    if (!srv->conf.write_high_water)
        srv->conf.write_high_water = HC_HTTP_DEFAULT_WRITE_HIGH_WATER;
    srv->routes_tail = &srv->routes;

    uv_tcp_init(loop, &srv->listener);
    uv_timer_init(loop, &srv->drain_timer);
    srv->listener.data = srv;
    srv->drain_timer.data = srv;
    srv->open_handles = 2;

    r = server_bind(srv, err);
    if (r < 0) {
        /* The handles are closed on the loop; the server frees itself once they are. */
        hc_http_server_close(srv, 0, NULL, NULL);
        srv->free_when_closed = true;
        return r;
    }
    *ret_srv = srv;
    return 0;
}

int hc_http_server_port(const hc_http_server_t *srv)
{
    return srv->port;
}

size_t hc_http_server_num_conns(const hc_http_server_t *srv)
{
    return srv->num_conns;
}

static void server_on_drain_timeout(uv_timer_t *t)
{
    hc_http_server_t *srv = t->data;
    for (hc__http_conn_t *c = srv->conns; c; c = c->next)
        hc__http_conn_close(c);
}

void hc_http_server_close(hc_http_server_t *srv, uint64_t drain_ms, hc_http_server_closed_fn done,
                          void *data)
{
    if (srv->closing)
        return;
    srv->closing = true;
    srv->done = done;
    srv->done_data = data;
    uv_close((uv_handle_t *)&srv->listener, server_on_handle_close);
    for (hc__http_conn_t *c = srv->conns; c; c = c->next)
        hc__http_conn_drain(c);
    if (drain_ms && srv->num_conns > 0)
        uv_timer_start(&srv->drain_timer, server_on_drain_timeout, drain_ms, 0);
    server_check_done(srv);
}

void hc_http_server_free(hc_http_server_t *srv)
{
    if (!srv)
        return;
    hc_assert(srv->close_done);
    hc__http_routes_free(srv->routes);
    free(srv->host);
    free(srv);
}
