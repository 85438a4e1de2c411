/* rtr_stats.h - request counters and a latency histogram for /varz. */
#ifndef HEARTH_RTR_STATS_H
#define HEARTH_RTR_STATS_H

#include "hc_base.h"
#include "hc_buf.h"

#define RTR_LAT_BUCKETS 256

typedef struct rtr_stats_s {
    uint64_t requests, bad_requests, bad_gateways, rejected_conns, retries;
    uint64_t responses[6]; /* index = status / 100, 0 for anything else */
    uint64_t client_conns, upstream_conns;
    uint64_t lat[RTR_LAT_BUCKETS]; /* log-scaled microseconds, 8 buckets per power of two */
    uint64_t lat_count;
} rtr_stats_t;

void rtr_stats_response(rtr_stats_t *s, int status, uint64_t usec);
/* Upper bound in microseconds of the p-th percentile (0 < p <= 100); 0 without samples. */
uint64_t rtr_stats_percentile(const rtr_stats_t *s, double p);

#endif
