/*
 * bus.h - the CC on the bus: connection (in the background: the API works while the bus is
 * away), router.register of api.DOMAIN every 20 s and on router.start, dea.locate at
 * (re)connect, the bulk credentials request, and the subscriptions that feed placement
 * (dea.advertise) and the HM's requests (cloudcontrollers.hm.requests, queue group "cc").
 * Loop thread only.
 */
#ifndef HEARTH_CC_BUS_H
#define HEARTH_CC_BUS_H

#include <jansson.h>

#include "cc.h"
#include "hc_bus.h"

#define CC_ROUTE_INTERVAL_MS 20000

int cc_bus_start(cc_ctx_t *cc, hc_err_t *err);
/* Unregisters the API route, then closes the connection a moment later (so the unregister
 * message is written out first); pending requests are cancelled. */
void cc_bus_stop(cc_ctx_t *cc);
void cc_bus_free(cc_ctx_t *cc);
/* Publishes msg (borrowed) as compact JSON. Failures are logged once and dropped. */
void cc_bus_publish(cc_ctx_t *cc, const char *subject, const json_t *msg);
/* The connection, or NULL before start / after stop. */
hc_bus_t *cc_bus_handle(cc_ctx_t *cc);

#endif
