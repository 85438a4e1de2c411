/*
 * bus.h - the CC on the bus: connection, router.register of api.DOMAIN every 20 s, the DEA
 * pool fed by dea.advertise, and cloudcontrollers.hm.requests from the HM. Loop thread only.
 */
#ifndef HEARTH_CC_BUS_H
#define HEARTH_CC_BUS_H

#include <jansson.h>

#include "cc.h"

/* Connects (in the background: the API works while the bus is away) and subscribes. */
int cc_bus_start(cc_ctx_t *cc, hc_err_t *err);
/* Unregisters the API route and disconnects. */
void cc_bus_stop(cc_ctx_t *cc);
void cc_bus_free(cc_ctx_t *cc);
/* Publishes msg (borrowed) as compact JSON on subject. Dropped (logged) when disconnected. */
void cc_bus_publish(cc_ctx_t *cc, const char *subject, const json_t *msg);

#endif
