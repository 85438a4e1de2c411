/*
 * server.c - listener, the per-iteration flush (uv_check), deferred teardown, the housekeeping
 * tick, signals and lame-duck shutdown.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "bus_limits.h"
#include "hc_log.h"
#include "hc_time.h"
#include "server.h"
#include "tls.h"

#define BUS_TICK_MS 250

void bus_opts_defaults(bus_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->host = hc_strdup("0.0.0.0");
    o->port = BUS_DEFAULT_PORT;
    o->http_host = NULL;
    o->max_payload = BUS_MAX_PAYLOAD;
    o->max_control_line = BUS_MAX_CONTROL_LINE;
    o->max_pending = BUS_MAX_PENDING;
    o->max_connections = BUS_MAX_CONNECTIONS;
    o->ping_interval_ms = BUS_PING_INTERVAL_MS;
    o->ping_max = BUS_PING_MAX;
    o->write_deadline_ms = BUS_WRITE_DEADLINE_MS;
    o->auth_timeout_ms = BUS_AUTH_TIMEOUT_MS;
    o->lame_duck_ms = BUS_LAME_DUCK_GRACE_MS;
}

void bus_opts_release(bus_opts_t *o)
{
    free(o->host);
    free(o->http_host);
    free(o->user);
    free(o->pass);
    free(o->token);
    free(o->tls_cert);
    free(o->tls_key);
    free(o->log_file);
    memset(o, 0, sizeof(*o));
}

int bus_opts_check(const bus_opts_t *o, hc_err_t *err)
{
    if (o->max_payload > o->max_pending)
        return hc_err_set(err, -EINVAL, "max_payload (%llu) cannot exceed max_pending (%llu)",
                          (unsigned long long)o->max_payload, (unsigned long long)o->max_pending);
    if (o->max_payload > BUS_MAX_PAYLOAD_LIMIT)
        return hc_err_set(err, -EINVAL, "max_payload (%llu) is over the limit of %d",
                          (unsigned long long)o->max_payload, BUS_MAX_PAYLOAD_LIMIT);
    if (o->max_payload == 0 || o->max_control_line == 0)
        return hc_err_set(err, -EINVAL, "max_payload and max_control_line must be positive");
    if (o->ping_interval_ms == 0)
        return hc_err_set(err, -EINVAL, "ping_interval must be positive");
    if ((o->user && !o->pass) || (!o->user && o->pass))
        return hc_err_set(err, -EINVAL, "user and password must be given together");
    if (o->tls && (!o->tls_cert || !o->tls_key))
        return hc_err_set(err, -EINVAL, "tls needs both a certificate and a key");
    if (o->port < 0 || o->port > 65535 || o->http_port < 0 || o->http_port > 65535)
        return hc_err_set(err, -EINVAL, "port out of range 0..65535");
    return 0;
}

uint64_t bus_server_rand(bus_server_t *s)
{
    /* xorshift64*: queue member choice only, not security. */
    uint64_t x = s->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    s->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

void bus_server_sub_dead(bus_server_t *s, bus_sub_t *sub)
{
    if (s->ndead == s->dead_cap) {
        s->dead_cap = s->dead_cap ? s->dead_cap * 2 : 64;
        s->dead_subs = hc_reallocarray(s->dead_subs, s->dead_cap, sizeof(*s->dead_subs));
    }
    s->dead_subs[s->ndead++] = sub;
}

