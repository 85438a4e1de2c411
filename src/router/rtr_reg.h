/*
 * rtr_reg.h - gorouter's route registration message (router.register / router.unregister),
 * parsed from JSON into a fixed struct. Every field a peer sends is checked against a limit
 * before it is kept; anything malformed is an error with a message, never a crash.
 *
 *   {"host":"10.0.0.5","port":61001,"uris":["app.example.com","app.example.com/api"],
 *    "app":"GUID","private_instance_id":"ID","private_instance_index":"0",
 *    "tags":{"component":"dea-1"},"stale_threshold_in_seconds":120}
 */
#ifndef HEARTH_RTR_REG_H
#define HEARTH_RTR_REG_H

#include "hc_base.h"

#define RTR_REG_MAX_JSON (64 * 1024) /* the bus's default max payload is larger; we refuse */
#define RTR_REG_MAX_URIS 256
#define RTR_REG_MAX_URI 1024
#define RTR_REG_MAX_ID 128
#define RTR_REG_MAX_TTL_S (24 * 3600)

typedef struct rtr_reg_s {
    char host[64]; /* an IPv4 or IPv6 literal: the loop never resolves names */
    uint16_t port;
    char **uris; /* nuris malloc'd strings, as sent (normalised by the table) */
    size_t nuris;
    char app[RTR_REG_MAX_ID + 1];         /* app GUID, may be empty */
    char instance_id[RTR_REG_MAX_ID + 1]; /* private_instance_id, may be empty */
    char index[16];                       /* private_instance_index, may be empty */
    uint32_t stale_threshold_s;           /* 0: the router's default */
} rtr_reg_t;

/*
 * Parses a registration. `unregister` relaxes nothing today but is kept for messages whose
 * rules differ. On success returns 0 and fills *reg, which the caller releases with
 * rtr_reg_release. On error returns -EINVAL (or HC_ETOOBIG for an oversized message) with
 * the reason in err, and *reg holds nothing to release.
 */
int rtr_reg_parse(const char *json, size_t len, rtr_reg_t *reg, hc_err_t *err);
void rtr_reg_release(rtr_reg_t *reg);

#endif
