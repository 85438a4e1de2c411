/*
 * status.c - the DEA's status port (--status-port): /healthz and /varz (DESIGN §1), where
 * /varz adds the DEA's capacity and, per instance, its state and last usage sample (the same
 * figures dea.find.droplet reports in stats.usage).
 */
#include <stdio.h>

#include "dea.h"
#include "hc_json.h"
#include "hc_log.h"

static void varz(json_t *v, void *data)
{
    dea_t *dea = data;
    json_t *arr = hc_json_arr();
    int64_t mem_kb = 0, reserved = 0;
    double cpu = 0;
    for (dea_inst_t *in = dea->insts; in; in = in->next) {
        json_t *o = hc_json_obj();
        hc_json_set_str(o, "instance", in->id);
        hc_json_set_str(o, "droplet", in->s.droplet);
        hc_json_set_int(o, "index", in->s.index);
        hc_json_set_str(o, "state", dea_state_name(in->state));
        hc_json_set_real(o, "uptime", dea_now_s() - in->start_ts);
        if (in->usage.samples) {
            json_t *u = dea_usage_json(in);
            mem_kb += (int64_t)json_real_value(json_object_get(u, "mem"));
            cpu += json_real_value(json_object_get(u, "cpu"));
            hc_json_set_new(o, "usage", u);
        }
        if (in->state == DEA_STARTING || in->state == DEA_RUNNING)
            reserved += in->s.mem_mb;
        hc_json_append_new(arr, o);
    }
    hc_json_set_str(v, "dea_id", dea->id);
    hc_json_set_int(v, "max_memory", (int64_t)dea->conf->max_memory_mb);
    hc_json_set_int(v, "reserved_memory", reserved);
    hc_json_set_int(v, "used_memory", mem_kb / 1024);
    hc_json_set_real(v, "apps_cpu", cpu);
    hc_json_set_int(v, "staging_active", (int64_t)dea->staging_active);
    hc_json_set_new(v, "instances", arr);
}

int dea_status_start(dea_t *dea, hc_err_t *err)
{
    hc_status_conf_t sc = {.type = "DEA", .port = dea->conf->common.status_port};
    int r = hc_status_new(dea->loop, &sc, varz, dea, &dea->status, err);
    if (r < 0)
        return hc_err_wrap(err, "status server");
    char port[16];
    snprintf(port, sizeof(port), "%d", hc_status_port(dea->status));
    hc_log_info("status server listening", "port", port);
    return 0;
}

static void on_closed(hc_status_t *st, void *data)
{
    (void)data;
    hc_status_free(st);
}

void dea_status_stop(dea_t *dea)
{
    if (dea->status)
        hc_status_close(dea->status, on_closed, NULL);
    dea->status = NULL;
}
