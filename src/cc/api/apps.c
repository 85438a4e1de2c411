/*
 * Apps: GET/POST /apps, GET/PUT/DELETE /apps/NAME, GET/PUT /apps/NAME/env,
 * GET /apps/NAME/events, PUT /apps/NAME/update (restage), GET /apps/NAME/releases and
 * POST /apps/NAME/rollback (release.h). Each user sees only their own apps: every
 * lookup is by (owner, name), so another user's app is simply not found (404/301).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/job.h"
#include "app.h"
#include "blob/blob.h"
#include "db/db.h"
#include "hc_json.h"
#include "hc_log.h"
#include "hc_time.h"
#include "hc_uuid.h"
#include "orch.h"
#include "release.h"

static int fail(cc_app_err_t *e, int code, const char *fmt, ...) HC_PRINTF(3, 4);
static int fail(cc_app_err_t *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    e->code = code;
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/*
 * Quotas for owner, counting app (its new values) instead of its stored row: apps (601),
 * memory of STARTED apps (600).
 */
static int check_quotas(const cc_ctx_t *cc, cc_db_t *db, const cc_user_t *user, const cc_app_t *app,
                        bool creating, cc_app_err_t *e)
{
    cc_db_res_t res = {0};
    hc_err_t err;
    int mult = user->admin ? 4 : 1;
    int r =
        cc_db_exec(db,
                   "SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'STARTED' THEN"
                   " memory * instances ELSE 0 END), 0) FROM apps WHERE owner = ? AND guid <> ?",
                   CC_P(app->owner, app->guid), &res, &err);
    if (r < 0)
        return fail(e, CC_E_DATABASE, "Error talking with the database");
    int64_t count = cc_db_cell_int(&res, 0, 0), mem = cc_db_cell_int(&res, 0, 1);
    cc_db_res_release(&res);
    if (creating && count + 1 > cc->conf->quota_apps * mult)
        return fail(e, CC_E_QUOTA_APPS, "Too many applications: %lld, you're allowed: %lld",
                    (long long)count + 1, (long long)cc->conf->quota_apps * mult);
    if (strcmp(app->state, "STARTED") == 0)
        mem += app->memory * app->instances;
    if (mem > cc->conf->quota_memory * mult)
        return fail(e, CC_E_QUOTA_MEMORY, "Not enough memory capacity, you're allowed: %lld MB",
                    (long long)cc->conf->quota_memory * mult);
    return 0;
}

/* Replaces the app's rows in routes; a URI owned by another app is 701. Inside a tx. */
static int save_routes(cc_db_t *db, const cc_app_t *app, cc_app_err_t *e, hc_err_t *err)
{
    int r = cc_db_exec(db, "DELETE FROM routes WHERE app_guid = ?", CC_P(app->guid), NULL, err);
    if (r < 0)
        return fail(e, CC_E_DATABASE, "Error talking with the database");
    json_t *u;
    size_t i;
    json_array_foreach(app->uris, i, u)
    {
        r = cc_db_exec(db, "INSERT INTO routes (uri, app_guid) VALUES (?, ?)",
                       CC_P(json_string_value(u), app->guid), NULL, err);
        if (r == -EEXIST)
            return fail(e, CC_E_URI_TAKEN, "The URI: \"%s\" has already been taken or reserved",
                        json_string_value(u));
        if (r < 0)
            return fail(e, CC_E_DATABASE, "Error talking with the database");
    }
    return 0;
}

static void job_app_err(cc_job_t *j, const cc_app_err_t *e, const hc_err_t *err)
{
    if (e->code == CC_E_DATABASE)
        cc_job_db_fail(j, "app", err);
    else
        cc_job_fail(j, e->code, "%s", e->msg);
}

