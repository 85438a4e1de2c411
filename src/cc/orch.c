/*
 * Staging and placement. The DEA pool is rebuilt from dea.advertise (entries older than
 * CC_DEA_PROFILE_TTL_MS are ignored); instances go to the DEA with the fewest instances of
 * the app, then the most free memory (cluster avoidance), and the chosen DEA's free memory
 * is debited locally so one burst of starts spreads out. No DEA: the start is dropped and
 * logged; the HM asks again later (v1 behaviour).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "api/api.h"
#include "bus/bus.h"
#include "db/db.h"
#include "hc_json.h"
#include "hc_log.h"
#include "hc_time.h"
#include "hc_uuid.h"
#include "orch.h"
#include "rollout.h"
#include "staging_log.h"

typedef struct dea_s {
    char id[128];
    int64_t available_memory; /* MB */
    uint64_t seen_ms;
    json_t *app_counts; /* {"<app guid>": n} from the advertisement, may be NULL */
    json_t *stacks;     /* ["<stack>"...] from the advertisement, may be NULL */
} dea_t;

typedef struct staging_s {
    struct staging_s *next;
    cc_ctx_t *cc;
    char guid[HC_UUID_STR_LEN + 1];
    char package[41];
    char task_id[HC_UUID_STR_LEN + 1];
    hc_bus_sub_t *log_sub; /* staging.<task_id>.log until the task's last message */
} staging_t;

struct cc_placement_s {
    dea_t deas[CC_MAX_DEAS];
    size_t num_deas;
    staging_t *staging; /* tasks waiting for their reply */
    cc_slogs_t *logs;
};

static cc_placement_t *pool(cc_ctx_t *cc)
{
    if (!cc->placement) {
        cc->placement = hc_calloc(1, sizeof(*cc->placement));
        cc->placement->logs = cc_slogs_new();
    }
    return cc->placement;
}

/* ---- DEA pool ---- */

