/* The HM's messages (see wire.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "wire.h"

/* A droplet id is a guid string; integers (v1 ids) are accepted and printed. */
static int get_id(const json_t *o, const char *key, char *out, size_t size, hc_err_t *err)
{
    const json_t *v = json_object_get(o, key);
    if (json_is_integer(v)) {
        snprintf(out, size, "%" PRId64, (int64_t)json_integer_value(v));
        return 0;
    }
    const char *s;
    int r = hc_json_get_str_len(o, key, 1, size - 1, &s, err);
    if (r < 0)
        return r;
    snprintf(out, size, "%s", s);
    return 0;
}

static int get_version(const json_t *o, char *out, hc_err_t *err)
{
    const char *s;
    int r = hc_json_opt_str_len(o, "version", 0, HM_VERSION_MAX, "", &s, err);
    if (r == 0)
        snprintf(out, HM_VERSION_MAX + 1, "%s", s);
    return r;
}

int hm_wire_heartbeat(hm_engine_t *e, const char *data, size_t len, uint64_t now, size_t *ret_bad,
                      hc_err_t *err)
{
    json_t *o = NULL, *list;
    const char *dea = "";
    size_t taken = 0, bad = 0;
    int r = hc_json_parse_obj(data, len, HM_WIRE_MAX_MSG, &o, err);
    if (r < 0)
        return r;
    if ((r = hc_json_get_array(o, "droplets", &list, err)) < 0 ||
        (r = hc_json_opt_str_len(o, "dea", 0, HM_ID_MAX, "", &dea, err)) < 0)
        goto out;
    hm_engine_heard(e, now);
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
    {
        char app[HM_ID_MAX + 1], inst[HM_ID_MAX + 1], ver[HM_VERSION_MAX + 1];
        const char *state;
        int64_t index;
        hc_err_t e2;
        if (!json_is_object(x) || get_id(x, "droplet", app, sizeof(app), &e2) < 0 ||
            get_id(x, "instance", inst, sizeof(inst), &e2) < 0 || get_version(x, ver, &e2) < 0 ||
            hc_json_get_int_range(x, "index", 0, HM_MAX_INDEX - 1, &index, &e2) < 0 ||
            hc_json_get_str(x, "state", &state, &e2) < 0) {
            bad++;
            continue;
        }
        hm_hb_t hb = {.app = app,
                      .version = ver,
                      .instance = inst,
                      .dea = dea,
                      .index = index,
                      .state = hm_istate_parse(state)};
        if (hm_engine_heartbeat(e, &hb, now) < 0)
            bad++;
        else
            taken++;
    }
    r = (int)HC_MIN(taken, (size_t)INT32_MAX);
out:
    if (ret_bad)
        *ret_bad = bad;
    json_decref(o);
    return r;
}

int hm_wire_exited(hm_engine_t *e, const char *data, size_t len, uint64_t now, hc_err_t *err)
{
    json_t *o = NULL;
    char app[HM_ID_MAX + 1], inst[HM_ID_MAX + 1], ver[HM_VERSION_MAX + 1];
    const char *reason;
    int64_t index;
    int r = hc_json_parse_obj(data, len, HM_WIRE_MAX_MSG, &o, err);
    if (r < 0)
        return r;
    if ((r = get_id(o, "droplet", app, sizeof(app), err)) < 0 ||
        (r = get_id(o, "instance", inst, sizeof(inst), err)) < 0 ||
        (r = get_version(o, ver, err)) < 0 ||
        (r = hc_json_get_int_range(o, "index", 0, HM_MAX_INDEX - 1, &index, err)) < 0 ||
        (r = hc_json_get_str(o, "reason", &reason, err)) < 0)
        goto out;
    hm_exit_t ex = {.app = app, .version = ver, .instance = inst, .index = index, .reason = reason};
    r = hm_engine_exited(e, &ex, now);
    if (r < 0)
        hc_err_set(err, r, "bad droplet.exited");
out:
    json_decref(o);
    return r;
}

void hm_apps_release(hm_apps_t *a)
{
    free(a->v);
    *a = (hm_apps_t){0};
}

int hm_wire_bulk_page(const char *data, size_t len, hm_apps_t *apps, char *next, size_t next_size,
                      hc_err_t *err)
{
    json_t *o = NULL, *results, *tok;
    int r = hc_json_parse_obj(data, len, HM_WIRE_MAX_PAGE, &o, err);
    if (r < 0)
        return r;
    if ((r = hc_json_get_obj(o, "results", &results, err)) < 0 ||
        (r = hc_json_get_obj(o, "bulk_token", &tok, err)) < 0)
        goto out;
    const char *key;
    json_t *x;
    json_object_foreach(results, key, x)
    {
        hm_app_t a = {0};
        const char *state, *pstate, *pkg;
        if (apps->len >= HM_MAX_APPS) {
            r = hc_err_set(err, -EINVAL, "more than %d apps", HM_MAX_APPS);
            goto out;
        }
        if (!json_is_object(x) || get_id(x, "id", a.id, sizeof(a.id), err) < 0 ||
            get_version(x, a.version, err) < 0 ||
            hc_json_get_int_range(x, "instances", 0, HM_MAX_INDEX, &a.instances, err) < 0 ||
            hc_json_get_str(x, "state", &state, err) < 0 ||
            hc_json_opt_str(x, "package_state", "", &pstate, err) < 0 ||
            hc_json_opt_str(x, "package_hash", "", &pkg, err) < 0 ||
            hc_json_opt_int(x, "updated_at", 0, INT64_MIN, INT64_MAX, &a.updated_at, err) < 0) {
            r = hc_err_wrap(err, "app %.64s", key);
            goto out;
        }
        a.started = strcmp(state, "STARTED") == 0;
        /* A package that is not FAILED can run: the CC stages it first when a START finds
         * it PENDING (that is how a start that found no DEA is retried). */
        a.staged = *pkg && strcmp(pstate, "FAILED") != 0;
        if (apps->len == apps->cap) {
            apps->cap = apps->cap ? apps->cap * 2 : 64;
            apps->v = hc_reallocarray(apps->v, apps->cap, sizeof(*apps->v));
        }
        apps->v[apps->len++] = a;
    }
    const char *id = "";
    if (json_object_size(results) > 0 &&
        (r = hc_json_opt_str_len(tok, "id", 0, next_size - 1, "", &id, err)) < 0)
        goto out;
    snprintf(next, next_size, "%s", id);
    r = 0;
out:
    json_decref(o);
    return r;
}

