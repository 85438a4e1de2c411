/* hearth-hm's start and stop, bus handlers, timers and /varz. */
#include <stdio.h>
#include <string.h>

#include "hc_json.h"
#include "hc_log.h"
#include "hc_time.h"
#include "hc_uuid.h"
#include "hm.h"

#define HM_LEASE_SUBJECT "healthmanager.lease"
#define HM_BUS_CLOSE_DELAY_MS 200

static const char *fresh_name(hm_fresh_t f)
{
    switch (f) {
    case HM_FRESH:
        return "fresh";
    case HM_STALE_DESIRED:
        return "stale_desired";
    default:
        return "stale_bus";
    }
}

static void publish_decisions(hm_t *hm, const hm_decisions_t *ds)
{
    for (size_t i = 0; i < ds->len; i++) {
        const hm_decision_t *d = &ds->v[i];
        json_t *o = hm_wire_decision(d);
        int r = hc_bus_publish_json(hm->bus, "cloudcontrollers.hm.requests", o);
        json_decref(o);
        char idx[24];
        snprintf(idx, sizeof(idx), "%lld", (long long)d->index);
        if (r < 0) {
            hm->counts.publish_failures++;
            hc_log_warn("publish failed", "err", strerror(-r));
            continue;
        }
        if (d->op == HM_OP_START) {
            hm->counts.starts++;
            hm->counts.flapping_starts += d->flapping;
            hc_log_info("START", "app", d->app, "index", idx, "flapping",
                        d->flapping ? "true" : "false");
        } else {
            hm->counts.stops++;
            hc_log_info("STOP", "app", d->app, "index", idx, "instance", d->instance);
        }
    }
}

void hm_analyze_now(hm_t *hm)
{
    uint64_t now = uv_now(hm->loop);
    hm->counts.analyses++;
    bool leader = hm_lease_is_leader(&hm->lease, now);
    if (leader != hm->leader)
        hc_log_info(leader ? "leading: decisions are mine" : "standing by: another HM leads");
    hm->leader = leader;
    if (!leader) {
        hm_engine_expire(&hm->engine, now);
        hm->counts.not_leader++;
        return;
    }
    hm_decisions_t ds = {0};
    hm_fresh_t f = hm_engine_analyze(&hm->engine, now, &ds);
    if (f != hm->last_fresh)
        hc_log_info("state freshness changed", "now", fresh_name(f));
    hm->last_fresh = f;
    hm->counts.stale_desired += f == HM_STALE_DESIRED;
    hm->counts.stale_bus += f == HM_STALE_BUS;
    publish_decisions(hm, &ds);
    hm_decisions_release(&ds);
}

/* ---- bus ---- */

static void on_state(hc_bus_t *bus, hc_bus_event_t ev, void *ud)
{
    hm_t *hm = ud;
    uint64_t now = uv_now(hm->loop);
    if (ev == HC_BUS_CONNECTED || ev == HC_BUS_RECONNECTED) {
        hc_log_info("bus connected, asking DEAs for heartbeats");
        if (!hm->engine.connected)
            hm_lease_listen(&hm->lease, now);
        hm_engine_bus(&hm->engine, true, now);
        hc_bus_publish(bus, "healthmanager.start", "", 0);
    } else {
        hc_log_warn("bus lost: no decisions until it is back and heartbeats flowed");
        hm_engine_bus(&hm->engine, false, now);
    }
}

static void on_heartbeat(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    hm_t *hm = ud;
    size_t bad = 0;
    hc_err_t err;
    (void)sub;
    hm->counts.heartbeats++;
    if (hm_wire_heartbeat(&hm->engine, msg->data, msg->len, uv_now(hm->loop), &bad, &err) < 0) {
        hm->counts.bad_heartbeats++;
        hc_log_debug("bad dea.heartbeat", "err", err.msg);
    }
    hm->counts.bad_heartbeats += bad;
}