void cc_orch_advertise(cc_ctx_t *cc, const char *data, size_t len)
{
    cc_placement_t *p = pool(cc);
    json_t *o = NULL;
    const char *id;
    int64_t mem;
    hc_err_t err;

    if (hc_json_parse_obj(data, len, 256 * 1024, &o, &err) < 0 ||
        hc_json_get_str_len(o, "id", 1, sizeof(p->deas[0].id) - 1, &id, &err) < 0 ||
        hc_json_get_int(o, "available_memory", &mem, &err) < 0) {
        hc_log_debug("bad dea.advertise, ignoring", "err", err.msg);
        json_decref(o);
        return;
    }
    uint64_t now = uv_now(cc->loop);
    dea_t *d = NULL;
    for (size_t i = 0; i < p->num_deas && !d; i++)
        if (strcmp(p->deas[i].id, id) == 0)
            d = &p->deas[i];
    if (!d) {
        /* Reuse the stalest slot when full: the table stays bounded. */
        if (p->num_deas < CC_MAX_DEAS) {
            d = &p->deas[p->num_deas++];
        } else {
            d = &p->deas[0];
            for (size_t i = 1; i < p->num_deas; i++)
                if (p->deas[i].seen_ms < d->seen_ms)
                    d = &p->deas[i];
        }
        json_decref(d->app_counts);
        json_decref(d->stacks);
        memset(d, 0, sizeof(*d));
        snprintf(d->id, sizeof(d->id), "%s", id);
    }
    d->available_memory = mem;
    d->seen_ms = now;
    json_decref(d->app_counts);
    json_t *counts = json_object_get(o, "app_id_to_count");
    d->app_counts = json_is_object(counts) ? json_incref(counts) : NULL;
    json_decref(d->stacks);
    d->stacks = NULL;
    json_t *stacks = json_object_get(o, "stacks"), *st;
    size_t i;
    json_array_foreach(stacks, i, st)
    {
        if (i >= CC_MAX_DEA_STACKS)
            break;
        if (!json_is_string(st) || json_string_length(st) == 0 ||
            json_string_length(st) > CC_MAX_STACK_NAME)
            continue;
        if (!d->stacks)
            d->stacks = hc_json_arr();
        hc_json_append_str(d->stacks, json_string_value(st));
    }
    json_decref(o);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *cc_orch_stacks(cc_ctx_t *cc)
{
    cc_placement_t *p = pool(cc);
    uint64_t now = uv_now(cc->loop);
    json_t *counts = hc_json_obj(), *out = hc_json_arr(), *st, *v;
    const char *name;
    size_t i;
    for (size_t k = 0; k < p->num_deas; k++) {
        if (now - p->deas[k].seen_ms > CC_DEA_PROFILE_TTL_MS)
            continue;
        json_array_foreach(p->deas[k].stacks, i, st)
        {
            json_t *c = json_object_get(counts, json_string_value(st));
            json_object_set_new(counts, json_string_value(st),
                                json_integer(c ? json_integer_value(c) + 1 : 1));
        }
    }
    if (json_object_size(counts) == 0 && cc->conf && cc->conf->default_stack)
        json_object_set_new(counts, cc->conf->default_stack, json_integer(0));
    size_t n = json_object_size(counts), k = 0;
    const char **names = hc_calloc(n + 1, sizeof(*names));
    json_object_foreach(counts, name, v) names[k++] = name;
    qsort(names, n, sizeof(*names), cmp_names);
    for (k = 0; k < n; k++) {
        json_t *o = hc_json_obj();
        hc_json_set_str(o, "name", names[k]);
        hc_json_set_int(o, "deas", json_integer_value(json_object_get(counts, names[k])));
        hc_json_append_new(out, o);
    }
    free(names);
    json_decref(counts);
    return out;
}

size_t cc_orch_num_deas(cc_ctx_t *cc)
{
    cc_placement_t *p = pool(cc);
    uint64_t now = uv_now(cc->loop);
    size_t n = 0;
    for (size_t i = 0; i < p->num_deas; i++)
        n += now - p->deas[i].seen_ms <= CC_DEA_PROFILE_TTL_MS;
    return n;
}

static int64_t app_count(const dea_t *d, const char *guid)
{
    json_t *v = d->app_counts ? json_object_get(d->app_counts, guid) : NULL;
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* Picks a DEA for one instance of guid needing mem MB, or NULL. */
static dea_t *pick_dea(cc_ctx_t *cc, const char *guid, int64_t mem)
{
    cc_placement_t *p = pool(cc);
    uint64_t now = uv_now(cc->loop);
    dea_t *best = NULL;
    uint32_t best_tie = 0;
    for (size_t i = 0; i < p->num_deas; i++) {
        dea_t *d = &p->deas[i];
        if (now - d->seen_ms > CC_DEA_PROFILE_TTL_MS || d->available_memory < mem)
            continue;
        uint32_t tie = randombytes_uniform(1u << 30);
        if (!best) {
            best = d;
            best_tie = tie;
            continue;
        }
        int64_t a = app_count(d, guid), b = app_count(best, guid);
        if (a < b ||
            (a == b && (d->available_memory > best->available_memory ||
                        (d->available_memory == best->available_memory && tie < best_tie)))) {
            best = d;
            best_tie = tie;
        }
    }
    return best;
}

/* Counts a placement locally until the DEA's next advertisement. */
static void debit(dea_t *d, const char *guid, int64_t mem)
{
    d->available_memory -= mem;
    if (!d->app_counts)
        d->app_counts = hc_json_obj();
    json_object_set_new(d->app_counts, guid, json_integer(app_count(d, guid) + 1));
}

/* ---- messages ---- */

static char *base_url(cc_ctx_t *cc)
{
    return hc_asprintf("http://%s:%d",
                       cc->conf->external_host ? cc->conf->external_host : cc->conf->host,
                       hc_http_server_port(cc->http));
}

/* The service credentials for the start message (VCAP_SERVICES), read on a worker (app.h). */
static json_t *services_json(const cc_app_t *app)
{
    return app->vcap ? json_deep_copy(app->vcap) : hc_json_arr();
}

/* The start-message body (cf-v1.md §2.3) without the per-instance fields. */
static json_t *start_body(cc_ctx_t *cc, const cc_app_t *app)
{
    json_t *o = hc_json_obj(), *limits = hc_json_obj(), *users = hc_json_arr();
    char version[128];
    hc_autofree char *base = base_url(cc);
    hc_autofree char *uri =
        hc_asprintf("%s/staged_droplets/%s/%s", base, app->guid, app->droplet_hash);

    cc_app_version(app, version, sizeof(version));
    hc_json_set_str(o, "droplet", app->guid);
    hc_json_set_str(o, "name", app->name);
    hc_json_set_new(o, "uris", json_incref(app->uris));
    hc_json_set_str(o, "runtime", app->runtime);
    hc_json_set_str(o, "framework", app->framework);
    hc_json_set_str(o, "sha1", app->droplet_hash);
    hc_json_set_str(o, "executableFile", "");
    hc_json_set_str(o, "executableUri", uri);
    hc_json_set_str(o, "version", version);
    hc_json_set_new(o, "services", services_json(app));
    hc_json_set_int(limits, "mem", app->memory);
    hc_json_set_int(limits, "disk", app->disk);
    hc_json_set_int(limits, "fds", app->fds);
    hc_json_set_new(o, "limits", limits);
    hc_json_set_new(o, "env", json_incref(app->env));
    hc_json_append_str(users, app->owner);
    hc_json_set_new(o, "users", users);
    hc_json_set_new(o, "debug", NULL);
    hc_json_set_new(o, "console", NULL);
    hc_json_set_str(o, "cc_partition", "default");
    /* Only when not the default, so a start message stays as older DEAs know it. */
    if (strcmp(cc_app_hc_type(app), "port") != 0)
        hc_json_set_str(o, "health_check_type", cc_app_hc_type(app));
    if (strcmp(cc_app_hc_endpoint(app), "/") != 0)
        hc_json_set_str(o, "health_check_http_endpoint", cc_app_hc_endpoint(app));
    return o;
}

/* Publishes dea.UUID.start for each index in [from, to) (or the listed ones). */
static void start_instances(cc_ctx_t *cc, const cc_app_t *app, const int64_t *indices,
                            size_t n_indices, int64_t from, int64_t to, bool flapping)
{
    json_t *body = start_body(cc, app);
    size_t count = indices ? n_indices : (size_t)(to > from ? to - from : 0);
    for (size_t k = 0; k < count; k++) {
        int64_t idx = indices ? indices[k] : from + (int64_t)k;
        dea_t *d = pick_dea(cc, app->guid, app->memory);
        char idxs[24];
        snprintf(idxs, sizeof(idxs), "%lld", (long long)idx);
        if (!d) {
            hc_log_warn("no DEA can run the instance, the HM will retry", "app", app->name, "index",
                        idxs);
            continue;
        }
        debit(d, app->guid, app->memory);
        json_t *msg = json_deep_copy(body);
        hc_json_set_int(msg, "index", idx);
        if (flapping)
            hc_json_set_bool(msg, "flapping", true);
        char subject[200];
        snprintf(subject, sizeof(subject), "dea.%s.start", d->id);
        if (!hc_bus_subject_valid(subject, false)) {
            json_decref(msg);
            continue;
        }
        cc_bus_publish(cc, subject, msg);
        hc_log_info("instance sent to DEA", "app", app->name, "index", idxs, "dea", d->id);
        json_decref(msg);
    }
    json_decref(body);
}

static void droplet_updated(cc_ctx_t *cc, const cc_app_t *app)
{
    json_t *o = json_pack("{s:s, s:s}", "droplet", app->guid, "cc_partition", "default");
    cc_bus_publish(cc, "droplet.updated", o);
    json_decref(o);
}

static void stop_msg(cc_ctx_t *cc, const cc_app_t *app, const char *version, int64_t from,
                     int64_t to)
{
    json_t *o = hc_json_obj();
    hc_json_set_str(o, "droplet", app->guid);
    if (version)
        hc_json_set_str(o, "version", version);
    if (from >= 0) {
        json_t *idx = hc_json_arr();
        for (int64_t i = from; i < to; i++)
            json_array_append_new(idx, json_integer(i));
        hc_json_set_new(o, "indices", idx);
    }
    cc_bus_publish(cc, "dea.stop", o);
    json_decref(o);
}

static bool is_started(const cc_app_t *app)
{
    return app->state && strcmp(app->state, "STARTED") == 0;
}

static bool is_staged(const cc_app_t *app)
{
    return app->package_hash && app->droplet_hash && app->staged_package &&
           strcmp(app->package_hash, app->staged_package) == 0 && app->package_state &&
           strcmp(app->package_state, "STAGED") == 0;
}

/* ---- staging ---- */

void cc_orch_token(cc_ctx_t *cc, const char *purpose, const char *guid, const char *sha1,
                   char out[CC_TOKEN_MAX])
{
    long long expiry = (long long)hc_wall_s() + CC_STAGING_TOKEN_TTL_S;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char hex[2 * sizeof(mac) + 1];
    hc_autofree char *msg = hc_asprintf("%s|%s|%s|%lld", purpose, guid, sha1, expiry);
    crypto_auth_hmacsha256(mac, (const unsigned char *)msg, strlen(msg),
                           (const unsigned char *)cc->signing_key);
    sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
    snprintf(out, CC_TOKEN_MAX, "%lld.%s", expiry, hex);
}

bool cc_orch_token_ok(cc_ctx_t *cc, const char *purpose, const char *guid, const char *sha1,
                      const char *token)
{
    char *dot;
    errno = 0;
    long long expiry = strtoll(token, &dot, 10);
    if (errno || dot == token || *dot != '.' || expiry < hc_wall_s())
        return false;
    unsigned char mac[crypto_auth_hmacsha256_BYTES], got[crypto_auth_hmacsha256_BYTES];
    size_t n = 0;
    if (strlen(dot + 1) != 2 * sizeof(got) ||
        sodium_hex2bin(got, sizeof(got), dot + 1, strlen(dot + 1), NULL, &n, NULL) != 0 ||
        n != sizeof(got))
        return false;
    hc_autofree char *msg = hc_asprintf("%s|%s|%s|%lld", purpose, guid, sha1, expiry);
    crypto_auth_hmacsha256(mac, (const unsigned char *)msg, strlen(msg),
                           (const unsigned char *)cc->signing_key);
    return sodium_memcmp(mac, got, sizeof(mac)) == 0;
}

bool cc_orch_staging_pending(cc_ctx_t *cc, const char *guid, const char *package)
{
    for (const staging_t *t = pool(cc)->staging; t; t = t->next)
        if (strcmp(t->guid, guid) == 0 && package && strcmp(t->package, package) == 0)
            return true;
    return false;
}

const char *cc_orch_staging_log(cc_ctx_t *cc, const char *guid, size_t *ret_len)
{
    return cc_slogs_get(pool(cc)->logs, guid, ret_len);
}

/* A staging.<task_id>.log message: the next piece of the live log. */
static void on_log_msg(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    staging_t *t = ud;
    cc_slog_result_t r = cc_slogs_msg(pool(t->cc)->logs, t->guid, t->task_id, msg->data, msg->len);
    if (r == CC_SLOG_BAD)
        hc_log_debug("bad staging log message, ignoring", "task", t->task_id);
    if (r == CC_SLOG_DONE) {
        hc_bus_unsubscribe(sub);
        t->log_sub = NULL;
    }
}

typedef struct stage_req_s {
    cc_ctx_t *cc;
    staging_t *task;
} stage_req_t;

static void unlink_task(cc_ctx_t *cc, staging_t *t)
{
    /* Called while the bus lives (a reply, a timeout, or HC_BUS_CANCELED inside hc_bus_free
     * before it releases the subscriptions), so the subscription can still be ended here. */
    hc_bus_unsubscribe(t->log_sub);
    for (staging_t **pp = &pool(cc)->staging; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    free(t);
}

/* Marks the app's package FAILED (when it is still the one that was staged), on a worker. */
typedef struct mark_s {
    char guid[HC_UUID_STR_LEN + 1];
    char package[41];
} mark_t;

static int mark_work(cc_ctx_t *cc, cc_db_t *db, void *data, hc_err_t *err)
{
    (void)cc;
    mark_t *m = data;
    return cc_db_exec(db,
                      "UPDATE apps SET package_state = 'FAILED', lock_version = lock_version + 1"
                      " WHERE guid = ? AND package_hash = ?",
                      CC_P(m->guid, m->package), NULL, err);
}

static void mark_done(void *data, int r, const hc_err_t *err)
{
    if (r < 0 && r != UV_ECANCELED)
        hc_log_error("mark staging failed", "err", err->msg);
    free(data);
}

static void mark_failed(cc_ctx_t *cc, const char *guid, const char *package)
{
    mark_t *m = hc_calloc(1, sizeof(*m));
    snprintf(m->guid, sizeof(m->guid), "%s", guid);
    snprintf(m->package, sizeof(m->package), "%s", package);
    cc_queue_db_work(cc, mark_work, mark_done, m);
}

/* A staging reply, once the app is read again on a worker. */
typedef struct staged_s {
    staging_t *task;
    char *error; /* the DEA's error, or NULL */
} staged_t;

static void on_staged_app(cc_ctx_t *cc, cc_app_t *app, void *ud)
{
    staged_t *s = ud;
    staging_t *t = s->task;
    if (!app)
        goto out;
    if (s->error || !is_staged(app) || strcmp(app->package_hash, t->package) != 0) {
        hc_log_warn("staging failed", "app", app->name, "err", s->error ? s->error : "no droplet");
        mark_failed(cc, t->guid, t->package);
        goto out;
    }
    hc_log_info("staged", "app", app->name, "droplet", app->droplet_hash);
    if (is_started(app)) {
        start_instances(cc, app, NULL, 0, 0, app->instances, false);
        droplet_updated(cc, app);
        cc_rollout_begin(cc, app); /* instances of an older droplet go once these run */
    }
out:
    free(s->error);
    free(s);
    unlink_task(cc, t);
}

static void on_staged(hc_bus_t *bus, int status, const char *data, size_t len, void *ud)
{
    stage_req_t *sr = ud;
    cc_ctx_t *cc = sr->cc;
    staging_t *t = sr->task;
    json_t *reply = NULL;
    hc_err_t err;
    (void)bus;

    free(sr);
    if (status == HC_BUS_CANCELED)
        goto out;
    if (status != HC_BUS_OK) {
        hc_log_warn("staging got no reply", "app", t->guid, "status", strerror(-status));
        static const char msg[] = "staging timed out or no stager answered\n";
        cc_slogs_set(pool(cc)->logs, t->guid, t->task_id, msg, sizeof(msg) - 1);
        mark_failed(cc, t->guid, t->package);
        goto out;
    }
    if (hc_json_parse_obj(data, len, CC_MAX_STAGING_LOG * 2, &reply, &err) < 0) {
        hc_log_warn("bad staging reply", "app", t->guid, "err", err.msg);
        mark_failed(cc, t->guid, t->package);
        goto out;
    }
    const char *log = json_string_value(json_object_get(reply, "task_log"));
    if (log)
        cc_slogs_set(pool(cc)->logs, t->guid, t->task_id, log,
                     json_string_length(json_object_get(reply, "task_log")));
    const char *error = json_string_value(json_object_get(reply, "error"));
    /* The task stays pending (no instance sent yet) until the app is read on a worker; its
     * live log ends here, while the bus surely lives. */
    hc_bus_unsubscribe(t->log_sub);
    t->log_sub = NULL;
    staged_t *s = hc_calloc(1, sizeof(*s));
    s->task = t;
    s->error = error ? hc_strdup(error) : NULL;
    json_decref(reply);
    cc_app_fetch(cc, t->guid, on_staged_app, s);
    return;
out:
    json_decref(reply);
    unlink_task(cc, t);
}

/* Sends a staging request for app's package to a DEA, unless one is in flight. */
static void stage(cc_ctx_t *cc, const cc_app_t *app)
{
    cc_placement_t *p = pool(cc);
    for (staging_t *t = p->staging; t; t = t->next)
        if (strcmp(t->guid, app->guid) == 0 && strcmp(t->package, app->package_hash) == 0)
            return;
    dea_t *d = pick_dea(cc, app->guid, app->memory);
    hc_bus_t *bus = cc_bus_handle(cc);
    if (!d || !bus) {
        hc_log_warn("no DEA to stage on, the start waits for the HM", "app", app->name);
        return;
    }
    staging_t *t = hc_calloc(1, sizeof(*t));
    t->cc = cc;
    snprintf(t->guid, sizeof(t->guid), "%s", app->guid);
    snprintf(t->package, sizeof(t->package), "%s", app->package_hash);
    hc_uuid4(t->task_id);

    char tok_dl[CC_TOKEN_MAX], tok_up[CC_TOKEN_MAX], subject[200];
    cc_orch_token(cc, "pkg", app->guid, app->package_hash, tok_dl);
    cc_orch_token(cc, "drop", app->guid, app->package_hash, tok_up);
    hc_autofree char *base = base_url(cc);
    hc_autofree char *dl =
        hc_asprintf("%s/staging/packages/%s/%s/%s", base, app->guid, app->package_hash, tok_dl);
    hc_autofree char *up =
        hc_asprintf("%s/staging/droplets/%s/%s/%s", base, app->guid, app->package_hash, tok_up);
    json_t *props = hc_json_obj(), *res = hc_json_obj();
    hc_json_set_str(props, "framework", app->framework);
    hc_json_set_str(props, "runtime", app->runtime);
    hc_json_set_str(props, "command", app->command);
    hc_json_set_new(props, "environment", json_incref(app->env));
    hc_json_set_new(props, "services", services_json(app));
    hc_json_set_int(res, "memory", app->memory);
    hc_json_set_int(res, "disk", app->disk);
    hc_json_set_int(res, "fds", app->fds);
    hc_json_set_new(props, "resources", res);
    json_t *msg = hc_json_obj();
    hc_json_set_str(msg, "task_id", t->task_id);
    hc_json_set_str(msg, "app_id", app->guid);
    hc_json_set_str(msg, "name", app->name);
    hc_json_set_str(msg, "package_sha1", app->package_hash);
    hc_json_set_new(msg, "properties", props);
    hc_json_set_str(msg, "download_uri", dl);
    hc_json_set_str(msg, "upload_uri", up);
    hc_autofree char *s = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    snprintf(subject, sizeof(subject), "staging.%s.start", d->id);
    /* Subscribe to the live log before the request goes out, so no chunk is missed. */
    char log_subject[HC_UUID_STR_LEN + 16];
    snprintf(log_subject, sizeof(log_subject), "staging.%s.log", t->task_id);
    int r = hc_bus_subscribe(bus, log_subject, NULL, on_log_msg, t, &t->log_sub);
    if (r < 0)
        hc_log_warn("no live staging log", "app", app->name, "err", strerror(-r));
    stage_req_t *sr = hc_calloc(1, sizeof(*sr));
    sr->cc = cc;
    sr->task = t;
    r = hc_bus_subject_valid(subject, false)
            ? hc_bus_request(bus, subject, s, strlen(s), CC_STAGING_TIMEOUT_MS, on_staged, sr)
            : -EINVAL;
    if (r < 0) {
        hc_log_warn("staging request failed", "app", app->name, "err", strerror(-r));
        hc_bus_unsubscribe(t->log_sub);
        free(sr);
        free(t);
        return;
    }
    cc_slogs_begin(p->logs, t->guid, t->task_id);
    t->next = p->staging;
    p->staging = t;
    hc_log_info("staging", "app", app->name, "dea", d->id, "task", t->task_id);
}

/* Brings instances up for a STARTED app: stage first when the droplet is not current. */
static void run_app(cc_ctx_t *cc, const cc_app_t *app, int64_t from, int64_t to)
{
    if (!app->package_hash) {
        hc_log_info("app has no bits yet, nothing to start", "app", app->name);
        return;
    }
    if (!is_staged(app)) {
        stage(cc, app);
        return;
    }
    start_instances(cc, app, NULL, 0, from, to, false);
}

void cc_orch_app_changed(cc_ctx_t *cc, const cc_app_t *before, const cc_app_t *after)
{
    bool was = before && is_started(before), is = is_started(after);
    bool new_bits = before && after->package_hash &&
                    (!before->package_hash || strcmp(before->package_hash, after->package_hash));
    if (!was && is) {
        run_app(cc, after, 0, after->instances);
        droplet_updated(cc, after);
    } else if (was && !is) {
        cc_rollout_cancel(cc, after->guid);
        stop_msg(cc, after, NULL, -1, -1);
        droplet_updated(cc, after);
    } else if (was && is) {
        char version[128];
        cc_app_version(after, version, sizeof(version));
        if (new_bits || !json_equal(before->services, after->services) ||
            !json_equal(before->env, after->env)) {
            /* New bits, services or environment: a new version (run_count) starts next to the
             * old one, staged first when it needs a droplet; the old instances serve until
             * the new ones run (rollout.h). */
            run_app(cc, after, 0, after->instances);
            if (is_staged(after))
                cc_rollout_begin(cc, after);
        } else if (after->instances > before->instances) {
            run_app(cc, after, before->instances, after->instances);
        } else if (after->instances < before->instances) {
            stop_msg(cc, after, version, after->instances, before->instances);
        }
        if (!json_equal(before->uris, after->uris) && is_staged(after)) {
            json_t *body = start_body(cc, after);
            cc_bus_publish(cc, "dea.update", body);
            json_decref(body);
        }
        if (after->instances != before->instances || new_bits)
            droplet_updated(cc, after);
    }
}

void cc_orch_app_deleted(cc_ctx_t *cc, const cc_app_t *app)
{
    cc_rollout_cancel(cc, app->guid);
    stop_msg(cc, app, NULL, -1, -1);
    droplet_updated(cc, app);
}

/* An HM request (o, consumed) once its app is read on a worker (NULL: gone or unreadable). */
static void on_hm_app(cc_ctx_t *cc, cc_app_t *app, void *ud)
{
    json_t *o = ud, *list;
    const char *guid = json_string_value(json_object_get(o, "droplet"));
    const char *op = json_string_value(json_object_get(o, "op"));

    if (!app) {
        /* Instances of an app that no longer exists (deleted while its DEA was cut off) are
         * stopped, as v1 did: every instance of the droplet, or the ones the HM names. */
        if (strcmp(op, "STOP") == 0 && strlen(guid) <= CC_MAX_GUID) {
            json_t *msg = hc_json_obj();
            hc_json_set_str(msg, "droplet", guid);
            list = json_object_get(o, "instances");
            if (json_is_array(list) && json_array_size(list) > 0)
                hc_json_set_new(msg, "instances", json_incref(list));
            cc_bus_publish(cc, "dea.stop", msg);
            json_decref(msg);
            hc_log_info("HM STOP for an unknown app: stopping its instances", "app", guid);
        } else {
            hc_log_info("HM request for an unknown app, ignoring", "app", guid);
        }
        goto out;
    }
    if (strcmp(op, "START") == 0) {
        const char *version = json_string_value(json_object_get(o, "version"));
        char current[128];
        cc_app_version(app, current, sizeof(current));
        if (!is_started(app) || (version && strcmp(version, current) != 0)) {
            hc_log_info("HM START for a stopped app or an old version, ignoring", "app", app->name);
            goto out;
        }
        if (!is_staged(app)) {
            run_app(cc, app, 0, app->instances);
            goto out;
        }
        list = json_object_get(o, "indices");
        size_t n = json_is_array(list) ? HC_MIN(json_array_size(list), (size_t)512) : 0;
        int64_t idx[512];
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            json_t *v = json_array_get(list, i);
            if (json_is_integer(v) && json_integer_value(v) >= 0 &&
                json_integer_value(v) < app->instances)
                idx[k++] = json_integer_value(v);
        }
        bool flapping = json_is_true(json_object_get(o, "flapping"));
        start_instances(cc, app, idx, k, 0, 0, flapping);
    } else if (strcmp(op, "STOP") == 0) {
        list = json_object_get(o, "instances");
        if (!json_is_array(list) || json_array_size(list) == 0)
            goto out;
        /* The HM decided on the app as it saw it (cf-v1.md §5.5): once the app has changed
         * since (a scale-up, a restart), the instance may be wanted again, so the STOP waits
         * for the HM's next look. A STOP without last_updated is obeyed. */
        json_t *lu = json_object_get(o, "last_updated");
        if (lu && (!json_is_integer(lu) || json_integer_value(lu) != app->updated)) {
            char seen[24], now[24];
            snprintf(seen, sizeof(seen), "%lld",
                     json_is_integer(lu) ? (long long)json_integer_value(lu) : -1LL);
            snprintf(now, sizeof(now), "%lld", (long long)app->updated);
            hc_log_info("HM STOP for an app changed since, ignoring", "app", app->name,
                        "last_updated", seen, "updated", now);
            goto out;
        }
        json_t *msg = hc_json_obj();
        hc_json_set_str(msg, "droplet", app->guid);
        hc_json_set_new(msg, "instances", json_incref(list));
        cc_bus_publish(cc, "dea.stop", msg);
        json_decref(msg);
    } else {
        hc_log_warn("unknown HM op, ignoring", "op", op);
    }
out:
    json_decref(o);
}

void cc_orch_hm_request(cc_ctx_t *cc, const char *data, size_t len)
{
    json_t *o = NULL;
    const char *guid, *op;
    hc_err_t err;

    if (hc_json_parse_obj(data, len, 256 * 1024, &o, &err) < 0 ||
        hc_json_get_str(o, "droplet", &guid, &err) < 0 || hc_json_get_str(o, "op", &op, &err) < 0) {
        hc_log_warn("bad HM request, ignoring", "err", err.msg);
        json_decref(o);
        return;
    }
    if (strlen(guid) > CC_MAX_GUID) {
        hc_log_info("HM request for an unknown app, ignoring", "app", guid);
        json_decref(o);
        return;
    }
    cc_app_fetch(cc, guid, on_hm_app, o);
}

void cc_orch_stop(cc_ctx_t *cc)
{
    (void)cc; /* pending staging requests get HC_BUS_CANCELED from hc_bus_free */
}

void cc_orch_free(cc_ctx_t *cc)
{
    cc_placement_t *p = cc->placement;
    if (!p)
        return;
    for (size_t i = 0; i < p->num_deas; i++) {
        json_decref(p->deas[i].app_counts);
        json_decref(p->deas[i].stacks);
    }
    while (p->staging) {
        staging_t *t = p->staging;
        p->staging = t->next;
        free(t);
    }
    cc_slogs_free(p->logs);
    free(p);
    cc->placement = NULL;
}
