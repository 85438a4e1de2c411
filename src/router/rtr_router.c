/*
 * The router process: the table fed by the bus, the periodic prune and router.start, the
 * listeners, and draining on SIGTERM.
 */
#include <stdio.h>
#include <string.h>

#include "hc_log.h"
#include "hc_time.h"
#include "rtr.h"
#include "rtr_tls.h"

static void rtr_publish_start(rtr_t *r, const char *subject)
{
    char msg[512];
    int n =
        snprintf(msg, sizeof(msg),
                 "{\"id\":\"%s\",\"hosts\":[\"%s\"],\"minimumRegisterIntervalInSeconds\":%u,"
                 "\"prunteThresholdInSeconds\":%u}",
                 r->id, r->host_ip, r->conf.register_interval_ms / 1000u, r->conf.ttl_ms / 1000u);
    if (r->bus && n > 0 && (size_t)n < sizeof(msg))
        rtr_bus_publish(r->bus, subject, msg, (size_t)n);
}

void rtr_on_bus_message(rtr_t *r, const char *subject, const char *reply, const char *data,
                        size_t len)
{
    if (strcmp(subject, "router.greet") == 0) {
        if (reply && reply[0])
            rtr_publish_start(r, reply);
        return;
    }
    bool reg = strcmp(subject, "router.register") == 0;
    if (!reg && strcmp(subject, "router.unregister") != 0)
        return;
    rtr_reg_t msg;
    hc_err_t err;
    if (rtr_reg_parse(data, len, &msg, &err) < 0) {
        hc_log_warn("bad route message, ignoring", "subject", subject, "err", err.msg);
        return;
    }
    uint64_t now = uv_now(r->loop);
    if (reg) {
        rtr_table_register(r->table, &msg, now);
    } else {
        rtr_table_unregister(r->table, &msg, now);
    }
    r->last_update_ms = now;
    if (hc_log_level >= HC_LOG_DEBUG) {
        char port[8];
        snprintf(port, sizeof(port), "%u", msg.port);
        hc_log_debug(reg ? "endpoint-registered" : "endpoint-unregistered", "uri", msg.uris[0],
                     "host", msg.host, "port", port);
    }
    rtr_reg_release(&msg);
}

static void rtr_on_bus_msg_cb(void *data, const char *subject, const char *reply,
                              const char *payload, size_t len)
{
    rtr_on_bus_message(data, subject, reply, payload, len);
}

static void rtr_on_bus_state(void *data, bool connected)
{
    rtr_t *r = data;
    if (connected == r->bus_up)
        return;
    r->bus_up = connected;
    if (connected) {
        hc_log_info("bus connected, asking for routes", "url", r->conf.nats_url);
        rtr_publish_start(r, "router.start");
    } else {
        hc_log_warn("bus disconnected, keeping routes until it is back", "url", r->conf.nats_url);
    }
}

static void rtr_on_prune(uv_timer_t *t)
{
    rtr_t *r = t->data;
    uint64_t now = uv_now(r->loop);
    /* Dial tone: with the bus away nobody can refresh routes, so none expires. */
    if (!r->bus_up) {
        rtr_table_touch_all(r->table, now);
        return;
    }
    size_t n = rtr_table_prune(r->table, now);
    if (n) {
        char num[24];
        snprintf(num, sizeof(num), "%zu", n);
        hc_log_info("pruned stale endpoints", "count", num);
    }
    if (r->access_log)
        fflush(r->access_log);
}

static void rtr_on_start_timer(uv_timer_t *t)
{
    rtr_t *r = t->data;
    if (r->bus_up)
        rtr_publish_start(r, "router.start");
    if (r->access_log)
        fflush(r->access_log);
}

static void rtr_on_backend_gone(rtr_backend_t *be, void *data)
{
    (void)data;
    rtr_upstream_close_idle(be);
}

static void rtr_on_drain_timeout(uv_timer_t *t)
{
    rtr_t *r = t->data;
    hc_log_warn("drain timeout, closing remaining connections", NULL);
    while (r->clients)
        rtr_client_close(r->clients);
    rtr_close(r);
}

static void rtr_noop_close(uv_handle_t *h)
{
    (void)h;
}

void rtr_start_drain(rtr_t *r)
{
    if (r->draining)
        return;
    r->draining = true;
    hc_log_info("draining", NULL);
    uv_close((uv_handle_t *)&r->listener, rtr_noop_close);
    if (r->tls)
        uv_close((uv_handle_t *)&r->tls_listener, rtr_noop_close);
    /* Idle keep-alive clients go now; busy ones close after their exchange. */
    rtr_client_t *c = r->clients;
    while (c) {
        rtr_client_t *next = c->next;
        if (!c->ex && !c->writing && c->len == 0)
            rtr_client_close(c);
        c = next;
    }
    if (r->draining && r->nclients == 0) {
        rtr_close(r);
        return;
    }
    uv_timer_start(&r->drain_timer, rtr_on_drain_timeout, r->conf.drain_timeout_ms, 0);
}