static void on_exited(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    hm_t *hm = ud;
    hc_err_t err;
    (void)sub;
    hm->counts.exits++;
    if (hm_wire_exited(&hm->engine, msg->data, msg->len, uv_now(hm->loop), &err) < 0) {
        hm->counts.bad_exits++;
        hc_log_debug("bad droplet.exited", "err", err.msg);
        return;
    }
    hm_analyze_now(hm); /* a first crash restarts at once, not at the next tick */
}

static void on_updated(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    hm_t *hm = ud;
    (void)sub;
    (void)msg;
    hm->counts.updates++;
    hm_desired_refresh(hm);
}

/* Queries are answered by the leader, or by anyone when no live HM claims the lease. */
static bool may_answer(hm_t *hm)
{
    const char *l = hm_lease_leader(&hm->lease, uv_now(hm->loop));
    return !l || strcmp(l, hm->id) == 0;
}

static void reply_json(hm_t *hm, const hc_bus_msg_t *msg, json_t *o)
{
    hc_autofree char *s = json_dumps(o, JSON_COMPACT);
    if (s)
        hc_bus_reply(hm->bus, msg, s, strlen(s));
}

static void on_status(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    hm_t *hm = ud;
    hc_err_t err;
    (void)sub;
    if (!msg->reply || !may_answer(hm))
        return;
    hm->counts.status_queries++;
    json_t *o =
        hm_wire_status(&hm->engine, msg->data, msg->len, uv_now(hm->loop), hc_wall_ms(), &err);
    if (!o) {
        hc_log_debug("bad healthmanager.status", "err", err.msg);
        return;
    }
    reply_json(hm, msg, o);
    json_decref(o);
}

static void on_health(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    hm_t *hm = ud;
    hc_err_t err;
    (void)sub;
    if (!msg->reply || !may_answer(hm))
        return;
    hm->counts.health_queries++;
    json_t *list = hm_wire_health(&hm->engine, msg->data, msg->len, &err);
    if (!list) {
        hc_log_debug("bad healthmanager.health", "err", err.msg);
        return;
    }
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) reply_json(hm, msg, x);
    json_decref(list);
}

static void on_lease(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    hm_t *hm = ud;
    json_t *o = NULL;
    const char *id;
    hc_err_t err;
    (void)sub;
    if (hc_json_parse_obj(msg->data, msg->len, 4096, &o, &err) == 0 &&
        hc_json_get_str(o, "id", &id, &err) == 0)
        hm_lease_observe(&hm->lease, id, uv_now(hm->loop));
    json_decref(o);
}

/* ---- timers ---- */

static void on_analysis_timer(uv_timer_t *t)
{
    hm_analyze_now(t->data);
}

static void on_refresh_timer(uv_timer_t *t)
{
    hm_desired_refresh(t->data);
}

static void on_lease_timer(uv_timer_t *t)
{
    hm_t *hm = t->data;
    json_t *o = json_pack("{s:s}", "id", hm->id);
    hc_bus_publish_json(hm->bus, HM_LEASE_SUBJECT, o);
    json_decref(o);
}

static void on_timer_closed(uv_handle_t *h)
{
    hm_t *hm = h->data;
    hm->timers_open--;
}

