/*
 * The router's bus link (see rtr_bus.h) on the shared bus client (hc_bus.h): callbacks
 * already arrive on the loop thread, reconnection is forever and a start with the bus
 * down succeeds, which is what dial tone needs.
 */
#include <string.h>

#include "hc_bus.h"
#include "hc_log.h"
#include "rtr_bus.h"

struct rtr_bus_s {
    hc_bus_t *bus;
    rtr_bus_cbs_t cbs;
};

static void rtr_bus_on_state(hc_bus_t *bus, hc_bus_event_t event, void *ud)
{
    (void)bus;
    rtr_bus_t *b = ud;
    if (event == HC_BUS_CONNECTED || event == HC_BUS_RECONNECTED)
        b->cbs.state(b->cbs.data, true);
    else
        b->cbs.state(b->cbs.data, false);
}

static void rtr_bus_on_msg(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    (void)sub;
    rtr_bus_t *b = ud;
    b->cbs.message(b->cbs.data, msg->subject, msg->reply, msg->data, msg->len);
}

int rtr_bus_open(uv_loop_t *loop, const char *url, const char *const *subjects,
                 const rtr_bus_cbs_t *cbs, rtr_bus_t **ret, hc_err_t *err)
{
    rtr_bus_t *b = hc_calloc(1, sizeof(*b));
    b->cbs = *cbs;
    hc_bus_opts_t opts = {
        .name = "hearth-router",
        .on_state = rtr_bus_on_state,
        .ud = b,
        /* Registrations arrive in bursts (router.start answered by every DEA at once). */
        .max_queued_msgs = 1000000,
        .max_queued_bytes = (size_t)256 * 1024 * 1024,
    };
    int rc = hc_bus_new(loop, url, &opts, &b->bus, err);
    if (rc < 0) {
        free(b);
        return rc;
    }
    for (size_t i = 0; subjects[i]; i++) {
        hc_bus_sub_t *sub;
        rc = hc_bus_subscribe(b->bus, subjects[i], NULL, rtr_bus_on_msg, b, &sub);
        if (rc < 0) {
            hc_err_set(err, rc, "subscribe %s", subjects[i]);
            rtr_bus_close(b);
            return rc;
        }
    }
    *ret = b;
    return 0;
}

int rtr_bus_publish(rtr_bus_t *b, const char *subject, const char *data, size_t len)
{
    return hc_bus_publish(b->bus, subject, data, len);
}

int rtr_bus_announce(rtr_bus_t *b, json_t *info)
{
    return hc_bus_component_start(b->bus, info);
}

void rtr_bus_close(rtr_bus_t *b)
{
    if (!b)
        return;
    hc_bus_free(b->bus);
    free(b);
}