static void rtr_find_host_ip(rtr_t *r)
{
    uv_interface_address_t *ifs;
    int n;
    snprintf(r->host_ip, sizeof(r->host_ip), "127.0.0.1");
    if (strcmp(r->conf.ip, "0.0.0.0") != 0 && strcmp(r->conf.ip, "::") != 0) {
        snprintf(r->host_ip, sizeof(r->host_ip), "%s", r->conf.ip);
        return;
    }
    if (uv_interface_addresses(&ifs, &n) != 0)
        return;
    for (int i = 0; i < n; i++) {
        if (!ifs[i].is_internal && ifs[i].address.address4.sin_family == AF_INET) {
            uv_ip4_name(&ifs[i].address.address4, r->host_ip, sizeof(r->host_ip));
            break;
        }
    }
    uv_free_interface_addresses(ifs, n);
}

int rtr_init(rtr_t *r, uv_loop_t *loop, const rtr_conf_t *conf, hc_err_t *err)
{
    static const char *const subjects[] = {"router.register", "router.unregister", "router.greet",
                                           NULL};
    int rc;

    memset(r, 0, sizeof(*r));
    r->loop = loop;
    r->conf = *conf;
    hc_uuid4(r->id);
    rtr_find_host_ip(r);
    r->table = rtr_table_new(conf->ttl_ms);
    rtr_table_on_backend_gone(r->table, rtr_on_backend_gone, r);
    if (conf->access_log) {
        r->access_log = strcmp(conf->access_log, "-") == 0 ? stderr : fopen(conf->access_log, "ae");
        if (!r->access_log)
            return hc_err_set(err, -errno, "access log %s", conf->access_log);
        setvbuf(r->access_log, NULL, _IOFBF, 64 * 1024);
    }

    if (conf->tls_port) {
        rc = rtr_tls_new(conf->tls_certs, &r->tls, err);
        if (rc < 0)
            return rc;
    }
    rc = rtr_proxy_listen(r, err);
    if (rc < 0)
        return rc;
    rc = rtr_status_listen(r, err);
    if (rc < 0)
        return rc;

    uv_timer_init(loop, &r->prune_timer);
    uv_timer_init(loop, &r->start_timer);
    uv_timer_init(loop, &r->drain_timer);
    r->prune_timer.data = r->start_timer.data = r->drain_timer.data = r;
    uv_timer_start(&r->prune_timer, rtr_on_prune, conf->prune_interval_ms, conf->prune_interval_ms);
    uv_timer_start(&r->start_timer, rtr_on_start_timer, conf->start_interval_ms,
                   conf->start_interval_ms);

    rtr_bus_cbs_t cbs = {rtr_on_bus_msg_cb, rtr_on_bus_state, r};
    rc = rtr_bus_open(loop, conf->nats_url, subjects, &cbs, &r->bus, err);
    if (rc < 0)
        return rc;
    char start[32], host[96];
    hc_time_format_rfc3339(hc_wall_ms(), start, sizeof(start));
    snprintf(host, sizeof(host), "%s:%d", r->host_ip, conf->d.status_port);
    r->component = json_pack("{s:s, s:i, s:s, s:s, s:s}", "type", "Router", "index", 0, "uuid",
                             r->id, "host", host, "start", start);
    if (r->component)
        rtr_bus_announce(r->bus, r->component);
    char port[8];
    snprintf(port, sizeof(port), "%d", conf->d.port);
    hc_log_info("listening", "ip", conf->ip, "port", port, "bus", conf->nats_url);
    return 0;
}

/* Ends the loop: every handle is closed, so uv_run returns. */
void rtr_close(rtr_t *r)
{
    if (r->closed)
        return;
    r->closed = true;
    if (!r->draining) {
        uv_close((uv_handle_t *)&r->listener, rtr_noop_close);
        if (r->tls)
            uv_close((uv_handle_t *)&r->tls_listener, rtr_noop_close);
    }
    r->draining = true;
    uv_close((uv_handle_t *)&r->status_listener, rtr_noop_close);
    uv_close((uv_handle_t *)&r->prune_timer, rtr_noop_close);
    uv_close((uv_handle_t *)&r->start_timer, rtr_noop_close);
    uv_close((uv_handle_t *)&r->drain_timer, rtr_noop_close);
    while (r->clients)
        rtr_client_close(r->clients);
    rtr_bus_close(r->bus);
    r->bus = NULL;
    json_decref(r->component);
    r->component = NULL;
    /* Idle pooled connections go with their backends. */
    rtr_table_free(r->table);
    r->table = NULL;
    if (r->access_log && r->access_log != stderr)
        fclose(r->access_log);
    else if (r->access_log)
        fflush(r->access_log);
    r->access_log = NULL;
    /* Contexts are reference-counted by OpenSSL: connections still closing keep theirs. */
    rtr_tls_free(r->tls);
    r->tls = NULL;
}
