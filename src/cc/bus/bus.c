/* The CC's bus connection and its periodic duties. */
#include <stdio.h>
#include <string.h>

#include "bus/bus.h"
#include "bus/gather.h"
#include "hc_buf.h"
#include "hc_log.h"
#include "orch.h"

#define CC_BUS_CLOSE_DELAY_MS 200

static void cc_bus_close(cc_ctx_t *cc);

struct cc_bus_s {
    hc_bus_t *bus;
    uv_timer_t route_timer;
    bool timer_open;
    json_t *route; /* the router.register body of api.DOMAIN */
};

hc_bus_t *cc_bus_handle(cc_ctx_t *cc)
{
    return cc->bus ? cc->bus->bus : NULL;
}

void cc_bus_publish(cc_ctx_t *cc, const char *subject, const json_t *msg)
{
    if (!cc->bus || !cc->bus->bus)
        return;
    int r = msg ? hc_bus_publish_json(cc->bus->bus, subject, msg)
                : hc_bus_publish(cc->bus->bus, subject, "", 0);
    if (r < 0)
        hc_log_warn("bus publish failed, dropping", "subject", subject, "err", strerror(-r));
}

static void register_route(cc_ctx_t *cc)
{
    cc_bus_publish(cc, "router.register", cc->bus->route);
}

static void on_route_timer(uv_timer_t *t)
{
    register_route(t->data);
}

static void on_state(hc_bus_t *bus, hc_bus_event_t ev, void *ud)
{
    cc_ctx_t *cc = ud;
    (void)bus;
    if (ev == HC_BUS_CONNECTED || ev == HC_BUS_RECONNECTED) {
        hc_log_info("bus connected");
        register_route(cc);
        /* Ask every DEA to advertise now, so placement works at once. */
        cc_bus_publish(cc, "dea.locate", NULL);
    } else if (ev == HC_BUS_DISCONNECTED) {
        hc_log_warn("bus disconnected, reconnecting");
    } else if (ev == HC_BUS_CLOSED) {
        hc_log_error("bus connection closed for good");
    }
}

static void on_router_start(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    (void)sub;
    (void)msg;
    register_route(ud);
}

static void on_bulk_credentials(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    cc_ctx_t *cc = ud;
    json_t *o = json_pack("{s:s, s:s}", "user", cc->bulk_user, "password", cc->bulk_password);
    char *s = json_dumps(o, JSON_COMPACT);
    if (msg->reply && s)
        hc_bus_reply(hc_bus_sub_bus(sub), msg, s, strlen(s));
    free(s);
    json_decref(o);
}

static void on_advertise(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    (void)sub;
    cc_orch_advertise(ud, msg->data, msg->len);
}

static void on_hm_request(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    (void)sub;
    cc_orch_hm_request(ud, msg->data, msg->len);
}

int cc_bus_start(cc_ctx_t *cc, hc_err_t *err)
{
    cc_conf_t *conf = cc->conf;
    hc_buf_t urls;
    hc_buf_init(&urls, 16384);
    for (char **u = conf->nats_urls; u && *u; u++)
        hc_buf_appendf(&urls, "%s%s", urls.len ? "," : "", *u);
    cc->bus = hc_calloc(1, sizeof(*cc->bus));
    hc_bus_opts_t opts = {.name = "hearth-cc", .on_state = on_state, .ud = cc};
    int r = hc_bus_new(cc->loop, urls.data, &opts, &cc->bus->bus, err);
    hc_buf_release(&urls);
    if (r < 0)
        return r;

    char uri[300];
    snprintf(uri, sizeof(uri), "api.%s", conf->domain);
    cc->bus->route = json_pack("{s:s, s:i, s:[s], s:{s:s}, s:s}", "host",
                               conf->external_host ? conf->external_host : conf->host, "port",
                               hc_http_server_port(cc->http), "uris", uri, "tags", "component",
                               "CloudController", "private_instance_id", "cloud_controller");
    hc_bus_sub_t *s;
    if ((r = hc_bus_subscribe(cc->bus->bus, "router.start", NULL, on_router_start, cc, &s)) < 0 ||
        (r = hc_bus_subscribe(cc->bus->bus, "dea.advertise", NULL, on_advertise, cc, &s)) < 0 ||
        (r = hc_bus_subscribe(cc->bus->bus, "cloudcontrollers.hm.requests", "cc", on_hm_request, cc,
                              &s)) < 0 ||
        (r = hc_bus_subscribe(cc->bus->bus, "cloudcontroller.bulk.credentials", NULL,
                              on_bulk_credentials, cc, &s)) < 0)
        return hc_err_set(err, r, "subscribe");
    uv_timer_init(cc->loop, &cc->bus->route_timer);
    cc->bus->route_timer.data = cc;
    cc->bus->timer_open = true;
    uv_timer_start(&cc->bus->route_timer, on_route_timer, CC_ROUTE_INTERVAL_MS,
                   CC_ROUTE_INTERVAL_MS);
    return 0;
}

static void on_timer_closed(uv_handle_t *h)
{
    (void)h;
}

static void on_close_timer(uv_timer_t *t)
{
    cc_bus_close(t->data);
}

void cc_bus_stop(cc_ctx_t *cc)
{
    if (!cc->bus)
        return;
    if (cc->bus->bus && cc->bus->route)
        cc_bus_publish(cc, "router.unregister", cc->bus->route);
    cc_orch_stop(cc);
    /* hc_bus has no flush: libnats writes from the loop's next poll of the socket, so the
     * connection is closed a moment later instead of in this tick (the route timer,
     * re-armed as a one-shot, does it). */
    if (cc->bus->timer_open)
        uv_timer_start(&cc->bus->route_timer, on_close_timer, CC_BUS_CLOSE_DELAY_MS, 0);
}

static void cc_bus_close(cc_ctx_t *cc)
{
    if (!cc->bus)
        return;
    if (cc->bus->timer_open) {
        uv_close((uv_handle_t *)&cc->bus->route_timer, on_timer_closed);
        cc->bus->timer_open = false;
    }
    cc_gather_cancel_all(cc);
    hc_bus_free(cc->bus->bus);
    cc->bus->bus = NULL;
}

void cc_bus_free(cc_ctx_t *cc)
{
    if (!cc->bus)
        return;
    hc_bus_free(cc->bus->bus);
    json_decref(cc->bus->route);
    free(cc->bus);
    cc->bus = NULL;
}
