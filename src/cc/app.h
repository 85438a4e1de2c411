/*
 * app.h - the app record: load, list, save and its v1 JSON shape (cf-v1.md §1.6).
 * Any thread with its own connection, except where a function says otherwise.
 */
#ifndef HEARTH_CC_APP_H
#define HEARTH_CC_APP_H

#include <jansson.h>

#include "cc.h"
#include "db/db.h"
#include "hc_buf.h"

typedef struct cc_app_s {
    char *guid, *name, *owner;
    char *framework, *runtime, *command;
    int64_t instances, memory, disk, fds;
    char *state;          /* "STARTED" / "STOPPED" */
    json_t *uris;         /* array of strings */
    json_t *env;          /* array of "K=V" */
    json_t *services;     /* array of service instance names */
    char *package_hash;   /* SHA-1 of the stored package zip, or NULL */
    char *package_state;  /* PENDING, STAGED, FAILED */
    char *droplet_hash;   /* SHA-1 of the droplet, or NULL */
    char *staged_package; /* package_hash the droplet was built from */
    int64_t run_count, lock_version, created, updated;
    /* When the DEA calls an instance RUNNING: "port" (NULL: the default), "process" or "http"
     * (a 2xx on GET health_check_endpoint, NULL: "/"). Applied at the next start. */
    char *health_check_type, *health_check_endpoint;
    /* VCAP_SERVICES (array) for the start and staging messages, read on a worker with
     * cc_app_load_vcap before orchestration gets the app; NULL: not read (no services). */
    json_t *vcap;
} cc_app_t;

/* The column list every loader selects, in cc_app_t order. */
#define CC_APP_COLUMNS                                                                             \
    "guid, name, owner, framework, runtime, command, instances, memory, disk, fds, state, uris,"   \
    " env, services, package_hash, package_state, droplet_hash, staged_package, run_count,"        \
    " lock_version, created, updated, health_check_type, health_check_http_endpoint"

/* Fills app from row `row` of a result selected with CC_APP_COLUMNS. */
void cc_app_from_row(cc_app_t *app, const cc_db_res_t *res, size_t row);
void cc_app_release(cc_app_t *app);

/* Loads the app `name` of `owner`. Returns 0, -ENOENT or -EIO (err set). */
int cc_app_load(cc_db_t *db, const char *owner, const char *name, cc_app_t *app, hc_err_t *err);
/* Loads by GUID (any owner). Returns 0, -ENOENT or -EIO. */
int cc_app_load_guid(cc_db_t *db, const char *guid, cc_app_t *app, hc_err_t *err);
/*
 * Fills app->vcap from db: one cc_service_vcap entry per name in app->services (brokered
 * instances whose binding is not stored yet are left out). Any thread, with its own db.
 */
void cc_app_load_vcap(cc_db_t *db, cc_app_t *app);
/*
 * Loads the app with this guid and its vcap on a worker (a pooled connection), then calls fn
 * on the loop with it (NULL when it is gone or the database failed: logged). fn may keep
 * nothing of app past its return. Loop thread.
 */
typedef void (*cc_app_fetched_fn)(cc_ctx_t *cc, cc_app_t *app, void *ud);
void cc_app_fetch(cc_ctx_t *cc, const char *guid, cc_app_fetched_fn fn, void *ud);
/* Inserts a new app (guid, created set by the caller). -EEXIST when the name is taken. */
int cc_app_insert(cc_db_t *db, const cc_app_t *app, hc_err_t *err);
/*
 * Writes every mutable column where guid and lock_version (the value loaded) match, and bumps
 * lock_version in app. Returns 0, -ESTALE when another writer got there first, or -EIO.
 */
int cc_app_update(cc_db_t *db, cc_app_t *app, hc_err_t *err);

/*
 * Marks app changed now: updated = the wall clock in seconds, but always past the value it
 * had, so two changes within one second still differ. The HM echoes `updated` as
 * last_updated in its STOP requests, which the CC ignores once the app has changed since.
 */
void cc_app_touch(cc_app_t *app);

/* A validation failure: the v1 error code and its message. */
typedef struct cc_app_err_s {
    int code;
    char msg[300];
} cc_app_err_t;

/*
 * Validates the create/update JSON body and applies it onto app (app_body.c). Returns 0, or
 * -EINVAL with e set (codes 300, 308, 309, 200, 500, 602, 700; 101 for a database error).
 * Reads the owner's service instances on db. Any thread.
 */
int cc_app_apply_body(const cc_ctx_t *cc, cc_db_t *db, json_t *body, cc_app_t *app,
                      cc_app_err_t *e);

/*
 * Applies health_check_type ("port", "process", "http"; "none" is stored as "process") and
 * health_check_http_endpoint (a path: '/' then at most 254 printable ASCII bytes without
 * spaces) of body onto app. Returns 0 or -EINVAL with e set (code 300). Any thread.
 */
int cc_app_apply_health_check(json_t *body, cc_app_t *app, cc_app_err_t *e);
/* The effective values: "port" and "/" when unset. */
const char *cc_app_hc_type(const cc_app_t *app);
const char *cc_app_hc_endpoint(const cc_app_t *app);

/*
 * The v1 app JSON written straight into out (app_json.c): no tree of JSON values, which is
 * what makes GET /apps of a thousand apps cheap. runningInstances is null when unknown (< 0).
 * Strings are escaped; bytes that are not UTF-8 become U+FFFD. Any thread.
 */
void cc_app_write_json(const cc_app_t *app, int64_t running, hc_buf_t *out);
/* The same JSON as a new reference. */
json_t *cc_app_to_json(const cc_app_t *app, int64_t running);
/* Appends s as a JSON string (null when s is NULL), escaped as cc_app_write_json does. */
void cc_json_put_str(hc_buf_t *out, const char *s);
/* "<droplet or package sha1 or guid>-<run_count>": every start is a new version. */
void cc_app_version(const cc_app_t *app, char *out, size_t size);

#endif