static void varz(json_t *v, void *data)
{
    hm_t *hm = data;
    const hm_counts_t *c = &hm->counts;
    uint64_t now = uv_now(hm->loop);
    size_t running = 0, flapping = 0, gave_up = 0;
    for (size_t i = 0; i < hm->engine.num_insts; i++)
        running += hm->engine.insts[i].state == HM_I_RUNNING;
    for (size_t i = 0; i < hm->engine.num_idx; i++) {
        flapping += hm_index_flapping(&hm->engine, &hm->engine.idx[i]);
        gave_up += hm->engine.idx[i].gave_up;
    }
    json_t *dec = json_pack("{s:I, s:I, s:I, s:I}", "START", (json_int_t)c->starts, "STOP",
                            (json_int_t)c->stops, "flapping_START", (json_int_t)c->flapping_starts,
                            "publish_failures", (json_int_t)c->publish_failures);
    hc_json_set_new(v, "decisions", dec);
    hc_json_set_str(v, "id", hm->id);
    hc_json_set_bool(v, "leader", hm_lease_is_leader(&hm->lease, now));
    const char *l = hm_lease_leader(&hm->lease, now);
    hc_json_set_str(v, "lease_holder", l ? l : "");
    hc_json_set_str(v, "freshness", fresh_name(hm_engine_fresh(&hm->engine, now)));
    hc_json_set_int(v, "total_apps", (int64_t)hm->engine.num_apps);
    hc_json_set_int(v, "total_instances", (int64_t)hm->engine.num_insts);
    hc_json_set_int(v, "running_instances", (int64_t)running);
    hc_json_set_int(v, "crashed_instances", (int64_t)hm->engine.num_crashed);
    hc_json_set_int(v, "flapping_indices", (int64_t)flapping);
    hc_json_set_int(v, "given_up_indices", (int64_t)gave_up);
    hc_json_set_int(v, "heartbeat_msgs_received", (int64_t)c->heartbeats);
    hc_json_set_int(v, "bad_heartbeat_entries", (int64_t)c->bad_heartbeats);
    hc_json_set_int(v, "droplet_exited_msgs_received", (int64_t)c->exits);
    hc_json_set_int(v, "droplet_updated_msgs_received", (int64_t)c->updates);
    hc_json_set_int(v, "analyses", (int64_t)c->analyses);
    hc_json_set_int(v, "analyses_stale_desired", (int64_t)c->stale_desired);
    hc_json_set_int(v, "analyses_stale_bus", (int64_t)c->stale_bus);
    hc_json_set_int(v, "analyses_not_leader", (int64_t)c->not_leader);
    hc_json_set_int(v, "bulk_reads_ok", (int64_t)c->bulk_ok);
    hc_json_set_int(v, "bulk_reads_failed", (int64_t)c->bulk_failed);
    hc_json_set_int(v, "bus_msgs_dropped", (int64_t)(hm->bus ? hc_bus_dropped(hm->bus) : 0));
}

/* ---- start / stop ---- */

static int start_bus(hm_t *hm, hc_err_t *err)
{
    hc_buf_t urls;
    hc_buf_init(&urls, 16384);
    for (char **u = hm->conf->nats_urls; u && *u; u++)
        hc_buf_appendf(&urls, "%s%s", urls.len ? "," : "", *u);
    hc_bus_opts_t opts = {.name = "hearth-hm", .on_state = on_state, .ud = hm};
    int r = hc_bus_new(hm->loop, urls.data ? urls.data : "", &opts, &hm->bus, err);
    hc_buf_release(&urls);
    if (r < 0)
        return r;
    static const struct {
        const char *subject;
        hc_bus_msg_cb cb;
    } subs[] = {
        {"dea.heartbeat", on_heartbeat},     {"droplet.exited", on_exited},
        {"droplet.updated", on_updated},     {"healthmanager.status", on_status},
        {"healthmanager.health", on_health}, {HM_LEASE_SUBJECT, on_lease},
    };
    for (size_t i = 0; i < HC_ARRAY_SIZE(subs); i++) {
        hc_bus_sub_t *s;
        r = hc_bus_subscribe(hm->bus, subs[i].subject, NULL, subs[i].cb, hm, &s);
        if (r < 0)
            return hc_err_set(err, r, "subscribe %s", subs[i].subject);
    }
    if (hc_bus_connected(hm->bus))
        on_state(hm->bus, HC_BUS_CONNECTED, hm);
    return 0;
}

static void start_timer(hm_t *hm, uv_timer_t *t, uv_timer_cb cb, uint64_t period)
{
    uv_timer_init(hm->loop, t);
    t->data = hm;
    hm->timers_open++;
    uv_timer_start(t, cb, period, period);
}