/* GET /apps, on a worker: the caller's apps written straight into the reply body. */
static void apps_list_work(cc_job_t *j, cc_db_t *db)
{
    cc_db_res_t rows = {0};
    hc_err_t err;
    if (cc_db_exec(db, "SELECT " CC_APP_COLUMNS " FROM apps WHERE owner = ? ORDER BY name",
                   CC_P(j->user.email), &rows, &err) < 0) {
        cc_job_db_fail(j, "list apps", &err);
        return;
    }
    hc_buf_t out;
    hc_buf_init(&out, 0);
    hc_buf_append_byte(&out, '[');
    for (size_t i = 0; i < rows.nrows; i++) {
        cc_app_t app;
        cc_app_from_row(&app, &rows, i);
        if (i)
            hc_buf_append_byte(&out, ',');
        cc_app_write_json(&app, -1, &out);
        cc_app_release(&app);
    }
    hc_buf_append_byte(&out, ']');
    cc_db_res_release(&rows);
    cc_job_reply_buf(j, 200, &out);
    hc_buf_release(&out);
}

static void h_apps_list(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_job_start(cc_job_new(data, req, res, apps_list_work));
}

/*
 * POST /apps, PUT /apps/NAME, DELETE /apps/NAME and restage: the checks and the transaction
 * run on a worker; once it committed, the after hook (loop) has the DEAs told and, when the
 * services list changed, the bindings made first (the app starts with their credentials).
 */
typedef struct app_write_s {
    cc_app_t app, before;
    bool has_before; /* an update: before is the app as it was */
    bool committed;  /* the write is in the database: orchestrate */
    bool deleted;
    bool created; /* POST /apps: reply 302 with Location */
    cc_sync_t *sync;
} app_write_t;

static void app_write_free(void *data)
{
    app_write_t *w = data;
    cc_app_release(&w->app);
    cc_app_release(&w->before);
    cc_services_sync_free(w->sync);
    free(w);
}

/* An app change whose orchestration waits for its new bindings' credentials. */
typedef struct app_change_s {
    bool has_before;
    cc_app_t before;
    char guid[HC_UUID_STR_LEN + 1];
} app_change_t;

/* The bindings are stored: (re)start the app as it is now in the database. */
static void on_app_reloaded(cc_ctx_t *cc, cc_app_t *now, void *ud)
{
    app_change_t *ch = ud;
    if (now)
        cc_orch_app_changed(cc, ch->has_before ? &ch->before : NULL, now);
    cc_app_release(&ch->before);
    free(ch);
}

static void on_services_synced(cc_ctx_t *cc, void *ud)
{
    app_change_t *ch = ud;
    cc_app_fetch(cc, ch->guid, on_app_reloaded, ch);
}

/*
 * The committed write told to the DEAs (loop): a changed services list binds and unbinds
 * first, then orchestrates the app as it is once the credentials are stored.
 */
static void app_write_orchestrate(cc_ctx_t *cc, app_write_t *w)
{
    cc_sync_t *sync = w->sync;
    w->sync = NULL;
    if (w->deleted) {
        cc_services_sync_run(cc, sync, NULL, NULL);
        cc_orch_app_deleted(cc, &w->app);
        return;
    }
    if (!sync) {
        cc_orch_app_changed(cc, w->has_before ? &w->before : NULL, &w->app);
        return;
    }
    app_change_t *ch = hc_calloc(1, sizeof(*ch));
    ch->has_before = w->has_before;
    if (w->has_before) {
        ch->before = w->before;
        memset(&w->before, 0, sizeof(w->before));
    }
    snprintf(ch->guid, sizeof(ch->guid), "%s", w->app.guid);
    cc_services_sync_run(cc, sync, on_services_synced, ch);
}

static bool app_write_after(cc_job_t *j, int status)
{
    app_write_t *w = j->data;
    if (status != 0 || !w->committed)
        return false;
    /* The DEAs hear of it even when the client went away meanwhile. */
    app_write_orchestrate(j->cc, w);
    if (!w->created)
        return false;
    if (!hc_http_res_cancelled(j->res)) {
        char url[CC_MAX_NAME + 16];
        snprintf(url, sizeof(url), "/apps/%s", w->app.name);
        json_t *o = hc_json_obj();
        hc_json_set_str(o, "result", "success");
        hc_json_set_str(o, "redirect", url);
        hc_http_res_set_header(j->res, "Location", url);
        hc_http_reply_json(j->res, 302, o);
    }
    return true;
}

