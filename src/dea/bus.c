/* The DEA on the bus: subjects it handles and the periodic advertise/heartbeat/register. */
#include <stdio.h>
#include <string.h>

#include "dea.h"
#include "hc_json.h"
#include "hc_log.h"
#include "hc_time.h"

void dea_publish(dea_t *dea, const char *subject, json_t *msg)
{
    if (dea->bus) {
        int r = hc_bus_publish_json(dea->bus, subject, msg);
        if (r < 0)
            hc_log_warn("publish failed", "subject", subject, "err", strerror(-r));
    }
    json_decref(msg);
}

void dea_advertise(dea_t *dea)
{
    if (!dea->stopping)
        dea_publish(dea, "dea.advertise", dea_advertise_msg(dea));
}

/*
 * An evacuated instance was announced as exited (DEA_EVACUATION): it keeps serving until the
 * delay ends but is no longer reported, or the HM would count it next to its replacement as a
 * duplicate of the index and stop one of them.
 */
void dea_heartbeat(dea_t *dea, dea_inst_t *only)
{
    json_t *arr = hc_json_arr();
    for (dea_inst_t *in = dea->insts; in; in = in->next)
        if ((!only || in == only) && !in->evacuated &&
            (in->state == DEA_STARTING || in->state == DEA_RUNNING || in->state == DEA_CRASHED))
            json_array_append_new(arr, dea_heartbeat_entry(in));
    if (!only && json_array_size(arr) == 0) {
        json_decref(arr);
        return;
    }
    json_t *o = hc_json_obj();
    hc_json_set_new(o, "droplets", arr);
    hc_json_set_str(o, "dea", dea->id);
    hc_json_set_bool(o, "prod", false);
    dea_publish(dea, "dea.heartbeat", o);
}

static void on_start(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    (void)sub;
    dea_t *dea = ud;
    dea_start_t s;
    hc_err_t err;
    if (dea_start_parse(msg->data, msg->len, &s, &err) < 0) {
        hc_log_warn("bad start message, ignoring", "err", err.msg);
        return;
    }
    if (dea_inst_start(dea, &s, &err) < 0) {
        hc_log_warn("start refused", "app", s.name, "err", err.msg);
        dea_start_release(&s);
    }
}

static json_t *parse(const hc_bus_msg_t *msg, const char *what)
{
    json_t *o = NULL;
    hc_err_t err;
    if (hc_json_parse_obj(msg->data, msg->len, DEA_MAX_MSG, &o, &err) < 0) {
        hc_log_warn("bad message, ignoring", "subject", what, "err", err.msg);
        return NULL;
    }
    return o;
}

static void on_stop(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    (void)sub;
    dea_t *dea = ud;
    json_t *f = parse(msg, "dea.stop");
    if (!f || !json_is_string(json_object_get(f, "droplet"))) {
        json_decref(f);
        return;
    }
    dea_inst_t *in = dea->insts, *next;
    for (; in; in = next) {
        next = in->next;
        if (dea_inst_matches(in, f))
            dea_inst_stop(in, "STOPPED");
    }
    json_decref(f);
}

static void on_update(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    (void)sub;
    dea_t *dea = ud;
    json_t *o = parse(msg, "dea.update");
    const char *id = json_string_value(json_object_get(o, "droplet"));
    json_t *uris = json_object_get(o, "uris");
    if (id && json_is_array(uris)) {
        for (dea_inst_t *in = dea->insts; in; in = in->next) {
            if (strcmp(in->s.droplet, id) != 0)
                continue;
            bool was = in->registered;
            if (was)
                dea_publish(dea, "router.unregister", dea_register_msg(dea, in, false));
            in->registered = false;
            json_object_set(in->s.msg, "uris", uris);
            in->s.uris = json_object_get(in->s.msg, "uris");
            dea_inst_register(in);
        }
        dea_snapshot_save(dea);
    }
    json_decref(o);
}

static json_t *find_entry(dea_t *dea, const dea_inst_t *in, bool stats)
{
    json_t *o = dea_heartbeat_entry(in);
    hc_json_set_str(o, "dea", dea->id);
    hc_json_set_str(o, "host", dea->conf->local_ip);
    hc_json_set_int(o, "port", in->host_port);
    /* cf-v1 §2.4: the CC fetches <file_uri><staged>/<path> with these credentials. */
    hc_autofree char *uri =
        hc_asprintf("http://%s:%d/droplets/", dea->conf->local_ip, dea_web_port(dea));
    hc_json_set_str(o, "file_uri", uri);
    json_t *cred = hc_json_arr();
    hc_json_append_str(cred, dea->conf->file_user);
    hc_json_append_str(cred, dea->conf->file_password);
    hc_json_set_new(o, "credentials", json_deep_copy(cred));
    hc_json_set_new(o, "file_auth", cred);
    hc_json_set_str(o, "staged", in->id);
    if (in->exit_reason && in->state == DEA_CRASHED)
        hc_json_set_str(o, "exit_description", in->reason_text);
    if (stats) {
        json_t *st = hc_json_obj();
        hc_json_set_str(st, "name", in->s.name);
        hc_json_set_str(st, "host", dea->conf->local_ip);
        hc_json_set_int(st, "port", in->host_port);
        hc_json_set_new(st, "uris", json_deep_copy(in->s.uris));
        double up = dea_now_s() - in->start_ts;
        hc_json_set_real(st, "uptime", up > 0 ? up : 0);
        hc_json_set_int(st, "mem_quota", in->s.mem_mb * 1024 * 1024);
        hc_json_set_int(st, "disk_quota", in->s.disk_mb * 1024 * 1024);
        hc_json_set_int(st, "fds_quota", in->s.fds);
        hc_json_set_int(st, "cores", (int64_t)uv_available_parallelism());
        if (in->usage.samples)
            hc_json_set_new(st, "usage", dea_usage_json(in));
        hc_json_set_new(o, "stats", st);
    }
    return o;
}

