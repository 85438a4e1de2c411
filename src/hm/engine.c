/* The HM decision engine (see engine.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

void hm_policy_defaults(hm_policy_t *p)
{
    *p = (hm_policy_t){
        .heartbeat_ms = 10000,
        .desired_max_age_ms = 30000,
        .restart_timeout_ms = 20000,
        .immediate_restarts = 3,
        .backoff_base_ms = 30000,
        .backoff_max_ms = 960000,
        .giveup_crashes = 200,
        .crash_reset_ms = 600000,
        .crashed_keep_ms = 3600000,
        .rollout_ms = 180000,
    };
}

uint64_t hm_backoff_delay_ms(const hm_policy_t *p, uint32_t crashes)
{
    if (p->giveup_crashes > 0 && crashes >= p->giveup_crashes)
        return UINT64_MAX;
    if (crashes <= p->immediate_restarts)
        return 0;
    uint32_t shift = crashes - p->immediate_restarts - 1;
    uint64_t d = p->backoff_base_ms;
    for (uint32_t i = 0; i < shift && d < p->backoff_max_ms; i++)
        d *= 2;
    return HC_MIN(d, p->backoff_max_ms);
}

hm_istate_t hm_istate_parse(const char *s)
{
    if (strcmp(s, "RUNNING") == 0)
        return HM_I_RUNNING;
    if (strcmp(s, "STARTING") == 0)
        return HM_I_STARTING;
    if (strcmp(s, "CRASHED") == 0)
        return HM_I_CRASHED;
    return HM_I_OTHER;
}

void hm_decisions_release(hm_decisions_t *d)
{
    free(d->v);
    *d = (hm_decisions_t){0};
}

static hm_decision_t *decision_add(hm_decisions_t *d)
{
    if (d->len == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->v = hc_reallocarray(d->v, d->cap, sizeof(*d->v));
    }
    hm_decision_t *x = &d->v[d->len++];
    memset(x, 0, sizeof(*x));
    return x;
}

void hm_engine_init(hm_engine_t *e, const hm_policy_t *p)
{
    memset(e, 0, sizeof(*e));
    e->policy = *p;
}

void hm_engine_release(hm_engine_t *e)
{
    free(e->apps);
    free(e->insts);
    free(e->idx);
    free(e->crashed);
    memset(e, 0, sizeof(*e));
}

static int cmp_app(const void *a, const void *b)
{
    return strcmp(((const hm_app_t *)a)->id, ((const hm_app_t *)b)->id);
}

void hm_engine_set_desired(hm_engine_t *e, const hm_app_t *apps, size_t n, uint64_t fetched_at)
{
    hm_app_t *old = e->apps;
    size_t num = HC_MIN(n, (size_t)HM_MAX_APPS);
    hm_app_t *v = NULL;
    if (num) {
        v = hc_reallocarray(NULL, num, sizeof(*v));
        memcpy(v, apps, num * sizeof(*apps));
        qsort(v, num, sizeof(*v), cmp_app);
    }
    /* Keep when each version and update were first seen. In a first snapshot (the HM just
     * started) an app counts as long known unless the CC changed it a moment ago. */
    for (size_t i = 0; i < num; i++) {
        const hm_app_t *o = hm_engine_app(e, v[i].id);
        if (!e->desired_at)
            v[i].seen = v[i].recent ? fetched_at : 0;
        else if (o && strcmp(o->version, v[i].version) == 0 && o->updated_at == v[i].updated_at)
            v[i].seen = o->seen;
        else
            v[i].seen = fetched_at;
    }
    free(old);
    e->apps = v;
    e->num_apps = num;
    e->desired_at = fetched_at ? fetched_at : 1;
}

