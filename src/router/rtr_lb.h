/*
 * rtr_lb.h - choosing a backend from a pool: round-robin or least-connections, sticky
 * sessions (__VCAP_ID__ names a private_instance_id) and X-CF-App-Instance targeting.
 * Backends in their failure cool-down are skipped while a healthy one is left; backends
 * already tried by this request (exclude) are never picked again.
 */
#ifndef HEARTH_RTR_LB_H
#define HEARTH_RTR_LB_H

#include "rtr_table.h"

typedef enum rtr_lb_algo_e {
    RTR_LB_ROUND_ROBIN = 0,
    RTR_LB_LEAST_CONN = 1,
} rtr_lb_algo_t;

#define RTR_PICK_NONE (-1)     /* the pool has no endpoint left to try: 503 no_endpoints */
#define RTR_PICK_LIMIT (-2)    /* every candidate is at max_conns: 503 */
#define RTR_PICK_INSTANCE (-3) /* X-CF-App-Instance names no endpoint: 404 */

typedef struct rtr_pick_s {
    rtr_lb_algo_t algo;
    hc_str_t sticky;     /* __VCAP_ID__ cookie value, may be empty */
    hc_str_t app, index; /* from X-CF-App-Instance, both empty when absent */
    rtr_backend_t *const *exclude;
    size_t nexclude;
    uint64_t now_ms;
    uint32_t max_conns; /* 0: unlimited */
} rtr_pick_t;

/* Chooses a backend from pool. Returns 0 and *ret, or one of RTR_PICK_*. */
int rtr_lb_pick(rtr_pool_t *pool, const rtr_pick_t *pick, rtr_backend_t **ret);

/* rtr_lb_algo_parse("round-robin" | "least-connection"): the algorithm or -EINVAL. */
int rtr_lb_algo_parse(const char *s);

#endif
