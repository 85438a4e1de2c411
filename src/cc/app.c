/* The app record and its JSON shape. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "hc_json.h"
#include "hc_time.h"

static char *dup_or_null(const char *s)
{
    return s ? hc_strdup(s) : NULL;
}

static json_t *json_array_or_empty(const char *s)
{
    /* Most env and services columns are empty: no parser for those (GET /apps reads many). */
    if (s && s[0] == '[' && s[1] == ']' && s[2] == '\0')
        return hc_json_arr();
    json_t *v = s ? json_loads(s, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (!json_is_array(v)) {
        json_decref(v);
        v = hc_json_arr();
    }
    return v;
}

void cc_app_from_row(cc_app_t *app, const cc_db_res_t *res, size_t row)
{
    memset(app, 0, sizeof(*app));
    app->guid = dup_or_null(cc_db_cell(res, row, 0));
    app->name = dup_or_null(cc_db_cell(res, row, 1));
    app->owner = dup_or_null(cc_db_cell(res, row, 2));
    app->framework = dup_or_null(cc_db_cell(res, row, 3));
    app->runtime = dup_or_null(cc_db_cell(res, row, 4));
    app->command = dup_or_null(cc_db_cell(res, row, 5));
    app->instances = cc_db_cell_int(res, row, 6);
    app->memory = cc_db_cell_int(res, row, 7);
    app->disk = cc_db_cell_int(res, row, 8);
    app->fds = cc_db_cell_int(res, row, 9);
    app->state = dup_or_null(cc_db_cell(res, row, 10));
    app->uris = json_array_or_empty(cc_db_cell(res, row, 11));
    app->env = json_array_or_empty(cc_db_cell(res, row, 12));
    app->services = json_array_or_empty(cc_db_cell(res, row, 13));
    app->package_hash = dup_or_null(cc_db_cell(res, row, 14));
    app->package_state = dup_or_null(cc_db_cell(res, row, 15));
    app->droplet_hash = dup_or_null(cc_db_cell(res, row, 16));
    app->staged_package = dup_or_null(cc_db_cell(res, row, 17));
    app->run_count = cc_db_cell_int(res, row, 18);
    app->lock_version = cc_db_cell_int(res, row, 19);
    app->created = cc_db_cell_int(res, row, 20);
    app->updated = cc_db_cell_int(res, row, 21);
    app->health_check_type = dup_or_null(cc_db_cell(res, row, 22));
    app->health_check_endpoint = dup_or_null(cc_db_cell(res, row, 23));
}

void cc_app_release(cc_app_t *app)
{
    if (!app)
        return;
    free(app->guid);
    free(app->name);
    free(app->owner);
    free(app->framework);
    free(app->runtime);
    free(app->command);
    free(app->state);
    json_decref(app->uris);
    json_decref(app->env);
    json_decref(app->services);
    free(app->package_hash);
    free(app->package_state);
    free(app->droplet_hash);
    free(app->staged_package);
    free(app->health_check_type);
    free(app->health_check_endpoint);
    json_decref(app->vcap);
    memset(app, 0, sizeof(*app));
}

static int load_one(cc_db_t *db, const char *sql, const char *const *p, size_t n, cc_app_t *app,
                    hc_err_t *err)
{
    cc_db_res_t res = {0};
    int r = cc_db_exec(db, sql, p, n, &res, err);
    if (r < 0)
        return r;
    if (res.nrows == 0) {
        cc_db_res_release(&res);
        return -ENOENT;
    }
    cc_app_from_row(app, &res, 0);
    cc_db_res_release(&res);
    return 0;
}

int cc_app_load(cc_db_t *db, const char *owner, const char *name, cc_app_t *app, hc_err_t *err)
{
    return load_one(db, "SELECT " CC_APP_COLUMNS " FROM apps WHERE owner = ? AND name = ?",
                    CC_P(owner, name), app, err);
}

int cc_app_load_guid(cc_db_t *db, const char *guid, cc_app_t *app, hc_err_t *err)
{
    return load_one(db, "SELECT " CC_APP_COLUMNS " FROM apps WHERE guid = ?", CC_P(guid), app, err);
}