/* What the worker does once the write committed: the bindings to change, or the vcap. */
static void app_write_committed(cc_job_t *j, cc_db_t *db, app_write_t *w)
{
    w->committed = true;
    const json_t *before = w->has_before || w->deleted ? w->before.services : NULL;
    const json_t *after = w->deleted ? NULL : w->app.services;
    if (!w->has_before || w->deleted || !json_equal(before, after))
        w->sync = cc_services_sync_prepare(j->cc, db, w->app.guid, w->app.owner, before, after);
    else
        cc_app_load_vcap(db, &w->app);
}

static cc_job_t *app_write_job(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                               cc_job_fn fn)
{
    cc_job_t *j = cc_job_new_data(cc, req, res, fn, hc_calloc(1, sizeof(app_write_t)),
                                  app_write_free, app_write_after);
    j->body = req->body;
    return j;
}

/* A write job on the app NAME of the caller. */
static void start_app_write(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                            cc_job_fn fn)
{
    cc_job_t *j = app_write_job(cc, req, res, fn);
    cc_job_set_app_name(j, req);
    cc_job_start(j);
}

/* POST /apps, on a worker. */
static void app_create_work(cc_job_t *j, cc_db_t *db)
{
    app_write_t *w = j->data;
    cc_app_t *app = &w->app;
    json_t *body = NULL;
    cc_app_err_t e = {0};
    hc_err_t err = {0};
    const char *name;
    char guid[HC_UUID_STR_LEN + 1];
    int r;

    if (cc_job_body_obj(j, &body) < 0)
        return;
    if (hc_json_get_str(body, "name", &name, &err) < 0 || !cc_valid_name(name)) {
        cc_job_fail(j, CC_E_APP_INVALID, "Invalid application description: name");
        goto out;
    }
    hc_uuid4(guid);
    app->guid = hc_strdup(guid);
    app->name = hc_strdup(name);
    app->owner = hc_strdup(j->user.email);
    app->state = hc_strdup("STOPPED");
    app->instances = 1;
    app->memory = 256;
    app->disk = 2048;
    app->fds = 256;
    app->uris = hc_json_arr();
    app->env = hc_json_arr();
    app->services = hc_json_arr();
    app->created = app->updated = hc_wall_s();
    app->lock_version = 1;
    if (cc_app_apply_body(j->cc, db, body, app, &e) < 0 ||
        check_quotas(j->cc, db, &j->user, app, true, &e) < 0) {
        job_app_err(j, &e, &err);
        goto out;
    }
    if (strcmp(app->state, "STARTED") == 0)
        app->run_count = 1;
    r = cc_db_begin(db, &err);
    if (r < 0)
        goto dbfail;
    r = cc_app_insert(db, app, &err);
    if (r == -EEXIST) {
        cc_db_rollback(db);
        cc_job_fail(j, CC_E_APP_INVALID,
                    "Invalid application description: an app named `%s` already exists", name);
        goto out;
    }
    if (r < 0)
        goto dbfail;
    if (save_routes(db, app, &e, &err) < 0) {
        cc_db_rollback(db);
        job_app_err(j, &e, &err);
        goto out;
    }
    if (cc_event_add(db, app->guid, j->user.email, "app.create", NULL, &err) < 0 ||
        cc_db_commit(db, &err) < 0)
        goto dbfail;
    hc_log_info("app created", "app", name, "guid", app->guid, "owner", j->user.email);
    w->created = true;
    app_write_committed(j, db, w);
    goto out;
dbfail:
    cc_db_rollback(db);
    cc_job_db_fail(j, "create app", &err);
out:
    json_decref(body);
}