void bus_server_closed_add(bus_server_t *s, const bus_client_t *c)
{
    if (!s->closed)
        s->closed = hc_calloc(BUS_MAX_CLOSED_CLIENTS, sizeof(*s->closed));
    bus_closed_t *e = &s->closed[s->closed_next];
    free(e->name);
    free(e->lang);
    free(e->version);
    e->cid = c->cid;
    memcpy(e->ip, c->ip, sizeof(e->ip));
    e->port = c->port;
    e->start_wall_ms = c->start_wall_ms;
    e->stop_wall_ms = hc_wall_ms();
    e->in_msgs = c->in_msgs;
    e->out_msgs = c->out_msgs;
    e->in_bytes = c->in_bytes;
    e->out_bytes = c->out_bytes;
    e->subs = c->subs.count;
    e->name = c->name ? hc_strdup(c->name) : NULL;
    e->lang = c->lang ? hc_strdup(c->lang) : NULL;
    e->version = c->version ? hc_strdup(c->version) : NULL;
    e->reason = c->reason;
    s->closed_next = (s->closed_next + 1) % BUS_MAX_CLOSED_CLIENTS;
    if (s->closed_n < BUS_MAX_CLOSED_CLIENTS)
        s->closed_n++;
}

static void on_connection(uv_stream_t *l, int status)
{
    bus_server_t *s = l->data;
    if (status < 0) {
        HC_LOGF(HC_LOG_WARN, "accept failed: %s, ignoring", uv_strerror(status));
        return;
    }
    bus_client_accept(s, l);
}

/* Check phase: flush every client that got output, then tear down the ones marked closing. */
static void on_check(uv_check_t *h)
{
    bus_server_t *s = HC_CONTAINER_OF(h, bus_server_t, check);

    while (s->dirty_head) {
        bus_client_t *c = s->dirty_head;
        s->dirty_head = c->next_dirty;
        c->dirty = false;
        if (!c->closing)
            bus_client_flush(c);
    }
    while (s->close_head) {
        bus_client_t *c = s->close_head;
        s->close_head = c->next_close;
        c->dirty = false;
        bus_client_teardown(c);
    }
    s->dirty_head = NULL;
    for (size_t i = 0; i < s->ndead; i++)
        free(s->dead_subs[i]);
    s->ndead = 0;
    if (s->lame_duck && s->nclients == 0 && !s->stopping)
        bus_server_stop(s);
}

static void on_tick(uv_timer_t *t)
{
    bus_server_t *s = HC_CONTAINER_OF(t, bus_server_t, tick);
    uint64_t now = uv_now(s->loop);
    for (bus_client_t *c = s->clients; c; c = c->next)
        bus_client_tick(c, now);
}

static void on_lame_timer(uv_timer_t *t)
{
    bus_server_t *s = HC_CONTAINER_OF(t, bus_server_t, lame_timer);
    bus_server_stop(s);
}

static void on_signal(uv_signal_t *h, int signum)
{
    bus_server_t *s = h->data;
    if (signum == SIGINT || s->lame_duck) {
        hc_log_info("shutting down", "signal", signum == SIGINT ? "INT" : "TERM");
        bus_server_stop(s);
        return;
    }
    bus_server_lame_duck(s);
}

static int listen_on(bus_server_t *s, uv_tcp_t *t, const char *host, int port, uv_connection_cb cb,
                     hc_err_t *err)
{
    struct sockaddr_storage ss;
    int r;

    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0)
        return hc_err_set(err, -EINVAL, "invalid listen address `%s`", host);
    uv_tcp_init(s->loop, t);
    t->data = s;
    r = uv_tcp_bind(t, (struct sockaddr *)&ss, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)t, 1024, cb);
    if (r < 0) {
        uv_close((uv_handle_t *)t, NULL);
        return hc_err_set(err, r, "listen on %s:%d: %s", host, port, uv_strerror(r));
    }
    return 0;
}