json_t *hm_wire_decision(const hm_decision_t *d)
{
    json_t *o = hc_json_obj();
    hc_json_set_str(o, "droplet", d->app);
    hc_json_set_str(o, "op", d->op == HM_OP_START ? "START" : "STOP");
    hc_json_set_int(o, "last_updated", d->last_updated);
    if (d->op == HM_OP_START) {
        hc_json_set_str(o, "version", d->version);
        json_t *idx = hc_json_arr();
        hc_json_append_new(idx, json_integer(d->index));
        hc_json_set_new(o, "indices", idx);
        if (d->flapping)
            hc_json_set_bool(o, "flapping", true);
    } else {
        json_t *inst = hc_json_arr();
        hc_json_append_str(inst, d->instance);
        hc_json_set_new(o, "instances", inst);
    }
    return o;
}

static int64_t wall_s(uint64_t t, uint64_t now, int64_t wall_now_ms)
{
    return (wall_now_ms - (int64_t)HC_MIN(now - t, (uint64_t)INT64_MAX / 2)) / 1000;
}

json_t *hm_wire_status(const hm_engine_t *e, const char *data, size_t len, uint64_t now,
                       int64_t wall_now_ms, hc_err_t *err)
{
    json_t *o = NULL, *reply = NULL;
    char app[HM_ID_MAX + 1];
    const char *state;
    if (hc_json_parse_obj(data, len, HM_WIRE_MAX_MSG, &o, err) < 0)
        return NULL;
    if (get_id(o, "droplet", app, sizeof(app), err) < 0 ||
        hc_json_get_str(o, "state", &state, err) < 0)
        goto out;
    if (strcmp(state, "FLAPPING") == 0) {
        const hm_app_t *a = hm_engine_app(e, app);
        json_t *list = hc_json_arr();
        for (int64_t i = 0; a && i < a->instances; i++) {
            const hm_index_t *r = hm_engine_index(e, app, i);
            if (!r || strcmp(r->version, a->version) != 0 || !hm_index_flapping(e, r))
                continue;
            json_t *x = hc_json_obj();
            hc_json_set_int(x, "index", i);
            hc_json_set_int(x, "since", wall_s(r->flapping_since, now, wall_now_ms));
            hc_json_set_int(x, "crashes", r->crashes);
            hc_json_set_bool(x, "gave_up", r->gave_up);
            hc_json_append_new(list, x);
        }
        reply = hc_json_obj();
        hc_json_set_new(reply, "indices", list);
    } else if (strcmp(state, "CRASHED") == 0) {
        json_t *list = hc_json_arr();
        for (size_t i = 0; i < e->num_crashed; i++) {
            const hm_crashed_t *c = &e->crashed[i];
            if (strcmp(c->app, app) != 0)
                continue;
            json_t *x = hc_json_obj();
            hc_json_set_str(x, "instance", c->id);
            hc_json_set_int(x, "index", c->index);
            hc_json_set_int(x, "since", wall_s(c->at, now, wall_now_ms));
            hc_json_append_new(list, x);
        }
        reply = hc_json_obj();
        hc_json_set_new(reply, "instances", list);
    } else {
        hc_err_set(err, -EINVAL, "state: expected FLAPPING or CRASHED");
    }
out:
    json_decref(o);
    return reply;
}

json_t *hm_wire_health(const hm_engine_t *e, const char *data, size_t len, hc_err_t *err)
{
    json_t *o = NULL, *list, *out = NULL;
    if (hc_json_parse_obj(data, len, HM_WIRE_MAX_MSG, &o, err) < 0)
        return NULL;
    if (hc_json_get_array(o, "droplets", &list, err) < 0)
        goto done;
    out = hc_json_arr();
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
    {
        char app[HM_ID_MAX + 1], ver[HM_VERSION_MAX + 1];
        hc_err_t e2;
        if (i >= 10000)
            break;
        if (!json_is_object(x) || get_id(x, "droplet", app, sizeof(app), &e2) < 0 ||
            get_version(x, ver, &e2) < 0)
            continue;
        const hm_app_t *a = hm_engine_app(e, app);
        if (!a)
            continue;
        const char *v = *ver ? ver : a->version;
        json_t *r = hc_json_obj();
        hc_json_set_new(r, "droplet", json_deep_copy(json_object_get(x, "droplet")));
        hc_json_set_str(r, "version", v);
        hc_json_set_int(r, "healthy", (int64_t)hm_engine_running(e, app, v));
        hc_json_append_new(out, r);
    }
done:
    json_decref(o);
    return out;
}