/* GET /apps/NAME, on a worker. */
static void app_get_work(cc_job_t *j, cc_db_t *db)
{
    cc_app_t app = {0};
    hc_err_t err;
    int r = cc_app_load(db, j->user.email, j->name, &app, &err);
    if (r == -ENOENT) {
        cc_job_fail(j, CC_E_APP_NOT_FOUND, "Application not found");
        return;
    }
    if (r < 0) {
        cc_job_db_fail(j, "load app", &err);
        return;
    }
    hc_buf_t out;
    hc_buf_init(&out, 0);
    cc_app_write_json(&app, -1, &out);
    cc_app_release(&app);
    cc_job_reply_buf(j, 200, &out);
    hc_buf_release(&out);
}

/* A job on the app NAME of the caller (loaded by fn with cc_job_load_app). */
static void start_app_job(cc_ctx_t *cc, const hc_http_request_t *req, hc_http_res_t *res,
                          cc_job_fn fn)
{
    cc_job_t *j = cc_job_new(cc, req, res, fn);
    cc_job_set_app_name(j, req);
    cc_job_start(j);
}

static void h_app_get(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    start_app_job(data, req, res, app_get_work);
}

/* Copies the fields cc_orch_app_changed compares. */
static void app_snapshot(const cc_app_t *a, cc_app_t *s)
{
    memset(s, 0, sizeof(*s));
    s->guid = hc_strdup(a->guid);
    s->name = hc_strdup(a->name);
    s->owner = hc_strdup(a->owner);
    s->state = hc_strdup(a->state);
    s->instances = a->instances;
    s->memory = a->memory;
    s->uris = json_deep_copy(a->uris);
    s->env = json_deep_copy(a->env);
    s->services = json_deep_copy(a->services);
    s->package_hash = a->package_hash ? hc_strdup(a->package_hash) : NULL;
    s->droplet_hash = a->droplet_hash ? hc_strdup(a->droplet_hash) : NULL;
    s->run_count = a->run_count;
}

/*
 * PUT /apps/NAME (and /apps/NAME/env), on a worker: the app is read, the client's meta.version
 * checked and the update written in one transaction, so nothing can bump the version in
 * between (a stale version is 102 either way).
 */
static void app_update_work(cc_job_t *j, cc_db_t *db)
{
    app_write_t *w = j->data;
    cc_app_t *app = &w->app, *before = &w->before;
    json_t *body = NULL, *meta;
    cc_app_err_t e = {0};
    hc_err_t err = {0};
    char *detail = NULL;
    int r;

    if (!j->name[0]) {
        cc_job_fail(j, CC_E_APP_NOT_FOUND, "Application not found");
        return;
    }
    if (cc_db_begin(db, &err) < 0)
        goto dbfail;
    if (cc_job_load_app(j, db, app) < 0) {
        cc_db_rollback(db);
        return;
    }
    if (cc_job_body_obj(j, &body) < 0) {
        cc_db_rollback(db);
        return;
    }
    app_snapshot(app, before);
    w->has_before = true;
    if ((meta = json_object_get(body, "meta")) && json_is_object(meta)) {
        json_t *v = json_object_get(meta, "version");
        if (json_is_integer(v) && json_integer_value(v) != app->lock_version) {
            cc_db_rollback(db);
            cc_job_fail(j, CC_E_LOCKING, "Optimistic locking failure");
            goto out;
        }
    }
    if (cc_app_apply_body(j->cc, db, body, app, &e) < 0 ||
        check_quotas(j->cc, db, &j->user, app, false, &e) < 0) {
        cc_db_rollback(db);
        job_app_err(j, &e, &err);
        goto out;
    }
    /* Every start is a new version, so DEAs and the HM can tell old instances from new; so
     * is a running app's restart with a new environment or new services (rollout.h). */
    bool was = strcmp(before->state, "STARTED") == 0, is = strcmp(app->state, "STARTED") == 0;
    if ((!was && is) ||
        (was && is &&
         (!json_equal(before->env, app->env) || !json_equal(before->services, app->services))))
        app->run_count++;
    /* A changed service list needs a new droplet (VCAP_SERVICES changes). */
    if (!json_equal(before->services, app->services)) {
        free(app->package_state);
        app->package_state = hc_strdup("PENDING");
    }
    cc_app_touch(app);
    r = cc_app_update(db, app, &err);
    if (r == -ESTALE) {
        cc_db_rollback(db);
        cc_job_fail(j, CC_E_LOCKING, "Optimistic locking failure");
        goto out;
    }
    if (r < 0)
        goto dbfail;
    if (!json_equal(before->uris, app->uris) && save_routes(db, app, &e, &err) < 0) {
        cc_db_rollback(db);
        job_app_err(j, &e, &err);
        goto out;
    }
    /* A new environment on a deployed app is a release (rollback returns to it). */
    char desc[256];
    if (app->droplet_hash && cc_release_env_desc(before->env, app->env, desc, sizeof(desc)) &&
        cc_release_add(db, app, j->user.email, desc, NULL, &err) < 0)
        goto dbfail;
    detail = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    if (detail && strlen(detail) > 2048)
        detail[2048] = '\0';
    if (cc_event_add(db, app->guid, j->user.email, "app.update", detail, &err) < 0 ||
        cc_db_commit(db, &err) < 0)
        goto dbfail;
    j->status = 200;
    app_write_committed(j, db, w);
    goto out;
dbfail:
    cc_db_rollback(db);
    cc_job_db_fail(j, "update app", &err);
out:
    free(detail);
    json_decref(body);
}