int bus_server_start(bus_server_t *s, uv_loop_t *loop, const bus_opts_t *opts, hc_err_t *err)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char rnd[56];
    int r;

    memset(s, 0, sizeof(*s));
    s->loop = loop;
    s->opts = *opts;
    s->sl = bus_sublist_new();
    s->read_buf = hc_malloc(BUS_READ_BUF);
    s->start_wall_ms = hc_wall_ms();
    s->auth_required = opts->token || opts->user;
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        memset(rnd, 7, sizeof(rnd));
    s->server_id[0] = 'N';
    for (size_t i = 1; i < 56; i++)
        s->server_id[i] = alphabet[rnd[i] % 32];
    s->server_id[56] = '\0';
    memcpy(&s->rng, rnd, sizeof(s->rng));
    s->rng |= 1;
    /* Handles first, so that bus_server_stop can close them whatever fails below. */
    uv_check_init(loop, &s->check);
    uv_timer_init(loop, &s->tick);
    uv_timer_init(loop, &s->lame_timer);
    uv_signal_init(loop, &s->sigterm);
    uv_signal_init(loop, &s->sigint);
    s->sigterm.data = s->sigint.data = s;
    if (opts->tls) {
        r = bus_tls_ctx_new(opts->tls_cert, opts->tls_key, &s->tls_ctx, err);
        if (r < 0)
            return r;
    }
    r = listen_on(s, &s->listener, opts->host, opts->port, on_connection, err);
    if (r < 0)
        return r;
    s->listening = true;
    if (opts->port == 0) {
        struct sockaddr_storage ss;
        int len = sizeof(ss);
        uv_tcp_getsockname(&s->listener, (struct sockaddr *)&ss, &len);
        s->opts.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
    if (opts->http_port > 0) {
        r = bus_monitor_start(s, err);
        if (r < 0)
            return r;
    }
    uv_check_start(&s->check, on_check);
    uv_timer_start(&s->tick, on_tick, BUS_TICK_MS, BUS_TICK_MS);
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);
    uv_signal_start(&s->sigint, on_signal, SIGINT);
    char port[16];
    snprintf(port, sizeof(port), "%d", s->opts.port);
    hc_log_info("listening for client connections", "host", opts->host, "port", port, "server_id",
                s->server_id);
    return 0;
}

void bus_server_lame_duck(bus_server_t *s)
{
    if (s->lame_duck)
        return;
    s->lame_duck = true;
    hc_log_info("entering lame duck mode, stop accepting new clients", NULL);
    if (s->listening) {
        uv_close((uv_handle_t *)&s->listener, NULL);
        s->listening = false;
    }
    for (bus_client_t *c = s->clients; c; c = c->next) {
        if (!c->closing && c->protocol >= 1)
            bus_client_send_info(c, true);
    }
    uv_timer_start(&s->lame_timer, on_lame_timer, s->opts.lame_duck_ms, 0);
}

static void close_if(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

void bus_server_stop(bus_server_t *s)
{
    if (s->stopping)
        return;
    s->stopping = true;
    /* Flush what is queued, then close every client. */
    for (bus_client_t *c = s->clients; c; c = c->next) {
        if (!c->closing) {
            bus_client_flush(c);
            bus_client_close(c, BUS_CLOSE_SHUTDOWN, NULL);
        }
    }
    while (s->close_head) {
        bus_client_t *c = s->close_head;
        s->close_head = c->next_close;
        bus_client_teardown(c);
    }
    s->dirty_head = NULL;
    if (s->listening)
        close_if((uv_handle_t *)&s->listener);
    if (s->http_listening)
        close_if((uv_handle_t *)&s->http_listener);
    bus_monitor_close_all(s);
    close_if((uv_handle_t *)&s->check);
    close_if((uv_handle_t *)&s->tick);
    close_if((uv_handle_t *)&s->lame_timer);
    close_if((uv_handle_t *)&s->sigterm);
    close_if((uv_handle_t *)&s->sigint);
}

void bus_server_release(bus_server_t *s)
{
    for (size_t i = 0; i < s->ndead; i++)
        free(s->dead_subs[i]);
    free(s->dead_subs);
    if (s->closed) {
        for (size_t i = 0; i < BUS_MAX_CLOSED_CLIENTS; i++) {
            free(s->closed[i].name);
            free(s->closed[i].lang);
            free(s->closed[i].version);
        }
        free(s->closed);
    }
    bus_sublist_free(s->sl);
    free(s->read_buf);
    bus_tls_ctx_free(s->tls_ctx);
}