/* Decimal text of v into buf. */
static const char *itoa_buf(int64_t v, char buf[24])
{
    snprintf(buf, 24, "%lld", (long long)v);
    return buf;
}

int cc_app_insert(cc_db_t *db, const cc_app_t *app, hc_err_t *err)
{
    char inst[24], mem[24], disk[24], fds[24], created[24], runs[24];
    hc_autofree char *uris = json_dumps(app->uris, JSON_COMPACT);
    hc_autofree char *env = json_dumps(app->env, JSON_COMPACT);
    hc_autofree char *svc = json_dumps(app->services, JSON_COMPACT);
    return cc_db_exec(
        db,
        "INSERT INTO apps (guid, name, owner, framework, runtime, command, instances,"
        " memory, disk, fds, state, uris, env, services, package_state, run_count, created,"
        " updated, health_check_type, health_check_http_endpoint)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?, ?, ?, ?)",
        CC_P(app->guid, app->name, app->owner, app->framework, app->runtime, app->command,
             itoa_buf(app->instances, inst), itoa_buf(app->memory, mem), itoa_buf(app->disk, disk),
             itoa_buf(app->fds, fds), app->state, uris, env, svc, itoa_buf(app->run_count, runs),
             itoa_buf(app->created, created), created, cc_app_hc_type(app),
             cc_app_hc_endpoint(app)),
        NULL, err);
}

int cc_app_update(cc_db_t *db, cc_app_t *app, hc_err_t *err)
{
    char inst[24], mem[24], disk[24], fds[24], runs[24], lock[24], newlock[24], upd[24];
    hc_autofree char *uris = json_dumps(app->uris, JSON_COMPACT);
    hc_autofree char *env = json_dumps(app->env, JSON_COMPACT);
    hc_autofree char *svc = json_dumps(app->services, JSON_COMPACT);
    cc_db_res_t res = {0};
    int r = cc_db_exec(
        db,
        "UPDATE apps SET framework = ?, runtime = ?, command = ?, instances = ?, memory = ?,"
        " disk = ?, fds = ?, state = ?, uris = ?, env = ?, services = ?, package_hash = ?,"
        " package_state = ?, droplet_hash = ?, staged_package = ?, run_count = ?,"
        " lock_version = ?, updated = ?, health_check_type = ?, health_check_http_endpoint = ?"
        " WHERE guid = ? AND lock_version = ?",
        CC_P(app->framework, app->runtime, app->command, itoa_buf(app->instances, inst),
             itoa_buf(app->memory, mem), itoa_buf(app->disk, disk), itoa_buf(app->fds, fds),
             app->state, uris, env, svc, app->package_hash, app->package_state, app->droplet_hash,
             app->staged_package, itoa_buf(app->run_count, runs),
             itoa_buf(app->lock_version + 1, newlock), itoa_buf(app->updated, upd),
             cc_app_hc_type(app), cc_app_hc_endpoint(app), app->guid,
             itoa_buf(app->lock_version, lock)),
        &res, err);
    if (r < 0)
        return r;
    int64_t changes = res.changes;
    cc_db_res_release(&res);
    if (changes == 0)
        return hc_err_set(err, -ESTALE, "app `%s` was changed by another request", app->name);
    app->lock_version++;
    return 0;
}

const char *cc_app_hc_type(const cc_app_t *app)
{
    return app->health_check_type ? app->health_check_type : "port";
}

const char *cc_app_hc_endpoint(const cc_app_t *app)
{
    return app->health_check_endpoint ? app->health_check_endpoint : "/";
}

void cc_app_touch(cc_app_t *app)
{
    int64_t now = hc_wall_s();
    app->updated = now > app->updated ? now : app->updated + 1;
}

void cc_app_version(const cc_app_t *app, char *out, size_t size)
{
    const char *base = app->droplet_hash   ? app->droplet_hash
                       : app->package_hash ? app->package_hash
                                           : app->guid;
    snprintf(out, size, "%s-%lld", base, (long long)app->run_count);
}