static void h_app_update(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    start_app_write(data, req, res, app_update_work);
}

/* DELETE /apps/NAME, on a worker. */
static void app_delete_work(cc_job_t *j, cc_db_t *db)
{
    app_write_t *w = j->data;
    hc_err_t err;

    if (cc_job_load_app(j, db, &w->before) < 0)
        return;
    if (cc_db_begin(db, &err) < 0 ||
        cc_db_exec(db, "DELETE FROM routes WHERE app_guid = ?", CC_P(w->before.guid), NULL, &err) <
            0 ||
        cc_db_exec(db, "DELETE FROM apps WHERE guid = ?", CC_P(w->before.guid), NULL, &err) < 0 ||
        cc_db_exec(db, "DELETE FROM releases WHERE app_guid = ?", CC_P(w->before.guid), NULL,
                   &err) < 0 ||
        cc_event_add(db, w->before.guid, j->user.email, "app.delete", NULL, &err) < 0 ||
        cc_db_commit(db, &err) < 0) {
        cc_db_rollback(db);
        cc_job_db_fail(j, "delete app", &err);
        return;
    }
    hc_log_info("app deleted", "app", w->before.name, "guid", w->before.guid);
    app_snapshot(&w->before, &w->app);
    w->deleted = true;
    j->status = 200;
    app_write_committed(j, db, w);
}

/* PUT /apps/NAME/update (restage), on a worker: the current package is staged again and,
 * when STARTED, the app restarted. */
static void app_restage_work(cc_job_t *j, cc_db_t *db)
{
    app_write_t *w = j->data;
    cc_app_t *app = &w->app;
    hc_err_t err;
    int r;

    if (cc_job_load_app(j, db, app) < 0)
        return;
    app_snapshot(app, &w->before);
    w->has_before = true;
    /* Same package, new version: treat it as new bits so running instances are replaced. */
    free(w->before.package_hash);
    w->before.package_hash = hc_strdup("");
    free(app->package_state);
    app->package_state = hc_strdup("PENDING");
    free(app->staged_package);
    app->staged_package = NULL;
    app->run_count++;
    cc_app_touch(app);
    if ((r = cc_db_begin(db, &err)) < 0 || (r = cc_app_update(db, app, &err)) < 0 ||
        (r = cc_event_add(db, app->guid, j->user.email, "app.restage", NULL, &err)) < 0 ||
        (r = cc_db_commit(db, &err)) < 0) {
        cc_db_rollback(db);
        if (r == -ESTALE)
            cc_job_fail(j, CC_E_LOCKING, "Optimistic locking failure");
        else
            cc_job_db_fail(j, "restage", &err);
        return;
    }
    j->status = 200;
    app_write_committed(j, db, w);
}

static void h_app_restage(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    start_app_write(data, req, res, app_restage_work);
}

