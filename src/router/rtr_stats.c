/* Counters and latency percentiles (see rtr_stats.h). */
#include "rtr_stats.h"

static unsigned rtr_lat_bucket(uint64_t us)
{
    if (us < 8)
        return (unsigned)us;
    unsigned lg = 63u - (unsigned)__builtin_clzll(us); /* >= 3 */
    unsigned sub = (unsigned)(us >> (lg - 3)) & 7u;
    unsigned b = (lg - 2) * 8 + sub;
    return b < RTR_LAT_BUCKETS ? b : RTR_LAT_BUCKETS - 1;
}

static uint64_t rtr_lat_upper(unsigned b)
{
    if (b < 8)
        return b;
    unsigned lg = b / 8 + 2, sub = b % 8;
    return ((uint64_t)(8 + sub + 1) << (lg - 3)) - 1;
}

void rtr_stats_response(rtr_stats_t *s, int status, uint64_t usec)
{
    int cls = status / 100;
    s->responses[cls >= 1 && cls <= 5 ? cls : 0]++;
    s->lat[rtr_lat_bucket(usec)]++;
    s->lat_count++;
}

uint64_t rtr_stats_percentile(const rtr_stats_t *s, double p)
{
    if (!s->lat_count)
        return 0;
    uint64_t want = (uint64_t)((double)s->lat_count * p / 100.0 + 0.5);
    if (want == 0)
        want = 1;
    uint64_t seen = 0;
    for (unsigned b = 0; b < RTR_LAT_BUCKETS; b++) {
        seen += s->lat[b];
        if (seen >= want)
            return rtr_lat_upper(b);
    }
    return rtr_lat_upper(RTR_LAT_BUCKETS - 1);
}
