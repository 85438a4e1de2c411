/*
 * The HM's messages (cf-v1.md §2.2, §5.5): parsing what DEAs and the CC send into the engine,
 * and building what the HM sends. Pure (JSON in, JSON out); every parser refuses bad input
 * with a message and never trusts a size.
 */
#ifndef HEARTH_HM_WIRE_H
#define HEARTH_HM_WIRE_H

#include <jansson.h>

#include "engine.h"

#define HM_WIRE_MAX_MSG ((size_t)4 * 1024 * 1024) /* a heartbeat of a big DEA */
#define HM_WIRE_MAX_PAGE ((size_t)32 * 1024 * 1024)

/* dea.heartbeat -> engine; returns the number of entries taken, or -EINVAL with err. Bad
 * entries are skipped (counted in *ret_bad when not NULL). */
int hm_wire_heartbeat(hm_engine_t *e, const char *data, size_t len, uint64_t now, size_t *ret_bad,
                      hc_err_t *err);
/* droplet.exited -> engine; 0 or -EINVAL with err. */
int hm_wire_exited(hm_engine_t *e, const char *data, size_t len, uint64_t now, hc_err_t *err);

/* Growing list of desired apps while the bulk pages arrive. */
typedef struct hm_apps_s {
    hm_app_t *v;
    size_t len, cap;
} hm_apps_t;

void hm_apps_release(hm_apps_t *a);

/*
 * One page of GET /bulk/apps: appends its apps to `apps` and writes the next bulk_token id to
 * next (size next_size; "" when this was the last page). Returns 0 or -EINVAL with err.
 */
int hm_wire_bulk_page(const char *data, size_t len, hm_apps_t *apps, char *next, size_t next_size,
                      hc_err_t *err);

/* The cloudcontrollers.hm.requests body of one decision (new reference). */
json_t *hm_wire_decision(const hm_decision_t *d);

/*
 * Reply to healthmanager.status (new reference), or NULL with err for a bad request.
 * `wall_now_ms` and `now` convert the engine's monotonic times to wall-clock seconds.
 */
json_t *hm_wire_status(const hm_engine_t *e, const char *data, size_t len, uint64_t now,
                       int64_t wall_now_ms, hc_err_t *err);

/* Replies to healthmanager.health: an array with one object per known droplet asked for
 * (new reference), or NULL with err. */
json_t *hm_wire_health(const hm_engine_t *e, const char *data, size_t len, hc_err_t *err);

#endif