/* The release to roll back to, read before the transaction (its droplet is checked then). */
typedef struct rollback_target_s {
    int64_t latest, version;
    cc_db_res_t row; /* droplet_hash, package_hash, env, command */
} rollback_target_t;

/*
 * Finds the release of the rollback (body's "version", default the one before the current)
 * and checks its droplet is still in the blob store. Returns 0, or < 0 after failing the job.
 */
static int rollback_target(cc_job_t *j, cc_db_t *db, const cc_app_t *app, rollback_target_t *t)
{
    json_t *body = NULL;
    hc_err_t err;
    int64_t want = 0;
    int r = -EINVAL;

    if (j->body.len > 0) {
        if (cc_job_body_obj(j, &body) < 0)
            return -EINVAL;
        json_t *v = json_object_get(body, "version");
        if (v && (!json_is_integer(v) || json_integer_value(v) < 1)) {
            cc_job_fail(j, CC_E_BAD_REQUEST, "Bad request: version must be a positive integer");
            goto out;
        }
        want = v ? json_integer_value(v) : 0;
    }
    if (cc_release_latest(db, app->guid, &t->latest, &err) < 0) {
        cc_job_db_fail(j, "releases", &err);
        r = -EIO;
        goto out;
    }
    if (t->latest == 0) {
        cc_job_fail(j, CC_E_RELEASE_INVALID, "The app has no release yet: push it first");
        goto out;
    }
    t->version = want ? want : t->latest - 1;
    if (t->version < 1) {
        cc_job_fail(j, CC_E_RELEASE_INVALID, "There is no release before v%lld",
                    (long long)t->latest);
        goto out;
    }
    if (t->version == t->latest) {
        cc_job_fail(j, CC_E_RELEASE_INVALID, "v%lld is the current release", (long long)t->version);
        goto out;
    }
    char version[24];
    snprintf(version, sizeof(version), "%lld", (long long)t->version);
    if (cc_db_exec(db,
                   "SELECT droplet_hash, package_hash, env, command FROM releases"
                   " WHERE app_guid = ? AND version = ?",
                   CC_P(app->guid, version), &t->row, &err) < 0) {
        cc_job_db_fail(j, "releases", &err);
        r = -EIO;
        goto out;
    }
    const char *droplet = cc_db_cell(&t->row, 0, 0);
    if (t->row.nrows == 0) {
        cc_job_fail(j, CC_E_RELEASE_NOT_FOUND, "Release v%s not found", version);
        goto out;
    }
    char key[64];
    uint64_t size;
    snprintf(key, sizeof(key), "drop/%s", droplet ? droplet : "");
    int s = droplet ? cc_blob_stat(j->cc->blob, key, &size, &err) : 0;
    if (s == 0) {
        cc_job_fail(j, CC_E_DROPLET_GONE,
                    "The droplet of v%s is no longer in the blob store (only the last"
                    " blobstore.releases_kept releases keep theirs): push the app again",
                    version);
        goto out;
    }
    if (s < 0) {
        hc_log_error("blob stat failed", "key", key, "err", err.msg);
        cc_job_fail(j, CC_E_SYSTEM, "System error: the blob store failed");
        goto out;
    }
    r = 0;
out:
    json_decref(body);
    return r;
}

static void set_str(char **field, const char *v)
{
    free(*field);
    *field = v ? hc_strdup(v) : NULL;
}

/*
 * POST /apps/NAME/rollback, on a worker: the app takes the release's droplet, package, env
 * and command (STAGED: no restage), a new release records it, and a STARTED app gets a new
 * version the rollout puts in place of the running one with no downtime.
 */