int hm_start(hc_daemon_t *d, hc_err_t *err)
{
    hm_t *hm = d->data;
    hm_conf_t *conf = d->conf;
    hm->d = d;
    hm->conf = conf;
    hm->loop = d->loop;
    if (conf->id) {
        snprintf(hm->id, sizeof(hm->id), "%s", conf->id);
    } else {
        char u[HC_UUID_STR_LEN + 1];
        hc_uuid4(u);
        snprintf(hm->id, sizeof(hm->id), "%s", u);
    }
    hm_policy_t p = {
        .heartbeat_ms = conf->heartbeat_ms,
        .desired_max_age_ms = conf->desired_max_age_ms,
        .restart_timeout_ms = conf->restart_timeout_ms,
        .immediate_restarts = (uint32_t)conf->immediate_restarts,
        .backoff_base_ms = conf->backoff_base_ms,
        .backoff_max_ms = conf->backoff_max_ms,
        .giveup_crashes = (uint32_t)conf->giveup_crashes,
        .crash_reset_ms = conf->crash_reset_ms,
        .crashed_keep_ms = 3600000,
        .rollout_ms = conf->rollout_ms,
    };
    uint64_t now = uv_now(hm->loop);
    hm_engine_init(&hm->engine, &p);
    hm_lease_init(&hm->lease, hm->id, 3 * conf->lease_ms, now);
    hm->last_fresh = HM_STALE_BUS;
    hm->http = hc_http_client_new(hm->loop, err);
    if (!hm->http)
        return -EIO;
    hc_status_conf_t sc = {.type = "HealthManager",
                           .host = conf->status_host,
                           .port = conf->status_port,
                           .user = conf->status_user,
                           .password = conf->status_password};
    int r = hc_status_new(hm->loop, &sc, varz, hm, &hm->status, err);
    if (r < 0)
        return hc_err_wrap(err, "status server");
    char port[16];
    snprintf(port, sizeof(port), "%d", hc_status_port(hm->status));
    hc_log_info("status server listening", "port", port, "id", hm->id);
    r = start_bus(hm, err);
    if (r < 0)
        return hc_err_wrap(err, "bus");
    hm->component = hc_status_component_json(hm->status);
    hc_bus_component_start(hm->bus, hm->component);
    start_timer(hm, &hm->analysis_timer, on_analysis_timer, conf->analysis_ms);
    start_timer(hm, &hm->refresh_timer, on_refresh_timer, conf->refresh_ms);
    start_timer(hm, &hm->lease_timer, on_lease_timer, conf->lease_ms);
    on_lease_timer(&hm->lease_timer);
    hm_desired_refresh(hm);
    return 0;
}

static void on_status_closed(hc_status_t *st, void *data)
{
    hm_t *hm = data;
    hc_status_free(st);
    hm->status = NULL;
}

static void on_close_bus(uv_timer_t *t)
{
    hm_t *hm = t->data;
    hc_bus_free(hm->bus);
    hm->bus = NULL;
    uv_close((uv_handle_t *)t, on_timer_closed);
}

void hm_stop(hc_daemon_t *d)
{
    hm_t *hm = d->data;
    hm_desired_cancel(hm);
    hc_http_client_free(hm->http);
    hm->http = NULL;
    if (hm->timers_open) {
        uv_close((uv_handle_t *)&hm->analysis_timer, on_timer_closed);
        uv_close((uv_handle_t *)&hm->refresh_timer, on_timer_closed);
        uv_timer_stop(&hm->lease_timer); /* reused to close the bus a moment later */
        uv_timer_start(&hm->lease_timer, on_close_bus, HM_BUS_CLOSE_DELAY_MS, 0);
    }
    if (hm->status)
        hc_status_close(hm->status, on_status_closed, hm);
}

void hm_release(hm_t *hm)
{
    hc_bus_free(hm->bus);
    hc_status_free(hm->status);
    json_decref(hm->component);
    hm_engine_release(&hm->engine);
    hm_apps_release(&hm->fetch_apps);
    free(hm->bulk_user);
    free(hm->bulk_password);
    memset(hm, 0, sizeof(*hm));
}