const hm_app_t *hm_engine_app(const hm_engine_t *e, const char *id)
{
    size_t lo = 0, hi = e->num_apps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(e->apps[mid].id, id);
        if (c == 0)
            return &e->apps[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void hm_engine_bus(hm_engine_t *e, bool connected, uint64_t now)
{
    if (connected && !e->connected) {
        e->connected_since = now;
        e->last_heartbeat = 0;
    }
    e->connected = connected;
}

void hm_engine_heard(hm_engine_t *e, uint64_t now)
{
    e->last_heartbeat = now;
}

/* ---- sorted tables ---- */

static int key_cmp(const char *app_a, int64_t ia, const char *id_a, const char *app_b, int64_t ib,
                   const char *id_b)
{
    int c = strcmp(app_a, app_b);
    if (c)
        return c;
    if (ia != ib)
        return ia < ib ? -1 : 1;
    return id_a && id_b ? strcmp(id_a, id_b) : 0;
}

/* First instance position not before (app, index, id); id "" finds the group start. */
static size_t inst_lower(const hm_engine_t *e, const char *app, int64_t index, const char *id)
{
    size_t lo = 0, hi = e->num_insts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const hm_inst_t *x = &e->insts[mid];
        if (key_cmp(x->app, x->index, x->id, app, index, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void inst_remove_at(hm_engine_t *e, size_t i)
{
    memmove(&e->insts[i], &e->insts[i + 1], (e->num_insts - i - 1) * sizeof(*e->insts));
    e->num_insts--;
}

static size_t idx_lower(const hm_engine_t *e, const char *app, int64_t index)
{
    size_t lo = 0, hi = e->num_idx;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (key_cmp(e->idx[mid].app, e->idx[mid].index, NULL, app, index, NULL) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const hm_index_t *hm_engine_index(const hm_engine_t *e, const char *app, int64_t index)
{
    size_t i = idx_lower(e, app, index);
    if (i < e->num_idx && strcmp(e->idx[i].app, app) == 0 && e->idx[i].index == index)
        return &e->idx[i];
    return NULL;
}

static hm_index_t *idx_get(hm_engine_t *e, const char *app, int64_t index, const char *version)
{
    size_t i = idx_lower(e, app, index);
    if (!(i < e->num_idx && strcmp(e->idx[i].app, app) == 0 && e->idx[i].index == index)) {
        if (e->num_idx == e->cap_idx) {
            e->cap_idx = e->cap_idx ? e->cap_idx * 2 : 64;
            e->idx = hc_reallocarray(e->idx, e->cap_idx, sizeof(*e->idx));
        }
        memmove(&e->idx[i + 1], &e->idx[i], (e->num_idx - i) * sizeof(*e->idx));
        e->num_idx++;
        memset(&e->idx[i], 0, sizeof(e->idx[i]));
        snprintf(e->idx[i].app, sizeof(e->idx[i].app), "%s", app);
        e->idx[i].index = index;
    }
    hm_index_t *r = &e->idx[i];
    if (strcmp(r->version, version) != 0) { /* a new version starts with a clean record */
        *r = (hm_index_t){.index = index};
        snprintf(r->app, sizeof(r->app), "%s", app);
        snprintf(r->version, sizeof(r->version), "%s", version);
    }
    return r;
}

static bool valid_str(const char *s, bool allow_empty)
{
    return s && (allow_empty || *s) && strlen(s) <= HM_ID_MAX;
}

static void crashed_add(hm_engine_t *e, const char *app, const char *id, int64_t index,
                        uint64_t now)
{
    for (size_t i = 0; i < e->num_crashed; i++)
        if (strcmp(e->crashed[i].id, id) == 0 && strcmp(e->crashed[i].app, app) == 0)
            return;
    if (e->num_crashed == HM_MAX_CRASHED) {
        memmove(&e->crashed[0], &e->crashed[1], (e->num_crashed - 1) * sizeof(*e->crashed));
        e->num_crashed--;
    }
    if (e->num_crashed == e->cap_crashed) {
        e->cap_crashed = e->cap_crashed ? e->cap_crashed * 2 : 64;
        e->crashed = hc_reallocarray(e->crashed, e->cap_crashed, sizeof(*e->crashed));
    }
    hm_crashed_t *c = &e->crashed[e->num_crashed++];
    snprintf(c->app, sizeof(c->app), "%s", app);
    snprintf(c->id, sizeof(c->id), "%s", id);
    c->index = index;
    c->at = now;
}

/* ---- events ---- */

int hm_engine_heartbeat(hm_engine_t *e, const hm_hb_t *hb, uint64_t now)
{
    if (!valid_str(hb->app, false) || !valid_str(hb->instance, false) ||
        !valid_str(hb->dea, true) || !hb->version || strlen(hb->version) > HM_VERSION_MAX ||
        hb->index < 0 || hb->index >= HM_MAX_INDEX)
        return -EINVAL;
    e->last_heartbeat = now;
    size_t i = inst_lower(e, hb->app, hb->index, hb->instance);
    bool found = i < e->num_insts && key_cmp(e->insts[i].app, e->insts[i].index, e->insts[i].id,
                                             hb->app, hb->index, hb->instance) == 0;
    if (hb->state != HM_I_STARTING && hb->state != HM_I_RUNNING) {
        if (found)
            inst_remove_at(e, i);
        if (hb->state == HM_I_CRASHED)
            crashed_add(e, hb->app, hb->instance, hb->index, now);
        return 0;
    }
    if (!found) {
        if (e->num_insts >= HM_MAX_INSTANCES)
            return -ENOSPC;
        if (e->num_insts == e->cap_insts) {
            e->cap_insts = e->cap_insts ? e->cap_insts * 2 : 64;
            e->insts = hc_reallocarray(e->insts, e->cap_insts, sizeof(*e->insts));
        }
        memmove(&e->insts[i + 1], &e->insts[i], (e->num_insts - i) * sizeof(*e->insts));
        e->num_insts++;
        memset(&e->insts[i], 0, sizeof(e->insts[i]));
        snprintf(e->insts[i].app, sizeof(e->insts[i].app), "%s", hb->app);
        snprintf(e->insts[i].id, sizeof(e->insts[i].id), "%s", hb->instance);
        e->insts[i].index = hb->index;
        e->insts[i].first_seen = now;
    }
    hm_inst_t *x = &e->insts[i];
    snprintf(x->version, sizeof(x->version), "%s", hb->version);
    snprintf(x->dea, sizeof(x->dea), "%s", hb->dea ? hb->dea : "");
    x->state = hb->state;
    x->last_seen = now;
    return 0;
}

int hm_engine_exited(hm_engine_t *e, const hm_exit_t *ex, uint64_t now)
{
    if (!valid_str(ex->app, false) || !valid_str(ex->instance, false) || !ex->version ||
        strlen(ex->version) > HM_VERSION_MAX || ex->index < 0 || ex->index >= HM_MAX_INDEX ||
        !ex->reason)
        return -EINVAL;
    size_t i = inst_lower(e, ex->app, ex->index, ex->instance);
    if (i < e->num_insts && key_cmp(e->insts[i].app, e->insts[i].index, e->insts[i].id, ex->app,
                                    ex->index, ex->instance) == 0)
        inst_remove_at(e, i);
    bool crashed = strcmp(ex->reason, "CRASHED") == 0;
    bool lost =
        strcmp(ex->reason, "DEA_SHUTDOWN") == 0 || strcmp(ex->reason, "DEA_EVACUATION") == 0;
    if (crashed)
        crashed_add(e, ex->app, ex->instance, ex->index, now);
    const hm_app_t *app = hm_engine_app(e, ex->app);
    if (!app || strcmp(app->version, ex->version) != 0 || ex->index >= app->instances ||
        !(crashed || lost))
        return 0;
    hm_index_t *r = idx_get(e, ex->app, ex->index, ex->version);
    r->last_start = 0; /* whatever was sent before, this index needs a start now */
    r->lost = true;
    if (!crashed)
        return 0;
    const hm_policy_t *p = &e->policy;
    if (r->crashes && now - r->last_crash >= p->crash_reset_ms) {
        r->crashes = 0;
        r->gave_up = false;
        r->flapping_since = 0;
    }
    if (r->crashes < UINT32_MAX)
        r->crashes++;
    r->last_crash = now;
    if (r->crashes > p->immediate_restarts && !r->flapping_since)
        r->flapping_since = now;
    uint64_t delay = hm_backoff_delay_ms(p, r->crashes);
    r->gave_up = delay == UINT64_MAX;
    r->next_start = r->gave_up ? UINT64_MAX : now + delay;
    return 0;
}

bool hm_index_flapping(const hm_engine_t *e, const hm_index_t *r)
{
    return r->crashes > e->policy.immediate_restarts || r->gave_up;
}

hm_fresh_t hm_engine_fresh(const hm_engine_t *e, uint64_t now)
{
    if (!e->connected || now - e->connected_since < e->policy.heartbeat_ms)
        return HM_STALE_BUS;
    if (!e->desired_at || now - e->desired_at > e->policy.desired_max_age_ms)
        return HM_STALE_DESIRED;
    return HM_FRESH;
}

size_t hm_engine_running(const hm_engine_t *e, const char *app, const char *version)
{
    const hm_app_t *a = hm_engine_app(e, app);
    if (!version && a)
        version = a->version;
    size_t n = 0;
    for (size_t i = inst_lower(e, app, -1, ""); i < e->num_insts; i++) {
        const hm_inst_t *x = &e->insts[i];
        if (strcmp(x->app, app) != 0)
            break;
        if (x->state == HM_I_RUNNING && (!version || strcmp(x->version, version) == 0))
            n++;
    }
    return n;
}

/* ---- analysis ---- */

void hm_engine_expire(hm_engine_t *e, uint64_t now)
{
    const hm_policy_t *p = &e->policy;
    if (e->connected) {
        uint64_t ttl = 3 * p->heartbeat_ms;
        size_t w = 0;
        for (size_t r = 0; r < e->num_insts; r++) {
            hm_inst_t *x = &e->insts[r];
            uint64_t heard = HC_MAX(x->last_seen, e->connected_since);
            if (now - heard > ttl)
                continue;
            if (w != r)
                e->insts[w] = *x;
            w++;
        }
        e->num_insts = w;
    }
    size_t drop = 0;
    while (drop < e->num_crashed && now - e->crashed[drop].at > p->crashed_keep_ms)
        drop++;
    if (drop) {
        memmove(&e->crashed[0], &e->crashed[drop], (e->num_crashed - drop) * sizeof(*e->crashed));
        e->num_crashed -= drop;
    }
}

static bool is_live(const hm_inst_t *x)
{
    return x->state == HM_I_STARTING || x->state == HM_I_RUNNING;
}

/* Better keeper of an index: RUNNING first, then heard first, then the smaller id (order). */
static bool better(const hm_inst_t *a, const hm_inst_t *b)
{
    if ((a->state == HM_I_RUNNING) != (b->state == HM_I_RUNNING))
        return a->state == HM_I_RUNNING;
    return a->first_seen < b->first_seen;
}

static void decide_stops(hm_engine_t *e, uint64_t now, hm_decisions_t *out)
{
    const hm_policy_t *p = &e->policy;
    const hm_inst_t *keeper = NULL;
    size_t group_end = 0;
    for (size_t i = 0; i < e->num_insts; i++) {
        hm_inst_t *x = &e->insts[i];
        const hm_app_t *app = hm_engine_app(e, x->app);
        if (i >= group_end) { /* first of an (app, index) group: find its keeper */
            keeper = NULL;
            for (group_end = i;
                 group_end < e->num_insts && strcmp(e->insts[group_end].app, x->app) == 0 &&
                 e->insts[group_end].index == x->index;
                 group_end++) {
                const hm_inst_t *y = &e->insts[group_end];
                if (app && is_live(y) && strcmp(y->version, app->version) == 0 &&
                    (!keeper || better(y, keeper)))
                    keeper = y;
            }
        }
        if (!is_live(x) || x->first_seen >= e->desired_at)
            continue;
        if (x->last_stop && now - x->last_stop < p->restart_timeout_ms)
            continue;
        bool old = app && app->started && strcmp(x->version, app->version) != 0;
        bool extra = !app || !app->started || old || x->index >= app->instances || x != keeper;
        if (!extra)
            continue;
        /* A rollout: the running old version serves its index until the new version runs
         * there (the CC then stops it) or rollout_ms passed. */
        if (old && x->index < app->instances && x->state == HM_I_RUNNING &&
            !(keeper && keeper->state == HM_I_RUNNING) && now - app->seen < p->rollout_ms)
            continue;
        x->last_stop = now;
        hm_decision_t *d = decision_add(out);
        d->op = HM_OP_STOP;
        snprintf(d->app, sizeof(d->app), "%s", x->app);
        snprintf(d->version, sizeof(d->version), "%s", x->version);
        snprintf(d->instance, sizeof(d->instance), "%s", x->id);
        d->index = x->index;
        d->last_updated = app ? app->updated_at : 0;
    }
}

static bool index_live(const hm_engine_t *e, const hm_app_t *app, int64_t index, bool *running)
{
    bool live = false;
    *running = false;
    for (size_t i = inst_lower(e, app->id, index, ""); i < e->num_insts; i++) {
        const hm_inst_t *x = &e->insts[i];
        if (x->index != index || strcmp(x->app, app->id) != 0)
            break;
        if (is_live(x) && strcmp(x->version, app->version) == 0) {
            live = true;
            *running |= x->state == HM_I_RUNNING;
        }
    }
    return live;
}

static void decide_starts(hm_engine_t *e, uint64_t now, hm_decisions_t *out)
{
    const hm_policy_t *p = &e->policy;
    for (size_t a = 0; a < e->num_apps; a++) {
        const hm_app_t *app = &e->apps[a];
        if (!app->started || !app->staged)
            continue;
        bool grace = app->seen && now - app->seen < p->restart_timeout_ms;
        for (int64_t i = 0; i < app->instances && i < HM_MAX_INDEX; i++) {
            bool running;
            const hm_index_t *rc = hm_engine_index(e, app->id, i);
            if (rc && strcmp(rc->version, app->version) != 0)
                rc = NULL; /* record of an old version: ignored, reset when next written */
            if (index_live(e, app, i, &running)) {
                if (rc && rc->crashes && running && now - rc->last_crash >= p->crash_reset_ms) {
                    hm_index_t *r = idx_get(e, app->id, i, app->version);
                    r->crashes = 0;
                    r->gave_up = false;
                    r->flapping_since = 0;
                    r->next_start = 0;
                }
                continue;
            }
            if (grace && !(rc && rc->lost))
                continue; /* new or changed: the CC is starting it */
            if (rc && (rc->gave_up || now < rc->next_start))
                continue;
            if (rc && rc->last_start && now - rc->last_start < p->restart_timeout_ms)
                continue;
            hm_index_t *r = idx_get(e, app->id, i, app->version);
            r->last_start = now;
            r->lost = false;
            hm_decision_t *d = decision_add(out);
            d->op = HM_OP_START;
            snprintf(d->app, sizeof(d->app), "%s", app->id);
            snprintf(d->version, sizeof(d->version), "%s", app->version);
            d->index = i;
            d->last_updated = app->updated_at;
            d->flapping = r->crashes > p->immediate_restarts;
        }
    }
}

/* Drops crash records of apps no longer desired, of old versions, or out of range. */
static void prune_records(hm_engine_t *e)
{
    size_t w = 0;
    for (size_t r = 0; r < e->num_idx; r++) {
        const hm_index_t *x = &e->idx[r];
        const hm_app_t *app = hm_engine_app(e, x->app);
        if (!app || strcmp(app->version, x->version) != 0 || x->index >= app->instances)
            continue;
        if (w != r)
            e->idx[w] = *x;
        w++;
    }
    e->num_idx = w;
}

hm_fresh_t hm_engine_analyze(hm_engine_t *e, uint64_t now, hm_decisions_t *out)
{
    hm_engine_expire(e, now);
    hm_fresh_t f = hm_engine_fresh(e, now);
    if (f != HM_FRESH)
        return f;
    prune_records(e);
    decide_stops(e, now, out);
    decide_starts(e, now, out);
    return HM_FRESH;
}