static void app_rollback_work(cc_job_t *j, cc_db_t *db)
{
    app_write_t *w = j->data;
    cc_app_t *app = &w->app;
    rollback_target_t t = {0};
    hc_err_t err = {0};
    int64_t latest = 0, made = 0;
    char desc[64], detail[64];
    int r;

    if (cc_job_load_app(j, db, app) < 0)
        return;
    if (rollback_target(j, db, app, &t) < 0)
        goto out;
    cc_app_release(app);
    memset(app, 0, sizeof(*app));
    if ((r = cc_db_begin(db, &err)) < 0)
        goto dbfail;
    if (cc_job_load_app(j, db, app) < 0) {
        cc_db_rollback(db);
        goto out;
    }
    if ((r = cc_release_latest(db, app->guid, &latest, &err)) < 0)
        goto dbfail;
    if (latest != t.latest) {
        cc_db_rollback(db);
        cc_job_fail(j, CC_E_LOCKING, "Optimistic locking failure: the app changed meanwhile");
        goto out;
    }
    app_snapshot(app, &w->before);
    w->has_before = true;
    /* Treated as new bits, so the running instances are replaced even when only the droplet
     * differs. */
    set_str(&w->before.package_hash, "");
    set_str(&app->droplet_hash, cc_db_cell(&t.row, 0, 0));
    set_str(&app->package_hash, cc_db_cell(&t.row, 0, 1));
    set_str(&app->staged_package, app->package_hash);
    set_str(&app->package_state, "STAGED");
    set_str(&app->command, cc_db_cell(&t.row, 0, 3));
    json_t *env = json_loads(cc_db_cell(&t.row, 0, 2) ? cc_db_cell(&t.row, 0, 2) : "[]", 0, NULL);
    if (json_is_array(env)) {
        json_decref(app->env);
        app->env = env;
    } else {
        json_decref(env);
    }
    if (strcmp(app->state, "STARTED") == 0)
        app->run_count++;
    cc_app_touch(app);
    snprintf(desc, sizeof(desc), "Rollback to v%lld", (long long)t.version);
    snprintf(detail, sizeof(detail), "{\"version\":%lld}", (long long)t.version);
    r = cc_app_update(db, app, &err);
    if (r == -ESTALE) {
        cc_db_rollback(db);
        cc_job_fail(j, CC_E_LOCKING, "Optimistic locking failure");
        goto out;
    }
    if (r < 0 || (r = cc_release_add(db, app, j->user.email, desc, &made, &err)) < 0 ||
        (r = cc_event_add(db, app->guid, j->user.email, "app.rollback", detail, &err)) < 0 ||
        (r = cc_db_commit(db, &err)) < 0)
        goto dbfail;
    hc_log_info("app rolled back", "app", app->name, "to", desc);
    app_write_committed(j, db, w);
    json_t *o = hc_json_obj();
    hc_json_set_int(o, "version", made);
    hc_json_set_int(o, "rolled_back_to", t.version);
    hc_json_set_str(o, "description", desc);
    hc_json_set_str(o, "droplet_hash", app->droplet_hash);
    hc_json_set_new(o, "replaced", json_boolean(strcmp(app->state, "STARTED") == 0));
    cc_job_reply_json(j, 200, o);
    goto out;
dbfail:
    cc_db_rollback(db);
    cc_job_db_fail(j, "rollback", &err);
out:
    cc_db_res_release(&t.row);
}

static void h_app_rollback(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    start_app_write(data, req, res, app_rollback_work);
}

/* GET /apps/NAME/releases, on a worker: newest first, the first one current. */
static void releases_work(cc_job_t *j, cc_db_t *db)
{
    cc_app_t app = {0};
    cc_db_res_t rows = {0};
    hc_err_t err;
    char limit[16];

    if (cc_job_load_app(j, db, &app) < 0)
        return;
    snprintf(limit, sizeof(limit), "%d", CC_RELEASES_LIST_MAX);
    if (cc_db_exec(db,
                   "SELECT version, description, created, email, droplet_hash FROM releases"
                   " WHERE app_guid = ? ORDER BY version DESC LIMIT ?",
                   CC_P(app.guid, limit), &rows, &err) < 0) {
        cc_job_db_fail(j, "releases", &err);
        goto out;
    }
    json_t *arr = hc_json_arr();
    for (size_t i = 0; i < rows.nrows; i++) {
        json_t *r = hc_json_obj();
        hc_json_set_int(r, "version", cc_db_cell_int(&rows, i, 0));
        hc_json_set_str(r, "description", cc_db_cell(&rows, i, 1));
        hc_json_set_int(r, "created", cc_db_cell_int(&rows, i, 2));
        hc_json_set_str(r, "user", cc_db_cell(&rows, i, 3));
        hc_json_set_str(r, "droplet_hash", cc_db_cell(&rows, i, 4));
        hc_json_set_new(r, "current", json_boolean(i == 0));
        hc_json_append_new(arr, r);
    }
    cc_job_reply_json(j, 200, arr);
out:
    cc_db_res_release(&rows);
    cc_app_release(&app);
}

