/*
 * rtr_bus.h - the router's narrow view of the bus: subscribe to subjects, publish, and get
 * every message and connection change as a callback on the loop thread. It reconnects
 * forever and starts even when the bus is down (dial tone: the table keeps serving).
 * Router-local glue on libnats until the shared hc_bus module replaces it.
 */
#ifndef HEARTH_RTR_BUS_H
#define HEARTH_RTR_BUS_H

#include <jansson.h>
#include <uv.h>

#include "hc_base.h"

typedef struct rtr_bus_s rtr_bus_t;

typedef struct rtr_bus_cbs_s {
    /* A message; subject, reply (may be NULL) and data are valid during the call only. */
    void (*message)(void *data, const char *subject, const char *reply, const char *payload,
                    size_t len);
    /* The connection came up (first time or after a reconnect) or went down. */
    void (*state)(void *data, bool connected);
    void *data;
} rtr_bus_cbs_t;

/*
 * Connects to url in the background and subscribes to the subjects (NULL-terminated
 * array, copied). Returns 0 and *ret, or a negative code with err set (bad URL).
 */
int rtr_bus_open(uv_loop_t *loop, const char *url, const char *const *subjects,
                 const rtr_bus_cbs_t *cbs, rtr_bus_t **ret, hc_err_t *err);
/* Publishes (dropped while disconnected beyond libnats's reconnect buffer). Returns 0 or -EIO. */
int rtr_bus_publish(rtr_bus_t *b, const char *subject, const char *data, size_t len);
/*
 * Announces the component (vcap.component.announce now and after every reconnect, answers to
 * vcap.component.discover) with `info`, which the bus keeps a reference to. Returns 0 or < 0.
 */
int rtr_bus_announce(rtr_bus_t *b, json_t *info);
/* Disconnects and frees; no callback runs after it returns. */
void rtr_bus_close(rtr_bus_t *b);

#endif
