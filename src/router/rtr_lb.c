/* Backend selection (see rtr_lb.h). */
#include <string.h>

#include "rtr_lb.h"

static bool rtr_lb_excluded(const rtr_pick_t *pk, const rtr_backend_t *be)
{
    for (size_t i = 0; i < pk->nexclude; i++)
        if (pk->exclude[i] == be)
            return true;
    return false;
}

int rtr_lb_algo_parse(const char *s)
{
    if (strcmp(s, "round-robin") == 0)
        return RTR_LB_ROUND_ROBIN;
    if (strcmp(s, "least-connection") == 0 || strcmp(s, "least-connections") == 0)
        return RTR_LB_LEAST_CONN;
    return -EINVAL;
}

int rtr_lb_pick(rtr_pool_t *pool, const rtr_pick_t *pk, rtr_backend_t **ret)
{
    uint32_t n = pool->n;
    if (n == 0)
        return RTR_PICK_NONE;

    if (pk->app.len) {
        for (uint32_t i = 0; i < n; i++) {
            rtr_backend_t *be = pool->eps[i].be;
            if (hc_str_eq(hc_str_c(be->app), pk->app) &&
                hc_str_eq(hc_str_c(be->index), pk->index)) {
                if (rtr_lb_excluded(pk, be))
                    return RTR_PICK_NONE;
                if (pk->max_conns && be->active >= pk->max_conns)
                    return RTR_PICK_LIMIT;
                *ret = be;
                return 0;
            }
        }
        return RTR_PICK_INSTANCE;
    }

    if (pk->sticky.len) {
        for (uint32_t i = 0; i < n; i++) {
            rtr_backend_t *be = pool->eps[i].be;
            if (hc_str_eq(hc_str_c(be->instance_id), pk->sticky) && !rtr_lb_excluded(pk, be) &&
                be->failed_until_ms <= pk->now_ms &&
                (!pk->max_conns || be->active < pk->max_conns)) {
                *ret = be;
                return 0;
            }
        }
        /* The instance is gone or unhealthy: fall through and start a new session. */
    }

    /*
     * Two passes: healthy backends first; then, when every remaining one is cooling down
     * after a failure, the failed ones, since trying beats a certain 502.
     */
    uint32_t start = pool->rr++;
    bool limited = false;
    for (int pass = 0; pass < 2; pass++) {
        rtr_backend_t *best = NULL;
        for (uint32_t k = 0; k < n; k++) {
            rtr_backend_t *be = pool->eps[(start + k) % n].be;
            if (rtr_lb_excluded(pk, be))
                continue;
            if (pass == 0 && be->failed_until_ms > pk->now_ms)
                continue;
            if (pk->max_conns && be->active >= pk->max_conns) {
                limited = true;
                continue;
            }
            if (pk->algo == RTR_LB_ROUND_ROBIN) {
                best = be;
                break;
            }
            if (!best || be->active < best->active)
                best = be;
        }
        if (best) {
            *ret = best;
            return 0;
        }
    }
    return limited ? RTR_PICK_LIMIT : RTR_PICK_NONE;
}