static void h_releases(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    start_app_job(data, req, res, releases_work);
}

static void h_app_create(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    cc_job_start(app_write_job(data, req, res, app_create_work));
}

static void h_app_delete(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    start_app_write(data, req, res, app_delete_work);
}

/* GET /apps/NAME/env, on a worker. */
static void env_get_work(cc_job_t *j, cc_db_t *db)
{
    cc_app_t app = {0};
    if (cc_job_load_app(j, db, &app) < 0)
        return;
    json_t *o = hc_json_obj();
    hc_json_set_new(o, "env", json_incref(app.env));
    cc_job_reply_json(j, 200, o);
    cc_app_release(&app);
}

/* GET /apps/NAME/events, on a worker. */
static void events_work(cc_job_t *j, cc_db_t *db)
{
    cc_app_t app = {0};
    cc_db_res_t rows = {0};
    hc_err_t err;

    if (cc_job_load_app(j, db, &app) < 0)
        return;
    if (cc_db_exec(db,
                   "SELECT ts, email, action, detail FROM events WHERE app_guid = ?"
                   " ORDER BY ts, guid LIMIT 500",
                   CC_P(app.guid), &rows, &err) < 0) {
        cc_job_db_fail(j, "events", &err);
        goto out;
    }
    json_t *arr = hc_json_arr();
    for (size_t i = 0; i < rows.nrows; i++) {
        json_t *ev = hc_json_obj();
        hc_json_set_int(ev, "ts", cc_db_cell_int(&rows, i, 0));
        hc_json_set_str(ev, "user", cc_db_cell(&rows, i, 1));
        hc_json_set_str(ev, "action", cc_db_cell(&rows, i, 2));
        hc_json_set_str(ev, "detail", cc_db_cell(&rows, i, 3));
        hc_json_append_new(arr, ev);
    }
    json_t *o = hc_json_obj();
    hc_json_set_new(o, "events", arr);
    cc_job_reply_json(j, 200, o);
out:
    cc_db_res_release(&rows);
    cc_app_release(&app);
}

static void h_env_get(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    start_app_job(data, req, res, env_get_work);
}

static void h_events(const hc_http_request_t *req, hc_http_res_t *res, void *data)
{
    start_app_job(data, req, res, events_work);
}

void cc_api_apps_routes(cc_ctx_t *cc, hc_http_server_t *srv)
{
    hc_http_server_route(srv, "GET", "/apps", h_apps_list, cc);
    hc_http_server_route(srv, "POST", "/apps", h_app_create, cc);
    hc_http_server_route(srv, "GET", "/apps/:name", h_app_get, cc);
    hc_http_server_route(srv, "PUT", "/apps/:name", h_app_update, cc);
    hc_http_server_route(srv, "DELETE", "/apps/:name", h_app_delete, cc);
    hc_http_server_route(srv, "GET", "/apps/:name/env", h_env_get, cc);
    /* PUT /apps/NAME/env takes {"env": [...]}: the same validation as PUT /apps/NAME. */
    hc_http_server_route(srv, "PUT", "/apps/:name/env", h_app_update, cc);
    hc_http_server_route(srv, "GET", "/apps/:name/events", h_events, cc);
    hc_http_server_route(srv, "PUT", "/apps/:name/update", h_app_restage, cc);
    hc_http_server_route(srv, "GET", "/apps/:name/releases", h_releases, cc);
    hc_http_server_route(srv, "POST", "/apps/:name/rollback", h_app_rollback, cc);
}
