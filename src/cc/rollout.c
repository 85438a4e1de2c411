/* The cut-over of a push: see rollout.h. */
#include "rollout.h"

#include <stdio.h>
#include <string.h>

#include "bus/bus.h"
#include "bus/gather.h"
#include "hc_json.h"
#include "hc_log.h"

#define ROLLOUT_POLL_MS 250   /* between two looks at the app's instances */
#define ROLLOUT_GATHER_MS 200 /* how long one look collects dea.find.droplet replies */

typedef struct rollout_s {
    cc_ctx_t *cc;
    uv_timer_t timer;
    char guid[CC_MAX_GUID + 1];
    char version[128]; /* the new one */
    int64_t wanted;    /* instances of it that must run */
    uint64_t deadline; /* uv_now: cut over whatever runs by then */
    bool looking;      /* a gather is in flight */
    bool ended;        /* unlinked; freed when its timer closed and no gather is left */
    bool closed;
    struct rollout_s *next; /* in cc->rollouts */
} rollout_t;

static void rollout_free_if_done(rollout_t *r)
{
    if (r->ended && r->closed && !r->looking)
        free(r);
}

static void on_closed(uv_handle_t *h)
{
    rollout_t *r = HC_CONTAINER_OF((uv_timer_t *)h, rollout_t, timer);
    r->closed = true;
    rollout_free_if_done(r);
}

static void rollout_end(rollout_t *r)
{
    if (r->ended)
        return;
    r->ended = true;
    for (rollout_t **pp = (rollout_t **)&r->cc->rollouts; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    uv_close((uv_handle_t *)&r->timer, on_closed);
}

static rollout_t *rollout_find(cc_ctx_t *cc, const char *guid)
{
    for (rollout_t *r = cc->rollouts; r; r = r->next)
        if (strcmp(r->guid, guid) == 0)
            return r;
    return NULL;
}

/* Stops the instances of other versions among replies; returns how many. */
static size_t stop_others(rollout_t *r, json_t *replies)
{
    json_t *ids = hc_json_arr(), *x;
    size_t i;
    json_array_foreach(replies, i, x)
    {
        const char *v = json_string_value(json_object_get(x, "version"));
        const char *id = json_string_value(json_object_get(x, "instance"));
        if (v && id && strcmp(v, r->version) != 0)
            hc_json_append_str(ids, id);
    }
    size_t n = json_array_size(ids);
    if (n) {
        json_t *o = hc_json_obj();
        hc_json_set_str(o, "droplet", r->guid);
        hc_json_set_new(o, "instances", ids);
        cc_bus_publish(r->cc, "dea.stop", o);
        json_decref(o);
    } else {
        json_decref(ids);
    }
    return n;
}

static void on_found(cc_ctx_t *cc, int status, json_t *replies, void *ud)
{
    rollout_t *r = ud;
    (void)cc;
    r->looking = false;
    if (r->ended || status < 0) {
        rollout_free_if_done(r);
        return;
    }
    int64_t running = 0;
    json_t *x;
    size_t i;
    json_array_foreach(replies, i, x)
    {
        const char *v = json_string_value(json_object_get(x, "version"));
        const char *st = json_string_value(json_object_get(x, "state"));
        running += v && st && strcmp(v, r->version) == 0 && strcmp(st, "RUNNING") == 0;
    }
    bool late = uv_now(r->cc->loop) >= r->deadline;
    if (running < r->wanted && !late)
        return;
    size_t n = stop_others(r, replies);
    if (n || late) {
        char num[32];
        snprintf(num, sizeof(num), "%zu", n);
        hc_log_info(late ? "cut-over after cutover_timeout" : "cut-over", "app", r->guid, "version",
                    r->version, "old_instances_stopped", num);
    }
    rollout_end(r);
}

static void on_tick(uv_timer_t *t)
{
    rollout_t *r = HC_CONTAINER_OF(t, rollout_t, timer);
    if (r->looking)
        return;
    json_t *o = hc_json_obj(), *states = hc_json_arr();
    hc_json_set_str(o, "droplet", r->guid);
    hc_json_append_str(states, "STARTING");
    hc_json_append_str(states, "RUNNING");
    hc_json_set_new(o, "states", states);
    r->looking = true;
    cc_gather(r->cc, "dea.find.droplet", o, CC_GATHER_MAX_REPLIES, ROLLOUT_GATHER_MS, on_found, r);
    json_decref(o);
}

void cc_rollout_begin(cc_ctx_t *cc, const cc_app_t *app)
{
    rollout_t *r = rollout_find(cc, app->guid);
    if (!r) {
        r = hc_calloc(1, sizeof(*r));
        r->cc = cc;
        snprintf(r->guid, sizeof(r->guid), "%s", app->guid);
        uv_timer_init(cc->loop, &r->timer);
        r->next = cc->rollouts;
        cc->rollouts = r;
        uv_timer_start(&r->timer, on_tick, ROLLOUT_POLL_MS, ROLLOUT_POLL_MS);
    }
    cc_app_version(app, r->version, sizeof(r->version));
    r->wanted = app->instances;
    r->deadline = uv_now(cc->loop) + cc->conf->cutover_timeout_ms;
}

void cc_rollout_cancel(cc_ctx_t *cc, const char *guid)
{
    rollout_t *r = rollout_find(cc, guid);
    if (r)
        rollout_end(r);
}

void cc_rollout_stop_all(cc_ctx_t *cc)
{
    while (cc->rollouts)
        rollout_end(cc->rollouts);
}
