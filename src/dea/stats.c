/*
 * stats.c - resource usage per instance from warden's info (cf-v1 §3 monitor loop): every
 * intervals.stats, one info request per RUNNING instance on the control connection; cpu % is
 * the cgroup's cpu time delta over the wall time between two samples, memory the cgroup's RSS
 * (its usage when RSS is not reported), disk the bytes used on the container's disk. The last
 * sample is what dea.find.droplet's stats.usage reports.
 */
#include <string.h>

#include "dea.h"
#include "hc_json.h"
#include "hc_log.h"
#include "hc_time.h"

static uint64_t juint(json_t *o, const char *k1, const char *k2)
{
    json_int_t v = json_integer_value(json_object_get(json_object_get(o, k1), k2));
    return v > 0 ? (uint64_t)v : 0;
}

void dea_usage_update(dea_inst_t *in, json_t *info, uint64_t now_ns)
{
    dea_usage_t *u = &in->usage;
    uint64_t cpu = juint(info, "cpu_stat", "usage");
    uint64_t rss = juint(info, "memory_stat", "rss");
    uint64_t mem = juint(info, "memory_stat", "usage_in_bytes");
    if (u->samples > 0 && now_ns > u->at_ns && cpu >= u->cpu_ns)
        u->cpu_pct = 100.0 * (double)(cpu - u->cpu_ns) / (double)(now_ns - u->at_ns);
    u->cpu_ns = cpu;
    u->at_ns = now_ns;
    u->mem_bytes = rss ? rss : mem;
    u->disk_bytes = juint(info, "disk_stat", "bytes_used");
    u->wall_s = hc_wall_s();
    u->samples++;
}

json_t *dea_usage_json(const dea_inst_t *in)
{
    const dea_usage_t *u = &in->usage;
    json_t *o = hc_json_obj();
    char ts[64];
    time_t t = (time_t)u->wall_s;
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S %z", &tm);
    hc_json_set_str(o, "time", ts);
    hc_json_set_real(o, "cpu", u->samples > 1 ? u->cpu_pct : 0.0);
    hc_json_set_real(o, "mem", (double)u->mem_bytes / 1024.0); /* KB, like ps RSS */
    hc_json_set_int(o, "disk", (int64_t)u->disk_bytes);
    return o;
}

static void on_info(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    (void)w, (void)more;
    dea_inst_t *in = data;
    in->usage.sampling = false;
    if (!error && resp && in->state == DEA_RUNNING)
        dea_usage_update(in, resp, uv_hrtime());
    dea_inst_unref(in);
}

void dea_stats_sample(dea_inst_t *in)
{
    if (in->usage.sampling || !in->has_container || in->dea->stopped)
        return;
    in->usage.sampling = true;
    json_t *req = json_pack("{s:s, s:s}", "type", "info", "handle", in->handle);
    dea_wctl_request(in->dea, req, on_info, dea_inst_ref(in));
}

static void on_tick(uv_timer_t *t)
{
    dea_t *dea = t->data;
    for (dea_inst_t *in = dea->insts; in; in = in->next)
        if (in->state == DEA_RUNNING)
            dea_stats_sample(in);
    dea_pool_fill(dea); /* after warden was away, for instance */
}

void dea_stats_start(dea_t *dea)
{
    uv_timer_init(dea->loop, &dea->stats_timer);
    dea->stats_timer.data = dea;
    uv_timer_start(&dea->stats_timer, on_tick, dea->conf->stats_ms, dea->conf->stats_ms);
}