static void on_find(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    (void)sub;
    dea_t *dea = ud;
    if (!msg->reply)
        return;
    json_t *f = parse(msg, "dea.find.droplet");
    if (!f || !json_is_string(json_object_get(f, "droplet"))) {
        json_decref(f);
        return;
    }
    bool stats = json_is_true(json_object_get(f, "include_stats"));
    for (dea_inst_t *in = dea->insts; in; in = in->next) {
        if (in->evacuated || !dea_inst_matches(in, f))
            continue; /* evacuated: its replacement runs elsewhere (see dea_heartbeat) */
        json_t *o = find_entry(dea, in, stats);
        hc_autofree char *s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (s)
            hc_bus_reply(dea->bus, msg, s, strlen(s));
    }
    json_decref(f);
}

static void on_status(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    (void)sub;
    dea_t *dea = ud;
    if (!msg->reply)
        return;
    json_t *o = dea_advertise_msg(dea);
    hc_json_set_int(o, "num_instances", (int64_t)dea->num_insts);
    hc_json_set_int(o, "max_memory", (int64_t)dea->conf->max_memory_mb);
    hc_autofree char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (s)
        hc_bus_reply(dea->bus, msg, s, strlen(s));
}

static void on_locate(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    (void)sub, (void)msg;
    dea_advertise(ud);
}

static void on_hm_start(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    (void)sub, (void)msg;
    dea_heartbeat(ud, NULL);
}

static void register_all(dea_t *dea)
{
    for (dea_inst_t *in = dea->insts; in; in = in->next)
        dea_inst_register(in);
}

static void on_router_start(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    (void)sub, (void)msg;
    register_all(ud);
}

static void on_stage(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    (void)sub;
    dea_stage_request(ud, msg);
}

static void on_adv_timer(uv_timer_t *t)
{
    dea_advertise(t->data);
}

static void on_hb_timer(uv_timer_t *t)
{
    dea_heartbeat(t->data, NULL);
}

static void on_reg_timer(uv_timer_t *t)
{
    register_all(t->data);
}

int dea_bus_start(dea_t *dea, hc_err_t *err)
{
    char subject[128];
    int r;
    struct {
        const char *subject;
        const char *queue;
        hc_bus_msg_cb cb;
    } subs[] = {
        {NULL, NULL, on_start},
        {"dea.stop", NULL, on_stop},
        {"dea.update", NULL, on_update},
        {"dea.find.droplet", NULL, on_find},
        {"dea.status", NULL, on_status},
        {"dea.locate", NULL, on_locate},
        {"healthmanager.start", NULL, on_hm_start},
        {"router.start", NULL, on_router_start},
        {NULL, NULL, on_stage},
        {"staging", "staging", on_stage},
    };
    char stage_subject[128];
    snprintf(subject, sizeof(subject), "dea.%s.start", dea->id);
    snprintf(stage_subject, sizeof(stage_subject), "staging.%s.start", dea->id);
    subs[0].subject = subject;
    subs[8].subject = stage_subject;
    for (size_t i = 0; i < HC_ARRAY_SIZE(subs); i++) {
        hc_bus_sub_t *s;
        if ((r = hc_bus_subscribe(dea->bus, subs[i].subject, subs[i].queue, subs[i].cb, dea, &s)) <
            0)
            return hc_err_set(err, r, "subscribe %s: %s", subs[i].subject, strerror(-r));
    }
    uv_timer_t *timers[] = {&dea->advertise_timer, &dea->heartbeat_timer, &dea->register_timer};
    uv_timer_cb cbs[] = {on_adv_timer, on_hb_timer, on_reg_timer};
    uint64_t ms[] = {dea->conf->advertise_ms, dea->conf->heartbeat_ms, dea->conf->register_ms};
    for (size_t i = 0; i < 3; i++) {
        uv_timer_init(dea->loop, timers[i]);
        timers[i]->data = dea;
        uv_timer_start(timers[i], cbs[i], i == 0 ? 0 : ms[i], ms[i]);
    }
    return 0;
}
